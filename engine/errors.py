"""Errors a user can act on. The CLI prints their message on one line and the GUI shows it in a dialog,
so the message itself must say what went wrong and what to do, without a traceback. The base class and the
missing-model error are defined in `models.errors`, so the model loaders can raise them without importing the
engine."""

from models.errors import MissingModelError, UserError

__all__ = ["UserError", "InputError", "OutputError", "MissingModelError", "ProjectFileError", "Cancelled"]


class InputError(UserError):
    exit_code = 3


class OutputError(UserError):
    exit_code = 4


class ProjectFileError(UserError):
    exit_code = 6


class Cancelled(Exception):
    """Raised from inside long work when the user pressed Cancel; not an error to report."""
