"""User-facing errors.

A `HwgenError` is a problem with the user's input (a file, a shape, a name, a setting). The CLI prints
its message on one line and exits with status 2, without a traceback; anything else is a bug and
keeps its traceback.
"""


class HwgenError(Exception):
    """An error caused by the user's input; the message says what is wrong and where."""


class DataError(HwgenError):
    """A data file or array is unreadable, malformed or has the wrong shape."""


class ModelError(HwgenError):
    """A model or layer hwgen cannot build, load or convert."""


class OverflowDetected(HwgenError):
    """A fixed-point value left its type's range where wrap-around would be silent on hardware."""
