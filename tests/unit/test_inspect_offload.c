// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfp-inspect's ends of an offloaded flow (tools/lwfp-inspect/offload.c),
 * on plain loopback pairs with no engine: the test links the tool's
 * offload.o. The proxy holds client (its accepted socket, whose peer is
 * cpeer) and server (its outbound socket, whose peer is speer); the
 * counts at the "hand-over" are taken as offload_begin() takes them.
 * With no kernel relay, what the test writes into server stands for what
 * the kernel would have sent on.
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
#include <sys/socket.h>
#include <unistd.h>

#include <lwfp/lwfp.h>

#include "loopback.h"

#include "../../tools/lwfp-inspect/offload.h"

#define NO_ENGINE "/nonexistent/lwfp-unit-inspect-offload"

/* The next this many readings say -EAGAIN: the socket kept moving. */
static int moving_readings;

int __real_lwfp_offload_counts(int fd, struct lwfp_offload_counts *c);
int __wrap_lwfp_offload_counts(int fd, struct lwfp_offload_counts *c);

int __wrap_lwfp_offload_counts(int fd, struct lwfp_offload_counts *c)
{
	int err = __real_lwfp_offload_counts(fd, c);

	if (!err && moving_readings > 0) {
		moving_readings--;
		return -EAGAIN;
	}
	return err;
}

/* Set: lwfp_offload_spill() answers this, as an engine would. */
static bool engine_fake;
static struct lwfp_offload_spill engine_says;

int __real_lwfp_offload_spill(int fd, struct lwfp_offload_spill *sp,
			      const struct lwfp_offload_opts *opts);
int __wrap_lwfp_offload_spill(int fd, struct lwfp_offload_spill *sp,
			      const struct lwfp_offload_opts *opts);

int __wrap_lwfp_offload_spill(int fd, struct lwfp_offload_spill *sp,
			      const struct lwfp_offload_opts *opts)
{
	if (!engine_fake)
		return __real_lwfp_offload_spill(fd, sp, opts);
	*sp = engine_says;
	return 0;
}

static void tcp_pair(int fds[2])
{
	assert_int_equal(loopback_tcp_pair(fds), 0);
}

struct flow {
	int cpeer, client, server, speer;
	struct offload o;
};

/* One direction's counts at the hand-over, as offload_begin() sets them. */
static void dir_set(struct offload_dir *d, int src, int dst)
{
	struct lwfp_offload_counts s, t;

	assert_int_equal(lwfp_offload_counts(src, &s), 0);
	assert_int_equal(lwfp_offload_counts(dst, &t), 0);
	*d = (struct offload_dir){
		.base = (int64_t)t.written - (int64_t)(s.received - s.unread),
		.out0 = t.written,
	};
}

static void flow_open(struct flow *f)
{
	int p[2];

	tcp_pair(p);
	f->cpeer = p[0];
	f->client = p[1];
	tcp_pair(p);
	f->server = p[0];
	f->speer = p[1];
	f->o = (struct offload){ .pin_dir = NO_ENGINE };
	dir_set(&f->o.up, f->client, f->server);
	dir_set(&f->o.down, f->server, f->client);
}

static void flow_close(struct flow *f)
{
	offload_free(&f->o);
	close(f->cpeer);
	close(f->client);
	close(f->server);
	close(f->speer);
}

/* The client's peer half-closes, and the proxy's socket has seen it. */
static void client_fin(struct flow *f)
{
	struct pollfd p = { .fd = f->client, .events = POLLRDHUP };

	assert_int_equal(shutdown(f->cpeer, SHUT_WR), 0);
	assert_int_equal(poll(&p, 1, 5000), 1);
}

/* A flow whose engine answers says to lwfp_offload_spill(). */
static void flow_open_faked(struct flow *f, struct lwfp_offload_spill says)
{
	flow_open(f);
	engine_fake = true;
	engine_says = says;
}

/* The client's peer sends n bytes, and the proxy's socket has them. */
static void client_sends(struct flow *f, const char *bytes, size_t n)
{
	assert_int_equal(send(f->cpeer, bytes, n, 0), (ssize_t)n);
	assert_int_equal(poll(&(struct pollfd){ .fd = f->client, .events = POLLIN }, 1, 5000), 1);
}

/* Reads fd to its end: the bytes there were. */
static ssize_t drain_peer(int fd)
{
	char buf[64];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n, total = 0;

	for (;;) {
		assert_int_equal(poll(&p, 1, 5000), 1);
		n = recv(fd, buf, sizeof(buf), 0);
		assert_true(n >= 0);
		if (!n)
			return total;
		total += n;
	}
}

/* An end with nothing after it is passed on: the server's peer reads the FIN. */
static void test_end_passed_on(void **state)
{
	struct flow f;
	int failed = -1;

	(void)state;
	flow_open(&f);
	client_fin(&f);
	assert_int_equal(offload_run(&f.o, f.client, f.server, &failed), 0);
	assert_true(f.o.up.eof);
	assert_true(f.o.up.shut);
	assert_false(offload_done(&f.o));
	assert_int_equal(drain_peer(f.speer), 0);
	flow_close(&f);
}

