/*
 * ctnic_egress - sends the decided frames in order: pops each frame's beats
 * from the beat FIFO and passes them to a network port, to the host (with
 * the punt descriptor on tuser of the first beat) or nowhere (a drop).
 * Beat 0 may be replaced by the engine's rewritten first beat.
 *
 * Valid/ready on every output; a stalled output holds the frame (and, behind
 * it, the FIFOs) until it takes it.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module ctnic_egress #
(
    // Network ports
    parameter PORTS = 2
)
(
    input  wire                  clk,
    input  wire                  rst,

    // the next job
    input  wire                  job_valid,
    output wire                  job_ready,
    input  wire [1:0]            job_kind,     // 0 port, 1 host, 2 drop
    input  wire [3:0]            job_port,
    input  wire [15:0]           job_beats,    // beats stored in the FIFO
    input  wire [15:0]           job_len,      // frame bytes (TX counters)
    input  wire                  job_replace,  // send job_beat0 instead of beat 0
    input  wire [511:0]          job_beat0,
    input  wire [127:0]          job_desc,

    // stored beats {tkeep, tdata}
    input  wire [575:0]          beat_dout,
    input  wire                  beat_valid,
    output wire                  beat_rd,

    output wire [PORTS*512-1:0]  m_axis_tx_tdata,
    output wire [PORTS*64-1:0]   m_axis_tx_tkeep,
    output wire [PORTS-1:0]      m_axis_tx_tvalid,
    input  wire [PORTS-1:0]      m_axis_tx_tready,
    output wire [PORTS-1:0]      m_axis_tx_tlast,
    output wire [PORTS-1:0]      m_axis_tx_tuser,

    output wire [511:0]          m_axis_host_tdata,
    output wire [63:0]           m_axis_host_tkeep,
    output wire                  m_axis_host_tvalid,
    input  wire                  m_axis_host_tready,
    output wire                  m_axis_host_tlast,
    output wire [127:0]          m_axis_host_tuser,

    output wire                  ev_tx,
    output wire [3:0]            ev_tx_port,
    output wire [15:0]           ev_tx_len
);

localparam KIND_PORT = 2'd0;
localparam KIND_HOST = 2'd1;
localparam JOB_W = 2 + 4 + 16 + 16 + 1 + 512 + 128;

// Jobs wait in a small FIFO so the engine never waits for a frame's beats;
// the head job and the head beat together make one output beat, and the
// next job's first beat follows the last beat of one job in the next clock.
wire [JOB_W-1:0] jq;
wire             jq_valid;
wire             jq_full;
wire [2:0]       jq_count_unused;
wire             jq_rd;

assign job_ready = !jq_full;

ctnic_fifo #(.WIDTH(JOB_W), .DEPTH(4)) job_fifo (
    .clk(clk), .rst(rst),
    .din({job_kind, job_port, job_beats, job_len, job_replace, job_beat0, job_desc}),
    .wr_en(job_valid && !jq_full), .full(jq_full), .count(jq_count_unused),
    .dout(jq), .dout_valid(jq_valid), .rd_en(jq_rd)
);

wire [1:0]   kind = jq[JOB_W-1 -: 2];
wire [3:0]   port = jq[JOB_W-3 -: 4];
wire [15:0]  beats = jq[JOB_W-7 -: 16];
wire [15:0]  len = jq[JOB_W-23 -: 16];
wire         replace = jq[JOB_W-39];
wire [511:0] beat0 = jq[128 +: 512];
wire [127:0] desc = jq[127:0];

reg [15:0] idx_reg = 16'd0;   // beat of the head job

wire first = idx_reg == 16'd0;
wire last = idx_reg + 16'd1 == beats;
wire [511:0] out_data = first && replace ? beat0 : beat_dout[511:0];
wire [63:0] out_keep = beat_dout[575:512];
wire out_valid = jq_valid && beat_valid;

wire [15:0] tx_tready16 = {{(16-PORTS){1'b0}}, m_axis_tx_tready};
wire out_ready = kind == KIND_HOST ? m_axis_host_tready
               : kind == KIND_PORT ? tx_tready16[port]
               : 1'b1;
wire fire = out_valid && out_ready;

assign beat_rd = fire;
assign jq_rd = fire && last;

genvar g;
generate
    for (g = 0; g < PORTS; g = g + 1) begin : g_tx
        assign m_axis_tx_tdata[g*512 +: 512] = out_data;
        assign m_axis_tx_tkeep[g*64 +: 64] = out_keep;
        assign m_axis_tx_tvalid[g] = out_valid && kind == KIND_PORT && port == g;
        assign m_axis_tx_tlast[g] = last;
        assign m_axis_tx_tuser[g] = 1'b0;
    end
endgenerate

assign m_axis_host_tdata = out_data;
assign m_axis_host_tkeep = out_keep;
assign m_axis_host_tvalid = out_valid && kind == KIND_HOST;
assign m_axis_host_tlast = last;
assign m_axis_host_tuser = first ? desc : 128'd0;

// TX counters count a frame with its first beat
assign ev_tx = fire && first && kind != 2'd2;
assign ev_tx_port = kind == KIND_HOST ? PORTS[3:0] : port;
assign ev_tx_len = len;

always @(posedge clk) begin
    if (fire)
        idx_reg <= last ? 16'd0 : idx_reg + 16'd1;

    if (rst) begin
        idx_reg <= 16'd0;
    end
end

endmodule

`resetall
