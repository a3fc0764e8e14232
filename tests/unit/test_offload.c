// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfp_offload()'s refusals (lib/offload.c): every one leaves the sockets
 * as they were, so the proxy can relay the flow itself. The hand-over
 * proper needs an engine and is tested by test_offload.sh. And the
 * attach at `up` on a kernel that can attach the verdict in no way: the
 * engine stays up without the fast path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lwfp/lwfp.h>

#include "loopback.h"

#include "../../lib/internal.h"

#define NO_ENGINE "/nonexistent/lwfp-unit-offload"

static void tcp_pair(int fds[2])
{
	assert_int_equal(loopback_tcp_pair(fds), 0);
}

static void close_pair(int fds[2])
{
	close(fds[0]);
	close(fds[1]);
}

static void test_bad_opts(void **state)
{
	struct {
		struct lwfp_offload_opts o;
		char newer[8];
	} big = { .o = { .sz = sizeof(big), .pin_dir = NO_ENGINE } };
	struct lwfp_offload_opts small = { .sz = 1 };
	int p[2];

	(void)state;
	tcp_pair(p);
	assert_int_equal(lwfp_offload(p[0], p[1], &small), -EINVAL);
	/* A newer caller's field we do not know, set: refused, not ignored. */
	big.newer[3] = 1;
	assert_int_equal(lwfp_offload(p[0], p[1], &big.o), -EINVAL);
	big.newer[3] = 0;
	assert_int_equal(lwfp_offload(p[0], p[1], &big.o), -EOPNOTSUPP);
	assert_int_equal(lwfp_offload(p[0], p[0], &big.o), -EINVAL);
	/* A bound the verdict's 32-bit arithmetic could not hold. */
	big.o.max_queue = LWFP_OFFLOAD_MAX_QUEUE_MAX + 1;
	assert_int_equal(lwfp_offload(p[0], p[1], &big.o), -EINVAL);
	big.o.max_queue = LWFP_OFFLOAD_MAX_QUEUE_MAX;
	assert_int_equal(lwfp_offload(p[0], p[1], &big.o), -EOPNOTSUPP);
	/* pin_dir when given (a path under a file); an older sz without it: $LWFP_PIN_DIR. */
	big.o.pin_dir = "/dev/null/x";
	assert_int_equal(lwfp_offload(p[0], p[1], &big.o), -ENOTDIR);
	assert_int_equal(setenv("LWFP_PIN_DIR", NO_ENGINE, 1), 0);
	big.o.sz = offsetof(struct lwfp_offload_opts, pin_dir);
	assert_int_equal(lwfp_offload(p[0], p[1], &big.o), -EOPNOTSUPP);
	unsetenv("LWFP_PIN_DIR");
	close_pair(p);
}

static void test_not_tcp(void **state)
{
	struct lwfp_offload_opts opts = { .sz = sizeof(opts), .pin_dir = NO_ENGINE };
	int p[2], udp, fd[2];

	(void)state;
	tcp_pair(p);
	assert_int_equal(lwfp_offload(-1, p[1], &opts), -EBADF);
	assert_int_equal(pipe(fd), 0);
	assert_int_equal(lwfp_offload(p[0], fd[0], &opts), -ENOTSOCK);
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(udp >= 0);
	assert_int_equal(lwfp_offload(p[0], udp, &opts), -EPROTONOSUPPORT);
	close(udp);
	close(fd[0]);
	close(fd[1]);
	close_pair(p);
}

static void test_not_connected(void **state)
{
	struct lwfp_offload_opts opts = { .sz = sizeof(opts), .pin_dir = NO_ENGINE };
	int p[2], s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)state;
	assert_true(s >= 0);
	tcp_pair(p);
	assert_int_equal(lwfp_offload(p[0], s, &opts), -ENOTCONN);
	/* Half-closed by its peer (CLOSE_WAIT): socket maps refuse it. */
	assert_int_equal(shutdown(p[0], SHUT_WR), 0);
	assert_int_equal(poll(&(struct pollfd){ .fd = p[1], .events = POLLRDHUP }, 1, 5000), 1);
	assert_int_equal(lwfp_offload(p[1], p[0], &opts), -ENOTCONN);
	close(s);
	close_pair(p);
}

