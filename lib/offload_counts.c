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

LWFP_API int lwfp_offload_counts(int fd, struct lwfp_offload_counts *c)
{
	socklen_t len = sizeof(struct tcp_info);
	struct tcp_info ti;
	int unread, queued, err;
	bool fin = false;

	if (!c)
		return -EINVAL;
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -errno;
	if (ioctl(fd, SIOCINQ, &unread) || ioctl(fd, SIOCOUTQ, &queued))
		return -errno;
	err = fin_arrived(fd, &fin);
	if (err)
		return err;
	/* bytes_received counts the FIN as a byte. */
	*c = (struct lwfp_offload_counts){
		.written = ti.tcpi_bytes_acked + (uint64_t)queued,
		.received = ti.tcpi_bytes_received - (fin && ti.tcpi_bytes_received ? 1 : 0),
		.unread = (uint64_t)unread,
		.fin = fin,
	};
	return 0;
}
