`resetall
`timescale 1ns / 1ps
`default_nettype none

// Bench wrapper: axis_concat's vector inputs as separate s<i>_axis_* ports (cocotbext-axi needs one
// name per signal). Inputs N..3 are ignored.
module axis_concat_bench #(
    parameter N = 2,
    parameter PAR = 1,
    parameter W = 8,
    parameter CH0 = 4,
    parameter CH1 = 4,
    parameter CH2 = 0,
    parameter CH3 = 0
) (
    input  wire             clk,
    input  wire             rst,
    /* verilator lint_off UNUSEDSIGNAL */  // the inputs beyond N
    input  wire [PAR*W-1:0] s0_axis_tdata, s1_axis_tdata, s2_axis_tdata, s3_axis_tdata,
    input  wire             s0_axis_tvalid, s1_axis_tvalid, s2_axis_tvalid, s3_axis_tvalid,
    input  wire             s0_axis_tlast, s1_axis_tlast, s2_axis_tlast, s3_axis_tlast,
    /* verilator lint_on UNUSEDSIGNAL */
    output wire             s0_axis_tready, s1_axis_tready, s2_axis_tready, s3_axis_tready,
    output wire [PAR*W-1:0] m_axis_tdata,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready,
    output wire             m_axis_tlast
);

wire [4*PAR*W-1:0] tdata = {s3_axis_tdata, s2_axis_tdata, s1_axis_tdata, s0_axis_tdata};
wire [3:0] tvalid = {s3_axis_tvalid, s2_axis_tvalid, s1_axis_tvalid, s0_axis_tvalid};
wire [3:0] tlast = {s3_axis_tlast, s2_axis_tlast, s1_axis_tlast, s0_axis_tlast};
wire [3:0] tready;

axis_concat #(.N(N), .PAR(PAR), .W(W), .CH0(CH0), .CH1(CH1), .CH2(CH2), .CH3(CH3)) dut (
    .clk(clk), .rst(rst),
    .s_axis_tdata(tdata[N*PAR*W-1:0]), .s_axis_tvalid(tvalid[N-1:0]), .s_axis_tready(tready[N-1:0]),
    .s_axis_tlast(tlast[N-1:0]),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
);

generate
    if (N < 4) begin : g_tie
        assign tready[3:N] = {(4-N){1'b0}};
    end
endgenerate

assign {s3_axis_tready, s2_axis_tready, s1_axis_tready, s0_axis_tready} = tready;

endmodule

`resetall
