`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Exact elementwise sum of two streams of the same frame shape (PAR lanes each), the adder of a
 * residual connection:
 *
 *     out = (a << SHIFT_A) + (b << SHIFT_B)      per lane, exact, OUT_W-bit two's complement
 *
 * The shifts move both inputs onto a common binary point (hwgen.graph.layers.add aligns to the
 * larger of the two fractional widths: SHIFT_A = frac - a.frac, SHIFT_B = frac - b.frac). OUT_W is
 * checked at time 0 against the exact range of the sum, so it can never wrap; the cast to the
 * layer's output type is a requant_relu behind this kernel (SHIFT = frac - out.frac), and the
 * pair equals hwgen.graph.layers.add bit for bit.
 *
 * Handshake: a beat leaves both inputs in the same cycle (a join), one register stage, full rate.
 * tlast comes from input a (both inputs carry the same frames). s_axis_a_tready depends on
 * s_axis_b_tvalid and vice versa, never on its own tvalid.
 */
module axis_add #(
    parameter PAR = 1,                // lanes per beat
    parameter A_W = 16,               // bits of an a value
    parameter A_SIGNED = 1,           // 0: a is unsigned
    parameter SHIFT_A = 0,            // left shift of a onto the common binary point (>= 0)
    parameter B_W = 8,
    parameter B_SIGNED = 1,
    parameter SHIFT_B = 0,
    parameter OUT_W = 17              // signed output width, >= the exact sum's width (checked)
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire [PAR*A_W-1:0]    s_axis_a_tdata,
    input  wire                  s_axis_a_tvalid,
    output wire                  s_axis_a_tready,
    input  wire                  s_axis_a_tlast,

    input  wire [PAR*B_W-1:0]    s_axis_b_tdata,
    input  wire                  s_axis_b_tvalid,
    output wire                  s_axis_b_tready,
    /* verilator lint_off UNUSEDSIGNAL */  // the frame ends where a's does
    input  wire                  s_axis_b_tlast,
    /* verilator lint_on UNUSEDSIGNAL */

    output wire [PAR*OUT_W-1:0]  m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast
);

// Ranges of the shifted terms and of their sum, as 64-bit constants (each term below 2^61).
localparam TERMS_OK = A_W >= 1 && B_W >= 1 && SHIFT_A >= 0 && SHIFT_B >= 0
                   && A_W + SHIFT_A <= 60 && B_W + SHIFT_B <= 60;
localparam A_W_S = TERMS_OK ? A_W : 1;
localparam B_W_S = TERMS_OK ? B_W : 1;
localparam SHIFT_A_S = TERMS_OK ? SHIFT_A : 0;
localparam SHIFT_B_S = TERMS_OK ? SHIFT_B : 0;
localparam signed [63:0] ONE = 64'sd1;
localparam signed [63:0] A_MIN = A_SIGNED != 0 ? -(ONE <<< (A_W_S - 1 + SHIFT_A_S)) : 64'sd0;
localparam signed [63:0] A_MAX = (A_SIGNED != 0 ? (ONE <<< (A_W_S - 1)) - ONE : (ONE <<< A_W_S) - ONE) <<< SHIFT_A_S;
localparam signed [63:0] B_MIN = B_SIGNED != 0 ? -(ONE <<< (B_W_S - 1 + SHIFT_B_S)) : 64'sd0;
localparam signed [63:0] B_MAX = (B_SIGNED != 0 ? (ONE <<< (B_W_S - 1)) - ONE : (ONE <<< B_W_S) - ONE) <<< SHIFT_B_S;

// Smallest two's complement width holding every integer in [lo, hi] (hwgen.graph.ops.bits_needed).
function integer signed_width(input signed [63:0] lo, input signed [63:0] hi);
    integer w;
    begin
        signed_width = 64;
        for (w = 63; w >= 1; w = w - 1)
            if (lo >= -(ONE <<< (w - 1)) && hi <= (ONE <<< (w - 1)) - ONE)
                signed_width = w;
    end
endfunction

localparam SUM_W = signed_width(A_MIN + B_MIN, A_MAX + B_MAX);
localparam OUT_W_S = OUT_W >= SUM_W && OUT_W <= 62 ? OUT_W : SUM_W;
// Working width: one more than the widest shifted input and the output (so a sign extension
// always adds at least one bit).
localparam TERM_W = A_W_S + SHIFT_A_S > B_W_S + SHIFT_B_S ? A_W_S + SHIFT_A_S + 1 : B_W_S + SHIFT_B_S + 1;
localparam EXT_W = (OUT_W_S > TERM_W ? OUT_W_S : TERM_W) + 1;

initial begin
    if (PAR < 1) $fatal(1, "axis_add: parameter PAR (%0d) must be >= 1", PAR);
    if (A_W < 1 || A_W + SHIFT_A > 60)
        $fatal(1, "axis_add: parameter A_W (%0d) must be >= 1 with A_W + SHIFT_A <= 60", A_W);
    if (B_W < 1 || B_W + SHIFT_B > 60)
        $fatal(1, "axis_add: parameter B_W (%0d) must be >= 1 with B_W + SHIFT_B <= 60", B_W);
    if (SHIFT_A < 0) $fatal(1, "axis_add: parameter SHIFT_A (%0d) must be >= 0", SHIFT_A);
    if (SHIFT_B < 0) $fatal(1, "axis_add: parameter SHIFT_B (%0d) must be >= 0", SHIFT_B);
    if (A_SIGNED != 0 && A_SIGNED != 1) $fatal(1, "axis_add: parameter A_SIGNED (%0d) must be 0 or 1", A_SIGNED);
    if (B_SIGNED != 0 && B_SIGNED != 1) $fatal(1, "axis_add: parameter B_SIGNED (%0d) must be 0 or 1", B_SIGNED);
    if (OUT_W < SUM_W || OUT_W > 62)
        $fatal(1, "axis_add: parameter OUT_W (%0d) must be %0d..62: the exact sum needs %0d bits", OUT_W, SUM_W, SUM_W);
end

reg  [PAR*OUT_W_S-1:0] out_data_reg;
reg                    out_valid_reg;
reg                    out_last_reg;
wire [PAR*OUT_W_S-1:0] lane_sum;

wire out_free = !out_valid_reg || m_axis_tready;
wire fire = s_axis_a_tvalid && s_axis_b_tvalid && out_free;

assign s_axis_a_tready = s_axis_b_tvalid && out_free;
assign s_axis_b_tready = s_axis_a_tvalid && out_free;
assign m_axis_tdata = out_data_reg;
assign m_axis_tvalid = out_valid_reg;
assign m_axis_tlast = out_last_reg;

genvar i;
generate
    for (i = 0; i < PAR; i = i + 1) begin : lane
        wire [A_W_S-1:0] a = s_axis_a_tdata[i*A_W_S +: A_W_S];
        wire [B_W_S-1:0] b = s_axis_b_tdata[i*B_W_S +: B_W_S];
        // one extra top bit: the sign for signed inputs, 0 for unsigned ones
        wire signed [A_W_S:0] a_s = {(A_SIGNED != 0) & a[A_W_S-1], a};
        wire signed [B_W_S:0] b_s = {(B_SIGNED != 0) & b[B_W_S-1], b};
        wire signed [EXT_W-1:0] a_ext = {{(EXT_W-A_W_S-1){a_s[A_W_S]}}, a_s};
        wire signed [EXT_W-1:0] b_ext = {{(EXT_W-B_W_S-1){b_s[B_W_S]}}, b_s};
        /* verilator lint_off UNUSEDSIGNAL */  // the exact sum fits OUT_W bits (checked above)
        wire signed [EXT_W-1:0] sum = (a_ext <<< SHIFT_A_S) + (b_ext <<< SHIFT_B_S);
        /* verilator lint_on UNUSEDSIGNAL */
        assign lane_sum[i*OUT_W_S +: OUT_W_S] = sum[OUT_W_S-1:0];
    end
endgenerate

always @(posedge clk) begin
    if (out_free) begin
        out_valid_reg <= fire;
        if (fire) begin
            out_data_reg <= lane_sum;
            out_last_reg <= s_axis_a_tlast;
        end
    end
    if (rst) begin
        out_valid_reg <= 1'b0;
        out_last_reg <= 1'b0;
    end
end

endmodule

`resetall