/* No engine there, or switched off: the caller relays the flow itself. */
static void test_unavailable(void **state)
{
	struct lwfp_offload_opts opts = { .sz = sizeof(opts), .pin_dir = NO_ENGINE };
	int p[2], q[2];

	(void)state;
	tcp_pair(p);
	tcp_pair(q);
	assert_int_equal(lwfp_offload(p[1], q[0], &opts), -EOPNOTSUPP);
	assert_int_equal(setenv("LWFP_OFFLOAD", "0", 1), 0);
	assert_int_equal(lwfp_offload(p[1], q[0], NULL), -EOPNOTSUPP);
	unsetenv("LWFP_OFFLOAD");
	/* Still usable: nothing was changed. */
	assert_int_equal(write(p[0], "x", 1), 1);
	assert_int_equal(read(p[1], (char[1]){ 0 }, 1), 1);
	close_pair(p);
	close_pair(q);
}

/* lwfp_offload_counts() on a plain pair: what moved, and the FIN apart. */
static void test_counts(void **state)
{
	struct lwfp_offload_counts c0, c1, a;
	char buf[8];
	int p[2], fd[2];

	(void)state;
	tcp_pair(p);
	assert_int_equal(lwfp_offload_counts(p[0], NULL), -EINVAL);
	assert_int_equal(pipe(fd), 0);
	assert_int_equal(lwfp_offload_counts(fd[0], &a), -ENOTSOCK);
	close(fd[0]);
	close(fd[1]);
	assert_int_equal(lwfp_offload_counts(p[0], &c0), 0);
	assert_int_equal(send(p[0], "hello", 5, 0), 5);
	assert_int_equal(recv(p[1], buf, 2, 0), 2);
	assert_int_equal(lwfp_offload_counts(p[0], &c1), 0);
	assert_true(c1.written - c0.written == 5);
	assert_int_equal(lwfp_offload_counts(p[1], &a), 0);
	assert_true(a.received == 5 && a.unread == 3 && !a.fin);
	assert_int_equal(shutdown(p[0], SHUT_WR), 0);
	assert_int_equal(poll(&(struct pollfd){ .fd = p[1], .events = POLLRDHUP }, 1, 5000), 1);
	assert_int_equal(lwfp_offload_counts(p[1], &a), 0);
	assert_true(a.received == 5 && a.unread == 3 && a.fin);
	close_pair(p);
}

/*
 * A reading while the socket moves must be one reading: with segments
 * arriving between TCP_INFO and SIOCINQ (or ACKs between TCP_INFO and
 * SIOCOUTQ), received - unread and written were off by a segment about
 * once in a hundred readings here, and a proxy that took such a base at
 * the hand-over waited forever for the end of its flow (a hang of
 * test_offload in CI). Each reading must be exact, or -EAGAIN.
 */
#define MOVING_READINGS 20000

struct mover {
	int fd;
	bool send; /* else read */
	atomic_bool stop;
};

static void *move_bytes(void *arg)
{
	struct mover *m = arg;
	static char buf[65536];
	struct pollfd p = { .fd = m->fd, .events = m->send ? POLLOUT : POLLIN };

	while (!atomic_load(&m->stop)) {
		if (poll(&p, 1, 10) <= 0)
			continue;
		if (m->send)
			(void)send(m->fd, buf, sizeof(buf), MSG_DONTWAIT);
		else
			(void)recv(m->fd, buf, sizeof(buf), MSG_DONTWAIT);
	}
	return NULL;
}

/* What fd has moved its own way: sent, or taken from its receive queue. */
static uint64_t moved(const struct lwfp_offload_counts *c, bool sending)
{
	return sending ? c->written : c->received - c->unread;
}

/*
 * The peer streams the other way as fast as it can; this thread moves
 * bytes through fd its own way (a send each reading, or a read every
 * eighth) and checks each exact reading against what it moved.
 */
static unsigned int readings_while_moving(int fd, int peer, bool sending)
{
	struct mover m = { .fd = peer, .send = !sending };
	struct lwfp_offload_counts c0, c;
	uint64_t done = 0;
	unsigned int i, exact = 0;
	static char buf[16384];
	pthread_t t;
	ssize_t n;
	int rc;

	assert_int_equal(lwfp_offload_counts(fd, &c0), 0);
	assert_int_equal(pthread_create(&t, NULL, move_bytes, &m), 0);
	for (i = 0; i < MOVING_READINGS; i++) {
		rc = lwfp_offload_counts(fd, &c);
		assert_true(rc == 0 || rc == -EAGAIN);
		if (!rc) {
			assert_true(moved(&c, sending) - moved(&c0, sending) == done);
			exact++;
		}
		if (sending)
			n = send(fd, buf, sizeof(buf), MSG_DONTWAIT);
		else
			n = i % 8 ? 0 : recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		done += n > 0 ? (uint64_t)n : 0;
	}
	atomic_store(&m.stop, true);
	assert_int_equal(pthread_join(t, NULL), 0);
	return exact;
}

