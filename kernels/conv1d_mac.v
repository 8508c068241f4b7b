`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Pointwise / standard 1-D convolution with a multiply-accumulate array (K*IN_PAR*OUT_PAR
 * multipliers, which synthesis maps to DSP48 slices when they are wide enough; PRODUCT = "lut"
 * forms them as shifted partial-product sums in LUTs instead, for designs short of DSP48s).
 *
 * Streams, throughput and the weight/bias file layout are those of conv1d_engine (see there):
 * the input is the activation stream (the line buffer is embedded), the output the exact
 * accumulators, bias included; kernels/requant_relu.v turns them into activations.
 * hwgen.rtl.memfile.write_conv1d writes WEIGHT_FILE (WEIGHT_W-bit integers) and BIAS_FILE.
 */
module conv1d_mac #(
    parameter DATA_W = 8,
    parameter DATA_SIGNED = 1,         // 0: unsigned activations
    parameter WEIGHT_W = 8,
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
    parameter PRODUCT = "mul",         // "mul" (DSP48) or "lut" (multipliers in LUTs)
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

/* verilator lint_off WIDTHEXPAND */  // strings of different lengths compare fine
localparam PRODUCT_OK = (PRODUCT == "mul") || (PRODUCT == "lut");
/* verilator lint_on WIDTHEXPAND */

initial
    if (!PRODUCT_OK)
        $fatal(1, "conv1d_mac: parameter PRODUCT must be \"mul\" or \"lut\" (shift weights: shift_conv1d)");

conv1d_engine #(
    .DATA_W(DATA_W), .DATA_SIGNED(DATA_SIGNED), .WEIGHT_W(WEIGHT_W), .BIAS_W(BIAS_W), .ACC_W(ACC_W),
    .CH_IN(CH_IN), .CH_OUT(CH_OUT), .K(K), .STRIDE(STRIDE), .PADDING(PADDING), .T(T),
    .IN_PAR(IN_PAR), .OUT_PAR(OUT_PAR), .PRODUCT(PRODUCT),
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
