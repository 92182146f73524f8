/*
 * ctnic_dma - the card's DMA engine: the four rings of docs/rings.md in host
 * memory, reached through a 512-bit AXI4 master, and their interrupts.
 *
 *   registers   the block at 0x2000 (RING_* x4, IRQ_STATUS/ENABLE/TEST) and
 *               the HOST_FULL drop counter (CNT_DROP[HOST_FULL], which the
 *               core never counts), on an AXI4-Lite slave
 *   punt        the core's host stream -> punt ring. Always ready: at a
 *               frame's first beat the length gives its slots; with too few
 *               free slots, the ring off or the frame buffer full the whole
 *               frame is dropped and counted. Accepted frames wait whole in
 *               the frame buffer, then are written (header beat, frame
 *               beats), and published after every BRESP: writeback, RING_PROD,
 *               interrupt moderation
 *   inject      inject ring -> the core's host inject stream (header checked,
 *               frame beats passed with tuser, back-pressure kept on the ring)
 *   command     command ring -> ctnic_dma_cmd (two beats per entry, up to two
 *               read bursts in flight so it runs at one beat per clock)
 *   event       completions and errors -> event ring (two beats per entry)
 *   interrupts  per ring a count of unsignalled entries and a timer from the
 *               first of them; irq = IRQ_STATUS & IRQ_ENABLE (level)
 *
 * AXI4: every access is whole aligned 64-byte beats (wstrb only on a
 * frame's last beat and on the 4-byte index writeback); bursts split at
 * 4 KiB and at the ring's end. One write burst at a time (AW, W, B), so
 * "data, BRESP, writeback, PROD, interrupt" holds by construction; reads:
 * one burst, or two when both are the command ring's. ID 0 throughout.
 *
 * Enabling a ring takes its configuration and bumps its generation: frames,
 * events and command beats of an earlier enable are dropped, never written
 * into the new ring. A ring that stops on ENABLE 0 finishes the entry in
 * flight; RING_STATUS.ENABLED stays 1 until it has.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module ctnic_dma #
(
    // Punt frame buffer in 64-byte beats (a power of two, at least 256: a
    // 9216-byte frame is 144 beats)
    parameter BUF_DEPTH = 256,
    // Frames the punt buffer keeps track of (a power of two)
    parameter INFO_DEPTH = 16
)
(
    input  wire         clk,
    input  wire         rst,

    // AXI4-Lite slave: the ring registers. Unused by design: wstrb (whole
    // words), address bits 1:0 and the ones the card decoded.
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [15:0]  s_axil_awaddr,
    input  wire         s_axil_awvalid,
    output wire         s_axil_awready,
    input  wire [31:0]  s_axil_wdata,
    input  wire         s_axil_wvalid,
    output wire         s_axil_wready,
    output wire [1:0]   s_axil_bresp,
    output wire         s_axil_bvalid,
    input  wire         s_axil_bready,
    input  wire [15:0]  s_axil_araddr,
    input  wire         s_axil_arvalid,
    output wire         s_axil_arready,
    output wire [31:0]  s_axil_rdata,
    output wire [1:0]   s_axil_rresp,
    output wire         s_axil_rvalid,
    input  wire         s_axil_rready,
    /* verilator lint_on UNUSEDSIGNAL */

    // device tick (low 32 bits go into events)
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [63:0]  tick,
    /* verilator lint_on UNUSEDSIGNAL */

    // AXI4 master to host memory (512 bits, 64-bit addresses). IDs are
    // always 0, so bid and rid are not looked at.
    output wire [3:0]   m_axi_awid,
    output wire [63:0]  m_axi_awaddr,
    output wire [7:0]   m_axi_awlen,
    output wire [2:0]   m_axi_awsize,
    output wire [1:0]   m_axi_awburst,
    output wire         m_axi_awvalid,
    input  wire         m_axi_awready,
    output wire [511:0] m_axi_wdata,
    output wire [63:0]  m_axi_wstrb,
    output wire         m_axi_wlast,
    output wire         m_axi_wvalid,
    input  wire         m_axi_wready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [3:0]   m_axi_bid,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [1:0]   m_axi_bresp,
    input  wire         m_axi_bvalid,
    output wire         m_axi_bready,
    output wire [3:0]   m_axi_arid,
    output wire [63:0]  m_axi_araddr,
    output wire [7:0]   m_axi_arlen,
    output wire [2:0]   m_axi_arsize,
    output wire [1:0]   m_axi_arburst,
    output wire         m_axi_arvalid,
    input  wire         m_axi_arready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [3:0]   m_axi_rid,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [511:0] m_axi_rdata,
    input  wire [1:0]   m_axi_rresp,
    input  wire         m_axi_rlast,
    input  wire         m_axi_rvalid,
    output wire         m_axi_rready,

    // punt: the core's host stream (tuser = punt descriptor, first beat)
    input  wire [511:0] s_axis_punt_tdata,
    input  wire [63:0]  s_axis_punt_tkeep,
    input  wire         s_axis_punt_tvalid,
    output wire         s_axis_punt_tready,
    input  wire         s_axis_punt_tlast,
    input  wire [127:0] s_axis_punt_tuser,

    // inject: into the core's host inject stream (tuser[4:0], first beat)
    output wire [511:0] m_axis_inj_tdata,
    output wire [63:0]  m_axis_inj_tkeep,
    output wire         m_axis_inj_tvalid,
    input  wire         m_axis_inj_tready,
    output wire         m_axis_inj_tlast,
    output wire [4:0]   m_axis_inj_tuser,

    // command beats to ctnic_dma_cmd, and what it says back
    output wire [511:0] cmd_tdata,
    output wire         cmd_terr,
    output wire         cmd_tvalid,
    input  wire         cmd_tready,
    input  wire         cmd_done,
    input  wire         cmd_busy,
    input  wire         cev_valid,
    output wire         cev_ready,
    input  wire [7:0]   cev_status,
    input  wire [7:0]   cev_op,
    input  wire [31:0]  cev_tag,
    input  wire [511:0] cev_data,

    // expiries of the aging scanner (ctnic_top x_*): the last source in
    // priority, and one waits while the event ring is off or full (the
    // scanner then stops: no flow retired without its event)
    input  wire         xev_valid,
    output wire         xev_ready,
    input  wire [21:0]  xev_flow,
    input  wire [31:0]  xev_tick,
    input  wire [511:0] xev_data,

    // interrupt vector i: IRQ_STATUS[i] & IRQ_ENABLE[i], level
    output wire [3:0]   irq
);

