`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Global average pooling over time: (T, CH) frame -> CH values, one frame in, CH/PAR beats out,
 * any T: exactly hwgen.graph.layers.global_average_pool(x, x_type, acc_type, out):
 *
 *     a   = sum over the frame << ACC_SHIFT      (on the accumulator grid, acc.frac - x.frac)
 *     q   = sign(a) * (|a| // T)                 (truncated toward zero, on that grid)
 *     out = requantize(q, OUT_SHIFT, ROUNDING)   (OUT_SHIFT = acc.frac - out.frac; saturating)
 *
 * It is avg_pool1d with one window of the whole frame (POOL = T): the same exact sums
 * (pool1d_window), the same division by a constant without a divider (avg_divide: |a| * DIV_MULT
 * >> DIV_SHIFT, checked exact at time 0) and the same requantisation (requant_relu).
 * hwgen.rtl.divide.average_parameters(T, x_type, acc_type, out) gives the parameters; the defaults
 * are the rounded mean of a power-of-two T in the input's own type. The outputs stream out while
 * the last time step streams in.
 */
module global_avg_pool #(
    parameter T = 16,                // time steps per frame
    parameter CH = 4,                // channels
    parameter PAR = 1,               // channels per beat
    parameter DATA_W = 8,            // input width
    parameter DATA_SIGNED = 1,       // 0: unsigned inputs (after a ReLU)
    parameter ACC_SHIFT = (T > 1) ? $clog2(T) : 0,                      // acc.frac - x.frac
    parameter ACC_W = DATA_W + ((T > 1) ? $clog2(T) : 0) + ACC_SHIFT,   // golden accumulator width
    parameter DIV_MULT = 1,          // ceil(2**DIV_SHIFT / T) (hwgen.rtl.divide)
    parameter DIV_SHIFT = (T > 1) ? $clog2(T) : 0,
    parameter OUT_W = DATA_W,        // output width
    parameter OUT_SIGNED = DATA_SIGNED,
    parameter OUT_SHIFT = ACC_SHIFT, // acc.frac - out.frac (negative: a left shift)
    parameter [63:0] ROUNDING = "RND" // "TRN", "RND" or "RND_CONV" (the output type's)
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire [PAR*DATA_W-1:0] s_axis_tdata,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    input  wire                  s_axis_tlast,

    output wire [PAR*OUT_W-1:0]  m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast,

    output wire [$clog2(PAR+1)-1:0] sat_lanes  // outputs clipped: requant_relu's one-cycle pulse per beat
);

avg_pool1d #(
    .T(T), .CH(CH), .PAR(PAR), .DATA_W(DATA_W), .DATA_SIGNED(DATA_SIGNED), .POOL(T), .STRIDE(T),
    .ACC_SHIFT(ACC_SHIFT), .ACC_W(ACC_W), .DIV_MULT(DIV_MULT), .DIV_SHIFT(DIV_SHIFT),
    .OUT_W(OUT_W), .OUT_SIGNED(OUT_SIGNED), .OUT_SHIFT(OUT_SHIFT), .ROUNDING(ROUNDING)
) pool (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast), .sat_lanes(sat_lanes)
);

endmodule

`resetall
