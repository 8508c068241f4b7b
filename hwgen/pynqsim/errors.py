"""What the simulated board raises where a real board would hang, fault or do something undefined."""


class SimulationError(RuntimeError):
    """An access the simulated board refuses: an unmapped address, behaviour PG021 leaves undefined, or
    a use of the simulation itself that cannot be right."""


class SimulationStalled(SimulationError):
    """The driver polled a DMA status register many times while nothing moved on any stream: on a board
    this is a hang (pynq's own `wait()` spins forever); here it raises so CI cannot hang."""


class BusError(SimulationError):
    """A register access outside every AXI-Lite window of the design (on a board: a bus hang or SIGBUS)."""
