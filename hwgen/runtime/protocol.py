"""The accelerator's interface, shared by both backends (hwgen RTL, hls4ml IP) and the PYNQ driver.

numpy only and Python 3.10-clean: this module runs on the board.

Input stream (`s_axis`, DMA MM2S, `data_width` bits, default 64 = the HP port):
    A frame is one model window, T lines x D depth values, sent line by line (time-major, depth
    minor). Each value is the input type's integer q (unsigned, `in_bits` bits, e.g. 8 for
    ap_ufixed<8,0>), stored in a lane of `lane_bits` = 8*ceil(in_bits/8) bits. A beat packs
    `lanes` = data_width/lane_bits consecutive values, value j of the beat at tdata[j*lane_bits +:
    lane_bits] (little-endian in memory, so a uint8 frame is its own byte image). The last beat of a
    frame is padded with zeros when T*D is not a multiple of `lanes`; `tlast` marks it.
    The frame length is fixed by the model, not by tlast: a transfer that ends early (tlast before
    the frame's last beat) is completed with zeros, so it still yields one (meaningless) result, and
    sets ERRORS bit 0; a transfer running past the frame's last beat yields that frame's result, its
    remaining beats up to tlast are dropped, and it sets ERRORS bit 1. Either way the next frame
    comes out right.
Output stream (`m_axis`, DMA S2MM, `out_width` = 32 bits):
    per frame 1 + n_classes beats: beat 0 the class index (unsigned), beats 1..n_classes the exact
    logits (the integer graph's last node, two's complement sign-extended to 32 bits; real value =
    q * 2**-logit_frac). `tlast` on the last beat of every frame.
Control (`s_axi_ctrl`, AXI4-Lite, 32-bit registers, a 4 KiB window): `REGISTERS` below.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

PROTOCOL_VERSION = 1
OUT_WIDTH = 32

# AXI-Lite register map: name -> (byte offset, access, meaning). Offsets are fixed for every model.
REGISTERS = {
    "CTRL": (0x00, "rw", "bit 0: soft reset (self-clearing: drains the pipeline, zeroes counters and "
                         "error flags); bit 1: clear counters and error flags only"),
    "STATUS": (0x04, "r", "bit 0: busy (a frame is inside the accelerator); bit 1: an error flag is set"),
    "ID_LO": (0x08, "r", "low 32 bits of the graph's identification hash"),
    "ID_HI": (0x0C, "r", "high 32 bits of the graph's identification hash"),
    "FRAMES": (0x10, "r", "frames completed (last output beat sent) since reset"),
    "LAST_CYCLES": (0x14, "r", "cycles from the first input beat to the last output beat of the last frame, "
                               "both beats counted (0 if more frames were in flight than the accelerator "
                               "times individually: 4 in hwgen's RTL)"),
    "ERRORS": (0x18, "rw1c", "sticky flags, write 1 to clear: bit 0 short frame (tlast before the frame's "
                             "last beat: completed with zeros), bit 1 long frame (no tlast on the frame's "
                             "last beat: the rest of the transfer dropped)"),
    "SATURATIONS": (0x1C, "r", "values clipped by the accelerator's intermediate requantisers since reset "
                               "(a quantizer clipping at its own range does not count)"),
    "SHAPE": (0x20, "r", "bits 15:0 frame lines T, bits 31:16 depth values D"),
    "CLASSES": (0x24, "r", "bits 15:0 number of classes, bits 23:16 input value bits, bits 31:24 protocol version"),
    "INTERVAL": (0x28, "r", "cycles between the first input beats of the last two frames (0 before the second)"),
}
REGISTER_WINDOW = 0x1000  # bytes of address space the control block decodes (Vivado wants >= 4 KiB)
# Bit fields of the registers (name, bit offset, width), listed in the IP's memory map so PYNQ's
# `register_map` shows them; a register without an entry is one 32-bit field of its own name.
REGISTER_FIELDS = {
    "CTRL": [("SOFT_RESET", 0, 1), ("CLEAR", 1, 1)],
    "STATUS": [("BUSY", 0, 1), ("ERROR", 1, 1)],
    "ERRORS": [("SHORT_FRAME", 0, 1), ("LONG_FRAME", 1, 1)],
    "SHAPE": [("LINES", 0, 16), ("DEPTH", 16, 16)],
    "CLASSES": [("N_CLASSES", 0, 16), ("IN_BITS", 16, 8), ("VERSION", 24, 8)],
}

# Backends. The RTL backend decodes REGISTERS at their offsets. Vitis HLS places an s_axilite scalar
# argument at a data word followed by a control word (the `_ap_vld` bit of an output), so the HLS
# wrapper asks for the offsets below and cannot implement every register (HLS has no cycle counter and
# no view of hls4ml's internal saturations). A build records the offsets HLS actually generated in the
# deployment metadata (`registers` table, see `register_offsets`), so one driver serves both backends.
HLS_REGISTERS = {"CTRL": 0x10, "STATUS": 0x20, "ID_LO": 0x30, "ID_HI": 0x40, "FRAMES": 0x50,
                 "ERRORS": 0x60, "SHAPE": 0x70, "CLASSES": 0x80}
HLS_NOTES = {
    "CTRL": "sampled when the accelerator starts waiting for a frame: while CLEAR or SOFT_RESET is set, "
            "counters and error flags restart from zero at every frame; no pipeline drain",
    "STATUS": "BUSY always reads 0; ERROR as in the RTL backend",
    "ERRORS": "read-only (write 1 to clear is not possible in HLS): clear with CTRL.CLEAR",
    "FRAMES": "updated when the accelerator starts waiting for the next frame, a few cycles after the "
              "frame's last output beat",
}
CTRL_SOFT_RESET = 1 << 0
CTRL_CLEAR = 1 << 1
STATUS_BUSY = 1 << 0
STATUS_ERROR = 1 << 1
ERROR_SHORT_FRAME = 1 << 0
ERROR_LONG_FRAME = 1 << 1


def offset(name: str) -> int:
    """Byte offset of register `name`."""
    return REGISTERS[name][0]


@dataclass(frozen=True)
class StreamFormat:
    """What crosses the accelerator's ports for one model: enough to pack, unpack and check frames."""

    time: int                  # T lines per frame
    depth: int                 # D values per line
    n_classes: int
    in_bits: int = 8           # bits of the input type's integers (unsigned)
    in_frac: int = 8           # fractional bits of the input type: q = x * 2**in_frac, rounded, clipped
    logit_bits: int = 32       # width of the exact logits (<= OUT_WIDTH)
    logit_frac: int = 0        # fractional bits of the logits
    data_width: int = 64       # input AXI-Stream tdata bits
    graph_id: int = 0          # 64-bit identification hash of the integer graph

    def __post_init__(self):
        if self.time < 1 or self.depth < 1 or self.n_classes < 2:
            raise ValueError(f"stream format needs time, depth >= 1 and n_classes >= 2, got {self}")
        if not 1 <= self.in_bits <= 16:
            raise ValueError(f"input values of {self.in_bits} bits: the stream carries 1..16-bit inputs")
        if self.data_width % self.lane_bits or self.data_width < self.lane_bits:
            raise ValueError(f"data_width {self.data_width} is not a multiple of the {self.lane_bits}-bit lane")
        if not 1 <= self.logit_bits <= OUT_WIDTH:
            raise ValueError(f"logits of {self.logit_bits} bits do not fit the {OUT_WIDTH}-bit output beat")

    @property
    def lane_bits(self) -> int:
        return 8 * -(-self.in_bits // 8)

    @property
    def lanes(self) -> int:
        return self.data_width // self.lane_bits

    @property
    def values_per_frame(self) -> int:
        return self.time * self.depth

    @property
    def beats_per_frame(self) -> int:
        return -(-self.values_per_frame // self.lanes)

    @property
    def in_bytes_per_frame(self) -> int:
        return self.beats_per_frame * self.data_width // 8

    @property
    def out_beats_per_frame(self) -> int:
        return 1 + self.n_classes

    @property
    def out_bytes_per_frame(self) -> int:
        return self.out_beats_per_frame * OUT_WIDTH // 8

    @property
    def lane_dtype(self):
        return np.uint8 if self.lane_bits == 8 else np.uint16

    def to_json(self) -> dict:
        return asdict(self) | {"protocol_version": PROTOCOL_VERSION}

    @classmethod
    def from_json(cls, data: dict) -> StreamFormat:
        version = data.get("protocol_version", PROTOCOL_VERSION)
        if version != PROTOCOL_VERSION:
            raise ValueError(f"stream protocol version {version}; this hwgen speaks version {PROTOCOL_VERSION}")
        return cls(**{k: v for k, v in data.items() if k != "protocol_version"})

    # ------------------------------------------------------------------ input
    def quantize(self, x) -> np.ndarray:
        """Float frames (N, T, D) in [0, 1] -> input integers: round half to even, clip to the type.

        The same arithmetic as the integer graph's input node (ap_ufixed<in_bits, in_bits-in_frac,
        AP_RND_CONV, AP_SAT>); uint8 frames of an 8-bit, 8-fraction input are taken as they are.
        """
        x = np.asarray(x)
        if x.dtype == np.uint8 and self.in_bits == 8 and self.in_frac == 8:
            return x
        q = np.rint(np.asarray(x, dtype=np.float64) * 2.0**self.in_frac)  # rint: half to even
        return np.clip(q, 0, (1 << self.in_bits) - 1).astype(self.lane_dtype)

    def pack(self, q, out: np.ndarray | None = None) -> np.ndarray:
        """Input integers (N, T, D) -> the byte image of N frames (N, in_bytes_per_frame), uint8.

        `out` (e.g. a DMA buffer viewed as uint8) is filled in place when given.
        """
        q = np.asarray(q)
        if q.ndim == 2:
            q = q[None]
        if q.shape[1:] != (self.time, self.depth):
            raise ValueError(f"frames have shape {q.shape[1:]}, expected ({self.time}, {self.depth})")
        n = q.shape[0]
        if out is None:
            out = np.zeros((n, self.in_bytes_per_frame), dtype=np.uint8)
        lanes = out.reshape(n, -1).view(self.lane_dtype).reshape(n, -1)
        flat = q.reshape(n, -1)
        lanes[:, :flat.shape[1]] = flat
        lanes[:, flat.shape[1]:] = 0
        return out

    def beats(self, q) -> np.ndarray:
        """Input integers (N, T, D) -> tdata words (N, beats_per_frame) as Python ints (any width)."""
        image = self.pack(q)
        per_beat = self.data_width // 8
        raw = image.reshape(image.shape[0], self.beats_per_frame, per_beat)
        weights = 1 << (8 * np.arange(per_beat, dtype=object))
        return (raw.astype(object) * weights).sum(axis=2)

    # ------------------------------------------------------------------ output
    def unpack(self, words) -> tuple[np.ndarray, np.ndarray]:
        """Output beats (N, 1 + n_classes) uint32 (or any int array) -> (class index (N,), logits (N, C) int64)."""
        words = np.asarray(words, dtype=np.int64).reshape(-1, self.out_beats_per_frame) & 0xFFFFFFFF
        classes = words[:, 0]
        logits = words[:, 1:]
        logits = np.where(logits >= 1 << 31, logits - (1 << 32), logits)
        return classes, logits

    def output_words(self, logits) -> np.ndarray:
        """Exact logits (N, C) -> the output beats (N, 1 + C) uint32 the accelerator sends (argmax first,
        ties to the lowest index)."""
        logits = np.asarray(logits, dtype=np.int64).reshape(-1, self.n_classes)
        words = np.empty((logits.shape[0], self.out_beats_per_frame), dtype=np.int64)
        words[:, 0] = np.argmax(logits, axis=1)
        words[:, 1:] = logits & 0xFFFFFFFF
        return words.astype(np.uint32)

    def logits_to_float(self, logits) -> np.ndarray:
        return np.asarray(logits, dtype=np.float64) * 2.0**-self.logit_frac


def register_offsets(metadata: dict | None = None) -> dict:
    """Register name -> byte offset for a deployed accelerator.

    `metadata` is the deployment metadata's `registers` table (written by the board build:
    {"backend": "rtl"|"hls", "offsets": {name: offset}, ...}); without it, the RTL backend's REGISTERS.
    A register the backend does not implement is absent from the result.
    """
    if not metadata or metadata.get("offsets") is None:
        return {name: spec[0] for name, spec in REGISTERS.items()}
    unknown = set(metadata["offsets"]) - set(REGISTERS)
    if unknown:
        raise ValueError(f"register table names unknown registers {sorted(unknown)}")
    return {name: int(offset) for name, offset in metadata["offsets"].items()}
