/*
 * testdev.h - what the VFIO tests share about QEMU's emulated devices and
 * the process: e1000e's interrupt registers (Intel 82574 datasheet 10.2:
 * ICR, ICS, IMS, IMC, IVAR) and dropping CAP_IPC_LOCK, so RLIMIT_MEMLOCK
 * applies to a root test.
 */
#ifndef CTNIC_TESTS_VFIO_TESTDEV_H
#define CTNIC_TESTS_VFIO_TESTDEV_H

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#define E1K_STATUS 0x0008
#define E1K_ICR 0x00c0
#define E1K_ICS 0x00c8
#define E1K_IMS 0x00d0
#define E1K_IMC 0x00d8
#define E1K_IVAR 0x00e4
#define E1K_RDBAL0 0x2800
#define E1K_VECTORS 5u
/* ICR causes routed by IVAR, in IVAR field order: RxQ0, RxQ1, TxQ0, TxQ1, Other. */
static const uint32_t e1k_cause[E1K_VECTORS] = {1u << 20, 1u << 21, 1u << 22, 1u << 23, 1u << 24};

/* Sets or clears CAP_IPC_LOCK in the effective set (the limit check skips holders of it). */
static inline int ipc_lock_effective(int on)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	if (on)
		d[0].effective |= 1u << CAP_IPC_LOCK;
	else
		d[0].effective &= ~(1u << CAP_IPC_LOCK);
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

#endif
