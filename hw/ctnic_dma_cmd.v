/*
 * ctnic_dma_cmd - the command ring's executor (docs/rings.md "Command
 * ring"): takes each 128-byte command as two 512-bit beats, checks it
 * whole, runs it through the core's command table port (ctnic_engine c_*)
 * and hands its completion to the event ring.
 *
 * One beat per clock in; a command that needs one table access (every
 * write, FLOW_INSTALL with its two keys in different key RAMs) finishes in
 * the clock after its second beat, so back-to-back installs take two clocks
 * each. FLOW_INSTALL writes the record and both keys in one access: the
 * pipeline is empty while the table changes (the engine's rule for TBL_*),
 * and a later packet reads the record stages after the key, so it never
 * follows a new key to an old record. Two keys in one RAM take a second
 * access (record and first key, then the second key: the contract's order).
 *
 * A command is refused whole before anything is written (BAD_OP, then
 * MALFORMED, then BAD_INDEX, as the model checks). The table accesses of a
 * command run first; its completion (CPL flag, refusals, reads,
 * FLOW_REMOVE) then waits for room on the event ring (ev_ready) before the
 * next command starts. Beats marked s_terr (a read error, a stopped ring,
 * a stale enable) are dropped: nothing runs and cmd_done stays low.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module ctnic_dma_cmd #
(
    // Key entries per bucket (as the core)
    parameter WAYS = 4,
    // Buckets per sub-table (as the core)
    parameter BUCKETS = 64,
    // Flow records (as the core)
    parameter FLOWS = 256,
    // Next-hop entries (as the core)
    parameter NEXTHOPS = 256
)
(
    input  wire         clk,
    input  wire         rst,

    // command beats: beat 0 (bytes 0..63), then beat 1 (bytes 64..127)
    input  wire [511:0] s_tdata,
    input  wire         s_terr,
    input  wire         s_tvalid,
    output wire         s_tready,

    // the core's command table port (ctnic_engine)
    output wire         c_valid,
    input  wire         c_ready,
    output wire         c_key_we0,
    output wire [31:0]  c_key_slot0,
    output wire [127:0] c_key_data0,
    output wire         c_key_we1,
    output wire [31:0]  c_key_slot1,
    output wire [127:0] c_key_data1,
    output wire         c_key_re,
    output wire         c_flow_we,
    output wire         c_flow_re,
    output wire [31:0]  c_flow_idx,
    output wire [511:0] c_flow_data,
    output wire         c_nh_we,
    output wire         c_nh_re,
    output wire [31:0]  c_nh_idx,
    output wire [127:0] c_nh_data,
    input  wire         c_rvalid,
    input  wire [511:0] c_rdata,

    // completion (EVT_CPL): status, op, tag, data; the ring index is the DMA's
    output wire         ev_valid,
    input  wire         ev_ready,
    output wire [7:0]   ev_status,
    output wire [7:0]   ev_op,
    output wire [31:0]  ev_tag,
    output wire [511:0] ev_data,

    // one pulse per command finished (run or refused): RING_CONS moves on
    output wire         cmd_done,
    // a command is held (RING_STATUS.ENABLED stays up until it finishes)
    output wire         busy
);

`include "ctnic_regs.vh"

localparam WL = $clog2(WAYS);
localparam BL = $clog2(BUCKETS);
// key slots, flow records, next hops (all below 2^32)
localparam [31:0] KEYS32 = 2 * BUCKETS * WAYS;
localparam [31:0] FLOWS32 = FLOWS;
localparam [31:0] NH32 = NEXTHOPS;

localparam [7:0] OP_NOP = {4'd0, CTNIC_CMD_OP_NOP};
localparam [7:0] OP_KEY_WRITE = {4'd0, CTNIC_CMD_OP_KEY_WRITE};
localparam [7:0] OP_KEY_READ = {4'd0, CTNIC_CMD_OP_KEY_READ};
localparam [7:0] OP_FLOW_WRITE = {4'd0, CTNIC_CMD_OP_FLOW_WRITE};
localparam [7:0] OP_FLOW_READ = {4'd0, CTNIC_CMD_OP_FLOW_READ};
localparam [7:0] OP_NH_WRITE = {4'd0, CTNIC_CMD_OP_NH_WRITE};
localparam [7:0] OP_NH_READ = {4'd0, CTNIC_CMD_OP_NH_READ};
localparam [7:0] OP_FLOW_INSTALL = {4'd0, CTNIC_CMD_OP_FLOW_INSTALL};
localparam [7:0] OP_KEY_DELETE = {4'd0, CTNIC_CMD_OP_KEY_DELETE};
localparam [7:0] OP_FLOW_REMOVE = {4'd0, CTNIC_CMD_OP_FLOW_REMOVE};

localparam [7:0] ST_OK = {6'd0, CTNIC_CMD_STATUS_OK};
localparam [7:0] ST_BAD_OP = {6'd0, CTNIC_CMD_STATUS_BAD_OP};
localparam [7:0] ST_BAD_INDEX = {6'd0, CTNIC_CMD_STATUS_BAD_INDEX};
localparam [7:0] ST_MALFORMED = {6'd0, CTNIC_CMD_STATUS_MALFORMED};

// ---- beat 0 and the command ----------------------------------------------------

reg         b0_v_reg = 1'b0;
reg [511:0] b0_reg;
reg         b0_err_reg;

reg         q_v_reg = 1'b0;     // a command is held
reg         q_drop_reg;         // read error: run nothing, report nothing
reg [7:0]   q_op_reg;
reg [7:0]   q_status_reg;
reg         q_cpl_reg;          // a completion will be posted
reg [31:0]  q_idx_reg, q_idx2_reg, q_idx3_reg, q_tag_reg;
reg [511:0] q_data_reg;
reg [127:0] q_key0_reg, q_key1_reg;
reg         q_same_reg;         // INDEX2 and INDEX3 are in one key RAM
reg [1:0]   step_reg;
reg         rwait_reg;          // a read is on its way (c_rvalid)
reg         post_reg;           // the accesses are done; the completion waits
reg [511:0] rd_reg;

// Checks of a whole command (beat 0 = b0, beat 1 = b1), in the model's order.
wire [511:0] b1 = s_tdata;
wire [7:0]  n_op = b0_reg[7:0];
wire [7:0]  n_flags = b0_reg[15:8];
wire [31:0] n_idx = b0_reg[63:32];
wire [31:0] n_idx2 = b0_reg[95:64];
wire [31:0] n_idx3 = b0_reg[127:96];
wire        n_rsvd = b0_reg[31:16] != 16'd0 || b0_reg[255:160] != 96'd0 || n_flags[7:1] != 7'd0;
wire        n_key_ok = n_idx < KEYS32;
wire        n_flow_ok = n_idx < FLOWS32;
wire        n_nh_ok = n_idx < NH32;
wire        n_pair_ok = n_flow_ok && n_idx2 < KEYS32 && n_idx3 < KEYS32;
reg  [7:0]  n_status;
always @* begin
    n_status = ST_OK;
    if (n_op > OP_FLOW_REMOVE)
        n_status = ST_BAD_OP;
    else if (n_rsvd)
        n_status = ST_MALFORMED;
    else case (n_op)
        OP_KEY_WRITE, OP_KEY_READ, OP_KEY_DELETE: n_status = n_key_ok ? ST_OK : ST_BAD_INDEX;
        OP_FLOW_WRITE, OP_FLOW_READ: n_status = n_flow_ok ? ST_OK : ST_BAD_INDEX;
        OP_NH_WRITE, OP_NH_READ: n_status = n_nh_ok ? ST_OK : ST_BAD_INDEX;
        OP_FLOW_INSTALL, OP_FLOW_REMOVE: n_status = n_pair_ok ? ST_OK : ST_BAD_INDEX;
        default: n_status = ST_OK;
    endcase
end
wire n_reads = n_op == OP_KEY_READ || n_op == OP_FLOW_READ || n_op == OP_NH_READ || n_op == OP_FLOW_REMOVE;
wire n_cpl = n_flags[0] || n_status != ST_OK || n_reads;
wire n_same = {n_idx2[WL + BL], n_idx2[WL-1:0]} == {n_idx3[WL + BL], n_idx3[WL-1:0]};

// ---- the access of the current step --------------------------------------------------

reg         a_key_we0, a_key_we1, a_key_re, a_flow_we, a_flow_re, a_nh_we, a_nh_re;
reg [31:0]  a_slot0, a_slot1;
reg [127:0] a_kd0, a_kd1;
reg [511:0] a_fd;
reg         a_last;    // the command's last access
always @* begin
    a_key_we0 = 1'b0; a_key_we1 = 1'b0; a_key_re = 1'b0;
    a_flow_we = 1'b0; a_flow_re = 1'b0; a_nh_we = 1'b0; a_nh_re = 1'b0;
    a_slot0 = q_idx_reg; a_slot1 = q_idx3_reg;
    a_kd0 = q_data_reg[127:0]; a_kd1 = q_key1_reg;
    a_fd = q_data_reg;
    a_last = 1'b1;
    case (q_op_reg)
        OP_KEY_WRITE: a_key_we0 = 1'b1;
        OP_KEY_DELETE: begin a_key_we0 = 1'b1; a_kd0 = 128'd0; end
        OP_KEY_READ: a_key_re = 1'b1;
        OP_FLOW_WRITE: a_flow_we = 1'b1;
        OP_FLOW_READ: a_flow_re = 1'b1;
        OP_NH_WRITE: a_nh_we = 1'b1;
        OP_NH_READ: a_nh_re = 1'b1;
        OP_FLOW_INSTALL: begin
            // record and keys together; a second key in the same RAM next
            if (step_reg == 2'd0) begin
                a_flow_we = 1'b1;
                a_key_we0 = 1'b1; a_slot0 = q_idx2_reg; a_kd0 = q_key0_reg;
                a_key_we1 = !q_same_reg;
                a_last = !q_same_reg;
            end else begin
                a_key_we0 = 1'b1; a_slot0 = q_idx3_reg; a_kd0 = q_key1_reg;
            end
        end
        OP_FLOW_REMOVE: begin
            // keys first, then the record read (final counters), then it is
            // written back with its valid bit (word 8 bit 0) cleared
            a_last = 1'b0;
            a_kd0 = 128'd0; a_kd1 = 128'd0;
            case (step_reg)
                2'd0: begin
                    a_key_we0 = 1'b1; a_slot0 = q_idx2_reg;
                    a_key_we1 = !q_same_reg;
                end
                2'd1: begin a_key_we0 = 1'b1; a_slot0 = q_idx3_reg; end
                2'd2: a_flow_re = 1'b1;
                default: begin
                    a_flow_we = 1'b1;
                    a_fd = rd_reg;
                    a_fd[256] = 1'b0;
                    a_last = 1'b1;
                end
            endcase
        end
        default: ;
    endcase
end

wire run = q_v_reg && !q_drop_reg && !post_reg && !rwait_reg;
wire a_read = a_key_re || a_flow_re || a_nh_re;
wire go = run && c_ready;
// finishing: the last write went in and nothing is to be posted, or the
// completion is taken, or a dropped command leaves
wire fin_now = go && a_last && !a_read && !q_cpl_reg;
wire fin_post = q_v_reg && post_reg && (!q_cpl_reg || ev_ready);
wire fin_drop = q_v_reg && q_drop_reg;
wire fin = fin_now || fin_post || fin_drop;

assign s_tready = !b0_v_reg || !q_v_reg || fin;
wire take0 = s_tvalid && s_tready && !b0_v_reg;
wire take1 = s_tvalid && s_tready && b0_v_reg;

assign c_valid = run;
assign c_key_we0 = a_key_we0;
assign c_key_slot0 = a_slot0;
assign c_key_data0 = a_kd0;
assign c_key_we1 = a_key_we1;
assign c_key_slot1 = a_slot1;
assign c_key_data1 = a_kd1;
assign c_key_re = a_key_re;
assign c_flow_we = a_flow_we;
assign c_flow_re = a_flow_re;
assign c_flow_idx = q_idx_reg;
assign c_flow_data = a_fd;
assign c_nh_we = a_nh_we;
assign c_nh_re = a_nh_re;
assign c_nh_idx = q_idx_reg;
assign c_nh_data = q_data_reg[127:0];

assign ev_valid = q_v_reg && post_reg && q_cpl_reg && !q_drop_reg;
assign ev_status = q_status_reg;
assign ev_op = q_op_reg;
assign ev_tag = q_tag_reg;
assign ev_data = (q_status_reg != ST_OK) ? 512'd0
               : (q_op_reg == OP_KEY_READ || q_op_reg == OP_NH_READ) ? {384'd0, rd_reg[127:0]}
               : (q_op_reg == OP_FLOW_READ || q_op_reg == OP_FLOW_REMOVE) ? rd_reg : 512'd0;

assign cmd_done = (fin_now || fin_post) && !q_drop_reg;
assign busy = q_v_reg || b0_v_reg;

always @(posedge clk) begin
    if (take0) begin
        b0_v_reg <= 1'b1;
        b0_reg <= s_tdata;
        b0_err_reg <= s_terr;
    end

    if (fin)
        q_v_reg <= 1'b0;

    if (go) begin
        if (a_read)
            rwait_reg <= 1'b1;
        else if (a_last)
            post_reg <= 1'b1;
        else
            step_reg <= (q_op_reg == OP_FLOW_REMOVE && step_reg == 2'd0 && !q_same_reg) ? 2'd2
                                                                                       : step_reg + 2'd1;
    end

    if (rwait_reg && c_rvalid) begin
        rwait_reg <= 1'b0;
        rd_reg <= c_rdata;
        if (q_op_reg == OP_FLOW_REMOVE)
            step_reg <= 2'd3;
        else
            post_reg <= 1'b1;
    end

    // a new command (taken only as the previous one finishes) last: its
    // set-up wins over the finishing command's step updates above
    if (take1) begin
        b0_v_reg <= 1'b0;
        q_v_reg <= 1'b1;
        q_drop_reg <= b0_err_reg || s_terr;
        q_op_reg <= n_op;
        q_status_reg <= n_status;
        q_cpl_reg <= n_cpl;
        q_idx_reg <= n_idx;
        q_idx2_reg <= n_idx2;
        q_idx3_reg <= n_idx3;
        q_tag_reg <= b0_reg[159:128];
        // DATA words 0..7 from beat 0 bytes 32..63, 8..15 from beat 1 bytes 0..31
        q_data_reg <= {b1[255:0], b0_reg[511:256]};
        q_key0_reg <= b1[383:256];
        q_key1_reg <= b1[511:384];
        q_same_reg <= n_same;
        step_reg <= 2'd0;
        rwait_reg <= 1'b0;
        // a refused command or a NOP writes nothing: straight to its completion
        post_reg <= n_status != ST_OK || n_op == OP_NOP;
    end

    if (rst) begin
        b0_v_reg <= 1'b0;
        q_v_reg <= 1'b0;
        rwait_reg <= 1'b0;
        post_reg <= 1'b0;
    end
end

endmodule

`resetall
