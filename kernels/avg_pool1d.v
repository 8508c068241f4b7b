`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * 1-D average pooling over time, Keras 'valid' with stride = POOL.
 *
 * Output = requantize(window sum, shift log2(POOL), ROUNDING, saturate to DATA_W): exactly
 * hwgen.golden.ops.requantize(sum_pool1d(x, POOL), frac + log2(POOL), Fixed(DATA_W, frac, ROUNDING, SAT)).
 * Only power-of-two POOL is accepted: a non-power-of-two average needs a reciprocal multiply
 * whose rounding the golden model does not define, so the initial block refuses it.
 *
 * Stream layout as max_pool1d: T x CH frame, PAR channels a beat, T % POOL trailing steps
 * dropped. Window sums (exact, DATA_W + log2(POOL) bits) come from pool1d_window (OP = "SUM",
 * shared with max_pool1d); the division is a requant_relu stage (the rounding of every layer).
 */
module avg_pool1d #(
    parameter T = 16,                // time steps per input frame
    parameter CH = 4,                // channels
    parameter PAR = 1,               // channels per beat
    parameter DATA_W = 8,            // activation width (input and output)
    parameter DATA_SIGNED = 1,       // 0: unsigned activations (after a ReLU), in and out
    parameter POOL = 2,              // window length and stride, a power of two
    parameter [63:0] ROUNDING = "RND" // "TRN", "RND" or "RND_CONV"
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire [PAR*DATA_W-1:0] s_axis_tdata,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    input  wire                  s_axis_tlast,

    output wire [PAR*DATA_W-1:0] m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast
);

localparam POOL_LOG2 = $clog2(POOL);
localparam SUM_W = DATA_W + POOL_LOG2;       // exact window sum (unsigned for unsigned data)
localparam DIV_W = SUM_W + 1;                // the sum as a signed number for the division stage

initial begin
    if (DATA_W < 2 || DATA_W > 32) $fatal(1, "avg_pool1d: parameter DATA_W=%0d must be 2..32", DATA_W);
    if (POOL < 1 || (1 << POOL_LOG2) != POOL)
        $fatal(1, "avg_pool1d: parameter POOL=%0d must be a power of two (non-power-of-two averages are not supported)", POOL);
end

wire [PAR*SUM_W-1:0] sum_data;
wire                 sum_valid;
wire                 sum_ready;
wire                 sum_last;

pool1d_window #(
    .T(T),
    .CH(CH),
    .PAR(PAR),
    .DATA_W(DATA_W),
    .DATA_SIGNED(DATA_SIGNED),
    .POOL(POOL),
    .OP("SUM"),
    .OUT_W(SUM_W)
) window (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(s_axis_tdata),
    .s_axis_tvalid(s_axis_tvalid),
    .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(sum_data),
    .m_axis_tvalid(sum_valid),
    .m_axis_tready(sum_ready),
    .m_axis_tlast(sum_last)
);

wire [PAR*DIV_W-1:0] sum_signed;   // every lane sign- or zero-extended by one bit
genvar i;
generate
    for (i = 0; i < PAR; i = i + 1) begin : lane
        assign sum_signed[i*DIV_W +: DIV_W] = {DATA_SIGNED != 0 && sum_data[(i+1)*SUM_W-1], sum_data[i*SUM_W +: SUM_W]};
    end
endgenerate

requant_relu #(
    .PAR(PAR),
    .ACC_W(DIV_W),
    .DATA_W(DATA_W),
    .SHIFT(POOL_LOG2),
    .ROUNDING(ROUNDING),
    .RELU(0),
    .OUT_SIGNED(DATA_SIGNED)
) divide (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(sum_signed),
    .s_axis_tvalid(sum_valid),
    .s_axis_tready(sum_ready),
    .s_axis_tlast(sum_last),
    .m_axis_tdata(m_axis_tdata),
    .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
);

endmodule

`resetall
