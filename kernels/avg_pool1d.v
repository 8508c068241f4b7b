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
 * dropped. Window sums (exact, DATA_W + log2(POOL) bits) are kept per channel group; the
 * division is a requant_relu stage (same rounding logic as every other layer).
 */
module avg_pool1d #(
    parameter T = 16,                // time steps per input frame
    parameter CH = 4,                // channels
    parameter PAR = 1,               // channels per beat
    parameter DATA_W = 8,            // signed activation width (input and output)
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

localparam GROUPS = CH / PAR;
localparam OUT_T = T / POOL;
localparam POOL_LOG2 = $clog2(POOL);
localparam SUM_W = DATA_W + POOL_LOG2;       // exact window sum
localparam G_W = (GROUPS > 1) ? $clog2(GROUPS) : 1;
localparam T_W = $clog2(T + 1);
localparam P_W = (POOL > 1) ? $clog2(POOL) : 1;

initial begin
    if (PAR < 1) $fatal(1, "avg_pool1d: parameter PAR=%0d must be >= 1", PAR);
    if (CH < 1 || CH % PAR != 0) $fatal(1, "avg_pool1d: parameter CH=%0d must be a multiple of PAR=%0d", CH, PAR);
    if (DATA_W < 2 || DATA_W > 32) $fatal(1, "avg_pool1d: parameter DATA_W=%0d must be 2..32", DATA_W);
    if (POOL < 1 || (1 << POOL_LOG2) != POOL)
        $fatal(1, "avg_pool1d: parameter POOL=%0d must be a power of two (non-power-of-two averages are not supported)", POOL);
    if (T < POOL) $fatal(1, "avg_pool1d: parameter T=%0d must be >= POOL=%0d", T, POOL);
end

reg [PAR*SUM_W-1:0] run_sum [0:GROUPS-1];    // running sum of the current window

reg [G_W-1:0] group_cnt;
reg [T_W-1:0] time_cnt;
reg [P_W-1:0] phase_cnt;
reg [T_W-1:0] window_cnt;

reg [PAR*SUM_W-1:0] sum_data_reg;
reg                 sum_valid_reg;
reg                 sum_last_reg;
wire                sum_ready;

wire accept = s_axis_tvalid && s_axis_tready;
wire window_start = (phase_cnt == 0);
wire window_end = (phase_cnt == P_W'(POOL - 1)) && (window_cnt < T_W'(OUT_T));
wire last_group = (group_cnt == G_W'(GROUPS - 1));
wire frame_end = last_group && (time_cnt == T_W'(T - 1));

wire [PAR*SUM_W-1:0] stored = run_sum[group_cnt];
wire [PAR*SUM_W-1:0] new_sum;

assign s_axis_tready = !sum_valid_reg || sum_ready;

genvar i;
generate
    for (i = 0; i < PAR; i = i + 1) begin : lane
        wire signed [SUM_W-1:0] x = {{POOL_LOG2{s_axis_tdata[(i+1)*DATA_W-1]}}, s_axis_tdata[i*DATA_W +: DATA_W]};
        wire signed [SUM_W-1:0] s = window_start ? {SUM_W{1'b0}} : stored[i*SUM_W +: SUM_W];
        assign new_sum[i*SUM_W +: SUM_W] = s + x;
    end
endgenerate

always @(posedge clk) begin
    if (sum_ready) sum_valid_reg <= 1'b0;

    if (accept) begin
        if (window_end) begin
            sum_data_reg <= new_sum;
            sum_valid_reg <= 1'b1;
            sum_last_reg <= last_group && (window_cnt == T_W'(OUT_T - 1));
        end else begin
            run_sum[group_cnt] <= new_sum;
        end

        group_cnt <= last_group ? {G_W{1'b0}} : group_cnt + 1'b1;
        if (last_group) begin
            time_cnt <= time_cnt + 1'b1;
            phase_cnt <= (phase_cnt == P_W'(POOL - 1)) ? {P_W{1'b0}} : phase_cnt + 1'b1;
            if (phase_cnt == P_W'(POOL - 1)) window_cnt <= window_cnt + 1'b1;
        end
        if (frame_end || s_axis_tlast) begin
            group_cnt <= 0;
            time_cnt <= 0;
            phase_cnt <= 0;
            window_cnt <= 0;
        end
    end

    if (rst) begin
        group_cnt <= 0;
        time_cnt <= 0;
        phase_cnt <= 0;
        window_cnt <= 0;
        sum_valid_reg <= 1'b0;
        sum_last_reg <= 1'b0;
    end
end

requant_relu #(
    .PAR(PAR),
    .ACC_W(SUM_W),
    .DATA_W(DATA_W),
    .SHIFT(POOL_LOG2),
    .ROUNDING(ROUNDING),
    .RELU(0),
    .OUT_SIGNED(1)
) divide (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(sum_data_reg),
    .s_axis_tvalid(sum_valid_reg),
    .s_axis_tready(sum_ready),
    .s_axis_tlast(sum_last_reg),
    .m_axis_tdata(m_axis_tdata),
    .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
);

endmodule

`resetall
