`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Global average pooling over time: (T, CH) frame -> CH values, one frame in, CH/PAR beats out.
 *
 * Output = requantize(global_sum(x), SHIFT, ROUNDING, saturate to DATA_W), i.e.
 * hwgen.golden.ops.requantize(global_sum(x), frac + SHIFT, Fixed(DATA_W, frac, ROUNDING, SAT)).
 * With T a power of two and SHIFT = log2(T) this is the exact rounded mean. For other T the
 * kernel outputs sum / 2**SHIFT and the factor 2**SHIFT / T belongs in the next layer's
 * weights (hls4ml instead multiplies by a narrow 1/T and may wrap; this cannot).
 *
 * The per-channel sum is exact by construction: ACC_W >= DATA_W + clog2(T) is checked, so the
 * accumulator can never wrap. Outputs stream out while the last time step streams in.
 */
module global_avg_pool #(
    parameter T = 16,                // time steps per frame
    parameter CH = 4,                // channels
    parameter PAR = 1,               // channels per beat
    parameter DATA_W = 8,            // activation width (input and output)
    parameter DATA_SIGNED = 1,       // 0: unsigned activations (after a ReLU), in and out
    parameter ACC_W = 16,            // signed sum width, >= DATA_W + clog2(T) (+1 unsigned data)
    parameter SHIFT = 4,             // output = sum / 2**SHIFT, rounded
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
localparam G_W = (GROUPS > 1) ? $clog2(GROUPS) : 1;
localparam T_W = (T > 1) ? $clog2(T) : 1;
localparam X_W = DATA_SIGNED != 0 ? DATA_W : DATA_W + 1;   // an input as a signed number

initial begin
    if (PAR < 1) $fatal(1, "global_avg_pool: parameter PAR=%0d must be >= 1", PAR);
    if (CH < 1 || CH % PAR != 0)
        $fatal(1, "global_avg_pool: parameter CH=%0d must be a multiple of PAR=%0d", CH, PAR);
    if (T < 1) $fatal(1, "global_avg_pool: parameter T=%0d must be >= 1", T);
    if (DATA_W < 2 || DATA_W > 32) $fatal(1, "global_avg_pool: parameter DATA_W=%0d must be 2..32", DATA_W);
    if (DATA_SIGNED != 0 && DATA_SIGNED != 1)
        $fatal(1, "global_avg_pool: parameter DATA_SIGNED=%0d must be 0 or 1", DATA_SIGNED);
    if (ACC_W < X_W + $clog2(T) || ACC_W > 62)
        $fatal(1, "global_avg_pool: parameter ACC_W=%0d must be DATA_W + clog2(T) (+1 unsigned data) = %0d .. 62 so the sum cannot wrap",
               ACC_W, X_W + $clog2(T));
    if (SHIFT < 0 || SHIFT >= ACC_W) $fatal(1, "global_avg_pool: parameter SHIFT=%0d must be 0..ACC_W-1", SHIFT);
end

reg [PAR*ACC_W-1:0] run_sum [0:GROUPS-1];

reg [G_W-1:0] group_cnt;
reg [T_W-1:0] time_cnt;

reg [PAR*ACC_W-1:0] sum_data_reg;
reg                 sum_valid_reg;
reg                 sum_last_reg;
wire                sum_ready;

wire accept = s_axis_tvalid && s_axis_tready;
wire last_group = (group_cnt == G_W'(GROUPS - 1));
wire last_time = (time_cnt == T_W'(T - 1));

wire [PAR*ACC_W-1:0] stored = run_sum[group_cnt];
wire [PAR*ACC_W-1:0] new_sum;

assign s_axis_tready = !sum_valid_reg || sum_ready;

genvar i;
generate
    for (i = 0; i < PAR; i = i + 1) begin : lane
        wire signed [ACC_W-1:0] x = {{(ACC_W-DATA_W){DATA_SIGNED != 0 && s_axis_tdata[(i+1)*DATA_W-1]}},
                                     s_axis_tdata[i*DATA_W +: DATA_W]};
        wire signed [ACC_W-1:0] s = (time_cnt == 0) ? {ACC_W{1'b0}} : stored[i*ACC_W +: ACC_W];
        assign new_sum[i*ACC_W +: ACC_W] = s + x;
    end
endgenerate

always @(posedge clk) begin
    if (sum_ready) sum_valid_reg <= 1'b0;

    if (accept) begin
        if (last_time) begin
            sum_data_reg <= new_sum;
            sum_valid_reg <= 1'b1;
            sum_last_reg <= last_group;
        end else begin
            run_sum[group_cnt] <= new_sum;
        end

        group_cnt <= last_group ? {G_W{1'b0}} : group_cnt + 1'b1;
        if (last_group) time_cnt <= last_time ? {T_W{1'b0}} : time_cnt + 1'b1;
        if (s_axis_tlast) begin
            group_cnt <= 0;
            time_cnt <= 0;
        end
    end

    if (rst) begin
        group_cnt <= 0;
        time_cnt <= 0;
        sum_valid_reg <= 1'b0;
        sum_last_reg <= 1'b0;
    end
end

requant_relu #(
    .PAR(PAR),
    .ACC_W(ACC_W),
    .DATA_W(DATA_W),
    .SHIFT(SHIFT),
    .ROUNDING(ROUNDING),
    .RELU(0),
    .OUT_SIGNED(DATA_SIGNED)
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
