`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Arg-max: a frame of N signed values (PAR a beat, e.g. the logits of a dense layer) -> one
 * beat holding the index of the largest value, tlast set. Ties go to the lowest index, as
 * hwgen.graph.ops.argmax (numpy argmax) does: a later value wins only if strictly greater.
 */
module argmax #(
    parameter N = 4,                 // values per frame (classes)
    parameter PAR = 1,               // values per beat
    parameter DATA_W = 24,           // signed value width
    parameter IDX_W = (N > 1) ? $clog2(N) : 1  // output index width
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire [PAR*DATA_W-1:0] s_axis_tdata,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    input  wire                  s_axis_tlast,

    output wire [IDX_W-1:0]      m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast
);

localparam BEATS = N / PAR;
localparam B_W = (BEATS > 1) ? $clog2(BEATS) : 1;

initial begin
    if (PAR < 1 || N < 1 || N % PAR != 0)
        $fatal(1, "argmax: parameter N=%0d must be a positive multiple of PAR=%0d", N, PAR);
    if (DATA_W < 2 || DATA_W > 62) $fatal(1, "argmax: parameter DATA_W=%0d must be 2..62", DATA_W);
    if (IDX_W < 1 || (N > 1 && IDX_W < $clog2(N)))
        $fatal(1, "argmax: parameter IDX_W=%0d must be >= clog2(N) = %0d", IDX_W, $clog2(N));
end

reg [B_W-1:0]    beat_cnt;
reg [DATA_W-1:0] best_val;
reg [IDX_W-1:0]  best_idx;

reg [IDX_W-1:0]  out_data_reg;
reg              out_valid_reg;

wire accept = s_axis_tvalid && s_axis_tready;
wire last_beat = (beat_cnt == B_W'(BEATS - 1));

assign s_axis_tready = !out_valid_reg || m_axis_tready;
assign m_axis_tdata = out_data_reg;
assign m_axis_tvalid = out_valid_reg;
assign m_axis_tlast = 1'b1;

// Scan the lanes in order, starting from the running best (none at the first beat).
reg signed [DATA_W-1:0] scan_val;
reg        [IDX_W-1:0]  scan_idx;
reg                     scan_any;
reg signed [DATA_W-1:0] lane_val;
integer k;

always @* begin
    scan_val = best_val;
    scan_idx = best_idx;
    scan_any = (beat_cnt != 0);
    for (k = 0; k < PAR; k = k + 1) begin
        lane_val = s_axis_tdata[k*DATA_W +: DATA_W];
        if (!scan_any || lane_val > scan_val) begin  // strictly greater: ties keep the lower index
            scan_val = lane_val;
            scan_idx = IDX_W'(beat_cnt) * IDX_W'(PAR) + IDX_W'(k);
        end
        scan_any = 1'b1;
    end
end

always @(posedge clk) begin
    if (m_axis_tready) out_valid_reg <= 1'b0;

    if (accept) begin
        best_val <= scan_val;
        best_idx <= scan_idx;
        if (last_beat) begin
            out_data_reg <= scan_idx;
            out_valid_reg <= 1'b1;
        end
        beat_cnt <= (last_beat || s_axis_tlast) ? {B_W{1'b0}} : beat_cnt + 1'b1;
    end

    if (rst) begin
        beat_cnt <= 0;
        out_valid_reg <= 1'b0;
    end
end

endmodule

`resetall
