`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Dense (fully connected) layer: N_IN inputs -> N_OUT accumulators (bias included), exactly
 * hwgen.graph.ops.dense(x, w, bias). Requantise the outputs with requant_relu.
 *
 * Input: one frame = the N_IN values in stream order (a flattened (T, CH) frame), IN_PAR a beat;
 *        two's complement, or unsigned with DATA_SIGNED = 0 (the output of a quantized_relu).
 * Output: one frame = N_OUT signed ACC_W accumulators, OUT_PAR a beat, tlast on the last.
 *
 * Each input beat is held for N_OUT/OUT_PAR cycles while a IN_PAR x OUT_PAR product array
 * updates one group of OUT_PAR accumulators a cycle; the last input beat streams the finished
 * accumulators straight out. Throughput: one input beat per N_OUT/OUT_PAR cycles.
 * PRODUCT "mul": multipliers (DSP48). PRODUCT "shift": power-of-two weights (sign, shift
 * 0..MAX_SHIFT), a shift and a conditional negation per product, no multiplier (weight_product.v).
 *
 * Memory files ($readmemh, one hex word per line, lane 0 lowest), written by
 * hwgen.rtl.memfile.write_dense; with w the golden (N_IN, N_OUT) matrix:
 *   WEIGHT_FILE: IN_BEATS*OUT_GROUPS words of OUT_PAR*IN_PAR lanes of WEIGHT_W bits;
 *                word b*OUT_GROUPS + og, lane j*IN_PAR + i = w[b*IN_PAR + i, og*OUT_PAR + j]
 *                (the weights of one cycle sit in one word: one ROM read a cycle); two's
 *                complement ("mul") or codes {sign[1:0], shift} ("shift", WEIGHT_W = 2 +
 *                clog2(MAX_SHIFT+1); sign 01 = +1, 11 = -1, 00 = 0);
 *   BIAS_FILE:   OUT_GROUPS words of OUT_PAR lanes of ACC_W bits; word og, lane j = bias[og*OUT_PAR + j],
 *                already aligned to the accumulator's binary point.
 * ACC_W >= DATA_W + WEIGHT_W + clog2(N_IN) (+1 for unsigned data; MAX_SHIFT + 1 in place of
 * WEIGHT_W for shift weights) is checked: the sum of products cannot wrap, and a bias that fits
 * ACC_W-1 bits leaves the total in range.
 */
module dense #(
    parameter N_IN = 16,             // inputs per frame
    parameter N_OUT = 4,             // outputs per frame
    parameter IN_PAR = 1,            // inputs per beat
    parameter OUT_PAR = 1,           // outputs computed per cycle (and per output beat)
    parameter DATA_W = 8,            // input width
    parameter DATA_SIGNED = 1,       // 0: unsigned inputs (after a ReLU), 0..2**DATA_W-1
    parameter WEIGHT_W = 8,          // "mul": signed weight width; "shift": 2 + clog2(MAX_SHIFT+1)
    parameter PRODUCT = "mul",       // "mul", "lut" (multipliers in LUTs) or "shift" (po2 weights)
    parameter MAX_SHIFT = 7,         // "shift": largest shift amount
    parameter ACC_W = 24,            // signed accumulator (output) width
    parameter WEIGHT_FILE = "dense_weights.mem",
    parameter BIAS_FILE = "dense_bias.mem"
) (
    input  wire                     clk,
    input  wire                     rst,

    input  wire [IN_PAR*DATA_W-1:0] s_axis_tdata,
    input  wire                     s_axis_tvalid,
    output wire                     s_axis_tready,
    input  wire                     s_axis_tlast,

    output wire [OUT_PAR*ACC_W-1:0] m_axis_tdata,
    output wire                     m_axis_tvalid,
    input  wire                     m_axis_tready,
    output wire                     m_axis_tlast
);

localparam IN_BEATS = N_IN / IN_PAR;
localparam OUT_GROUPS = N_OUT / OUT_PAR;
localparam B_W = (IN_BEATS > 1) ? $clog2(IN_BEATS) : 1;
localparam O_W = (OUT_GROUPS > 1) ? $clog2(OUT_GROUPS) : 1;
localparam WORDS = IN_BEATS * OUT_GROUPS;
localparam WA_W = (WORDS > 1) ? $clog2(WORDS) : 1;
localparam WORD_W = OUT_PAR * IN_PAR * WEIGHT_W;
localparam X_W = DATA_SIGNED != 0 ? DATA_W : DATA_W + 1;   // an input as a signed number
/* verilator lint_off WIDTHEXPAND */  // strings of different lengths compare fine
localparam IS_SHIFT = (PRODUCT == "shift");
localparam IS_MUL = (PRODUCT == "mul");
localparam IS_LUT = (PRODUCT == "lut");
/* verilator lint_on WIDTHEXPAND */
localparam SHIFT_W = MAX_SHIFT > 0 ? $clog2(MAX_SHIFT + 1) : 1;
localparam W_MAG = IS_SHIFT ? MAX_SHIFT : WEIGHT_W - 1;     // log2 of the largest weight magnitude
localparam PROD_W = X_W + W_MAG + 1;                       // holds every product
localparam ACC_MIN = X_W + W_MAG + 1 + $clog2(N_IN);       // sum + a bias of ACC_W-1 bits cannot wrap

initial begin
    if (IN_PAR < 1 || N_IN < 1 || N_IN % IN_PAR != 0)
        $fatal(1, "dense: parameter N_IN=%0d must be a positive multiple of IN_PAR=%0d", N_IN, IN_PAR);
    if (OUT_PAR < 1 || N_OUT < 1 || N_OUT % OUT_PAR != 0)
        $fatal(1, "dense: parameter N_OUT=%0d must be a positive multiple of OUT_PAR=%0d", N_OUT, OUT_PAR);
    if (DATA_W < 2 || DATA_W > 32) $fatal(1, "dense: parameter DATA_W=%0d must be 2..32", DATA_W);
    if (DATA_SIGNED != 0 && DATA_SIGNED != 1) $fatal(1, "dense: parameter DATA_SIGNED=%0d must be 0 or 1", DATA_SIGNED);
    if (!IS_MUL && !IS_SHIFT && !IS_LUT) $fatal(1, "dense: parameter PRODUCT must be \"mul\", \"lut\" or \"shift\"");
    if (!IS_SHIFT && (WEIGHT_W < 2 || WEIGHT_W > 32)) $fatal(1, "dense: parameter WEIGHT_W=%0d must be 2..32", WEIGHT_W);
    if (IS_SHIFT && (MAX_SHIFT < 0 || MAX_SHIFT > 30)) $fatal(1, "dense: parameter MAX_SHIFT=%0d must be 0..30", MAX_SHIFT);
    if (IS_SHIFT && WEIGHT_W != SHIFT_W + 2)
        $fatal(1, "dense: parameter WEIGHT_W=%0d must be 2 + clog2(MAX_SHIFT+1) = %0d for shift weights", WEIGHT_W, SHIFT_W + 2);
    if (ACC_W < ACC_MIN || ACC_W > 62)
        $fatal(1, "dense: parameter ACC_W=%0d must be %0d .. 62 so the sum cannot wrap (DATA_W + WEIGHT_W + clog2(N_IN), +1 for unsigned data; MAX_SHIFT + 1 in place of WEIGHT_W for shift weights)",
               ACC_W, ACC_MIN);
end

reg [WORD_W-1:0] weight_mem [0:WORDS-1];
reg [OUT_PAR*ACC_W-1:0] bias_mem [0:OUT_GROUPS-1];
reg [OUT_PAR*ACC_W-1:0] acc_mem [0:OUT_GROUPS-1];

initial begin
    $readmemh(WEIGHT_FILE, weight_mem);
    $readmemh(BIAS_FILE, bias_mem);
end

reg [B_W-1:0] beat_cnt;
reg [O_W-1:0] group_cnt;

reg [OUT_PAR*ACC_W-1:0] out_data_reg;
reg                     out_valid_reg;
reg                     out_last_reg;

wire last_beat = (beat_cnt == B_W'(IN_BEATS - 1));
wire last_group = (group_cnt == O_W'(OUT_GROUPS - 1));
wire out_free = !out_valid_reg || m_axis_tready;
// One output group is computed per step; the last input beat also needs room at the output.
wire step = s_axis_tvalid && (!last_beat || out_free);

assign s_axis_tready = step && last_group;
assign m_axis_tdata = out_data_reg;
assign m_axis_tvalid = out_valid_reg;
assign m_axis_tlast = out_last_reg;

wire [OUT_PAR*ACC_W-1:0] stored = acc_mem[group_cnt];
reg  [OUT_PAR*ACC_W-1:0] new_acc;

wire [WORD_W-1:0] weights = weight_mem[WA_W'(beat_cnt) * WA_W'(OUT_GROUPS) + WA_W'(group_cnt)];
wire [OUT_PAR*ACC_W-1:0] biases = bias_mem[group_cnt];

// OUT_PAR sums of IN_PAR products each; the first input beat starts from the bias.
wire [OUT_PAR*IN_PAR*PROD_W-1:0] products;   // lane q*IN_PAR + p: input p times output q's weight

genvar gq, gp;
generate
for (gq = 0; gq < OUT_PAR; gq = gq + 1) begin : g_out
    for (gp = 0; gp < IN_PAR; gp = gp + 1) begin : g_in
        weight_product #(
            .DATA_W(DATA_W), .DATA_SIGNED(DATA_SIGNED), .WEIGHT_W(WEIGHT_W), .PRODUCT(PRODUCT),
            .MAX_SHIFT(MAX_SHIFT), .PROD_W(PROD_W)
        ) u_product (
            .x(s_axis_tdata[gp*DATA_W +: DATA_W]),
            .w(weights[(gq*IN_PAR + gp)*WEIGHT_W +: WEIGHT_W]),
            .p(products[(gq*IN_PAR + gp)*PROD_W +: PROD_W])
        );
    end
end
endgenerate

reg signed [ACC_W-1:0] sum;
integer p, q;

/* verilator lint_off WIDTHEXPAND */  // signed operands sign-extend to ACC_W
always @* begin
    for (q = 0; q < OUT_PAR; q = q + 1) begin
        sum = (beat_cnt == 0) ? biases[q*ACC_W +: ACC_W] : stored[q*ACC_W +: ACC_W];
        for (p = 0; p < IN_PAR; p = p + 1)
            sum = sum + $signed(products[(q*IN_PAR + p)*PROD_W +: PROD_W]);
        new_acc[q*ACC_W +: ACC_W] = sum;
    end
end
/* verilator lint_on WIDTHEXPAND */

always @(posedge clk) begin
    if (m_axis_tready) out_valid_reg <= 1'b0;

    if (step) begin
        if (last_beat) begin
            out_data_reg <= new_acc;
            out_valid_reg <= 1'b1;
            out_last_reg <= last_group;
        end else begin
            acc_mem[group_cnt] <= new_acc;
        end

        group_cnt <= last_group ? {O_W{1'b0}} : group_cnt + 1'b1;
        if (last_group) begin
            beat_cnt <= last_beat ? {B_W{1'b0}} : beat_cnt + 1'b1;
            if (s_axis_tlast) beat_cnt <= 0;
        end
    end

    if (rst) begin
        beat_cnt <= 0;
        group_cnt <= 0;
        out_valid_reg <= 1'b0;
        out_last_reg <= 1'b0;
    end
end

endmodule

`resetall
