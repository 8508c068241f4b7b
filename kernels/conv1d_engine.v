`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Standard / pointwise 1-D convolution engine, shared by conv1d_mac (PRODUCT = "mul", or "lut"
 * for multipliers in LUTs) and shift_conv1d (PRODUCT = "shift"): they differ only in how one
 * product is formed (weight_product.v).
 *
 * In:  activation frames, T time steps x CH_IN channels, IN_PAR channels per beat; two's
 *      complement, or unsigned with DATA_SIGNED = 0 (the output of a quantized_relu).
 * Out: exact accumulators (bias included), ACC_W bits per lane, OUT_PAR output channels per beat,
 *      CH_OUT/OUT_PAR beats per output time step; equals hwgen.graph.ops.conv1d(x, w, b, STRIDE,
 *      PADDING) bit for bit. tlast on the frame's last beat.
 *
 * Data flow: an embedded line_buffer_1d turns the input into window beats (K taps x IN_PAR
 * channels). One output time step's G_IN = CH_IN/IN_PAR window beats are stored, then re-read once
 * per output group: every cycle multiplies one window beat by the weights of OUT_PAR output
 * channels (K*IN_PAR*OUT_PAR products per cycle, summed per output channel, accumulated over the
 * input groups). The window store has two banks: the next step's beats load while the current
 * step issues, so an output time step costs G_IN*G_OUT cycles (G_OUT = CH_OUT/OUT_PAR) when the
 * issue is the bottleneck, or the STRIDE*G_IN input beats that feed it when the input is.
 * The three issue stages (operands, product sums, accumulate) stall together while the output
 * register is full, so backpressure never drops or duplicates a beat; the loader keeps filling
 * the free bank meanwhile.
 *
 * Weights: WEIGHT_FILE ($readmemh) holds (CH_OUT/OUT_PAR)*(CH_IN/IN_PAR) words; word og*G_IN+ig
 * packs OUT_PAR*K*IN_PAR weights, lane (j*K + k)*IN_PAR + i = w[k][ig*IN_PAR+i][og*OUT_PAR+j]
 * (lane 0 in the low bits). PRODUCT "mul"/"lut": WEIGHT_W-bit two's complement integers. PRODUCT
 * "shift": WEIGHT_W = 2 + SHIFT_W bit codes {sign[1:0], shift[SHIFT_W-1:0]}, sign 01 = +1,
 * 11 = -1, 00 = 0, SHIFT_W = clog2(MAX_SHIFT+1); the product is +-(x <<< shift): no multiplier.
 * BIAS_FILE holds CH_OUT/OUT_PAR words of OUT_PAR BIAS_W-bit biases (already at the accumulator's
 * binary point). hwgen.rtl.memfile writes both files.
 */
module conv1d_engine #(
    parameter DATA_W = 8,
    parameter DATA_SIGNED = 1,         // 0: unsigned activations (after a ReLU), 0..2**DATA_W-1
    parameter WEIGHT_W = 8,            // "mul": weight bits; "shift": 2 + SHIFT_W code bits
    parameter BIAS_W = 16,
    parameter ACC_W = 24,              // must hold every exact sum (checked)
    parameter CH_IN = 4,
    parameter CH_OUT = 4,
    parameter K = 3,
    parameter STRIDE = 1,
    parameter PADDING = "same",
    parameter T = 16,                  // time steps per input frame
    parameter IN_PAR = 2,              // input channels per beat / per cycle
    parameter OUT_PAR = 2,             // output channels per beat / per cycle
    parameter PRODUCT = "mul",         // "mul" (DSP48), "lut" (multipliers in LUTs) or "shift"
    parameter MAX_SHIFT = 7,           // "shift": largest shift amount
    parameter WEIGHT_FILE = "weights.mem",
    parameter BIAS_FILE = "bias.mem"
) (
    input  wire                      clk,
    input  wire                      rst,

    input  wire [IN_PAR*DATA_W-1:0]  s_axis_tdata,
    input  wire                      s_axis_tvalid,
    output wire                      s_axis_tready,
    input  wire                      s_axis_tlast,

    output reg  [OUT_PAR*ACC_W-1:0]  m_axis_tdata,
    output reg                       m_axis_tvalid,
    input  wire                      m_axis_tready,
    output reg                       m_axis_tlast
);

/* verilator lint_off WIDTHEXPAND */  // strings of different lengths compare fine
localparam IS_SHIFT = (PRODUCT == "shift");
localparam IS_MUL = (PRODUCT == "mul");
localparam IS_LUT = (PRODUCT == "lut");
/* verilator lint_on WIDTHEXPAND */
localparam IN_PAR_S = IN_PAR > 0 ? IN_PAR : 1;
localparam OUT_PAR_S = OUT_PAR > 0 ? OUT_PAR : 1;
localparam G_IN = CH_IN / IN_PAR_S > 0 ? CH_IN / IN_PAR_S : 1;
localparam G_OUT = CH_OUT / OUT_PAR_S > 0 ? CH_OUT / OUT_PAR_S : 1;
localparam TAPS = K * IN_PAR;                        // products per output channel per cycle
localparam WIN_W = TAPS * DATA_W;
localparam WWORD_W = OUT_PAR * TAPS * WEIGHT_W;
localparam N_WWORDS = G_OUT * G_IN;
localparam SHIFT_W = MAX_SHIFT > 0 ? $clog2(MAX_SHIFT + 1) : 1;
localparam X_W = DATA_SIGNED ? DATA_W : DATA_W + 1;  // an activation as a signed number
// log2 of the largest product magnitude, and the exact widths that follow from it
localparam MAG = IS_SHIFT ? X_W - 1 + MAX_SHIFT : X_W + WEIGHT_W - 2;
localparam PROD_W = MAG + 2;
localparam PSUM_W = MAG + $clog2(TAPS + 1) + 1;
localparam SUM_BITS = MAG + $clog2(K * CH_IN + 1) + 1;
localparam ACC_MIN = (SUM_BITS > BIAS_W ? SUM_BITS : BIAS_W) + 1;
localparam GI_W = G_IN > 1 ? $clog2(G_IN) : 1;
localparam GO_W = G_OUT > 1 ? $clog2(G_OUT) : 1;
localparam WA_W = N_WWORDS > 1 ? $clog2(N_WWORDS) : 1;
localparam integer G_IN_M1 = G_IN - 1;
localparam integer G_OUT_M1 = G_OUT - 1;
localparam [GI_W-1:0] LAST_IG = G_IN_M1[GI_W-1:0];
localparam [GO_W-1:0] LAST_OG = G_OUT_M1[GO_W-1:0];

initial begin
    if (!IS_MUL && !IS_SHIFT && !IS_LUT)
        $fatal(1, "conv1d_engine: parameter PRODUCT must be \"mul\", \"lut\" or \"shift\"");
    if (DATA_W < 1)
        $fatal(1, "conv1d_engine: parameter DATA_W (%0d) must be >= 1", DATA_W);
    if (DATA_SIGNED != 0 && DATA_SIGNED != 1)
        $fatal(1, "conv1d_engine: parameter DATA_SIGNED (%0d) must be 0 or 1", DATA_SIGNED);
    if (IN_PAR < 1 || CH_IN < 1 || CH_IN % IN_PAR != 0)
        $fatal(1, "conv1d_engine: parameter CH_IN (%0d) must be a positive multiple of IN_PAR (%0d)", CH_IN, IN_PAR);
    if (OUT_PAR < 1 || CH_OUT < 1 || CH_OUT % OUT_PAR != 0)
        $fatal(1, "conv1d_engine: parameter CH_OUT (%0d) must be a positive multiple of OUT_PAR (%0d)", CH_OUT, OUT_PAR);
    if (IS_SHIFT && WEIGHT_W != SHIFT_W + 2)
        $fatal(1, "conv1d_engine: parameter WEIGHT_W (%0d) must be 2 + clog2(MAX_SHIFT+1) = %0d for shift weights", WEIGHT_W, SHIFT_W + 2);
    if (IS_SHIFT && MAX_SHIFT < 0)
        $fatal(1, "conv1d_engine: parameter MAX_SHIFT (%0d) must be >= 0", MAX_SHIFT);
    if (!IS_SHIFT && WEIGHT_W < 2)
        $fatal(1, "conv1d_engine: parameter WEIGHT_W (%0d) must be >= 2", WEIGHT_W);
    if (BIAS_W < 1)
        $fatal(1, "conv1d_engine: parameter BIAS_W (%0d) must be >= 1", BIAS_W);
    if (ACC_W < ACC_MIN)
        $fatal(1, "conv1d_engine: parameter ACC_W (%0d) is narrower than the %0d bits an exact accumulator needs", ACC_W, ACC_MIN);
end

// ---------------------------------------------------------------- windows
wire [WIN_W-1:0] win_tdata;
wire win_tvalid, win_tlast, win_tuser;
wire win_tready;

line_buffer_1d #(
    .DATA_W(DATA_W), .CH(CH_IN), .PAR(IN_PAR), .K(K), .STRIDE(STRIDE), .PADDING(PADDING), .T(T)
) u_window (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(win_tdata), .m_axis_tvalid(win_tvalid), .m_axis_tready(win_tready),
    .m_axis_tlast(win_tlast), .m_axis_tuser(win_tuser)
);

// ---------------------------------------------------------------- memories
// two banks of one time step's window beats: the loader fills one while the issuer reads the other
reg [WIN_W-1:0] window_buf [0:2*(1<<GI_W)-1];       // address {bank, index}
reg [WWORD_W-1:0] weight_rom [0:N_WWORDS-1];
reg [OUT_PAR*BIAS_W-1:0] bias_rom [0:G_OUT-1];

initial begin
    $readmemh(WEIGHT_FILE, weight_rom);
    $readmemh(BIAS_FILE, bias_rom);
end

// ---------------------------------------------------------------- loader: window beats -> a free bank
wire ce = !m_axis_tvalid || m_axis_tready;   // the issue pipeline advances together
reg [1:0] bank_full;                          // bank b holds a whole time step not yet issued
reg [1:0] bank_tlast;                         // ... and that step ends the frame
reg load_bank;
reg [GI_W-1:0] load_idx;

assign win_tready = !bank_full[load_bank];
wire load = win_tvalid && win_tready;
// a frame's first window beat always lands in slot 0: a frame abandoned mid-row cannot shift the next
wire [GI_W-1:0] store_idx = win_tuser ? {GI_W{1'b0}} : load_idx;
wire load_done = load && store_idx == LAST_IG;

always @(posedge clk)
    if (load)
        window_buf[{load_bank, store_idx}] <= win_tdata;

// ---------------------------------------------------------------- issuer: one (ig, og) beat a cycle
reg issue_bank;
reg [GI_W-1:0] ig;
reg [GO_W-1:0] og;
reg [WA_W-1:0] w_addr;                        // og*G_IN + ig, counted instead of multiplied
wire issuing = bank_full[issue_bank];
wire issue_done = issuing && ce && ig == LAST_IG && og == LAST_OG;

always @(posedge clk) begin
    if (load) begin
        load_idx <= store_idx == LAST_IG ? {GI_W{1'b0}} : store_idx + 1'b1;
        if (load_done) begin
            bank_tlast[load_bank] <= win_tlast;
            load_bank <= !load_bank;
        end
    end
    if (issuing && ce) begin
        ig <= ig == LAST_IG ? {GI_W{1'b0}} : ig + 1'b1;
        w_addr <= w_addr + 1'b1;
        if (ig == LAST_IG)
            og <= og == LAST_OG ? {GO_W{1'b0}} : og + 1'b1;
        if (issue_done) begin
            w_addr <= {WA_W{1'b0}};
            issue_bank <= !issue_bank;
        end
    end
    // the loader only fills a free bank and the issuer only empties a full one: never the same bank
    if (load_done)
        bank_full[load_bank] <= 1'b1;
    if (issue_done)
        bank_full[issue_bank] <= 1'b0;
    if (rst) begin
        bank_full <= 2'b00;
        bank_tlast <= 2'b00;
        load_bank <= 1'b0;
        issue_bank <= 1'b0;
        load_idx <= {GI_W{1'b0}};
        ig <= {GI_W{1'b0}};
        og <= {GO_W{1'b0}};
        w_addr <= {WA_W{1'b0}};
    end
end

// ---------------------------------------------------------------- stage 1: operands
reg s1_valid, s1_first, s1_last_in, s1_tlast;
reg [WIN_W-1:0] s1_window;
reg [WWORD_W-1:0] s1_weights;
reg [OUT_PAR*BIAS_W-1:0] s1_bias;

always @(posedge clk) begin
    if (ce) begin
        s1_valid <= issuing;
        s1_window <= window_buf[{issue_bank, ig}];
        s1_weights <= weight_rom[w_addr];
        s1_bias <= bias_rom[og];
        s1_first <= ig == {GI_W{1'b0}};
        s1_last_in <= ig == LAST_IG;
        s1_tlast <= bank_tlast[issue_bank] && ig == LAST_IG && og == LAST_OG;
    end
    if (rst)
        s1_valid <= 1'b0;
end

// ---------------------------------------------------------------- stage 2: sums of products
wire [OUT_PAR*TAPS*PROD_W-1:0] products;   // lane j*TAPS + t: tap t times output channel j's weight

genvar gj, gt;
generate
for (gj = 0; gj < OUT_PAR; gj = gj + 1) begin : g_out
    for (gt = 0; gt < TAPS; gt = gt + 1) begin : g_tap
        weight_product #(
            .DATA_W(DATA_W), .DATA_SIGNED(DATA_SIGNED), .WEIGHT_W(WEIGHT_W), .PRODUCT(PRODUCT),
            .MAX_SHIFT(MAX_SHIFT), .PROD_W(PROD_W)
        ) u_product (
            .x(s1_window[gt*DATA_W +: DATA_W]),
            .w(s1_weights[(gj*TAPS + gt)*WEIGHT_W +: WEIGHT_W]),
            .p(products[(gj*TAPS + gt)*PROD_W +: PROD_W])
        );
    end
end
endgenerate

reg [OUT_PAR*PSUM_W-1:0] psums;
reg signed [PSUM_W-1:0] psum;
integer j, t;

/* verilator lint_off WIDTHEXPAND */  // signed operands sign-extend to the wider width
always @* begin
    for (j = 0; j < OUT_PAR; j = j + 1) begin
        psum = {PSUM_W{1'b0}};
        for (t = 0; t < TAPS; t = t + 1)
            psum = psum + $signed(products[(j*TAPS + t)*PROD_W +: PROD_W]);
        psums[j*PSUM_W +: PSUM_W] = psum;
    end
end

reg s2_valid, s2_first, s2_last_in, s2_tlast;
reg [OUT_PAR*PSUM_W-1:0] s2_psum;
reg [OUT_PAR*BIAS_W-1:0] s2_bias;

always @(posedge clk) begin
    if (ce) begin
        s2_valid <= s1_valid;
        s2_first <= s1_first;
        s2_last_in <= s1_last_in;
        s2_tlast <= s1_tlast;
        s2_bias <= s1_bias;
        s2_psum <= psums;
    end
    if (rst)
        s2_valid <= 1'b0;
end

// ---------------------------------------------------------------- stage 3: accumulate, output
reg [OUT_PAR*ACC_W-1:0] acc;
reg [OUT_PAR*ACC_W-1:0] acc_next;
reg signed [ACC_W-1:0] lane_acc;
reg signed [BIAS_W-1:0] lane_bias;
reg signed [PSUM_W-1:0] lane_psum;
integer lane;

always @* begin
    for (lane = 0; lane < OUT_PAR; lane = lane + 1) begin
        lane_bias = s2_bias[lane*BIAS_W +: BIAS_W];
        lane_psum = s2_psum[lane*PSUM_W +: PSUM_W];
        lane_acc = acc[lane*ACC_W +: ACC_W];
        if (s2_first)
            lane_acc = lane_bias;
        acc_next[lane*ACC_W +: ACC_W] = lane_acc + lane_psum;
    end
end
/* verilator lint_on WIDTHEXPAND */

always @(posedge clk) begin
    if (ce) begin
        m_axis_tvalid <= 1'b0;
        if (s2_valid) begin
            acc <= acc_next;
            if (s2_last_in) begin
                m_axis_tdata <= acc_next;
                m_axis_tvalid <= 1'b1;
                m_axis_tlast <= s2_tlast;
            end
        end
    end
    if (rst) begin
        m_axis_tvalid <= 1'b0;
        m_axis_tlast <= 1'b0;
    end
end

endmodule

`resetall
