// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel fast path of a passed flow: the socket maps and verdict of
 * bpf/offload.h, their attachment at `up`, and the hand-over of a pair.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <lwfp/engine.h>
#include <lwfp/lwfp.h>

#include "internal.h"
#include "opts.h"

#include "lwfp_offload.skel.h"

/* BPF_SK_SKB_VERDICT (Linux 5.13) is in Debian's 6.1 UAPI headers. */
#define OFFLOAD_ATTACH_TYPE BPF_SK_SKB_VERDICT
#define OFFLOAD_LINK "link_lwfp_offload_verdict"
/* How long an undone hand-over waits for the kernel's sends. */
#define OFFLOAD_UNDO_MS 2000

/* ---- up and down -------------------------------------------------------------- */

/*
 * A socket-map link (Linux 6.10) is pinned like the cgroup links, so down
 * detaches it by unpinning. Before 6.10 the program is attached to the map
 * itself, and lives as long as the map: down unpins the map, which frees it
 * and so detaches the program.
 */
static int attach_verdict(int prog_fd, int map_fd, const char *path)
{
	int link;

	link = bpf_link_create(prog_fd, map_fd, OFFLOAD_ATTACH_TYPE, NULL);
	if (link >= 0) {
		if (!bpf_obj_pin(link, path)) {
			close(link);
			return 0;
		}
		close(link);
	}
	return bpf_prog_attach(prog_fd, map_fd, OFFLOAD_ATTACH_TYPE, 0) ? -errno : 0;
}

/* The verdict's object, on the engine's offload maps. */
static int load_verdict(int tx_fd, int rx_fd, int dir_fd, const char *path)
{
	struct lwfp_offload_bpf *skel;
	int err;

	skel = lwfp_offload_bpf__open();
	if (!skel)
		return -errno;
	err = bpf_map__reuse_fd(skel->maps.lwfp_offload_tx, tx_fd);
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.lwfp_offload_rx, rx_fd);
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.lwfp_offload_dir, dir_fd);
	if (!err)
		err = lwfp_offload_bpf__load(skel);
	if (!err)
		err = attach_verdict(bpf_program__fd(skel->progs.lwfp_offload_verdict), rx_fd, path);
	lwfp_offload_bpf__destroy(skel);
	return err;
}

void offload_attach(int tx_fd, int rx_fd, int dir_fd, const char *pin_dir)
{
	char path[PATH_MAX];

	if (pin_path(path, sizeof(path), pin_dir, OFFLOAD_LINK))
		return;
	if (!access(path, F_OK))
		return;
	if (!load_verdict(tx_fd, rx_fd, dir_fd, path))
		return;
	/* No fast path on this kernel: lwfp_offload() finds no map. */
	if (!pin_path(path, sizeof(path), pin_dir, map_name(MAP_OFFLOAD_RX)))
		unlink(path);
}

void offload_unpin(const char *pin_dir)
{
	char path[PATH_MAX];

	if (!pin_path(path, sizeof(path), pin_dir, OFFLOAD_LINK))
		unlink(path);
}

/* ---- the hand-over -------------------------------------------------------------- */

static int sockopt_int(int fd, int level, int name, int *val)
{
	socklen_t len = sizeof(*val);

	return getsockopt(fd, level, name, val, &len) ? -errno : 0;
}

/* A connected plain TCP socket, and its cookie. */
static int check_tcp(int fd, uint64_t *cookie)
{
	socklen_t len;
	char ulp[16] = "";
	int type, proto, err;
	struct sockaddr_storage ss;
	struct tcp_info ti;

	err = sockopt_int(fd, SOL_SOCKET, SO_TYPE, &type);
	if (!err)
		err = sockopt_int(fd, SOL_SOCKET, SO_PROTOCOL, &proto);
	if (err)
		return err;
	if (type != SOCK_STREAM || proto != IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	len = sizeof(ulp);
	/* kTLS and other ULPs own the socket's receive path. */
	if (!getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, &len) && ulp[0])
		return -EPROTONOSUPPORT;
	len = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	/*
	 * Socket maps take established sockets only: one whose peer has sent
	 * its FIN is ending, and the proxy finishes it itself.
	 */
	len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -errno;
	if (ti.tcpi_state != TCP_ESTABLISHED)
		return -ENOTCONN;
	len = sizeof(*cookie);
	return getsockopt(fd, SOL_SOCKET, SO_COOKIE, cookie, &len) ? -errno : 0;
}

static int map_put(int map, uint64_t key, int fd)
{
	uint64_t val = (uint64_t)fd;

	if (!bpf_map_update_elem(map, &key, &val, BPF_NOEXIST))
		return 0;
	/* A socket map's word for a socket no longer established (a FIN came). */
	return errno == EOPNOTSUPP ? -ENOTCONN : -errno;
}

/*
 * The verdict runs when a segment arrives: bytes queued before the socket
 * was inserted would wait for the next one, which may never come (a
 * request that waits for its answer). Setting SO_RCVLOWAT, to what it is,
 * makes TCP check the queue and wake the socket now.
 */
static void kick(int fd)
{
	int lowat;

	if (!sockopt_int(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat))
		setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
}

/* Takes both out of lwfp_offload_tx again: only what this call put there. */
static void tx_undo(int tx, uint64_t ca, uint64_t cb)
{
	bpf_map_delete_elem(tx, &cb);
	bpf_map_delete_elem(tx, &ca);
}

/*
 * Both sockets become redirect targets (tx, each under its peer's cookie)
 * before any data is redirected to them.
 */