/*
 * An end whose counts could not be read still (-EAGAIN) is neither passed
 * on nor a failure: the flow stays flushing and the next check passes it.
 * Nor is a socket that kept moving at the hand-over a failure.
 */
static void test_end_while_moving(void **state)
{
	struct flow f;
	int failed = -1;

	(void)state;
	flow_open(&f);
	client_fin(&f);
	moving_readings = 1;
	assert_int_equal(offload_run(&f.o, f.client, f.server, &failed), 0);
	assert_true(f.o.up.eof);
	assert_false(f.o.up.shut);
	assert_true(offload_flushing(&f.o));
	assert_int_equal(offload_run(&f.o, f.client, f.server, &failed), 0);
	assert_true(f.o.up.shut);
	assert_int_equal(drain_peer(f.speer), 0);
	moving_readings = 2;
	assert_int_equal(offload_begin(&f.o, f.client, f.server, NO_ENGINE, 0), -EAGAIN);
	moving_readings = 0;
	flow_close(&f);
}

/*
 * More went out through the server than the client received: the stream
 * is not what the peer sent, and the flow fails closed.
 */
static void test_more_out_than_in(void **state)
{
	struct flow f;
	int failed = -1;

	(void)state;
	flow_open(&f);
	assert_int_equal(send(f.server, "extra", 5, 0), 5);
	client_fin(&f);
	assert_int_equal(offload_run(&f.o, f.client, f.server, &failed), -EPROTO);
	assert_int_equal(failed, f.client);
	assert_false(f.o.up.shut);
	flow_close(&f);
}

/*
 * Bytes left in the client (a spill) while the engine cannot be asked
 * whether the kernel's queue has drained: the flow fails, nothing is
 * written on out of order.
 */
static void test_spill_without_engine(void **state)
{
	struct flow f;
	int failed = -1;

	(void)state;
	flow_open(&f);
	client_sends(&f, "held", 4);
	assert_int_equal(offload_run(&f.o, f.client, f.server, &failed), -EOPNOTSUPP);
	assert_int_equal(failed, f.client);
	assert_int_equal(f.o.up.pumped, 0);
	flow_close(&f);
}

/*
 * A spill whose destination could not be read still: the proxy neither
 * writes it (it cannot know the kernel's queue drained) nor fails, and
 * asks again; then it writes it on.
 */
static void test_spill_while_moving(void **state)
{
	struct flow f;
	int failed = -1;
	char buf[8];

	(void)state;
	flow_open_faked(&f, (struct lwfp_offload_spill){ .holding = true });
	client_sends(&f, "held", 4);
	moving_readings = 1;
	assert_int_equal(offload_run(&f.o, f.client, f.server, &failed), 0);
	assert_true(f.o.up.draining);
	assert_true(offload_wants_write(&f.o.up));
	assert_int_equal(f.o.up.pumped, 0);
	assert_int_equal(offload_run(&f.o, f.client, f.server, &failed), 0);
	assert_int_equal(f.o.up.pumped, 4);
	assert_int_equal(recv(f.speer, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "held", 4);
	engine_fake = false;
	flow_close(&f);
}

/*
 * At the client's end the server's socket fell short of what the client
 * sent. While the kernel still holds bytes toward it, that is a wait; once
 * nothing can still come (no spill, the kernel's queue empty), bytes were
 * lost and the flow fails at once instead of at the idle timeout.
 */
static void test_lost_bytes(void **state)
{
	struct flow f;
	int failed = -1;
	char buf[8];

	(void)state;
	/* The kernel took 4 bytes from the client and has not sent them yet. */
	flow_open_faked(&f, (struct lwfp_offload_spill){ .sent = 4 });
	client_sends(&f, "sent", 4);
	assert_int_equal(recv(f.client, buf, sizeof(buf), 0), 4);
	client_fin(&f);
	assert_int_equal(offload_run(&f.o, f.client, f.server, &failed), 0);
	assert_false(f.o.up.shut);
	/* Now it has: the end goes on. */
	assert_int_equal(send(f.server, buf, 4, 0), 4);
	assert_int_equal(offload_run(&f.o, f.client, f.server, &failed), 0);
	assert_true(f.o.up.shut);
	flow_close(&f);

	/* The kernel says it sent 4 and dst took them; 4 more arrived and went nowhere. */
	flow_open_faked(&f, (struct lwfp_offload_spill){ .sent = 4 });
	client_sends(&f, "sentlost", 8);
	assert_int_equal(recv(f.client, buf, sizeof(buf), MSG_WAITALL), 8);
	assert_int_equal(send(f.server, buf, 4, 0), 4);
	client_fin(&f);
	assert_int_equal(offload_run(&f.o, f.client, f.server, &failed), -EPROTO);
	assert_int_equal(failed, f.client);
	assert_false(f.o.up.shut);
	engine_fake = false;
	flow_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_end_passed_on),
		cmocka_unit_test(test_end_while_moving),
		cmocka_unit_test(test_more_out_than_in),
		cmocka_unit_test(test_spill_without_engine),
		cmocka_unit_test(test_spill_while_moving),
		cmocka_unit_test(test_lost_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
