`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Channel concatenation: N streams (N = 2..4) of the same frames (T time steps, time-major, PAR
 * channels per beat, W bits a value), part i with CH<i> channels, -> one stream of
 * CH0 + ... + CH<N-1> channels per time step: for every time step, part 0's CH0/PAR beats, then
 * part 1's, and so on. Equals hwgen.graph.layers.concatenate when every part already has the
 * output type (the generator puts a requant_relu on each part that needs a cast).
 *
 * Each input is read only while its channel groups are due, so the others wait (their producers
 * stall or, on a fork, their FIFOs fill: the generator sizes those). One register stage, one
 * output beat per cycle. tlast: the last part's tlast on its last beat; the other parts' tlast
 * are not needed (the frames inside the accelerator are whole: frame_in completes short ones).
 *
 * Part i is lane group i of the vector inputs: s_axis_tdata[i*PAR*W +: PAR*W], s_axis_tvalid[i],
 * s_axis_tready[i], s_axis_tlast[i] (verilog-axis axis_mux style).
 */
module axis_concat #(
    parameter N = 2,                  // parts (2..4)
    parameter PAR = 1,                // channels per beat, every part and the output
    parameter W = 8,                  // bits per value
    parameter CH0 = 4,                // channels of each part (multiples of PAR)
    parameter CH1 = 4,
    parameter CH2 = 0,                // used when N >= 3
    parameter CH3 = 0                 // used when N = 4
) (
    input  wire                 clk,
    input  wire                 rst,

    input  wire [N*PAR*W-1:0]   s_axis_tdata,
    input  wire [N-1:0]         s_axis_tvalid,
    output wire [N-1:0]         s_axis_tready,
    /* verilator lint_off UNUSEDSIGNAL */  // only the last part's tlast ends the output frame
    input  wire [N-1:0]         s_axis_tlast,
    /* verilator lint_on UNUSEDSIGNAL */

    output wire [PAR*W-1:0]     m_axis_tdata,
    output wire                 m_axis_tvalid,
    input  wire                 m_axis_tready,
    output wire                 m_axis_tlast
);

localparam N_S = N >= 2 && N <= 4 ? N : 2;
localparam PAR_S = PAR > 0 ? PAR : 1;
localparam BEAT_W = PAR_S * W;
// channel groups of each part (0 for the parts beyond N)
localparam G0 = CH0 / PAR_S;
localparam G1 = CH1 / PAR_S;
localparam G2 = N_S >= 3 ? CH2 / PAR_S : 0;
localparam G3 = N_S >= 4 ? CH3 / PAR_S : 0;
localparam G_MAX = G0 > G1 ? (G0 > G2 ? (G0 > G3 ? G0 : G3) : (G2 > G3 ? G2 : G3))
                           : (G1 > G2 ? (G1 > G3 ? G1 : G3) : (G2 > G3 ? G2 : G3));
localparam G_W = G_MAX > 1 ? $clog2(G_MAX) : 1;
localparam P_W = N_S > 2 ? 2 : 1;

initial begin
    if (N < 2 || N > 4) $fatal(1, "axis_concat: parameter N (%0d) must be 2..4", N);
    if (PAR < 1) $fatal(1, "axis_concat: parameter PAR (%0d) must be >= 1", PAR);
    if (W < 1) $fatal(1, "axis_concat: parameter W (%0d) must be >= 1", W);
    if (CH0 < 1 || CH0 % PAR_S != 0)
        $fatal(1, "axis_concat: parameter CH0 (%0d) must be a positive multiple of PAR (%0d)", CH0, PAR);
    if (CH1 < 1 || CH1 % PAR_S != 0)
        $fatal(1, "axis_concat: parameter CH1 (%0d) must be a positive multiple of PAR (%0d)", CH1, PAR);
    if (N >= 3 && (CH2 < 1 || CH2 % PAR_S != 0))
        $fatal(1, "axis_concat: parameter CH2 (%0d) must be a positive multiple of PAR (%0d)", CH2, PAR);
    if (N >= 4 && (CH3 < 1 || CH3 % PAR_S != 0))
        $fatal(1, "axis_concat: parameter CH3 (%0d) must be a positive multiple of PAR (%0d)", CH3, PAR);
end

// last channel group of each part, at the counter's width
localparam integer G0_M1 = G0 > 0 ? G0 - 1 : 0;
localparam integer G1_M1 = G1 > 0 ? G1 - 1 : 0;
localparam integer G2_M1 = G2 > 0 ? G2 - 1 : 0;
localparam integer G3_M1 = G3 > 0 ? G3 - 1 : 0;
localparam [4*G_W-1:0] LAST_GROUPS = {G3_M1[G_W-1:0], G2_M1[G_W-1:0], G1_M1[G_W-1:0], G0_M1[G_W-1:0]};
localparam integer LAST_PART_I = N_S - 1;
localparam [P_W-1:0] LAST_PART = LAST_PART_I[P_W-1:0];

reg [P_W-1:0] part;           // part whose channel groups are due
reg [G_W-1:0] group;          // channel group within that part
reg [BEAT_W-1:0] out_data_reg;
reg out_valid_reg;
reg out_last_reg;

wire out_free = !out_valid_reg || m_axis_tready;
wire in_valid = s_axis_tvalid[part];
wire in_last = s_axis_tlast[part];
wire [BEAT_W-1:0] in_data = s_axis_tdata[part*BEAT_W +: BEAT_W];
wire fire = in_valid && out_free;
wire part_done = group == LAST_GROUPS[part*G_W +: G_W];

genvar i;
generate
    for (i = 0; i < N_S; i = i + 1) begin : g_ready
        localparam [P_W-1:0] INDEX = i;
        assign s_axis_tready[i] = out_free && part == INDEX;
    end
endgenerate

assign m_axis_tdata = out_data_reg;
assign m_axis_tvalid = out_valid_reg;
assign m_axis_tlast = out_last_reg;

always @(posedge clk) begin
    if (out_free) begin
        out_valid_reg <= fire;
        if (fire) begin
            out_data_reg <= in_data;
            out_last_reg <= part == LAST_PART && part_done && in_last;
        end
    end
    if (fire) begin
        group <= part_done ? {G_W{1'b0}} : group + 1'b1;
        if (part_done)
            part <= part == LAST_PART ? {P_W{1'b0}} : part + 1'b1;
    end
    if (rst) begin
        part <= {P_W{1'b0}};
        group <= {G_W{1'b0}};
        out_valid_reg <= 1'b0;
        out_last_reg <= 1'b0;
    end
end

endmodule

`resetall
