`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * One product of an activation and a weight, exact: the single definition of the products of
 * conv1d_engine (conv1d_mac, shift_conv1d), depthwise_conv1d and dense. Combinational.
 *
 * x: DATA_W bits, two's complement (DATA_SIGNED = 1) or unsigned (DATA_SIGNED = 0, the output
 *    of a quantized_relu).
 * w: PRODUCT "mul":   a WEIGHT_W-bit two's complement integer; p = x * w (a multiplier, DSP48).
 *    PRODUCT "lut":   the same integer and product, formed as a sum of shifted partial products
 *                     in LUTs and carry chains (no `*`: no tool maps it to a DSP48), for a design
 *                     whose multipliers outnumber the part's DSP48s.
 *    PRODUCT "shift": a power-of-two code {sign[1:0], shift[SHIFT_W-1:0]}, WEIGHT_W = 2 + SHIFT_W,
 *                     SHIFT_W = clog2(MAX_SHIFT + 1); sign 01 = +1, 11 = -1, 00 = 0 (10 is never
 *                     written: also 0). p = +-(x <<< shift), hwgen.graph.ops.shift_product:
 *                     a shifter and a conditional negation, no multiplier.
 *                     hwgen.rtl.memfile.po2_codes writes the codes.
 * p: PROD_W bits, two's complement; PROD_W must hold every product (checked at time 0).
 */
module weight_product #(
    parameter DATA_W = 8,
    parameter DATA_SIGNED = 1,
    parameter WEIGHT_W = 8,
    parameter PRODUCT = "mul",        // "mul", "lut" or "shift"
    parameter MAX_SHIFT = 7,          // "shift": largest shift amount
    parameter PROD_W = 16             // product width
) (
    input  wire [DATA_W-1:0]         x,
    input  wire [WEIGHT_W-1:0]       w,
    output reg  signed [PROD_W-1:0]  p
);

/* verilator lint_off WIDTHEXPAND */  // strings of different lengths compare fine
localparam IS_SHIFT = (PRODUCT == "shift");
localparam IS_MUL = (PRODUCT == "mul");
localparam IS_LUT = (PRODUCT == "lut");
/* verilator lint_on WIDTHEXPAND */
localparam SHIFT_W = MAX_SHIFT > 0 ? $clog2(MAX_SHIFT + 1) : 1;
localparam X_W = DATA_SIGNED != 0 ? DATA_W : DATA_W + 1;      // x as a signed number
// bits of the widest product: |x| <= 2**(X_W-1), |w| <= 2**(WEIGHT_W-1) or 2**MAX_SHIFT
localparam NEED_W = IS_SHIFT ? X_W + MAX_SHIFT + 1 : X_W + WEIGHT_W;

initial begin
    if (!IS_MUL && !IS_SHIFT && !IS_LUT)
        $fatal(1, "weight_product: parameter PRODUCT must be \"mul\", \"lut\" or \"shift\"");
    if (DATA_W < 1)
        $fatal(1, "weight_product: parameter DATA_W (%0d) must be >= 1", DATA_W);
    if (DATA_SIGNED != 0 && DATA_SIGNED != 1)
        $fatal(1, "weight_product: parameter DATA_SIGNED (%0d) must be 0 or 1", DATA_SIGNED);
    if (IS_SHIFT && MAX_SHIFT < 0)
        $fatal(1, "weight_product: parameter MAX_SHIFT (%0d) must be >= 0", MAX_SHIFT);
    if (IS_SHIFT && WEIGHT_W != SHIFT_W + 2)
        $fatal(1, "weight_product: parameter WEIGHT_W (%0d) must be 2 + clog2(MAX_SHIFT+1) = %0d for shift weights", WEIGHT_W, SHIFT_W + 2);
    if ((IS_MUL || IS_LUT) && WEIGHT_W < 2)
        $fatal(1, "weight_product: parameter WEIGHT_W (%0d) must be >= 2", WEIGHT_W);
    if (PROD_W < NEED_W)
        $fatal(1, "weight_product: parameter PROD_W (%0d) cannot hold every product (%0d bits)", PROD_W, NEED_W);
end

// x with one more bit: the sign copied (signed data) or a zero (unsigned): always a signed number
wire signed [DATA_W:0] x_ext = {DATA_SIGNED != 0 && x[DATA_W-1], x};

/* verilator lint_off WIDTHEXPAND */  // signed operands sign-extend to PROD_W
/* verilator lint_off WIDTHTRUNC */   // the product fits PROD_W (checked above)
generate
if (IS_SHIFT) begin : g_shift
    // -v = ~v + 1 with the inversion and the masking in the same LUTs as the shift: yosys maps
    // this smaller than a case over {v, -v, 0} (904 vs 1267 LUTs for shift_conv1d's defaults)
    wire signed [PROD_W-1:0] wide_x = x_ext;
    wire signed [PROD_W-1:0] shifted = wide_x <<< w[SHIFT_W-1:0];
    wire nonzero = w[WEIGHT_W-2];                    // sign 01 or 11
    wire negate = w[WEIGHT_W-1] && nonzero;          // sign 11
    always @* p = ((shifted & {PROD_W{nonzero}}) ^ {PROD_W{negate}}) + {{(PROD_W-1){1'b0}}, negate};
end else if (IS_LUT) begin : g_lut
    // x * w = the sum over w's bits b of x << b, the top bit's term subtracted (two's complement);
    // each mask shares its adder bit's LUT: one LUT and carry per bit and partial product
    wire signed [PROD_W-1:0] wide_x = x_ext;
    reg signed [PROD_W-1:0] sum;
    integer b;
    always @* begin
        sum = {PROD_W{1'b0}} - ((wide_x <<< (WEIGHT_W - 1)) & {PROD_W{w[WEIGHT_W-1]}});
        for (b = 0; b < WEIGHT_W - 1; b = b + 1)
            sum = sum + ((wide_x <<< b) & {PROD_W{w[b]}});
        p = sum;
    end
end else begin : g_mul
    wire signed [WEIGHT_W-1:0] w_int = w;
    always @* p = x_ext * w_int;
end
endgenerate
/* verilator lint_on WIDTHTRUNC */
/* verilator lint_on WIDTHEXPAND */

endmodule

`resetall
