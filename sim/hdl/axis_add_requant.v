`resetall
`timescale 1ns / 1ps
`default_nettype none

// Bench chain: axis_add (exact sum on the common binary point) -> requant_relu (cast to the add
// layer's output type), the pair the generator emits for hwgen.graph.layers.add.
module axis_add_requant #(
    parameter PAR = 1,
    parameter A_W = 16,
    parameter A_SIGNED = 1,
    parameter SHIFT_A = 0,
    parameter B_W = 8,
    parameter B_SIGNED = 1,
    parameter SHIFT_B = 0,
    parameter OUT_W = 17,              // exact sum width
    parameter DATA_W = 8,              // output type
    parameter SHIFT = 0,               // sum frac - output frac
    parameter [63:0] ROUNDING = "RND",
    parameter RELU = 0,
    parameter OUT_SIGNED = 1
) (
    input  wire                  clk,
    input  wire                  rst,
    input  wire [PAR*A_W-1:0]    s_axis_a_tdata,
    input  wire                  s_axis_a_tvalid,
    output wire                  s_axis_a_tready,
    input  wire                  s_axis_a_tlast,
    input  wire [PAR*B_W-1:0]    s_axis_b_tdata,
    input  wire                  s_axis_b_tvalid,
    output wire                  s_axis_b_tready,
    input  wire                  s_axis_b_tlast,
    output wire [PAR*DATA_W-1:0] m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast
);

wire [PAR*OUT_W-1:0] sum_tdata;
wire sum_tvalid, sum_tready, sum_tlast;

axis_add #(
    .PAR(PAR), .A_W(A_W), .A_SIGNED(A_SIGNED), .SHIFT_A(SHIFT_A),
    .B_W(B_W), .B_SIGNED(B_SIGNED), .SHIFT_B(SHIFT_B), .OUT_W(OUT_W)
) u_add (
    .clk(clk), .rst(rst),
    .s_axis_a_tdata(s_axis_a_tdata), .s_axis_a_tvalid(s_axis_a_tvalid), .s_axis_a_tready(s_axis_a_tready),
    .s_axis_a_tlast(s_axis_a_tlast),
    .s_axis_b_tdata(s_axis_b_tdata), .s_axis_b_tvalid(s_axis_b_tvalid), .s_axis_b_tready(s_axis_b_tready),
    .s_axis_b_tlast(s_axis_b_tlast),
    .m_axis_tdata(sum_tdata), .m_axis_tvalid(sum_tvalid), .m_axis_tready(sum_tready), .m_axis_tlast(sum_tlast)
);

requant_relu #(
    .PAR(PAR), .ACC_W(OUT_W), .DATA_W(DATA_W), .SHIFT(SHIFT), .ROUNDING(ROUNDING), .RELU(RELU),
    .OUT_SIGNED(OUT_SIGNED)
) u_cast (
    .clk(clk), .rst(rst),
    .s_axis_tdata(sum_tdata), .s_axis_tvalid(sum_tvalid), .s_axis_tready(sum_tready), .s_axis_tlast(sum_tlast),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast),
    .sat_lanes()  // saturation pulses: unused in this bench
);

endmodule

`resetall
