/*
 * ctnic_fifo - synchronous first-word-fall-through FIFO.
 *
 * The storage is read synchronously (one registered read port), so it maps
 * to block RAM; a one-word output register makes the head visible on dout
 * while dout_valid is 1, and rd_en pops it. Full throughput: one write and
 * one read per clock.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module ctnic_fifo #
(
    // Bits per word
    parameter WIDTH = 8,
    // Words of storage (a power of two)
    parameter DEPTH = 16,
    // Pointer width, derived
    parameter AW = $clog2(DEPTH)
)
(
    input  wire             clk,
    input  wire             rst,

    input  wire [WIDTH-1:0] din,
    input  wire             wr_en,
    output wire             full,
    // words stored, including the one on dout
    output wire [AW:0]      count,

    output wire [WIDTH-1:0] dout,
    output wire             dout_valid,
    input  wire             rd_en
);

initial begin
    if (DEPTH != (1 << AW)) begin
        $error("ctnic_fifo: DEPTH must be a power of two");
        $finish;
    end
end

reg [WIDTH-1:0] mem [0:DEPTH-1];

reg [AW:0] wr_ptr_reg = 0;
reg [AW:0] rd_ptr_reg = 0;
reg [WIDTH-1:0] dout_reg;
reg dout_valid_reg = 1'b0;

// words in mem not yet moved to the output register
wire [AW:0] mem_count = wr_ptr_reg - rd_ptr_reg;
wire mem_full = mem_count == DEPTH[AW:0];
wire pop = dout_valid_reg && rd_en;
wire fetch = (mem_count != 0) && (!dout_valid_reg || pop);

assign full = mem_full;
assign count = mem_count + {{AW{1'b0}}, dout_valid_reg};
assign dout = dout_reg;
assign dout_valid = dout_valid_reg;

always @(posedge clk) begin
    if (wr_en && !mem_full) begin
        mem[wr_ptr_reg[AW-1:0]] <= din;
        wr_ptr_reg <= wr_ptr_reg + 1'b1;
    end
    if (fetch) begin
        dout_reg <= mem[rd_ptr_reg[AW-1:0]];
        rd_ptr_reg <= rd_ptr_reg + 1'b1;
        dout_valid_reg <= 1'b1;
    end else if (pop) begin
        dout_valid_reg <= 1'b0;
    end

    if (rst) begin
        wr_ptr_reg <= 0;
        rd_ptr_reg <= 0;
        dout_valid_reg <= 1'b0;
    end
end

endmodule

`resetall
