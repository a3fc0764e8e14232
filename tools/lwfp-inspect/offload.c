// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --offload: a passed flow relayed by the kernel; see offload.h. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
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
	if (err)
		return err;
	*d = (struct offload_dir){
		.base = (int64_t)t.written - (int64_t)(s.received - s.unread),
		.out0 = t.written,
	};
	return 0;
}

int offload_begin(struct offload *o, int client, int server, const char *pin_dir,
		  size_t max_queue)
{
	struct lwfp_offload_opts opts = {
		.sz = sizeof(opts),
		.pin_dir = pin_dir,
		.max_queue = max_queue,
	};
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
	o->pin_dir = pin_dir;
	setsockopt(client, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
	setsockopt(server, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
	return 0;
}

uint64_t offload_bytes(int fd)
{
	struct lwfp_offload_counts c;
	int err = lwfp_offload_counts(fd, &c);

	/* At the flow's end only ACKs still move: received is right. */
	return err && err != -EAGAIN ? 0 : c.received;
}

/*
 * A spill may be written to dst only after everything the kernel took
 * before it: dst must have taken, since the hand-over, all the kernel sent
 * plus all the proxy wrote. Until then the kernel sends nothing more of
 * this direction either (it holds it while a spill is unwritten), so the
 * two readings cannot pass each other.
 */
static int dir_drained(struct offload_dir *d, int src, int dst, const char *pin_dir)
{
	struct lwfp_offload_opts opts = { .sz = sizeof(opts), .pin_dir = pin_dir };
	struct lwfp_offload_spill sp;
	struct lwfp_offload_counts t;
	int err;

	err = lwfp_offload_spill(src, &sp, &opts);
	if (!err)
		err = lwfp_offload_counts(dst, &t);
	if (err == -EAGAIN) {
		/* dst kept moving while it was read: ask again soon. */
		d->draining = true;
		return 0;
	}
	if (err)
		return err;
	d->draining = t.written - d->out0 < sp.sent + d->pumped;
	d->drain_checks = d->draining && t.written == d->drain_out ? d->drain_checks + 1 : 0;
	d->drain_out = t.written;
	return !d->draining;
}

/* Writes what buf holds: 1 when it is all written, 0 when dst is full. */
static int spill_write(struct offload_dir *d, int dst)
{
	ssize_t n;

	while (d->len) {
		n = send(dst, d->buf + d->off, d->len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		d->off += (size_t)n;
		d->len -= (size_t)n;
		d->pumped += (uint64_t)n;
	}
	return 1;
}

/* Reads the next part of a spill: 1 when there was one, 0 when none is left. */
static int spill_read(struct offload_dir *d, int src, int dst, const char *pin_dir)
{
	ssize_t n;
	char c;
	int r;

	n = recv(src, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n <= 0)
		return n < 0 && errno != EAGAIN ? -errno : 0;
	r = dir_drained(d, src, dst, pin_dir);
	if (r <= 0)
		return r;
	if (!d->buf && !(d->buf = malloc(OFFLOAD_SPILL_BUF)))
		return -ENOMEM;
	n = recv(src, d->buf, OFFLOAD_SPILL_BUF, MSG_DONTWAIT);
	if (n <= 0)
		return n < 0 && errno != EAGAIN ? -errno : 0;
	d->pulled += (uint64_t)n;
	d->off = 0;
	d->len = (size_t)n;
	return 1;
}

/*
 * Writes on what the kernel left in src, until none is left, dst is full,
 * or OFFLOAD_SPILL_ROUNDS buffers went, which keeps one fast flow from
 * starving the others of its worker: then d->more asks to come back soon
 * (an edge-triggered EPOLLIN does not come again for bytes already there).
 */
static int dir_pump(struct offload_dir *d, int src, int dst, const char *pin_dir, int *failed)
{
	int r, round;

	d->more = false;
	for (round = 0; round < OFFLOAD_SPILL_ROUNDS; round++) {
		*failed = dst;
		r = spill_write(d, dst);
		if (r <= 0)
			return r;
		*failed = src;
		r = spill_read(d, src, dst, pin_dir);
		if (r <= 0)
			return r;
	}
	d->more = true;
	return 0;
}

/*
 * dst fell short of what src received, at its end: 1 when nothing can
 * still come, so bytes were lost (the verdict dropped them, or the counts
 * are wrong): the proxy holds no spill and has read all the kernel left
 * it, and the kernel's queue toward dst is empty. 0: wait. Failing at once
 * beats waiting out the idle timeout with a stream that stopped short.
 */
static int dir_lost(const struct offload_dir *d, int src, const struct lwfp_offload_counts *t,
		    const char *pin_dir)
{
	struct lwfp_offload_opts opts = { .sz = sizeof(opts), .pin_dir = pin_dir };
	struct lwfp_offload_spill sp;
	int err;

	if (d->len)
		return 0;
	err = lwfp_offload_spill(src, &sp, &opts);
	if (err)
		return err;
	return sp.spilled == d->pulled && t->written - d->out0 >= sp.sent + d->pumped;
}

/*
 * The segments before the FIN were all given to the verdict before the FIN
 * itself, but the destination sends them from a work queue: wait until it
 * has taken them all, or shutdown() would cut them off.
 */
static int dir_run(struct offload_dir *d, int src, int dst, const char *pin_dir)
{
	struct lwfp_offload_counts s, t;
	int err;

	if (!d->eof || d->shut)
		return 0;
	err = lwfp_offload_counts(dst, &t);
	if (!err)
		err = lwfp_offload_counts(src, &s);
	if (err == -EAGAIN)
		return 0; /* still moving: offload_flushing() asks again */
	if (err)
		return err;
	if ((int64_t)t.written - d->base < (int64_t)s.received) {
		err = dir_lost(d, src, &t, pin_dir);
		return err > 0 ? -EPROTO : err;
	}
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

	err = dir_pump(&o->up, client, server, o->pin_dir, failed);
	if (!err)
		err = dir_pump(&o->down, server, client, o->pin_dir, failed);
	if (err)
		return err;
	*failed = client;
	err = side_state(client, &o->up.eof);
	if (!err)
		err = dir_run(&o->up, client, server, o->pin_dir);
	if (err)
		return err;
	*failed = server;
	err = side_state(server, &o->down.eof);
	if (!err)
		err = dir_run(&o->down, server, client, o->pin_dir);
	return err;
}

void offload_free(struct offload *o)
{
	free(o->up.buf);
	free(o->down.buf);
	o->up.buf = o->down.buf = NULL;
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
