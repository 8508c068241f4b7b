"""The PYNQ driver of a hwgen overlay: `UltrasoundOverlay`. numpy and pynq only, Python 3.10.

    >>> from hwgen.runtime import UltrasoundOverlay
    >>> ov = UltrasoundOverlay("hwgen.bit")       # metadata.json beside it; refuses another model's overlay
    >>> ov.classify(frames)                       # class names; frames (N, time, depth) uint8 or float
    >>> ov.predict_proba(frames)                  # softmax of the exact logits
    >>> ov.throughput_test()                      # frames/s, us/frame, bandwidth, accelerator cycles
    >>> for hop in ov.stream(lines, hop=64):      # M-mode in real time: a label per hop of A-lines
    ...     print(hop.label, hop.latency_s)

The accelerator and the AXI DMA are found by IP type in the overlay, whatever their cell names. Every
frame is one DMA transfer each way (the stream protocol ends a frame's input and its result with TLAST,
and the DMA's receive channel completes on TLAST): the receive transfer is started before the send,
both are polled against a deadline (pynq's own `wait()` spins forever), and a transfer that misses it
resets the DMA and the accelerator and raises `TransferTimeout`. Buffers are allocated once (`batch`
frames each way) and reused; uint8 frames of an 8-bit input go into them with one copy.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

import numpy as np
from pynq import DefaultIP, Overlay

from hwgen.runtime import protocol
from hwgen.runtime.errors import BoardError, DmaError, FrameError, OverlayMismatch, TransferTimeout
from hwgen.runtime.protocol import StreamFormat

ACCEL_VLNV = "hwgen.org:hwgen:hwgen_accel:1.0"
DMA_VLNV = "xilinx.com:ip:axi_dma:7.1"
# AXI DMA, direct register mode (PG021): channel bases, registers, bits.
MM2S, S2MM = 0x00, 0x30
DMACR, DMASR, ADDR, ADDR_MSB, LENGTH = 0x00, 0x04, 0x18, 0x1C, 0x28
CR_RS, CR_RESET = 0x1, 0x4
SR_HALTED, SR_IDLE, SR_ERRORS = 0x1, 0x2, 0x70
SR_ERROR_NAMES = {0x10: "internal error (a packet longer than the buffer, or length 0)",
                  0x20: "slave error (memory access failed)", 0x40: "decode error (address outside its segments)"}
RESET_POLLS = 10_000


class HwgenAccelerator(DefaultIP):
    """The hwgen accelerator's AXI-Lite block (`hwgen.runtime.protocol.REGISTERS`), bound by IP type.

    Register offsets come from the deployment metadata's table (`configure`): the HLS backend places them
    elsewhere and lacks the cycle counters; `get` returns None for a register the backend does not have.
    """

    bindto = [ACCEL_VLNV]

    def __init__(self, description):
        super().__init__(description=description)
        self.offsets = protocol.register_offsets(None)
        self.backend = "rtl"

    def configure(self, registers: dict | None) -> None:
        self.offsets = protocol.register_offsets(registers)
        self.backend = (registers or {}).get("backend") or "rtl"

    def has(self, name: str) -> bool:
        return name in self.offsets

    def get(self, name: str) -> int | None:
        offset = self.offsets.get(name)
        return None if offset is None else self.read(offset)

    def identity(self) -> dict:
        """What the hardware says it is: graph id, frame shape, classes, input bits, protocol version."""
        shape, classes = self.get("SHAPE"), self.get("CLASSES")
        return {"graph_id": self.get("ID_LO") | self.get("ID_HI") << 32, "time": shape & 0xFFFF,
                "depth": shape >> 16, "n_classes": classes & 0xFFFF, "in_bits": (classes >> 16) & 0xFF,
                "protocol_version": classes >> 24}

    def counters(self) -> dict:
        names = ("FRAMES", "LAST_CYCLES", "INTERVAL", "ERRORS", "SATURATIONS", "STATUS")
        return {name.lower(): self.get(name) for name in names}

    def soft_reset(self) -> None:
        self.write(self.offsets["CTRL"], protocol.CTRL_SOFT_RESET)
        if self.backend == "hls":      # HLS samples CTRL at every frame: release it (protocol.HLS_NOTES)
            self.write(self.offsets["CTRL"], 0)

    def clear_errors(self) -> None:
        if self.backend == "hls":
            self.write(self.offsets["CTRL"], protocol.CTRL_CLEAR)
            self.write(self.offsets["CTRL"], 0)
        else:
            self.write(self.offsets["ERRORS"], protocol.ERROR_SHORT_FRAME | protocol.ERROR_LONG_FRAME)


class Result(NamedTuple):
    """Outputs of a batch: class indices (N,) and the exact logits (N, n_classes) as integers."""

    index: np.ndarray
    logits: np.ndarray


class Hop(NamedTuple):
    """One window of `UltrasoundOverlay.stream`: its label, class index, exact logits, the number of
    A-lines received when it was sent, and the time from that line's arrival to the label."""

    label: str
    index: int
    logits: np.ndarray
    line: int
    latency_s: float


