`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Requantise + optional ReLU: PAR accumulators of ACC_W bits a beat (bias already added; two's
 * complement, or unsigned with IN_SIGNED = 0, e.g. a cast of a quantized_relu's output)
 * become PAR activations of DATA_W bits, exactly as hwgen.graph.ops defines:
 *
 *     out = saturate(shift_round(acc, SHIFT, ROUNDING), Fixed(DATA_W, signed=OUT_SIGNED, SAT))
 *     out = relu(out)                                   when RELU = 1
 *
 * SHIFT > 0 is an arithmetic right shift with rounding; SHIFT <= 0 an exact left shift.
 * ROUNDING: "TRN" floors (toward -inf), "RND" rounds half up, "RND_CONV" rounds half to even.
 * Saturation always clips (no silent wrap) and is counted: sat_lanes pulses, one cycle after a
 * beat is accepted, the number of its lanes that were clipped (hwgen.graph.ops.saturate's count
 * of the lanes; with RELU the ReLU comes first, as hwgen.graph.layers.cast). OUT_SIGNED = 0 gives
 * an unsigned output (negative values clip to 0, which is ReLU as a side effect, and count).
 *
 * One register stage; tlast passes through. Used on its own after the conv/dense engines and
 * instantiated by avg_pool1d (and so global_avg_pool) to round and saturate the average.
 */
module requant_relu #(
    parameter PAR = 1,               // lanes per beat
    parameter ACC_W = 24,            // accumulator width
    parameter IN_SIGNED = 1,         // 0: the inputs are unsigned
    parameter DATA_W = 8,            // output width
    parameter SHIFT = 8,             // right shift (negative: left shift)
    parameter [63:0] ROUNDING = "RND", // "TRN", "RND" or "RND_CONV"
    parameter RELU = 1,              // 1: clamp negatives to 0
    parameter OUT_SIGNED = 1,        // 0: unsigned DATA_W output
    parameter SAT_W = (PAR > 1) ? $clog2(PAR + 1) : 1  // width of sat_lanes (0..PAR)
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire [PAR*ACC_W-1:0]  s_axis_tdata,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    input  wire                  s_axis_tlast,

    output wire [PAR*DATA_W-1:0] m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast,

    // lanes clipped in the beat accepted at the last clock edge, 0 when none was: a one-cycle
    // pulse per beat, so a top-level SATURATIONS counter adds it every cycle with no handshake logic
    output reg  [SAT_W-1:0]      sat_lanes
);

// The structure uses a clamped shift so an illegal SHIFT still elaborates and the initial
// block below can name it.
localparam SHIFT_S = (SHIFT < ACC_W) ? SHIFT : 0;
// An input as a signed number: one more bit (a zero) when it is unsigned.
localparam ACC_X = IN_SIGNED != 0 ? ACC_W : ACC_W + 1;
// Width of the rounded value: one more than the shifted value so a round-up never overflows.
localparam RND_W = (SHIFT_S > 0) ? ACC_X - SHIFT_S + 1 : ACC_X - SHIFT_S;
// Comparison width: holds the rounded value and both output limits as signed numbers.
localparam CMP_W = ((RND_W > DATA_W + 1) ? RND_W : DATA_W + 1) + 1;

initial begin
    if (PAR < 1) $fatal(1, "requant_relu: parameter PAR=%0d must be >= 1", PAR);
    if (ACC_W < 2 || ACC_W > 62) $fatal(1, "requant_relu: parameter ACC_W=%0d must be 2..62", ACC_W);
    if (DATA_W < 2 || DATA_W > 32) $fatal(1, "requant_relu: parameter DATA_W=%0d must be 2..32", DATA_W);
    if (SHIFT >= ACC_W || SHIFT < -16)
        $fatal(1, "requant_relu: parameter SHIFT=%0d must be -16..ACC_W-1 (ACC_W=%0d)", SHIFT, ACC_W);
    if (ROUNDING != "TRN" && ROUNDING != "RND" && ROUNDING != "RND_CONV")
        $fatal(1, "requant_relu: parameter ROUNDING=%s must be \"TRN\", \"RND\" or \"RND_CONV\"", ROUNDING);
    if (RELU != 0 && RELU != 1) $fatal(1, "requant_relu: parameter RELU=%0d must be 0 or 1", RELU);
    if (SAT_W < $clog2(PAR + 1))
        $fatal(1, "requant_relu: parameter SAT_W=%0d must be >= clog2(PAR+1) = %0d", SAT_W, $clog2(PAR + 1));
    if (IN_SIGNED != 0 && IN_SIGNED != 1)
        $fatal(1, "requant_relu: parameter IN_SIGNED=%0d must be 0 or 1", IN_SIGNED);
    if (OUT_SIGNED != 0 && OUT_SIGNED != 1)
        $fatal(1, "requant_relu: parameter OUT_SIGNED=%0d must be 0 or 1", OUT_SIGNED);
end

localparam [1:0] MODE = (ROUNDING == "TRN") ? 2'd0 : (ROUNDING == "RND") ? 2'd1 : 2'd2;

// Output limits as CMP_W-bit signed constants (built by replication: no 32-bit integer overflow).
localparam [CMP_W-1:0] OUT_MAX = OUT_SIGNED ? {{(CMP_W-DATA_W+1){1'b0}}, {(DATA_W-1){1'b1}}}
                                            : {{(CMP_W-DATA_W){1'b0}}, {DATA_W{1'b1}}};
localparam [CMP_W-1:0] OUT_MIN = OUT_SIGNED ? {{(CMP_W-DATA_W+1){1'b1}}, {(DATA_W-1){1'b0}}}
                                            : {CMP_W{1'b0}};

reg [PAR*DATA_W-1:0] out_data_reg;
reg                  out_valid_reg;
reg                  out_last_reg;

wire [PAR*DATA_W-1:0] lane_result;
wire [PAR-1:0] lane_clipped;

assign s_axis_tready = !out_valid_reg || m_axis_tready;
assign m_axis_tdata = out_data_reg;
assign m_axis_tvalid = out_valid_reg;
assign m_axis_tlast = out_last_reg;

genvar i;
generate
    for (i = 0; i < PAR; i = i + 1) begin : lane
        wire [ACC_X-1:0] acc;
        if (IN_SIGNED != 0) begin : g_signed
            assign acc = s_axis_tdata[i*ACC_W +: ACC_W];
        end else begin : g_unsigned
            assign acc = {1'b0, s_axis_tdata[i*ACC_W +: ACC_W]};
        end
        wire [RND_W-1:0] rounded;

        if (SHIFT_S > 0) begin : g_right
            wire [ACC_X-SHIFT_S-1:0] floor_val = acc[ACC_X-1:SHIFT_S];  // arithmetic shift = floor
            wire half = acc[SHIFT_S-1];                               // remainder >= 1/2
            wire sticky;                                            // remainder bits below the half
            if (SHIFT_S > 1) begin : g_sticky
                assign sticky = |acc[SHIFT_S-2:0];
            end else begin : g_no_sticky
                assign sticky = 1'b0;
            end
            wire round_up = (MODE == 2'd1) ? half
                          : (MODE == 2'd2) ? half & (sticky | floor_val[0])
                          : 1'b0;
            assign rounded = {floor_val[ACC_X-SHIFT_S-1], floor_val} + {{(RND_W-1){1'b0}}, round_up};
        end else if (SHIFT_S == 0) begin : g_none
            assign rounded = acc;
        end else begin : g_left
            assign rounded = {acc, {(-SHIFT_S){1'b0}}};
        end

        wire signed [CMP_W-1:0] value = {{(CMP_W-RND_W){rounded[RND_W-1]}}, rounded};
        wire signed [CMP_W-1:0] relu_value = (RELU != 0 && value < 0) ? {CMP_W{1'b0}} : value;
        /* verilator lint_off UNUSEDSIGNAL */ // only the low DATA_W bits leave the lane
        wire signed [CMP_W-1:0] clipped = (relu_value > $signed(OUT_MAX)) ? $signed(OUT_MAX)
                                        : (relu_value < $signed(OUT_MIN)) ? $signed(OUT_MIN)
                                        : relu_value;
        /* verilator lint_on UNUSEDSIGNAL */
        assign lane_result[i*DATA_W +: DATA_W] = clipped[DATA_W-1:0];
        assign lane_clipped[i] = relu_value > $signed(OUT_MAX) || relu_value < $signed(OUT_MIN);
    end
endgenerate

reg [SAT_W-1:0] n_clipped;
integer n;

/* verilator lint_off WIDTHEXPAND */  // one lane's bit widens to the count
always @* begin
    n_clipped = {SAT_W{1'b0}};
    for (n = 0; n < PAR; n = n + 1)
        n_clipped = n_clipped + lane_clipped[n];
end
/* verilator lint_on WIDTHEXPAND */

always @(posedge clk) begin
    sat_lanes <= (s_axis_tvalid && s_axis_tready) ? n_clipped : {SAT_W{1'b0}};
    if (s_axis_tready) begin
        out_valid_reg <= s_axis_tvalid;
        if (s_axis_tvalid) begin
            out_data_reg <= lane_result;
            out_last_reg <= s_axis_tlast;
        end
    end

    if (rst) begin
        out_valid_reg <= 1'b0;
        out_last_reg <= 1'b0;
        sat_lanes <= {SAT_W{1'b0}};
    end
end

endmodule

`resetall
