/*
 * ctnic_engine - decides what happens to each frame, one frame per clock in
 * a six-stage pipeline, and runs the table operations of the CSR window
 * while the pipeline is empty.
 *
 * Per frame (descriptor from ctnic_ingress): parse the header window,
 * compute the key and its CRC-32C hash, read both candidate buckets and
 * compare every way, read the flow record, count the packet in it (packets,
 * bytes, last-seen, written back), read the next hop, then decide: forward
 * with the first beat rewritten (addresses, ports or ICMP id, TTL, MACs,
 * checksums by RFC 1624 eqn. 3), punt to the host with a descriptor, or
 * drop. The decision order is the one in docs/hardware.md; the C reference
 * model (sim/model) follows it.
 *
 * Stages (each one register stage; the whole pipeline advances together and
 * stalls only when the job output is not taken):
 *   E0  take the descriptor
 *   E1  parse: verdict before lookup, key
 *   E2  hash; read both candidate buckets
 *   E3  compare all ways; read the flow record
 *   E4  hit?; count and write the record back; read the next hop
 *   E5  decide; rewrite the first beat; descriptor -> job
 * A frame in E4 whose record was written back by the frame just before it
 * (same flow, back to back) takes that written record instead of the RAM's
 * older word, so counters are exact at one frame per clock.
 *
 * Table operations wait until the pipeline is empty (no new frame enters
 * while one is pending) and then take one RAM access: the lookup sees the
 * old entry or the new one, never a mix.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module ctnic_engine #
(
    // Network ports
    parameter PORTS = 2,
    // Key entries per bucket (a power of two)
    parameter WAYS = 4,
    // Buckets per sub-table (a power of two, 2..65536)
    parameter BUCKETS = 64,
    // Flow records (a power of two, at most 2^22)
    parameter FLOWS = 256,
    // Next-hop entries (a power of two, at most 256)
    parameter NEXTHOPS = 256,
    // Longest frame in beats
    parameter MAX_BEATS = 144,
    // Descriptor width (see ctnic_ingress)
    parameter DESC_W = 1024 + 16 + 16 + 4 + 5
)
(
    input  wire              clk,
    input  wire              rst,
    input  wire [7:0]        tcp_punt_mask,
    /* verilator lint_off UNUSEDSIGNAL */
    // last-seen and descriptors carry the low 32 bits of the tick
    input  wire [63:0]       tick,
    /* verilator lint_on UNUSEDSIGNAL */

    input  wire              tbl_req,
    input  wire [3:0]        tbl_op,
    input  wire [31:0]       tbl_index,
    input  wire [511:0]      tbl_wdata,
    output wire              tbl_done,
    output wire              tbl_err,
    output wire              tbl_rd,
    output wire [511:0]      tbl_rdata,

    // Command-ring table port (ctnic_dma_cmd): one raw access per clock,
    // taken (c_ready) while the pipeline is empty and no TBL_* operation is
    // pending. Indices are checked by the caller. Two key writes in one
    // access must name different (sub-table, way) RAMs. A read (c_key_re:
    // slot0, c_flow_re, c_nh_re; one kind per access) answers with c_rvalid
    // and c_rdata in the next clock.
    input  wire              c_valid,
    output wire              c_ready,
    input  wire              c_key_we0,
    input  wire [31:0]       c_key_slot0,
    input  wire [127:0]      c_key_data0,
    input  wire              c_key_we1,
    input  wire [31:0]       c_key_slot1,
    input  wire [127:0]      c_key_data1,
    input  wire              c_key_re,
    input  wire              c_flow_we,
    input  wire              c_flow_re,
    /* verilator lint_off UNUSEDSIGNAL */
    // index bits above the RAM depth were checked by the caller
    input  wire [31:0]       c_flow_idx,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [511:0]      c_flow_data,
    input  wire              c_nh_we,
    input  wire              c_nh_re,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0]       c_nh_idx,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [127:0]      c_nh_data,
    output wire              c_rvalid,
    output wire [511:0]      c_rdata,

    // Aging visits (ctnic_aging; docs/hardware.md, "Aging"): a visit of
    // record a_idx enters E0 when no frame does (a_force: in place of one),
    // reads the record at E3 and at E4 retires it when the rule holds (the
    // record written back with valid 0, as a hit writes its record back), so
    // frames ahead of it count first and frames behind it miss. a_done ends
    // every visit; a_exp (with it) says the record was retired.
    input  wire              a_req,
    input  wire              a_force,
    input  wire [21:0]       a_idx,
    output wire              a_take,
    output wire              a_done,
    output wire              a_exp,
    output wire [21:0]       a_exp_flow,
    output wire [511:0]      a_exp_rec,
    output wire [31:0]       a_exp_tick,
    input  wire [511:0]      a_timeouts,

    input  wire [DESC_W-1:0] desc_dout,
    input  wire              desc_valid,
    output wire              desc_rd,

    output wire              job_valid,
    input  wire              job_ready,
    output wire [1:0]        job_kind,
    output wire [3:0]        job_port,
    output wire [15:0]       job_beats,
    output wire [15:0]       job_len,
    output wire              job_replace,
    output wire [511:0]      job_beat0,
    output wire [127:0]      job_desc,

    output wire              ev_punt,
    output wire [3:0]        ev_punt_reason,
    output wire              ev_drop,
    output wire [3:0]        ev_drop_reason,
    output wire              ev_hit,
    output wire              ev_miss
);

// The generated header is included per module; its include guard would
// hide it from the second module of a compilation unit.
`undef CTNIC_REGS_VH
`include "ctnic_regs.vh"

localparam WL = $clog2(WAYS);
localparam BL = $clog2(BUCKETS);
localparam FL = $clog2(FLOWS);
localparam NL = $clog2(NEXTHOPS);
localparam NKEY = 2 * WAYS;
localparam [3:0] PORTS4 = PORTS[3:0];  // port numbers are 4 bits

