/*
 * ctnic_csr - BAR0: the AXI4-Lite register block of docs/regmap.md.
 *
 * Holds the control registers, the device tick counter, the 64-bit
 * statistics counters (fed by one-cycle events from the data path) and the
 * table window (TBL_*), whose operations the engine runs between packets.
 *
 * 64-bit values: reading a _LO register latches bits 63:32 of that value into
 * one shared latch, which every _HI register reads. Software reads _LO then
 * _HI of one value at a time (the daemon is the one BAR0 user).
 *
 * Writes take the whole word (wstrb is ignored); unmapped offsets read 0 and
 * ignore writes. Both always answer OKAY.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module ctnic_csr #
(
    // Network ports (at most 15: port number PORTS is the host)
    parameter PORTS = 2,
    // Key entries per bucket
    parameter WAYS = 4,
    // Buckets per sub-table
    parameter BUCKETS = 64,
    // Flow records
    parameter FLOWS = 256,
    // Next-hop entries
    parameter NEXTHOPS = 256,
    // Timeout classes
    parameter CLASSES = 16
)
(
    input  wire         clk,
    input  wire         rst,

    // AXI4-Lite slave (BAR0). Unused by design: address bits 1:0 (word
    // access only), prot (no protection levels), wstrb (whole-word writes).
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [15:0]  s_axil_awaddr,
    input  wire [2:0]   s_axil_awprot,
    input  wire         s_axil_awvalid,
    output wire         s_axil_awready,
    input  wire [31:0]  s_axil_wdata,
    input  wire [3:0]   s_axil_wstrb,
    input  wire         s_axil_wvalid,
    output wire         s_axil_wready,
    output wire [1:0]   s_axil_bresp,
    output wire         s_axil_bvalid,
    input  wire         s_axil_bready,
    input  wire [15:0]  s_axil_araddr,
    input  wire [2:0]   s_axil_arprot,
    input  wire         s_axil_arvalid,
    output wire         s_axil_arready,
    output wire [31:0]  s_axil_rdata,
    output wire [1:0]   s_axil_rresp,
    output wire         s_axil_rvalid,
    input  wire         s_axil_rready,
    /* verilator lint_on UNUSEDSIGNAL */

    // Control out to the data path
    output wire         enable,
    output wire [7:0]   tcp_punt_mask,
    output wire [63:0]  tick,

    // Table operation: held while tbl_req; the engine answers with tbl_done
    // (one cycle), tbl_err, and for reads tbl_rd and tbl_rdata.
    output wire         tbl_req,
    output wire [3:0]   tbl_op,
    output wire [31:0]  tbl_index,
    output wire [511:0] tbl_wdata,
    input  wire         tbl_done,
    input  wire         tbl_err,
    input  wire         tbl_rd,
    input  wire [511:0] tbl_rdata,

    // Counter events, one cycle each
    /* verilator lint_off UNUSEDSIGNAL */
    // port numbers are at most PORTS: the upper bits are not used
    input  wire         ev_rx,
    input  wire [3:0]   ev_rx_port,
    input  wire [15:0]  ev_rx_len,
    input  wire         ev_tx,
    input  wire [3:0]   ev_tx_port,
    input  wire [15:0]  ev_tx_len,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire         ev_punt,
    input  wire [3:0]   ev_punt_reason,
    input  wire         ev_drop,
    input  wire [3:0]   ev_drop_reason,
    input  wire         ev_hit,
    input  wire         ev_miss,

    // Register block 0x0200-0x02ff (ctnic_aging): a write pulse with the
    // byte offset in the block; reads take ag_rdata for ag_raddr
    output wire         ag_wr,
    output wire [7:0]   ag_waddr,
    output wire [31:0]  ag_wdata,
    output wire [7:0]   ag_raddr,
    input  wire [31:0]  ag_rdata
);

// The generated header is included per module; its include guard would
// hide it from the second module of a compilation unit.
`undef CTNIC_REGS_VH
`include "ctnic_regs.vh"

initial begin
    if (PORTS < 1 || PORTS > 15) begin
        $error("ctnic_csr: PORTS must be 1..15");
        $finish;
    end
