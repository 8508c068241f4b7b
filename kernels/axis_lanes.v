`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Lane-count converter: a stream of W-bit values, IN_PAR per beat -> the same values in the same
 * order, OUT_PAR per beat (value j of the frame: beat j / PAR, lane j % PAR). Any pair of widths:
 * through L = lcm(IN_PAR, OUT_PAR) lanes, gathering IN_PAR-lane beats into L-lane words and
 * scattering those into OUT_PAR-lane beats; a frame of T x CH values converts exactly when CH is a
 * multiple of both (then of L), e.g. 8 -> 64, 64 -> 8, 2 -> 3 with CH = 6.
 *
 *   IN_PAR = OUT_PAR           wires, no register
 *   OUT_PAR multiple of IN_PAR gather only: one L-lane register, full input rate (a beat per cycle)
 *   IN_PAR multiple of OUT_PAR scatter only: no register (the input beat is held by its producer
 *                              while its IN_PAR/OUT_PAR slices leave; HOLD = 1: registered),
 *                              full output rate
 *   neither                    gather, then a registered scatter: full rate on both sides
 *
 * tlast is kept on the frame's last value's beat. An input tlast ends the current L-lane word
 * early, so a frame that is not a multiple of L (a short frame, or frame_in's padded last beat)
 * never shifts the next one.
 *
 * KEEP_ENABLE = 1: s_axis_tkeep (one bit per input lane) marks the values of the frame's last beat
 * (lanes 0..k-1, k >= 1; every other beat is full). Only kept lanes come out: the output frame has
 * ceil(kept values / OUT_PAR) beats, whole when the kept values are a multiple of OUT_PAR.
 * KEEP_ENABLE = 0 ignores s_axis_tkeep.
 *
 * HOLD = 1 gives a scatter-only conversion the register of the general case: the input beat is
 * taken at once (IN_PAR*W flip-flops) and leaves in slices while the next one is produced, so a
 * producer whose pipeline stalls while its output waits (a convolution engine) loses no cycles.
 * HOLD = 0: the producer holds its beat until its last slice has left (no register).
 */
module axis_lanes #(
    parameter W = 8,                  // bits per value
    parameter IN_PAR = 8,             // values per input beat
    parameter OUT_PAR = 2,            // values per output beat
    parameter KEEP_ENABLE = 0,        // 1: s_axis_tkeep marks the values of the last beat
    parameter HOLD = 0                // 1: a scatter takes its input beat into a register at once
) (
    /* verilator lint_off UNUSEDSIGNAL */  // a plain wire when IN_PAR = OUT_PAR
    input  wire                    clk,
    input  wire                    rst,
    /* verilator lint_on UNUSEDSIGNAL */

    input  wire [IN_PAR*W-1:0]     s_axis_tdata,
    /* verilator lint_off UNUSEDSIGNAL */  // unused when KEEP_ENABLE = 0 or IN_PAR = OUT_PAR
    input  wire [IN_PAR-1:0]       s_axis_tkeep,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                    s_axis_tvalid,
    output wire                    s_axis_tready,
    input  wire                    s_axis_tlast,

    output wire [OUT_PAR*W-1:0]    m_axis_tdata,
    output wire                    m_axis_tvalid,
    input  wire                    m_axis_tready,
    output wire                    m_axis_tlast
);

function integer gcd(input integer a, input integer b);
    integer x, y, r;
    begin
        x = a;
        y = b;
        while (y != 0) begin
            r = x % y;
            x = y;
            y = r;
        end
        gcd = x;
    end
endfunction

localparam PI = IN_PAR > 0 ? IN_PAR : 1;
localparam PO = OUT_PAR > 0 ? OUT_PAR : 1;
localparam L = PI / gcd(PI, PO) * PO;     // lanes of the common word
localparam R_IN = L / PI;                 // input beats per word
localparam R_OUT = L / PO;                // output beats per word
localparam CI_W = R_IN > 1 ? $clog2(R_IN) : 1;
localparam CO_W = R_OUT > 1 ? $clog2(R_OUT) : 1;
localparam integer R_IN_M1 = R_IN - 1;
localparam integer R_OUT_M1 = R_OUT - 1;
localparam [CI_W-1:0] LAST_IN = R_IN_M1[CI_W-1:0];
localparam [CO_W-1:0] LAST_OUT = R_OUT_M1[CO_W-1:0];

initial begin
    if (W < 1) $fatal(1, "axis_lanes: parameter W (%0d) must be >= 1", W);
    if (IN_PAR < 1) $fatal(1, "axis_lanes: parameter IN_PAR (%0d) must be >= 1", IN_PAR);
    if (OUT_PAR < 1) $fatal(1, "axis_lanes: parameter OUT_PAR (%0d) must be >= 1", OUT_PAR);
    if (HOLD != 0 && HOLD != 1) $fatal(1, "axis_lanes: parameter HOLD (%0d) must be 0 or 1", HOLD);
    if (KEEP_ENABLE != 0 && KEEP_ENABLE != 1)
        $fatal(1, "axis_lanes: parameter KEEP_ENABLE (%0d) must be 0 or 1", KEEP_ENABLE);
end

wire [PI-1:0] in_keep = KEEP_ENABLE != 0 ? s_axis_tkeep : {PI{1'b1}};

// The L-lane word between the two halves: {data, keep per lane, last, valid} and its take.
wire [L*W-1:0] word_data;
/* verilator lint_off UNUSEDSIGNAL */  // no scatter: every gathered word leaves whole
wire [L-1:0]   word_keep;
/* verilator lint_on UNUSEDSIGNAL */
wire           word_last;
wire           word_valid;
wire           word_take;

generate
if (PI == PO) begin : g_wires
    assign word_data = s_axis_tdata;
    assign word_keep = in_keep;
    assign word_last = s_axis_tlast;
    assign word_valid = s_axis_tvalid;
    assign s_axis_tready = word_take;
end else if (R_IN == 1) begin : g_no_gather
    assign word_data = s_axis_tdata;
    assign word_keep = in_keep;
    assign word_last = s_axis_tlast;
    assign word_valid = s_axis_tvalid;
    assign s_axis_tready = word_take;
end else begin : g_gather
    reg [L*W-1:0] g_data;
    reg [L-1:0]   g_keep;
    reg           g_last;
    reg           g_valid;
    reg [CI_W-1:0] g_cnt;
    wire fire = s_axis_tvalid && s_axis_tready;
    wire [L-1:0] keep_here = {{(L-PI){1'b0}}, in_keep} << (g_cnt * PI);

    // a new input beat may fill slot 0 in the cycle the finished word is taken
    assign s_axis_tready = !g_valid || word_take;
    assign word_data = g_data;
    assign word_keep = g_keep;
    assign word_last = g_last;
    assign word_valid = g_valid;

    always @(posedge clk) begin
        if (word_take)
            g_valid <= 1'b0;
        if (fire) begin
            g_data[g_cnt*PI*W +: PI*W] <= s_axis_tdata;
            g_keep <= (g_cnt == {CI_W{1'b0}} ? {L{1'b0}} : g_keep) | keep_here;
            if (g_cnt == LAST_IN || s_axis_tlast) begin
                g_valid <= 1'b1;
                g_last <= s_axis_tlast;
                g_cnt <= {CI_W{1'b0}};
            end else begin
                g_cnt <= g_cnt + 1'b1;
            end
        end
        if (rst) begin
            g_valid <= 1'b0;
            g_last <= 1'b0;
            g_cnt <= {CI_W{1'b0}};
        end
    end
end
endgenerate

generate
if (PI == PO || R_OUT == 1) begin : g_no_scatter
    assign m_axis_tdata = word_data;
    assign m_axis_tvalid = word_valid;
    assign m_axis_tlast = word_last;
    assign word_take = word_valid && m_axis_tready;
end else begin : g_scatter
    wire [L*W-1:0] h_data;
    wire [L-1:0]   h_keep;
    wire           h_last;
    wire           h_valid;
    reg  [CO_W-1:0] s_cnt;
    // slice k holds kept values when its first lane is kept (kept lanes are contiguous)
    // (indexed by a CO_W+1-bit slice number, the slots past R_OUT hold nothing)
    wire [(2 << CO_W)-1:0] slice_kept;
    genvar k;
    for (k = 0; k < (2 << CO_W); k = k + 1) begin : g_kept
        if (k < R_OUT) begin : g_slice
            assign slice_kept[k] = h_keep[k*PO];
        end else begin : g_none
            assign slice_kept[k] = 1'b0;
        end
    end
    // this slice is the word's last one: the last slot, or the next slice holds no kept value
    wire slice_last = s_cnt == LAST_OUT || !slice_kept[{1'b0, s_cnt} + 1'b1];
    wire out_fire = h_valid && m_axis_tready;
    wire h_done = out_fire && slice_last;

    if (R_IN == 1 && HOLD == 0) begin : g_direct
        // the producer holds its beat while the slices leave
        assign h_data = word_data;
        assign h_keep = word_keep;
        assign h_last = word_last;
        assign h_valid = word_valid;
        assign word_take = h_done;
    end else begin : g_hold
        // a second register, so the gather can fill the next word while this one leaves
        reg [L*W-1:0] hold_data;
        reg [L-1:0]   hold_keep;
        reg           hold_last;
        reg           hold_valid;
        assign word_take = word_valid && (!hold_valid || h_done);
        assign h_data = hold_data;
        assign h_keep = hold_keep;
        assign h_last = hold_last;
        assign h_valid = hold_valid;
        always @(posedge clk) begin
            if (h_done)
                hold_valid <= 1'b0;
            if (word_take) begin
                hold_data <= word_data;
                hold_keep <= word_keep;
                hold_last <= word_last;
                hold_valid <= 1'b1;
            end
            if (rst)
                hold_valid <= 1'b0;
        end
    end

    // the slice as a one-hot select of R_OUT words (a variable part-select of the whole word maps
    // to a barrel shifter over all L*W bits: 1,400 LUTs for 16 x 31 -> 4 x 31 instead of 124)
    reg [PO*W-1:0] slice;
    integer j;
    always @* begin
        slice = h_data[0 +: PO*W];
        for (j = 1; j < R_OUT; j = j + 1)
            if ({{(32-CO_W){1'b0}}, s_cnt} == j)
                slice = h_data[j*PO*W +: PO*W];
    end
    assign m_axis_tdata = slice;
    assign m_axis_tvalid = h_valid;
    assign m_axis_tlast = h_last && slice_last;

    always @(posedge clk) begin
        if (out_fire)
            s_cnt <= slice_last ? {CO_W{1'b0}} : s_cnt + 1'b1;
        if (rst)
            s_cnt <= {CO_W{1'b0}};
    end
end
endgenerate

endmodule

`resetall