static int tx_put(int tx, int a, uint64_t ca, int b, uint64_t cb)
{
	int err;

	err = map_put(tx, cb, a);
	if (err)
		return err;
	err = map_put(tx, ca, b);
	if (err)
		/* Not ca's entry: the key may be another flow's. */
		bpf_map_delete_elem(tx, &cb);
	return err;
}

/*
 * b's verdict has run since *b0 and a could not follow (its peer's FIN
 * came in between: socket maps take established sockets only). b is taken
 * out again; what the kernel took from b must have left through a before
 * the proxy may write to a itself. The kernel sends it from a work queue,
 * so wait for it, a bounded while.
 */
static int rx_undo(int rx, int a, uint64_t cb, int b, const struct lwfp_offload_counts *a0,
		   const struct lwfp_offload_counts *b0)
{
	struct lwfp_offload_counts bn, an;
	int i;

	bpf_map_delete_elem(rx, &cb);
	if (lwfp_offload_counts(b, &bn))
		return -ENOTRECOVERABLE;
	for (i = 0; i < OFFLOAD_UNDO_MS; i++) {
		if (lwfp_offload_counts(a, &an))
			return -ENOTRECOVERABLE;
		if (an.written - a0->written >= (bn.received - bn.unread) - (b0->received - b0->unread))
			return 0;
		usleep(1000);
	}
	return -ENOTRECOVERABLE;
}

/* The maps of a hand-over, and each direction's bound. */
struct offload_maps {
	int tx, rx, dir;
	uint32_t max_queue;
};

/* Each direction's state, before its source is read. */
static int dir_put(const struct offload_maps *m, uint64_t ca, uint64_t cb)
{
	int err;

	err = offload_dir_put(m->dir, m->tx, m->rx, ca, m->max_queue);
	if (!err) {
		err = offload_dir_put(m->dir, m->tx, m->rx, cb, m->max_queue);
		if (err)
			offload_dir_del(m->dir, ca);
	}
	return err;
}

/* Then each starts to be read by the verdict (rx), b first. */
static int rx_put(const struct offload_maps *m, int a, uint64_t ca, int b, uint64_t cb)
{
	struct lwfp_offload_counts a0, b0;
	int err;

	err = lwfp_offload_counts(a, &a0);
	if (!err)
		err = lwfp_offload_counts(b, &b0);
	if (!err)
		err = map_put(m->rx, cb, b);
	if (!err) {
		err = map_put(m->rx, ca, a);
		if (err && rx_undo(m->rx, a, cb, b, &a0, &b0))
			return -ENOTRECOVERABLE;
	}
	return err;
}

static int hand_over(const struct offload_maps *m, int a, uint64_t ca, int b, uint64_t cb)
{
	int err;

	err = tx_put(m->tx, a, ca, b, cb);
	if (err)
		return err;
	err = dir_put(m, ca, cb);
	if (!err) {
		err = rx_put(m, a, ca, b, cb);
		if (err == -ENOTRECOVERABLE)
			return err;
		if (err) {
			offload_dir_del(m->dir, cb);
			offload_dir_del(m->dir, ca);
		}
	}
	if (err) {
		tx_undo(m->tx, ca, cb);
		return err;
	}
	kick(a);
	kick(b);
	return 0;
}

static bool offload_disabled(void)
{
	const char *env = getenv("LWFP_OFFLOAD");

	return env && !strcmp(env, "0");
}

static void maps_close(struct offload_maps *m)
{
	if (m->tx >= 0)
		close(m->tx);
	if (m->rx >= 0)
		close(m->rx);
	if (m->dir >= 0)
		close(m->dir);
}

/* An engine without one of them (an older one, or no verdict): no fast path. */
static int maps_open(struct offload_maps *m, const char *pin_dir)
{
	m->tx = map_open(pin_dir, MAP_OFFLOAD_TX);
	m->rx = map_open(pin_dir, MAP_OFFLOAD_RX);
	m->dir = map_open(pin_dir, MAP_OFFLOAD_DIR);
	if (m->tx >= 0 && m->rx >= 0 && m->dir >= 0)
		return 0;
	maps_close(m);
	if (m->tx == -ENOENT || m->rx == -ENOENT || m->dir == -ENOENT)
		return -EOPNOTSUPP;
	return m->tx < 0 ? m->tx : (m->rx < 0 ? m->rx : m->dir);
}

LWFP_API int lwfp_offload(int a, int b, const struct lwfp_offload_opts *opts)
{
	struct offload_maps m;
	const char *pin_dir;
	size_t max_queue;
	uint64_t ca, cb;
	int err;

	if (!OPTS_VALID(opts, lwfp_offload_opts))
		return -EINVAL;
	pin_dir = OPTS_GET(opts, pin_dir, NULL);
	max_queue = OPTS_GET(opts, max_queue, 0);
	if (a == b || max_queue > LWFP_OFFLOAD_MAX_QUEUE_MAX)
		return -EINVAL;
	err = check_tcp(a, &ca);
	if (!err)
		err = check_tcp(b, &cb);
	if (err)
		return err;
	if (offload_disabled())
		return -EOPNOTSUPP;
	err = maps_open(&m, pin_dir ? pin_dir : lwfp_default_pin_dir());
	if (err)
		return err;
	m.max_queue = (uint32_t)(max_queue ? max_queue : LWFP_OFFLOAD_MAX_QUEUE_DEFAULT);
	err = hand_over(&m, a, ca, b, cb);
	maps_close(&m);
	return err;
}
