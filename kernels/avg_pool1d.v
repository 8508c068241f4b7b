`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * 1-D average pooling over time, Keras 'valid' with stride = POOL, any POOL: exactly
 * hwgen.graph.layers.average_pool(x, x_type, POOL, POOL, acc_type, out):
 *
 *     a   = window sum << ACC_SHIFT             (on the accumulator grid, acc.frac - x.frac = ACC_SHIFT)
 *     q   = sign(a) * (|a| // POOL)             (truncated toward zero, on that grid)
 *     out = requantize(q, OUT_SHIFT, ROUNDING)  (OUT_SHIFT = acc.frac - out.frac; saturating
 *                                                to OUT_W bits, OUT_SIGNED)
 *
 * hwgen.rtl.divide.average_parameters(POOL, x_type, acc_type, out) gives every parameter below
 * from the golden types, including the division constants DIV_MULT, DIV_SHIFT (|a| // POOL =
 * (|a| * DIV_MULT) >> DIV_SHIFT, checked exact at time 0). The defaults are the rounded mean of a
 * power-of-two POOL in the input's own type (the sum >> log2(POOL), rounded half up).
 *
 * Stream layout as max_pool1d: T x CH frame, PAR channels a beat, T % POOL trailing steps
 * dropped. Three stages behind one another: pool1d_window (exact window sums, shared with
 * max_pool1d), avg_divide (the truncating division), requant_relu (rounding, saturation).
 * ACC_W, the golden accumulator's width, is only checked: it must hold every shifted sum (the
 * golden model would wrap or clip a narrower one; this kernel never does).
 */
module avg_pool1d #(
    parameter T = 16,                // time steps per input frame
    parameter CH = 4,                // channels
    parameter PAR = 1,               // channels per beat
    parameter DATA_W = 8,            // input width
    parameter DATA_SIGNED = 1,       // 0: unsigned inputs (after a ReLU)
    parameter POOL = 2,              // window length
    parameter STRIDE = POOL,         // must equal POOL (Keras' default)
    parameter ACC_SHIFT = (POOL > 1) ? $clog2(POOL) : 0,         // acc.frac - x.frac
    parameter ACC_W = DATA_W + ((POOL > 1) ? $clog2(POOL) : 0) + ACC_SHIFT,  // golden accumulator width
    parameter DIV_MULT = 1,          // ceil(2**DIV_SHIFT / POOL) (hwgen.rtl.divide)
    parameter DIV_SHIFT = (POOL > 1) ? $clog2(POOL) : 0,
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

localparam POOL_S = POOL > 0 ? POOL : 1;
localparam SUM_W = DATA_W + (POOL_S > 1 ? $clog2(POOL_S) : 0);   // exact window sum
localparam Q_W = (DATA_SIGNED != 0 ? DATA_W : DATA_W + 1) + ACC_SHIFT;

initial begin
    if (DATA_W < 2 || DATA_W > 32) $fatal(1, "avg_pool1d: parameter DATA_W=%0d must be 2..32", DATA_W);
    if (STRIDE != POOL)
        $fatal(1, "avg_pool1d: parameter STRIDE=%0d must equal POOL=%0d (overlapping or gapped windows are not supported)", STRIDE, POOL);
    if (ACC_W < SUM_W + ACC_SHIFT)
        $fatal(1, "avg_pool1d: parameter ACC_W=%0d cannot hold every sum on the accumulator grid (%0d bits)", ACC_W, SUM_W + ACC_SHIFT);
end

wire [PAR*SUM_W-1:0] sum_data;
wire                 sum_valid, sum_ready, sum_last;
wire [PAR*Q_W-1:0]   q_data;
wire                 q_valid, q_ready, q_last;

pool1d_window #(
    .T(T), .CH(CH), .PAR(PAR), .DATA_W(DATA_W), .DATA_SIGNED(DATA_SIGNED), .POOL(POOL), .OP("SUM"),
    .OUT_W(SUM_W)
) window (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(sum_data), .m_axis_tvalid(sum_valid), .m_axis_tready(sum_ready), .m_axis_tlast(sum_last)
);

avg_divide #(
    .PAR(PAR), .DATA_W(DATA_W), .DATA_SIGNED(DATA_SIGNED), .N(POOL), .SUM_W(SUM_W), .ACC_SHIFT(ACC_SHIFT),
    .DIV_MULT(DIV_MULT), .DIV_SHIFT(DIV_SHIFT), .Q_W(Q_W)
) divide (
    .clk(clk), .rst(rst),
    .s_axis_tdata(sum_data), .s_axis_tvalid(sum_valid), .s_axis_tready(sum_ready), .s_axis_tlast(sum_last),
    .m_axis_tdata(q_data), .m_axis_tvalid(q_valid), .m_axis_tready(q_ready), .m_axis_tlast(q_last)
);

requant_relu #(
    .PAR(PAR), .ACC_W(Q_W), .DATA_W(OUT_W), .SHIFT(OUT_SHIFT), .ROUNDING(ROUNDING), .RELU(0),
    .OUT_SIGNED(OUT_SIGNED)
) requantize (
    .clk(clk), .rst(rst),
    .s_axis_tdata(q_data), .s_axis_tvalid(q_valid), .s_axis_tready(q_ready), .s_axis_tlast(q_last),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast), .sat_lanes(sat_lanes)
);

endmodule

`resetall
