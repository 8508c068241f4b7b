`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Sliding-window line buffer for 1-D convolution.
 *
 * In:  a frame of T time steps x CH channels, PAR channels per beat (lane i = channel g*PAR+i).
 * Out: for every output time step (hwgen.graph.ops.windows over pad_time(x, K, PADDING) with
 *      STRIDE), CH/PAR beats, one per channel group g, each holding the K taps of PAR channels:
 *      lane (k*PAR + i) = x_padded[t*STRIDE + k, g*PAR + i], tap 0 the oldest.
 *      tlast on the last beat of the last window of the frame.
 *
 * The frame length is the parameter T: a stride > 1 can end the output before the input, so
 * s_axis_tlast cannot mark the output's end. An EARLY s_axis_tlast (before the frame's last beat)
 * abandons the frame: the counters restart and the next beat begins a new frame, so one short
 * frame never shifts the ones after it (the abandoned frame's windows get no tlast).
 * m_axis_tuser marks the first window beat of every frame, so engines behind the buffer can
 * resynchronise their own counters too. 'same' padding follows TensorFlow for every T, K and
 * STRIDE: ceil(T/STRIDE) output steps, total = max((ceil(T/STRIDE)-1)*STRIDE + K - T, 0) zero rows,
 * total/2 before and the rest after (hwgen.graph.ops.same_padding; at STRIDE 1 that is (K-1)/2
 * before and K-1 in all). Leading zeros are masked (stale history from an earlier
 * frame never leaks), trailing zero rows are generated after the last input row without consuming
 * input. Each channel group keeps its last K-1 rows in one memory word, so a window costs one read
 * and one write per beat.
 */
module line_buffer_1d #(
    parameter DATA_W = 8,          // bits per value
    parameter CH = 4,              // channels per time step
    parameter PAR = 2,             // channels per beat
    parameter K = 3,               // kernel size (taps)
    parameter STRIDE = 1,          // output every STRIDE-th window
    parameter PADDING = "same",    // "same" or "valid", as Keras
    parameter T = 16               // time steps per input frame
) (
    input  wire                      clk,
    input  wire                      rst,

    input  wire [PAR*DATA_W-1:0]     s_axis_tdata,
    input  wire                      s_axis_tvalid,
    output wire                      s_axis_tready,
    input  wire                      s_axis_tlast,

    output reg  [K*PAR*DATA_W-1:0]   m_axis_tdata,
    output reg                       m_axis_tvalid,
    input  wire                      m_axis_tready,
    output reg                       m_axis_tlast,
    output reg                       m_axis_tuser     // first window beat of a frame
);

/* verilator lint_off WIDTHEXPAND */  // strings of different lengths compare fine
localparam SAME = (PADDING == "same");
localparam VALID = (PADDING == "valid");
/* verilator lint_on WIDTHEXPAND */
// illegal parameters are reported by the initial block below, not by a division by zero here
localparam PAR_S = PAR > 0 ? PAR : 1;
localparam STRIDE_S = STRIDE > 0 ? STRIDE : 1;
// 'same' pads as TensorFlow (hwgen.graph.ops.same_padding): ceil(T/STRIDE) outputs, the rows they
// need beyond T as zeros, total/2 of them in front. With a stride this is not (K-1)/2 and K-1.
localparam SAME_OUT = (T + STRIDE_S - 1) / STRIDE_S;
localparam SAME_TOTAL = (SAME_OUT - 1) * STRIDE_S + K - T;
localparam PAD_TOTAL = SAME && SAME_TOTAL > 0 ? SAME_TOTAL : 0;
localparam PAD_BEFORE = PAD_TOTAL / 2;
localparam GROUPS = CH / PAR_S > 0 ? CH / PAR_S : 1;
localparam N_OUT = T + PAD_TOTAL >= K ? (T + PAD_TOTAL - K) / STRIDE_S + 1 : 1;  // output steps per frame
localparam LAST_OUT_ROW = K - 1 + STRIDE_S * (N_OUT - 1);   // padded row ending the last window
localparam LAST_REAL_ROW = PAD_BEFORE + T - 1;
localparam LAST_ROW = LAST_OUT_ROW > LAST_REAL_ROW ? LAST_OUT_ROW : LAST_REAL_ROW;
localparam ROW_W = $clog2(LAST_ROW + STRIDE_S + 2) + 1;
localparam GROUP_W = GROUPS > 1 ? $clog2(GROUPS) : 1;
localparam BEAT_W = PAR * DATA_W;
localparam HIST_W = K > 1 ? (K - 1) * BEAT_W : 1;
// row/group constants at the counters' widths
localparam [ROW_W-1:0] FIRST_ROW = PAD_BEFORE[ROW_W-1:0];
localparam integer K_MINUS_1 = K - 1;
localparam [ROW_W-1:0] FIRST_OUT_ROW = K_MINUS_1[ROW_W-1:0];
localparam [ROW_W-1:0] ROW_STEP = STRIDE_S[ROW_W-1:0];
localparam [ROW_W-1:0] LAST_OUT = LAST_OUT_ROW[ROW_W-1:0];
localparam [ROW_W-1:0] LAST_REAL = LAST_REAL_ROW[ROW_W-1:0];
localparam [ROW_W-1:0] LAST = LAST_ROW[ROW_W-1:0];
localparam integer GROUPS_MINUS_1 = GROUPS - 1;
localparam [GROUP_W-1:0] LAST_GROUP = GROUPS_MINUS_1[GROUP_W-1:0];

initial begin
    if (DATA_W < 1)
        $fatal(1, "line_buffer_1d: parameter DATA_W (%0d) must be >= 1", DATA_W);
    if (PAR < 1 || CH < 1 || CH % PAR != 0)
        $fatal(1, "line_buffer_1d: parameter CH (%0d) must be a positive multiple of PAR (%0d)", CH, PAR);
    if (K < 1)
        $fatal(1, "line_buffer_1d: parameter K (%0d) must be >= 1", K);
    if (STRIDE < 1)
        $fatal(1, "line_buffer_1d: parameter STRIDE (%0d) must be >= 1", STRIDE);
    if (!SAME && !VALID)
        $fatal(1, "line_buffer_1d: parameter PADDING must be \"same\" or \"valid\"");
    if (T + PAD_TOTAL < K)
        $fatal(1, "line_buffer_1d: parameter T (%0d) gives fewer padded rows than the kernel size K (%0d)", T, K);
end

// position of the beat being processed: padded row and channel group
reg [ROW_W-1:0] row;
reg [GROUP_W-1:0] group;
reg [ROW_W-1:0] next_out_row;   // padded row that ends the next window to emit

wire real_row = row <= LAST_REAL;      // else a generated trailing zero row
wire emit = row == next_out_row;
wire out_free = !m_axis_tvalid || m_axis_tready;
wire step = (real_row ? s_axis_tvalid : 1'b1) && (!emit || out_free);
wire last_group = group == LAST_GROUP;
wire early_end = real_row && s_axis_tlast && !(row == LAST_REAL && last_group);

assign s_axis_tready = real_row && (!emit || out_free);

wire [BEAT_W-1:0] beat = real_row ? s_axis_tdata : {BEAT_W{1'b0}};
wire [K*BEAT_W-1:0] window;

generate
if (K > 1) begin : g_history
    reg [HIST_W-1:0] history [0:GROUPS-1];   // taps 0..K-2 of each group, tap 0 in the low bits
    reg [HIST_W-1:0] masked;
    integer k;

    // A tap older than the first real row is a leading pad: zero, whatever the memory holds.
    always @* begin
        masked = history[group];
        for (k = 0; k < K - 1; k = k + 1)
            if ({{(32-ROW_W){1'b0}}, row} + k < PAD_BEFORE + K - 1)
                masked[k*BEAT_W +: BEAT_W] = {BEAT_W{1'b0}};
    end

    assign window = {beat, masked};

    always @(posedge clk)
        if (step)
            history[group] <= window[K*BEAT_W-1:BEAT_W];
end else begin : g_no_history
    assign window = beat;
end
endgenerate

always @(posedge clk) begin
    if (out_free)
        m_axis_tvalid <= 1'b0;
    if (step) begin
        if (emit) begin
            m_axis_tdata <= window;
            m_axis_tvalid <= 1'b1;
            m_axis_tlast <= (row == LAST_OUT) && last_group;
            m_axis_tuser <= (row == FIRST_OUT_ROW) && group == {GROUP_W{1'b0}};
        end
        if (!last_group) begin
            group <= group + 1'b1;
        end else begin
            group <= 0;
            if (emit)
                next_out_row <= (row == LAST_OUT) ? FIRST_OUT_ROW : next_out_row + ROW_STEP;
            row <= (row == LAST) ? FIRST_ROW : row + 1'b1;
        end
        if (early_end) begin
            row <= FIRST_ROW;
            group <= {GROUP_W{1'b0}};
            next_out_row <= FIRST_OUT_ROW;
        end
    end
    if (rst) begin
        row <= FIRST_ROW;
        group <= 0;
        next_out_row <= FIRST_OUT_ROW;
        m_axis_tvalid <= 1'b0;
        m_axis_tlast <= 1'b0;
        m_axis_tuser <= 1'b0;
    end
end

endmodule

`resetall