end

localparam NCNT = PORTS + 1;
// index width of the per-port counter arrays
localparam PW = $clog2(NCNT);

// ---- AXI4-Lite handshakes -------------------------------------------------

reg bvalid_reg = 1'b0;
reg rvalid_reg = 1'b0;
reg [31:0] rdata_reg = 32'd0;

wire wr_fire = s_axil_awvalid && s_axil_wvalid && !bvalid_reg;
wire rd_fire = s_axil_arvalid && !rvalid_reg;
wire [13:0] wr_word = s_axil_awaddr[15:2];
wire [13:0] rd_word = s_axil_araddr[15:2];

assign ag_wr = wr_fire && wr_word[13:6] == 8'h02;
assign ag_waddr = s_axil_awaddr[7:0];
assign ag_wdata = s_axil_wdata;
assign ag_raddr = s_axil_araddr[7:0];

assign s_axil_awready = wr_fire;
assign s_axil_wready = wr_fire;
assign s_axil_bresp = 2'b00;
assign s_axil_bvalid = bvalid_reg;
assign s_axil_arready = rd_fire;
assign s_axil_rdata = rdata_reg;
assign s_axil_rresp = 2'b00;
assign s_axil_rvalid = rvalid_reg;

// ---- registers -------------------------------------------------------------

reg [31:0] scratch_reg = 32'd0;
reg        enable_reg = 1'b0;
reg [31:0] tick_period_reg = CTNIC_REG_TICK_PERIOD_RESET;
reg [31:0] tick_div_reg = 32'd0;
reg [63:0] tick_reg = 64'd0;
reg [7:0]  tcp_mask_reg = CTNIC_REG_TCP_PUNT_MASK_RESET[7:0];
reg [31:0] hi_latch_reg = 32'd0;

reg        tbl_busy_reg = 1'b0;
reg        tbl_err_reg = 1'b0;
reg [3:0]  tbl_op_reg = 4'd0;
reg [31:0] tbl_index_reg = 32'd0;
reg [511:0] tbl_data_reg = 512'd0;

reg [63:0] cnt_rx_pkts [0:(1<<PW)-1];
reg [63:0] cnt_rx_bytes [0:(1<<PW)-1];
reg [63:0] cnt_tx_pkts [0:(1<<PW)-1];
reg [63:0] cnt_tx_bytes [0:(1<<PW)-1];
reg [63:0] cnt_punt [0:15];
reg [63:0] cnt_drop [0:15];
reg [63:0] cnt_hit = 64'd0;
reg [63:0] cnt_miss = 64'd0;

assign enable = enable_reg;
assign tcp_punt_mask = tcp_mask_reg;
assign tick = tick_reg;
assign tbl_req = tbl_busy_reg;
assign tbl_op = tbl_op_reg;
assign tbl_index = tbl_index_reg;
assign tbl_wdata = tbl_data_reg;

// ---- read mux ---------------------------------------------------------------

// Counter blocks: per port 0x1000 + port*0x40 (8 words used); punt
// 0x1400 + r*8; drop 0x1500 + r*8; hit/miss 0x1600.
reg [63:0] rd_value;   // the 64-bit value behind a counter's _LO/_HI word
reg        rd_is_cnt;  // rd_word is a counter's _LO
reg        rd_is_hi;   // rd_word is a counter's _HI
reg [31:0] rd_mux;

