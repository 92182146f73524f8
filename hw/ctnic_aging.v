/*
 * ctnic_aging - the aging scanner (docs/hardware.md, "Aging").
 *
 * Holds the aging registers (AGING_CTRL, AGING_TIMEOUT[c], AGING_PASSES,
 * AGING_EXPIRED; block 0x0200 of regmap.md, written and read through
 * ctnic_csr's block port), walks the flow ids 0..FLOWS-1 in turn and asks
 * the engine for one pipeline slot per visit. The engine reads the record in
 * that slot, applies the rule with the timeouts given here, invalidates a
 * retired record in the same write port a hit uses (so frames before the
 * visit count in the record and frames after it miss) and hands back the
 * retired record. Expiries wait in a small queue for the event writer.
 *
 * Nothing is lost: a visit is started only while the queue has room for it
 * and for every visit still in flight, so a retirement always has a place
 * for its event; when the event ring does not take them the queue fills and
 * the scanner simply stops visiting.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module ctnic_aging #
(
    // Flow records (a power of two, at most 2^22)
    parameter FLOWS = 256,
    // Timeout classes (1..16)
    parameter CLASSES = 16,
    // Expiries the queue holds (a power of two, at least 2)
    parameter QDEPTH = 4,
    // Clocks a visit waits for a free pipeline slot before it takes a frame's
    parameter FORCE_AFTER = 64
)
(
    input  wire         clk,
    input  wire         rst,

    // register block 0x0200-0x02ff from ctnic_csr: a write pulse and a
    // combinational read, byte offsets within the block
    input  wire         reg_wr,
    input  wire [7:0]   reg_waddr,
    input  wire [31:0]  reg_wdata,
    input  wire [7:0]   reg_raddr,
    output wire [31:0]  reg_rdata,

    // visit slots in the engine's pipeline
    output wire         a_req,
    output wire         a_force,
    output wire [21:0]  a_idx,
    input  wire         a_take,
    input  wire         a_done,
    input  wire         a_exp,
    input  wire [21:0]  a_exp_flow,
    input  wire [511:0] a_exp_rec,
    input  wire [31:0]  a_exp_tick,
    output wire [511:0] a_timeouts,

    // expiries, in the order retired: to the event writer
    output wire         x_valid,
    input  wire         x_ready,
    output wire [21:0]  x_flow,
    output wire [31:0]  x_tick,
    output wire [511:0] x_record
);

`include "ctnic_regs.vh"

localparam FL = $clog2(FLOWS);
localparam QL = $clog2(QDEPTH);
localparam FW = $clog2(FORCE_AFTER);

initial begin
    if (FLOWS != (1 << FL) || FLOWS < 2 || FLOWS > (1 << 22)) begin
        $error("ctnic_aging: FLOWS must be a power of two, 2..2^22");
        $finish;
    end
    if (CLASSES < 1 || CLASSES > 16) begin
        $error("ctnic_aging: CLASSES must be 1..16");
        $finish;
    end
    if (QDEPTH != (1 << QL) || QDEPTH < 2 || FORCE_AFTER != (1 << FW) || FORCE_AFTER < 2) begin
        $error("ctnic_aging: QDEPTH and FORCE_AFTER must be powers of two, at least 2");
        $finish;
    end
end

// block offsets of regmap.json's registers
localparam [7:0] OFF_CTRL = CTNIC_REG_AGING_CTRL[7:0];
localparam [7:0] OFF_PASSES = CTNIC_REG_AGING_PASSES[7:0];
localparam [7:0] OFF_EXPIRED = CTNIC_REG_AGING_EXPIRED[7:0];
localparam [7:0] OFF_TIMEOUT = CTNIC_REG_AGING_TIMEOUT[7:0];

// ---- registers -----------------------------------------------------------------

reg          enable_reg = 1'b0, enable_next;
reg [31:0]   timeout_reg [0:15];
reg [31:0]   passes_reg = 32'd0, passes_next;
reg [31:0]   expired_reg = 32'd0, expired_next;

// timeouts as one bus for the engine; classes beyond CLASSES never expire
genvar gc;
generate
    for (gc = 0; gc < 16; gc = gc + 1) begin : g_to
        assign a_timeouts[32*gc +: 32] = gc < CLASSES ? timeout_reg[gc] : 32'd0;
    end
endgenerate

wire        rd_to = reg_raddr[7:6] == OFF_TIMEOUT[7:6];
assign reg_rdata = rd_to ? a_timeouts[32*reg_raddr[5:2] +: 32]
                 : reg_raddr == OFF_CTRL ? {31'd0, enable_reg}
                 : reg_raddr == OFF_PASSES ? passes_reg
                 : reg_raddr == OFF_EXPIRED ? expired_reg : 32'd0;

// ---- the scanner -------------------------------------------------------------------

reg [FL-1:0] pos_reg = 0, pos_next;
reg [QL:0]   flight_reg = 0, flight_next;   // visits in the pipeline
reg [FW-1:0] wait_reg = 0, wait_next;       // clocks a_req has waited

// expiry queue
reg [511:0]  q_rec [0:QDEPTH-1];
reg [21:0]   q_flow [0:QDEPTH-1];
reg [31:0]   q_tick [0:QDEPTH-1];
reg [QL:0]   q_wr_reg = 0, q_rd_reg = 0;
wire [QL:0]  q_count = q_wr_reg - q_rd_reg;
wire         q_pop = x_valid && x_ready;

// every visit in flight may retire its record: it needs a queue entry
wire [QL+1:0] q_claim = {1'b0, q_count} + {1'b0, flight_reg};
assign a_req = enable_reg && q_claim < QDEPTH;
assign a_force = a_req && wait_reg == {FW{1'b1}};
assign a_idx = {{(22 - FL){1'b0}}, pos_reg};

assign x_valid = q_count != 0;
assign x_flow = q_flow[q_rd_reg[QL-1:0]];
assign x_tick = q_tick[q_rd_reg[QL-1:0]];
assign x_record = q_rec[q_rd_reg[QL-1:0]];

always @* begin
    enable_next = enable_reg;
    passes_next = passes_reg;
    expired_next = expired_reg;
    pos_next = pos_reg;
    flight_next = flight_reg + (a_take ? 1 : 0) - (a_done ? 1 : 0);
    wait_next = (a_req && !a_take) ? wait_reg + 1'b1 : {FW{1'b0}};

    if (reg_wr && reg_waddr == OFF_CTRL)
        enable_next = reg_wdata[0];
    if (a_take) begin
        pos_next = pos_reg + 1'b1;
        if (pos_reg == {FL{1'b1}})
            passes_next = passes_reg + 32'd1;
    end
    if (a_exp)
        expired_next = expired_reg + 32'd1;
end

integer ti;

always @(posedge clk) begin
    enable_reg <= enable_next;
    passes_reg <= passes_next;
    expired_reg <= expired_next;
    pos_reg <= pos_next;
    flight_reg <= flight_next;
    wait_reg <= wait_next;

    if (reg_wr && reg_waddr[7:6] == OFF_TIMEOUT[7:6])
        timeout_reg[reg_waddr[5:2]] <= reg_wdata;

    if (a_exp) begin
        q_rec[q_wr_reg[QL-1:0]] <= a_exp_rec;
        q_flow[q_wr_reg[QL-1:0]] <= a_exp_flow;
        q_tick[q_wr_reg[QL-1:0]] <= a_exp_tick;
        q_wr_reg <= q_wr_reg + 1'b1;
    end
    if (q_pop)
        q_rd_reg <= q_rd_reg + 1'b1;

    if (rst) begin
        enable_reg <= 1'b0;
        passes_reg <= 32'd0;
        expired_reg <= 32'd0;
        pos_reg <= 0;
        flight_reg <= 0;
        wait_reg <= 0;
        q_wr_reg <= 0;
        q_rd_reg <= 0;
        for (ti = 0; ti < 16; ti = ti + 1)
            timeout_reg[ti] <= 32'd0;
    end
end

endmodule

`resetall
