`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * The accelerator's control block: an AXI4-Lite slave (12-bit byte addresses, 32-bit registers)
 * implementing hwgen.runtime.protocol.REGISTERS, plus the frame bookkeeping behind them.
 *
 *   0x00 CTRL         rw    bit 0 soft reset: soft_reset is held for SOFT_RESET_CYCLES cycles (the
 *                           shell resets the datapath with it) and every counter, error flag and
 *                           start time below is zeroed; reads 1 while it lasts. bit 1 clear: zeroes
 *                           the counters and error flags only (frames in flight keep their start
 *                           times); reads 0. clear pulses for one cycle.
 *   0x04 STATUS       r     bit 0 busy: frames started > frames done; bit 1 an ERRORS flag is set
 *   0x08 ID_LO, 0x0C ID_HI  the 64-bit parameter ID (the graph's identification hash)
 *   0x10 FRAMES       r     frame_done pulses since reset/clear
 *   0x14 LAST_CYCLES  r     last output beat - first input beat + 1 (both beats counted), for the
 *                           last frame done; 0 if its start time was not kept (see START_QUEUE)
 *   0x18 ERRORS       rw1c  bit 0 short frame, bit 1 long frame (sticky; a pulse beats a clear)
 *   0x1C SATURATIONS  r     sum of sat_inc since reset/clear
 *   0x20 SHAPE        r     T | D << 16
 *   0x24 CLASSES      r     N_CLASSES | IN_BITS << 16 | VERSION << 24
 *   0x28 INTERVAL     r     cycles between the last two frame_start pulses (0 before the second)
 * Other addresses read 0; every response is OKAY. Counters stop at 0xFFFFFFFF instead of wrapping.
 *
 * Several frames can be in flight in a dataflow (one entering while earlier ones drain), so each
 * frame is timed from its own start: frame_start pushes (frame number, cycle) on a queue of
 * START_QUEUE entries and frame_done pops the oldest. With more than START_QUEUE frames in flight
 * the newest start times are not kept and those frames report LAST_CYCLES = 0; frame numbers keep
 * every later frame matched to its own start. A 1-D CNN holds about two frames at once (one in the
 * line buffers, one draining the global pool), so the default of 4 leaves room.
 *
 * frame_start/frame_done/short_frame/long_frame are one-cycle pulses; frame_start and frame_done
 * come with the same delay after their beats (frame_in, result_out register them), so
 * LAST_CYCLES is exact. The AXI-Lite side runs on rst (the hard reset) only: a soft reset never
 * loses the response of the write that requested it. A write needs AWVALID and WVALID together;
 * WSTRB[0] qualifies the control bits (all of them live in byte 0).
 */
module ctrl_axil #(
    parameter [63:0] ID = 64'd0,        // the graph's identification hash
    parameter T = 16,                   // frame lines (SHAPE)
    parameter D = 8,                    // values per line (SHAPE)
    parameter N_CLASSES = 4,            // CLASSES
    parameter IN_BITS = 8,              // CLASSES
    parameter VERSION = 1,              // protocol version (CLASSES)
    parameter START_QUEUE = 4,          // frames in flight timed individually (1..64)
    parameter SOFT_RESET_CYCLES = 16,   // length of the soft reset pulse (1..255)
    parameter SAT_W = 8                 // width of sat_inc
) (
    input  wire             clk,
    input  wire             rst,

    /* verilator lint_off UNUSEDSIGNAL */  // word addresses; control bits only in byte 0
    input  wire [11:0]      s_axi_ctrl_awaddr,
    input  wire             s_axi_ctrl_awvalid,
    output wire             s_axi_ctrl_awready,
    input  wire [31:0]      s_axi_ctrl_wdata,
    input  wire [3:0]       s_axi_ctrl_wstrb,
    input  wire             s_axi_ctrl_wvalid,
    output wire             s_axi_ctrl_wready,
    output wire [1:0]       s_axi_ctrl_bresp,
    output reg              s_axi_ctrl_bvalid,
    input  wire             s_axi_ctrl_bready,
    input  wire [11:0]      s_axi_ctrl_araddr,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire             s_axi_ctrl_arvalid,
    output wire             s_axi_ctrl_arready,
    output reg  [31:0]      s_axi_ctrl_rdata,
    output wire [1:0]       s_axi_ctrl_rresp,
    output reg              s_axi_ctrl_rvalid,
    input  wire             s_axi_ctrl_rready,

    input  wire             frame_start,    // pulse: a frame's first input beat was accepted
    input  wire             frame_done,     // pulse: a frame's last output beat was accepted
    input  wire             short_frame,    // pulse: tlast before the frame's last beat
    input  wire             long_frame,     // pulse: no tlast on the frame's last beat
    input  wire [SAT_W-1:0] sat_inc,        // values clipped this cycle, summed by the generator

    output wire             soft_reset,     // held high SOFT_RESET_CYCLES cycles after CTRL bit 0
    output reg              clear           // one-cycle pulse after CTRL bit 1
);

localparam Q = START_QUEUE >= 1 && START_QUEUE <= 64 ? START_QUEUE : 4;
localparam Q_W = Q > 1 ? $clog2(Q) : 1;
localparam QC_W = $clog2(Q + 1);
localparam integer Q_M1 = Q - 1;
localparam [Q_W-1:0] Q_LAST = Q_M1[Q_W-1:0];
localparam [QC_W-1:0] Q_FULL = Q[QC_W-1:0];
localparam SEQ_W = 16;
localparam [7:0] SOFT_CYCLES = SOFT_RESET_CYCLES >= 1 && SOFT_RESET_CYCLES <= 255 ? SOFT_RESET_CYCLES[7:0] : 8'd16;
localparam [15:0] T_16 = T[15:0];
localparam [15:0] D_16 = D[15:0];
localparam [15:0] N_16 = N_CLASSES[15:0];
localparam [7:0] IN_BITS_8 = IN_BITS[7:0];
localparam [7:0] VERSION_8 = VERSION[7:0];

initial begin
    if (T < 1 || T > 65535) $fatal(1, "ctrl_axil: parameter T (%0d) must be 1..65535", T);
    if (D < 1 || D > 65535) $fatal(1, "ctrl_axil: parameter D (%0d) must be 1..65535", D);
    if (N_CLASSES < 2 || N_CLASSES > 65535)
        $fatal(1, "ctrl_axil: parameter N_CLASSES (%0d) must be 2..65535", N_CLASSES);
    if (IN_BITS < 1 || IN_BITS > 16) $fatal(1, "ctrl_axil: parameter IN_BITS (%0d) must be 1..16", IN_BITS);
    if (VERSION < 0 || VERSION > 255) $fatal(1, "ctrl_axil: parameter VERSION (%0d) must be 0..255", VERSION);
    if (START_QUEUE < 1 || START_QUEUE > 64)
        $fatal(1, "ctrl_axil: parameter START_QUEUE (%0d) must be 1..64", START_QUEUE);
    if (SOFT_RESET_CYCLES < 1 || SOFT_RESET_CYCLES > 255)
        $fatal(1, "ctrl_axil: parameter SOFT_RESET_CYCLES (%0d) must be 1..255", SOFT_RESET_CYCLES);
    if (SAT_W < 1 || SAT_W > 31) $fatal(1, "ctrl_axil: parameter SAT_W (%0d) must be 1..31", SAT_W);
end

// ---------------------------------------------------------------- AXI4-Lite
wire write = s_axi_ctrl_awvalid && s_axi_ctrl_wvalid && !s_axi_ctrl_bvalid;
wire read = s_axi_ctrl_arvalid && !s_axi_ctrl_rvalid;
assign s_axi_ctrl_awready = write;
assign s_axi_ctrl_wready = write;
assign s_axi_ctrl_arready = read;
assign s_axi_ctrl_bresp = 2'b00;
assign s_axi_ctrl_rresp = 2'b00;

wire [9:0] wr_word = s_axi_ctrl_awaddr[11:2];
wire [9:0] rd_word = s_axi_ctrl_araddr[11:2];
wire [1:0] wr_bits = s_axi_ctrl_wstrb[0] ? s_axi_ctrl_wdata[1:0] : 2'd0;   // the only writable bits
wire write_ctrl = write && wr_word == 10'd0;
wire write_errors = write && wr_word == 10'd6;
wire start_soft_reset = write_ctrl && wr_bits[0];
wire start_clear = write_ctrl && wr_bits[1];

// ---------------------------------------------------------------- bookkeeping
reg [7:0]  soft_cnt;
reg [31:0] now;                 // free-running cycle counter (differences are taken modulo 2^32)
reg [31:0] frames;
reg [31:0] last_cycles;
reg [31:0] interval;
reg [31:0] saturations;
reg [1:0]  errors;
reg [31:0] prev_start;
reg        have_prev;
reg [SEQ_W-1:0] started;        // frame numbers: of the next frame to start, to finish
reg [SEQ_W-1:0] finished;
reg [SEQ_W-1:0] q_seq [0:Q-1];
reg [31:0]      q_time [0:Q-1];
reg [Q_W-1:0]   q_head;
reg [Q_W-1:0]   q_tail;
reg [QC_W-1:0]  q_count;

assign soft_reset = soft_cnt != 8'd0;
wire counting = !soft_reset;
wire push = counting && frame_start && q_count != Q_FULL;
wire head_matches = q_count != {QC_W{1'b0}} && q_seq[q_head] == finished;
wire pop = counting && frame_done && head_matches;
wire [32:0] sat_sum = {1'b0, saturations} + {{(33-SAT_W){1'b0}}, sat_inc};

always @(posedge clk) begin
    now <= now + 32'd1;
    clear <= start_clear && !start_soft_reset;
    soft_cnt <= start_soft_reset ? SOFT_CYCLES : (soft_reset ? soft_cnt - 8'd1 : 8'd0);

    if (counting) begin
        if (frame_start) begin
            started <= started + 1'b1;
            have_prev <= 1'b1;
            prev_start <= now;
            if (have_prev) interval <= now - prev_start;
        end
        if (push) begin
            q_seq[q_tail] <= started;
            q_time[q_tail] <= now;
            q_tail <= q_tail == Q_LAST ? {Q_W{1'b0}} : q_tail + 1'b1;
        end
        if (frame_done) begin
            finished <= finished + 1'b1;
            if (frames != 32'hFFFFFFFF) frames <= frames + 32'd1;
            last_cycles <= head_matches ? now - q_time[q_head] + 32'd1 : 32'd0;
        end
        if (pop)
            q_head <= q_head == Q_LAST ? {Q_W{1'b0}} : q_head + 1'b1;
        q_count <= q_count + {{(QC_W-1){1'b0}}, push} - {{(QC_W-1){1'b0}}, pop};
        saturations <= sat_sum[32] ? 32'hFFFFFFFF : sat_sum[31:0];
    end

    // ERRORS: write 1 to clear, a new pulse wins
    if (write_errors) errors <= errors & ~wr_bits;
    if (start_clear) begin
        frames <= 32'd0;
        last_cycles <= 32'd0;
        interval <= 32'd0;
        saturations <= 32'd0;
        errors <= 2'b00;
    end
    if (counting) begin
        if (short_frame) errors[0] <= 1'b1;
        if (long_frame) errors[1] <= 1'b1;
    end

    if (rst || soft_reset) begin
        frames <= 32'd0;
        last_cycles <= 32'd0;
        interval <= 32'd0;
        saturations <= 32'd0;
        errors <= 2'b00;
        have_prev <= 1'b0;
        started <= {SEQ_W{1'b0}};
        finished <= {SEQ_W{1'b0}};
        q_head <= {Q_W{1'b0}};
        q_tail <= {Q_W{1'b0}};
        q_count <= {QC_W{1'b0}};
    end
    if (rst) begin
        now <= 32'd0;
        soft_cnt <= 8'd0;
        clear <= 1'b0;
    end
end

// ---------------------------------------------------------------- register reads and responses
reg [31:0] rd_value;
always @* begin
    case (rd_word)
        10'd0:  rd_value = {31'd0, soft_reset};
        10'd1:  rd_value = {30'd0, errors != 2'b00, started != finished};
        10'd2:  rd_value = ID[31:0];
        10'd3:  rd_value = ID[63:32];
        10'd4:  rd_value = frames;
        10'd5:  rd_value = last_cycles;
        10'd6:  rd_value = {30'd0, errors};
        10'd7:  rd_value = saturations;
        10'd8:  rd_value = {D_16, T_16};
        10'd9:  rd_value = {VERSION_8, IN_BITS_8, N_16};
        10'd10: rd_value = interval;
        default: rd_value = 32'd0;
    endcase
end

always @(posedge clk) begin
    if (s_axi_ctrl_bready) s_axi_ctrl_bvalid <= 1'b0;
    if (write) s_axi_ctrl_bvalid <= 1'b1;
    if (s_axi_ctrl_rready) s_axi_ctrl_rvalid <= 1'b0;
    if (read) begin
        s_axi_ctrl_rvalid <= 1'b1;
        s_axi_ctrl_rdata <= rd_value;
    end
    if (rst) begin
        s_axi_ctrl_bvalid <= 1'b0;
        s_axi_ctrl_rvalid <= 1'b0;
    end
end

endmodule

`resetall
