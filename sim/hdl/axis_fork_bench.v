`resetall
`timescale 1ns / 1ps
`default_nettype none

// Bench wrapper: axis_fork's vector outputs as separate m<i>_axis_* ports (cocotbext-axi needs one
// name per signal). Outputs N..3 are tied off.
module axis_fork_bench #(
    parameter N = 2,
    parameter WIDTH = 8
) (
    input  wire             clk,
    input  wire             rst,
    input  wire [WIDTH-1:0] s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    input  wire             s_axis_tlast,
    output wire [WIDTH-1:0] m0_axis_tdata, m1_axis_tdata, m2_axis_tdata, m3_axis_tdata,
    output wire             m0_axis_tvalid, m1_axis_tvalid, m2_axis_tvalid, m3_axis_tvalid,
    input  wire             m0_axis_tready, m1_axis_tready, m2_axis_tready, m3_axis_tready,
    output wire             m0_axis_tlast, m1_axis_tlast, m2_axis_tlast, m3_axis_tlast
);

wire [4*WIDTH-1:0] tdata;
wire [3:0] tvalid, tlast;
/* verilator lint_off UNUSEDSIGNAL */  // readies of tied-off outputs
wire [3:0] tready = {m3_axis_tready, m2_axis_tready, m1_axis_tready, m0_axis_tready};
/* verilator lint_on UNUSEDSIGNAL */

axis_fork #(.N(N), .WIDTH(WIDTH)) dut (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(tdata[N*WIDTH-1:0]), .m_axis_tvalid(tvalid[N-1:0]), .m_axis_tready(tready[N-1:0]),
    .m_axis_tlast(tlast[N-1:0])
);

generate
    if (N < 4) begin : g_tie
        assign tdata[4*WIDTH-1:N*WIDTH] = {(4-N)*WIDTH{1'b0}};
        assign tvalid[3:N] = {(4-N){1'b0}};
        assign tlast[3:N] = {(4-N){1'b0}};
    end
endgenerate

assign {m3_axis_tdata, m2_axis_tdata, m1_axis_tdata, m0_axis_tdata} = tdata;
assign {m3_axis_tvalid, m2_axis_tvalid, m1_axis_tvalid, m0_axis_tvalid} = tvalid;
assign {m3_axis_tlast, m2_axis_tlast, m1_axis_tlast, m0_axis_tlast} = tlast;

endmodule

`resetall
