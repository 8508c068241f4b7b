`resetall
`timescale 1ns / 1ps
`default_nettype none

// Bench wrapper: axis_lanes with its lane mask on s_axis_tuser instead of s_axis_tkeep (cocotbext-axi
// would read a tkeep port as byte enables of the whole beat). tuser = 0 (the default of a frame
// without tuser) means a full beat.
module axis_lanes_bench #(
    parameter W = 8,
    parameter IN_PAR = 8,
    parameter OUT_PAR = 2,
    parameter KEEP_ENABLE = 0,
    parameter HOLD = 0
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire [IN_PAR*W-1:0]  s_axis_tdata,
    input  wire [IN_PAR-1:0]    s_axis_tuser,
    input  wire                 s_axis_tvalid,
    output wire                 s_axis_tready,
    input  wire                 s_axis_tlast,
    output wire [OUT_PAR*W-1:0] m_axis_tdata,
    output wire                 m_axis_tvalid,
    input  wire                 m_axis_tready,
    output wire                 m_axis_tlast
);

axis_lanes #(.W(W), .IN_PAR(IN_PAR), .OUT_PAR(OUT_PAR), .KEEP_ENABLE(KEEP_ENABLE), .HOLD(HOLD)) dut (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tkeep(s_axis_tuser == 0 ? {IN_PAR{1'b1}} : s_axis_tuser),
    .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready), .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
);

endmodule

`resetall
