`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * The window stage of 1-D pooling over time, Keras 'valid' with stride = POOL: the shared core
 * of max_pool1d (OP = "MAX") and avg_pool1d (OP = "SUM", followed by a requant_relu division).
 *
 * A frame is T time steps x CH channels, time-major, PAR channels a beat, two's complement or
 * unsigned (DATA_SIGNED = 0; the sum is then unsigned too). Each output time step
 * combines POOL consecutive input time steps lane by lane: the maximum (OUT_W = DATA_W) or the
 * exact sum (OUT_W >= DATA_W + log2(POOL)). The T % POOL trailing time steps are consumed and
 * dropped, as Keras does; tlast marks the last beat of the last window. A running value per
 * channel group is kept in a GROUPS-deep memory, so the kernel never buffers a window. Counters
 * restart at the end of every frame and on input tlast, so a short frame cannot shift the next.
 */
module pool1d_window #(
    parameter T = 16,                // time steps per input frame
    parameter CH = 4,                // channels
    parameter PAR = 1,               // channels per beat
    parameter DATA_W = 8,            // input width
    parameter DATA_SIGNED = 1,       // 0: unsigned inputs (after a ReLU), 0..2**DATA_W-1
    parameter POOL = 2,              // window length and stride
    parameter [23:0] OP = "MAX",     // "MAX" or "SUM"
    parameter OUT_W = DATA_W         // output width (signed or unsigned as the input)
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire [PAR*DATA_W-1:0] s_axis_tdata,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    input  wire                  s_axis_tlast,

    output wire [PAR*OUT_W-1:0]  m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast
);

localparam GROUPS = CH / PAR;
localparam OUT_T = T / POOL;
localparam G_W = (GROUPS > 1) ? $clog2(GROUPS) : 1;
localparam T_W = $clog2(T + 1);
localparam P_W = (POOL > 1) ? $clog2(POOL) : 1;

initial begin
    if (PAR < 1) $fatal(1, "pool1d_window: parameter PAR=%0d must be >= 1", PAR);
    if (CH < 1 || CH % PAR != 0) $fatal(1, "pool1d_window: parameter CH=%0d must be a multiple of PAR=%0d", CH, PAR);
    if (POOL < 1) $fatal(1, "pool1d_window: parameter POOL=%0d must be >= 1", POOL);
    if (T < POOL) $fatal(1, "pool1d_window: parameter T=%0d must be >= POOL=%0d", T, POOL);
    if (OP != "MAX" && OP != "SUM") $fatal(1, "pool1d_window: parameter OP must be \"MAX\" or \"SUM\"");
    if (DATA_SIGNED != 0 && DATA_SIGNED != 1)
        $fatal(1, "pool1d_window: parameter DATA_SIGNED=%0d must be 0 or 1", DATA_SIGNED);
    if (OP == "MAX" && OUT_W != DATA_W) $fatal(1, "pool1d_window: parameter OUT_W=%0d must equal DATA_W for MAX", OUT_W);
    if (OP == "SUM" && OUT_W < DATA_W + $clog2(POOL))
        $fatal(1, "pool1d_window: parameter OUT_W=%0d must be >= DATA_W + log2(POOL) for an exact SUM", OUT_W);
end

reg [PAR*OUT_W-1:0] running [0:GROUPS-1];    // running max or sum of the current window

reg [G_W-1:0] group_cnt;
reg [T_W-1:0] time_cnt;
reg [P_W-1:0] phase_cnt;                     // time_cnt % POOL
reg [T_W-1:0] window_cnt;                    // time_cnt / POOL

reg [PAR*OUT_W-1:0] out_data_reg;
reg                 out_valid_reg;
reg                 out_last_reg;

wire accept = s_axis_tvalid && s_axis_tready;
wire window_start = (phase_cnt == 0);
wire window_end = (phase_cnt == P_W'(POOL - 1)) && (window_cnt < T_W'(OUT_T));
wire last_group = (group_cnt == G_W'(GROUPS - 1));
wire frame_end = last_group && (time_cnt == T_W'(T - 1));

wire [PAR*OUT_W-1:0] stored = running[group_cnt];
wire [PAR*OUT_W-1:0] combined;

assign s_axis_tready = !out_valid_reg || m_axis_tready;
assign m_axis_tdata = out_data_reg;
assign m_axis_tvalid = out_valid_reg;
assign m_axis_tlast = out_last_reg;

genvar i;
generate
    for (i = 0; i < PAR; i = i + 1) begin : lane
        // input and running value with one more bit: sign- or zero-extended, always signed
        wire [DATA_W-1:0] x_in = s_axis_tdata[i*DATA_W +: DATA_W];
        wire [OUT_W-1:0] r_in = stored[i*OUT_W +: OUT_W];
        wire signed [OUT_W:0] x = {{(OUT_W + 1 - DATA_W){DATA_SIGNED != 0 && x_in[DATA_W-1]}}, x_in};
        wire signed [OUT_W:0] r = {DATA_SIGNED != 0 && r_in[OUT_W-1], r_in};
        /* verilator lint_off UNUSEDSIGNAL */  // the extension bit of a result never leaves
        wire signed [OUT_W:0] result;
        /* verilator lint_on UNUSEDSIGNAL */
        if (OP == "MAX") begin : max_lane
            assign result = (window_start || x > r) ? x : r;
        end else begin : sum_lane
            assign result = (window_start ? {(OUT_W + 1){1'b0}} : r) + x;
        end
        assign combined[i*OUT_W +: OUT_W] = result[OUT_W-1:0];
    end
endgenerate

always @(posedge clk) begin
    if (m_axis_tready) out_valid_reg <= 1'b0;

    if (accept) begin
        if (window_end) begin
            out_data_reg <= combined;
            out_valid_reg <= 1'b1;
            out_last_reg <= last_group && (window_cnt == T_W'(OUT_T - 1));
        end else begin
            running[group_cnt] <= combined;
        end

        group_cnt <= last_group ? {G_W{1'b0}} : group_cnt + 1'b1;
        if (last_group) begin
            time_cnt <= time_cnt + 1'b1;
            phase_cnt <= (phase_cnt == P_W'(POOL - 1)) ? {P_W{1'b0}} : phase_cnt + 1'b1;
            if (phase_cnt == P_W'(POOL - 1)) window_cnt <= window_cnt + 1'b1;
        end
        if (frame_end || s_axis_tlast) begin
            group_cnt <= 0;
            time_cnt <= 0;
            phase_cnt <= 0;
            window_cnt <= 0;
        end
    end

    if (rst) begin
        group_cnt <= 0;
        time_cnt <= 0;
        phase_cnt <= 0;
        window_cnt <= 0;
        out_valid_reg <= 1'b0;
        out_last_reg <= 1'b0;
    end
end

endmodule

`resetall
