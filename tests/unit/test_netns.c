// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Sockets in other network namespaces (lib/netns.c): the namespace they
 * land in, their options, and every error path. A fresh namespace is made
 * by a thread that unshare()s and leaves its namespace's fd behind, so the
 * test process itself never moves. Needs root; skipped otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lwfp/lwfp.h>

static void *unshare_thread(void *p)
{
	int *fd = p;

	*fd = -1;
	if (!unshare(CLONE_NEWNET))
		*fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	return NULL;
}

/*
 * A new network namespace with lo up, as an fd: lo is brought up by an
 * ioctl on a socket made there, the way a caller of lwfp_netns_socket can.
 */
static int new_netns(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	pthread_t t;
	int fd = -1, s;

	assert_int_equal(pthread_create(&t, NULL, unshare_thread, &fd), 0);
	pthread_join(t, NULL);
	assert_true(fd >= 0);
	s = lwfp_netns_socket(fd, AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
	return fd;
}

static struct sockaddr_in sin4(const char *ip, uint16_t port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, ip, &s.sin_addr);
	return s;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_in s;
	socklen_t len = sizeof(s);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&s, &len), 0);
	return ntohs(s.sin_port);
}

static int sock_int(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int v = -1;

	assert_int_equal(getsockopt(fd, level, name, &v, &len), 0);
	return v;
}

static int skip_unless_root(void **state)
{
	(void)state;
	if (geteuid())
		skip();
	return 0;
}

static void test_bad_fds(void **state)
{
	struct sockaddr_in a = sin4("127.0.0.1", 0);
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int uts = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	uint32_t ino;

	(void)state;
	assert_int_equal(lwfp_listen_netns(-1, (struct sockaddr *)&a, sizeof(a), NULL), -EBADF);
	assert_int_equal(lwfp_listen_netns(999999, (struct sockaddr *)&a, sizeof(a), NULL),
			 -EBADF);
	assert_int_equal(lwfp_listen_netns(devnull, (struct sockaddr *)&a, sizeof(a), NULL),
			 -EINVAL);
	assert_int_equal(lwfp_listen_netns(uts, (struct sockaddr *)&a, sizeof(a), NULL), -EINVAL);
	assert_int_equal(lwfp_netns_socket(devnull, AF_INET, SOCK_DGRAM, 0), -EINVAL);
	assert_int_equal(lwfp_netns_info(uts, &ino, NULL), -EINVAL);
	assert_int_equal(lwfp_netns_info(-1, &ino, NULL), -EBADF);
	assert_int_equal(lwfp_netns_udp_route(devnull), -EINVAL);
	close(devnull);
	close(uts);
}

static void test_bad_args(void **state)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct sockaddr_in a = sin4("127.0.0.1", 0);
	struct lwfp_listen_opts o = { .sz = sizeof(o), .type = SOCK_RAW };
	struct {
		struct lwfp_listen_opts o;
		int newer;
	} big = { .o = { .sz = sizeof(big) }, .newer = 1 };

	(void)state;
	assert_int_equal(lwfp_listen_netns(self, NULL, 0, NULL), -EINVAL);
	assert_int_equal(lwfp_listen_netns(self, (struct sockaddr *)&a, 4, NULL), -EAFNOSUPPORT);
	assert_int_equal(lwfp_listen_netns(self, (struct sockaddr *)&a, sizeof(a), &o), -EINVAL);
	o.sz = 2;
	assert_int_equal(lwfp_listen_netns(self, (struct sockaddr *)&a, sizeof(a), &o), -EINVAL);
	/* A field this library does not know, set: refused, not ignored. */
	assert_int_equal(lwfp_listen_netns(self, (struct sockaddr *)&a, sizeof(a), &big.o),
			 -EINVAL);
	big.newer = 0;
	int fd = lwfp_listen_netns(self, (struct sockaddr *)&a, sizeof(a), &big.o);
	assert_true(fd >= 0);
	close(fd);
	close(self);
}

