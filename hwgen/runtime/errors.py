"""What the board-side driver raises: one-line messages naming what is wrong (hwgen.errors subclasses)."""

from hwgen.errors import DataError, HwgenError


class BoardError(HwgenError):
    """The overlay or the board does not do what its deployment metadata says."""


class OverlayMismatch(BoardError):
    """The overlay's accelerator identifies as another model (graph id, frame shape, classes) than the
    deployment metadata describes, or the design cannot carry this model's frames."""


class TransferTimeout(BoardError):
    """A DMA transfer did not complete before its deadline; the DMA and the accelerator were reset."""


class DmaError(BoardError):
    """The AXI DMA flagged an error (decode, slave or internal) or halted; it was reset."""


class FrameError(DataError):
    """Frames of the wrong shape, type or range for this overlay."""
