`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * The accelerator's output port: the logits stream -> 1 + N_CLASSES 32-bit beats per frame, exactly
 * hwgen.runtime.protocol.StreamFormat.output_words:
 *
 *   beat 0             the class index: argmax of the logits, ties to the lowest index (argmax.v)
 *   beats 1..N_CLASSES the logits, two's complement sign-extended from ACC_W to 32 bits
 *   tlast on the last beat
 *
 * In: one frame = N_CLASSES signed ACC_W-bit logits, PAR a beat (the dense layer's accumulators).
 * The index comes first but is known only after the last logit, so the frame's logits are kept in
 * a small buffer (N_CLASSES x ACC_W bits) while argmax.v scans them; the input then waits until the
 * last logit has been loaded into the output register. Cycles per frame: N_CLASSES/PAR (in) + 1
 * (argmax register) + 1 + N_CLASSES (out), negligible beside a network's frame time.
 * frame_done pulses (one cycle, registered) when the frame's last beat is accepted.
 * ACC_W > 32 cannot be sign-extended into a 32-bit beat: refused at time 0.
 */
module result_out #(
    parameter N_CLASSES = 4,          // logits per frame (>= 2)
    parameter PAR = 1,                // logits per input beat
    parameter ACC_W = 24              // signed logit width, 2..32
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire [PAR*ACC_W-1:0]  s_axis_tdata,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    input  wire                  s_axis_tlast,

    output wire [31:0]           m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast,

    output reg                   frame_done     // pulse: the frame's last output beat was accepted
);

localparam ACC_W_S = ACC_W >= 2 && ACC_W <= 32 ? ACC_W : 32;
localparam PAR_S = PAR > 0 ? PAR : 1;
localparam BEATS = N_CLASSES / PAR_S > 0 ? N_CLASSES / PAR_S : 1;
localparam N_S = BEATS * PAR_S;
localparam IDX_W = N_S > 1 ? $clog2(N_S) : 1;
localparam B_W = BEATS > 1 ? $clog2(BEATS) : 1;
localparam L_W = PAR_S > 1 ? $clog2(PAR_S) : 1;
localparam O_W = $clog2(N_S + 1);            // output beat counter: 0 = index, 1..N = logits
localparam integer BEATS_M1 = BEATS - 1;
localparam integer PAR_M1 = PAR_S - 1;
localparam [B_W-1:0] LAST_BEAT = BEATS_M1[B_W-1:0];
localparam [L_W-1:0] LAST_LANE = PAR_M1[L_W-1:0];
localparam [O_W-1:0] LAST_OUT = N_S[O_W-1:0];

initial begin
    if (ACC_W > 32)
        $fatal(1, "result_out: parameter ACC_W (%0d) must be <= 32: a logit is sign-extended into a 32-bit output beat", ACC_W);
    if (ACC_W < 2) $fatal(1, "result_out: parameter ACC_W (%0d) must be >= 2", ACC_W);
    if (N_CLASSES < 2) $fatal(1, "result_out: parameter N_CLASSES (%0d) must be >= 2", N_CLASSES);
    if (PAR < 1 || N_CLASSES % PAR != 0)
        $fatal(1, "result_out: parameter PAR (%0d) must divide N_CLASSES (%0d)", PAR, N_CLASSES);
end

// ---------------------------------------------------------------- collect: buffer + argmax
// the lanes at the structural width (equal to the ports' unless ACC_W is refused above)
wire [PAR_S*ACC_W_S-1:0] in_data;
genvar i;
generate
    for (i = 0; i < PAR_S; i = i + 1) begin : g_lane
        assign in_data[i*ACC_W_S +: ACC_W_S] = s_axis_tdata[i*ACC_W +: ACC_W_S];
    end
endgenerate

reg collecting;                     // 1: taking the frame's logits, 0: sending them
reg [B_W-1:0] in_beat;
reg [PAR_S*ACC_W_S-1:0] logits [0:BEATS-1];

wire am_s_tready;
wire [IDX_W-1:0] am_index;
wire am_valid;
wire am_take;
assign s_axis_tready = collecting && am_s_tready;
wire take = s_axis_tvalid && s_axis_tready;
wire in_done = in_beat == LAST_BEAT || s_axis_tlast;

argmax #(.N(N_S), .PAR(PAR_S), .DATA_W(ACC_W_S), .IDX_W(IDX_W)) u_argmax (
    .clk(clk), .rst(rst),
    .s_axis_tdata(in_data), .s_axis_tvalid(s_axis_tvalid && collecting), .s_axis_tready(am_s_tready),
    .s_axis_tlast(s_axis_tlast),
    /* verilator lint_off PINCONNECTEMPTY */  // one index per frame: its tlast is always set
    .m_axis_tdata(am_index), .m_axis_tvalid(am_valid), .m_axis_tready(am_take), .m_axis_tlast()
    /* verilator lint_on PINCONNECTEMPTY */
);

always @(posedge clk)
    if (take)
        logits[in_beat] <= in_data;

// ---------------------------------------------------------------- send: index, then logits
reg [O_W-1:0] out_beat;             // next beat to load: 0 = index, k = logit k-1
reg [B_W-1:0] rd_beat;              // buffer word and lane of the next logit
reg [L_W-1:0] rd_lane;
reg [31:0] out_data;
reg out_valid;
reg out_last;

wire out_free = !out_valid || m_axis_tready;
wire load_index = !collecting && out_beat == {O_W{1'b0}} && am_valid && out_free;
wire load_logit = !collecting && out_beat != {O_W{1'b0}} && out_free;
assign am_take = load_index;

wire [PAR_S*ACC_W_S-1:0] rd_word = logits[rd_beat];
wire [ACC_W_S-1:0] logit = rd_word[rd_lane*ACC_W_S +: ACC_W_S];
wire [31:0] logit_32;
wire [31:0] index_32;
generate
    if (ACC_W_S < 32) begin : g_extend
        assign logit_32 = {{(32-ACC_W_S){logit[ACC_W_S-1]}}, logit};
    end else begin : g_full
        assign logit_32 = logit;
    end
    if (IDX_W < 32) begin : g_index
        assign index_32 = {{(32-IDX_W){1'b0}}, am_index};
    end else begin : g_index_full
        assign index_32 = am_index;
    end
endgenerate

assign m_axis_tdata = out_data;
assign m_axis_tvalid = out_valid;
assign m_axis_tlast = out_last;

always @(posedge clk) begin
    frame_done <= out_valid && m_axis_tready && out_last;
    if (m_axis_tready)
        out_valid <= 1'b0;
    if (take) begin
        in_beat <= in_done ? {B_W{1'b0}} : in_beat + 1'b1;
        if (in_done)
            collecting <= 1'b0;
    end
    if (load_index) begin
        out_data <= index_32;
        out_valid <= 1'b1;
        out_last <= 1'b0;
        out_beat <= 1;
    end
    if (load_logit) begin
        out_data <= logit_32;
        out_valid <= 1'b1;
        out_last <= out_beat == LAST_OUT;
        rd_lane <= rd_lane == LAST_LANE ? {L_W{1'b0}} : rd_lane + 1'b1;
        if (rd_lane == LAST_LANE)
            rd_beat <= rd_beat + 1'b1;
        if (out_beat == LAST_OUT) begin   // the buffer is read out: take the next frame
            out_beat <= {O_W{1'b0}};
            rd_beat <= {B_W{1'b0}};
            rd_lane <= {L_W{1'b0}};
            collecting <= 1'b1;
        end else begin
            out_beat <= out_beat + 1'b1;
        end
    end
    if (rst) begin
        collecting <= 1'b1;
        in_beat <= {B_W{1'b0}};
        out_beat <= {O_W{1'b0}};
        rd_beat <= {B_W{1'b0}};
        rd_lane <= {L_W{1'b0}};
        out_valid <= 1'b0;
        out_last <= 1'b0;
        frame_done <= 1'b0;
    end
end

endmodule

`resetall
