/*
 * port_tap.cpp - a card port on a TAP device (port_live.h), and what every
 * live port shares: reading frames and writing them back.
 *
 * The TAP is opened without IFF_VNET_HDR and with no offloads, so the
 * kernel hands over complete frames with their checksums computed and no
 * frame longer than the interface MTU: what the card sees is what a wire
 * would carry. The device may be moved into another network namespace after
 * it is opened; the file descriptor keeps working.
 */
#include "port_live.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

/* The largest frame a port carries: a 9000-byte jumbo and its Ethernet header. */
constexpr size_t FRAME_MAX = 9018;

class TapPort : public LivePort {
public:
	TapPort(int fd, std::string name) : LivePort(fd, std::move(name)) {}
	const char *kind() const override { return "tap"; }

protected:
	ssize_t read_frame(uint8_t *buf, size_t cap) override
	{
		ssize_t n = read(fd_, buf, cap);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		return n;
	}
};

/* Sets IFF_UP on the interface through an ordinary socket of this namespace. */
bool link_up(const std::string &name, std::string *err)
{
	struct ifreq ifr = {};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name.c_str());
	ok = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
	if (ok) {
		ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
		ok = ioctl(s, SIOCSIFFLAGS, &ifr) == 0;
	}
	if (!ok)
		*err = "--tap " + name + ": setting it up (SIOCSIFFLAGS): " + strerror(errno);
	if (s >= 0)
		close(s);
	return ok;
}

} // namespace

LivePort::~LivePort()
{
	if (fd_ >= 0)
		close(fd_);
}

bool LivePort::receive(const std::function<void(std::vector<uint8_t>)> &rx, size_t max, std::string *err)
{
	uint8_t buf[FRAME_MAX];

	for (size_t i = 0; i < max; i++) {
		ssize_t n = read_frame(buf, sizeof(buf));
		if (n == 0)
			return true;
		/* AF_PACKET reports a link that went down once, as an error; the port stays usable. */
		if (n < 0 && errno == ENETDOWN)
			return true;
		if (n < 0) {
			*err = std::string("--") + kind() + " " + name_ + ": read: " + strerror(errno);
			return false;
		}
		/* A runt cannot be an Ethernet frame; the card's MAC would not pass it either. */
		if (n < 14)
			continue;
		rx_frames++;
		rx(std::vector<uint8_t>(buf, buf + n));
	}
	return true;
}

void LivePort::send(const uint8_t *frame, size_t len)
{
	ssize_t n = write(fd_, frame, len);

	if (n == (ssize_t)len)
		tx_frames++;
	else
		tx_dropped++;
}

std::unique_ptr<LivePort> live_port_tap(const std::string &name, std::string *err)
{
	struct ifreq ifr = {};
	int fd;

	if (name.empty() || name.size() >= IFNAMSIZ) {
		*err = "--tap " + name + ": an interface name has 1 to " + std::to_string(IFNAMSIZ - 1) + " characters";
		return nullptr;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		*err = "--tap " + name + ": open /dev/net/tun: " + strerror(errno);
		return nullptr;
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name.c_str());
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		*err = "--tap " + name + ": TUNSETIFF: " + strerror(errno) + " (root or CAP_NET_ADMIN needed)";
		close(fd);
		return nullptr;
	}
	/* No offloads: complete checksums, no GSO frames (a TAP's default, said explicitly). */
	if (ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		*err = "--tap " + name + ": TUNSETOFFLOAD 0: " + strerror(errno);
		close(fd);
		return nullptr;
	}
	std::unique_ptr<LivePort> p(new TapPort(fd, name));
	if (!link_up(name, err))
		return nullptr;
	return p;
}
