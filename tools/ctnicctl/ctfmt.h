/*
 * ctfmt.h - ctnicd's answers (docs/daemon.md "The control socket") printed
 * in formats people already know. ctnic-replay and ctnicctl print the same
 * JSON the same way:
 *
 *   connections   Linux `conntrack -L` lines
 *   events        Linux `conntrack -E` lines ([NEW], [UPDATE], [DESTROY])
 *   statistics    `NAME = VALUE` lines as sysctl -a prints them, or the
 *                 Prometheus text exposition format (version 0.0.4)
 *
 * Each function writes to f and never fails on a missing field: what the
 * daemon did not send is left out of the line.
 */
#ifndef CTNIC_CTFMT_H
#define CTNIC_CTFMT_H

#include <stdio.h>

#include <cjson/cJSON.h>

/*
 * One connection of a "conn list" answer as conntrack -L prints it:
 *   tcp      6 58 CLOSE_WAIT src=192.0.2.10 dst=198.51.100.80 sport=40000 dport=80 packets=4 bytes=250
 *   src=203.0.113.5 dst=192.0.2.10 sport=8080 dport=40000 packets=3 bytes=220 [ASSURED] [HW_OFFLOAD]
 * (one line). [HW_OFFLOAD] is Linux's flag for a flow in hardware: the card
 * has it. Counters are the card's and appear only for a flow in the card.
 */
void ctnic_fmt_conn(FILE *f, const cJSON *conn);

/* Every connection of a "conn list" result, then conntrack's closing line ("PROG: N flow entries have been shown.") on stderr_f (may be NULL). */
void ctnic_fmt_conns(FILE *f, FILE *stderr_f, const char *prog, const cJSON *result);

/*
 * One event of an "events" answer as conntrack -E prints it:
 *   "    [NEW] tcp      6 SYN_SENT src=..."; a DESTROY ends with its cause, "(expired)".
 * The event's connection fields are inline (docs/daemon.md) or under "conn".
 */
void ctnic_fmt_event(FILE *f, const cJSON *event);

/* A "stats" result as `name = value` lines (card.port0.rx_packets = 6). */
void ctnic_fmt_stats_text(FILE *f, const cJSON *result);

/* A "stats" result in the Prometheus text format (metric names ctnic_...). */
void ctnic_fmt_stats_prometheus(FILE *f, const cJSON *result);

#endif /* CTNIC_CTFMT_H */
