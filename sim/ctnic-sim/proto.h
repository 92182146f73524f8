/* proto.h - the simulator's side of the host protocol (sim_proto.h). */
#ifndef CTNIC_SIM_PROTO_SERVER_H
#define CTNIC_SIM_PROTO_SERVER_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "card.h"

/* One client connection's protocol state. */
struct Session {
	bool hello = false;
	unsigned version = 0; /* what HELLO asked for */
};

/* The shared-memory file that is the card's host RAM. */
struct HostMem {
	std::string path;
	size_t size = 0;
	void *base = nullptr;
};

/* The answer (without newline) to one request line (without newline). */
std::string proto_answer(Session &s, const std::string &line, Card &card, const HostMem &mem);

/* The longest line (newline included) a request starting this way may have. */
size_t proto_line_max(const std::string &start);

/* Set by SIGTERM/SIGINT: a long RUN stops early. */
extern volatile int proto_stop;
/* EV lines sent so far (their sequence numbers, version 3): HELLO 3 names it. */
extern uint64_t proto_ev_seq;

#endif /* CTNIC_SIM_PROTO_SERVER_H */
