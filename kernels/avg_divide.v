`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * The division of an average, exactly as hwgen.graph.layers.average does it: an exact sum s of N
 * values moves onto the accumulator's grid, a = s << ACC_SHIFT, and is divided by N truncating
 * toward zero: q = sign(a) * (|a| // N). Output: q, Q_W-bit two's complement, on that grid;
 * requant_relu then rounds and saturates it to the output type.
 *
 * No divider: |a| // N = (|a| * DIV_MULT) >> DIV_SHIFT with DIV_MULT = ceil(2**DIV_SHIFT / N),
 * exact for every |a| up to the largest sum when (DIV_MULT*N - 2**DIV_SHIFT) * max|a| <
 * 2**DIV_SHIFT (proof and the constants: hwgen.rtl.divide.magic_reciprocal). That inequality is
 * checked at time 0: a pair that is not exact is refused. The constant multiply is built from
 * shifts and adds (one adder per set bit of DIV_MULT; N a power of two: DIV_MULT = 1, no adder).
 *
 * PAR lanes a beat, tlast passes through. Two register stages (magnitude, then quotient) that
 * stall together while the output register is full.
 */
module avg_divide #(
    parameter PAR = 1,                 // lanes per beat
    parameter DATA_W = 8,              // width of the averaged values
    parameter DATA_SIGNED = 1,         // 0: unsigned values (and sums)
    parameter N = 2,                   // values per average: the divisor
    parameter SUM_W = 9,               // width of the incoming sums: DATA_W + clog2(N)
    parameter ACC_SHIFT = 1,           // the sum's left shift onto the accumulator grid
    parameter DIV_MULT = 1,            // ceil(2**DIV_SHIFT / N), below 2**31
    parameter DIV_SHIFT = 1,
    parameter Q_W = 9                  // output width: DATA_W + ACC_SHIFT (+1 unsigned data)
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire [PAR*SUM_W-1:0]  s_axis_tdata,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    input  wire                  s_axis_tlast,

    output reg  [PAR*Q_W-1:0]    m_axis_tdata,
    output reg                   m_axis_tvalid,
    input  wire                  m_axis_tready,
    output reg                   m_axis_tlast
);

localparam N_S = N > 0 ? N : 1;
localparam SUM_NEED = DATA_W + (N_S > 1 ? $clog2(N_S) : 0);
localparam X_W = DATA_SIGNED != 0 ? DATA_W : DATA_W + 1;
localparam Q_NEED = X_W + ACC_SHIFT;
localparam M_W = 31;                                  // DIV_MULT < 2**31 (checked)
localparam P_W = SUM_W + M_W + ACC_SHIFT;             // |s| * DIV_MULT << ACC_SHIFT
// exactness, in 64-bit constants (DATA_W + clog2(N) + ACC_SHIFT <= 40 and N < 2**20 are checked)
/* verilator lint_off WIDTHEXPAND */
localparam [63:0] N64 = N_S;
localparam [63:0] MULT64 = DIV_MULT;
/* verilator lint_on WIDTHEXPAND */
localparam [63:0] ONE = 64'd1;
localparam [63:0] MAX_ABS = DATA_SIGNED != 0 ? ONE << (DATA_W - 1) : (ONE << DATA_W) - ONE;
localparam [63:0] MAX_DIVIDEND = (N64 * MAX_ABS) << ACC_SHIFT;
localparam [63:0] TWO_K = ONE << DIV_SHIFT;
localparam [63:0] EXCESS = MULT64 * N64 - TWO_K;      // wraps to a huge value if DIV_MULT is too small

initial begin
    if (PAR < 1) $fatal(1, "avg_divide: parameter PAR=%0d must be >= 1", PAR);
    if (DATA_W < 1 || DATA_W > 32) $fatal(1, "avg_divide: parameter DATA_W=%0d must be 1..32", DATA_W);
    if (DATA_SIGNED != 0 && DATA_SIGNED != 1)
        $fatal(1, "avg_divide: parameter DATA_SIGNED=%0d must be 0 or 1", DATA_SIGNED);
    if (N < 1 || N >= (1 << 20)) $fatal(1, "avg_divide: parameter N=%0d must be 1..2**20-1", N);
    if (ACC_SHIFT < 0) $fatal(1, "avg_divide: parameter ACC_SHIFT=%0d must be >= 0", ACC_SHIFT);
    if (SUM_NEED + ACC_SHIFT > 40)
        $fatal(1, "avg_divide: parameter ACC_SHIFT=%0d: sums of %0d bits shifted by it exceed 40 bits", ACC_SHIFT, SUM_NEED);
    if (SUM_W != SUM_NEED) $fatal(1, "avg_divide: parameter SUM_W=%0d must be DATA_W + clog2(N) = %0d", SUM_W, SUM_NEED);
    if (Q_W != Q_NEED) $fatal(1, "avg_divide: parameter Q_W=%0d must be %0d", Q_W, Q_NEED);
    if (DIV_SHIFT < 0 || DIV_SHIFT > 62) $fatal(1, "avg_divide: parameter DIV_SHIFT=%0d must be 0..62", DIV_SHIFT);
    if (DIV_MULT < 1) $fatal(1, "avg_divide: parameter DIV_MULT=%0d must be 1..2**31-1", DIV_MULT);
    if (MULT64 * N64 < TWO_K || EXCESS >= N64 || EXCESS * MAX_DIVIDEND >= TWO_K)
        $fatal(1, "avg_divide: parameter DIV_MULT=%0d with DIV_SHIFT=%0d does not divide by N=%0d exactly up to %0d (use hwgen.rtl.divide.average_parameters)",
               DIV_MULT, DIV_SHIFT, N, MAX_DIVIDEND);
end

wire ce = !m_axis_tvalid || m_axis_tready;
assign s_axis_tready = ce;

// ---------------------------------------------------------------- stage 1: sign and magnitude
reg s1_valid, s1_last;
reg [PAR-1:0] s1_neg;
reg [PAR*SUM_W-1:0] s1_mag;
integer i;

always @(posedge clk) begin
    if (ce) begin
        s1_valid <= s_axis_tvalid;
        s1_last <= s_axis_tlast;
        for (i = 0; i < PAR; i = i + 1) begin
            s1_neg[i] <= DATA_SIGNED != 0 && s_axis_tdata[(i+1)*SUM_W-1];
            // |s| fits SUM_W unsigned bits, even -2**(SUM_W-1)
            s1_mag[i*SUM_W +: SUM_W] <= (DATA_SIGNED != 0 && s_axis_tdata[(i+1)*SUM_W-1])
                                        ? -s_axis_tdata[i*SUM_W +: SUM_W] : s_axis_tdata[i*SUM_W +: SUM_W];
        end
    end
    if (rst)
        s1_valid <= 1'b0;
end

// ---------------------------------------------------------------- stage 2: (|s| * M << L) >> k
reg [PAR*Q_W-1:0] quotients;
reg [P_W-1:0] scaled;
reg [Q_W-1:0] q_mag;
integer lane, b;

/* verilator lint_off WIDTHEXPAND */  // the magnitude widens to P_W
/* verilator lint_off WIDTHTRUNC */   // the quotient fits Q_W (|a| // N <= max|x| << ACC_SHIFT)
always @* begin
    for (lane = 0; lane < PAR; lane = lane + 1) begin
        scaled = {P_W{1'b0}};
        for (b = 0; b < M_W; b = b + 1)
            if (MULT64[b])
                scaled = scaled + ({{(P_W-SUM_W){1'b0}}, s1_mag[lane*SUM_W +: SUM_W]} << b);
        scaled = (scaled << ACC_SHIFT) >> DIV_SHIFT;
        q_mag = scaled;
        quotients[lane*Q_W +: Q_W] = s1_neg[lane] ? -q_mag : q_mag;
    end
end
/* verilator lint_on WIDTHTRUNC */
/* verilator lint_on WIDTHEXPAND */

always @(posedge clk) begin
    if (ce) begin
        m_axis_tvalid <= s1_valid;
        m_axis_tlast <= s1_last;
        m_axis_tdata <= quotients;
    end
    if (rst) begin
        m_axis_tvalid <= 1'b0;
        m_axis_tlast <= 1'b0;
    end
end

endmodule

`resetall
