// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --offload: a passed flow relayed by the kernel; see offload.h. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <linux/tcp.h>

#include <lwfp/lwfp.h>

#include "offload.h"

static int tcp_info_of(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) ? -errno : 0;
}

/*
 * A socket's count of one side: bytes ever written to it (sent: from an
 * origin of TCP's own, the SYN counted or not), or bytes it received that
 * the proxy has taken (read, not peeked).
 */
static int count(int fd, bool sent, int64_t *out)
{
	struct tcp_info ti;
	int queued, err;

	err = tcp_info_of(fd, &ti);
	if (err)
		return err;
	if (ioctl(fd, sent ? SIOCOUTQ : SIOCINQ, &queued))
		return -errno;
	if (sent)
		*out = (int64_t)ti.tcpi_bytes_acked + queued;
	else
		*out = (int64_t)ti.tcpi_bytes_received - queued;
	return 0;
}

/* A reset socket: its error, else 0; *eof when its peer's FIN arrived. */
static int side_state(int fd, bool *eof)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (poll(&p, 1, 0) < 0)
		return -errno;
	if (p.revents & POLLERR) {
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		return -(soerr ? soerr : ECONNRESET);
	}
	if (p.revents & (POLLRDHUP | POLLHUP))
		*eof = true;
	return 0;
}

/* A FIN received before the hand-over is in bytes_received, not in SIOCINQ. */
static int dir_base(struct offload_dir *d, int src, int dst)
{
	int64_t w = 0, t = 0;
	bool fin = false;
	int err;

	err = count(dst, true, &w);
	if (!err)
		err = count(src, false, &t);
	if (!err)
		err = side_state(src, &fin);
	*d = (struct offload_dir){ .base = w - t + fin };
	return err;
}

int offload_begin(struct offload *o, int client, int server, const char *pin_dir)
{
	struct lwfp_offload_opts opts = { .sz = sizeof(opts), .pin_dir = pin_dir };
	struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };
	int err;

	/* Before: once handed over, the kernel moves bytes at any moment. */
	err = dir_base(&o->up, client, server);
	if (!err)
		err = dir_base(&o->down, server, client);
	if (err)
		return err;
	err = lwfp_offload(client, server, &opts);
	if (err)
		return err;
	setsockopt(client, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
	setsockopt(server, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
	return 0;
}

uint64_t offload_bytes(int fd, bool fin)
{
	struct tcp_info ti;

	if (tcp_info_of(fd, &ti))
		return 0;
	return ti.tcpi_bytes_received - (fin && ti.tcpi_bytes_received ? 1 : 0);
}

/*
 * The segments before the FIN were all given to the verdict before the FIN
 * itself, but the destination sends them from a work queue: wait until it
 * has taken them all, or shutdown() would cut them off.
 */
static int dir_run(struct offload_dir *d, int src, int dst)
{
	int64_t w;
	int err;

	if (!d->eof || d->shut)
		return 0;
	err = count(dst, true, &w);
	if (err)
		return err;
	if (w - d->base < (int64_t)offload_bytes(src, true))
		return 0;
	if (shutdown(dst, SHUT_WR) && errno != ENOTCONN)
		return -errno;
	d->shut = true;
	return 0;
}

int offload_run(struct offload *o, int client, int server, int *failed)
{
	int err;

	*failed = client;
	err = side_state(client, &o->up.eof);
	if (!err)
		err = dir_run(&o->up, client, server);
	if (err)
		return err;
	*failed = server;
	err = side_state(server, &o->down.eof);
	if (!err)
		err = dir_run(&o->down, server, client);
	return err;
}

bool offload_idle(int client, int server, uint64_t idle_ms)
{
	struct tcp_info a, b;

	if (tcp_info_of(client, &a) || tcp_info_of(server, &b))
		return true;
	return a.tcpi_last_data_recv >= idle_ms && b.tcpi_last_data_recv >= idle_ms;
}

void offload_graceful(int fd)
{
	struct linger off = { .l_onoff = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof(off));
}