always @* begin
    rd_value = 64'd0;
    rd_is_cnt = 1'b0;
    rd_is_hi = 1'b0;
    rd_mux = 32'd0;

    if (rd_word[13:8] == 6'h04 && {28'd0, rd_word[7:4]} < NCNT && !rd_word[3]) begin
        rd_is_cnt = !rd_word[0];
        rd_is_hi = rd_word[0];
        case (rd_word[2:1])
            2'd0: rd_value = cnt_rx_pkts[rd_word[4 +: PW]];
            2'd1: rd_value = cnt_rx_bytes[rd_word[4 +: PW]];
            2'd2: rd_value = cnt_tx_pkts[rd_word[4 +: PW]];
            default: rd_value = cnt_tx_bytes[rd_word[4 +: PW]];
        endcase
    end else if (rd_word[13:5] == 9'h028) begin
        rd_value = cnt_punt[rd_word[4:1]];
        rd_is_cnt = !rd_word[0];
        rd_is_hi = rd_word[0];
    end else if (rd_word[13:5] == 9'h02a) begin
        rd_value = cnt_drop[rd_word[4:1]];
        rd_is_cnt = !rd_word[0];
        rd_is_hi = rd_word[0];
    end else if (rd_word[13:2] == 12'h160) begin
        rd_value = rd_word[1] ? cnt_miss : cnt_hit;
        rd_is_cnt = !rd_word[0];
        rd_is_hi = rd_word[0];
    end

    if (rd_is_cnt) begin
        rd_mux = rd_value[31:0];
    end else if (rd_is_hi) begin
        rd_mux = hi_latch_reg;
    end else if (rd_word[13:6] == 8'h02) begin
        rd_mux = ag_rdata;
    end else if (rd_word[13:4] == CTNIC_REG_TBL_DATA[15:6]) begin
        rd_mux = tbl_data_reg[32*rd_word[3:0] +: 32];
    end else begin
        case ({rd_word, 2'b00})
            CTNIC_REG_ID:            rd_mux = CTNIC_REG_ID_RESET;
            CTNIC_REG_VERSION:       rd_mux = CTNIC_REG_VERSION_RESET;
            CTNIC_REG_SCRATCH:       rd_mux = scratch_reg;
            CTNIC_REG_CTRL:          rd_mux = {31'd0, enable_reg};
            CTNIC_REG_STATUS:        rd_mux = {31'd0, enable_reg};
            CTNIC_REG_TICK_PERIOD:   rd_mux = tick_period_reg;
            CTNIC_REG_TICK_LO:       rd_mux = tick_reg[31:0];
            CTNIC_REG_TICK_HI:       rd_mux = hi_latch_reg;
            CTNIC_REG_TCP_PUNT_MASK: rd_mux = {24'd0, tcp_mask_reg};
            CTNIC_REG_CAP_PORTS:     rd_mux = PORTS;
            CTNIC_REG_CAP_WAYS:      rd_mux = WAYS;
            CTNIC_REG_CAP_BUCKETS:   rd_mux = BUCKETS;
            CTNIC_REG_CAP_FLOWS:     rd_mux = FLOWS;
            CTNIC_REG_CAP_NEXTHOPS:  rd_mux = NEXTHOPS;
            CTNIC_REG_CAP_CLASSES:   rd_mux = CLASSES;
            CTNIC_REG_TBL_INDEX:     rd_mux = tbl_index_reg;
            CTNIC_REG_TBL_STATUS:    rd_mux = {30'd0, tbl_err_reg, tbl_busy_reg};
            default:                 rd_mux = 32'd0;
        endcase
    end
end

// ---- tick -------------------------------------------------------------------

// One tick every TICK_PERIOD clocks; TICK_ADVANCE adds on top in the same
// clock, so a simulated card can follow a capture's timestamps.
wire tick_wrap = tick_period_reg != 32'd0 && tick_div_reg + 32'd1 >= tick_period_reg;
wire tick_adv = wr_fire && {wr_word, 2'b00} == CTNIC_REG_TICK_ADVANCE;
wire wr_tbl_window = wr_fire && !tbl_busy_reg;

// ---- clocked ----------------------------------------------------------------

integer i;

always @(posedge clk) begin
    if (bvalid_reg && s_axil_bready)
        bvalid_reg <= 1'b0;
    if (rvalid_reg && s_axil_rready)
        rvalid_reg <= 1'b0;

    tick_div_reg <= tick_wrap || tick_period_reg == 32'd0 ? 32'd0 : tick_div_reg + 32'd1;
    tick_reg <= tick_reg + {63'd0, tick_wrap} + (tick_adv ? {32'd0, s_axil_wdata} : 64'd0);

    if (rd_fire) begin
        rvalid_reg <= 1'b1;
        rdata_reg <= rd_mux;
        if (rd_is_cnt)
            hi_latch_reg <= rd_value[63:32];
        else if ({rd_word, 2'b00} == CTNIC_REG_TICK_LO)
            hi_latch_reg <= tick_reg[63:32];
    end

    if (wr_fire) begin
        bvalid_reg <= 1'b1;
        case ({wr_word, 2'b00})
            CTNIC_REG_SCRATCH:       scratch_reg <= s_axil_wdata;
            CTNIC_REG_CTRL:          enable_reg <= s_axil_wdata[0];
            CTNIC_REG_TICK_PERIOD:   tick_period_reg <= s_axil_wdata;
            CTNIC_REG_TCP_PUNT_MASK: tcp_mask_reg <= s_axil_wdata[7:0];
            default: ;
        endcase
    end

    // The table window is frozen while an operation runs.
    if (wr_tbl_window) begin
        if ({wr_word, 2'b00} == CTNIC_REG_TBL_INDEX)
            tbl_index_reg <= s_axil_wdata;
        if (wr_word[13:4] == CTNIC_REG_TBL_DATA[15:6])
            tbl_data_reg[32*wr_word[3:0] +: 32] <= s_axil_wdata;
        if ({wr_word, 2'b00} == CTNIC_REG_TBL_CMD) begin
            tbl_op_reg <= s_axil_wdata[3:0];
            tbl_busy_reg <= 1'b1;
            tbl_err_reg <= 1'b0;
        end
    end

    if (tbl_done) begin
        tbl_busy_reg <= 1'b0;
        tbl_err_reg <= tbl_err;
        if (tbl_rd && !tbl_err)
            tbl_data_reg <= tbl_rdata;
    end

    if (ev_rx) begin
        cnt_rx_pkts[ev_rx_port[PW-1:0]] <= cnt_rx_pkts[ev_rx_port[PW-1:0]] + 64'd1;
        cnt_rx_bytes[ev_rx_port[PW-1:0]] <= cnt_rx_bytes[ev_rx_port[PW-1:0]] + {48'd0, ev_rx_len};
    end
    if (ev_tx) begin
        cnt_tx_pkts[ev_tx_port[PW-1:0]] <= cnt_tx_pkts[ev_tx_port[PW-1:0]] + 64'd1;
        cnt_tx_bytes[ev_tx_port[PW-1:0]] <= cnt_tx_bytes[ev_tx_port[PW-1:0]] + {48'd0, ev_tx_len};
    end
    if (ev_punt)
        cnt_punt[ev_punt_reason] <= cnt_punt[ev_punt_reason] + 64'd1;
    if (ev_drop)
        cnt_drop[ev_drop_reason] <= cnt_drop[ev_drop_reason] + 64'd1;
    if (ev_hit)
        cnt_hit <= cnt_hit + 64'd1;
    if (ev_miss)
        cnt_miss <= cnt_miss + 64'd1;

    if (rst) begin
        bvalid_reg <= 1'b0;
        rvalid_reg <= 1'b0;
        scratch_reg <= 32'd0;
        enable_reg <= 1'b0;
        tick_period_reg <= CTNIC_REG_TICK_PERIOD_RESET;
        tick_div_reg <= 32'd0;
        tick_reg <= 64'd0;
        tcp_mask_reg <= CTNIC_REG_TCP_PUNT_MASK_RESET[7:0];
        hi_latch_reg <= 32'd0;
        tbl_busy_reg <= 1'b0;
        tbl_err_reg <= 1'b0;
        tbl_op_reg <= 4'd0;
        tbl_index_reg <= 32'd0;
        tbl_data_reg <= 512'd0;
        for (i = 0; i < (1 << PW); i = i + 1) begin
            cnt_rx_pkts[i] <= 64'd0;
            cnt_rx_bytes[i] <= 64'd0;
            cnt_tx_pkts[i] <= 64'd0;
            cnt_tx_bytes[i] <= 64'd0;
        end
        for (i = 0; i < 16; i = i + 1) begin
            cnt_punt[i] <= 64'd0;
            cnt_drop[i] <= 64'd0;
        end
        cnt_hit <= 64'd0;
        cnt_miss <= 64'd0;
    end
end

endmodule

`resetall
