/*
 * ctnic_ram - simple dual-port RAM: one write port, one read port with a
 * registered read (block RAM). A read and a write of the same address in
 * one clock return the old word.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module ctnic_ram #
(
    // Bits per word
    parameter WIDTH = 32,
    // Words
    parameter DEPTH = 64,
    // Address width, derived
    parameter AW = (DEPTH > 1) ? $clog2(DEPTH) : 1
)
(
    input  wire             clk,

    input  wire             wr_en,
    input  wire [AW-1:0]    wr_addr,
    input  wire [WIDTH-1:0] wr_data,

    input  wire             rd_en,
    input  wire [AW-1:0]    rd_addr,
    output wire [WIDTH-1:0] rd_data
);

reg [WIDTH-1:0] mem [0:DEPTH-1];
reg [WIDTH-1:0] rd_data_reg;

`ifndef SYNTHESIS
integer i;
`endif

// Tables start empty (valid bits 0). Block RAM comes up zeroed after the
// FPGA is configured; in simulation this loop does it (yosys would unroll it
// word by word, so synthesis skips it).
`ifndef SYNTHESIS
initial begin
    for (i = 0; i < DEPTH; i = i + 1)
        mem[i] = {WIDTH{1'b0}};
end
`endif

assign rd_data = rd_data_reg;

always @(posedge clk) begin
    if (rd_en)
        rd_data_reg <= mem[rd_addr];
    if (wr_en)
        mem[wr_addr] <= wr_data;
end

endmodule

`resetall
