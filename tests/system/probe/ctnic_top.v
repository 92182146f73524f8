// ctnic_top (probe): a stand-in for the card with the contract's ports, the
// AXI4 master and the interrupt output of docs/rings.md, and nothing else.
// It proves ctnic-sim's shell: a DMA engine driven by registers writes a
// pattern into host RAM or reads and sums it, and IRQ_TEST raises the
// interrupt output. Test bench only; the real card is hw/ctnic_top.v.
//
// Registers (besides ID, VERSION, CTRL, IRQ_STATUS/ENABLE/TEST of the map):
//   0x3000/0x3004 DMA address lo/hi   0x3008 beats (1..256)
//   0x300c command: 1 write the pattern, 2 read and sum (starts the DMA)
//   0x3010 status: bit 0 busy, bits 2:1 worst response of the last burst
//   0x3014 sum of the 32-bit words read   0x3018 pattern seed
//   0x301c bytes kept in the last written beat (0: all 64)
// Pattern: word k (0..15) of beat b is seed + 16*b + k.

`resetall
`timescale 1ns / 1ps
`default_nettype none

module ctnic_top #
(
    // Network ports.
    parameter PORTS = 2
)
(
    input  wire                  clk,
    input  wire                  rst,

    input  wire [15:0]           s_axil_awaddr,
    input  wire                  s_axil_awvalid,
    output reg                   s_axil_awready,
    input  wire [31:0]           s_axil_wdata,
    input  wire [3:0]            s_axil_wstrb,
    input  wire                  s_axil_wvalid,
    output reg                   s_axil_wready,
    output wire [1:0]            s_axil_bresp,
    output reg                   s_axil_bvalid,
    input  wire                  s_axil_bready,
    input  wire [15:0]           s_axil_araddr,
    input  wire                  s_axil_arvalid,
    output reg                   s_axil_arready,
    output reg  [31:0]           s_axil_rdata,
    output wire [1:0]            s_axil_rresp,
    output reg                   s_axil_rvalid,
    input  wire                  s_axil_rready,

    input  wire [PORTS*512-1:0]  s_axis_rx_tdata,
    input  wire [PORTS*64-1:0]   s_axis_rx_tkeep,
    input  wire [PORTS-1:0]      s_axis_rx_tvalid,
    output wire [PORTS-1:0]      s_axis_rx_tready,
    input  wire [PORTS-1:0]      s_axis_rx_tlast,
    input  wire [PORTS-1:0]      s_axis_rx_tuser,
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
    input  wire [511:0]          s_axis_host_tdata,
    input  wire [63:0]           s_axis_host_tkeep,
    input  wire                  s_axis_host_tvalid,
    output wire                  s_axis_host_tready,
    input  wire                  s_axis_host_tlast,
    input  wire [4:0]            s_axis_host_tuser,
    output wire                  rx_enable,

    output reg  [3:0]            m_axi_awid,
    output reg  [63:0]           m_axi_awaddr,
    output reg  [7:0]            m_axi_awlen,
    output wire [2:0]            m_axi_awsize,
    output wire [1:0]            m_axi_awburst,
    output reg                   m_axi_awvalid,
    input  wire                  m_axi_awready,
    output reg  [511:0]          m_axi_wdata,
    output reg  [63:0]           m_axi_wstrb,
    output reg                   m_axi_wlast,
    output reg                   m_axi_wvalid,
    input  wire                  m_axi_wready,
    input  wire [3:0]            m_axi_bid,
    input  wire [1:0]            m_axi_bresp,
    input  wire                  m_axi_bvalid,
    output wire                  m_axi_bready,
    output reg  [3:0]            m_axi_arid,
    output reg  [63:0]           m_axi_araddr,
    output reg  [7:0]            m_axi_arlen,
    output wire [2:0]            m_axi_arsize,
    output wire [1:0]            m_axi_arburst,
    output reg                   m_axi_arvalid,
    input  wire                  m_axi_arready,
    input  wire [3:0]            m_axi_rid,
    input  wire [511:0]          m_axi_rdata,
    input  wire [1:0]            m_axi_rresp,
    input  wire                  m_axi_rlast,
    input  wire                  m_axi_rvalid,
    output wire                  m_axi_rready,

    output wire [3:0]            irq
);

localparam [2:0] S_IDLE = 3'd0, S_AW = 3'd1, S_W = 3'd2, S_B = 3'd3, S_AR = 3'd4, S_R = 3'd5;

reg [31:0] ctrl_reg, addr_lo_reg, addr_hi_reg, seed_reg, sum_reg;
reg [8:0]  beats_reg;
reg [6:0]  last_bytes_reg;
reg [3:0]  irq_status_reg, irq_enable_reg;
reg [2:0]  state_reg;
reg [1:0]  resp_reg;
reg [8:0]  beat_reg;
reg [15:0] awaddr_reg;
reg [31:0] wdata_reg;
reg        aw_seen_reg, w_seen_reg;

assign rx_enable = ctrl_reg[0];
assign irq = irq_status_reg & irq_enable_reg;

// Streams: frames are taken and dropped; nothing is sent.
assign s_axis_rx_tready = {PORTS{1'b1}};
assign m_axis_tx_tdata = {PORTS*512{1'b0}};
assign m_axis_tx_tkeep = {PORTS*64{1'b0}};
assign m_axis_tx_tvalid = {PORTS{1'b0}};
assign m_axis_tx_tlast = {PORTS{1'b0}};
assign m_axis_tx_tuser = {PORTS{1'b0}};
assign m_axis_host_tdata = 512'd0;
assign m_axis_host_tkeep = 64'd0;
assign m_axis_host_tvalid = 1'b0;
assign m_axis_host_tlast = 1'b0;
assign m_axis_host_tuser = 128'd0;
assign s_axis_host_tready = 1'b1;

assign s_axil_bresp = 2'b00;
assign s_axil_rresp = 2'b00;
assign m_axi_awsize = 3'd6;
assign m_axi_arsize = 3'd6;
assign m_axi_awburst = 2'b01;
assign m_axi_arburst = 2'b01;
assign m_axi_bready = 1'b1;
assign m_axi_rready = 1'b1;

// The pattern beat b: word k is seed + 16*b + k.
function [511:0] pattern(input [31:0] seed, input [8:0] b);
    integer j;
    begin
        pattern = 512'd0;
        for (j = 0; j < 16; j = j + 1)
            pattern[32*j +: 32] = seed + {19'd0, b, 4'd0} + j;
    end
endfunction

// Sum of the sixteen 32-bit words of a beat.
function [31:0] beat_sum(input [511:0] d);
    integer j;
    begin
        beat_sum = 32'd0;
        for (j = 0; j < 16; j = j + 1)
            beat_sum = beat_sum + d[32*j +: 32];
    end
endfunction

always @(posedge clk) begin
    s_axil_awready <= 1'b0;
    s_axil_wready <= 1'b0;
    s_axil_arready <= 1'b0;

    // AXI4-Lite: take address and data (in either order), then answer.
    if (s_axil_awvalid && !aw_seen_reg && !s_axil_awready) begin
        aw_seen_reg <= 1'b1;
        awaddr_reg <= s_axil_awaddr;
        s_axil_awready <= 1'b1;
    end
    if (s_axil_wvalid && !w_seen_reg && !s_axil_wready) begin
        w_seen_reg <= 1'b1;
        wdata_reg <= s_axil_wdata;
        s_axil_wready <= 1'b1;
    end
    if (aw_seen_reg && w_seen_reg && !s_axil_bvalid) begin
        aw_seen_reg <= 1'b0;
        w_seen_reg <= 1'b0;
        s_axil_bvalid <= 1'b1;
        case (awaddr_reg)
            16'h0010: ctrl_reg <= wdata_reg;
            16'h2100: irq_status_reg <= irq_status_reg & ~wdata_reg[3:0];
            16'h2104: irq_enable_reg <= wdata_reg[3:0];
            16'h2108: irq_status_reg <= irq_status_reg | wdata_reg[3:0];
            16'h3000: addr_lo_reg <= wdata_reg;
            16'h3004: addr_hi_reg <= wdata_reg;
            16'h3008: beats_reg <= wdata_reg[8:0];
            16'h3018: seed_reg <= wdata_reg;
            16'h301c: last_bytes_reg <= wdata_reg[6:0];
            16'h300c: if (state_reg == S_IDLE && beats_reg != 9'd0) begin
                resp_reg <= 2'b00;
                beat_reg <= 9'd0;
                sum_reg <= 32'd0;
                if (wdata_reg[1:0] == 2'd1) begin
                    m_axi_awid <= 4'd5;
                    m_axi_awaddr <= {addr_hi_reg, addr_lo_reg};
                    m_axi_awlen <= beats_reg[7:0] - 8'd1;
                    m_axi_awvalid <= 1'b1;
                    state_reg <= S_AW;
                end else if (wdata_reg[1:0] == 2'd2) begin
                    m_axi_arid <= 4'd9;
                    m_axi_araddr <= {addr_hi_reg, addr_lo_reg};
                    m_axi_arlen <= beats_reg[7:0] - 8'd1;
                    m_axi_arvalid <= 1'b1;
                    state_reg <= S_AR;
                end
            end
            default: ;
        endcase
    end
    if (s_axil_bvalid && s_axil_bready)
        s_axil_bvalid <= 1'b0;

    if (s_axil_arvalid && !s_axil_rvalid && !s_axil_arready) begin
        s_axil_arready <= 1'b1;
        s_axil_rvalid <= 1'b1;
        case (s_axil_araddr)
            16'h0000: s_axil_rdata <= 32'h43544e43;
            16'h0004: s_axil_rdata <= 32'h00000100;
            16'h0010: s_axil_rdata <= ctrl_reg;
            16'h2100: s_axil_rdata <= {28'd0, irq_status_reg};
            16'h2104: s_axil_rdata <= {28'd0, irq_enable_reg};
            16'h3010: s_axil_rdata <= {29'd0, resp_reg, state_reg != S_IDLE};
            16'h3014: s_axil_rdata <= sum_reg;
            default:  s_axil_rdata <= 32'd0;
        endcase
    end
    if (s_axil_rvalid && s_axil_rready)
        s_axil_rvalid <= 1'b0;

    // The DMA engine: one burst at a time.
    case (state_reg)
        S_AW: if (m_axi_awready) begin
            m_axi_awvalid <= 1'b0;
            m_axi_wdata <= pattern(seed_reg, 9'd0);
            m_axi_wstrb <= beats_reg == 9'd1 && last_bytes_reg != 7'd0 ?
                           ~(64'hffffffffffffffff << last_bytes_reg) : 64'hffffffffffffffff;
            m_axi_wlast <= beats_reg == 9'd1;
            m_axi_wvalid <= 1'b1;
            state_reg <= S_W;
        end
        S_W: if (m_axi_wready) begin
            if (m_axi_wlast) begin
                m_axi_wvalid <= 1'b0;
                state_reg <= S_B;
            end else begin
                beat_reg <= beat_reg + 9'd1;
                m_axi_wdata <= pattern(seed_reg, beat_reg + 9'd1);
                m_axi_wlast <= beat_reg + 9'd2 == beats_reg;
                m_axi_wstrb <= beat_reg + 9'd2 == beats_reg && last_bytes_reg != 7'd0 ?
                               ~(64'hffffffffffffffff << last_bytes_reg) : 64'hffffffffffffffff;
            end
        end
        S_B: if (m_axi_bvalid) begin
            resp_reg <= m_axi_bid == 4'd5 ? m_axi_bresp : 2'b10;
            state_reg <= S_IDLE;
        end
        S_AR: if (m_axi_arready) begin
            m_axi_arvalid <= 1'b0;
            state_reg <= S_R;
        end
        S_R: if (m_axi_rvalid) begin
            sum_reg <= sum_reg + beat_sum(m_axi_rdata);
            if (m_axi_rresp > resp_reg || m_axi_rid != 4'd9)
                resp_reg <= m_axi_rid != 4'd9 ? 2'b10 : m_axi_rresp;
            if (m_axi_rlast)
                state_reg <= S_IDLE;
        end
        default: ;
    endcase

    if (rst) begin
        ctrl_reg <= 32'd0;
        irq_status_reg <= 4'd0;
        irq_enable_reg <= 4'd0;
        state_reg <= S_IDLE;
        resp_reg <= 2'b00;
        aw_seen_reg <= 1'b0;
        w_seen_reg <= 1'b0;
        s_axil_bvalid <= 1'b0;
        s_axil_rvalid <= 1'b0;
        m_axi_awvalid <= 1'b0;
        m_axi_wvalid <= 1'b0;
        m_axi_arvalid <= 1'b0;
        beats_reg <= 9'd0;
        last_bytes_reg <= 7'd0;
        seed_reg <= 32'd0;
        sum_reg <= 32'd0;
        addr_lo_reg <= 32'd0;
        addr_hi_reg <= 32'd0;
    end
end

// Inputs a probe has no use for.
wire unused = ^{s_axil_wstrb, s_axis_rx_tdata, s_axis_rx_tkeep, s_axis_rx_tvalid, s_axis_rx_tlast,
                s_axis_rx_tuser, m_axis_tx_tready, m_axis_host_tready, s_axis_host_tdata,
                s_axis_host_tkeep, s_axis_host_tvalid, s_axis_host_tlast, s_axis_host_tuser};


endmodule

`resetall
