`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Shift convolution: a standard / pointwise 1-D convolution whose weights are powers of two
 * (sign in {-1, 0, +1}, shift 0..MAX_SHIFT). Each product is an arithmetic shift and a conditional
 * negation: no multiplier anywhere (yosys reports 0 DSP48E1; bench/kernels.py checks it).
 *
 * Streams, throughput and the file layout are those of conv1d_engine (see there). WEIGHT_FILE
 * holds 2 + clog2(MAX_SHIFT+1) bit codes {sign[1:0], shift}: sign 01 = +1, 11 = -1, 00 = 0,
 * written by hwgen.rtl.memfile.write_shift_conv1d (from hwgen.graph.ops.int_to_po2).
 */
module shift_conv1d #(
    parameter DATA_W = 8,
    parameter DATA_SIGNED = 1,         // 0: unsigned activations
    parameter MAX_SHIFT = 7,
    parameter BIAS_W = 16,
    parameter ACC_W = 24,
    parameter CH_IN = 8,
    parameter CH_OUT = 8,
    parameter K = 3,
    parameter STRIDE = 1,
    parameter PADDING = "same",
    parameter T = 32,
    parameter IN_PAR = 2,
    parameter OUT_PAR = 2,
    parameter WEIGHT_FILE = "weights.mem",
    parameter BIAS_FILE = "bias.mem"
) (
    input  wire                      clk,
    input  wire                      rst,

    input  wire [IN_PAR*DATA_W-1:0]  s_axis_tdata,
    input  wire                      s_axis_tvalid,
    output wire                      s_axis_tready,
    input  wire                      s_axis_tlast,

    output wire [OUT_PAR*ACC_W-1:0]  m_axis_tdata,
    output wire                      m_axis_tvalid,
    input  wire                      m_axis_tready,
    output wire                      m_axis_tlast
);

conv1d_engine #(
    .DATA_W(DATA_W), .DATA_SIGNED(DATA_SIGNED), .WEIGHT_W(2 + (MAX_SHIFT > 0 ? $clog2(MAX_SHIFT + 1) : 1)), .BIAS_W(BIAS_W), .ACC_W(ACC_W),
    .CH_IN(CH_IN), .CH_OUT(CH_OUT), .K(K), .STRIDE(STRIDE), .PADDING(PADDING), .T(T),
    .IN_PAR(IN_PAR), .OUT_PAR(OUT_PAR), .PRODUCT("shift"), .MAX_SHIFT(MAX_SHIFT),
    .WEIGHT_FILE(WEIGHT_FILE), .BIAS_FILE(BIAS_FILE)
) u_engine (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
);

endmodule

`resetall