static void test_counts_moving(void **state)
{
	int p[2];

	(void)state;
	tcp_pair(p);
	/* Nearly all readings are exact: -EAGAIN is for a socket that never rests. */
	assert_true(readings_while_moving(p[1], p[0], false) > MOVING_READINGS / 2);
	close_pair(p);
	tcp_pair(p);
	assert_true(readings_while_moving(p[0], p[1], true) > MOVING_READINGS / 2);
	close_pair(p);
}

/* A file standing for a pin, in dir. */
static void touch(const char *dir, const char *name)
{
	char path[256];
	FILE *f;

	assert_int_equal(pin_path(path, sizeof(path), dir, name), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
}

static bool exists(const char *dir, const char *name)
{
	char path[256];

	return !pin_path(path, sizeof(path), dir, name) && !access(path, F_OK);
}

/*
 * Neither a link nor BPF_PROG_ATTACH (here: no program, no map): the rx
 * map's pin goes, so that lwfp_offload() says -EOPNOTSUPP; the tx map's
 * stays for down. offload_unpin() removes the link's pin.
 */
/* lwfp_offload_spill()'s refusals; its answers need an engine (test_offload.sh). */
static void test_spill_refused(void **state)
{
	struct lwfp_offload_opts opts = { .sz = sizeof(opts), .pin_dir = NO_ENGINE };
	struct lwfp_offload_opts small = { .sz = 1 };
	struct lwfp_offload_spill sp;
	int p[2], fd[2];

	(void)state;
	tcp_pair(p);
	assert_int_equal(lwfp_offload_spill(p[0], NULL, &opts), -EINVAL);
	assert_int_equal(lwfp_offload_spill(p[0], &sp, &small), -EINVAL);
	assert_int_equal(lwfp_offload_spill(-1, &sp, &opts), -EBADF);
	assert_int_equal(pipe(fd), 0);
	assert_int_equal(lwfp_offload_spill(fd[0], &sp, &opts), -ENOTSOCK);
	close(fd[0]);
	close(fd[1]);
	assert_int_equal(lwfp_offload_spill(p[0], &sp, &opts), -EOPNOTSUPP);
	opts.pin_dir = "/dev/null/x";
	assert_int_equal(lwfp_offload_spill(p[0], &sp, &opts), -ENOTDIR);
	close_pair(p);
}

static void test_attach_fails(void **state)
{
	char dir[] = "/tmp/lwfp-unit-offload-XXXXXX", path[256];
	struct lwfp_offload_opts opts = { .sz = sizeof(opts), .pin_dir = dir };
	int p[2], q[2];

	(void)state;
	assert_non_null(mkdtemp(dir));
	touch(dir, map_name(MAP_OFFLOAD_RX));
	touch(dir, map_name(MAP_OFFLOAD_TX));
	offload_attach(-1, -1, -1, dir);
	assert_false(exists(dir, map_name(MAP_OFFLOAD_RX)));
	assert_true(exists(dir, map_name(MAP_OFFLOAD_TX)));
	tcp_pair(p);
	tcp_pair(q);
	assert_int_equal(lwfp_offload(p[1], q[0], &opts), -EOPNOTSUPP);
	close_pair(p);
	close_pair(q);
	touch(dir, "link_lwfp_offload_verdict");
	offload_unpin(dir);
	assert_false(exists(dir, "link_lwfp_offload_verdict"));
	assert_int_equal(pin_path(path, sizeof(path), dir, map_name(MAP_OFFLOAD_TX)), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_opts),
		cmocka_unit_test(test_not_tcp),
		cmocka_unit_test(test_not_connected),
		cmocka_unit_test(test_unavailable),
		cmocka_unit_test(test_attach_fails),
		cmocka_unit_test(test_spill_refused),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_counts_moving),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
