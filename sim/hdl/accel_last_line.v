`resetall
`timescale 1ns / 1ps
`default_nettype none

// An accelerator top as the generator writes one: the external ports, accel_shell with the model's
// parameters, and the core between core_in_* and core_out_* (here last_line_core: the logits are the
// frame's last line). Vivado packages this module as the IP.
module accel_last_line #(
    parameter DATA = 64,
    parameter IN_BITS = 8,
    parameter T = 6,
    parameter D = 4,
    parameter IN_PAR = 2,
    parameter ACC_W = 12,
    parameter [63:0] ID = 64'h0123456789abcdef
) (
    input  wire             ap_clk,
    input  wire             ap_rst_n,
    input  wire [DATA-1:0]  s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    input  wire             s_axis_tlast,
    output wire [31:0]      m_axis_tdata,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready,
    output wire             m_axis_tlast,
    input  wire [11:0]      s_axi_ctrl_awaddr,
    input  wire             s_axi_ctrl_awvalid,
    output wire             s_axi_ctrl_awready,
    input  wire [31:0]      s_axi_ctrl_wdata,
    input  wire [3:0]       s_axi_ctrl_wstrb,
    input  wire             s_axi_ctrl_wvalid,
    output wire             s_axi_ctrl_wready,
    output wire [1:0]       s_axi_ctrl_bresp,
    output wire             s_axi_ctrl_bvalid,
    input  wire             s_axi_ctrl_bready,
    input  wire [11:0]      s_axi_ctrl_araddr,
    input  wire             s_axi_ctrl_arvalid,
    output wire             s_axi_ctrl_arready,
    output wire [31:0]      s_axi_ctrl_rdata,
    output wire [1:0]       s_axi_ctrl_rresp,
    output wire             s_axi_ctrl_rvalid,
    input  wire             s_axi_ctrl_rready
);

localparam SAT_W = 8;

wire core_rst;
wire [IN_PAR*IN_BITS-1:0] x0_tdata;
wire x0_tvalid, x0_tready, x0_tlast;
wire [IN_PAR*ACC_W-1:0] logits_tdata;
wire logits_tvalid, logits_tready, logits_tlast;
wire [SAT_W-1:0] saturations;

accel_shell #(
    .DATA(DATA), .IN_BITS(IN_BITS), .T(T), .D(D), .IN_PAR(IN_PAR), .N_CLASSES(D), .LOGIT_PAR(IN_PAR),
    .ACC_W(ACC_W), .ID(ID), .SAT_W(SAT_W)
) u_shell (
    .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast),
    .s_axi_ctrl_awaddr(s_axi_ctrl_awaddr), .s_axi_ctrl_awvalid(s_axi_ctrl_awvalid),
    .s_axi_ctrl_awready(s_axi_ctrl_awready),
    .s_axi_ctrl_wdata(s_axi_ctrl_wdata), .s_axi_ctrl_wstrb(s_axi_ctrl_wstrb), .s_axi_ctrl_wvalid(s_axi_ctrl_wvalid),
    .s_axi_ctrl_wready(s_axi_ctrl_wready),
    .s_axi_ctrl_bresp(s_axi_ctrl_bresp), .s_axi_ctrl_bvalid(s_axi_ctrl_bvalid), .s_axi_ctrl_bready(s_axi_ctrl_bready),
    .s_axi_ctrl_araddr(s_axi_ctrl_araddr), .s_axi_ctrl_arvalid(s_axi_ctrl_arvalid),
    .s_axi_ctrl_arready(s_axi_ctrl_arready),
    .s_axi_ctrl_rdata(s_axi_ctrl_rdata), .s_axi_ctrl_rresp(s_axi_ctrl_rresp), .s_axi_ctrl_rvalid(s_axi_ctrl_rvalid),
    .s_axi_ctrl_rready(s_axi_ctrl_rready),
    .core_rst(core_rst),
    .core_in_tdata(x0_tdata), .core_in_tvalid(x0_tvalid), .core_in_tready(x0_tready), .core_in_tlast(x0_tlast),
    .core_out_tdata(logits_tdata), .core_out_tvalid(logits_tvalid), .core_out_tready(logits_tready),
    .core_out_tlast(logits_tlast),
    .core_saturations(saturations)
);

// ---- the core
last_line_core #(.T(T), .D(D), .PAR(IN_PAR), .IN_BITS(IN_BITS), .ACC_W(ACC_W), .SAT_W(SAT_W)) u_core (
    .clk(ap_clk), .rst(core_rst),
    .s_axis_tdata(x0_tdata), .s_axis_tvalid(x0_tvalid), .s_axis_tready(x0_tready), .s_axis_tlast(x0_tlast),
    .m_axis_tdata(logits_tdata), .m_axis_tvalid(logits_tvalid), .m_axis_tready(logits_tready),
    .m_axis_tlast(logits_tlast),
    .saturations(saturations)
);

endmodule

`resetall
