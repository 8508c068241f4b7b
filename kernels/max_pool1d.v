`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * 1-D max pooling over time, Keras 'valid' with stride = POOL, any POOL
 * (hwgen.graph.layers.max_pool / ops.max_pool1d).
 *
 * A frame is T time steps x CH channels, time-major, PAR channels a beat. Each output time step
 * is the lane-wise maximum of POOL consecutive input time steps; the T % POOL trailing time
 * steps are consumed and dropped, as Keras does. tlast marks the last beat of the last window.
 * The window logic is pool1d_window's (OP = "MAX"), shared with avg_pool1d.
 */
module max_pool1d #(
    parameter T = 16,                // time steps per input frame
    parameter CH = 4,                // channels
    parameter PAR = 1,               // channels per beat
    parameter DATA_W = 8,            // activation width
    parameter DATA_SIGNED = 1,       // 0: unsigned activations (after a ReLU)
    parameter POOL = 2,              // window length, any
    parameter STRIDE = POOL          // must equal POOL (Keras' default)
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire [PAR*DATA_W-1:0] s_axis_tdata,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    input  wire                  s_axis_tlast,

    output wire [PAR*DATA_W-1:0] m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast
);

initial begin
    if (DATA_W < 2 || DATA_W > 32) $fatal(1, "max_pool1d: parameter DATA_W=%0d must be 2..32", DATA_W);
    if (STRIDE != POOL)
        $fatal(1, "max_pool1d: parameter STRIDE=%0d must equal POOL=%0d (overlapping or gapped windows are not supported)", STRIDE, POOL);
end

pool1d_window #(
    .T(T),
    .CH(CH),
    .PAR(PAR),
    .DATA_W(DATA_W),
    .DATA_SIGNED(DATA_SIGNED),
    .POOL(POOL),
    .OP("MAX"),
    .OUT_W(DATA_W)
) window (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(s_axis_tdata),
    .s_axis_tvalid(s_axis_tvalid),
    .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(m_axis_tdata),
    .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
);

endmodule

`resetall
