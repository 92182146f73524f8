/*
 * ctnic_ingress - takes whole frames from the network ports and the host
 * inject stream, one frame at a time (round-robin between frames), and
 * stores them: every beat into the beat FIFO, and at the frame's end one
 * descriptor with the first HDR_BEATS beats (the parser's window), the
 * length and how the frame arrived.
 *
 * Frames longer than MAX_BEATS beats keep being accepted to their end, but
 * only the first MAX_BEATS beats are stored; the descriptor marks them
 * oversize and the engine drops them. So a frame of any length can neither
 * fill the beat FIFO with a partial frame nor hang the pipeline.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module ctnic_ingress #
(
    // Network ports
    parameter PORTS = 2,
    // Beats stored per frame at most (9216 bytes)
    parameter MAX_BEATS = 144,
    // Beat FIFO depth (at least MAX_BEATS)
    parameter BEAT_DEPTH = 256,
    // Descriptor FIFO depth
    parameter DESC_DEPTH = 4,
    // Descriptor width, derived: hdr 1024, len 16, beats 16, port 4,
    // lookup, inject, bad, disabled, oversize
    parameter DESC_W = 1024 + 16 + 16 + 4 + 5
)
(
    input  wire                  clk,
    input  wire                  rst,

    input  wire                  enable,

    input  wire [PORTS*512-1:0]  s_axis_rx_tdata,
    input  wire [PORTS*64-1:0]   s_axis_rx_tkeep,
    input  wire [PORTS-1:0]      s_axis_rx_tvalid,
    output wire [PORTS-1:0]      s_axis_rx_tready,
    input  wire [PORTS-1:0]      s_axis_rx_tlast,
    input  wire [PORTS-1:0]      s_axis_rx_tuser,

    input  wire [511:0]          s_axis_host_tdata,
    input  wire [63:0]           s_axis_host_tkeep,
    input  wire                  s_axis_host_tvalid,
    output wire                  s_axis_host_tready,
    input  wire                  s_axis_host_tlast,
    input  wire [4:0]            s_axis_host_tuser,

    // stored beats: {tkeep, tdata}
    output wire [575:0]          beat_dout,
    output wire                  beat_valid,
    input  wire                  beat_rd,

    // descriptors
    output wire [DESC_W-1:0]     desc_dout,
    output wire                  desc_valid,
    input  wire                  desc_rd,

    // counter event: a frame was received
    output wire                  ev_rx,
    output wire [3:0]            ev_rx_port,
    output wire [15:0]           ev_rx_len
);

localparam NSRC = PORTS + 1;

initial begin
    if (BEAT_DEPTH < MAX_BEATS) begin
        $error("ctnic_ingress: BEAT_DEPTH must hold one whole frame of MAX_BEATS");
        $finish;
    end
end

// ---- the selected source ---------------------------------------------------

// padded to 16 sources so a 4-bit source number indexes them
wire [511:0] src_tdata [0:15];
wire [63:0]  src_tkeep [0:15];
wire [15:0]  src_tvalid;
wire [15:0]  src_tlast;
wire [15:0]  src_bad;

genvar g;
generate
    for (g = 0; g < PORTS; g = g + 1) begin : g_src
        assign src_tdata[g] = s_axis_rx_tdata[g*512 +: 512];
        assign src_tkeep[g] = s_axis_rx_tkeep[g*64 +: 64];
        assign src_tvalid[g] = s_axis_rx_tvalid[g];
        assign src_tlast[g] = s_axis_rx_tlast[g];
        assign src_bad[g] = s_axis_rx_tuser[g];
    end
endgenerate
assign src_tdata[PORTS] = s_axis_host_tdata;
assign src_tkeep[PORTS] = s_axis_host_tkeep;
assign src_tvalid[PORTS] = s_axis_host_tvalid;
assign src_tlast[PORTS] = s_axis_host_tlast;
assign src_bad[PORTS] = 1'b0;
generate
    for (g = PORTS + 1; g < 16; g = g + 1) begin : g_none
        assign src_tdata[g] = 512'd0;
        assign src_tkeep[g] = 64'd0;
        assign src_tvalid[g] = 1'b0;
        assign src_tlast[g] = 1'b0;
        assign src_bad[g] = 1'b0;
    end
endgenerate

reg              active_reg = 1'b0;
reg [3:0]        src_reg = 4'd0;
reg [3:0]        rr_reg = 4'd0;   // next source to favour
reg [15:0]       beats_reg = 16'd0;
reg [15:0]       len_reg = 16'd0;
reg [1023:0]     hdr_reg = 1024'd0;
reg              bad_reg = 1'b0;
reg              disabled_reg = 1'b0;
reg [4:0]        inj_reg = 5'd0;

wire [511:0] sel_tdata = src_tdata[src_reg];
wire [63:0]  sel_tkeep = src_tkeep[src_reg];
wire         sel_tvalid = active_reg && src_tvalid[src_reg];
wire         sel_tlast = src_tlast[src_reg];
wire         sel_bad = src_bad[src_reg];

wire beat_full;
wire desc_full;
wire [$clog2(BEAT_DEPTH):0] beat_count_unused;
wire [$clog2(DESC_DEPTH):0] desc_count_unused;

wire store = beats_reg < MAX_BEATS;
wire sel_tready = active_reg && (!store || !beat_full) && !desc_full;
wire accept = sel_tvalid && sel_tready;

generate
    for (g = 0; g < PORTS; g = g + 1) begin : g_ready
        assign s_axis_rx_tready[g] = sel_tready && src_reg == g;
    end
endgenerate
assign s_axis_host_tready = sel_tready && src_reg == PORTS[3:0];

// ---- frame accounting -------------------------------------------------------

reg [6:0] keep_bytes;
reg [511:0] keep_mask;
integer k;

always @* begin
    keep_bytes = 7'd0;
    for (k = 0; k < 64; k = k + 1) begin
        keep_bytes = keep_bytes + {6'd0, sel_tkeep[k]};
        keep_mask[8*k +: 8] = {8{sel_tkeep[k]}};
    end
end

wire [16:0] len_sum = {1'b0, len_reg} + {10'd0, keep_bytes};
wire [15:0] len_new = len_sum[16] ? 16'hffff : len_sum[15:0];
wire [15:0] beats_new = beats_reg == 16'hffff ? beats_reg : beats_reg + 16'd1;
wire [1023:0] hdr_new = beats_reg == 16'd0 ? {512'd0, sel_tdata & keep_mask}
                      : beats_reg == 16'd1 ? {sel_tdata & keep_mask, hdr_reg[511:0]}
                      : hdr_reg;
wire bad_new = bad_reg || sel_bad;
wire oversize = beats_new > MAX_BEATS || len_new > MAX_BEATS * 64;
wire is_host = src_reg == PORTS[3:0];
wire [4:0] inj_new = beats_reg == 16'd0 ? s_axis_host_tuser : inj_reg;
wire disabled_new = beats_reg == 16'd0 ? !enable && !is_host : disabled_reg;
wire [3:0] port_out = is_host ? inj_new[3:0] : src_reg;

wire desc_push = accept && sel_tlast;
wire [DESC_W-1:0] desc_din = {hdr_new, len_new, beats_new, port_out,
                              is_host && inj_new[4], is_host, bad_new, disabled_new, oversize};

// Round-robin pick among the sources with a frame waiting, without idle
// clocks: at a frame's last beat the next source is picked at once, starting
// after the current one (which comes last: its tvalid still belongs to the
// beat being taken). A picked source none of whose beats has been taken yet
// is given up as soon as its tvalid is 0, so a source that has nothing more
// to send never holds the others.
wire        chain = accept && sel_tlast;
wire        repick = !active_reg || chain || (beats_reg == 16'd0 && !src_tvalid[src_reg]);
wire [3:0]  pick_start = chain ? (src_reg + 4'd1 == NSRC[3:0] ? 4'd0 : src_reg + 4'd1) : rr_reg;
reg [3:0]   pick;
reg         pick_valid;
integer s;
reg [4:0] c;

always @* begin
    pick = 4'd0;
    pick_valid = 1'b0;
    for (s = NSRC - 1; s >= 0; s = s - 1) begin
        c = {1'b0, pick_start} + s[4:0];
        if (c >= NSRC[4:0])
            c = c - NSRC[4:0];
        if (src_tvalid[c[3:0]]) begin
            pick = c[3:0];
            pick_valid = 1'b1;
        end
    end
end

always @(posedge clk) begin
    if (accept) begin
        beats_reg <= beats_new;
        len_reg <= len_new;
        hdr_reg <= hdr_new;
        bad_reg <= bad_new;
        disabled_reg <= disabled_new;
        inj_reg <= inj_new;
    end
    if (repick) begin
        active_reg <= pick_valid;
        if (pick_valid) begin
            src_reg <= pick;
            rr_reg <= {28'd0, pick} == NSRC - 1 ? 4'd0 : pick + 4'd1;
        end
        beats_reg <= 16'd0;
        len_reg <= 16'd0;
        bad_reg <= 1'b0;
    end

    if (rst) begin
        active_reg <= 1'b0;
        src_reg <= 4'd0;
        rr_reg <= 4'd0;
    end
end

assign ev_rx = desc_push;
assign ev_rx_port = is_host ? PORTS[3:0] : src_reg;
assign ev_rx_len = len_new;

ctnic_fifo #(.WIDTH(576), .DEPTH(BEAT_DEPTH)) beat_fifo (
    .clk(clk), .rst(rst),
    .din({sel_tkeep, sel_tdata}), .wr_en(accept && store), .full(beat_full),
    .count(beat_count_unused),
    .dout(beat_dout), .dout_valid(beat_valid), .rd_en(beat_rd)
);

ctnic_fifo #(.WIDTH(DESC_W), .DEPTH(DESC_DEPTH)) desc_fifo (
    .clk(clk), .rst(rst),
    .din(desc_din), .wr_en(desc_push), .full(desc_full),
    .count(desc_count_unused),
    .dout(desc_dout), .dout_valid(desc_valid), .rd_en(desc_rd)
);

endmodule

`resetall
