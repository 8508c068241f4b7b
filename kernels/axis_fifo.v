`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * AXI-Stream FIFO: DEPTH beats of WIDTH data bits + tlast, first in first out.
 *
 * Capacity: exactly DEPTH beats (the output register counts as one of them), so a skip path sized
 * by hwgen.rtl.skip_fifo.skip_fifo_depth holds what it promises. s_axis_tready is a register
 * (low while DEPTH beats are inside): no combinational path from m_axis_tready to s_axis_tready.
 *
 * Timing: a beat written at clock edge n can leave at edge n + 2 (one cycle to update the count,
 * one synchronous memory read into the output register). One beat in and one beat out per cycle
 * when DEPTH >= 3; smaller depths work but their round trip limits the rate (DEPTH 1: one beat per
 * 3 cycles, DEPTH 2: two per 3).
 *
 * Memory: a simple dual-port array with a registered read, the form yosys and Vivado map onto
 * distributed RAM (LUTRAM) or block RAM. RAM_STYLE "auto" lets the tool choose by size (yosys 0.23:
 * 64 x 65 bits and 256 x 9 bits in LUTRAM, 128 x 65 and 512 x 9 in a RAMB36/RAMB18; table in
 * bench/results/kernels.json); "distributed" or "block" force it.
 */
module axis_fifo #(
    parameter DEPTH = 16,             // beats held (>= 1)
    parameter WIDTH = 8,              // tdata bits
    parameter RAM_STYLE = "auto"      // "auto", "distributed" or "block"
) (
    input  wire             clk,
    input  wire             rst,

    input  wire [WIDTH-1:0] s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    input  wire             s_axis_tlast,

    output wire [WIDTH-1:0] m_axis_tdata,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready,
    output wire             m_axis_tlast
);

localparam DEPTH_S = DEPTH > 0 ? DEPTH : 1;
localparam ADDR_W = DEPTH_S > 1 ? $clog2(DEPTH_S) : 1;
localparam COUNT_W = $clog2(DEPTH_S + 1);
localparam integer DEPTH_M1 = DEPTH_S - 1;
localparam [ADDR_W-1:0] LAST_ADDR = DEPTH_M1[ADDR_W-1:0];
localparam [COUNT_W-1:0] FULL = DEPTH_S[COUNT_W-1:0];
/* verilator lint_off WIDTHEXPAND */  // strings of different lengths compare fine
localparam STYLE_OK = RAM_STYLE == "auto" || RAM_STYLE == "distributed" || RAM_STYLE == "block";
localparam BLOCK = RAM_STYLE == "block";
localparam DISTRIBUTED = RAM_STYLE == "distributed";
/* verilator lint_on WIDTHEXPAND */

initial begin
    if (DEPTH < 1) $fatal(1, "axis_fifo: parameter DEPTH (%0d) must be >= 1", DEPTH);
    if (WIDTH < 1) $fatal(1, "axis_fifo: parameter WIDTH (%0d) must be >= 1", WIDTH);
    if (!STYLE_OK) $fatal(1, "axis_fifo: parameter RAM_STYLE must be \"auto\", \"distributed\" or \"block\"");
end

reg [ADDR_W-1:0]  wr_addr;
reg [ADDR_W-1:0]  rd_addr;
reg [COUNT_W-1:0] count;        // beats inside: in memory + in the output register
reg [COUNT_W-1:0] stored;       // beats in memory, not yet read
reg               full_reg;
reg               out_valid;

wire write = s_axis_tvalid && !full_reg;
wire pop = out_valid && m_axis_tready;
wire read = stored != 0 && (!out_valid || m_axis_tready);   // refill the output register
wire [WIDTH:0] read_word;     // {tlast, tdata} of the output register

assign s_axis_tready = !full_reg;
assign m_axis_tvalid = out_valid;
assign {m_axis_tlast, m_axis_tdata} = read_word;

// One memory, written and read in the same always block (read-before-write: the addresses never
// collide while it is neither empty nor full), with the style attribute as a literal per branch.
generate
if (BLOCK) begin : g_block
    (* ram_style = "block" *) reg [WIDTH:0] mem [0:DEPTH_S-1];
    reg [WIDTH:0] q;
    always @(posedge clk) begin
        if (write) mem[wr_addr] <= {s_axis_tlast, s_axis_tdata};
        if (read) q <= mem[rd_addr];
    end
    assign read_word = q;
end else if (DISTRIBUTED) begin : g_distributed
    (* ram_style = "distributed" *) reg [WIDTH:0] mem [0:DEPTH_S-1];
    reg [WIDTH:0] q;
    always @(posedge clk) begin
        if (write) mem[wr_addr] <= {s_axis_tlast, s_axis_tdata};
        if (read) q <= mem[rd_addr];
    end
    assign read_word = q;
end else begin : g_auto
    reg [WIDTH:0] mem [0:DEPTH_S-1];
    reg [WIDTH:0] q;
    always @(posedge clk) begin
        if (write) mem[wr_addr] <= {s_axis_tlast, s_axis_tdata};
        if (read) q <= mem[rd_addr];
    end
    assign read_word = q;
end
endgenerate

always @(posedge clk) begin
    if (write) wr_addr <= wr_addr == LAST_ADDR ? {ADDR_W{1'b0}} : wr_addr + 1'b1;
    if (read) rd_addr <= rd_addr == LAST_ADDR ? {ADDR_W{1'b0}} : rd_addr + 1'b1;
    stored <= stored + {{(COUNT_W-1){1'b0}}, write} - {{(COUNT_W-1){1'b0}}, read};
    count <= count + {{(COUNT_W-1){1'b0}}, write} - {{(COUNT_W-1){1'b0}}, pop};
    full_reg <= (count + {{(COUNT_W-1){1'b0}}, write} - {{(COUNT_W-1){1'b0}}, pop}) == FULL;
    if (read) out_valid <= 1'b1;
    else if (pop) out_valid <= 1'b0;
    if (rst) begin
        wr_addr <= {ADDR_W{1'b0}};
        rd_addr <= {ADDR_W{1'b0}};
        stored <= {COUNT_W{1'b0}};
        count <= {COUNT_W{1'b0}};
        full_reg <= 1'b0;
        out_valid <= 1'b0;
    end
end

endmodule

`resetall