@dataclass
class ThroughputReport:
    frames: int
    seconds: float
    frames_per_s: float
    us_per_frame: float
    in_mb_per_s: float
    out_mb_per_s: float
    pack_us_per_frame: float          # quantise + pack + flush
    dma_us_per_frame: float           # the transfers, as the host waits on them
    unpack_us_per_frame: float        # invalidate + unpack + checks
    clock_mhz: float
    clock_source: str
    latency_cycles: int | None        # LAST_CYCLES: first input beat to last output beat of the last frame
    interval_cycles: int | None       # INTERVAL: first input beats of the last two frames
    accel_us_per_frame: float | None  # latency_cycles at clock_mhz: the accelerator's share of a frame
    host_us_per_frame: float | None   # us_per_frame - accel_us_per_frame: the host's share
    frames_counted: int | None        # the accelerator's FRAMES counter over the run

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        lines = [f"{self.frames} frames in {self.seconds:.3f} s: {self.frames_per_s:,.1f} frames/s, "
                 f"{self.us_per_frame:,.1f} us/frame, {self.in_mb_per_s:.2f} MB/s in, {self.out_mb_per_s:.3f} MB/s out",
                 f"  host: pack {self.pack_us_per_frame:,.1f} us, DMA {self.dma_us_per_frame:,.1f} us, "
                 f"unpack {self.unpack_us_per_frame:,.1f} us per frame"]
        if self.latency_cycles is not None:
            lines.append(f"  accelerator at {self.clock_mhz:g} MHz ({self.clock_source}): {self.latency_cycles:,} cycles "
                         f"= {self.accel_us_per_frame:,.2f} us/frame from first input to last output beat; "
                         f"interval {self.interval_cycles:,} cycles; host share {self.host_us_per_frame:,.1f} us/frame")
        else:
            lines.append("  accelerator cycles: not available (this backend has no cycle counter)")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:   # IPython / Jupyter display
        printer.text(str(self))


