`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Depthwise 1-D convolution engine: every channel convolved with its own K-tap filter.
 *
 * In:  activation frames, T time steps x CH channels, PAR channels per beat; two's complement,
 *      or unsigned with DATA_SIGNED = 0 (the output of a quantized_relu).
 * Out: exact accumulators (bias included), ACC_W bits per lane, PAR channels per beat, CH/PAR
 *      beats per output time step; equals hwgen.graph.ops.depthwise_conv1d(x, w, b, STRIDE,
 *      PADDING) bit for bit (hwgen.graph.layers.conv(..., depthwise=True) on the accumulator's
 *      grid). tlast on the frame's last beat.
 *
 * An embedded line_buffer_1d gives one window beat (K taps x PAR channels) per output beat, so
 * K*PAR products make PAR accumulators per cycle at full rate: one input beat per cycle at
 * STRIDE 1. Two pipeline stages (operands + weights, then products + bias into the output
 * register) stall together while the output register is full.
 *
 * PRODUCT "mul": K*PAR multipliers (DSP48); "lut": the same multipliers as partial-product sums
 * in LUTs (for designs short of DSP48s). PRODUCT "shift": power-of-two weights (sign in
 * {-1, 0, +1}, shift 0..MAX_SHIFT), each product a shift and a conditional negation, no
 * multiplier (weight_product.v; equals hwgen.graph.ops.shift_product).
 *
 * Weights: WEIGHT_FILE holds CH/PAR words; word g packs K*PAR weights of WEIGHT_W bits, lane
 * k*PAR + i = w[k][g*PAR + i] (lane 0 in the low bits): two's complement integers ("mul") or
 * codes {sign[1:0], shift[SHIFT_W-1:0]} with WEIGHT_W = 2 + SHIFT_W, SHIFT_W = clog2(MAX_SHIFT+1)
 * ("shift"; sign 01 = +1, 11 = -1, 00 = 0). BIAS_FILE holds CH/PAR words of PAR BIAS_W-bit
 * biases. hwgen.rtl.memfile.write_depthwise_conv1d writes both.
 */
module depthwise_conv1d #(
    parameter DATA_W = 8,
    parameter DATA_SIGNED = 1,         // 0: unsigned activations (after a ReLU), 0..2**DATA_W-1
    parameter WEIGHT_W = 8,            // "mul": weight bits; "shift": 2 + clog2(MAX_SHIFT+1) code bits
    parameter PRODUCT = "mul",         // "mul", "lut" (multipliers in LUTs) or "shift" (po2 weights)
    parameter MAX_SHIFT = 7,           // "shift": largest shift amount
    parameter BIAS_W = 16,
    parameter ACC_W = 20,              // must hold every exact sum (checked)
    parameter CH = 8,
    parameter K = 3,
    parameter STRIDE = 1,
    parameter PADDING = "same",
    parameter T = 32,                  // time steps per input frame
    parameter PAR = 2,                 // channels per beat
    parameter WEIGHT_FILE = "weights.mem",
    parameter BIAS_FILE = "bias.mem"
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire [PAR*DATA_W-1:0]   s_axis_tdata,
    input  wire                    s_axis_tvalid,
    output wire                    s_axis_tready,
    input  wire                    s_axis_tlast,

    output reg  [PAR*ACC_W-1:0]    m_axis_tdata,
    output reg                     m_axis_tvalid,
    input  wire                    m_axis_tready,
    output reg                     m_axis_tlast
);

localparam PAR_S = PAR > 0 ? PAR : 1;
localparam GROUPS = CH / PAR_S > 0 ? CH / PAR_S : 1;
localparam TAPS = K * PAR;
localparam X_W = DATA_SIGNED ? DATA_W : DATA_W + 1;  // an activation as a signed number
/* verilator lint_off WIDTHEXPAND */  // strings of different lengths compare fine
localparam IS_SHIFT = (PRODUCT == "shift");
localparam IS_MUL = (PRODUCT == "mul");
localparam IS_LUT = (PRODUCT == "lut");
/* verilator lint_on WIDTHEXPAND */
localparam SHIFT_W = MAX_SHIFT > 0 ? $clog2(MAX_SHIFT + 1) : 1;
// log2 of the largest product magnitude
localparam MAG = IS_SHIFT ? X_W - 1 + MAX_SHIFT : X_W + WEIGHT_W - 2;
localparam PROD_W = MAG + 2;
localparam SUM_BITS = MAG + $clog2(K + 1) + 1;
localparam ACC_MIN = (SUM_BITS > BIAS_W ? SUM_BITS : BIAS_W) + 1;
localparam G_W = GROUPS > 1 ? $clog2(GROUPS) : 1;
localparam integer GROUPS_M1 = GROUPS - 1;
localparam [G_W-1:0] LAST_GROUP = GROUPS_M1[G_W-1:0];

initial begin
    if (DATA_W < 1)
        $fatal(1, "depthwise_conv1d: parameter DATA_W (%0d) must be >= 1", DATA_W);
    if (DATA_SIGNED != 0 && DATA_SIGNED != 1)
        $fatal(1, "depthwise_conv1d: parameter DATA_SIGNED (%0d) must be 0 or 1", DATA_SIGNED);
    if (PAR < 1 || CH < 1 || CH % PAR != 0)
        $fatal(1, "depthwise_conv1d: parameter CH (%0d) must be a positive multiple of PAR (%0d)", CH, PAR);
    if (!IS_MUL && !IS_SHIFT && !IS_LUT)
        $fatal(1, "depthwise_conv1d: parameter PRODUCT must be \"mul\", \"lut\" or \"shift\"");
    if (!IS_SHIFT && WEIGHT_W < 2)
        $fatal(1, "depthwise_conv1d: parameter WEIGHT_W (%0d) must be >= 2", WEIGHT_W);
    if (IS_SHIFT && MAX_SHIFT < 0)
        $fatal(1, "depthwise_conv1d: parameter MAX_SHIFT (%0d) must be >= 0", MAX_SHIFT);
    if (IS_SHIFT && WEIGHT_W != SHIFT_W + 2)
        $fatal(1, "depthwise_conv1d: parameter WEIGHT_W (%0d) must be 2 + clog2(MAX_SHIFT+1) = %0d for shift weights", WEIGHT_W, SHIFT_W + 2);
    if (BIAS_W < 1)
        $fatal(1, "depthwise_conv1d: parameter BIAS_W (%0d) must be >= 1", BIAS_W);
    if (ACC_W < ACC_MIN)
        $fatal(1, "depthwise_conv1d: parameter ACC_W (%0d) is narrower than the %0d bits an exact accumulator needs", ACC_W, ACC_MIN);
end

// ---------------------------------------------------------------- windows
wire [TAPS*DATA_W-1:0] win_tdata;
wire win_tvalid, win_tlast, win_tuser;
wire ce = !m_axis_tvalid || m_axis_tready;   // the whole pipeline advances together

line_buffer_1d #(
    .DATA_W(DATA_W), .CH(CH), .PAR(PAR), .K(K), .STRIDE(STRIDE), .PADDING(PADDING), .T(T)
) u_window (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(win_tdata), .m_axis_tvalid(win_tvalid), .m_axis_tready(ce),
    .m_axis_tlast(win_tlast), .m_axis_tuser(win_tuser)
);

// ---------------------------------------------------------------- stage 1: operands
reg [TAPS*WEIGHT_W-1:0] weight_rom [0:GROUPS-1];
reg [PAR*BIAS_W-1:0] bias_rom [0:GROUPS-1];

initial begin
    $readmemh(WEIGHT_FILE, weight_rom);
    $readmemh(BIAS_FILE, bias_rom);
end

reg [G_W-1:0] group;
// a frame's first window beat is group 0 whatever came before (see line_buffer_1d's tuser)
wire [G_W-1:0] group_now = win_tuser ? {G_W{1'b0}} : group;
reg s1_valid, s1_last;
reg [TAPS*DATA_W-1:0] s1_window;
reg [TAPS*WEIGHT_W-1:0] s1_weights;
reg [PAR*BIAS_W-1:0] s1_bias;

always @(posedge clk) begin
    if (ce) begin
        s1_valid <= win_tvalid;
        s1_last <= win_tlast;
        s1_window <= win_tdata;
        s1_weights <= weight_rom[group_now];
        s1_bias <= bias_rom[group_now];
        if (win_tvalid)
            group <= group_now == LAST_GROUP ? {G_W{1'b0}} : group_now + 1'b1;
    end
    if (rst) begin
        s1_valid <= 1'b0;
        group <= {G_W{1'b0}};
    end
end

// ---------------------------------------------------------------- stage 2: products + bias
wire [TAPS*PROD_W-1:0] products;   // lane k*PAR + i: tap k of channel i times its weight

genvar gk;
generate
for (gk = 0; gk < TAPS; gk = gk + 1) begin : g_tap
    weight_product #(
        .DATA_W(DATA_W), .DATA_SIGNED(DATA_SIGNED), .WEIGHT_W(WEIGHT_W), .PRODUCT(PRODUCT),
        .MAX_SHIFT(MAX_SHIFT), .PROD_W(PROD_W)
    ) u_product (
        .x(s1_window[gk*DATA_W +: DATA_W]),
        .w(s1_weights[gk*WEIGHT_W +: WEIGHT_W]),
        .p(products[gk*PROD_W +: PROD_W])
    );
end
endgenerate

reg [PAR*ACC_W-1:0] sums;
reg signed [ACC_W-1:0] acc;
integer i, k;

/* verilator lint_off WIDTHEXPAND */  // signed operands sign-extend to ACC_W
always @* begin
    for (i = 0; i < PAR; i = i + 1) begin
        acc = $signed(s1_bias[i*BIAS_W +: BIAS_W]);
        for (k = 0; k < K; k = k + 1)
            acc = acc + $signed(products[(k*PAR + i)*PROD_W +: PROD_W]);
        sums[i*ACC_W +: ACC_W] = acc;
    end
end
/* verilator lint_on WIDTHEXPAND */

always @(posedge clk) begin
    if (ce) begin
        m_axis_tvalid <= s1_valid;
        m_axis_tlast <= s1_last;
        m_axis_tdata <= sums;
    end
    if (rst) begin
        m_axis_tvalid <= 1'b0;
        m_axis_tlast <= 1'b0;
    end
end

endmodule

`resetall