initial begin
    if (WAYS != (1 << WL) || WAYS < 2 || BUCKETS != (1 << BL) || BUCKETS < 2 || BUCKETS > 65536) begin
        $error("ctnic_engine: WAYS (2 or more) and BUCKETS (2..65536) must be powers of two");
        $finish;
    end
    if (FLOWS != (1 << FL) || FLOWS < 2 || FLOWS > (1 << 22)) begin
        $error("ctnic_engine: FLOWS must be a power of two, 2..2^22");
        $finish;
    end
    if (NEXTHOPS != (1 << NL) || NEXTHOPS < 2 || NEXTHOPS > 256) begin
        $error("ctnic_engine: NEXTHOPS must be a power of two, 2..256");
        $finish;
    end
end

localparam [1:0] KIND_PORT = 2'd0;
localparam [1:0] KIND_HOST = 2'd1;
localparam [1:0] KIND_DROP = 2'd2;

// TBL_CMD.OP is 4 bits wide; the enum constants are 3
localparam [3:0] OP_KEY_WRITE = {1'b0, CTNIC_TBL_OP_KEY_WRITE};
localparam [3:0] OP_KEY_READ = {1'b0, CTNIC_TBL_OP_KEY_READ};
localparam [3:0] OP_FLOW_WRITE = {1'b0, CTNIC_TBL_OP_FLOW_WRITE};
localparam [3:0] OP_FLOW_READ = {1'b0, CTNIC_TBL_OP_FLOW_READ};
localparam [3:0] OP_NH_WRITE = {1'b0, CTNIC_TBL_OP_NH_WRITE};
localparam [3:0] OP_NH_READ = {1'b0, CTNIC_TBL_OP_NH_READ};

// ---- byte access in the header window (byte 0 = bits 7:0) -------------------

function [7:0] b8(input [1023:0] h, input [6:0] o);
    b8 = h[{o, 3'b000} +: 8];
endfunction

function [15:0] b16(input [1023:0] h, input [6:0] o);
    b16 = {b8(h, o), b8(h, o + 7'd1)};
endfunction

function [31:0] b32(input [1023:0] h, input [6:0] o);
    b32 = {b16(h, o), b16(h, o + 7'd2)};
endfunction

// ones'-complement fold of a sum of 16-bit terms (end-around carry)
function [15:0] fold(input [31:0] s);
    reg [31:0] t;
    begin
        t = {16'd0, s[15:0]} + {16'd0, s[31:16]};
        t = {16'd0, t[15:0]} + {16'd0, t[31:16]};
        fold = t[15:0];
    end
endfunction

// CRC-32C (reflected, poly 0x82F63B78, init and final xor ~0) of the key's 13
// bytes; byte i at bits 8i+7:8i, each byte LSB first. Unrolled: one XOR tree.
function [31:0] crc32c_key(input [103:0] kb);
    integer i;
    reg [31:0] c;
    begin
        c = 32'hffffffff;
        for (i = 0; i < 104; i = i + 1)
            c = (c[0] ^ kb[i]) ? ((c >> 1) ^ 32'h82f63b78) : (c >> 1);
        crc32c_key = ~c;
    end
endfunction

// ---- pipeline control -----------------------------------------------------------

// E0..E5 valid bits
reg s0_v = 1'b0, s1_v = 1'b0, s2_v = 1'b0, s3_v = 1'b0, s4_v = 1'b0, s5_v = 1'b0;
// aging visits in E0..E3 (they leave no job: E4 ends them)
reg sc0_v = 1'b0, sc1_v = 1'b0, sc2_v = 1'b0, sc3_v = 1'b0;
reg [21:0] sc_idx_q [0:2];
wire adv = !s5_v || job_ready;
wire pipe_empty = !(s0_v || s1_v || s2_v || s3_v || s4_v || s5_v || sc0_v || sc1_v || sc2_v || sc3_v);

// table operation: 0 idle, 1 access issued (answer next clock)
reg t_busy_reg = 1'b0;

// the command port, like TBL_*, changes the table only while the pipeline is
// empty: no new frame enters while either waits
// an aging visit takes a clock no frame takes, or a frame's when forced
assign desc_rd = adv && desc_valid && !tbl_req && !c_valid && !(a_req && a_force);
assign a_take = adv && a_req && !tbl_req && !c_valid && !desc_rd;

// ---- E0: the frame's descriptor --------------------------------------------------

wire [DESC_W-1:0] d = desc_dout;  // {hdr, len, beats, port, lookup, inject, bad, disabled, oversize}

reg [1023:0] hdr_reg;
reg [15:0]   len_reg;
reg [15:0]   beats_reg;
reg [3:0]    port_reg;
reg          lookup_reg;
reg          inject_reg;
reg          bad_reg;
reg          dis_reg;
reg          over_reg;

// ---- E1: parse (combinational on E0) ------------------------------------------------

wire [1023:0] h = hdr_reg;
wire        p_vlan = b16(h, 7'd12) == 16'h8100;
wire [6:0]  p_l3 = p_vlan ? 7'd18 : 7'd14;
wire [15:0] p_et = p_vlan ? b16(h, 7'd16) : b16(h, 7'd12);
// The window moved so the IPv4 header starts at byte 0 (two constant shifts
// and a 2:1 mux), and again so the L4 header does (one shift by IHL words):
// every field below is then at a fixed offset.
wire [1023:0] h3 = p_vlan ? h >> (18 * 8) : h >> (14 * 8);
wire [7:0]  p_vihl = b8(h3, 7'd0);
wire [3:0]  p_ihl = p_vihl[3:0];
wire [1023:0] h4 = h3 >> {p_ihl, 5'd0};
wire [6:0]  p_hlen = {1'b0, p_ihl, 2'b00};
wire [15:0] p_tot = b16(h3, 7'd2);
/* verilator lint_off UNUSEDSIGNAL */
// DF and the reserved flag do not matter here
wire [15:0] p_frag = b16(h3, 7'd6);
/* verilator lint_on UNUSEDSIGNAL */
wire [7:0]  p_ttl = b8(h3, 7'd8);
wire [7:0]  p_proto = b8(h3, 7'd9);
wire [31:0] p_saddr = b32(h3, 7'd12);
wire [31:0] p_daddr = b32(h3, 7'd16);
wire [6:0]  p_l4 = p_l3 + p_hlen;
wire [16:0] p_len = {1'b0, len_reg};
wire [16:0] p_ip_end = {10'd0, p_l3} + {1'b0, p_tot};
wire [15:0] p_sport = b16(h4, 7'd0);
wire [15:0] p_dport = b16(h4, 7'd2);
wire [7:0]  p_icmp_type = b8(h4, 7'd0);
wire [15:0] p_icmp_id = b16(h4, 7'd4);
wire [7:0]  p_tcp_flags = b8(h4, 7'd13);
wire        p_is_tcp = p_proto == 8'd6;
wire        p_is_udp = p_proto == 8'd17;
wire        p_is_icmp = p_proto == 8'd1;
wire        p_frag_off = p_frag[12:0] != 13'd0;
wire        p_frag_any = p_frag_off || p_frag[13];
wire [16:0] p_l4_need = p_is_tcp ? 17'd20 : 17'd8;

// IPv4 header checksum over IHL*4 bytes: valid when the sum folds to 0xffff
reg [31:0] p_csum_sum;
integer ci;
always @* begin
    p_csum_sum = 32'd0;
    for (ci = 0; ci < 30; ci = ci + 1)
        if (ci < {27'd0, p_ihl, 1'b0})
            p_csum_sum = p_csum_sum + {16'd0, b16(h3, ci[6:0] * 7'd2)};
end
wire p_csum_ok = fold(p_csum_sum) == 16'hffff;

// verdict before the lookup
localparam [1:0] V_LOOKUP = 2'd0;
localparam [1:0] V_DROP = 2'd1;
localparam [1:0] V_PUNT = 2'd2;
localparam [1:0] V_OUT = 2'd3;   // straight out (host inject without LOOKUP)

reg [1:0] pv_kind;
reg [3:0] pv_reason;
reg       pv_ip;     // the descriptor carries l3/l4/flags
always @* begin
    pv_kind = V_LOOKUP;
    pv_reason = 4'd0;
    pv_ip = 1'b0;
    if (dis_reg) begin
        pv_kind = V_DROP; pv_reason = CTNIC_DROP_PORT_DISABLED;
    end else if (len_reg < 16'd14 || bad_reg) begin
        pv_kind = V_DROP; pv_reason = CTNIC_DROP_RUNT;
    end else if (over_reg) begin
        pv_kind = V_DROP; pv_reason = CTNIC_DROP_OVERSIZE;
    end else if (inject_reg && !lookup_reg) begin
        if (port_reg < PORTS4) begin
            pv_kind = V_OUT;
        end else if (port_reg == PORTS4) begin
            pv_kind = V_PUNT; pv_reason = CTNIC_PUNT_NONE;
        end else begin
            pv_kind = V_DROP; pv_reason = CTNIC_DROP_BAD_EGRESS;
        end
    end else if (p_vlan && len_reg < 16'd18) begin
        pv_kind = V_DROP; pv_reason = CTNIC_DROP_TRUNCATED;
    end else if (p_et != 16'h0800) begin
        pv_kind = V_PUNT; pv_reason = CTNIC_PUNT_NON_IPV4;
    end else if (p_len < {10'd0, p_l3} + 17'd20) begin
        pv_kind = V_DROP; pv_reason = CTNIC_DROP_TRUNCATED;
    end else if (p_vihl[7:4] != 4'd4 || p_ihl < 4'd5) begin
        pv_kind = V_DROP; pv_reason = CTNIC_DROP_BAD_IHL;
    end else if (p_len < {10'd0, p_l4}) begin
        pv_kind = V_DROP; pv_reason = CTNIC_DROP_TRUNCATED;
    end else if (p_tot < {9'd0, p_hlen} || p_ip_end > p_len) begin
        pv_kind = V_DROP; pv_reason = CTNIC_DROP_LEN_MISMATCH;
    end else if (!p_csum_ok) begin
        pv_kind = V_DROP; pv_reason = CTNIC_DROP_BAD_IPCSUM;
    end else if (p_ihl > 4'd5) begin
        pv_kind = V_PUNT; pv_reason = CTNIC_PUNT_IP_OPTIONS; pv_ip = 1'b1;
    end else if (p_frag_any) begin
        pv_kind = V_PUNT; pv_reason = CTNIC_PUNT_FRAGMENT; pv_ip = 1'b1;
    end else if (!(p_is_tcp || p_is_udp || p_is_icmp)) begin
        pv_kind = V_PUNT; pv_reason = CTNIC_PUNT_L4_OTHER; pv_ip = 1'b1;
    end else if ({10'd0, p_l4} + p_l4_need > p_ip_end) begin
        pv_kind = V_DROP; pv_reason = CTNIC_DROP_TRUNCATED;
    end else if (p_is_icmp && (p_icmp_type == 8'd3 || p_icmp_type == 8'd4 || p_icmp_type == 8'd5 ||
                               p_icmp_type == 8'd11 || p_icmp_type == 8'd12)) begin
        pv_kind = V_PUNT; pv_reason = CTNIC_PUNT_ICMP_ERROR; pv_ip = 1'b1;
    end else if (p_is_icmp && !(p_icmp_type == 8'd0 || p_icmp_type == 8'd8)) begin
        pv_kind = V_PUNT; pv_reason = CTNIC_PUNT_L4_OTHER; pv_ip = 1'b1;
    end else begin
        pv_kind = V_LOOKUP; pv_ip = 1'b1;
    end
end

// descriptor fields of an IPv4 frame
wire [7:0] p_d_l4 = p_frag_off ? 8'd0 : {1'b0, p_l4};
wire [7:0] p_d_flags = (p_is_tcp && !p_frag_off && {10'd0, p_l4} + 17'd20 <= p_ip_end) ? p_tcp_flags : 8'd0;

// E1 registers; frame facts carried down the pipeline stage by stage
// (stage n's copy is named *_q[n])
reg [1:0]   v_kind_q   [1:4];
reg [3:0]   v_reason_q [1:4];
reg         v_ip_q     [1:4];
reg         v_vlan_q   [1:4];
reg [7:0]   v_l3_q     [1:4];
reg [7:0]   v_l4_q     [1:4];
reg [7:0]   v_flags_q  [1:4];
reg [7:0]   v_ttl_q    [1:4];
reg         v_tcp_q    [1:4];
reg         v_icmp_q   [1:4];
reg [15:0]  f_len_q    [1:4];
reg [15:0]  f_beats_q  [1:4];
reg [3:0]   f_port_q   [1:4];
reg         f_inject_q [1:4];
reg [511:0] f_beat0_q  [1:4];
reg [31:0]  k_saddr_q  [1:2];
reg [31:0]  k_daddr_q  [1:2];
reg [15:0]  k_sport_q  [1:2];
reg [15:0]  k_dport_q  [1:2];
reg [7:0]   k_proto_q  [1:2];

// ---- E2: hash, read both buckets ------------------------------------------------------

wire [103:0] key_bytes = {k_proto_q[1], k_dport_q[1][7:0], k_dport_q[1][15:8],
                          k_sport_q[1][7:0], k_sport_q[1][15:8],
                          k_daddr_q[1][7:0], k_daddr_q[1][15:8], k_daddr_q[1][23:16], k_daddr_q[1][31:24],
                          k_saddr_q[1][7:0], k_saddr_q[1][15:8], k_saddr_q[1][23:16], k_saddr_q[1][31:24]};
/* verilator lint_off UNUSEDSIGNAL */
// each sub-table takes BL bits of its half of the hash
wire [31:0] hash = crc32c_key(key_bytes);
/* verilator lint_on UNUSEDSIGNAL */
wire lk1 = s1_v && v_kind_q[1] == V_LOOKUP;

// table operation decode
wire [3:0]  t_op = tbl_op;
wire [WL-1:0] t_way = tbl_index[WL-1:0];
wire [BL-1:0] t_bucket = tbl_index[WL +: BL];
wire        t_sub = tbl_index[WL + BL];
wire        t_key_ok = (tbl_index >> (WL + BL + 1)) == 32'd0;
wire        t_flow_ok = (tbl_index >> FL) == 32'd0;
wire        t_nh_ok = (tbl_index >> NL) == 32'd0;
wire        t_idx_ok = (t_op == OP_KEY_WRITE || t_op == OP_KEY_READ) ? t_key_ok
                     : (t_op == OP_FLOW_WRITE || t_op == OP_FLOW_READ) ? t_flow_ok
                     : (t_op == OP_NH_WRITE || t_op == OP_NH_READ) ? t_nh_ok
                     : t_op == 4'd0;
wire        t_start = tbl_req && !t_busy_reg && pipe_empty;
wire        t_go = t_start && t_idx_ok;

reg         t_err_reg = 1'b0;
reg         t_rd_reg = 1'b0;
reg [3:0]   t_op_reg = 4'd0;
reg [WL:0]  t_keysel_reg = 0;

// command port: taken when the pipeline is empty and TBL_* is idle
assign c_ready = pipe_empty && !tbl_req && !t_busy_reg;
wire          c_go = c_valid && c_ready;
/* verilator lint_off UNUSEDSIGNAL */
// slot bits above the sub-table and index bits above the RAM depth were
// checked by the caller
wire [WL-1:0] c_way0 = c_key_slot0[WL-1:0];
wire [BL-1:0] c_bucket0 = c_key_slot0[WL +: BL];
wire          c_sub0 = c_key_slot0[WL + BL];
wire [WL-1:0] c_way1 = c_key_slot1[WL-1:0];
wire [BL-1:0] c_bucket1 = c_key_slot1[WL +: BL];
wire          c_sub1 = c_key_slot1[WL + BL];
/* verilator lint_on UNUSEDSIGNAL */
reg           c_rvalid_reg = 1'b0;
reg [1:0]     c_rkind_reg = 2'd0;   // 0 key, 1 flow, 2 next hop
reg [WL:0]    c_keysel_reg = 0;

// key RAMs: one per (sub-table, way), BUCKETS entries of 128 bits
wire [127:0] key_q [0:NKEY-1];
wire [BL-1:0] key_raddr0 = t_start ? t_bucket : c_go ? c_bucket0 : hash[BL-1:0];
wire [BL-1:0] key_raddr1 = t_start ? t_bucket : c_go ? c_bucket0 : hash[16 +: BL];
wire key_rd_en = (adv && lk1) || (t_go && t_op == OP_KEY_READ) || (c_go && c_key_re);

genvar gk;
generate
    for (gk = 0; gk < NKEY; gk = gk + 1) begin : g_key
        wire k_t_wr = t_go && t_op == OP_KEY_WRITE && {t_sub, t_way} == gk;
        wire k_c_wr0 = c_go && c_key_we0 && {c_sub0, c_way0} == gk;
        wire k_c_wr1 = c_go && c_key_we1 && {c_sub1, c_way1} == gk;
        ctnic_ram #(.WIDTH(128), .DEPTH(BUCKETS)) key_ram (
            .clk(clk),
            .wr_en(k_t_wr || k_c_wr0 || k_c_wr1),
            .wr_addr(k_t_wr ? t_bucket : k_c_wr0 ? c_bucket0 : c_bucket1),
            .wr_data(k_t_wr ? tbl_wdata[127:0] : k_c_wr0 ? c_key_data0 : c_key_data1),
            .rd_en(key_rd_en),
            .rd_addr(gk < WAYS ? key_raddr0 : key_raddr1),
            .rd_data(key_q[gk])
        );
    end
endgenerate

// ---- E3: compare, read the flow record ----------------------------------------------

// the first matching entry, sub-table 0 way 0 first
reg          m_found;
reg [21:0]   m_flow;
reg          m_reply;
integer mi;
always @* begin
    m_found = 1'b0;
    m_flow = 22'd0;
    m_reply = 1'b0;
    for (mi = NKEY - 1; mi >= 0; mi = mi - 1) begin
        if (key_q[mi][127] && key_q[mi][31:0] == k_saddr_q[2] && key_q[mi][63:32] == k_daddr_q[2] &&
            key_q[mi][95:64] == {k_sport_q[2], k_dport_q[2]} && key_q[mi][103:96] == k_proto_q[2]) begin
            m_found = 1'b1;
            m_flow = key_q[mi][125:104];
            m_reply = key_q[mi][126];
        end
    end
end
wire lk2 = s2_v && v_kind_q[2] == V_LOOKUP;

reg          m_found_q [3:4];
reg [21:0]   m_flow_q  [3:4];
reg          m_reply_q [3:4];

// ---- E4: count in the record, write it back, read the next hop ---------------------------

wire [511:0] flow_ram_q;
reg          wb_prev_v = 1'b0;   // the last advance wrote a record back
reg [21:0]   wb_prev_id;
reg [511:0]  wb_prev_data;
wire lk3 = s3_v && v_kind_q[3] == V_LOOKUP;
wire [511:0] flow_q = (wb_prev_v && wb_prev_id == m_flow_q[3]) ? wb_prev_data : flow_ram_q;
wire         m_flow_ok = (m_flow_q[3] >> FL) == 22'd0;
wire         hit = lk3 && m_found_q[3] && m_flow_ok && flow_q[256];

// an aging visit at E4: the rule of docs/hardware.md on the record as a frame
// here would see it (RAM or the previous write-back)
wire [3:0]   sc_class = flow_q[263:260];
wire [31:0]  sc_timeout = a_timeouts[32*sc_class +: 32];
wire [31:0]  sc_idle = tick[31:0] - flow_q[319:288];
wire         sc_retire = sc3_v && flow_q[256] && sc_timeout != 32'd0 && sc_idle >= sc_timeout;
assign a_done = adv && sc3_v;
assign a_exp = a_done && sc_retire;
assign a_exp_flow = m_flow_q[3];
assign a_exp_rec = flow_q;
assign a_exp_tick = tick[31:0];

reg [511:0]  flow_wb_data;
wire         flow_wb = adv && (hit || sc_retire);
wire         flow_t_wr = t_go && t_op == OP_FLOW_WRITE;
wire         flow_c_wr = c_go && c_flow_we;
always @* begin
    flow_wb_data = flow_q;
    flow_wb_data[319:288] = tick[31:0];                   // word 9: last seen
    if (sc3_v) begin
        // retired: only the valid bit changes
        flow_wb_data = flow_q;
        flow_wb_data[256] = 1'b0;
    end else if (!m_reply_q[3]) begin
        flow_wb_data[351:320] = flow_q[351:320] + 32'd1;  // word 10
        {flow_wb_data[463:448], flow_wb_data[383:352]} =
            {flow_q[463:448], flow_q[383:352]} + {32'd0, f_len_q[3]};
    end else begin
        flow_wb_data[415:384] = flow_q[415:384] + 32'd1;  // word 12
        {flow_wb_data[479:464], flow_wb_data[447:416]} =
            {flow_q[479:464], flow_q[447:416]} + {32'd0, f_len_q[3]};
    end
end

ctnic_ram #(.WIDTH(512), .DEPTH(FLOWS)) flow_ram (
    .clk(clk),
    .wr_en(flow_t_wr || flow_c_wr || flow_wb),
    .wr_addr(flow_t_wr ? tbl_index[FL-1:0] : flow_c_wr ? c_flow_idx[FL-1:0] : m_flow_q[3][FL-1:0]),
    .wr_data(flow_t_wr ? tbl_wdata : flow_c_wr ? c_flow_data : flow_wb_data),
    .rd_en((adv && (lk2 || sc2_v)) || (t_go && t_op == OP_FLOW_READ) || (c_go && c_flow_re)),
    .rd_addr(t_start ? tbl_index[FL-1:0] : c_go ? c_flow_idx[FL-1:0] : sc2_v ? sc_idx_q[2][FL-1:0] : m_flow[FL-1:0]),
    .rd_data(flow_ram_q)
);

/* verilator lint_off UNUSEDSIGNAL */
// word 4d+3 bits 31:16 and 7:3 are reserved
wire [127:0] f_dir = m_reply_q[3] ? flow_q[255:128] : flow_q[127:0];
/* verilator lint_on UNUSEDSIGNAL */
wire [7:0]   nh_index = f_dir[111:104];

reg          hit_q [4:4];
reg [98:0]   dir_q [4:4];    // the direction's tuple, action, ttl_dec
reg          nh_ok_q [4:4];  // the next-hop index exists
reg [31:0]   tick_q4;        // the tick the record was stamped with

wire [127:0] nh_q;
wire         nh_t_wr = t_go && t_op == OP_NH_WRITE;
wire         nh_c_wr = c_go && c_nh_we;
ctnic_ram #(.WIDTH(128), .DEPTH(NEXTHOPS)) nh_ram (
    .clk(clk),
    .wr_en(nh_t_wr || nh_c_wr),
    .wr_addr(nh_t_wr ? tbl_index[NL-1:0] : c_nh_idx[NL-1:0]),
    .wr_data(nh_t_wr ? tbl_wdata[127:0] : c_nh_data),
    .rd_en((adv && lk3) || (t_go && t_op == OP_NH_READ) || (c_go && c_nh_re)),
    .rd_addr(t_start ? tbl_index[NL-1:0] : c_go ? c_nh_idx[NL-1:0] : nh_index[NL-1:0]),
    .rd_data(nh_q)
);

// ---- table operation answer ------------------------------------------------------------

reg [511:0] t_rdata;
always @* begin
    t_rdata = tbl_wdata;
    if (t_op_reg == OP_KEY_READ)
        t_rdata[127:0] = key_q[t_keysel_reg];
    else if (t_op_reg == OP_FLOW_READ)
        t_rdata = flow_ram_q;
    else if (t_op_reg == OP_NH_READ)
        t_rdata[127:0] = nh_q;
end

assign tbl_done = t_busy_reg;
assign tbl_err = t_err_reg;
assign tbl_rd = t_rd_reg;
assign tbl_rdata = t_rdata;

assign c_rvalid = c_rvalid_reg;
assign c_rdata = c_rkind_reg == 2'd1 ? flow_ram_q
               : c_rkind_reg == 2'd2 ? {384'd0, nh_q} : {384'd0, key_q[c_keysel_reg]};

// ---- E5: decide, rewrite ---------------------------------------------------------------

wire [98:0] dir4 = dir_q[4];
wire [31:0] n_saddr = dir4[31:0];
wire [31:0] n_daddr = dir4[63:32];
wire [15:0] n_dport = dir4[79:64];
wire [15:0] n_sport = dir4[95:80];
wire [1:0]  n_action = dir4[97:96];
wire        n_ttl_dec = dir4[98];
wire        nh_valid = nh_q[31];
wire        nh_macs = nh_q[4];
wire [3:0]  nh_port = nh_q[3:0];
wire [47:0] nh_dmac = {nh_q[63:32], nh_q[95:80]};
wire [47:0] nh_smac = {nh_q[79:64], nh_q[127:96]};

reg [1:0] f_kind;
reg [3:0] f_reason;
reg [3:0] f_port;
always @* begin
    f_kind = KIND_DROP;
    f_reason = v_reason_q[4];
    f_port = 4'd0;
    case (v_kind_q[4])
        V_DROP: f_kind = KIND_DROP;
        V_PUNT: f_kind = KIND_HOST;
        V_OUT: begin f_kind = KIND_PORT; f_port = f_port_q[4]; end
        default: begin
            if (!hit_q[4]) begin
                f_kind = KIND_HOST; f_reason = CTNIC_PUNT_MISS;
            end else if (v_tcp_q[4] && (v_flags_q[4] & tcp_punt_mask) != 8'd0) begin
                f_kind = KIND_HOST; f_reason = CTNIC_PUNT_TCP_FLAGS;
            end else if (n_action == CTNIC_ACTION_HOST) begin
                f_kind = KIND_HOST; f_reason = CTNIC_PUNT_ACTION_HOST;
            end else if (n_action != CTNIC_ACTION_FORWARD) begin
                f_kind = KIND_DROP; f_reason = CTNIC_DROP_ACTION_DROP;
            end else if (v_ttl_q[4] <= 8'd1) begin
                f_kind = KIND_HOST; f_reason = CTNIC_PUNT_TTL_EXPIRED;
            end else if (!nh_ok_q[4] || !nh_valid || nh_port >= PORTS4) begin
                f_kind = KIND_DROP; f_reason = CTNIC_DROP_BAD_EGRESS;
            end else begin
                f_kind = KIND_PORT; f_port = nh_port;
            end
        end
    endcase
end

// byte offset inside beat 0 (forwarded frames: all fields below byte 64)
/* verilator lint_off UNUSEDSIGNAL */
function [5:0] off6(input [6:0] o);
    off6 = o[5:0];
endfunction
/* verilator lint_on UNUSEDSIGNAL */

// rewrite of the first beat, for a frame whose IPv4 header starts at L3 (14
// or 18; forwarded frames have no IP options, so everything is in beat 0)
function [511:0] rewrite(input [511:0] b, input [6:0] l3, input [31:0] sa, input [31:0] da,
                         input [15:0] sp, input [15:0] dp, input ttl_dec, input tcp, input icmp,
                         input macs, input [47:0] dmac, input [47:0] smac);
    reg [1023:0] hb;
    reg [6:0] l4;
    reg [15:0] o_sa_h, o_sa_l, o_da_h, o_da_l, o_sp, o_dp, o_tp, n_tp, o_ipc, o_l4c, n_l4c;
    reg [7:0] ttl;
    begin
        hb = {512'd0, b};
        l4 = l3 + 7'd20;
        o_sa_h = b16(hb, l3 + 7'd12); o_sa_l = b16(hb, l3 + 7'd14);
        o_da_h = b16(hb, l3 + 7'd16); o_da_l = b16(hb, l3 + 7'd18);
        o_tp = b16(hb, l3 + 7'd8);
        ttl = ttl_dec ? o_tp[15:8] - 8'd1 : o_tp[15:8];
        n_tp = {ttl, o_tp[7:0]};
        o_ipc = b16(hb, l3 + 7'd10);
        o_sp = icmp ? b16(hb, l4 + 7'd4) : b16(hb, l4);
        o_dp = b16(hb, l4 + 7'd2);
        o_l4c = icmp ? b16(hb, l4 + 7'd2) : tcp ? b16(hb, l4 + 7'd16) : b16(hb, l4 + 7'd6);
        // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), over every word that may change
        rewrite = b;
        // IPv4 header checksum: addresses and the TTL/protocol word
        o_ipc = ~fold({16'd0, ~o_ipc} + {16'd0, ~o_sa_h} + {16'd0, sa[31:16]} + {16'd0, ~o_sa_l} + {16'd0, sa[15:0]}
                    + {16'd0, ~o_da_h} + {16'd0, da[31:16]} + {16'd0, ~o_da_l} + {16'd0, da[15:0]}
                    + {16'd0, ~o_tp} + {16'd0, n_tp});
        if (icmp) begin
            // ICMP: no pseudo-header; only the echo identifier changes
            n_l4c = ~fold({16'd0, ~o_l4c} + {16'd0, ~o_sp} + {16'd0, sp});
        end else begin
            // TCP/UDP: pseudo-header addresses and the ports
            n_l4c = ~fold({16'd0, ~o_l4c} + {16'd0, ~o_sa_h} + {16'd0, sa[31:16]} + {16'd0, ~o_sa_l} + {16'd0, sa[15:0]}
                        + {16'd0, ~o_da_h} + {16'd0, da[31:16]} + {16'd0, ~o_da_l} + {16'd0, da[15:0]}
                        + {16'd0, ~o_sp} + {16'd0, sp} + {16'd0, ~o_dp} + {16'd0, dp});
            // UDP: 0 means "no checksum" and stays 0; a computed 0 is sent as
            // 0xffff (RFC 768)
            if (!tcp && o_l4c == 16'd0)
                n_l4c = 16'd0;
            else if (!tcp && n_l4c == 16'd0)
                n_l4c = 16'hffff;
        end
        if (macs) begin
            rewrite[47:0] = {dmac[7:0], dmac[15:8], dmac[23:16], dmac[31:24], dmac[39:32], dmac[47:40]};
            rewrite[95:48] = {smac[7:0], smac[15:8], smac[23:16], smac[31:24], smac[39:32], smac[47:40]};
        end
        rewrite[{off6(l3 + 7'd8), 3'b000} +: 8] = ttl;
        rewrite[{off6(l3 + 7'd10), 3'b000} +: 8] = o_ipc[15:8];
        rewrite[{off6(l3 + 7'd11), 3'b000} +: 8] = o_ipc[7:0];
        rewrite[{off6(l3 + 7'd12), 3'b000} +: 32] = {sa[7:0], sa[15:8], sa[23:16], sa[31:24]};
        rewrite[{off6(l3 + 7'd16), 3'b000} +: 32] = {da[7:0], da[15:8], da[23:16], da[31:24]};
        if (icmp) begin
            rewrite[{off6(l4 + 7'd2), 3'b000} +: 16] = {n_l4c[7:0], n_l4c[15:8]};
            rewrite[{off6(l4 + 7'd4), 3'b000} +: 16] = {sp[7:0], sp[15:8]};
        end else begin
            rewrite[{off6(l4), 3'b000} +: 16] = {sp[7:0], sp[15:8]};
            rewrite[{off6(l4 + 7'd2), 3'b000} +: 16] = {dp[7:0], dp[15:8]};
            if (tcp)
                rewrite[{off6(l4 + 7'd16), 3'b000} +: 16] = {n_l4c[7:0], n_l4c[15:8]};
            else
                rewrite[{off6(l4 + 7'd6), 3'b000} +: 16] = {n_l4c[7:0], n_l4c[15:8]};
        end
    end
endfunction

wire [511:0] rw14 = rewrite(f_beat0_q[4], 7'd14, n_saddr, n_daddr, n_sport, n_dport, n_ttl_dec,
                            v_tcp_q[4], v_icmp_q[4], nh_macs, nh_dmac, nh_smac);
wire [511:0] rw18 = rewrite(f_beat0_q[4], 7'd18, n_saddr, n_daddr, n_sport, n_dport, n_ttl_dec,
                            v_tcp_q[4], v_icmp_q[4], nh_macs, nh_dmac, nh_smac);

// descriptor: len, reason, ingress port, flow, tick, l3, l4, flags (LE bytes)
wire        dsc_flow = v_kind_q[4] == V_LOOKUP && hit_q[4];
wire [7:0]  dsc_port = f_inject_q[4] ? PORTS[7:0] : {4'd0, f_port_q[4]};
wire        dsc_ip = v_ip_q[4];
wire [127:0] dsc = {8'd0,
                    dsc_ip ? v_flags_q[4] : 8'd0,
                    dsc_ip ? v_l4_q[4] : 8'd0,
                    dsc_ip ? v_l3_q[4] : 8'd0,
                    tick_q4,
                    dsc_flow, dsc_flow && m_reply_q[4], 8'd0, dsc_flow ? m_flow_q[4] : 22'd0,
                    dsc_port, 4'd0, f_reason, f_len_q[4]};

// ---- the job (E5 registers) ---------------------------------------------------------------

reg [1:0]   j_kind_reg = KIND_DROP;
reg [3:0]   j_port_reg = 4'd0;
reg [15:0]  j_beats_reg = 16'd0;
reg [15:0]  j_len_reg = 16'd0;
reg         j_replace_reg = 1'b0;
reg [511:0] j_beat0_reg;
reg [127:0] j_desc_reg;
reg [3:0]   j_reason_reg = 4'd0;
reg         j_hit_reg = 1'b0;
reg         j_miss_reg = 1'b0;

assign job_valid = s5_v;
assign job_kind = j_kind_reg;
assign job_port = j_port_reg;
assign job_beats = j_beats_reg;
assign job_len = j_len_reg;
assign job_replace = j_replace_reg;
assign job_beat0 = j_beat0_reg;
assign job_desc = j_desc_reg;

wire emit = s5_v && job_ready;
assign ev_punt = emit && j_kind_reg == KIND_HOST;
assign ev_punt_reason = j_reason_reg;
assign ev_drop = emit && j_kind_reg == KIND_DROP;
assign ev_drop_reason = j_reason_reg;
assign ev_hit = emit && j_hit_reg;
assign ev_miss = emit && j_miss_reg;

// ---- clocked --------------------------------------------------------------------------------

integer st;

always @(posedge clk) begin
    // table operation: one RAM access while the pipeline is empty
    t_busy_reg <= t_start;
    if (t_start) begin
        t_err_reg <= !t_idx_ok;
        t_rd_reg <= t_op == OP_KEY_READ || t_op == OP_FLOW_READ || t_op == OP_NH_READ;
        t_op_reg <= t_op;
        t_keysel_reg <= {t_sub, t_way};
    end

    c_rvalid_reg <= c_go && (c_key_re || c_flow_re || c_nh_re);
    if (c_go) begin
        c_rkind_reg <= c_flow_re ? 2'd1 : c_nh_re ? 2'd2 : 2'd0;
        c_keysel_reg <= {c_sub0, c_way0};
    end

    if (adv) begin
        // E0
        s0_v <= desc_rd;
        if (desc_rd) begin
            hdr_reg <= d[DESC_W-1 -: 1024];
            len_reg <= d[25 +: 16];
            beats_reg <= d[9 +: 16];
            port_reg <= d[5 +: 4];
            lookup_reg <= d[4];
            inject_reg <= d[3];
            bad_reg <= d[2];
            dis_reg <= d[1];
            over_reg <= d[0];
        end

        // E1
        s1_v <= s0_v;
        v_kind_q[1] <= pv_kind;
        v_reason_q[1] <= pv_reason;
        v_ip_q[1] <= pv_ip;
        v_vlan_q[1] <= p_vlan;
        v_l3_q[1] <= {1'b0, p_l3};
        v_l4_q[1] <= p_d_l4;
        v_flags_q[1] <= p_d_flags;
        v_ttl_q[1] <= p_ttl;
        v_tcp_q[1] <= p_is_tcp;
        v_icmp_q[1] <= p_is_icmp;
        f_len_q[1] <= len_reg;
        f_beats_q[1] <= beats_reg > MAX_BEATS ? MAX_BEATS[15:0] : beats_reg;
        f_port_q[1] <= port_reg;
        f_inject_q[1] <= inject_reg;
        f_beat0_q[1] <= hdr_reg[511:0];
        k_saddr_q[1] <= p_saddr;
        k_daddr_q[1] <= p_daddr;
        k_sport_q[1] <= p_is_icmp ? p_icmp_id : p_sport;
        k_dport_q[1] <= p_is_icmp ? 16'd0 : p_dport;
        k_proto_q[1] <= p_proto;

        // E2..E5 carry the frame's facts
        s2_v <= s1_v;
        s3_v <= s2_v;
        s4_v <= s3_v;
        s5_v <= s4_v;
        for (st = 2; st <= 4; st = st + 1) begin
            v_kind_q[st] <= v_kind_q[st-1];
            v_reason_q[st] <= v_reason_q[st-1];
            v_ip_q[st] <= v_ip_q[st-1];
            v_vlan_q[st] <= v_vlan_q[st-1];
            v_l3_q[st] <= v_l3_q[st-1];
            v_l4_q[st] <= v_l4_q[st-1];
            v_flags_q[st] <= v_flags_q[st-1];
            v_ttl_q[st] <= v_ttl_q[st-1];
            v_tcp_q[st] <= v_tcp_q[st-1];
            v_icmp_q[st] <= v_icmp_q[st-1];
            f_len_q[st] <= f_len_q[st-1];
            f_beats_q[st] <= f_beats_q[st-1];
            f_port_q[st] <= f_port_q[st-1];
            f_inject_q[st] <= f_inject_q[st-1];
            f_beat0_q[st] <= f_beat0_q[st-1];
        end
        k_saddr_q[2] <= k_saddr_q[1];
        k_daddr_q[2] <= k_daddr_q[1];
        k_sport_q[2] <= k_sport_q[1];
        k_dport_q[2] <= k_dport_q[1];
        k_proto_q[2] <= k_proto_q[1];

        // aging visits: E0..E3
        sc0_v <= a_take;
        sc1_v <= sc0_v;
        sc2_v <= sc1_v;
        sc3_v <= sc2_v;
        sc_idx_q[0] <= a_idx;
        sc_idx_q[1] <= sc_idx_q[0];
        sc_idx_q[2] <= sc_idx_q[1];

        // E3
        m_found_q[3] <= lk2 && m_found;
        m_flow_q[3] <= sc2_v ? sc_idx_q[2] : m_flow;
        m_reply_q[3] <= m_reply;
        m_found_q[4] <= m_found_q[3];
        m_flow_q[4] <= m_flow_q[3];
        m_reply_q[4] <= m_reply_q[3];

        // E4
        hit_q[4] <= hit;
        dir_q[4] <= f_dir[98:0];
        nh_ok_q[4] <= ({24'd0, nh_index} >> NL) == 32'd0;
        tick_q4 <= tick[31:0];
        wb_prev_v <= flow_wb;
        wb_prev_id <= m_flow_q[3];
        wb_prev_data <= flow_wb_data;

        // E5
        j_kind_reg <= f_kind;
        j_port_reg <= f_port;
        j_beats_reg <= f_beats_q[4];
        j_len_reg <= f_len_q[4];
        j_replace_reg <= v_kind_q[4] == V_LOOKUP && f_kind == KIND_PORT;
        j_beat0_reg <= v_vlan_q[4] ? rw18 : rw14;
        j_desc_reg <= dsc;
        j_reason_reg <= f_reason;
        j_hit_reg <= v_kind_q[4] == V_LOOKUP && hit_q[4];
        j_miss_reg <= v_kind_q[4] == V_LOOKUP && !hit_q[4];
    end

    if (rst) begin
        s0_v <= 1'b0;
        s1_v <= 1'b0;
        s2_v <= 1'b0;
        s3_v <= 1'b0;
        s4_v <= 1'b0;
        s5_v <= 1'b0;
        sc0_v <= 1'b0;
        sc1_v <= 1'b0;
        sc2_v <= 1'b0;
        sc3_v <= 1'b0;
        wb_prev_v <= 1'b0;
        t_busy_reg <= 1'b0;
        c_rvalid_reg <= 1'b0;
    end
end

endmodule

`resetall
