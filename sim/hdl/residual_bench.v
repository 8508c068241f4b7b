`resetall
`timescale 1ns / 1ps
`default_nettype none

// Bench chain: a residual block as the generator builds it, to test skip-FIFO sizing
// (hwgen.rtl.skip_fifo):
//
//   x -> axis_fork -+-> MAIN ("depthwise": depthwise_conv1d, "conv": conv1d_mac) -> requant_relu -+
//                   +-> axis_fifo (SKIP_DEPTH) ---------------------------------------------------+
//                        -> axis_add -> requant_relu -> out
module residual_bench #(
    parameter MAIN = "depthwise",
    parameter DATA_W = 8,
    parameter WEIGHT_W = 8,
    parameter BIAS_W = 12,
    parameter ACC_W = 20,
    parameter CH = 8,
    parameter PAR = 2,
    parameter K = 3,
    parameter T = 8,
    parameter MAIN_SHIFT = 6,          // main accumulator -> DATA_W activation (ReLU)
    parameter SHIFT_A = 0,             // main activation onto the sum's binary point
    parameter SHIFT_B = 0,             // skip activation onto the sum's binary point
    parameter SUM_W = 9,
    parameter OUT_SHIFT = 1,           // sum -> DATA_W output
    parameter SKIP_DEPTH = 16
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

localparam BEAT_W = PAR * DATA_W;

wire [2*BEAT_W-1:0] fork_tdata;
wire [1:0] fork_tvalid, fork_tready, fork_tlast;

axis_fork #(.N(2), .WIDTH(BEAT_W)) u_fork (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(fork_tdata), .m_axis_tvalid(fork_tvalid), .m_axis_tready(fork_tready), .m_axis_tlast(fork_tlast)
);

// ---- main path
wire [PAR*ACC_W-1:0] acc_tdata;
wire acc_tvalid, acc_tready, acc_tlast;

generate
if (MAIN == "conv") begin : g_conv
    conv1d_mac #(
        .DATA_W(DATA_W), .WEIGHT_W(WEIGHT_W), .BIAS_W(BIAS_W), .ACC_W(ACC_W), .CH_IN(CH), .CH_OUT(CH),
        .K(K), .STRIDE(1), .PADDING("same"), .T(T), .IN_PAR(PAR), .OUT_PAR(PAR)
    ) u_main (
        .clk(clk), .rst(rst),
        .s_axis_tdata(fork_tdata[0 +: BEAT_W]), .s_axis_tvalid(fork_tvalid[0]), .s_axis_tready(fork_tready[0]),
        .s_axis_tlast(fork_tlast[0]),
        .m_axis_tdata(acc_tdata), .m_axis_tvalid(acc_tvalid), .m_axis_tready(acc_tready), .m_axis_tlast(acc_tlast)
    );
end else begin : g_depthwise
    depthwise_conv1d #(
        .DATA_W(DATA_W), .WEIGHT_W(WEIGHT_W), .BIAS_W(BIAS_W), .ACC_W(ACC_W), .CH(CH),
        .K(K), .STRIDE(1), .PADDING("same"), .T(T), .PAR(PAR)
    ) u_main (
        .clk(clk), .rst(rst),
        .s_axis_tdata(fork_tdata[0 +: BEAT_W]), .s_axis_tvalid(fork_tvalid[0]), .s_axis_tready(fork_tready[0]),
        .s_axis_tlast(fork_tlast[0]),
        .m_axis_tdata(acc_tdata), .m_axis_tvalid(acc_tvalid), .m_axis_tready(acc_tready), .m_axis_tlast(acc_tlast)
    );
end
endgenerate

wire [BEAT_W-1:0] main_tdata;
wire main_tvalid, main_tready, main_tlast;

requant_relu #(
    .PAR(PAR), .ACC_W(ACC_W), .DATA_W(DATA_W), .SHIFT(MAIN_SHIFT), .ROUNDING("RND"), .RELU(1), .OUT_SIGNED(1)
) u_main_cast (
    .clk(clk), .rst(rst),
    .s_axis_tdata(acc_tdata), .s_axis_tvalid(acc_tvalid), .s_axis_tready(acc_tready), .s_axis_tlast(acc_tlast),
    .m_axis_tdata(main_tdata), .m_axis_tvalid(main_tvalid), .m_axis_tready(main_tready), .m_axis_tlast(main_tlast),
    .sat_lanes()  // saturation pulses: unused in this bench
);

// ---- skip path
wire [BEAT_W-1:0] skip_tdata;
wire skip_tvalid, skip_tready, skip_tlast;

axis_fifo #(.DEPTH(SKIP_DEPTH), .WIDTH(BEAT_W)) u_skip (
    .clk(clk), .rst(rst),
    .s_axis_tdata(fork_tdata[BEAT_W +: BEAT_W]), .s_axis_tvalid(fork_tvalid[1]), .s_axis_tready(fork_tready[1]),
    .s_axis_tlast(fork_tlast[1]),
    .m_axis_tdata(skip_tdata), .m_axis_tvalid(skip_tvalid), .m_axis_tready(skip_tready), .m_axis_tlast(skip_tlast)
);

// ---- join
wire [PAR*SUM_W-1:0] sum_tdata;
wire sum_tvalid, sum_tready, sum_tlast;

axis_add #(
    .PAR(PAR), .A_W(DATA_W), .A_SIGNED(1), .SHIFT_A(SHIFT_A), .B_W(DATA_W), .B_SIGNED(1), .SHIFT_B(SHIFT_B),
    .OUT_W(SUM_W)
) u_add (
    .clk(clk), .rst(rst),
    .s_axis_a_tdata(main_tdata), .s_axis_a_tvalid(main_tvalid), .s_axis_a_tready(main_tready),
    .s_axis_a_tlast(main_tlast),
    .s_axis_b_tdata(skip_tdata), .s_axis_b_tvalid(skip_tvalid), .s_axis_b_tready(skip_tready),
    .s_axis_b_tlast(skip_tlast),
    .m_axis_tdata(sum_tdata), .m_axis_tvalid(sum_tvalid), .m_axis_tready(sum_tready), .m_axis_tlast(sum_tlast)
);

requant_relu #(
    .PAR(PAR), .ACC_W(SUM_W), .DATA_W(DATA_W), .SHIFT(OUT_SHIFT), .ROUNDING("RND_CONV"), .RELU(0), .OUT_SIGNED(1)
) u_out_cast (
    .clk(clk), .rst(rst),
    .s_axis_tdata(sum_tdata), .s_axis_tvalid(sum_tvalid), .s_axis_tready(sum_tready), .s_axis_tlast(sum_tlast),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast),
    .sat_lanes()  // saturation pulses: unused in this bench
);

endmodule

`resetall
