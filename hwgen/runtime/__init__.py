"""What runs on the board, numpy and pynq only (Python 3.10): `protocol` (the accelerator's stream format
and registers) and `driver` (`UltrasoundOverlay`, the PYNQ driver).

    >>> from hwgen.runtime import UltrasoundOverlay      # imports pynq: on the board or in .venv-pynq
    >>> ov = UltrasoundOverlay("hwgen.bit")

`hwgen.runtime.protocol` never imports pynq, so the build side (TensorFlow environment) uses it freely.
"""

DRIVER_NAMES = ("UltrasoundOverlay", "HwgenAccelerator", "Hop", "Result", "ThroughputReport")


def __getattr__(name):
    # The driver needs pynq; import it only when asked for, so `hwgen.runtime.protocol` stays pynq-free.
    if name in DRIVER_NAMES:
        from hwgen.runtime import driver

        return getattr(driver, name)
    raise AttributeError(f"module 'hwgen.runtime' has no attribute {name!r}")


__all__ = list(DRIVER_NAMES)
