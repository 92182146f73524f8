/*
 * ctnic_egress - sends one decided frame at a time: pops the frame's beats
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

reg          active_reg = 1'b0;
reg [1:0]    kind_reg = 2'd0;
reg [3:0]    port_reg = 4'd0;
reg [15:0]   beats_reg = 16'd0;
reg [15:0]   idx_reg = 16'd0;
reg          replace_reg = 1'b0;
reg [511:0]  beat0_reg;
reg [127:0]  desc_reg;

wire [15:0] tx_tready16 = {{(16-PORTS){1'b0}}, m_axis_tx_tready};
wire first = idx_reg == 16'd0;
wire last = idx_reg + 16'd1 == beats_reg;
wire [511:0] out_data = first && replace_reg ? beat0_reg : beat_dout[511:0];
wire [63:0] out_keep = beat_dout[575:512];
wire out_valid = active_reg && beat_valid;

wire out_ready = kind_reg == KIND_HOST ? m_axis_host_tready
               : kind_reg == KIND_PORT ? tx_tready16[port_reg]
               : 1'b1;
wire fire = out_valid && out_ready;

assign beat_rd = fire;
assign job_ready = !active_reg;

genvar g;
generate
    for (g = 0; g < PORTS; g = g + 1) begin : g_tx
        assign m_axis_tx_tdata[g*512 +: 512] = out_data;
        assign m_axis_tx_tkeep[g*64 +: 64] = out_keep;
        assign m_axis_tx_tvalid[g] = out_valid && kind_reg == KIND_PORT && port_reg == g;
        assign m_axis_tx_tlast[g] = last;
        assign m_axis_tx_tuser[g] = 1'b0;
    end
endgenerate

assign m_axis_host_tdata = out_data;
assign m_axis_host_tkeep = out_keep;
assign m_axis_host_tvalid = out_valid && kind_reg == KIND_HOST;
assign m_axis_host_tlast = last;
assign m_axis_host_tuser = first ? desc_reg : 128'd0;

wire start = job_valid && !active_reg;

assign ev_tx = start && job_kind != 2'd2;
assign ev_tx_port = job_kind == KIND_HOST ? PORTS[3:0] : job_port;
assign ev_tx_len = job_len;

always @(posedge clk) begin
    if (start) begin
        active_reg <= job_beats != 16'd0;
        kind_reg <= job_kind;
        port_reg <= job_port;
        beats_reg <= job_beats;
        idx_reg <= 16'd0;
        replace_reg <= job_replace;
        beat0_reg <= job_beat0;
        desc_reg <= job_desc;
    end else if (fire) begin
        idx_reg <= idx_reg + 16'd1;
        if (last)
            active_reg <= 1'b0;
    end

    if (rst) begin
        active_reg <= 1'b0;
    end
end

endmodule

`resetall