/* The socket lives in the other namespace, which has no address of its own. */
static void test_other_namespace(void **state)
{
	int ns = new_netns(), self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct sockaddr_in lo = sin4("127.0.0.1", 0), none = sin4("198.18.0.1", 0), any;
	struct lwfp_listen_opts udp = {
		.sz = sizeof(udp), .type = SOCK_DGRAM, .reuseaddr = true, .pktinfo = true,
	};
	uint32_t ino_ns, ino_self;
	struct stat st;
	int here, there;

	(void)state;
	assert_int_equal(lwfp_listen_netns(ns, (struct sockaddr *)&none, sizeof(none), NULL),
			 -EADDRNOTAVAIL);
	/* The port taken here is free there. */
	here = lwfp_listen_netns(self, (struct sockaddr *)&lo, sizeof(lo), NULL);
	assert_true(here >= 0);
	assert_int_equal(sock_int(here, SOL_SOCKET, SO_ACCEPTCONN), 1);
	any = sin4("0.0.0.0", local_port(here));
	there = lwfp_listen_netns(ns, (struct sockaddr *)&any, sizeof(any), &udp);
	assert_true(there >= 0);
	assert_int_equal(sock_int(there, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
	assert_int_equal(sock_int(there, SOL_SOCKET, SO_REUSEADDR), 1);
	assert_int_equal(sock_int(there, IPPROTO_IP, IP_PKTINFO), 1);
	assert_true(fcntl(there, F_GETFD) & FD_CLOEXEC);
	close(there);
	lo.sin_port = any.sin_port;
	there = lwfp_listen_netns(ns, (struct sockaddr *)&lo, sizeof(lo), NULL);
	assert_true(there >= 0);
	close(there);

	assert_int_equal(lwfp_netns_info(ns, &ino_ns, NULL), 0);
	assert_int_equal(lwfp_netns_info(self, &ino_self, NULL), 0);
	assert_int_equal(stat("/proc/self/ns/net", &st), 0);
	assert_int_equal(ino_self, (uint32_t)st.st_ino);
	assert_int_not_equal(ino_ns, ino_self);
	close(here);
	close(ns);
	close(self);
}

static void test_bind_failure(void **state)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct sockaddr_in lo = sin4("127.0.0.1", 0);
	int a, b;

	(void)state;
	a = lwfp_listen_netns(self, (struct sockaddr *)&lo, sizeof(lo), NULL);
	assert_true(a >= 0);
	lo.sin_port = htons(local_port(a));
	b = lwfp_listen_netns(self, (struct sockaddr *)&lo, sizeof(lo), NULL);
	assert_int_equal(b, -EADDRINUSE);
	close(a);
	close(self);
}

static void test_cookie(void **state)
{
	int ns = new_netns(), self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	uint64_t c_ns = 0, c_self = 0, again = 0;
	int err;

	(void)state;
	err = lwfp_netns_info(self, NULL, &c_self);
	if (err == -EOPNOTSUPP)
		skip();
	assert_int_equal(err, 0);
	assert_int_equal(lwfp_netns_info(ns, NULL, &c_ns), 0);
	assert_int_equal(lwfp_netns_info(ns, NULL, &again), 0);
	assert_true(c_ns && c_self && c_ns != c_self);
	assert_true(c_ns == again);
	close(ns);
	close(self);
}

static void test_socket_and_route(void **state)
{
	int ns = new_netns();
	int fd = lwfp_netns_socket(ns, AF_INET, SOCK_DGRAM, 0);

	(void)state;
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	/* Twice: already routed is success. */
	assert_int_equal(lwfp_netns_udp_route(ns), 0);
	assert_int_equal(lwfp_netns_udp_route(ns), 0);
	close(ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_bad_fds, skip_unless_root),
		cmocka_unit_test_setup(test_bad_args, skip_unless_root),
		cmocka_unit_test_setup(test_other_namespace, skip_unless_root),
		cmocka_unit_test_setup(test_bind_failure, skip_unless_root),
		cmocka_unit_test_setup(test_cookie, skip_unless_root),
		cmocka_unit_test_setup(test_socket_and_route, skip_unless_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