def load_metadata(bitfile: Path, metadata) -> dict:
    """The deployment metadata: a dict, a path, or metadata.json beside the bitstream."""
    if isinstance(metadata, dict):
        return metadata
    path = Path(metadata) if metadata is not None else Path(bitfile).with_name("metadata.json")
    if not path.is_file():
        raise BoardError(f"{path}: no deployment metadata; copy the whole deploy/ folder of the build "
                         "(metadata.json describes the model the overlay was built for)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise BoardError(f"{path}: not valid JSON ({err})") from None


def _one(ip_dict: dict, vlnv: str, what: str) -> list[str]:
    found = [name for name, ip in ip_dict.items() if ip.get("type") == vlnv]
    if not found:
        kinds = sorted({str(ip.get("type")) for ip in ip_dict.values()})
        raise OverlayMismatch(f"the overlay has no {what} ({vlnv}); its IP: {', '.join(kinds)}")
    return found


class UltrasoundOverlay(Overlay):
    """A hwgen overlay: the accelerator, its DMA, buffers, and the model's stream format and classes.

    bitfile   the .bit (its .hwh beside it, as pynq requires); `metadata` defaults to metadata.json beside it
    batch     frames per buffer (buffers are allocated once: `batch` frames in, `batch` results out)
    timeout   seconds one frame's transfers may take before the DMA and accelerator are reset
    cacheable allocate cached buffers (flushed/invalidated around each batch) rather than uncached ones
    """

    def __init__(self, bitfile, metadata=None, batch: int = 32, timeout: float = 1.0, cacheable: bool = True,
                 download: bool = True, device=None, ignore_version: bool = False):
        if batch < 1 or timeout <= 0:
            raise ValueError(f"batch {batch} and timeout {timeout} must be positive")
        meta = load_metadata(Path(bitfile), metadata)
        super().__init__(str(bitfile), download=download, ignore_version=ignore_version, device=device)
        self.metadata = meta
        try:
            self.format = StreamFormat.from_json(meta["stream"])
        except (KeyError, TypeError, ValueError) as err:
            raise BoardError(f"deployment metadata: no usable stream format ({err})") from None
        fmt = self.format
        self.classes = list(meta.get("classes") or [f"class{i}" for i in range(fmt.n_classes)])
        self.timeout, self.batch = float(timeout), int(batch)
        self.accelerator_name = self._pick_accelerator()
        self.accelerator: HwgenAccelerator = self._ip(self.accelerator_name)
        self.accelerator.configure(meta.get("registers"))
        self.dma_name = self._pick_dma()
        self.dma = self._ip(self.dma_name)
        self._dma_mmio = self.dma.mmio
        self.check_identity()
        self._check_dma()
        self._allocate(cacheable)
        self._cycles_ok = self.accelerator.has("LAST_CYCLES")

    # ------------------------------------------------------------------ binding and checks
    def _ip(self, fullpath: str):
        obj = self
        for part in fullpath.split("/"):
            obj = getattr(obj, part)
        return obj

    def _pick_accelerator(self) -> str:
        found = _one(self.ip_dict, ACCEL_VLNV, "hwgen accelerator")
        if len(found) > 1:
            raise OverlayMismatch(f"the overlay has {len(found)} hwgen accelerators ({', '.join(found)}); "
                                  "this driver runs one")
        return found[0]

    def _pick_dma(self) -> str:
        """The AXI DMA whose streams reach the accelerator (by the .hwh's stream links when there are several)."""
        found = _one(self.ip_dict, DMA_VLNV, "AXI DMA")
        if len(found) == 1:
            return found[0]
        linked = [name for name in found if _streams_reach(self.bitfile_name, name, self.accelerator_name)]
        if len(linked) != 1:
            raise OverlayMismatch(f"{len(found)} AXI DMAs ({', '.join(found)}); {len(linked)} stream to "
                                  f"{self.accelerator_name}")
        return linked[0]

    def check_identity(self) -> None:
        """Refuse an overlay built from another model: the accelerator's ID, SHAPE and CLASSES registers
        against the metadata."""
        fmt, hw = self.format, self.accelerator.identity()
        want = {"graph_id": fmt.graph_id, "time": fmt.time, "depth": fmt.depth, "n_classes": fmt.n_classes,
                "in_bits": fmt.in_bits, "protocol_version": protocol.PROTOCOL_VERSION}
        wrong = [k for k in want if hw[k] != want[k]]
        if wrong:
            def describe(d):
                return (f"graph {d['graph_id']:#018x} ({d['time']} x {d['depth']} -> {d['n_classes']} classes, "
                        f"{d['in_bits']}-bit input, protocol {d['protocol_version']})")
            raise OverlayMismatch(f"the overlay's accelerator is {describe(hw)}, the deployment metadata describes "
                                  f"{describe(want)} (differs in {', '.join(wrong)}): the overlay was built from "
                                  "another model; use the metadata.json of its own build")

    def _check_dma(self) -> None:
        fmt, params = self.format, self.ip_dict[self.dma_name]["parameters"]
        if int(params.get("c_include_sg", 0)):
            raise OverlayMismatch(f"{self.dma_name} is in scatter-gather mode; hwgen's driver uses direct register mode")
        widths = (int(params.get("c_m_axis_mm2s_tdata_width", 0)), int(params.get("c_s_axis_s2mm_tdata_width", 0)))
        if widths != (fmt.data_width, protocol.OUT_WIDTH):
            raise OverlayMismatch(f"{self.dma_name} streams {widths[0]} bits out and {widths[1]} in; the accelerator's "
                                  f"ports are {fmt.data_width} and {protocol.OUT_WIDTH} bits")
        length_bits = int(params.get("c_sg_length_width", 14))
        longest = max(fmt.in_bytes_per_frame, fmt.out_bytes_per_frame)
        if longest > (1 << length_bits) - 1:
            raise OverlayMismatch(f"{self.dma_name}'s {length_bits}-bit length register moves at most "
                                  f"{(1 << length_bits) - 1} bytes; one frame is {fmt.in_bytes_per_frame} bytes: rebuild "
                                  f"the overlay with c_sg_length_width >= {longest.bit_length()} (hwgen's block design sets 26)")
        self._align = {MM2S: int(params.get("c_m_axi_mm2s_data_width", 32)) // 8,
                       S2MM: int(params.get("c_m_axi_s2mm_data_width", 32)) // 8}
        self._wide_addresses = int(params.get("c_addr_width", 32)) > 32

    def _allocate(self, cacheable: bool) -> None:
        fmt = self.format
        self._in_stride = -(-fmt.in_bytes_per_frame // self._align[MM2S]) * self._align[MM2S]
        out_stride = -(-fmt.out_bytes_per_frame // self._align[S2MM]) * self._align[S2MM]
        self._in = self.device.allocate((self.batch, self._in_stride), np.uint8, cacheable=cacheable)
        self._out = self.device.allocate((self.batch, out_stride // 4), np.uint32, cacheable=cacheable)
        self._in[:] = 0            # lane padding is never written again
        self._in.flush()
        self._out_stride = out_stride

    # ------------------------------------------------------------------ frames in
    def _inputs(self, frames) -> tuple[np.ndarray, bool]:
        """(input integers (N, T, D), single) for uint8/uint16 integers or float frames in [0, 1]."""
        fmt = self.format
        x = np.asarray(frames)
        single = x.ndim == 2
        if single:
            x = x[None]
        if x.ndim != 3 or x.shape[1:] != (fmt.time, fmt.depth):
            raise FrameError(f"frames of shape {np.shape(frames)}: this overlay takes (N, {fmt.time}, {fmt.depth}) "
                             f"or ({fmt.time}, {fmt.depth}) ({fmt.time} lines x {fmt.depth} depth values)")
        return self._quantized(x), single

    def _quantized(self, x: np.ndarray) -> np.ndarray:
        """Input integers of float values in [0, 1] (rounded and clipped as the graph's input node does)
        or of integers already (range-checked: never wrapped); uint8 of an 8-bit input as it is."""
        fmt = self.format
        if x.dtype.kind == "f":
            if not np.isfinite(x).all():
                raise FrameError("frames contain NaN or infinite values")
            return fmt.quantize(x)
        if x.dtype.kind in "ui" and x.dtype.itemsize <= 2:
            if x.dtype != np.uint8 or fmt.in_bits != 8:
                top = (1 << fmt.in_bits) - 1
                if x.size and (x.min() < 0 or x.max() > top):
                    raise FrameError(f"integer frames hold {x.min()}..{x.max()}; this overlay's input integers are "
                                     f"0..{top} ({fmt.in_bits} bits); pass float frames in [0, 1] to have them quantised")
            return x
        raise FrameError(f"frames of dtype {x.dtype}: pass float frames in [0, 1] or the input integers as uint8/uint16")

    # ------------------------------------------------------------------ DMA
    def _start(self, channel: int, address: int, nbytes: int) -> None:
        write = self._dma_mmio.write
        write(channel + ADDR, address & 0xFFFFFFFF)
        if self._wide_addresses:
            write(channel + ADDR_MSB, address >> 32)
        write(channel + LENGTH, nbytes)

    def _wait(self, channel: int, deadline: float, frame: int, frames_before: int | None) -> None:
        read = self._dma_mmio.read
        status_offset = channel + DMASR
        while True:
            status = read(status_offset)
            if status & SR_IDLE:
                return
            if status & (SR_ERRORS | SR_HALTED):
                self.reset_hardware()
                errors = [text for bit, text in SR_ERROR_NAMES.items() if status & bit] or ["halted"]
                raise DmaError(f"frame {frame}: the DMA's {'receive' if channel else 'send'} channel stopped with "
                               f"{'; '.join(errors)} (status {status:#x}); the DMA and the accelerator were reset")
            if time.monotonic() > deadline:
                self._timed_out(channel, frame, frames_before)

    def _timed_out(self, channel: int, frame: int, frames_before: int | None) -> None:
        frames_done = self.accelerator.get("FRAMES")
        if channel == MM2S or not self._dma_mmio.read(MM2S + DMASR) & SR_IDLE:
            why = "the accelerator did not take the whole frame (its input stays back-pressured)"
        elif frames_before is not None and frames_done is not None and frames_done > frames_before:
            why = ("the accelerator finished the frame (FRAMES counted it) but the DMA's receive channel never "
                   "completed: the result had no TLAST, or the DMA never saw it")
        else:
            why = "the accelerator returned no result"
        self.reset_hardware()
        raise TransferTimeout(f"frame {frame}: {'send' if channel == MM2S else 'receive'} transfer not done after "
                              f"{self.timeout:g} s: {why}; the DMA and the accelerator were reset")

    def reset_hardware(self) -> None:
        """Reset the DMA (both channels) and the accelerator, then restart the DMA's channels.
        (`reset()` is pynq's Overlay.reset: it resets the overlay's dictionaries.)"""
        mmio = self._dma_mmio
        mmio.write(MM2S + DMACR, CR_RESET)
        self._poll_clear(MM2S + DMACR, CR_RESET, "did not come out of reset")
        for channel in (MM2S, S2MM):
            mmio.write(channel + DMACR, CR_RS)
            self._poll_clear(channel + DMASR, SR_HALTED, f"channel at {channel:#x} did not start after a reset")
        self.accelerator.soft_reset()

    def _poll_clear(self, offset: int, bits: int, failure: str) -> None:
        """Read the DMA register at `offset` until `bits` clear, at most RESET_POLLS times."""
        for _ in range(RESET_POLLS):
            if not self._dma_mmio.read(offset) & bits:
                return
        raise BoardError(f"{self.dma_name} {failure}")

    def _transfer(self, n: int) -> tuple[float, float, float]:
        """Run frames 0..n-1 of the input buffer into the output buffer, one transfer pair per frame."""
        fmt = self.format
        in_bytes, out_bytes = fmt.in_bytes_per_frame, fmt.out_bytes_per_frame
        in_address, out_address = self._in.physical_address, self._out.physical_address
        frames_before = self.accelerator.get("FRAMES")
        read = self._dma_mmio.read
        for i in range(n):
            self._start(S2MM, out_address + i * self._out_stride, out_bytes)   # receive first
            self._start(MM2S, in_address + i * self._in_stride, in_bytes)
            deadline = time.monotonic() + self.timeout
            self._wait(S2MM, deadline, i, frames_before)   # a result needs the whole frame: then the send is
            self._wait(MM2S, deadline, i, frames_before)   # done too, and this is one read
            got = read(S2MM + LENGTH)
            if got != out_bytes:
                self.reset_hardware()
                raise BoardError(f"frame {i}: the accelerator's result was {got} bytes, expected {out_bytes} "
                                 f"(1 + {fmt.n_classes} beats of 32 bits ending with TLAST)")
        errors = self.accelerator.get("ERRORS")
        if errors:
            self.accelerator.clear_errors()
            raise BoardError(f"the accelerator flagged {'short' if errors & protocol.ERROR_SHORT_FRAME else ''}"
                             f"{' and ' if errors == 3 else ''}{'long' if errors & protocol.ERROR_LONG_FRAME else ''} "
                             f"frames (ERRORS {errors:#x}): the DMA sent transfers of another length than "
                             f"{in_bytes} bytes")

    def _run_chunk(self, q: np.ndarray, index: np.ndarray, logits: np.ndarray, timing: list | None = None) -> None:
        n, fmt = len(q), self.format
        t0 = time.perf_counter()
        rows = self._in[:n]
        fmt.pack(q, out=rows[:, :fmt.in_bytes_per_frame])
        rows.flush()
        t1 = time.perf_counter()
        self._transfer(n)
        t2 = time.perf_counter()
        out = self._out[:n]
        out.invalidate()
        cls, lg = fmt.unpack(out[:, :fmt.out_beats_per_frame])
        if not np.array_equal(cls, np.argmax(lg, axis=1)):
            bad = int(np.flatnonzero(cls != np.argmax(lg, axis=1))[0])
            raise BoardError(f"frame {bad}: the accelerator's class index {cls[bad]} is not the arg-max of its "
                             f"logits {lg[bad].tolist()} (corrupt result)")
        index[:] = cls
        logits[:] = lg
        if timing is not None:
            timing.append((t1 - t0, t2 - t1, time.perf_counter() - t2))

    # ------------------------------------------------------------------ public API
    def run(self, frames, _timing: list | None = None) -> Result:
        """Class indices and exact integer logits of every frame (real logit = q * 2**-logit_frac)."""
        q, single = self._inputs(frames)
        n = len(q)
        index = np.empty(n, dtype=np.int64)
        logits = np.empty((n, self.format.n_classes), dtype=np.int64)
        for start in range(0, n, self.batch):
            stop = min(n, start + self.batch)
            self._run_chunk(q[start:stop], index[start:stop], logits[start:stop], _timing)
        if single:
            return Result(index[0], logits[0])
        return Result(index, logits)

    def predict(self, frames) -> np.ndarray:
        """Class indices (an int for one frame)."""
        return self.run(frames).index

    def classify(self, frames):
        """Class names (a str for one frame)."""
        index = self.run(frames).index
        if np.ndim(index) == 0:
            return self.classes[int(index)]
        return [self.classes[i] for i in index]

    def logits(self, frames) -> np.ndarray:
        """The exact logits as real numbers (q * 2**-logit_frac)."""
        return self.format.logits_to_float(self.run(frames).logits)

    def predict_proba(self, frames) -> np.ndarray:
        """Class probabilities: the softmax of the exact logits (the graph drops the model's softmax)."""
        z = self.logits(frames)
        z = z - z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def verify(self, vectors=None) -> dict:
        """Run the deployment's test vectors (test_vectors.npz beside the metadata) and compare every
        class index and logit with the golden model's."""
        if vectors is None:
            vectors = Path(self.bitfile_name).with_name("test_vectors.npz")
        if not isinstance(vectors, dict) and not Path(vectors).is_file():
            raise BoardError(f"{vectors}: no test vectors (the deployment folder ships test_vectors.npz)")
        data = np.load(vectors) if not isinstance(vectors, dict) else vectors
        result = self.run(data["q"])
        wrong = np.flatnonzero((result.index != data["expected_class"])
                               | (result.logits != data["expected_logits"]).any(axis=1))
        return {"frames": int(len(result.index)), "mismatched_frames": int(len(wrong)),
                "first_mismatch": int(wrong[0]) if len(wrong) else None}

    def clock_mhz(self) -> tuple[float, str]:
        """The accelerator's clock (FCLK0 / pl_clk0 read from the PS, else the metadata's) and its source."""
        try:
            from pynq import Clocks

            return float(Clocks.fclk0_mhz), "PS clock registers"
        except Exception:       # pynq's Clocks fails off-target: fall back to what the build asked for
            return float(self.metadata.get("clock_mhz") or 100.0), "deployment metadata"

    def throughput_test(self, frames=None, n_frames: int = 256) -> ThroughputReport:
        """Time `n_frames` frames (the test vectors, repeated, unless `frames` is given) after one warm-up
        batch: wall-clock rate, per-stage host time, and the accelerator's own cycle counters."""
        if frames is None:
            path = Path(self.bitfile_name).with_name("test_vectors.npz")
            frames = np.load(path)["q"] if path.is_file() else np.random.default_rng(0).integers(
                0, 256, (self.batch, self.format.time, self.format.depth), dtype=np.uint8)
        q, _ = self._inputs(frames)
        q = np.resize(q, (n_frames,) + q.shape[1:])
        self.run(q[:self.batch])                      # warm-up: caches, lazy imports
        before = self.accelerator.get("FRAMES")
        timing: list = []
        start = time.perf_counter()
        self.run(q, _timing=timing)
        seconds = time.perf_counter() - start
        after = self.accelerator.get("FRAMES")
        pack, dma, unpack = (sum(t[i] for t in timing) / n_frames * 1e6 for i in range(3))
        fmt = self.format
        mhz, source = self.clock_mhz()
        latency = self.accelerator.get("LAST_CYCLES") if self._cycles_ok else None
        interval = self.accelerator.get("INTERVAL")
        accel_us = latency / mhz if latency else None
        us = seconds / n_frames * 1e6
        return ThroughputReport(
            frames=n_frames, seconds=seconds, frames_per_s=n_frames / seconds, us_per_frame=us,
            in_mb_per_s=fmt.in_bytes_per_frame * n_frames / seconds / 1e6,
            out_mb_per_s=fmt.out_bytes_per_frame * n_frames / seconds / 1e6,
            pack_us_per_frame=pack, dma_us_per_frame=dma, unpack_us_per_frame=unpack,
            clock_mhz=mhz, clock_source=source, latency_cycles=latency, interval_cycles=interval,
            accel_us_per_frame=accel_us, host_us_per_frame=us - accel_us if accel_us else None,
            frames_counted=None if before is None or after is None else after - before)

    def stream(self, lines: Iterable, hop: int | None = None) -> Iterator[Hop]:
        """Classify M-mode as it arrives: `lines` yields A-lines (depth,) or blocks of them (k, depth);
        once a window of `time` lines has arrived, and every `hop` lines after that (default half a
        window), the latest window is classified and a `Hop` yielded."""
        fmt = self.format
        hop = fmt.time // 2 if hop is None else int(hop)
        if not 1 <= hop:
            raise ValueError(f"hop {hop}: give a positive number of lines")
        t = fmt.time
        ring = np.zeros((2 * t, fmt.depth), dtype=fmt.lane_dtype)   # each line at pos and pos + t
        index = np.empty(1, dtype=np.int64)
        logits = np.empty((1, fmt.n_classes), dtype=np.int64)
        pos = received = since = 0
        for block in lines:
            arr = np.asarray(block)
            if arr.ndim == 1:
                arr = arr[None]
            if arr.ndim != 2 or arr.shape[1] != fmt.depth:
                raise FrameError(f"A-lines of shape {np.shape(block)}: this overlay takes lines of {fmt.depth} depth "
                                 f"values, one ({fmt.depth},) or a block (k, {fmt.depth}) at a time")
            for line in self._quantized(arr):
                ring[pos] = line
                ring[pos + t] = line
                pos = (pos + 1) % t
                received += 1
                since += 1
                if received >= t and since >= hop:
                    since = 0
                    arrived = time.perf_counter()
                    self._run_chunk(ring[pos:pos + t][None], index, logits)
                    yield Hop(self.classes[int(index[0])], int(index[0]), logits[0].copy(), received,
                              time.perf_counter() - arrived)


def _streams_reach(bitfile: str, dma: str, accel: str) -> bool:
    """Whether the .hwh beside `bitfile` links `dma`'s MM2S stream to `accel`."""
    import xml.etree.ElementTree as ET

    buses: dict[str, set] = {}
    for module in ET.parse(Path(bitfile).with_suffix(".hwh")).getroot().iter("MODULE"):
        for bus in module.iter("BUSINTERFACE"):
            if (bus.get("VLNV") or "").startswith("xilinx.com:interface:axis:"):
                buses.setdefault(bus.get("BUSNAME"), set()).add(module.get("INSTANCE"))
    return any({dma, accel} <= cells for cells in buses.values())
