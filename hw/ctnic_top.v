/*
 * ctnic_top - the ctnic card core: connection tracking and NAT offload.
 *
 * Interfaces (docs/contract.md, "The RTL top level"): BAR0 on AXI4-Lite,
 * PORTS network ports in and out on 512-bit AXI4-Stream, the host punt and
 * inject streams, and rx_enable for the shell's MACs. One clock domain,
 * synchronous active-high reset.
 *
 * Frames flow: ctnic_ingress (arbiter, beat and descriptor FIFOs) ->
 * ctnic_engine (parse, hash, lookup, flow update, decision, rewrite of the
 * first beat) -> ctnic_egress (to a port, to the host, or dropped).
 * docs/hardware.md describes each stage.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module ctnic_top #
(
    // Network ports (1..15; port number PORTS means the host)
    parameter PORTS = 2,
    // Key entries per bucket (a power of two)
    parameter WAYS = 4,
    // Buckets per sub-table (a power of two, at most 65536); the default
    // 2 x 16384 x 4 key slots hold 64K connections (two entries each)
    parameter BUCKETS = 16384,
    // Flow records (a power of two, at most 2^22)
    parameter FLOWS = 65536,
    // Next-hop entries (at most 256)
    parameter NEXTHOPS = 256,
    // Timeout classes
    parameter CLASSES = 16,
    // Longest frame forwarded, in 64-byte beats (144: 9216 bytes)
    parameter MAX_BEATS = 144,
    // Beat FIFO depth (at least MAX_BEATS)
    parameter BEAT_DEPTH = 256
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

    // host punt (tuser: punt descriptor on the first beat)
    output wire [511:0]          m_axis_host_tdata,
    output wire [63:0]           m_axis_host_tkeep,
    output wire                  m_axis_host_tvalid,
    input  wire                  m_axis_host_tready,
    output wire                  m_axis_host_tlast,
    output wire [127:0]          m_axis_host_tuser,

    // host inject (tuser[3:0] port, tuser[4] LOOKUP, first beat)
    input  wire [511:0]          s_axis_host_tdata,
    input  wire [63:0]           s_axis_host_tkeep,
    input  wire                  s_axis_host_tvalid,
    output wire                  s_axis_host_tready,
    input  wire                  s_axis_host_tlast,
    input  wire [4:0]            s_axis_host_tuser,

    // CTRL.ENABLE: the shell's MACs hold frames while 0
    output wire                  rx_enable,

    // Command-ring table port (ctnic_dma_cmd; see ctnic_engine). Unused
    // inputs may stay 0: the core then behaves as without it.
    input  wire                  c_valid,
    output wire                  c_ready,
    input  wire                  c_key_we0,
    input  wire [31:0]           c_key_slot0,
    input  wire [127:0]          c_key_data0,
    input  wire                  c_key_we1,
    input  wire [31:0]           c_key_slot1,
    input  wire [127:0]          c_key_data1,
    input  wire                  c_key_re,
    input  wire                  c_flow_we,
    input  wire                  c_flow_re,
    input  wire [31:0]           c_flow_idx,
    input  wire [511:0]          c_flow_data,
    input  wire                  c_nh_we,
    input  wire                  c_nh_re,
    input  wire [31:0]           c_nh_idx,
    input  wire [127:0]          c_nh_data,
    output wire                  c_rvalid,
    output wire [511:0]          c_rdata,

    // the device tick, for the DMA engine's event entries
    output wire [63:0]           tick_out,

    // Expiries of the aging scanner (docs/hardware.md, "Aging"), in the
    // order retired: flow id, tick of the visit, the record as retired. The
    // scanner waits while x_ready is 0 (it stops after 4 when unconnected).
    output wire                  x_valid,
    input  wire                  x_ready,
    output wire [21:0]           x_flow,
    output wire [31:0]           x_tick,
    output wire [511:0]          x_record
);

localparam DESC_W = 1024 + 16 + 16 + 4 + 5;

wire         enable;
wire [7:0]   tcp_punt_mask;
wire [63:0]  tick;

wire         tbl_req;
wire [3:0]   tbl_op;
wire [31:0]  tbl_index;
wire [511:0] tbl_wdata;
wire         tbl_done;
wire         tbl_err;
wire         tbl_rd;
wire [511:0] tbl_rdata;

wire         ev_rx, ev_tx, ev_punt, ev_drop, ev_hit, ev_miss;
wire [3:0]   ev_rx_port, ev_tx_port, ev_punt_reason, ev_drop_reason;
wire [15:0]  ev_rx_len, ev_tx_len;

wire [575:0] beat_dout;
wire         beat_valid;
wire         beat_rd;
wire [DESC_W-1:0] desc_dout;
wire         desc_valid;
wire         desc_rd;

wire         job_valid;
wire         job_ready;
wire [1:0]   job_kind;
wire [3:0]   job_port;
wire [15:0]  job_beats;
wire [15:0]  job_len;
wire         job_replace;
wire [511:0] job_beat0;
wire [127:0] job_desc;

wire         ag_wr;
wire [7:0]   ag_waddr, ag_raddr;
wire [31:0]  ag_wdata, ag_rdata;
wire         a_req, a_force, a_take, a_done, a_exp;
wire [21:0]  a_idx, a_exp_flow;
wire [511:0] a_exp_rec, a_timeouts;
wire [31:0]  a_exp_tick;

assign rx_enable = enable;
assign tick_out = tick;

ctnic_csr #(
    .PORTS(PORTS), .WAYS(WAYS), .BUCKETS(BUCKETS), .FLOWS(FLOWS),
    .NEXTHOPS(NEXTHOPS), .CLASSES(CLASSES)
) csr (
    .clk(clk), .rst(rst),
    .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot),
    .s_axil_awvalid(s_axil_awvalid), .s_axil_awready(s_axil_awready),
    .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb),
    .s_axil_wvalid(s_axil_wvalid), .s_axil_wready(s_axil_wready),
    .s_axil_bresp(s_axil_bresp), .s_axil_bvalid(s_axil_bvalid), .s_axil_bready(s_axil_bready),
    .s_axil_araddr(s_axil_araddr), .s_axil_arprot(s_axil_arprot),
    .s_axil_arvalid(s_axil_arvalid), .s_axil_arready(s_axil_arready),
    .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp),
    .s_axil_rvalid(s_axil_rvalid), .s_axil_rready(s_axil_rready),
    .enable(enable), .tcp_punt_mask(tcp_punt_mask), .tick(tick),
    .tbl_req(tbl_req), .tbl_op(tbl_op), .tbl_index(tbl_index), .tbl_wdata(tbl_wdata),
    .tbl_done(tbl_done), .tbl_err(tbl_err), .tbl_rd(tbl_rd), .tbl_rdata(tbl_rdata),
    .ev_rx(ev_rx), .ev_rx_port(ev_rx_port), .ev_rx_len(ev_rx_len),
    .ev_tx(ev_tx), .ev_tx_port(ev_tx_port), .ev_tx_len(ev_tx_len),
    .ev_punt(ev_punt), .ev_punt_reason(ev_punt_reason),
    .ev_drop(ev_drop), .ev_drop_reason(ev_drop_reason),
    .ev_hit(ev_hit), .ev_miss(ev_miss),
    .ag_wr(ag_wr), .ag_waddr(ag_waddr), .ag_wdata(ag_wdata), .ag_raddr(ag_raddr), .ag_rdata(ag_rdata)
);

ctnic_aging #(.FLOWS(FLOWS), .CLASSES(CLASSES)) aging (
    .clk(clk), .rst(rst),
    .reg_wr(ag_wr), .reg_waddr(ag_waddr), .reg_wdata(ag_wdata), .reg_raddr(ag_raddr), .reg_rdata(ag_rdata),
    .a_req(a_req), .a_force(a_force), .a_idx(a_idx), .a_take(a_take), .a_done(a_done),
    .a_exp(a_exp), .a_exp_flow(a_exp_flow), .a_exp_rec(a_exp_rec), .a_exp_tick(a_exp_tick),
    .a_timeouts(a_timeouts),
    .x_valid(x_valid), .x_ready(x_ready), .x_flow(x_flow), .x_tick(x_tick), .x_record(x_record)
);

ctnic_ingress #(
    .PORTS(PORTS), .MAX_BEATS(MAX_BEATS), .BEAT_DEPTH(BEAT_DEPTH), .DESC_W(DESC_W)
) ingress (
    .clk(clk), .rst(rst), .enable(enable),
    .s_axis_rx_tdata(s_axis_rx_tdata), .s_axis_rx_tkeep(s_axis_rx_tkeep),
    .s_axis_rx_tvalid(s_axis_rx_tvalid), .s_axis_rx_tready(s_axis_rx_tready),
    .s_axis_rx_tlast(s_axis_rx_tlast), .s_axis_rx_tuser(s_axis_rx_tuser),
    .s_axis_host_tdata(s_axis_host_tdata), .s_axis_host_tkeep(s_axis_host_tkeep),
    .s_axis_host_tvalid(s_axis_host_tvalid), .s_axis_host_tready(s_axis_host_tready),
    .s_axis_host_tlast(s_axis_host_tlast), .s_axis_host_tuser(s_axis_host_tuser),
    .beat_dout(beat_dout), .beat_valid(beat_valid), .beat_rd(beat_rd),
    .desc_dout(desc_dout), .desc_valid(desc_valid), .desc_rd(desc_rd),
    .ev_rx(ev_rx), .ev_rx_port(ev_rx_port), .ev_rx_len(ev_rx_len)
);

ctnic_engine #(
    .PORTS(PORTS), .WAYS(WAYS), .BUCKETS(BUCKETS), .FLOWS(FLOWS),
    .NEXTHOPS(NEXTHOPS), .MAX_BEATS(MAX_BEATS), .DESC_W(DESC_W)
) engine (
    .clk(clk), .rst(rst),
    .tcp_punt_mask(tcp_punt_mask), .tick(tick),
    .tbl_req(tbl_req), .tbl_op(tbl_op), .tbl_index(tbl_index), .tbl_wdata(tbl_wdata),
    .tbl_done(tbl_done), .tbl_err(tbl_err), .tbl_rd(tbl_rd), .tbl_rdata(tbl_rdata),
    .c_valid(c_valid), .c_ready(c_ready),
    .c_key_we0(c_key_we0), .c_key_slot0(c_key_slot0), .c_key_data0(c_key_data0),
    .c_key_we1(c_key_we1), .c_key_slot1(c_key_slot1), .c_key_data1(c_key_data1),
    .c_key_re(c_key_re), .c_flow_we(c_flow_we), .c_flow_re(c_flow_re),
    .c_flow_idx(c_flow_idx), .c_flow_data(c_flow_data),
    .c_nh_we(c_nh_we), .c_nh_re(c_nh_re), .c_nh_idx(c_nh_idx), .c_nh_data(c_nh_data),
    .c_rvalid(c_rvalid), .c_rdata(c_rdata),
    .a_req(a_req), .a_force(a_force), .a_idx(a_idx), .a_take(a_take), .a_done(a_done),
    .a_exp(a_exp), .a_exp_flow(a_exp_flow), .a_exp_rec(a_exp_rec), .a_exp_tick(a_exp_tick),
    .a_timeouts(a_timeouts),
    .desc_dout(desc_dout), .desc_valid(desc_valid), .desc_rd(desc_rd),
    .job_valid(job_valid), .job_ready(job_ready), .job_kind(job_kind), .job_port(job_port),
    .job_beats(job_beats), .job_len(job_len), .job_replace(job_replace),
    .job_beat0(job_beat0), .job_desc(job_desc),
    .ev_punt(ev_punt), .ev_punt_reason(ev_punt_reason),
    .ev_drop(ev_drop), .ev_drop_reason(ev_drop_reason),
    .ev_hit(ev_hit), .ev_miss(ev_miss)
);

ctnic_egress #(.PORTS(PORTS)) egress (
    .clk(clk), .rst(rst),
    .job_valid(job_valid), .job_ready(job_ready), .job_kind(job_kind), .job_port(job_port),
    .job_beats(job_beats), .job_len(job_len), .job_replace(job_replace),
    .job_beat0(job_beat0), .job_desc(job_desc),
    .beat_dout(beat_dout), .beat_valid(beat_valid), .beat_rd(beat_rd),
    .m_axis_tx_tdata(m_axis_tx_tdata), .m_axis_tx_tkeep(m_axis_tx_tkeep),
    .m_axis_tx_tvalid(m_axis_tx_tvalid), .m_axis_tx_tready(m_axis_tx_tready),
    .m_axis_tx_tlast(m_axis_tx_tlast), .m_axis_tx_tuser(m_axis_tx_tuser),
    .m_axis_host_tdata(m_axis_host_tdata), .m_axis_host_tkeep(m_axis_host_tkeep),
    .m_axis_host_tvalid(m_axis_host_tvalid), .m_axis_host_tready(m_axis_host_tready),
    .m_axis_host_tlast(m_axis_host_tlast), .m_axis_host_tuser(m_axis_host_tuser),
    .ev_tx(ev_tx), .ev_tx_port(ev_tx_port), .ev_tx_len(ev_tx_len)
);

endmodule

`resetall
