"""The errors a model loader raises when the installation lacks what it needs. They live here, below the
engine, so `models` never imports `engine`; `engine.errors` re-exports them beside the other user errors."""


class UserError(Exception):
    """A problem with the input, the output or the installation, not a bug in LimeLight."""

    exit_code = 2


class MissingModelError(UserError):
    exit_code = 5

    def __init__(self, what: str, package: str):
        super().__init__(
            f"{what} is not available: install the Python package '{package}' (pip install -r requirements.txt)"
        )
        self.package = package