`include "ctnic_regs.vh"

localparam BL = $clog2(BUF_DEPTH);
localparam IL = $clog2(INFO_DEPTH);

initial begin
    if (BUF_DEPTH != (1 << BL) || BUF_DEPTH < 256 || INFO_DEPTH != (1 << IL) || INFO_DEPTH < 2) begin
        $error("ctnic_dma: BUF_DEPTH (>= 256) and INFO_DEPTH (>= 2) must be powers of two");
        $finish;
    end
end

localparam [1:0] R_PUNT = CTNIC_RING_ID_PUNT;
localparam [1:0] R_INJ = CTNIC_RING_ID_INJECT;
localparam [1:0] R_CMD = CTNIC_RING_ID_CMD;
localparam [1:0] R_EVT = CTNIC_RING_ID_EVENT;

localparam [7:0] EVT_CPL = {6'd0, CTNIC_EVT_CPL};
localparam [7:0] EVT_ERROR = {6'd0, CTNIC_EVT_ERROR};
localparam [7:0] EVT_EXPIRY = {6'd0, CTNIC_EVT_EXPIRY};
localparam [7:0] ERR_DMA_READ = {5'd0, CTNIC_RING_ERR_DMA_READ};
localparam [7:0] ERR_DMA_WRITE = {5'd0, CTNIC_RING_ERR_DMA_WRITE};
localparam [7:0] ERR_INJECT_BAD = {5'd0, CTNIC_RING_ERR_INJECT_BAD};
localparam [7:0] ERR_DOORBELL = {5'd0, CTNIC_RING_ERR_DOORBELL};

localparam [15:0] REG_HOST_FULL_LO = CTNIC_REG_CNT_DROP_LO + 16'd8 * {12'd0, CTNIC_DROP_HOST_FULL};
localparam [15:0] REG_HOST_FULL_HI = REG_HOST_FULL_LO + 16'd4;

// ---- ring geometry ----------------------------------------------------------------

// Byte offset of slot `idx` in a ring of 2^size slots of 2^slot bytes.
function [39:0] slot_off(input [31:0] idx, input [4:0] size, input [3:0] slot);
    reg [31:0] m;
    begin
        m = idx & ((32'd1 << size) - 32'd1);
        slot_off = {8'd0, m} << slot;
    end
endfunction

// The ring's byte size minus one (offsets wrap with it).
function [39:0] ring_mask(input [4:0] size, input [3:0] slot);
    ring_mask = (40'd1 << ({1'b0, size} + {2'd0, slot})) - 40'd1;
endfunction

// Beats from offset `off` to the next 4 KiB boundary or the ring's end,
// whichever is first (the ring's base is 4 KiB aligned): 1..64.
function [6:0] beats_to_end(input [12:0] off, input [4:0] size, input [3:0] slot);
    reg [5:0] cl;     // log2 of the chunk: min(12, ring bytes)
    reg [12:0] chunk, used;
    begin
        cl = ({1'b0, size} + {2'd0, slot} < 6'd12) ? {1'b0, size} + {2'd0, slot} : 6'd12;
        chunk = 13'd1 << cl;
        used = off & (chunk - 13'd1);
        used = (chunk - used) >> 6;
        beats_to_end = used[6:0];
    end
endfunction

// Slots a frame of `len` bytes takes behind its 64-byte header.
function [16:0] frame_slots(input [15:0] len, input [3:0] slot);
    frame_slots = ({1'b0, len} + 17'd64 + (17'd1 << slot) - 17'd1) >> slot;
endfunction

// ---- registers as written, and as taken at enable ----------------------------------

reg [31:0] base_lo_reg [0:3];
reg [31:0] base_hi_reg [0:3];
reg [31:0] cfg_reg [0:3];
reg [31:0] wb_lo_reg [0:3];
reg [31:0] wb_hi_reg [0:3];
reg [31:0] icount_reg [0:3];
reg [31:0] itime_reg [0:3];

reg        on_reg [0:3];
reg        cfgerr_reg [0:3];
reg        dmaerr_reg [0:3];
reg        wbon_reg [0:3];
reg [63:0] base_reg [0:3];
reg [63:0] wb_reg [0:3];
reg [4:0]  size_reg [0:3];
reg [3:0]  slot_reg [0:3];
reg [31:0] prod_reg [0:3];
reg [31:0] cons_reg [0:3];
reg [3:0]  gen_reg [0:3];

// moderation: unsignalled entries, clocks since the first of them
reg [31:0] mcnt_reg [0:3];
reg [31:0] mtime_reg [0:3];
// consumed entries (inject, command) whose writeback is still to be written
reg [31:0] unpub_reg [0:3];
reg [3:0]  wb_dirty_reg = 4'd0;

reg [3:0]  irq_status_reg = 4'd0;
reg [3:0]  irq_enable_reg = 4'd0;
reg [63:0] host_full_reg = 64'd0;
reg [31:0] host_full_hi_reg = 32'd0;

wire ok_p = on_reg[0] && !dmaerr_reg[0];
wire ok_i = on_reg[1] && !dmaerr_reg[1];
wire ok_c = on_reg[2] && !dmaerr_reg[2];
wire ok_e = on_reg[3] && !dmaerr_reg[3];

assign irq = irq_status_reg & irq_enable_reg;

// ---- AXI4-Lite ------------------------------------------------------------------------

reg bvalid_reg = 1'b0;
reg rvalid_reg = 1'b0;
reg [31:0] rdata_reg = 32'd0;

wire wr_fire = s_axil_awvalid && s_axil_wvalid && !bvalid_reg;
wire rd_fire = s_axil_arvalid && !rvalid_reg;
wire [15:0] wa = {s_axil_awaddr[15:2], 2'b00};
wire [15:0] ra = {s_axil_araddr[15:2], 2'b00};
wire [31:0] wd = s_axil_wdata;
wire        wa_ring = wa[15:8] == 8'h20;
wire [1:0]  wa_id = wa[7:6];
wire [5:0]  wa_reg = wa[5:0];
wire        ra_ring = ra[15:8] == 8'h20;
wire [1:0]  ra_id = ra[7:6];

assign s_axil_awready = wr_fire;
assign s_axil_wready = wr_fire;
assign s_axil_bresp = 2'b00;
assign s_axil_bvalid = bvalid_reg;
assign s_axil_arready = rd_fire;
assign s_axil_rdata = rdata_reg;
assign s_axil_rresp = 2'b00;
assign s_axil_rvalid = rvalid_reg;

// ---- punt: acceptor and frame buffer -------------------------------------------------------

reg         pa_first_reg = 1'b1;   // the next beat starts a frame
reg         pa_take_reg = 1'b0;    // the frame in progress is kept
reg [15:0]  pa_cnt_reg = 16'd0;    // beats of it buffered
reg [15:0]  pa_cap_reg = 16'd0;    // beats its length allows
reg [127:0] pa_desc_reg;
reg [15:0]  pa_n_reg;
reg [3:0]   pa_gen_reg;
reg [31:0]  presv_reg = 32'd0;     // punt index after every accepted frame

wire [BL:0]  pb_count;
/* verilator lint_off UNUSEDSIGNAL */
// never full when written: a frame is taken only when all its beats fit
wire         pb_full;
wire [IL:0]  pi_count;
/* verilator lint_on UNUSEDSIGNAL */
wire [576:0] pb_dout;
wire         pb_valid;
wire         pb_rd;

wire         pi_full;
wire [163:0] pi_dout;           // {gen 4, slots 16, beats 16, desc 128}
wire         pi_valid;
wire         pi_rd;

wire        pa_beat = s_axis_punt_tvalid;
wire        pa_first = pa_first_reg;
wire [15:0] pa_len = s_axis_punt_tuser[15:0];
wire [16:0] pa_need = ({1'b0, pa_len} + 17'd63) >> 6;
wire [16:0] pa_n = frame_slots(pa_len, slot_reg[0]);
wire [32:0] pa_used = {1'b0, presv_reg - cons_reg[0]} + {16'd0, pa_n};
wire        pa_room = pa_used <= (33'd1 << size_reg[0]);
wire        pa_buf = {{(16 - BL){1'b0}}, pb_count} + pa_need <= BUF_DEPTH;
wire        pa_accept = ok_p && pa_room && pa_buf && !pi_full;
wire        pa_take = pa_first ? pa_accept : pa_take_reg;
wire [15:0] pa_cap = pa_first ? pa_need[15:0] : pa_cap_reg;
wire [15:0] pa_cnt = pa_first ? 16'd0 : pa_cnt_reg;
wire        pa_push = pa_beat && pa_take && pa_cnt < pa_cap;
wire        pa_end = pa_beat && s_axis_punt_tlast;
wire        pa_info = pa_end && pa_take;
wire        pa_drop = pa_beat && pa_first && !pa_accept;

assign s_axis_punt_tready = 1'b1;

ctnic_fifo #(.WIDTH(577), .DEPTH(BUF_DEPTH)) punt_buf (
    .clk(clk), .rst(rst),
    .din({s_axis_punt_tlast || pa_cnt + 16'd1 == pa_cap, s_axis_punt_tkeep, s_axis_punt_tdata}),
    .wr_en(pa_push), .full(pb_full), .count(pb_count),
    .dout(pb_dout), .dout_valid(pb_valid), .rd_en(pb_rd)
);

ctnic_fifo #(.WIDTH(164), .DEPTH(INFO_DEPTH)) punt_info (
    .clk(clk), .rst(rst),
    .din({pa_first ? gen_reg[0] : pa_gen_reg,
          pa_first ? pa_n[15:0] : pa_n_reg,
          pa_cnt + {15'd0, pa_push},
          pa_first ? s_axis_punt_tuser : pa_desc_reg}),
    .wr_en(pa_info), .full(pi_full), .count(pi_count),
    .dout(pi_dout), .dout_valid(pi_valid), .rd_en(pi_rd)
);

// ---- event queue: one entry waiting for the write master -------------------------------------

reg         evq_v_reg = 1'b0;
reg [3:0]   evq_gen_reg;
reg [127:0] evq_hdr_reg;
reg [511:0] evq_data_reg;
reg [31:0]  eresv_reg = 32'd0;     // event index after every queued event

// pending error events that are lost when the event ring has no room
reg [2:0]   de_pend_reg = 3'd0;    // DMA errors of punt, inject, command
reg [7:0]   de_code_reg [0:2];
reg [31:0]  de_idx_reg [0:2];
reg         db_pend_reg = 1'b0;    // a doorbell error
reg [1:0]   db_ring_reg;
reg [31:0]  db_idx_reg;

wire [32:0] ev_used = {1'b0, eresv_reg - cons_reg[3]};
wire        ev_room = ok_e && ev_used < (33'd1 << size_reg[3]);
// a source that must not lose its event waits for this
wire        ev_can = !evq_v_reg && (!ok_e || ev_room);
// an expiry goes in only when no other source wants the queue, and only with room
assign xev_ready = !evq_v_reg && ev_room && !cev_valid && i_state_reg != I_BAD &&
                   de_pend_reg == 3'd0 && !db_pend_reg;

function [127:0] ev_hdr(input [7:0] typ, input [7:0] code, input [7:0] aux, input [31:0] idx,
                        input [31:0] tag, input [31:0] tk);
    ev_hdr = {tk, tag, idx, 8'd0, aux, code, typ};
endfunction

// ---- inject reader ------------------------------------------------------------------------------

localparam [2:0] I_IDLE = 3'd0, I_HDR = 3'd1, I_CHK = 3'd2, I_BAD = 3'd3, I_AR = 3'd4, I_DAT = 3'd5;

reg [2:0]   i_state_reg = I_IDLE;
reg [3:0]   i_gen_reg;
reg [15:0]  i_len_reg;
reg [7:0]   i_user_reg;
reg         i_rsvd_reg;
reg         i_err_reg;
reg [39:0]  i_off_reg;
reg [15:0]  i_left_reg;     // beats still to request
reg [15:0]  i_beats_reg;    // beats still to deliver
reg [16:0]  i_n_reg;

wire [16:0] i_n = frame_slots(i_len_reg, slot_reg[1]);
wire        i_bad = i_len_reg == 16'd0 || i_len_reg > CTNIC_RING_MAX_FRAME[15:0] ||
                    i_n > (17'd1 << size_reg[1]) || i_user_reg[7:5] != 3'd0 || i_rsvd_reg;
wire [31:0] i_avail = prod_reg[1] - cons_reg[1];

// ---- read master: one AR at a time, up to two bursts in flight -----------------------------------

reg         ar_v_reg = 1'b0;
reg [63:0]  ar_addr_reg;
reg [7:0]   ar_len_reg;
reg [1:0]   ro_cnt_reg = 2'd0;       // bursts requested, not yet ended
reg         ro_own0_reg, ro_own1_reg; // owner of burst 0 (head), 1: 1 command, 0 inject
reg [3:0]   ro_gen0_reg, ro_gen1_reg;
reg         ar_turn_reg = 1'b0;      // 1: the command ring goes first

reg [31:0]  c_rd_reg = 32'd0;        // command index after every one requested

wire        r_cmd = ro_own0_reg;
wire        r_beat = m_axi_rvalid && m_axi_rready;

wire [31:0] c_avail = prod_reg[2] - c_rd_reg;
wire [39:0] c_off = slot_off(c_rd_reg, size_reg[2], 4'd7);
/* verilator lint_off UNUSEDSIGNAL */
// 128-byte entries: the beats to a 4 KiB boundary or the ring's end are even
wire [6:0]  c_end = beats_to_end(c_off[12:0], size_reg[2], 4'd7);
/* verilator lint_on UNUSEDSIGNAL */
wire [5:0]  c_k = (c_avail < {26'd0, c_end[6:1]}) ? c_avail[5:0] : c_end[6:1];
wire        c_want = ok_c && c_avail != 32'd0 &&
                     (ro_cnt_reg == 2'd0 || (ro_cnt_reg == 2'd1 && ro_own0_reg));
wire [6:0]  i_end = beats_to_end(i_off_reg[12:0], size_reg[1], slot_reg[1]);
wire [15:0] i_burst = (i_left_reg < {9'd0, i_end}) ? i_left_reg : {9'd0, i_end};
wire        i_want_h = i_state_reg == I_IDLE && ok_i && i_avail != 32'd0 && ro_cnt_reg == 2'd0;
wire        i_want_d = i_state_reg == I_AR && ro_cnt_reg == 2'd0;
wire        i_want = i_want_h || i_want_d;
wire        ar_free = !ar_v_reg;
wire        ar_cmd = ar_free && c_want && (ar_turn_reg || !i_want);
wire        ar_inj = ar_free && i_want && !ar_cmd;

assign m_axi_arid = 4'd0;
assign m_axi_araddr = ar_addr_reg;
assign m_axi_arlen = ar_len_reg;
assign m_axi_arsize = 3'd6;      // 64-byte beats
assign m_axi_arburst = 2'b01;    // INCR
assign m_axi_arvalid = ar_v_reg;

// R beats: the command executor's, or the inject stream's (a header beat is
// taken here)
wire        r_to_cmd = ro_cnt_reg != 2'd0 && r_cmd;
wire        r_to_inj = ro_cnt_reg != 2'd0 && !r_cmd && i_state_reg == I_DAT;
wire        r_to_hdr = ro_cnt_reg != 2'd0 && !r_cmd && i_state_reg == I_HDR;
assign m_axi_rready = r_to_cmd ? cmd_tready : r_to_inj ? m_axis_inj_tready : r_to_hdr;

assign cmd_tvalid = m_axi_rvalid && r_to_cmd;
assign cmd_tdata = m_axi_rdata;
assign cmd_terr = m_axi_rresp != 2'b00 || ro_gen0_reg != gen_reg[2] || !ok_c;

wire        i_last = i_beats_reg == 16'd1;
wire [5:0]  i_rem = i_len_reg[5:0];
assign m_axis_inj_tvalid = m_axi_rvalid && r_to_inj;
assign m_axis_inj_tdata = m_axi_rdata;
assign m_axis_inj_tkeep = (i_last && i_rem != 6'd0) ? ~(64'hffffffffffffffff << i_rem) : 64'hffffffffffffffff;
assign m_axis_inj_tlast = i_last;
assign m_axis_inj_tuser = i_user_reg[4:0];

// the inject frame's end, or a skipped header: consumed entries
wire        i_frame_end = r_beat && r_to_inj && i_last;
wire        i_hdr_beat = r_beat && r_to_hdr;
wire        i_bad_go = i_state_reg == I_BAD && ev_can && !cev_valid;
wire        i_live = i_gen_reg == gen_reg[1] && ok_i;
wire        i_cons_bad = i_bad_go && i_live;
wire        i_cons_frame = i_frame_end && i_live && !i_err_reg && m_axi_rresp == 2'b00;
wire        i_cons = i_cons_bad || i_cons_frame;
wire        c_cons = cmd_done && ok_c;

assign cev_ready = ev_can;

// ---- write master --------------------------------------------------------------------------------

localparam [2:0] W_IDLE = 3'd0, W_AW = 3'd1, W_W = 3'd2, W_B = 3'd3, W_FIN = 3'd4, W_DISC = 3'd5;
localparam [1:0] J_PUNT = 2'd0, J_EVT = 2'd1, J_WB = 2'd2;

reg [2:0]   w_state_reg = W_IDLE;
reg [1:0]   wj_kind_reg;
reg [1:0]   wj_ring_reg;
reg [3:0]   wj_gen_reg;
reg [39:0]  wj_off_reg;
reg [15:0]  wj_left_reg;
reg [6:0]   wj_burst_reg;
reg         wj_hdr_reg;      // the next beat is the entry's first
reg         wj_wb_reg;       // writing the index writeback
reg         wj_err_reg;
reg [15:0]  wj_n_reg;        // slots the entry takes
reg [127:0] wj_desc_reg;
reg [31:0]  wj_val_reg;      // writeback value
reg [31:0]  wj_cnt_reg;      // entries its publication signals
reg         w_turn_reg = 1'b0;  // 1: the event goes first
reg         aw_v_reg = 1'b0;

wire        w_evt_ready = evq_v_reg;
wire        w_punt_ready = pi_valid;
wire        w_pick_evt = w_evt_ready && (w_turn_reg || !w_punt_ready);
wire        w_pick_punt = w_punt_ready && !w_pick_evt;
wire [3:0]  pi_gen = pi_dout[163:160];
wire [15:0] pi_n = pi_dout[159:144];
wire [15:0] pi_beats = pi_dout[143:128];
wire [127:0] pi_desc = pi_dout[127:0];

// the lowest ring with a writeback to write
reg  [1:0]  wb_pick;
always @* begin
    wb_pick = 2'd0;
    if (wb_dirty_reg[3]) wb_pick = 2'd3;
    if (wb_dirty_reg[2]) wb_pick = 2'd2;
    if (wb_dirty_reg[1]) wb_pick = 2'd1;
    if (wb_dirty_reg[0]) wb_pick = 2'd0;
end

wire [4:0]  wj_size = size_reg[wj_ring_reg];
wire [3:0]  wj_slot = slot_reg[wj_ring_reg];
wire [6:0]  wj_end = beats_to_end(wj_off_reg[12:0], wj_size, wj_slot);
wire [6:0]  wj_len = wj_wb_reg ? 7'd1 : ({9'd0, wj_end} < wj_left_reg) ? wj_end : wj_left_reg[6:0];
/* verilator lint_off UNUSEDSIGNAL */
// RING_WB is 4-byte aligned (regmap.md): bits 1:0 are not looked at
wire [63:0] wj_wb_addr = wb_reg[wj_ring_reg];
/* verilator lint_on UNUSEDSIGNAL */

wire        w_src_valid = wj_wb_reg || wj_hdr_reg || wj_kind_reg == J_EVT || pb_valid;
reg [511:0] w_data;
reg [63:0]  w_strb;
always @* begin
    if (wj_wb_reg) begin
        w_data = {16{wj_val_reg}};
        w_strb = 64'hf << {wj_wb_addr[5:2], 2'b00};
    end else if (wj_kind_reg == J_EVT) begin
        w_data = wj_hdr_reg ? {384'd0, evq_hdr_reg} : evq_data_reg;
        w_strb = 64'hffffffffffffffff;
    end else if (wj_hdr_reg) begin
        // punt ring entry header: the descriptor, then 48 zero bytes
        w_data = {384'd0, wj_desc_reg};
        w_strb = 64'hffffffffffffffff;
    end else begin
        w_data = pb_dout[511:0];
        w_strb = pb_dout[575:512];
    end
end

wire w_fire = w_state_reg == W_W && w_src_valid && m_axi_wready;
assign m_axi_awid = 4'd0;
assign m_axi_awaddr = wj_wb_reg ? {wj_wb_addr[63:6], 6'd0} : base_reg[wj_ring_reg] + {24'd0, wj_off_reg};
assign m_axi_awlen = {1'b0, wj_len - 7'd1};
assign m_axi_awsize = 3'd6;
assign m_axi_awburst = 2'b01;
assign m_axi_awvalid = aw_v_reg;
assign m_axi_wdata = w_data;
assign m_axi_wstrb = w_strb;
assign m_axi_wlast = wj_burst_reg == 7'd1;
assign m_axi_wvalid = w_state_reg == W_W && w_src_valid;
assign m_axi_bready = w_state_reg == W_B;

// frame beats leave the buffer as they are written, or when a frame is
// discarded (its ring went off or was enabled again)
wire w_disc_pop = w_state_reg == W_DISC && pb_valid;
assign pb_rd = (w_fire && wj_kind_reg == J_PUNT && !wj_hdr_reg && !wj_wb_reg) || w_disc_pop;
wire w_idle = w_state_reg == W_IDLE;
wire w_take_punt = w_idle && w_pick_punt;
assign pi_rd = w_take_punt;
wire w_punt_disc = pi_gen != gen_reg[0] || !ok_p;

// publication (W_FIN without error)
wire w_fin = w_state_reg == W_FIN;
wire w_fin_wb = w_fin && !wj_err_reg && !wj_wb_reg && wj_kind_reg != J_WB && wbon_reg[wj_ring_reg];
wire w_pub = w_fin && !wj_err_reg && !w_fin_wb && wj_gen_reg == gen_reg[wj_ring_reg];
wire w_fail = w_fin && wj_err_reg;

// ---- moderation increments of this clock ---------------------------------------------------------

reg [31:0] m_inc [0:3];
integer mi;
always @* begin
    for (mi = 0; mi < 4; mi = mi + 1)
        m_inc[mi] = 32'd0;
    if (w_pub)
        m_inc[wj_ring_reg] = (wj_kind_reg == J_WB) ? wj_cnt_reg : 32'd1;
    // consumed entries count at once when there is no writeback to wait for
    if (!wbon_reg[1] && i_cons)
        m_inc[1] = m_inc[1] + 32'd1;
    if (!wbon_reg[2] && c_cons)
        m_inc[2] = m_inc[2] + 32'd1;
end

// a ring signals when its count reaches RING_IRQ_COUNT (0 acts as 1) or the
// oldest unsignalled entry has waited RING_IRQ_TIME clocks
reg [31:0] m_cnt_n [0:3];
reg [3:0]  m_fire;
always @* begin
    for (mi = 0; mi < 4; mi = mi + 1) begin
        m_cnt_n[mi] = mcnt_reg[mi] + m_inc[mi];
        m_fire[mi] = m_cnt_n[mi] != 32'd0 &&
                     (m_cnt_n[mi] >= (icount_reg[mi] == 32'd0 ? 32'd1 : icount_reg[mi]) ||
                      mtime_reg[mi] >= itime_reg[mi]);
    end
end

// ---- clocked ---------------------------------------------------------------------------------------

integer k;

always @(posedge clk) begin
    // ---------------- AXI4-Lite
    if (bvalid_reg && s_axil_bready)
        bvalid_reg <= 1'b0;
    if (rvalid_reg && s_axil_rready)
        rvalid_reg <= 1'b0;

    if (rd_fire) begin
        rvalid_reg <= 1'b1;
        rdata_reg <= 32'd0;
        if (ra_ring) begin
            case (ra[5:0])
                6'h00: rdata_reg <= base_lo_reg[ra_id];
                6'h04: rdata_reg <= base_hi_reg[ra_id];
                6'h08: rdata_reg <= cfg_reg[ra_id];
                6'h0c: rdata_reg <= {29'd0,
                                     dmaerr_reg[ra_id], cfgerr_reg[ra_id],
                                     on_reg[ra_id] || (ra_id == R_PUNT ? (!w_idle && wj_ring_reg == R_PUNT)
                                                    : ra_id == R_INJ ? i_state_reg != I_IDLE
                                                    : ra_id == R_CMD ? (ro_cnt_reg != 2'd0 && ro_own0_reg) || cmd_busy
                                                    : (!w_idle && wj_ring_reg == R_EVT))};
                6'h10: rdata_reg <= prod_reg[ra_id];
                6'h14: rdata_reg <= cons_reg[ra_id];
                6'h18: rdata_reg <= wb_lo_reg[ra_id];
                6'h1c: rdata_reg <= wb_hi_reg[ra_id];
                6'h20: rdata_reg <= icount_reg[ra_id];
                6'h24: rdata_reg <= itime_reg[ra_id];
                default: ;
            endcase
        end else if (ra == CTNIC_REG_IRQ_STATUS) begin
            rdata_reg <= {28'd0, irq_status_reg};
        end else if (ra == CTNIC_REG_IRQ_ENABLE) begin
            rdata_reg <= {28'd0, irq_enable_reg};
        end else if (ra == REG_HOST_FULL_LO) begin
            // the core's CNT_DROP latch rule: _LO latches _HI
            rdata_reg <= host_full_reg[31:0];
            host_full_hi_reg <= host_full_reg[63:32];
        end else if (ra == REG_HOST_FULL_HI) begin
            rdata_reg <= host_full_hi_reg;
        end
    end

    // ---------------- punt acceptor
    // a frame dropped at its first beat, or lost to a write error (the model
    // counts both as HOST_FULL)
    if (pa_drop || (w_fail && wj_kind_reg == J_PUNT && !wj_wb_reg))
        host_full_reg <= host_full_reg + {63'd0, pa_drop} + {63'd0, w_fail && wj_kind_reg == J_PUNT && !wj_wb_reg};
    if (pa_beat) begin
        pa_first_reg <= s_axis_punt_tlast;
        pa_cnt_reg <= pa_cnt + {15'd0, pa_push};
        if (pa_first) begin
            pa_take_reg <= pa_accept;
            pa_cap_reg <= pa_cap;
            pa_desc_reg <= s_axis_punt_tuser;
            pa_n_reg <= pa_n[15:0];
            pa_gen_reg <= gen_reg[0];
            if (pa_accept)
                presv_reg <= presv_reg + {15'd0, pa_n};
        end
    end

    // ---------------- read master
    if (ar_v_reg && m_axi_arready)
        ar_v_reg <= 1'b0;
    if (ar_cmd) begin
        ar_v_reg <= 1'b1;
        ar_addr_reg <= base_reg[2] + {24'd0, c_off};
        ar_len_reg <= {1'b0, c_k, 1'b0} - 8'd1;
        c_rd_reg <= c_rd_reg + {26'd0, c_k};
        ar_turn_reg <= 1'b0;
    end else if (ar_inj) begin
        ar_v_reg <= 1'b1;
        ar_turn_reg <= 1'b1;
        if (i_want_h) begin
            ar_addr_reg <= base_reg[1] + {24'd0, slot_off(cons_reg[1], size_reg[1], slot_reg[1])};
            ar_len_reg <= 8'd0;
            i_gen_reg <= gen_reg[1];
            i_state_reg <= I_HDR;
        end else begin
            ar_addr_reg <= base_reg[1] + {24'd0, i_off_reg};
            ar_len_reg <= i_burst[7:0] - 8'd1;
            i_left_reg <= i_left_reg - i_burst;
            i_off_reg <= (i_off_reg + {18'd0, i_burst, 6'd0}) & ring_mask(size_reg[1], slot_reg[1]);
            i_state_reg <= I_DAT;
        end
    end
    // outstanding bursts: pushed at AR, popped at the last beat
    if (r_beat && m_axi_rlast) begin
        ro_own0_reg <= ro_own1_reg;
        ro_gen0_reg <= ro_gen1_reg;
    end
    if (ar_cmd || ar_inj) begin
        if (ro_cnt_reg == 2'd0 || (ro_cnt_reg == 2'd1 && r_beat && m_axi_rlast)) begin
            ro_own0_reg <= ar_cmd;
            ro_gen0_reg <= ar_cmd ? gen_reg[2] : gen_reg[1];
        end else begin
            ro_own1_reg <= ar_cmd;
            ro_gen1_reg <= ar_cmd ? gen_reg[2] : gen_reg[1];
        end
    end
    ro_cnt_reg <= ro_cnt_reg + {1'b0, ar_cmd || ar_inj} - {1'b0, r_beat && m_axi_rlast};

    // ---------------- inject reader
    if (i_hdr_beat) begin
        i_len_reg <= m_axi_rdata[15:0];
        i_user_reg <= m_axi_rdata[23:16];
        i_rsvd_reg <= m_axi_rdata[511:24] != 488'd0;
        i_err_reg <= m_axi_rresp != 2'b00;
        i_state_reg <= I_CHK;
    end
    if (i_state_reg == I_CHK) begin
        if (i_gen_reg != gen_reg[1] || !ok_i) begin
            i_state_reg <= I_IDLE;
        end else if (i_err_reg) begin
            dmaerr_reg[1] <= 1'b1;
            de_pend_reg[1] <= 1'b1;
            de_code_reg[1] <= ERR_DMA_READ;
            de_idx_reg[1] <= cons_reg[1];
            i_state_reg <= I_IDLE;
        end else if (i_bad) begin
            i_state_reg <= I_BAD;
        end else if (i_avail >= {15'd0, i_n}) begin
            // the doorbell covers the whole frame
            i_n_reg <= i_n;
            i_off_reg <= (slot_off(cons_reg[1], size_reg[1], slot_reg[1]) + 40'd64) &
                         ring_mask(size_reg[1], slot_reg[1]);
            i_left_reg <= (i_len_reg + 16'd63) >> 6;
            i_beats_reg <= (i_len_reg + 16'd63) >> 6;
            i_err_reg <= 1'b0;
            i_state_reg <= I_AR;
        end
    end
    if (i_state_reg == I_BAD && (i_gen_reg != gen_reg[1] || !ok_i))
        i_state_reg <= I_IDLE;
    else if (i_bad_go) begin
        cons_reg[1] <= cons_reg[1] + 32'd1;
        if (wbon_reg[1])
            unpub_reg[1] <= unpub_reg[1] + 32'd1;
        i_state_reg <= I_IDLE;
    end
    if (r_beat && r_to_inj) begin
        i_beats_reg <= i_beats_reg - 16'd1;
        if (m_axi_rresp != 2'b00)
            i_err_reg <= 1'b1;
        if (i_last) begin
            i_state_reg <= I_IDLE;
            if (i_gen_reg == gen_reg[1] && ok_i) begin
                if (i_err_reg || m_axi_rresp != 2'b00) begin
                    dmaerr_reg[1] <= 1'b1;
                    de_pend_reg[1] <= 1'b1;
                    de_code_reg[1] <= ERR_DMA_READ;
                    de_idx_reg[1] <= cons_reg[1];
                end else begin
                    cons_reg[1] <= cons_reg[1] + {15'd0, i_n_reg};
                    if (wbon_reg[1])
                        unpub_reg[1] <= unpub_reg[1] + 32'd1;
                end
            end
        end else if (m_axi_rlast) begin
            i_state_reg <= I_AR;
        end
    end

    // ---------------- command ring
    if (r_beat && r_to_cmd && m_axi_rresp != 2'b00 && ro_gen0_reg == gen_reg[2] && ok_c) begin
        dmaerr_reg[2] <= 1'b1;
        de_pend_reg[2] <= 1'b1;
        de_code_reg[2] <= ERR_DMA_READ;
        de_idx_reg[2] <= cons_reg[2];
    end
    if (c_cons) begin
        cons_reg[2] <= cons_reg[2] + 32'd1;
        if (wbon_reg[2])
            unpub_reg[2] <= unpub_reg[2] + 32'd1;
    end

    // ---------------- event queue (sources in priority order)
    if (!evq_v_reg) begin
        if (cev_valid) begin
            if (ev_room) begin
                evq_v_reg <= 1'b1;
                eresv_reg <= eresv_reg + 32'd1;
            end
            evq_hdr_reg <= ev_hdr(EVT_CPL, cev_status, cev_op, cons_reg[2], cev_tag, tick[31:0]);
            evq_data_reg <= cev_data;
        end else if (i_state_reg == I_BAD) begin
            if (ev_room) begin
                evq_v_reg <= 1'b1;
                eresv_reg <= eresv_reg + 32'd1;
            end
            evq_hdr_reg <= ev_hdr(EVT_ERROR, ERR_INJECT_BAD, {6'd0, R_INJ}, cons_reg[1], 32'd0, tick[31:0]);
            evq_data_reg <= 512'd0;
        end else if (de_pend_reg != 3'd0 || db_pend_reg) begin
            if (ev_room) begin
                evq_v_reg <= 1'b1;
                eresv_reg <= eresv_reg + 32'd1;
            end
            evq_data_reg <= 512'd0;
            if (de_pend_reg[0]) begin
                de_pend_reg[0] <= 1'b0;
                evq_hdr_reg <= ev_hdr(EVT_ERROR, de_code_reg[0], 8'd0, de_idx_reg[0], 32'd0, tick[31:0]);
            end else if (de_pend_reg[1]) begin
                de_pend_reg[1] <= 1'b0;
                evq_hdr_reg <= ev_hdr(EVT_ERROR, de_code_reg[1], 8'd1, de_idx_reg[1], 32'd0, tick[31:0]);
            end else if (de_pend_reg[2]) begin
                de_pend_reg[2] <= 1'b0;
                evq_hdr_reg <= ev_hdr(EVT_ERROR, de_code_reg[2], 8'd2, de_idx_reg[2], 32'd0, tick[31:0]);
            end else begin
                db_pend_reg <= 1'b0;
                evq_hdr_reg <= ev_hdr(EVT_ERROR, ERR_DOORBELL, {6'd0, db_ring_reg}, db_idx_reg, 32'd0, tick[31:0]);
            end
        end else if (xev_valid && xev_ready) begin
            // docs/rings.md: class (word 8 bits 7:4), flow id, generation
            // (word 8 bits 31:16), the tick of the visit, the record
            evq_v_reg <= 1'b1;
            eresv_reg <= eresv_reg + 32'd1;
            evq_hdr_reg <= ev_hdr(EVT_EXPIRY, 8'd0, {4'd0, xev_data[263:260]}, {10'd0, xev_flow},
                                  {16'd0, xev_data[287:272]}, xev_tick);
            evq_data_reg <= xev_data;
        end
        evq_gen_reg <= gen_reg[3];
    end

    // ---------------- write master
    if (aw_v_reg && m_axi_awready) begin
        aw_v_reg <= 1'b0;
        w_state_reg <= W_W;
    end
    case (w_state_reg)
        W_IDLE: begin
            wj_hdr_reg <= 1'b1;
            wj_wb_reg <= 1'b0;
            wj_err_reg <= 1'b0;
            if (w_pick_evt) begin
                w_turn_reg <= 1'b0;
                if (evq_gen_reg != gen_reg[3] || !ok_e) begin
                    evq_v_reg <= 1'b0;
                end else begin
                    wj_kind_reg <= J_EVT;
                    wj_ring_reg <= R_EVT;
                    wj_gen_reg <= gen_reg[3];
                    wj_off_reg <= slot_off(prod_reg[3], size_reg[3], 4'd7);
                    wj_left_reg <= 16'd2;
                    wj_n_reg <= 16'd1;
                    wj_val_reg <= prod_reg[3] + 32'd1;
                    aw_v_reg <= 1'b1;
                    w_state_reg <= W_AW;
                end
            end else if (w_pick_punt) begin
                w_turn_reg <= 1'b1;
                if (w_punt_disc) begin
                    if (pi_beats != 16'd0)
                        w_state_reg <= W_DISC;
                end else begin
                    wj_kind_reg <= J_PUNT;
                    wj_ring_reg <= R_PUNT;
                    wj_gen_reg <= pi_gen;
                    wj_off_reg <= slot_off(prod_reg[0], size_reg[0], slot_reg[0]);
                    wj_left_reg <= pi_beats + 16'd1;
                    wj_n_reg <= pi_n;
                    wj_desc_reg <= pi_desc;
                    wj_val_reg <= prod_reg[0] + {16'd0, pi_n};
                    aw_v_reg <= 1'b1;
                    w_state_reg <= W_AW;
                end
            end else if (wb_dirty_reg != 4'd0) begin
                wj_kind_reg <= J_WB;
                wj_ring_reg <= wb_pick;
                wj_gen_reg <= gen_reg[wb_pick];
                wj_wb_reg <= 1'b1;
                wj_left_reg <= 16'd1;
                wj_val_reg <= (wb_pick == R_PUNT || wb_pick == R_EVT) ? prod_reg[wb_pick] : cons_reg[wb_pick];
                wj_cnt_reg <= unpub_reg[wb_pick];
                wb_dirty_reg[wb_pick] <= 1'b0;
                aw_v_reg <= 1'b1;
                w_state_reg <= W_AW;
            end
        end
        W_AW: wj_burst_reg <= wj_len;
        W_W: begin
            if (w_fire) begin
                wj_hdr_reg <= 1'b0;
                wj_burst_reg <= wj_burst_reg - 7'd1;
                wj_left_reg <= wj_left_reg - 16'd1;
                wj_off_reg <= (wj_off_reg + 40'd64) & ring_mask(wj_size, wj_slot);
                if (wj_burst_reg == 7'd1)
                    w_state_reg <= W_B;
            end
        end
        W_B: begin
            if (m_axi_bvalid) begin
                if (m_axi_bresp != 2'b00)
                    wj_err_reg <= 1'b1;
                if (wj_left_reg != 16'd0) begin
                    aw_v_reg <= 1'b1;
                    w_state_reg <= W_AW;
                end else begin
                    w_state_reg <= W_FIN;
                end
            end
        end
        W_FIN: begin
            if (w_fin_wb) begin
                // data complete: now the index writeback, then the interrupt. The
                // producer index moves now, before the writeback can reach host RAM:
                // a host that reads the new index there and hands the slots back
                // (RING_CONS) at once must find them produced, never "past the producer".
                wj_wb_reg <= 1'b1;
                wj_left_reg <= 16'd1;
                aw_v_reg <= 1'b1;
                w_state_reg <= W_AW;
                if (wj_gen_reg == gen_reg[wj_ring_reg])
                    prod_reg[wj_ring_reg] <= prod_reg[wj_ring_reg] + {16'd0, wj_n_reg};
            end else begin
                w_state_reg <= W_IDLE;
                if (wj_kind_reg == J_EVT)
                    evq_v_reg <= 1'b0;
                if (w_pub) begin
                    if (wj_kind_reg != J_WB && !wj_wb_reg)
                        prod_reg[wj_ring_reg] <= prod_reg[wj_ring_reg] + {16'd0, wj_n_reg};
                    else
                        unpub_reg[wj_ring_reg] <= unpub_reg[wj_ring_reg] - wj_cnt_reg +
                            ((wj_ring_reg == R_INJ && i_cons && wbon_reg[1]) ||
                             (wj_ring_reg == R_CMD && c_cons && wbon_reg[2]) ? 32'd1 : 32'd0);
                end
                if (w_fail && wj_gen_reg == gen_reg[wj_ring_reg]) begin
                    dmaerr_reg[wj_ring_reg] <= 1'b1;
                    if (wj_ring_reg != R_EVT) begin
                        de_pend_reg[wj_ring_reg] <= 1'b1;
                        de_code_reg[wj_ring_reg] <= ERR_DMA_WRITE;
                        de_idx_reg[wj_ring_reg] <= (wj_ring_reg == R_PUNT) ? prod_reg[0] : cons_reg[wj_ring_reg];
                    end
                end
            end
        end
        W_DISC: begin
            if (pb_valid && pb_dout[576])
                w_state_reg <= W_IDLE;
        end
        default: w_state_reg <= W_IDLE;
    endcase

    // consumed entries wait for their index writeback (after the write
    // master's pick, which clears the bit it takes)
    if (wbon_reg[1] && i_cons)
        wb_dirty_reg[1] <= 1'b1;
    if (wbon_reg[2] && c_cons)
        wb_dirty_reg[2] <= 1'b1;

    // ---------------- interrupt moderation: the count and the timer restart
    // when the ring signals
    for (k = 0; k < 4; k = k + 1) begin
        if (m_fire[k]) begin
            mcnt_reg[k] <= 32'd0;
            mtime_reg[k] <= 32'd0;
        end else begin
            mcnt_reg[k] <= m_cnt_n[k];
            mtime_reg[k] <= mcnt_reg[k] == 32'd0 ? 32'd0 : mtime_reg[k] + 32'd1;
        end
    end

    // ---------------- register writes (last: an enable wins over the engines)
    if (wr_fire) begin
        bvalid_reg <= 1'b1;
        if (wa_ring) begin
            case (wa_reg)
                6'h00: base_lo_reg[wa_id] <= wd;
                6'h04: base_hi_reg[wa_id] <= wd;
                6'h18: wb_lo_reg[wa_id] <= wd;
                6'h1c: wb_hi_reg[wa_id] <= wd;
                6'h20: icount_reg[wa_id] <= wd;
                6'h24: itime_reg[wa_id] <= wd;
                6'h08: begin
                    cfg_reg[wa_id] <= wd;
                    if (!wd[31]) begin
                        on_reg[wa_id] <= 1'b0;
                    end else if (!on_reg[wa_id]) begin
                        // the enable edge: take the configuration or refuse it
                        if (wd[4:0] < 5'd1 || wd[4:0] > 5'd24 || base_lo_reg[wa_id][11:0] != 12'd0 ||
                            ((wa_id == R_PUNT || wa_id == R_INJ) && (wd[11:8] < 4'd6 || wd[11:8] > 4'd14))) begin
                            cfgerr_reg[wa_id] <= 1'b1;
                        end else begin
                            cfgerr_reg[wa_id] <= 1'b0;
                            on_reg[wa_id] <= 1'b1;
                            dmaerr_reg[wa_id] <= 1'b0;
                            wbon_reg[wa_id] <= wd[30];
                            wb_reg[wa_id] <= {wb_hi_reg[wa_id], wb_lo_reg[wa_id]};
                            base_reg[wa_id] <= {base_hi_reg[wa_id], base_lo_reg[wa_id]};
                            size_reg[wa_id] <= wd[4:0];
                            slot_reg[wa_id] <= (wa_id == R_CMD || wa_id == R_EVT) ? 4'd7 : wd[11:8];
                            prod_reg[wa_id] <= 32'd0;
                            cons_reg[wa_id] <= 32'd0;
                            gen_reg[wa_id] <= gen_reg[wa_id] + 4'd1;
                            mcnt_reg[wa_id] <= 32'd0;
                            mtime_reg[wa_id] <= 32'd0;
                            unpub_reg[wa_id] <= 32'd0;
                            wb_dirty_reg[wa_id] <= wd[30];
                            if (wa_id == R_PUNT)
                                presv_reg <= 32'd0;
                            if (wa_id == R_CMD)
                                c_rd_reg <= 32'd0;
                            if (wa_id == R_EVT)
                                eresv_reg <= 32'd0;
                        end
                    end
                end
                6'h10: begin
                    // doorbell of a host-to-card ring
                    if ((wa_id == R_INJ || wa_id == R_CMD) && on_reg[wa_id]) begin
                        if ({1'b0, wd - cons_reg[wa_id]} > (33'd1 << size_reg[wa_id])) begin
                            db_pend_reg <= 1'b1;
                            db_ring_reg <= wa_id;
                            db_idx_reg <= wd;
                        end else begin
                            prod_reg[wa_id] <= wd;
                        end
                    end
                end
                6'h14: begin
                    // slots handed back on a card-to-host ring
                    if ((wa_id == R_PUNT || wa_id == R_EVT) && on_reg[wa_id]) begin
                        if (wd - cons_reg[wa_id] > prod_reg[wa_id] - cons_reg[wa_id]) begin
                            db_pend_reg <= 1'b1;
                            db_ring_reg <= wa_id;
                            db_idx_reg <= wd;
                        end else begin
                            cons_reg[wa_id] <= wd;
                        end
                    end
                end
                default: ;
            endcase
        end else if (wa == CTNIC_REG_IRQ_ENABLE) begin
            irq_enable_reg <= wd[3:0];
        end
    end
    // IRQ_STATUS: write 1 to clear; IRQ_TEST and a ring's signal set (set wins)
    for (k = 0; k < 4; k = k + 1) begin
        if (wr_fire && wa == CTNIC_REG_IRQ_TEST && wd[k])
            irq_status_reg[k] <= 1'b1;
        else if (m_fire[k])
            irq_status_reg[k] <= 1'b1;
        else if (wr_fire && wa == CTNIC_REG_IRQ_STATUS && wd[k])
            irq_status_reg[k] <= 1'b0;
    end

    if (rst) begin
        bvalid_reg <= 1'b0;
        rvalid_reg <= 1'b0;
        pa_first_reg <= 1'b1;
        pa_take_reg <= 1'b0;
        pa_cnt_reg <= 16'd0;
        presv_reg <= 32'd0;
        evq_v_reg <= 1'b0;
        eresv_reg <= 32'd0;
        de_pend_reg <= 3'd0;
        db_pend_reg <= 1'b0;
        i_state_reg <= I_IDLE;
        ar_v_reg <= 1'b0;
        ro_cnt_reg <= 2'd0;
        ar_turn_reg <= 1'b0;
        c_rd_reg <= 32'd0;
        w_state_reg <= W_IDLE;
        w_turn_reg <= 1'b0;
        aw_v_reg <= 1'b0;
        wb_dirty_reg <= 4'd0;
        irq_status_reg <= 4'd0;
        irq_enable_reg <= 4'd0;
        host_full_reg <= 64'd0;
        host_full_hi_reg <= 32'd0;
        for (k = 0; k < 4; k = k + 1) begin
            base_lo_reg[k] <= 32'd0;
            base_hi_reg[k] <= 32'd0;
            cfg_reg[k] <= 32'd0;
            wb_lo_reg[k] <= 32'd0;
            wb_hi_reg[k] <= 32'd0;
            icount_reg[k] <= CTNIC_REG_RING_IRQ_COUNT_RESET;
            itime_reg[k] <= 32'd0;
            on_reg[k] <= 1'b0;
            cfgerr_reg[k] <= 1'b0;
            dmaerr_reg[k] <= 1'b0;
            wbon_reg[k] <= 1'b0;
            size_reg[k] <= 5'd1;
            slot_reg[k] <= 4'd6;
            base_reg[k] <= 64'd0;
            wb_reg[k] <= 64'd0;
            prod_reg[k] <= 32'd0;
            cons_reg[k] <= 32'd0;
            gen_reg[k] <= 4'd0;
            mcnt_reg[k] <= 32'd0;
            mtime_reg[k] <= 32'd0;
            unpub_reg[k] <= 32'd0;
        end
    end
end

endmodule

`resetall
