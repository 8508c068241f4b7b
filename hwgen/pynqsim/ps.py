"""The processing system's clock registers, so pynq's own `Clocks` runs unchanged on the simulated board.

`Overlay.download()` programs the fabric clock dividers read from the .hwh (`Clocks.set_pl_clk`) and
`Clocks.fclk0_mhz` reads them back; both go through these registers: the Zynq-7000 SLCR (PLL feedback
dividers, FPGAn_CLK_CTRL) or the Zynq UltraScale+ CRL_APB/CRF_APB (PLL FBDIV, PLn_REF_CTRL). Reset values
give the board's PLL rates (`pl_pll_mhz` of boards/<name>.toml: 1000 MHz IO PLL on the PYNQ-Z1/Z2,
1500 MHz on the UltraScale+ boards) and the CPU rate of the board's image.
"""

from __future__ import annotations

ZYNQ_ARCH, ZU_ARCH = "armv7l", "aarch64"   # pynq.ps.ZYNQ_ARCH / ZU_ARCH: what Clocks dispatches on
ZYNQ_REF_MHZ, ZU_REF_MHZ = 50.0, 33.333


class RegisterFile:
    """Plain read/write 32-bit registers at byte offsets (unlisted offsets read 0 and ignore writes)."""

    def __init__(self, name: str, values: dict[int, int]):
        self.name, self.values = name, dict(values)

    def read(self, offset: int) -> int:
        return self.values.get(offset, 0)

    def write(self, offset: int, value: int) -> None:
        if offset in self.values:
            self.values[offset] = value & 0xFFFFFFFF


def _field(value: int, offset: int) -> int:
    return value << offset


def zynq_slcr(pl_pll_mhz: float = 1000.0, cpu_mhz: float = 650.0) -> tuple[int, RegisterFile]:
    """SLCR at 0xF8000000: ARM/DDR/IO PLL (PLL_FDIV at bit 12), ARM_CLK_CTRL, FPGA0..3_CLK_CTRL (source IO PLL)."""
    io_fdiv = round(pl_pll_mhz / ZYNQ_REF_MHZ)
    arm_fdiv = round(2 * cpu_mhz / ZYNQ_REF_MHZ)
    fclk = _field(0, 4) | _field(10, 8) | _field(1, 20)                  # IO PLL / 10 / 1
    values = {0x100: _field(arm_fdiv, 12), 0x104: _field(21, 12), 0x108: _field(io_fdiv, 12),
              0x120: _field(0, 4) | _field(2, 8),                          # ARM PLL / 2
              0x170: fclk, 0x180: fclk, 0x190: fclk, 0x1A0: fclk}
    return 0xF800_0000, RegisterFile("slcr", values)


def zu_crl_crf(pl_pll_mhz: float = 1500.0, cpu_mhz: float = 1200.0) -> list[tuple[int, RegisterFile]]:
    """CRL_APB at 0xFF5E0000 (IOPLL, RPLL, PL0..3_REF_CTRL from RPLL) and CRF_APB at 0xFD1A0000
    (APLL, DPLL, VPLL, ACPU_CTRL)."""
    pll = _field(round(pl_pll_mhz / ZU_REF_MHZ), 8)                        # FBDIV, PRE_SRC 0, DIV2 0
    apll = _field(round(2 * cpu_mhz / ZU_REF_MHZ), 8) | _field(1, 16)      # DIV2
    ref = _field(2, 0) | _field(15, 8) | _field(1, 16) | _field(1, 24)     # RPLL / 15 / 1, CLKACT
    crl = {0x20: pll, 0x30: pll, 0xC0: ref, 0xC4: ref, 0xC8: ref, 0xCC: ref}
    crf = {0x20: apll, 0x2C: pll, 0x38: pll, 0x60: _field(0, 0) | _field(1, 8)}
    return [(0xFF5E_0000, RegisterFile("crl_apb", crl)), (0xFD1A_0000, RegisterFile("crf_apb", crf))]


def clock_windows(ps_type: str, pl_pll_mhz: float | None = None) -> tuple[str, list[tuple[int, int, RegisterFile]]]:
    """(pynq architecture, [(base, size, registers)]) of a processing system "ps7" or "ps8"."""
    if ps_type == "ps7":
        base, regs = zynq_slcr(pl_pll_mhz or 1000.0)
        return ZYNQ_ARCH, [(base, 0x200, regs)]
    if ps_type == "ps8":
        return ZU_ARCH, [(base, 0x100, regs) for base, regs in zu_crl_crf(pl_pll_mhz or 1500.0)]
    raise ValueError(f"processing system {ps_type!r}: the simulated board has ps7 (Zynq-7000) or ps8 (UltraScale+)")


def ps_type_of(ip_dict: dict) -> str | None:
    """The processing system of a parsed design: "ps7", "ps8" or None."""
    for info in ip_dict.values():
        kind = (info.get("type") or "").split(":")
        if len(kind) > 2 and kind[2] == "processing_system7":
            return "ps7"
        if len(kind) > 2 and kind[2] == "zynq_ultra_ps_e":
            return "ps8"
    return None
