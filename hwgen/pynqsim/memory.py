"""The simulated DDR: physical memory the DMA model reads and writes, and the `PynqBuffer`s pynq hands out.

A buffer allocated with `cacheable=True` has a host copy apart from DDR, as a cached buffer on the board
has its cache lines: what the CPU writes reaches DDR only at `flush()`, what the DMA writes reaches the
CPU only at `invalidate()`. A driver that forgets either reads stale data here as it would on a board.
A non-cacheable buffer is a window onto DDR itself (flush and invalidate do nothing).
"""

from __future__ import annotations

import numpy as np
from pynq.buffer import PynqBuffer

from hwgen.pynqsim.errors import SimulationError

ALIGN = 64  # bytes: pynq's allocations are at least cache-line aligned


class SimulatedDDR:
    """`size` bytes of DDR at physical address `base`, with a first-fit allocator for buffers.

    The array is created with np.zeros, so only the pages buffers touch take host memory.
    """

    def __init__(self, base: int = 0x1000_0000, size: int = 64 << 20):
        if base % ALIGN or size % ALIGN:
            raise ValueError(f"DDR window {base:#x} + {size:#x} is not {ALIGN}-byte aligned")
        self.base, self.size = base, size
        self.data = np.zeros(size, dtype=np.uint8)
        self._free: list[tuple[int, int]] = [(0, size)]   # (offset, length), sorted by offset
        self._used: dict[int, int] = {}                     # offset -> length
        self.host_copies: dict[int, np.ndarray] = {}        # address -> host bytes of a cacheable buffer
        self.flushes = self.invalidates = 0

    # ------------------------------------------------------------------ allocation
    def allocate(self, nbytes: int) -> int:
        length = max(ALIGN, -(-int(nbytes) // ALIGN) * ALIGN)
        for i, (offset, free) in enumerate(self._free):
            if free >= length:
                self._free[i:i + 1] = [(offset + length, free - length)] if free > length else []
                self._used[offset] = length
                self.data[offset:offset + length] = 0
                return self.base + offset
        raise MemoryError(f"simulated DDR: no {length} contiguous bytes free of {self.size} "
                          f"({sum(self._used.values())} allocated in {len(self._used)} buffers)")

    def free(self, address: int) -> None:
        offset = address - self.base
        length = self._used.pop(offset, None)
        if length is None:
            return
        self.host_copies.pop(address, None)
        self._free.append((offset, length))
        self._free.sort()
        merged: list[tuple[int, int]] = []
        for start, size in self._free:
            if merged and merged[-1][0] + merged[-1][1] == start:
                merged[-1] = (merged[-1][0], merged[-1][1] + size)
            else:
                merged.append((start, size))
        self._free = merged

    @property
    def allocated_bytes(self) -> int:
        return sum(self._used.values())

    # ------------------------------------------------------------------ access
    def contains(self, address: int, nbytes: int) -> bool:
        return self.base <= address and address + nbytes <= self.base + self.size

    def view(self, address: int, nbytes: int) -> np.ndarray:
        """The DDR bytes [address, address + nbytes) (a view: writes go to DDR)."""
        if not self.contains(address, nbytes):
            raise SimulationError(f"address range {address:#x} + {nbytes} is outside the simulated DDR "
                                  f"({self.base:#x} + {self.size:#x})")
        offset = address - self.base
        return self.data[offset:offset + nbytes]


class SimulatedMemory:
    """The device's default memory: `allocate(shape, dtype, cacheable=False)` -> PynqBuffer."""

    def __init__(self, device, ddr: SimulatedDDR):
        self.device, self.ddr = device, ddr

    def allocate(self, shape, dtype, cacheable: bool = False, **kwargs) -> PynqBuffer:
        dtype = np.dtype(dtype)
        count = int(np.prod(shape, dtype=np.int64)) if np.ndim(shape) else int(shape)
        nbytes = count * dtype.itemsize
        address = self.ddr.allocate(nbytes)
        if cacheable:
            host = np.zeros(max(nbytes, 1), dtype=np.uint8)
            self.ddr.host_copies[address] = host
            storage, offset = host, 0
        else:
            storage, offset = self.ddr.data, address - self.ddr.base
        buf = PynqBuffer(shape, dtype, buffer=storage, offset=offset, device=self.device,
                         device_address=address, bo=address, coherent=False)
        # pynq frees a buffer that has `memory`, `pointer` and `return_to` by return_to.return_pointer(pointer).
        buf.memory, buf.pointer, buf.return_to = self, address, self
        return buf

    def return_pointer(self, address: int) -> None:
        self.ddr.free(address)

    # PynqBuffer.flush/invalidate call these on the device with (bo, offset, virtual address, nbytes).
    def flush(self, bo: int, offset: int, nbytes: int) -> None:
        self.ddr.flushes += 1
        host = self.ddr.host_copies.get(bo)
        if host is not None:
            self.ddr.view(bo + offset, nbytes)[:] = host[offset:offset + nbytes]

    def invalidate(self, bo: int, offset: int, nbytes: int) -> None:
        self.ddr.invalidates += 1
        host = self.ddr.host_copies.get(bo)
        if host is not None:
            host[offset:offset + nbytes] = self.ddr.view(bo + offset, nbytes)
