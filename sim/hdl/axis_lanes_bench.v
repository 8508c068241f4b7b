`resetall
`timescale 1ns / 1ps
`default_nettype none

// Bench wrapper: axis_lanes with its lane mask on s_axis_tuser instead of s_axis_tkeep (cocotbext-axi
// would read a tkeep port as byte enables of the whole beat). tuser = 0 (the default of a frame
// without tuser) means a full beat.
module axis_lanes_bench #(
    parameter W = 8,
    parameter PAR_IN = 8,
    parameter PAR_OUT = 2,
    parameter KEEP_ENABLE = 0
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire [PAR_IN*W-1:0]  s_axis_tdata,
    input  wire [PAR_IN-1:0]    s_axis_tuser,
    input  wire                 s_axis_tvalid,
    output wire                 s_axis_tready,
    input  wire                 s_axis_tlast,
    output wire [PAR_OUT*W-1:0] m_axis_tdata,
    output wire                 m_axis_tvalid,
    input  wire                 m_axis_tready,
    output wire                 m_axis_tlast
);

axis_lanes #(.W(W), .PAR_IN(PAR_IN), .PAR_OUT(PAR_OUT), .KEEP_ENABLE(KEEP_ENABLE)) dut (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tkeep(s_axis_tuser == 0 ? {PAR_IN{1'b1}} : s_axis_tuser),
    .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready), .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
);

endmodule

`resetall
