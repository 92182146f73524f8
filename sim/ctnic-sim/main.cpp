/*
 * ctnic-sim - the Verilator model of the ctnic card as a process of its own
 * (docs/simulator.md).
 *
 * Host side: a UNIX socket carrying BAR0 accesses (sim_proto.h) and a
 * shared-memory file that is the card's host RAM. Network side: one input
 * and one output pcap per port, and the host path (punted frames) as pcap.
 * The clock runs only while there is work (a BAR0 access, frames to feed, or
 * frames still moving), so a run depends on its inputs and on the order of
 * host requests, never on the machine's speed.
 */
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <functional>
#include <getopt.h>
#include <memory>
#include <pcap/pcap.h>
#include <poll.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

#include "../../driver/include/ctnic_regs.h"
#include "card.h"
#include "port_live.h"
#include "proto.h"
#include "sim_proto.h"

namespace {

/*
 * Live ports: cycles run between two looks at the sockets and ports. While
 * a client is talking to the card (a request served within the last
 * REQUEST_WINDOW cycles) the looks come every CYCLES_AFTER_REQUEST cycles,
 * so a client that waits for each answer before its next request (libctnic
 * does) is not held up for CYCLES_PER_POLL cycles (~1.6 ms of wall time) per
 * access; otherwise every CYCLES_PER_POLL, which keeps the idle clock rate
 * (docs/simulator.md, "Live ports").
 */
constexpr unsigned CYCLES_PER_POLL = 256;
constexpr unsigned CYCLES_AFTER_REQUEST = 16;
constexpr uint64_t REQUEST_WINDOW = 256;
/*
 * Live ports: a request reaches the card at least HOST_LATENCY cycles after
 * the card last wrote host RAM (on PCIe a host's register access takes ~1 us,
 * 250 cycles, to arrive after the write it reacts to): the card finishes
 * what it published there (the DMA engine writes a ring's index to host RAM
 * a few cycles before its own register holds it, and a RING_CONS up to the
 * new index written in between would be refused as RING_ERR_DOORBELL).
 */
constexpr uint64_t HOST_LATENCY = 16;
/* Bytes read from one client in one turn at most (every complete line in them is served). */
constexpr size_t CLIENT_READ_MAX = 65536;
/* Without live ports: cycles between two looks at SIGTERM/SIGINT while running until quiet. */
constexpr uint64_t QUIET_SIGNAL_CHECK = 65536;
constexpr size_t MAX_CLIENTS = 16;
constexpr int DLT_PUNT = DLT_USER0; /* host-desc file: 16-byte descriptor + frame */
constexpr uint64_t NS_PER_CYCLE = 4; /* 250 MHz */
/*
 * Live ports: frames read per port per look, and frames waiting in a port's
 * MAC queue at most. While the queue is full the port's fd is left out of
 * poll, so frames wait in the kernel (the TAP's queue, the AF_PACKET
 * socket's buffer), as behind a MAC that sends PAUSE: nothing read is dropped.
 */
constexpr size_t LIVE_RX_BATCH = 64;
constexpr size_t LIVE_RX_QUEUE = 1024;

int sig_pipe[2] = { -1, -1 };

void on_signal(int)
{
	char c = 1;
	proto_stop = 1;
	ssize_t r = write(sig_pipe[1], &c, 1);
	(void)r;
}

struct Options {
	std::string socket, mem_path, vcd, host, host_desc;
	size_t mem_size = CTNIC_SIM_HOST_MEM_DEFAULT;
	std::string in[CARD_PORTS], out[CARD_PORTS];
	std::string tap[CARD_PORTS], iface[CARD_PORTS]; /* live ports (port_live.h) */
	uint64_t pace = 0;
	bool exit_when_done = false;
	bool realtime = false;
};

/*
 * --realtime: device time follows the wall clock. The card's own cycles give
 * ticks at TICK_PERIOD; what they fall short of the wall clock since the
 * anchor (start, or the last change of TICK_PERIOD) is added through
 * TICK_ADVANCE, by the shell's own BAR0 accesses: at most one per round.
 */
struct Realtime {
	bool on = false;
	uint64_t anchor_ns = 0;     /* wall (CLOCK_MONOTONIC) at the anchor */
	uint64_t anchor_clock = 0;  /* Card::clocks() at the anchor */
	uint64_t period = 0;        /* TICK_PERIOD as read; 0: the tick is stopped */
	uint64_t added = 0;         /* ticks written to TICK_ADVANCE since the anchor */
	uint64_t changes = ~0ull;   /* Card::tick_period_changes() when TICK_PERIOD was read */
	uint64_t last_ns = 0;       /* wall at the last look */
	uint64_t writes = 0;        /* TICK_ADVANCE writes, for the exit line */
};

/* An output pcap, written as PATH.tmp and renamed to PATH when complete. */
struct Dump {
	std::string path;
	pcap_t *dead = nullptr;
	pcap_dumper_t *d = nullptr;
	uint64_t frames = 0;
};

struct Client {
	int fd;
	std::string buf;
	bool discarding = false; /* inside an overlong line */
	Session s;
	bool dead = false; /* could not take an EV line: closed by the main loop */
};

void usage(FILE *f)
{
	fprintf(f,
		"usage: ctnic-sim --socket PATH [options]\n"
		"  --socket PATH         UNIX socket for the host (libctnic URI sim:PATH)\n"
		"  --host-mem PATH       shared-memory file that is host RAM (default PATH.mem)\n"
		"  --host-mem-size N     its size in bytes (default %u)\n"
		"  --in P=FILE           feed port P from pcap FILE while the card's rx_enable is 1\n"
		"  --out P=FILE          write what port P transmits to pcap FILE\n"
		"  --tap P=NAME          attach port P to TAP device NAME (created if missing; docs/live.md)\n"
		"  --iface P=NAME        attach port P to the existing interface NAME (AF_PACKET)\n"
		"                        with a live port the clock runs all the time\n"
		"  --host FILE           write punted frames to pcap FILE (Ethernet)\n"
		"  --host-desc FILE      write punted frames with their 16-byte descriptor (DLT_USER0)\n"
		"  --pace N              at least N clock cycles from one frame's start to the next per port\n"
		"  --vcd FILE            write a VCD waveform of the whole run\n"
		"  --realtime            device time follows the wall clock (TICK_ADVANCE adds what\n"
		"                        the cycles do not give): for live ports; outputs then\n"
		"                        depend on wall time\n"
		"  --exit-when-done      exit once every input is fed, the pipeline is drained\n"
		"                        and no host client is connected\n"
		"  --help                this text\n"
		"ports: 0..%u. Output timestamps are the card's clock: %llu ns per cycle.\n",
		CTNIC_SIM_HOST_MEM_DEFAULT, CARD_PORTS - 1, (unsigned long long)NS_PER_CYCLE);
}

bool port_file(const char *arg, std::string *files, const char *opt)
{
	char *end;
	unsigned long p = strtoul(arg, &end, 10);

	if (end == arg || *end != '=' || !end[1] || p >= CARD_PORTS) {
		fprintf(stderr, "ctnic-sim: %s %s: give P=FILE with P in 0..%u\n", opt, arg, CARD_PORTS - 1);
		return false;
	}
	files[p] = end + 1;
	return true;
}

bool parse_options(int argc, char **argv, Options *o)
{
	enum { O_SOCKET = 256, O_MEM, O_MEMSZ, O_IN, O_OUT, O_HOST, O_HOSTD, O_PACE, O_VCD, O_EXIT, O_HELP, O_TAP, O_IFACE, O_REALTIME };
	static const struct option opts[] = {
		{ "socket", required_argument, nullptr, O_SOCKET },
		{ "host-mem", required_argument, nullptr, O_MEM },
		{ "host-mem-size", required_argument, nullptr, O_MEMSZ },
		{ "in", required_argument, nullptr, O_IN },
		{ "out", required_argument, nullptr, O_OUT },
		{ "tap", required_argument, nullptr, O_TAP },
		{ "iface", required_argument, nullptr, O_IFACE },
		{ "host", required_argument, nullptr, O_HOST },
		{ "host-desc", required_argument, nullptr, O_HOSTD },
		{ "pace", required_argument, nullptr, O_PACE },
		{ "vcd", required_argument, nullptr, O_VCD },
		{ "exit-when-done", no_argument, nullptr, O_EXIT },
		{ "realtime", no_argument, nullptr, O_REALTIME },
		{ "help", no_argument, nullptr, O_HELP },
		{ nullptr, 0, nullptr, 0 },
	};
	int c;
	char *end;

	while ((c = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
		switch (c) {
		case O_SOCKET: o->socket = optarg; break;
		case O_MEM: o->mem_path = optarg; break;
		case O_MEMSZ:
			o->mem_size = strtoull(optarg, &end, 0);
			if (*end || o->mem_size < 4096 || o->mem_size % 4096) {
				fprintf(stderr, "ctnic-sim: --host-mem-size %s: give a multiple of 4096 bytes\n", optarg);
				return false;
			}
			break;
		case O_IN: if (!port_file(optarg, o->in, "--in")) return false; break;
		case O_OUT: if (!port_file(optarg, o->out, "--out")) return false; break;
		case O_TAP: if (!port_file(optarg, o->tap, "--tap")) return false; break;
		case O_IFACE: if (!port_file(optarg, o->iface, "--iface")) return false; break;
		case O_HOST: o->host = optarg; break;
		case O_HOSTD: o->host_desc = optarg; break;
		case O_PACE:
			o->pace = strtoull(optarg, &end, 0);
			if (*end || !*optarg) {
				fprintf(stderr, "ctnic-sim: --pace %s: give a number of clock cycles\n", optarg);
				return false;
			}
			break;
		case O_VCD: o->vcd = optarg; break;
		case O_EXIT: o->exit_when_done = true; break;
		case O_REALTIME: o->realtime = true; break;
		case O_HELP: usage(stdout); exit(0);
		default: usage(stderr); return false;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ctnic-sim: unexpected argument '%s'\n", argv[optind]);
		return false;
	}
	if (o->socket.empty()) {
		fprintf(stderr, "ctnic-sim: --socket PATH is required (see --help)\n");
		return false;
	}
	if (o->socket.size() + 5 >= sizeof(((struct sockaddr_un *)nullptr)->sun_path)) {
		fprintf(stderr, "ctnic-sim: --socket %s: too long for a UNIX socket path\n", o->socket.c_str());
		return false;
	}
	if (o->mem_path.empty())
		o->mem_path = o->socket + ".mem";
	for (unsigned p = 0; p < CARD_PORTS; p++) {
		if (!o->tap[p].empty() && !o->iface[p].empty()) {
			fprintf(stderr, "ctnic-sim: port %u: give --tap or --iface, not both\n", p);
			return false;
		}
		if ((!o->tap[p].empty() || !o->iface[p].empty()) && o->exit_when_done) {
			fprintf(stderr, "ctnic-sim: --exit-when-done with a live port (port %u): a live network is never done; stop it with SIGTERM\n", p);
			return false;
		}
	}
	return true;
}

bool load_input(Card &card, unsigned port, const std::string &path)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path.c_str(), eb);
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	if (!p) {
		fprintf(stderr, "ctnic-sim: input of port %u: %s\n", port, eb);
		return false;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		fprintf(stderr, "ctnic-sim: input of port %u: %s is not an Ethernet capture (link type %d)\n",
			port, path.c_str(), pcap_datalink(p));
		pcap_close(p);
		return false;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		if (h->caplen != h->len) {
			fprintf(stderr, "ctnic-sim: input of port %u: %s holds a frame cut to %u of %u bytes: capture with a larger snap length\n",
				port, path.c_str(), h->caplen, h->len);
			pcap_close(p);
			return false;
		}
		card.queue_rx(port, std::vector<uint8_t>(data, data + h->caplen));
	}
	if (rc == -1)
		fprintf(stderr, "ctnic-sim: input of port %u: %s: %s\n", port, path.c_str(), pcap_geterr(p));
	pcap_close(p);
	return rc != -1;
}

bool open_dump(Dump *d, const std::string &path, int dlt)
{
	std::string tmp = path + ".tmp";

	d->path = path;
	d->dead = pcap_open_dead_with_tstamp_precision(dlt, 65535, PCAP_TSTAMP_PRECISION_NANO);
	if (!d->dead || !(d->d = pcap_dump_open(d->dead, tmp.c_str()))) {
		fprintf(stderr, "ctnic-sim: cannot write %s: %s\n", tmp.c_str(),
			d->dead ? pcap_geterr(d->dead) : "pcap_open_dead failed");
		return false;
	}
	return true;
}

void write_frame(Dump &d, uint64_t cycle, const uint8_t *hdr, size_t hlen, const std::vector<uint8_t> &f)
{
	if (!d.d)
		return;
	uint64_t ns = cycle * NS_PER_CYCLE;
	struct pcap_pkthdr h = {};
	std::vector<uint8_t> buf(hdr, hdr + hlen);

	buf.insert(buf.end(), f.begin(), f.end());
	h.ts.tv_sec = (time_t)(ns / 1000000000u);
	h.ts.tv_usec = (suseconds_t)(ns % 1000000000u); /* nanoseconds: the file is nano-precision */
	h.caplen = h.len = (bpf_u_int32)buf.size();
	pcap_dump((u_char *)d.d, &h, buf.data());
	d.frames++;
}

bool close_dump(Dump &d)
{
	if (!d.d)
		return true;
	pcap_dump_close(d.d);
	pcap_close(d.dead);
	d.d = nullptr;
	if (rename((d.path + ".tmp").c_str(), d.path.c_str()) < 0) {
		fprintf(stderr, "ctnic-sim: rename %s.tmp to %s: %s\n", d.path.c_str(), d.path.c_str(), strerror(errno));
		return false;
	}
	return true;
}

bool map_host_mem(HostMem *m, const Options &o)
{
	int fd = open(o.mem_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	m->path = o.mem_path;
	m->size = o.mem_size;
	if (fd < 0 || ftruncate(fd, (off_t)m->size) < 0) {
		fprintf(stderr, "ctnic-sim: host memory %s: %s\n", m->path.c_str(), strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	m->base = mmap(nullptr, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m->base == MAP_FAILED) {
		m->base = nullptr;
		fprintf(stderr, "ctnic-sim: mmap host memory %s: %s\n", m->path.c_str(), strerror(errno));
		return false;
	}
	return true;
}

/* Listens on path: bound under a temporary name and renamed, so the path appears ready. */
int listen_on(const std::string &path)
{
	struct sockaddr_un sa = {};
	std::string tmp = path + ".tmp";
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sun_family = AF_UNIX;
	if (fd < 0) {
		perror("ctnic-sim: socket");
		return -1;
	}
	/* Refuse to steal a socket that a live simulator still serves. */
	memcpy(sa.sun_path, path.c_str(), path.size() + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		fprintf(stderr, "ctnic-sim: %s is served by another running ctnic-sim: stop it or pick another --socket\n",
			path.c_str());
		close(fd);
		return -1;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memcpy(sa.sun_path, tmp.c_str(), tmp.size() + 1);
	unlink(tmp.c_str());
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0 ||
	    rename(tmp.c_str(), path.c_str()) < 0) {
		fprintf(stderr, "ctnic-sim: listen on %s: %s\n", path.c_str(), strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp.c_str());
		return -1;
	}
	return fd;
}

/*
 * Sends a whole answer. A client that stops reading while its answers pile
 * up must not stall the card: after 2 s without room it is given up (false).
 */
bool send_all(int fd, const std::string &s)
{
	size_t done = 0;

	while (done < s.size()) {
		ssize_t n = send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { fd, POLLOUT, 0 };
			if (poll(&p, 1, 2000) <= 0)
				return false;
			continue;
		}
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

/*
 * Answers each complete line in c.buf, in order; *served counts them. false:
 * the client is gone. quiet: run the card until it is quiet before each
 * request and before its answer (without live ports), so the cycle a
 * request is served at depends on the requests, not on how they were cut
 * into reads or when they came. flush_irqs sends the EV lines of interrupts
 * raised so far.
 */
bool serve_lines(Client &c, Card &card, const HostMem &mem, bool quiet, const std::function<void()> &flush_irqs,
		 uint64_t *served)
{
	for (;;) {
		size_t nl = c.buf.find('\n');
		/* A FEED line may be longer than the others (sim_proto.h). */
		size_t max = proto_line_max(c.buf);
		if (nl == std::string::npos) {
			if (c.buf.size() >= max) {
				if (!c.discarding &&
				    !send_all(c.fd, std::string("ERR ") + CTNIC_SIM_ERR_LONG + " line longer than " +
							    std::to_string(max) +
							    " bytes: discarded up to its newline\n"))
					return false;
				c.discarding = true;
				c.buf.clear();
			}
			return true;
		}
		std::string line = c.buf.substr(0, nl);
		c.buf.erase(0, nl + 1);
		if (c.discarding) {
			c.discarding = false;
			continue;
		}
		if (line.size() >= max) {
			if (!send_all(c.fd, std::string("ERR ") + CTNIC_SIM_ERR_LONG + " line longer than " +
						    std::to_string(max) + " bytes\n"))
				return false;
			continue;
		}
		if (!line.empty() && line.back() == '\r')
			line.pop_back();
		while (quiet && card.busy())
			card.step();
		std::string ans = proto_answer(c.s, line, card, mem) + "\n";
		/*
		 * The answer goes out once the card is quiet again, after the
		 * interrupts it raised: when a client has it, host RAM holds all the
		 * request did, and the EV lines came first (libctnic counts them
		 * before it returns, docs/simulator.md).
		 */
		while (quiet && card.busy())
			card.step();
		flush_irqs();
		(*served)++;
		if (!send_all(c.fd, ans))
			return false;
	}
}

/*
 * Reads what a client had sent when this turn began (the bytes waiting
 * then, FIONREAD, up to CLIENT_READ_MAX) and answers every complete line in
 * it, in order (serve_lines). What it sends meanwhile waits for the next
 * turn: a client that answers each answer at once with its next request
 * does not keep the clock stopped. false: the client is gone.
 */
bool serve_client(Client &c, Card &card, const HostMem &mem, bool quiet, const std::function<void()> &flush_irqs,
		  uint64_t *served)
{
	char buf[4096];
	int waiting = 0;

	if (ioctl(c.fd, FIONREAD, &waiting) < 0 || waiting <= 0)
		waiting = 1; /* nothing: recv tells end of file or error */
	for (size_t left = std::min((size_t)waiting, CLIENT_READ_MAX); left > 0;) {
		ssize_t n = recv(c.fd, buf, std::min(sizeof(buf), left), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0)
			return false;
		left -= (size_t)n;
		c.buf.append(buf, (size_t)n);
		if (!serve_lines(c, card, mem, quiet, flush_irqs, served))
			return false;
	}
	return true;
}

/*
 * Sends "EV irq <i>" for each interrupt edge to every client past HELLO
 * (version 3: "EV irq <i> <seq>", seq counting every EV from 1); marks those
 * that cannot take it dead (closed by the main loop).
 */
void tell_irqs(std::vector<unsigned> &irqs, std::vector<Client> &clients)
{
	for (unsigned i : irqs) {
		proto_ev_seq++;
		for (Client &c : clients) {
			if (!c.s.hello || c.dead)
				continue;
			std::string ev = "EV irq " + std::to_string(i);
			if (c.s.version >= 3)
				ev += " " + std::to_string(proto_ev_seq);
			if (!send_all(c.fd, ev + "\n"))
				c.dead = true;
		}
	}
	irqs.clear();
}

uint64_t wall_ns()
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Look at the wall clock at most this often (1 ms: one tick at the reset TICK_PERIOD). */
constexpr uint64_t REALTIME_STEP_NS = 1000000;

/* One --realtime look: at most one BAR0 access of the shell's own. */
void realtime_round(Realtime &rt, Card &card)
{
	uint64_t now = wall_ns();
	uint32_t v, resp;

	if (!rt.on)
		return;
	if (rt.changes != card.tick_period_changes()) {
		/* Start, RESET or a host's write of TICK_PERIOD: read it again, anchor anew. */
		rt.changes = card.tick_period_changes();
		rt.period = card.csr_read(CTNIC_REG_TICK_PERIOD, &v, &resp) && !resp ? v : 0;
		rt.anchor_ns = rt.last_ns = now;
		rt.anchor_clock = card.clocks();
		rt.added = 0;
		return;
	}
	if (!rt.period || now - rt.last_ns < REALTIME_STEP_NS)
		return;
	rt.last_ns = now;
	/* 250 MHz: one clock is 4 ns of wall time. */
	uint64_t want = (now - rt.anchor_ns) / (NS_PER_CYCLE * rt.period);
	uint64_t have = (card.clocks() - rt.anchor_clock) / rt.period + rt.added;
	if (want <= have)
		return;
	uint64_t n = std::min<uint64_t>(want - have, UINT32_MAX);
	if (card.csr_write(CTNIC_REG_TICK_ADVANCE, (uint32_t)n, &resp) && !resp) {
		rt.added += n;
		rt.writes++;
	}
}

/* Closes and forgets the clients that left or could not be told. */
void drop_dead(std::vector<Client> &clients)
{
	for (size_t i = clients.size(); i-- > 0;)
		if (clients[i].dead) {
			close(clients[i].fd);
			clients.erase(clients.begin() + (long)i);
		}
}

} // namespace

int main(int argc, char **argv)
{
	Options o;
	HostMem mem;
	Dump out[CARD_PORTS], host, host_desc;
	std::vector<Client> clients;
	int lfd, rc = 0;

	if (!parse_options(argc, argv, &o))
		return 2;
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		perror("ctnic-sim: pipe2");
		return 1;
	}
	struct sigaction sa = {};
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, nullptr);
	sigaction(SIGINT, &sa, nullptr);
	signal(SIGPIPE, SIG_IGN);

	std::unique_ptr<LivePort> live[CARD_PORTS];
	bool any_live = false;
	/* Live ports: host requests served, and the clock at the last one (REQUEST_WINDOW). */
	uint64_t requests = 0, last_request_clock = 0;
	bool requested_once = false;
	Card card([&](unsigned port, const Frame &f) {
		if (port < CARD_PORTS) {
			write_frame(out[port], f.cycle, nullptr, 0, f.data);
			if (live[port])
				live[port]->send(f.data.data(), f.data.size());
			return;
		}
		write_frame(host, f.cycle, nullptr, 0, f.data);
		write_frame(host_desc, f.cycle, f.desc, sizeof(f.desc), f.data);
	}, o.vcd.empty() ? nullptr : o.vcd.c_str());
	card.set_pace(o.pace);
	Realtime rt;
	rt.on = o.realtime;
	/* A measuring aid (docs/simulator.md, "Time and determinism"): pauses inside work. */
	FILE *pause_log = getenv("CTNIC_SIM_PAUSE_LOG") ? fopen(getenv("CTNIC_SIM_PAUSE_LOG"), "ae") : nullptr;
	card.set_pause_log(pause_log);
	/* Interrupts are told to the clients between requests and batches, not inside them. */
	std::vector<unsigned> irqs;
	card.set_irq_sink([&](unsigned i) { irqs.push_back(i); });

	/* Every input is read before any output is created: a bad input leaves nothing behind. */
	for (unsigned p = 0; p < CARD_PORTS; p++)
		if (!o.in[p].empty() && !load_input(card, p, o.in[p]))
			return 1;
	for (unsigned p = 0; p < CARD_PORTS; p++)
		if (!o.out[p].empty() && !open_dump(&out[p], o.out[p], DLT_EN10MB))
			return 1;
	if ((!o.host.empty() && !open_dump(&host, o.host, DLT_EN10MB)) ||
	    (!o.host_desc.empty() && !open_dump(&host_desc, o.host_desc, DLT_PUNT)))
		return 1;
	for (unsigned p = 0; p < CARD_PORTS; p++) {
		std::string err;
		if (!o.tap[p].empty())
			live[p] = live_port_tap(o.tap[p], &err);
		else if (!o.iface[p].empty())
			live[p] = live_port_iface(o.iface[p], &err);
		else
			continue;
		if (!live[p]) {
			fprintf(stderr, "ctnic-sim: port %u: %s\n", p, err.c_str());
			return 1;
		}
		any_live = true;
	}
	if (!map_host_mem(&mem, o))
		return 1;
	card.set_host_mem(mem.base, mem.size);
	if ((lfd = listen_on(o.socket)) < 0) {
		unlink(mem.path.c_str());
		return 1;
	}
	fprintf(stderr, "ctnic-sim: listening on %s (host memory %s, %zu bytes, %u ports, %zu frames queued)\n",
		o.socket.c_str(), mem.path.c_str(), mem.size, CARD_PORTS, card.rx_left());

	for (bool stop = false; !stop;) {
		/* A live port may deliver a frame at any moment: the clock keeps running. */
		bool busy = any_live || card.busy();
		std::vector<struct pollfd> pfd;

		if (o.exit_when_done && !busy && card.rx_left() == 0 && clients.empty())
			break;
		pfd.push_back({ sig_pipe[0], POLLIN, 0 });
		pfd.push_back({ lfd, POLLIN, 0 });
		for (const Client &c : clients)
			pfd.push_back({ c.fd, POLLIN, 0 });
		/* A live port whose MAC queue is full is not looked at: its frames wait in the kernel. */
		size_t live_at = pfd.size();
		bool look[CARD_PORTS] = {};
		for (unsigned p = 0; p < CARD_PORTS; p++) {
			if (!live[p])
				continue;
			look[p] = card.rx_left(p) < LIVE_RX_QUEUE;
			if (look[p])
				pfd.push_back({ live[p]->fd(), POLLIN, 0 });
			else if (!live[p]->held) {
				live[p]->held = true;
				live[p]->held_times++;
			}
		}
		/* --realtime keeps device time moving while the card idles (10 looks a second). */
		if (poll(pfd.data(), pfd.size(), busy ? 0 : rt.on ? 100 : 1000) < 0 && errno != EINTR) {
			perror("ctnic-sim: poll");
			rc = 1;
			break;
		}
		if (pfd[0].revents)
			stop = true;
		/* Before any request of this round: a read of TICK_LO sees the wall clock's time. */
		realtime_round(rt, card);
		for (unsigned p = 0, k = live_at; p < CARD_PORTS; p++) {
			if (!look[p])
				continue;
			live[p]->held = false;
			if (!(pfd[k++].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			std::string err;
			/* Never more than the queue has room for: what does not fit stays in the kernel. */
			size_t room = std::min(LIVE_RX_BATCH, LIVE_RX_QUEUE - card.rx_left(p));
			if (!live[p]->receive([&](std::vector<uint8_t> f) { card.queue_rx(p, std::move(f)); }, room,
					      &err)) {
				fprintf(stderr, "ctnic-sim: port %u: %s\n", p, err.c_str());
				rc = 1;
				stop = true;
			}
		}
		/*
		 * Without live ports a request waits until the card has drained: then
		 * the cycle it is served at depends on the requests only, not on when
		 * they arrive while the clock runs free (DMA, frames), so the same
		 * inputs and requests give the same outputs.
		 */
		auto flush = [&] { tell_irqs(irqs, clients); };
		uint64_t served = 0;
		bool asked = false;
		for (size_t i = 0; i < clients.size(); i++)
			asked |= pfd[2 + i].revents != 0;
		/*
		 * What a client sent now, it sent after seeing host RAM as it was:
		 * HOST_LATENCY after the last write it may have seen (not after
		 * the DMA these cycles do: a busy DMA engine must not hold requests).
		 */
		if (asked && any_live && card.last_dma())
			for (uint64_t until = card.last_dma() + HOST_LATENCY; card.clocks() < until;)
				card.step();
		for (size_t i = clients.size(); i-- > 0;)
			if (pfd[2 + i].revents && !clients[i].dead &&
			    !serve_client(clients[i], card, mem, !any_live, flush, &served))
				clients[i].dead = true;
		if (served) {
			requests += served;
			last_request_clock = card.clocks();
			requested_once = true;
		}
		drop_dead(clients);
		if (pfd[1].revents & POLLIN) {
			int cfd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
			if (cfd >= 0 && clients.size() >= MAX_CLIENTS) {
				send_all(cfd, std::string("ERR ") + CTNIC_SIM_ERR_BUSY + " too many clients (" +
						      std::to_string(MAX_CLIENTS) + "): try again when one has left\n");
				close(cfd);
			} else if (cfd >= 0) {
				clients.push_back(Client{ cfd, {}, false, {}, false });
			}
		}
		/*
		 * Without live ports the clock runs until the card is quiet, in one
		 * go: a client hears of interrupts (and may read host RAM) only once
		 * the card has stopped, so what it sees there does not depend on
		 * when it looked, and a request finds the card at the same cycle
		 * whenever it comes. Only a signal cuts the run short.
		 */
		if (busy && any_live) {
			/* Soon again while a client talks to the card (CYCLES_AFTER_REQUEST). */
			bool talking = requested_once && card.clocks() - last_request_clock < REQUEST_WINDOW;
			for (unsigned i = 0, n = talking ? CYCLES_AFTER_REQUEST : CYCLES_PER_POLL; i < n; i++)
				card.step();
		}
		for (uint64_t i = 1; busy && !any_live && card.busy(); i++) {
			card.step();
			if (i % QUIET_SIGNAL_CHECK == 0 && proto_stop)
				break;
		}
		tell_irqs(irqs, clients);
	}

	for (Client &c : clients)
		close(c.fd);
	close(lfd);
	unlink(o.socket.c_str());
	munmap(mem.base, mem.size);
	unlink(mem.path.c_str());
	for (Dump &d : out)
		rc |= !close_dump(d);
	rc |= !close_dump(host);
	rc |= !close_dump(host_desc);
	for (unsigned p = 0; p < CARD_PORTS; p++) {
		if (!live[p])
			continue;
		fprintf(stderr,
			"ctnic-sim: port %u (%s %s): %llu frames received, %llu sent, %llu not taken by the interface; "
			"held back %llu times (%zu frames waiting)",
			p, live[p]->kind(), live[p]->name().c_str(), (unsigned long long)live[p]->rx_frames,
			(unsigned long long)live[p]->tx_frames, (unsigned long long)live[p]->tx_dropped,
			(unsigned long long)live[p]->held_times, LIVE_RX_QUEUE);
		uint64_t kd;
		if (live[p]->kernel_drops(&kd))
			fprintf(stderr, "; %llu dropped by the kernel before ctnic-sim read them", (unsigned long long)kd);
		fprintf(stderr, "\n");
	}
	if (rt.on)
		fprintf(stderr, "ctnic-sim: --realtime: %llu TICK_ADVANCE writes\n", (unsigned long long)rt.writes);
	if (any_live)
		fprintf(stderr, "ctnic-sim: %llu host requests served\n", (unsigned long long)requests);
	if (pause_log)
		fclose(pause_log);
	fprintf(stderr, "ctnic-sim: stopped at cycle %llu, %zu frames not fed\n",
		(unsigned long long)card.cycle(), card.rx_left());
	return rc;
}
