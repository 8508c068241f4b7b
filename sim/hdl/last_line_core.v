`resetall
`timescale 1ns / 1ps
`default_nettype none

// A trivial stand-in for a generated core, to test the shell end to end: the logits of a frame are
// its last line (N_CLASSES = D), each value zero-extended to ACC_W bits; saturations counts the
// values at the top of the input range (a checkable stand-in for clipped values). One register stage.
module last_line_core #(
    parameter T = 4,
    parameter D = 4,
    parameter PAR = 2,
    parameter IN_BITS = 8,
    parameter ACC_W = 12,
    parameter SAT_W = 8
) (
    input  wire                   clk,
    input  wire                   rst,
    input  wire [PAR*IN_BITS-1:0] s_axis_tdata,
    input  wire                   s_axis_tvalid,
    output wire                   s_axis_tready,
    input  wire                   s_axis_tlast,
    output reg  [PAR*ACC_W-1:0]   m_axis_tdata,
    output reg                    m_axis_tvalid,
    input  wire                   m_axis_tready,
    output reg                    m_axis_tlast,
    output reg  [SAT_W-1:0]       saturations
);

localparam BEATS = T * D / PAR;
localparam FIRST_KEPT = (T - 1) * D / PAR;
localparam B_W = $clog2(BEATS + 1);

reg [B_W-1:0] beat;
wire take = s_axis_tvalid && s_axis_tready;
assign s_axis_tready = !m_axis_tvalid || m_axis_tready;

reg [PAR*ACC_W-1:0] widened;
reg [SAT_W-1:0] at_max;
integer i;
always @* begin
    at_max = 0;
    for (i = 0; i < PAR; i = i + 1) begin
        widened[i*ACC_W +: ACC_W] = {{(ACC_W-IN_BITS){1'b0}}, s_axis_tdata[i*IN_BITS +: IN_BITS]};
        at_max = at_max + {{(SAT_W-1){1'b0}}, &s_axis_tdata[i*IN_BITS +: IN_BITS]};
    end
end

always @(posedge clk) begin
    saturations <= take ? at_max : {SAT_W{1'b0}};
    if (m_axis_tready) m_axis_tvalid <= 1'b0;
    if (take) begin
        beat <= s_axis_tlast ? {B_W{1'b0}} : beat + 1'b1;
        if (beat >= FIRST_KEPT[B_W-1:0]) begin
            m_axis_tdata <= widened;
            m_axis_tvalid <= 1'b1;
            m_axis_tlast <= s_axis_tlast;
        end
    end
    if (rst) begin
        beat <= {B_W{1'b0}};
        m_axis_tvalid <= 1'b0;
        saturations <= {SAT_W{1'b0}};
    end
end

endmodule

`resetall
