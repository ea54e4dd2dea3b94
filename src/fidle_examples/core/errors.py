"""Errors whose message is meant for the user, in French, without a traceback."""


class FidleError(Exception):
    """An error the user can fix; the CLI prints its message and exits non-zero."""

    exit_code = 1


class UsageError(FidleError):
    """Bad command-line input (unknown example, invalid option value)."""

    exit_code = 2


class DatasetError(FidleError):
    """A dataset is missing, unreachable or corrupted."""

    exit_code = 3


class TrainingError(FidleError):
    """Training went wrong in a way the user must know about (e.g. divergence)."""

    exit_code = 4
