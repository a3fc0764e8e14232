// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a socket handed to the kernel has moved, from its TCP state: the
 * offloading proxy's only view of its bytes (docs/abi.md, "Offload").
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
/* The kernel's tcp_info: glibc's lacks bytes_acked and bytes_received. */
#include <linux/tcp.h>

#include <lwfp/lwfp.h>

#include "internal.h"

/*
 * Its peer's FIN arrived: the receive side is shut without an error. (A
 * reset shuts it too, with an error, and counts no byte for it.)
 */
static int fin_arrived(int fd, bool *fin)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	if (poll(&p, 1, 0) < 0)
		return -errno;
	*fin = (p.revents & (POLLRDHUP | POLLHUP)) && !(p.revents & POLLERR);
	return 0;
}

/* getsockopt(TCP_INFO): what the stack counted. */
static int tcp_counts(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) ? -errno : 0;
}

/*
 * Four calls read one socket that moves on between them: a segment or an
 * ACK arriving between TCP_INFO and SIOCINQ/SIOCOUTQ counts twice or not
 * at all, and a proxy that takes received - unread at the hand-over as its
 * base then waits forever for a byte that never comes, or sees one too
 * many and resets the flow. So the reading is kept only when a second
 * TCP_INFO after the others finds the same totals; the FIN counts among
 * them, so it is read consistently too.
 */
#define COUNTS_TRIES 64

static int counts_try(int fd, struct lwfp_offload_counts *c, bool *stable)
{
	struct tcp_info ti, again;
	int unread, queued, err;
	bool fin = false;

	err = tcp_counts(fd, &ti);
	if (err)
		return err;
	if (ioctl(fd, SIOCINQ, &unread) || ioctl(fd, SIOCOUTQ, &queued))
		return -errno;
	err = fin_arrived(fd, &fin);
	if (!err)
		err = tcp_counts(fd, &again);
	if (err)
		return err;
	*stable = again.tcpi_bytes_received == ti.tcpi_bytes_received &&
		  again.tcpi_bytes_acked == ti.tcpi_bytes_acked;
	/* bytes_received counts the FIN as a byte. */
	*c = (struct lwfp_offload_counts){
		.written = ti.tcpi_bytes_acked + (uint64_t)queued,
		.received = ti.tcpi_bytes_received - (fin && ti.tcpi_bytes_received ? 1 : 0),
		.unread = (uint64_t)unread,
		.fin = fin,
	};
	return 0;
}

LWFP_API int lwfp_offload_counts(int fd, struct lwfp_offload_counts *c)
{
	bool stable = false;
	int i, err;

	if (!c)
		return -EINVAL;
	for (i = 0; i < COUNTS_TRIES && !stable; i++) {
		err = counts_try(fd, c, &stable);
		if (err)
			return err;
	}
	return stable ? 0 : -EAGAIN;
}
