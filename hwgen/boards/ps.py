"""What hwgen knows about each processing-system type: the IP, its clock/reset pins, its AXI ports.

A board file names its ports (`ctrl_port`, `data_port`); this table turns them into the PS's CONFIG
settings, the pins the block design connects and the address windows the control port decodes.
Parameter names follow the PS IP's own (PCW_* for processing_system7, PSU__* for zynq_ultra_ps_e).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PSPort:
    """One AXI port of the PS: the CONFIG key that enables it, its clock pin, its data-width key."""

    enable: str
    clock: str
    width_key: str = ""
    window: tuple[int, int] = (0, 0)   # (base, size) a master port decodes; (0, 0) for slave ports
    segment_block: str = ""            # name of a slave port's address block (PS8: SAXIGPn)


@dataclass(frozen=True)
class PSType:
    name: str
    ip: str                            # IP name (VLNV pattern xilinx.com:ip:<ip>:*)
    cell: str                          # block-design cell name
    clock_pin: str
    reset_pin: str
    freq_key: str                      # CONFIG key of the fabric clock in MHz
    base_config: dict
    masters: dict
    slaves: dict
    external: dict = field(default_factory=dict)   # interface -> VLNV of the external port it needs

    @property
    def vlnv_pattern(self) -> str:
        return f"xilinx.com:ip:{self.ip}:*"


PS_TYPES = {
    "ps7": PSType(
        name="ps7", ip="processing_system7", cell="ps7", clock_pin="FCLK_CLK0", reset_pin="FCLK_RESET0_N",
        freq_key="PCW_FPGA0_PERIPHERAL_FREQMHZ",
        base_config={"PCW_IMPORT_BOARD_PRESET": "None", "PCW_EN_CLK0_PORT": "1", "PCW_EN_RST0_PORT": "1",
                     "PCW_FPGA_FCLK0_ENABLE": "1", "PCW_FCLK0_PERIPHERAL_CLKSRC": "IO PLL",
                     "PCW_USE_FABRIC_INTERRUPT": "0"},
        masters={"M_AXI_GP0": PSPort("PCW_USE_M_AXI_GP0", "M_AXI_GP0_ACLK", window=(0x40000000, 0x40000000)),
                 "M_AXI_GP1": PSPort("PCW_USE_M_AXI_GP1", "M_AXI_GP1_ACLK", window=(0x80000000, 0x40000000))},
        slaves={f"S_AXI_HP{i}": PSPort(f"PCW_USE_S_AXI_HP{i}", f"S_AXI_HP{i}_ACLK", f"PCW_S_AXI_HP{i}_DATA_WIDTH",
                                       segment_block=f"S_AXI_HP{i}") for i in range(4)},
        external={"DDR": "xilinx.com:interface:ddrx_rtl:1.0",
                  "FIXED_IO": "xilinx.com:display_processing_system7:fixedio_rtl:1.0"},
    ),
    "ps8": PSType(
        name="ps8", ip="zynq_ultra_ps_e", cell="zynq_ultra_ps_e_0", clock_pin="pl_clk0", reset_pin="pl_resetn0",
        freq_key="PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ",
        base_config={"PSU__FPGA_PL0_ENABLE": "1", "PSU__NUM_FABRIC_RESETS": "1", "PSU__USE__IRQ0": "0"},
        masters={"M_AXI_HPM0_FPD": PSPort("PSU__USE__M_AXI_GP0", "maxihpm0_fpd_aclk", "PSU__MAXIGP0__DATA_WIDTH",
                                          window=(0xA0000000, 0x10000000)),
                 "M_AXI_HPM1_FPD": PSPort("PSU__USE__M_AXI_GP1", "maxihpm1_fpd_aclk", "PSU__MAXIGP1__DATA_WIDTH",
                                          window=(0xB0000000, 0x10000000)),
                 "M_AXI_HPM0_LPD": PSPort("PSU__USE__M_AXI_GP2", "maxihpm0_lpd_aclk", "PSU__MAXIGP2__DATA_WIDTH",
                                          window=(0x80000000, 0x20000000))},
        slaves={f"S_AXI_HP{i}_FPD": PSPort(f"PSU__USE__S_AXI_GP{i + 2}", f"saxihp{i}_fpd_aclk",
                                           f"PSU__SAXIGP{i + 2}__DATA_WIDTH", segment_block=f"SAXIGP{i + 2}")
                for i in range(4)},
    ),
}

SLAVE_WIDTHS = {"ps7": (32, 64), "ps8": (32, 64, 128)}


def ps_config(ps_type: PSType, board_config: dict, ctrl_port: str, data_port: str, data_width: int,
              clock_mhz: float) -> dict:
    """The full CONFIG dict for the PS cell: the board's own settings, then hwgen's ports and clock.

    Every AXI port other than the two used is disabled: an enabled but unconnected port leaves its clock
    pin undriven and Vivado refuses to validate the design.
    """
    config = dict(board_config)
    config.update(ps_type.base_config)
    config[ps_type.freq_key] = _mhz(clock_mhz)
    for name, port in ps_type.masters.items():
        config[port.enable] = "1" if name == ctrl_port else "0"
    for name, port in ps_type.slaves.items():
        config[port.enable] = "1" if name == data_port else "0"
    config[ps_type.slaves[data_port].width_key] = str(data_width)
    return config


def _mhz(value: float) -> str:
    return f"{value:g}"
