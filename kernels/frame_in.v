`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * The accelerator's input port: DMA beats carrying packed frames (hwgen.runtime.protocol
 * StreamFormat.pack) -> the first layer's activation stream.
 *
 * In:  DATA-bit beats; a frame is T lines x D values, time-major, value j of a beat in lane j
 *      (s_axis_tdata[j*LANE_BITS +: LANE_BITS], LANE_BITS = 8*ceil(IN_BITS/8)), the frame's last
 *      beat zero-padded when T*D is not a multiple of the lanes, tlast on it. Only the low IN_BITS
 *      bits of a lane are used (StreamFormat.quantize keeps values in range).
 * Out: the same T x D unsigned IN_BITS-bit values, PAR a beat (D % PAR == 0), tlast on the frame's
 *      last value: the stream convention of kernels/README.md.
 *
 * Frame check, against the length T*D fixed by the parameters (tlast alone never sets it):
 *   - short frame: tlast before the frame's last beat. short_frame pulses; the kernel stops taking
 *     input and completes the frame with zero values, so the core only ever sees whole frames and
 *     every frame sent yields one result.
 *   - long frame: the frame's last beat comes without tlast. long_frame pulses; the frame goes out
 *     whole, and the input is discarded up to and including the next tlast (the rest of that DMA
 *     transfer), after which the next frame comes out right.
 * frame_start pulses when a frame's first beat is accepted (the start of LAST_CYCLES/INTERVAL).
 *
 * Structure: a framing register (beat count, checks, lane mask of the last beat), then axis_lanes
 * (LANES -> PAR values a beat, padding dropped). s_axis_tready is low during reset, so a DMA
 * transfer in flight is held, not lost, while the accelerator resets.
 */
module frame_in #(
    parameter DATA = 64,              // input tdata bits
    parameter IN_BITS = 8,            // bits of an input value (unsigned), 1..16
    parameter T = 16,                 // lines per frame
    parameter D = 8,                  // values per line
    parameter PAR = 2                 // values per output beat
) (
    input  wire                    clk,
    input  wire                    rst,

    input  wire [DATA-1:0]         s_axis_tdata,
    input  wire                    s_axis_tvalid,
    output wire                    s_axis_tready,
    input  wire                    s_axis_tlast,

    output wire [PAR*IN_BITS-1:0]  m_axis_tdata,
    output wire                    m_axis_tvalid,
    input  wire                    m_axis_tready,
    output wire                    m_axis_tlast,

    output reg                     frame_start,   // pulse: first beat of a frame accepted
    output reg                     short_frame,   // pulse: tlast before the frame's last beat
    output reg                     long_frame     // pulse: no tlast on the frame's last beat
);

localparam IN_BITS_S = IN_BITS >= 1 && IN_BITS <= 16 ? IN_BITS : 8;
localparam LANE_BITS = IN_BITS_S > 8 ? 16 : 8;
localparam LANES = DATA / LANE_BITS > 0 ? DATA / LANE_BITS : 1;
localparam VALUES = T * D;
localparam BEATS = VALUES > 0 ? (VALUES + LANES - 1) / LANES : 1;
localparam LAST_LANES = VALUES - (BEATS - 1) * LANES;     // values in the frame's last beat
localparam BEAT_CNT_W = BEATS > 1 ? $clog2(BEATS) : 1;
localparam integer BEATS_M1 = BEATS - 1;
localparam [BEAT_CNT_W-1:0] LAST_BEAT = BEATS_M1[BEAT_CNT_W-1:0];
localparam [LANES-1:0] LAST_KEEP = {LANES{1'b1}} >> (LANES - (LAST_LANES > 0 ? LAST_LANES : LANES));

initial begin
    if (IN_BITS < 1 || IN_BITS > 16) $fatal(1, "frame_in: parameter IN_BITS (%0d) must be 1..16", IN_BITS);
    if (DATA < LANE_BITS || DATA % LANE_BITS != 0)
        $fatal(1, "frame_in: parameter DATA (%0d) must be a multiple of the %0d-bit lane", DATA, LANE_BITS);
    if (T < 1) $fatal(1, "frame_in: parameter T (%0d) must be >= 1", T);
    if (D < 1) $fatal(1, "frame_in: parameter D (%0d) must be >= 1", D);
    if (PAR < 1 || D % PAR != 0)
        $fatal(1, "frame_in: parameter PAR (%0d) must divide D (%0d)", PAR, D);
end

localparam [1:0] ST_FRAME = 2'd0, ST_PAD = 2'd1, ST_DISCARD = 2'd2;

reg [1:0] state;
reg [BEAT_CNT_W-1:0] beat;                 // beat of the frame being taken (or padded)
reg [LANES*IN_BITS_S-1:0] out_data;
reg [LANES-1:0] out_keep;
reg out_last;
reg out_valid;
wire out_ready;                            // axis_lanes takes the framed beat
wire out_free = !out_valid || out_ready;

wire last_beat = beat == LAST_BEAT;
assign s_axis_tready = !rst && (state == ST_DISCARD || (state == ST_FRAME && out_free));
wire take = s_axis_tvalid && s_axis_tready;

// the low IN_BITS of every lane
wire [LANES*IN_BITS_S-1:0] values;
genvar j;
generate
    for (j = 0; j < LANES; j = j + 1) begin : g_lane
        assign values[j*IN_BITS_S +: IN_BITS_S] = s_axis_tdata[j*LANE_BITS +: IN_BITS_S];
    end
    if (DATA > LANES * LANE_BITS || LANE_BITS > IN_BITS_S) begin : g_unused
        /* verilator lint_off UNUSEDSIGNAL */  // the lanes' high bits carry nothing
        wire unused = ^s_axis_tdata;
        /* verilator lint_on UNUSEDSIGNAL */
    end
endgenerate

always @(posedge clk) begin
    frame_start <= 1'b0;
    short_frame <= 1'b0;
    long_frame <= 1'b0;
    if (out_ready)
        out_valid <= 1'b0;
    case (state)
    ST_FRAME: if (take) begin
        out_data <= values;
        out_keep <= last_beat ? LAST_KEEP : {LANES{1'b1}};
        out_last <= last_beat;
        out_valid <= 1'b1;
        frame_start <= beat == {BEAT_CNT_W{1'b0}};
        if (last_beat) begin
            beat <= {BEAT_CNT_W{1'b0}};
            if (!s_axis_tlast) begin
                long_frame <= 1'b1;
                state <= ST_DISCARD;
            end
        end else begin
            beat <= beat + 1'b1;
            if (s_axis_tlast) begin
                short_frame <= 1'b1;
                state <= ST_PAD;
            end
        end
    end
    ST_PAD: if (out_free) begin            // zeros up to the frame's end, no input taken
        out_data <= {LANES*IN_BITS_S{1'b0}};
        out_keep <= last_beat ? LAST_KEEP : {LANES{1'b1}};
        out_last <= last_beat;
        out_valid <= 1'b1;
        beat <= last_beat ? {BEAT_CNT_W{1'b0}} : beat + 1'b1;
        if (last_beat)
            state <= ST_FRAME;
    end
    default: if (take && s_axis_tlast)     // ST_DISCARD: drop the rest of the transfer
        state <= ST_FRAME;
    endcase
    if (rst) begin
        state <= ST_FRAME;
        beat <= {BEAT_CNT_W{1'b0}};
        out_valid <= 1'b0;
        out_last <= 1'b0;
        frame_start <= 1'b0;
        short_frame <= 1'b0;
        long_frame <= 1'b0;
    end
end

axis_lanes #(.W(IN_BITS_S), .IN_PAR(LANES), .OUT_PAR(PAR), .KEEP_ENABLE(1)) u_lanes (
    .clk(clk), .rst(rst),
    .s_axis_tdata(out_data), .s_axis_tkeep(out_keep), .s_axis_tvalid(out_valid), .s_axis_tready(out_ready),
    .s_axis_tlast(out_last),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
);

endmodule

`resetall
