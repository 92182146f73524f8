/*
 * port_packet.cpp - a card port on an existing interface through an
 * AF_PACKET socket (port_live.h).
 *
 * The socket is bound to the interface, takes every frame (promiscuous),
 * and does not see the frames it sends itself (PACKET_IGNORE_OUTGOING), so
 * the card never receives its own transmissions. A veth peer in another
 * namespace should have its offloads off (`ethtool -K PEER tx off`): a
 * frame with a checksum left to hardware reaches AF_PACKET unfinished.
 */
#include "port_live.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23 /* Linux 4.20 */
#endif

namespace {

class PacketPort : public LivePort {
public:
	PacketPort(int fd, std::string name) : LivePort(fd, std::move(name)) {}
	const char *kind() const override { return "iface"; }
	bool kernel_drops(uint64_t *n) override
	{
		struct tpacket_stats st = {};
		socklen_t len = sizeof(st);

		/* The kernel resets its counts on each read: they add up here. */
		if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
			return false;
		drops_ += st.tp_drops;
		*n = drops_;
		return true;
	}

protected:
	ssize_t read_frame(uint8_t *buf, size_t cap) override
	{
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd_, buf, cap, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &fl);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n > (ssize_t)cap) /* larger than any frame a port carries: not taken */
			return read_frame(buf, cap);
		return n;
	}

private:
	uint64_t drops_ = 0;
};

} // namespace

std::unique_ptr<LivePort> live_port_iface(const std::string &name, std::string *err)
{
	struct sockaddr_ll sll = {};
	struct packet_mreq mr = {};
	unsigned idx = if_nametoindex(name.c_str());
	int one = 1, fd;

	if (!idx) {
		*err = "--iface " + name + ": no such interface in this network namespace";
		return nullptr;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0) {
		*err = "--iface " + name + ": socket(AF_PACKET): " + strerror(errno) + " (root or CAP_NET_RAW needed)";
		return nullptr;
	}
	std::unique_ptr<LivePort> p(new PacketPort(fd, name));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)idx;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		*err = "--iface " + name + ": bind: " + strerror(errno);
		return nullptr;
	}
	mr.mr_ifindex = (int)idx;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		*err = "--iface " + name + ": PACKET_ADD_MEMBERSHIP promiscuous: " + strerror(errno);
		return nullptr;
	}
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0) {
		*err = "--iface " + name + ": PACKET_IGNORE_OUTGOING: " + strerror(errno) + " (Linux 4.20 or later needed)";
		return nullptr;
	}
	return p;
}
