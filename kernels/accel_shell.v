`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * The accelerator's shell: everything around the generated dataflow core. The generated top-level
 * module has the ports below (the names Vivado's IP packager infers as ap_clk, ap_rst_n, an
 * AXI4-Stream slave s_axis, an AXI4-Stream master m_axis and an AXI4-Lite slave s_axi_ctrl),
 * instantiates accel_shell with the model's parameters, connects them straight through, and wires
 * its core (the kernels of the integer graph) between core_in_* and core_out_*:
 *
 *   s_axis ─► frame_in ─► core_in_* ═► [ generated core ] ═► core_out_* ─► result_out ─► m_axis
 *                 │ frame_start, short/long frame              core_saturations │ frame_done
 *                 └────────────────► ctrl_axil ◄─ s_axi_ctrl ◄──────────────────┘
 *
 * (sim/hdl/accel_last_line.v is such a top with a trivial core; kernels/README.md has the recipe.)
 *
 * Resets: ap_rst_n is active low and synchronous (as Vivado's proc_sys_reset drives it); it resets
 * everything. CTRL bit 0 (soft reset) resets the datapath only: core_rst is high while either is,
 * and the core's kernels use it as their rst. The AXI-Lite side keeps running through a soft
 * reset. s_axis_tready is low while core_rst is high, so a DMA transfer is held, not dropped.
 * m_axis carries no TKEEP: every output byte is valid (an absent TKEEP means all ones in AXI4-Stream).
 */
module accel_shell #(
    parameter DATA = 64,                  // s_axis tdata bits (the DMA's stream width)
    parameter IN_BITS = 8,                // bits of an input value
    parameter T = 16,                     // lines per frame
    parameter D = 8,                      // values per line
    parameter IN_PAR = 2,                 // values per core_in beat
    parameter N_CLASSES = 4,
    parameter LOGIT_PAR = 1,              // logits per core_out beat
    parameter ACC_W = 24,                 // bits of a logit (<= 32)
    parameter [63:0] ID = 64'd0,          // the graph's identification hash (ID_LO/ID_HI)
    parameter START_QUEUE = 4,            // frames in flight timed individually (ctrl_axil)
    parameter SOFT_RESET_CYCLES = 16,
    parameter SAT_W = 8                   // width of core_saturations
) (
    input  wire                        ap_clk,
    input  wire                        ap_rst_n,

    input  wire [DATA-1:0]             s_axis_tdata,
    input  wire                        s_axis_tvalid,
    output wire                        s_axis_tready,
    input  wire                        s_axis_tlast,

    output wire [31:0]                 m_axis_tdata,
    output wire                        m_axis_tvalid,
    input  wire                        m_axis_tready,
    output wire                        m_axis_tlast,

    input  wire [11:0]                 s_axi_ctrl_awaddr,
    input  wire                        s_axi_ctrl_awvalid,
    output wire                        s_axi_ctrl_awready,
    input  wire [31:0]                 s_axi_ctrl_wdata,
    input  wire [3:0]                  s_axi_ctrl_wstrb,
    input  wire                        s_axi_ctrl_wvalid,
    output wire                        s_axi_ctrl_wready,
    output wire [1:0]                  s_axi_ctrl_bresp,
    output wire                        s_axi_ctrl_bvalid,
    input  wire                        s_axi_ctrl_bready,
    input  wire [11:0]                 s_axi_ctrl_araddr,
    input  wire                        s_axi_ctrl_arvalid,
    output wire                        s_axi_ctrl_arready,
    output wire [31:0]                 s_axi_ctrl_rdata,
    output wire [1:0]                  s_axi_ctrl_rresp,
    output wire                        s_axi_ctrl_rvalid,
    input  wire                        s_axi_ctrl_rready,

    // ---- the generated core's side
    output reg                         core_rst,           // the core's rst (active high, synchronous)
    output wire [IN_PAR*IN_BITS-1:0]   core_in_tdata,      // the first layer's input stream
    output wire                        core_in_tvalid,
    input  wire                        core_in_tready,
    output wire                        core_in_tlast,
    input  wire [LOGIT_PAR*ACC_W-1:0]  core_out_tdata,     // the logits stream
    input  wire                        core_out_tvalid,
    output wire                        core_out_tready,
    input  wire                        core_out_tlast,
    input  wire [SAT_W-1:0]            core_saturations    // values the core's requantisers clipped this cycle
);

reg hard_rst;
wire soft_reset;
wire frame_start, short_frame, long_frame, frame_done;

always @(posedge ap_clk) begin
    hard_rst <= !ap_rst_n;
    core_rst <= !ap_rst_n || soft_reset;
end

frame_in #(.DATA(DATA), .IN_BITS(IN_BITS), .T(T), .D(D), .PAR(IN_PAR)) u_frame_in (
    .clk(ap_clk), .rst(core_rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(core_in_tdata), .m_axis_tvalid(core_in_tvalid), .m_axis_tready(core_in_tready),
    .m_axis_tlast(core_in_tlast),
    .frame_start(frame_start), .short_frame(short_frame), .long_frame(long_frame)
);

result_out #(.N_CLASSES(N_CLASSES), .PAR(LOGIT_PAR), .ACC_W(ACC_W)) u_result_out (
    .clk(ap_clk), .rst(core_rst),
    .s_axis_tdata(core_out_tdata), .s_axis_tvalid(core_out_tvalid), .s_axis_tready(core_out_tready),
    .s_axis_tlast(core_out_tlast),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast),
    .frame_done(frame_done)
);

ctrl_axil #(
    .ID(ID), .T(T), .D(D), .N_CLASSES(N_CLASSES), .IN_BITS(IN_BITS), .VERSION(1),
    .START_QUEUE(START_QUEUE), .SOFT_RESET_CYCLES(SOFT_RESET_CYCLES), .SAT_W(SAT_W)
) u_ctrl (
    .clk(ap_clk), .rst(hard_rst),
    .s_axi_ctrl_awaddr(s_axi_ctrl_awaddr), .s_axi_ctrl_awvalid(s_axi_ctrl_awvalid),
    .s_axi_ctrl_awready(s_axi_ctrl_awready),
    .s_axi_ctrl_wdata(s_axi_ctrl_wdata), .s_axi_ctrl_wstrb(s_axi_ctrl_wstrb), .s_axi_ctrl_wvalid(s_axi_ctrl_wvalid),
    .s_axi_ctrl_wready(s_axi_ctrl_wready),
    .s_axi_ctrl_bresp(s_axi_ctrl_bresp), .s_axi_ctrl_bvalid(s_axi_ctrl_bvalid), .s_axi_ctrl_bready(s_axi_ctrl_bready),
    .s_axi_ctrl_araddr(s_axi_ctrl_araddr), .s_axi_ctrl_arvalid(s_axi_ctrl_arvalid),
    .s_axi_ctrl_arready(s_axi_ctrl_arready),
    .s_axi_ctrl_rdata(s_axi_ctrl_rdata), .s_axi_ctrl_rresp(s_axi_ctrl_rresp), .s_axi_ctrl_rvalid(s_axi_ctrl_rvalid),
    .s_axi_ctrl_rready(s_axi_ctrl_rready),
    .frame_start(frame_start), .frame_done(frame_done), .short_frame(short_frame), .long_frame(long_frame),
    .sat_inc(core_saturations),
    /* verilator lint_off PINCONNECTEMPTY */  // a clear only zeroes registers: nothing to do in the datapath
    .soft_reset(soft_reset), .clear()
    /* verilator lint_on PINCONNECTEMPTY */
);

endmodule

`resetall
