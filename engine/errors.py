"""Errors a user can act on. The CLI prints their message on one line and the GUI shows it in a dialog,
so the message itself must say what went wrong and what to do, without a traceback."""


class UserError(Exception):
    """A problem with the input, the output or the installation, not a bug in LimeLight."""

    exit_code = 2


class InputError(UserError):
    exit_code = 3


class OutputError(UserError):
    exit_code = 4


class MissingModelError(UserError):
    exit_code = 5

    def __init__(self, what: str, package: str):
        super().__init__(f"{what} is not available: install the Python package '{package}' "
                         f"(pip install -r requirements.txt)")
        self.package = package


class ProjectFileError(UserError):
    exit_code = 6


class Cancelled(Exception):
    """Raised from inside long work when the user pressed Cancel; not an error to report."""
