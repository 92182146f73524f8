/*
 * ctnic_engine - decides what happens to each frame (stub: table window
 * works; every frame goes to the host with reason MISS).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

// STUB until the real engine lands: inputs unused on purpose.
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNUSEDPARAM */

module ctnic_engine #
(
    parameter PORTS = 2,
    parameter WAYS = 4,
    parameter BUCKETS = 64,
    parameter FLOWS = 256,
    parameter NEXTHOPS = 256,
    parameter MAX_BEATS = 144,
    parameter DESC_W = 1024 + 16 + 16 + 4 + 5
)
(
    input  wire              clk,
    input  wire              rst,
    input  wire [7:0]        tcp_punt_mask,
    input  wire [63:0]       tick,

    input  wire              tbl_req,
    input  wire [3:0]        tbl_op,
    input  wire [31:0]       tbl_index,
    input  wire [511:0]      tbl_wdata,
    output wire              tbl_done,
    output wire              tbl_err,
    output wire              tbl_rd,
    output wire [511:0]      tbl_rdata,

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

/* verilator lint_off UNUSEDSIGNAL */
wire [15:0] d_len = desc_dout[DESC_W-1025 -: 16];
wire [15:0] d_beats = desc_dout[DESC_W-1041 -: 16];
wire [3:0] d_port = desc_dout[8:5];
/* verilator lint_on UNUSEDSIGNAL */

wire go = desc_valid && job_ready && !tbl_req;
assign desc_rd = go;
assign job_valid = go;
assign job_kind = 2'd1;
assign job_port = 4'd0;
assign job_beats = d_beats > MAX_BEATS ? MAX_BEATS[15:0] : d_beats;
assign job_len = d_len;
assign job_replace = 1'b0;
assign job_beat0 = 512'd0;
assign job_desc = {32'd0, tick[31:0], 32'd0, 4'd0, d_port, 4'd0, CTNIC_PUNT_MISS, d_len};
assign ev_punt = go;
assign ev_punt_reason = CTNIC_PUNT_MISS;
assign ev_drop = 1'b0;
assign ev_drop_reason = 4'd0;
assign ev_hit = 1'b0;
assign ev_miss = go;

reg done_reg = 1'b0;
assign tbl_done = done_reg;
assign tbl_err = 1'b1;
assign tbl_rd = 1'b0;
assign tbl_rdata = 512'd0;
always @(posedge clk) begin
    done_reg <= tbl_req && !done_reg;
    if (rst) done_reg <= 1'b0;
end

endmodule

`resetall
