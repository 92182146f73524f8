/*
 * sim_proto.h - the host-side protocol of ctnic-sim, shared by the simulator
 * (sim/ctnic-sim) and libctnic's sim backend (driver/src/sim.c). The prose
 * is in docs/simulator.md.
 *
 * One UNIX stream socket, text lines ending in '\n', at most
 * CTNIC_SIM_LINE_MAX bytes with the newline (a FEED line:
 * CTNIC_SIM_FEED_LINE_MAX). The client sends requests; the simulator
 * answers every request with exactly one line, in order:
 *
 *   HELLO <version>        OK ctnic-sim <version> mem <path> <bytes> [ev <n>]   (ev: version 3)
 *   R <offset>             OK <value>            (BAR0 read, value as 0x%08x)
 *   W <offset> <value>     OK                    (BAR0 write)
 *   STATUS                 OK cycle <n> inputs <frames left> busy <0|1> rx_enable <0|1>
 *   RESET                  OK                    (version 2: pulses the card's rst as at power-on)
 *   FEED <port> <hex>      OK cycle <n>          (version 3: queues one frame on the port's MAC input)
 *   RUN <cycles>           OK cycle <n>          (version 3: runs exactly that many clock cycles)
 *
 * Numbers are decimal or 0x-hex. HELLO must come first: it fixes the
 * protocol version and names the shared-memory file that is the card's host
 * RAM. The simulator speaks versions CTNIC_SIM_PROTO_MIN_VERSION to
 * CTNIC_SIM_PROTO_VERSION and answers HELLO with the version asked; version
 * 2 added RESET, version 3 FEED, RUN and numbered EV lines. Without live
 * ports every request is served once the card is quiet (frames through, DMA
 * done, 256 cycles without movement) and answered once it is quiet again,
 * after the EV lines of the interrupts it raised: when a client has an
 * answer, host RAM holds all the request did. RESET puts the RTL back to
 * its reset state (every register at its reset value, rings off); host RAM,
 * queued input frames and the cycle count's meaning stay (the count
 * restarts at 0). A request that cannot be served is answered
 *
 *   ERR <code> <message>
 *
 * with code one of CTNIC_SIM_ERR_*; the connection stays usable. Lines from
 * the simulator that start with "EV " are notifications, not answers; a
 * client skips those it does not know. Each rising edge of the card's
 * interrupt output bit i sends
 *
 *   EV irq <i>            (version 3: EV irq <i> <seq>, seq numbering EV lines from 1)
 *
 * to every client that has said HELLO. HELLO 3's "ev <n>" is the last seq
 * sent before it: that connection gets those after n.
 */
#ifndef CTNIC_SIM_PROTO_H
#define CTNIC_SIM_PROTO_H

#define CTNIC_SIM_PROTO_VERSION 3     /* the newest: what libctnic asks for */
#define CTNIC_SIM_PROTO_MIN_VERSION 1 /* the oldest still served (no RESET) */
#define CTNIC_SIM_LINE_MAX 256
/*
 * FEED (version 3): frame bytes 1..9216 (the card's MAX_BEATS * 64), so its line may be longer.
 * A frame shorter than an Ethernet header is the card's to drop (CNT_DROP[RUNT]), as from --in.
 */
#define CTNIC_SIM_FEED_FRAME_MIN 1
#define CTNIC_SIM_FEED_FRAME_MAX 9216
#define CTNIC_SIM_FEED_LINE_MAX (2 * CTNIC_SIM_FEED_FRAME_MAX + 32)
/* RUN (version 3): cycles at most in one request. */
#define CTNIC_SIM_RUN_MAX_CYCLES (1ull << 32)

#define CTNIC_SIM_ERR_SYNTAX  "syntax"   /* not a request of this version */
#define CTNIC_SIM_ERR_VERSION "version"  /* HELLO with a version this sim does not speak */
#define CTNIC_SIM_ERR_HELLO   "hello"    /* a request before HELLO */
#define CTNIC_SIM_ERR_RANGE   "range"    /* offset not 4-byte aligned or outside BAR0 */
#define CTNIC_SIM_ERR_BUS     "bus"      /* the RTL did not answer the AXI4-Lite access */
#define CTNIC_SIM_ERR_LONG    "long"     /* line longer than CTNIC_SIM_LINE_MAX; it was discarded */
#define CTNIC_SIM_ERR_BUSY    "busy"     /* too many clients: sent once, then the connection is closed */
#define CTNIC_SIM_ERR_STOPPING "stopping" /* a RUN cut short: ctnic-sim got SIGTERM/SIGINT */

/* Interrupt vectors a client can be told about (bits of the card's irq output). */
#define CTNIC_SIM_IRQ_VECTORS 8

/* Host RAM (the shared-memory file) when --host-mem is not given: 16 MiB. */
#define CTNIC_SIM_HOST_MEM_DEFAULT (16u << 20)

#endif /* CTNIC_SIM_PROTO_H */
