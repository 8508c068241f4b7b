`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * AXI-Stream fork: one stream to N copies (N = 2..4), each output with its own tready.
 *
 * An input beat is offered to every output at once and leaves the input (s_axis_tready) in the
 * cycle the last of them takes it; an output that took it early waits (its tvalid drops) until
 * then. Output i's tvalid depends only on s_axis_tvalid and a register, never on any tready, so
 * the outputs' tready signals form no combinational loop through the fork (and AXI's rule that
 * tvalid must not wait for tready holds). No data register: zero latency, one beat per cycle when
 * every output is ready, and an output that is never ready stalls the input (a residual skip
 * path therefore needs a FIFO deep enough for the other branch: hwgen.rtl.skip_fifo).
 *
 * Output i is lane group i of the vector ports: m_axis_tdata[i*WIDTH +: WIDTH], m_axis_tvalid[i],
 * m_axis_tready[i], m_axis_tlast[i] (verilog-axis axis_broadcast style).
 */
module axis_fork #(
    parameter N = 2,                  // outputs (2..4)
    parameter WIDTH = 8               // tdata bits
) (
    input  wire               clk,
    input  wire               rst,

    input  wire [WIDTH-1:0]   s_axis_tdata,
    input  wire               s_axis_tvalid,
    output wire               s_axis_tready,
    input  wire               s_axis_tlast,

    output wire [N*WIDTH-1:0] m_axis_tdata,
    output wire [N-1:0]       m_axis_tvalid,
    input  wire [N-1:0]       m_axis_tready,
    output wire [N-1:0]       m_axis_tlast
);

initial begin
    if (N < 2 || N > 4) $fatal(1, "axis_fork: parameter N (%0d) must be 2..4", N);
    if (WIDTH < 1) $fatal(1, "axis_fork: parameter WIDTH (%0d) must be >= 1", WIDTH);
end

reg [N-1:0] taken;   // outputs that already took the beat now at the input

assign m_axis_tvalid = {N{s_axis_tvalid}} & ~taken;
assign s_axis_tready = &(taken | m_axis_tready);
assign m_axis_tdata = {N{s_axis_tdata}};
assign m_axis_tlast = {N{s_axis_tlast}};

always @(posedge clk) begin
    if (s_axis_tvalid)
        taken <= s_axis_tready ? {N{1'b0}} : taken | (m_axis_tvalid & m_axis_tready);
    if (rst)
        taken <= {N{1'b0}};
end

endmodule

`resetall
