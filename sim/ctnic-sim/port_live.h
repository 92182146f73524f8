/*
 * port_live.h - live network ports of ctnic-sim (docs/live.md): a card port
 * attached to a TAP device (port_tap.cpp) or to an existing interface
 * through an AF_PACKET socket (port_packet.cpp), beside the pcap ports of
 * main.cpp.
 *
 * Each port is one non-blocking file descriptor for main.cpp's poll: what
 * the interface delivers is read as whole Ethernet frames and queued into
 * the card's MAC receiver; what the card transmits on the port is written
 * back as one frame. A frame the kernel cannot take (queue full) is dropped
 * and counted, as a MAC with a full FIFO would. While the card's receive
 * queue of a port is full, main.cpp does not read it (held): the frames
 * wait in the kernel, which drops what does not fit there (kernel_drops).
 */
#ifndef CTNIC_SIM_PORT_LIVE_H
#define CTNIC_SIM_PORT_LIVE_H

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

class LivePort {
public:
	virtual ~LivePort();
	LivePort(const LivePort &) = delete;
	LivePort &operator=(const LivePort &) = delete;

	int fd() const { return fd_; }
	const std::string &name() const { return name_; }
	/* "tap" or "iface" */
	virtual const char *kind() const = 0;

	/*
	 * Reads every frame waiting (at most max), each handed to rx. false
	 * with err when the device failed (it went away, for one).
	 */
	bool receive(const std::function<void(std::vector<uint8_t>)> &rx, size_t max, std::string *err);
	/* Writes one frame; a full queue drops it (counted in tx_dropped). */
	void send(const uint8_t *frame, size_t len);

	/*
	 * Frames the kernel dropped before ctnic-sim read them, where the port
	 * can tell (AF_PACKET: PACKET_STATISTICS); false where it cannot (a
	 * TAP's drops are the device's TX dropped counter, `ip -s link`).
	 */
	virtual bool kernel_drops(uint64_t *n) { (void)n; return false; }

	uint64_t rx_frames = 0, tx_frames = 0, tx_dropped = 0;
	/* Left out of poll with the receive queue full (main.cpp): now, and how often it began. */
	bool held = false;
	uint64_t held_times = 0;

protected:
	LivePort(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
	/* One frame into buf, its length, 0 when nothing waits, -1 with errno on failure. */
	virtual ssize_t read_frame(uint8_t *buf, size_t cap) = 0;

	int fd_;
	std::string name_;
};

/* A TAP device NAME (created when it does not exist, kept when it does), up. nullptr with err. */
std::unique_ptr<LivePort> live_port_tap(const std::string &name, std::string *err);
/* The existing interface NAME through AF_PACKET, promiscuous, our own sends not seen. nullptr with err. */
std::unique_ptr<LivePort> live_port_iface(const std::string &name, std::string *err);

#endif /* CTNIC_SIM_PORT_LIVE_H */
