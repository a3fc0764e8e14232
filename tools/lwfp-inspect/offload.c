// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --offload: a passed flow relayed by the kernel; see offload.h. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <linux/tcp.h>

#include <lwfp/lwfp.h>

#include "offload.h"

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

static int dir_base(struct offload_dir *d, int src, int dst)
{
	struct lwfp_offload_counts s, t;
	int err;

	err = lwfp_offload_counts(dst, &t);
	if (!err)
		err = lwfp_offload_counts(src, &s);
	*d = (struct offload_dir){ .base = err ? 0 : (int64_t)t.written - (int64_t)(s.received - s.unread) };
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

/* Taken from src and not yet written by dst (see dir_base). */
static uint64_t dir_queued(const struct offload_dir *d, const struct lwfp_offload_counts *s,
			   const struct lwfp_offload_counts *t)
{
	int64_t q = (int64_t)(s->received - s->unread) - ((int64_t)t->written - d->base);

	return q > 0 ? (uint64_t)q : 0;
}

/*
 * Each socket's counts are read once: it is the source of one direction
 * and the destination of the other.
 */
uint64_t offload_queued(const struct offload *o, int client, int server)
{
	struct lwfp_offload_counts c, s;
	uint64_t up, down;

	if (lwfp_offload_counts(client, &c) || lwfp_offload_counts(server, &s))
		return 0;
	up = dir_queued(&o->up, &c, &s);
	down = dir_queued(&o->down, &s, &c);
	return up > down ? up : down;
}

uint64_t offload_bytes(int fd)
{
	struct lwfp_offload_counts c;

	return lwfp_offload_counts(fd, &c) ? 0 : c.received;
}

/*
 * The segments before the FIN were all given to the verdict before the FIN
 * itself, but the destination sends them from a work queue: wait until it
 * has taken them all, or shutdown() would cut them off.
 */
static int dir_run(struct offload_dir *d, int src, int dst)
{
	struct lwfp_offload_counts s, t;
	int err;

	if (!d->eof || d->shut)
		return 0;
	err = lwfp_offload_counts(dst, &t);
	if (!err)
		err = lwfp_offload_counts(src, &s);
	if (err)
		return err;
	if ((int64_t)t.written - d->base < (int64_t)s.received)
		return 0;
	/* More out than in: the stream is not what the peer sent. Fail closed. */
	if ((int64_t)t.written - d->base > (int64_t)s.received)
		return -EPROTO;
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

/* tcp_info's last_data_recv: milliseconds since fd last received a byte. */
static bool silent_for(int fd, uint64_t ms)
{
	socklen_t len = sizeof(struct tcp_info);
	struct tcp_info ti;

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) || ti.tcpi_last_data_recv >= ms;
}

bool offload_idle(int client, int server, uint64_t idle_ms)
{
	return silent_for(client, idle_ms) && silent_for(server, idle_ms);
}

void offload_graceful(int fd)
{
	struct linger off = { .l_onoff = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof(off));
}
