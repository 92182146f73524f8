/*
 * ctnic_card - the whole card: the core (ctnic_top: parser, lookup, NAT,
 * counters, BAR0 registers) with the DMA engine (ctnic_dma: the rings of
 * docs/rings.md on an AXI4 master, interrupts) and the command-ring
 * executor (ctnic_dma_cmd) on the core's table port.
 *
 * The core's host streams stay inside: punts go to the punt ring, the
 * inject ring feeds the inject stream. BAR0 is split here: the ring block
 * (0x2000-0x2fff) and CNT_DROP[HOST_FULL] (the DMA engine's drops; the core
 * never counts that reason) go to ctnic_dma, everything else to the core.
 * One access per direction at a time through the split.
 *
 * Ports as docs/contract.md "The RTL top level" without the host streams,
 * plus m_axi_* (docs/rings.md) and irq[3:0] (vector i = ring i, level; the
 * shell sends MSI-X vector i on each rising edge).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module ctnic_card #
(
    // Network ports (1..15; port number PORTS means the host)
    parameter PORTS = 2,
    // Key entries per bucket (a power of two)
    parameter WAYS = 4,
    // Buckets per sub-table (a power of two, at most 65536)
    parameter BUCKETS = 16384,
    // Flow records (a power of two, at most 2^22)
    parameter FLOWS = 65536,
    // Next-hop entries (at most 256)
    parameter NEXTHOPS = 256,
    // Timeout classes
    parameter CLASSES = 16,
    // Longest frame forwarded, in 64-byte beats (144: 9216 bytes)
    parameter MAX_BEATS = 144,
    // Beat FIFO depth of the core (at least MAX_BEATS)
    parameter BEAT_DEPTH = 256,
    // Punt frame buffer of the DMA engine, in beats (at least 256)
    parameter PUNT_BUF_DEPTH = 256
)
(
    input  wire                  clk,
    input  wire                  rst,

    // BAR0
    input  wire [15:0]           s_axil_awaddr,
    input  wire [2:0]            s_axil_awprot,
    input  wire                  s_axil_awvalid,
    output wire                  s_axil_awready,
    input  wire [31:0]           s_axil_wdata,
    input  wire [3:0]            s_axil_wstrb,
    input  wire                  s_axil_wvalid,
    output wire                  s_axil_wready,
    output wire [1:0]            s_axil_bresp,
    output wire                  s_axil_bvalid,
    input  wire                  s_axil_bready,
    input  wire [15:0]           s_axil_araddr,
    input  wire [2:0]            s_axil_arprot,
    input  wire                  s_axil_arvalid,
    output wire                  s_axil_arready,
    output wire [31:0]           s_axil_rdata,
    output wire [1:0]            s_axil_rresp,
    output wire                  s_axil_rvalid,
    input  wire                  s_axil_rready,

    // network RX (tuser: bad frame, from the MAC)
    input  wire [PORTS*512-1:0]  s_axis_rx_tdata,
    input  wire [PORTS*64-1:0]   s_axis_rx_tkeep,
    input  wire [PORTS-1:0]      s_axis_rx_tvalid,
    output wire [PORTS-1:0]      s_axis_rx_tready,
    input  wire [PORTS-1:0]      s_axis_rx_tlast,
    input  wire [PORTS-1:0]      s_axis_rx_tuser,

    // network TX
    output wire [PORTS*512-1:0]  m_axis_tx_tdata,
    output wire [PORTS*64-1:0]   m_axis_tx_tkeep,
    output wire [PORTS-1:0]      m_axis_tx_tvalid,
    input  wire [PORTS-1:0]      m_axis_tx_tready,
    output wire [PORTS-1:0]      m_axis_tx_tlast,
    output wire [PORTS-1:0]      m_axis_tx_tuser,

    // CTRL.ENABLE: the shell's MACs hold frames while 0
    output wire                  rx_enable,

    // AXI4 master to host memory
    output wire [3:0]            m_axi_awid,
    output wire [63:0]           m_axi_awaddr,
    output wire [7:0]            m_axi_awlen,
    output wire [2:0]            m_axi_awsize,
    output wire [1:0]            m_axi_awburst,
    output wire                  m_axi_awvalid,
    input  wire                  m_axi_awready,
    output wire [511:0]          m_axi_wdata,
    output wire [63:0]           m_axi_wstrb,
    output wire                  m_axi_wlast,
    output wire                  m_axi_wvalid,
    input  wire                  m_axi_wready,
    input  wire [3:0]            m_axi_bid,
    input  wire [1:0]            m_axi_bresp,
    input  wire                  m_axi_bvalid,
    output wire                  m_axi_bready,
    output wire [3:0]            m_axi_arid,
    output wire [63:0]           m_axi_araddr,
    output wire [7:0]            m_axi_arlen,
    output wire [2:0]            m_axi_arsize,
    output wire [1:0]            m_axi_arburst,
    output wire                  m_axi_arvalid,
    input  wire                  m_axi_arready,
    input  wire [3:0]            m_axi_rid,
    input  wire [511:0]          m_axi_rdata,
    input  wire [1:0]            m_axi_rresp,
    input  wire                  m_axi_rlast,
    input  wire                  m_axi_rvalid,
    output wire                  m_axi_rready,

    // interrupts: vector i for ring i (IRQ_STATUS & IRQ_ENABLE), level
    output wire [3:0]            irq
);

`include "ctnic_regs.vh"

localparam [15:0] REG_HOST_FULL_LO = CTNIC_REG_CNT_DROP_LO + 16'd8 * {12'd0, CTNIC_DROP_HOST_FULL};

// ---- BAR0 split --------------------------------------------------------------------

// the DMA engine's registers: the ring block and the HOST_FULL counter
function is_dma(input [15:3] a);
    is_dma = a[15:12] == 4'h2 || a == REG_HOST_FULL_LO[15:3];
endfunction

reg w_busy_reg = 1'b0, w_sel_reg = 1'b0;
reg r_busy_reg = 1'b0, r_sel_reg = 1'b0;

wire w_dma = is_dma(s_axil_awaddr[15:3]);
wire r_dma = is_dma(s_axil_araddr[15:3]);

wire        core_awready, core_wready, core_bvalid, core_arready, core_rvalid;
wire [1:0]  core_bresp, core_rresp;
wire [31:0] core_rdata;
wire        dma_awready, dma_wready, dma_bvalid, dma_arready, dma_rvalid;
wire [1:0]  dma_bresp, dma_rresp;
wire [31:0] dma_rdata;

wire core_awvalid = s_axil_awvalid && !w_busy_reg && !w_dma;
wire core_wvalid = s_axil_wvalid && !w_busy_reg && !w_dma;
wire dma_awvalid = s_axil_awvalid && !w_busy_reg && w_dma;
wire dma_wvalid = s_axil_wvalid && !w_busy_reg && w_dma;
wire core_arvalid = s_axil_arvalid && !r_busy_reg && !r_dma;
wire dma_arvalid = s_axil_arvalid && !r_busy_reg && r_dma;

assign s_axil_awready = w_dma ? dma_awready && dma_awvalid : core_awready && core_awvalid;
assign s_axil_wready = w_dma ? dma_wready && dma_wvalid : core_wready && core_wvalid;
assign s_axil_bvalid = w_busy_reg && (w_sel_reg ? dma_bvalid : core_bvalid);
assign s_axil_bresp = w_sel_reg ? dma_bresp : core_bresp;
assign s_axil_arready = r_dma ? dma_arready && dma_arvalid : core_arready && core_arvalid;
assign s_axil_rvalid = r_busy_reg && (r_sel_reg ? dma_rvalid : core_rvalid);
assign s_axil_rdata = r_sel_reg ? dma_rdata : core_rdata;
assign s_axil_rresp = r_sel_reg ? dma_rresp : core_rresp;

always @(posedge clk) begin
    // both slaves take address and data in one clock (AW and W together)
    if (!w_busy_reg && s_axil_awready) begin
        w_busy_reg <= 1'b1;
        w_sel_reg <= w_dma;
    end else if (s_axil_bvalid && s_axil_bready) begin
        w_busy_reg <= 1'b0;
    end
    if (!r_busy_reg && s_axil_arready) begin
        r_busy_reg <= 1'b1;
        r_sel_reg <= r_dma;
    end else if (s_axil_rvalid && s_axil_rready) begin
        r_busy_reg <= 1'b0;
    end
    if (rst) begin
        w_busy_reg <= 1'b0;
        r_busy_reg <= 1'b0;
    end
end

// ---- the core -----------------------------------------------------------------------

wire [511:0] punt_tdata;
wire [63:0]  punt_tkeep;
wire         punt_tvalid, punt_tready, punt_tlast;
wire [127:0] punt_tuser;
wire [511:0] inj_tdata;
wire [63:0]  inj_tkeep;
wire         inj_tvalid, inj_tready, inj_tlast;
wire [4:0]   inj_tuser;

wire         c_valid, c_ready, c_key_we0, c_key_we1, c_key_re, c_flow_we, c_flow_re;
wire         c_nh_we, c_nh_re, c_rvalid;
wire [31:0]  c_key_slot0, c_key_slot1, c_flow_idx, c_nh_idx;
wire [127:0] c_key_data0, c_key_data1, c_nh_data;
wire [511:0] c_flow_data, c_rdata;
wire [63:0]  tick;
wire         x_valid, x_ready;
wire [21:0]  x_flow;
wire [31:0]  x_tick;
wire [511:0] x_record;

ctnic_top #(
    .PORTS(PORTS), .WAYS(WAYS), .BUCKETS(BUCKETS), .FLOWS(FLOWS), .NEXTHOPS(NEXTHOPS),
    .CLASSES(CLASSES), .MAX_BEATS(MAX_BEATS), .BEAT_DEPTH(BEAT_DEPTH)
) core (
    .clk(clk), .rst(rst),
    .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot),
    .s_axil_awvalid(core_awvalid), .s_axil_awready(core_awready),
    .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb),
    .s_axil_wvalid(core_wvalid), .s_axil_wready(core_wready),
    .s_axil_bresp(core_bresp), .s_axil_bvalid(core_bvalid), .s_axil_bready(s_axil_bready),
    .s_axil_araddr(s_axil_araddr), .s_axil_arprot(s_axil_arprot),
    .s_axil_arvalid(core_arvalid), .s_axil_arready(core_arready),
    .s_axil_rdata(core_rdata), .s_axil_rresp(core_rresp),
    .s_axil_rvalid(core_rvalid), .s_axil_rready(s_axil_rready),
    .s_axis_rx_tdata(s_axis_rx_tdata), .s_axis_rx_tkeep(s_axis_rx_tkeep),
    .s_axis_rx_tvalid(s_axis_rx_tvalid), .s_axis_rx_tready(s_axis_rx_tready),
    .s_axis_rx_tlast(s_axis_rx_tlast), .s_axis_rx_tuser(s_axis_rx_tuser),
    .m_axis_tx_tdata(m_axis_tx_tdata), .m_axis_tx_tkeep(m_axis_tx_tkeep),
    .m_axis_tx_tvalid(m_axis_tx_tvalid), .m_axis_tx_tready(m_axis_tx_tready),
    .m_axis_tx_tlast(m_axis_tx_tlast), .m_axis_tx_tuser(m_axis_tx_tuser),
    .m_axis_host_tdata(punt_tdata), .m_axis_host_tkeep(punt_tkeep),
    .m_axis_host_tvalid(punt_tvalid), .m_axis_host_tready(punt_tready),
    .m_axis_host_tlast(punt_tlast), .m_axis_host_tuser(punt_tuser),
    .s_axis_host_tdata(inj_tdata), .s_axis_host_tkeep(inj_tkeep),
    .s_axis_host_tvalid(inj_tvalid), .s_axis_host_tready(inj_tready),
    .s_axis_host_tlast(inj_tlast), .s_axis_host_tuser(inj_tuser),
    .rx_enable(rx_enable),
    .c_valid(c_valid), .c_ready(c_ready),
    .c_key_we0(c_key_we0), .c_key_slot0(c_key_slot0), .c_key_data0(c_key_data0),
    .c_key_we1(c_key_we1), .c_key_slot1(c_key_slot1), .c_key_data1(c_key_data1),
    .c_key_re(c_key_re), .c_flow_we(c_flow_we), .c_flow_re(c_flow_re),
    .c_flow_idx(c_flow_idx), .c_flow_data(c_flow_data),
    .c_nh_we(c_nh_we), .c_nh_re(c_nh_re), .c_nh_idx(c_nh_idx), .c_nh_data(c_nh_data),
    .c_rvalid(c_rvalid), .c_rdata(c_rdata),
    .tick_out(tick),
    .x_valid(x_valid), .x_ready(x_ready), .x_flow(x_flow), .x_tick(x_tick), .x_record(x_record)
);

// ---- the DMA engine and the command executor ------------------------------------------

wire [511:0] cmd_tdata;
wire         cmd_terr, cmd_tvalid, cmd_tready, cmd_done, cmd_busy;
wire         cev_valid, cev_ready;
wire [7:0]   cev_status, cev_op;
wire [31:0]  cev_tag;
wire [511:0] cev_data;

ctnic_dma #(.BUF_DEPTH(PUNT_BUF_DEPTH)) dma (
    .clk(clk), .rst(rst),
    .s_axil_awaddr(s_axil_awaddr), .s_axil_awvalid(dma_awvalid), .s_axil_awready(dma_awready),
    .s_axil_wdata(s_axil_wdata), .s_axil_wvalid(dma_wvalid), .s_axil_wready(dma_wready),
    .s_axil_bresp(dma_bresp), .s_axil_bvalid(dma_bvalid), .s_axil_bready(s_axil_bready),
    .s_axil_araddr(s_axil_araddr), .s_axil_arvalid(dma_arvalid), .s_axil_arready(dma_arready),
    .s_axil_rdata(dma_rdata), .s_axil_rresp(dma_rresp), .s_axil_rvalid(dma_rvalid),
    .s_axil_rready(s_axil_rready),
    .tick(tick),
    .m_axi_awid(m_axi_awid), .m_axi_awaddr(m_axi_awaddr), .m_axi_awlen(m_axi_awlen),
    .m_axi_awsize(m_axi_awsize), .m_axi_awburst(m_axi_awburst),
    .m_axi_awvalid(m_axi_awvalid), .m_axi_awready(m_axi_awready),
    .m_axi_wdata(m_axi_wdata), .m_axi_wstrb(m_axi_wstrb), .m_axi_wlast(m_axi_wlast),
    .m_axi_wvalid(m_axi_wvalid), .m_axi_wready(m_axi_wready),
    .m_axi_bid(m_axi_bid), .m_axi_bresp(m_axi_bresp), .m_axi_bvalid(m_axi_bvalid),
    .m_axi_bready(m_axi_bready),
    .m_axi_arid(m_axi_arid), .m_axi_araddr(m_axi_araddr), .m_axi_arlen(m_axi_arlen),
    .m_axi_arsize(m_axi_arsize), .m_axi_arburst(m_axi_arburst),
    .m_axi_arvalid(m_axi_arvalid), .m_axi_arready(m_axi_arready),
    .m_axi_rid(m_axi_rid), .m_axi_rdata(m_axi_rdata), .m_axi_rresp(m_axi_rresp),
    .m_axi_rlast(m_axi_rlast), .m_axi_rvalid(m_axi_rvalid), .m_axi_rready(m_axi_rready),
    .s_axis_punt_tdata(punt_tdata), .s_axis_punt_tkeep(punt_tkeep),
    .s_axis_punt_tvalid(punt_tvalid), .s_axis_punt_tready(punt_tready),
    .s_axis_punt_tlast(punt_tlast), .s_axis_punt_tuser(punt_tuser),
    .m_axis_inj_tdata(inj_tdata), .m_axis_inj_tkeep(inj_tkeep),
    .m_axis_inj_tvalid(inj_tvalid), .m_axis_inj_tready(inj_tready),
    .m_axis_inj_tlast(inj_tlast), .m_axis_inj_tuser(inj_tuser),
    .cmd_tdata(cmd_tdata), .cmd_terr(cmd_terr), .cmd_tvalid(cmd_tvalid), .cmd_tready(cmd_tready),
    .cmd_done(cmd_done), .cmd_busy(cmd_busy),
    .cev_valid(cev_valid), .cev_ready(cev_ready), .cev_status(cev_status), .cev_op(cev_op),
    .cev_tag(cev_tag), .cev_data(cev_data),
    .xev_valid(x_valid), .xev_ready(x_ready), .xev_flow(x_flow), .xev_tick(x_tick), .xev_data(x_record),
    .irq(irq)
);

ctnic_dma_cmd #(.WAYS(WAYS), .BUCKETS(BUCKETS), .FLOWS(FLOWS), .NEXTHOPS(NEXTHOPS)) cmd (
    .clk(clk), .rst(rst),
    .s_tdata(cmd_tdata), .s_terr(cmd_terr), .s_tvalid(cmd_tvalid), .s_tready(cmd_tready),
    .c_valid(c_valid), .c_ready(c_ready),
    .c_key_we0(c_key_we0), .c_key_slot0(c_key_slot0), .c_key_data0(c_key_data0),
    .c_key_we1(c_key_we1), .c_key_slot1(c_key_slot1), .c_key_data1(c_key_data1),
    .c_key_re(c_key_re), .c_flow_we(c_flow_we), .c_flow_re(c_flow_re),
    .c_flow_idx(c_flow_idx), .c_flow_data(c_flow_data),
    .c_nh_we(c_nh_we), .c_nh_re(c_nh_re), .c_nh_idx(c_nh_idx), .c_nh_data(c_nh_data),
    .c_rvalid(c_rvalid), .c_rdata(c_rdata),
    .ev_valid(cev_valid), .ev_ready(cev_ready), .ev_status(cev_status), .ev_op(cev_op),
    .ev_tag(cev_tag), .ev_data(cev_data),
    .cmd_done(cmd_done), .busy(cmd_busy)
);

endmodule

`resetall
