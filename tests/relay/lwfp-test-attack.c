// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfp-test-attack: the attacks of issue 12, for the
 * tests/integration/test_attacks_*.sh tests. Most subcommands run as uid
 * 65534 inside the engine's subtree. Each prints one line per kind of
 * attempt,
 *   summary WHAT attempts=N ok=N EPERM=N EACCES=N ECONNREFUSED=N ENOBUFS=N other=N [last=ERR]
 * which the tests turn into their `attacks:` figures; --expect OUTCOME makes
 * the exit status 0 only if every attempt ended that way (ok or an errno name).
 *
 *   udp-escape --to ADDR:PORT [--bind ADDR | --src ADDR] [--count N]
 *       Sends N datagrams (default 3) to a destination from a UDP flow
 *       address: from a socket bound to ADDR (IP_FREEBIND/IPV6_FREEBIND set;
 *       "bind", then "send" if the bind worked), or from an unbound socket
 *       with ADDR as the IP_PKTINFO/IPV6_PKTINFO source ("pktinfo"); with
 *       neither, from a plain unbound socket ("plain", the control). Exit 0
 *       if every first step failed with EPERM, 1 if anything was sent.
 *
 *   flow-steal --port P --next K --ready FILE --stop FILE
 *       Against the per-flow sockets of a UDP proxy at port P, found in
 *       /proc/net/udp and udp6 (bound to a flow address, connected to the
 *       application): bind each flow's address at P, plainly ("bind_plain")
 *       and with SO_REUSEADDR ("bind_reuse"); send the application three
 *       datagrams "SPOOF" with the flow address as IP_PKTINFO source
 *       ("spoof"); bind the wildcard at P with SO_REUSEADDR ("bind_wild");
 *       bind the K flow addresses after the highest in use ("prebind") and
 *       send a datagram to each ("poison"). Then it writes FILE, keeps every
 *       socket it got and counts what they receive ("stolen") until the stop
 *       FILE appears (at most 60 s).
 *
 *   listen --listen ADDR:PORT --log FILE [--register H] [--retry-bind] [--ready FILE]
 *       A TCP listener that logs each accepted connection:
 *         conn peer=ADDR bytes=N first=WORD ctx=0|ERR pid=N uid=N comm=C orig=ADDR netns=N
 *       (the redirect context's fields), answers "ok" and closes. --register
 *       calls lwfp_register_listener(H) and prints "register ok|ERR";
 *       --retry-bind retries a refused bind every 50 ms, as a restarting
 *       proxy does. FILE is written once it listens.
 *
 *   connect --to ADDR:PORT [--count N] [--sport-base P] [--mptcp] [--unshare]
 *           [--squat ADDR:PORT --log FILE] [--ready FILE --go FILE]
 *       N connections ("connect"), each sending "hello pid=PID i=I" and
 *       reading the answer to its end. --sport-base binds connection I to
 *       port P+I. --mptcp: IPPROTO_MPTCP sockets (exit 3 if the kernel
 *       refuses them). --unshare: first a user and network namespace of its
 *       own with its loopback up (exit 3 if refused), where --squat listens
 *       the way `listen` does. --ready/--go: write one file, then wait for
 *       the other before connecting, so that two instances race.
 *
 *   udp-flood --to ADDR --ports LO-HI [--sockets S] [--count N] [--burst B] [--pace-us U]
 *             [--ready FILE --stop FILE]
 *       N datagrams ("flood") over S unconnected sockets, each socket round
 *       robin over the ports (a new flow per datagram while N <= S * ports), B at a time with U microseconds between bursts. With
 *       --stop it writes the ready FILE and keeps the sockets, and so their
 *       flows, until the stop FILE appears (at most 60 s).
 *
 *   udp-serve --listen ADDR --ports LO-HI --log FILE [--ready FILE]
 *       The servers the attacks aim at: a UDP socket at ADDR (IPv4, or IPv6
 *       without brackets) on each port, at most 64. Each datagram is logged
 *       as one line "TAG|DATA" and answered with "TAG|DATA", TAG being the
 *       address and port it was sent to (ADDR:PORT, [ADDR]:PORT for IPv6).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lwfp/lwfp.h>

#include "relay_common.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#define MAX_KEPT 1024
#define MAX_FLOWS 256

struct opts {
	const char *to, *bind, *src, *listen, *log, *ready, *go, *stop, *squat, *ports, *expect;
	unsigned count, next, port, sockets, burst, pace_us;
	unsigned sport_base;
	uint32_t reg;
	bool has_reg, mptcp, unshare, retry_bind;
};

/* ---- outcomes ------------------------------------------------------------ */

struct tally {
	unsigned attempts, ok, eperm, eacces, econnrefused, enobufs, other;
	int last_other;
};

static void tally_add(struct tally *t, int err)
{
	t->attempts++;
	switch (err) {
	case 0: t->ok++; break;
	case EPERM: t->eperm++; break;
	case EACCES: t->eacces++; break;
	case ECONNREFUSED: t->econnrefused++; break;
	case ENOBUFS: t->enobufs++; break;
	default:
		t->other++;
		t->last_other = err;
	}
}

static const char *errname(int err)
{
	const char *n = err ? strerrorname_np(err) : "ok";

	return n ? n : "unknown";
}

static void tally_print(const char *what, const struct tally *t)
{
	printf("summary %s attempts=%u ok=%u EPERM=%u EACCES=%u ECONNREFUSED=%u ENOBUFS=%u other=%u",
	       what, t->attempts, t->ok, t->eperm, t->eacces, t->econnrefused, t->enobufs, t->other);
	if (t->other)
		printf(" last=%s", errname(t->last_other));
	printf("\n");
}

/* How many attempts ended as OUTCOME ("ok" or an errno name). */
static unsigned tally_count(const struct tally *t, const char *outcome)
{
	if (!strcmp(outcome, "ok"))
		return t->ok;
	if (!strcmp(outcome, "EPERM"))
		return t->eperm;
	if (!strcmp(outcome, "EACCES"))
		return t->eacces;
	if (!strcmp(outcome, "ECONNREFUSED"))
		return t->econnrefused;
	if (!strcmp(outcome, "ENOBUFS"))
		return t->enobufs;
	return 0;
}

static int tally_exit(const struct tally *t, const char *expect)
{
	if (!expect)
		return 0;
	return t->attempts && tally_count(t, expect) == t->attempts ? 0 : 1;
}

/* ---- small helpers --------------------------------------------------------- */

static int touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;

	return path && !stat(path, &st);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait for a file to appear; -1 after timeout_ms. */
static int wait_file(const char *path, unsigned timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;

	while (!exists(path)) {
		if (now_ms() >= end)
			return -1;
		usleep(10000);
	}
	return 0;
}

static void set_timeouts(int fd, unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	/* A failure only makes a stuck peer block longer; the test's timeout ends it. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int parse_ip(const char *s, struct sockaddr_storage *ss, socklen_t *len, uint16_t port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static int set_one(int fd, int level, int name)
{
	int one = 1;

	return setsockopt(fd, level, name, &one, sizeof(one)) ? -errno : 0;
}

/*
 * A UDP socket bound to ss, with FREEBIND so that only the engine can refuse
 * an address that is routed but not configured; the fd or -errno.
 */
static int udp_bound(const struct sockaddr_storage *ss, socklen_t len, bool reuse)
{
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return -errno;
	err = set_one(fd, ss->ss_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
		      ss->ss_family == AF_INET6 ? IPV6_FREEBIND : IP_FREEBIND);
	if (!err && reuse)
		err = set_one(fd, SOL_SOCKET, SO_REUSEADDR);
	if (!err && bind(fd, (const struct sockaddr *)ss, len))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* sendmsg with src as the IP_PKTINFO / IPV6_PKTINFO source; 0 or -errno. */
static int send_from(int fd, const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
		     socklen_t dlen, const char *payload)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} c;
	struct iovec iov = { .iov_base = (void *)payload, .iov_len = strlen(payload) };
	struct msghdr m = { .msg_name = (void *)dst, .msg_namelen = dlen, .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = c.buf };
	struct cmsghdr *cm;

	memset(&c, 0, sizeof(c));
	cm = (struct cmsghdr *)c.buf;
	if (src->ss_family == AF_INET) {
		struct in_pktinfo pi = { .ipi_spec_dst = ((const struct sockaddr_in *)src)->sin_addr };

		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		m.msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_addr = ((const struct sockaddr_in6 *)src)->sin6_addr };

		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		m.msg_controllen = CMSG_SPACE(sizeof(pi));
	}
	return sendmsg(fd, &m, 0) < 0 ? -errno : 0;
}

/* ---- udp-escape ------------------------------------------------------------- */

static int escape_bound(const struct sockaddr_storage *from, socklen_t flen,
			const struct sockaddr_storage *dst, socklen_t dlen, unsigned count)
{
	struct tally bt = { 0 }, st = { 0 };
	int fd = udp_bound(from, flen, false);

	tally_add(&bt, fd < 0 ? -fd : 0);
	tally_print("bind", &bt);
	if (fd < 0)
		return bt.eperm == 1 ? 0 : 1;
	for (unsigned i = 0; i < count; i++)
		tally_add(&st, sendto(fd, "ESCAPE", 6, 0, (const struct sockaddr *)dst, dlen) < 0 ? errno
											       : 0);
	tally_print("send", &st);
	close(fd);
	return 1;
}

/* src NULL: a plain datagram, the control that the destination is blocked at all. */
static int escape_pktinfo(const struct sockaddr_storage *src, const struct sockaddr_storage *dst,
			  socklen_t dlen, unsigned count)
{
	struct tally t = { 0 };
	int fd = socket(dst->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		perror("socket");
		return 2;
	}
	/* An IPv6 source that is routed, not configured, needs FREEBIND to be accepted at all. */
	if (dst->ss_family == AF_INET6 && set_one(fd, IPPROTO_IPV6, IPV6_FREEBIND)) {
		perror("IPV6_FREEBIND");
		close(fd);
		return 2;
	}
	for (unsigned i = 0; i < count; i++)
		tally_add(&t, src ? -send_from(fd, src, dst, dlen, "ESCAPE")
				  : sendto(fd, "PLAIN", 5, 0, (const struct sockaddr *)dst, dlen) < 0 ? errno
													: 0);
	tally_print(src ? "pktinfo" : "plain", &t);
	close(fd);
	return t.eperm == t.attempts ? 0 : 1;
}

static int cmd_escape(const struct opts *o)
{
	struct sockaddr_storage dst, from;
	socklen_t dlen, flen;
	const char *a = o->bind ? o->bind : o->src;

	if (!o->to || parse_addr_port(o->to, &dst, &dlen) ||
	    (a && (parse_ip(a, &from, &flen, 0) || from.ss_family != dst.ss_family))) {
		fprintf(stderr, "udp-escape: need --to ADDR:PORT [--bind ADDR | --src ADDR], one family\n");
		return 2;
	}
	if (o->bind)
		return escape_bound(&from, flen, &dst, dlen, o->count ? o->count : 3);
	return escape_pktinfo(a ? &from : NULL, &dst, dlen, o->count ? o->count : 3);
}

/* ---- flow-steal -------------------------------------------------------------- */

struct victim {
	struct sockaddr_storage flow, peer;
	socklen_t flen, plen;
};

struct steal {
	struct victim v[MAX_FLOWS];
	unsigned nv;
	uint32_t highest; /* host order flow number */
	int kept[MAX_KEPT];
	unsigned nkept;
};

static void keep(struct steal *s, int fd)
{
	if (s->nkept < MAX_KEPT)
		s->kept[s->nkept++] = fd;
	else
		close(fd);
}

/* "0100007F:1F90" (IPv4) or 32 hex digits (IPv6), as /proc/net/udp* print them. */
static int proc_addr(const char *s, int family, struct sockaddr_storage *ss, socklen_t *len)
{
	uint32_t w[4];
	unsigned port, nw = family == AF_INET ? 1 : 4;

	for (unsigned i = 0; i < nw; i++)
		if (sscanf(s + 8 * i, "%8x", &w[i]) != 1)
			return -1;
	if (s[8 * nw] != ':' || sscanf(s + 8 * nw + 1, "%x", &port) != 1)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = w[0];
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, w, 16);
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
	}
	return 0;
}

static uint32_t flow_number(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return lwfp_udp_flow_number(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr);
	return lwfp_udp_flow_number(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
					      : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* A connected socket bound to a flow address at port: a proxy's per-flow socket. */
static void scan_line(struct steal *s, const char *line, int family, unsigned port)
{
	char local[64], remote[64];
	struct victim v;
	uint32_t n;

	if (sscanf(line, "%*d: %63s %63s", local, remote) != 2 ||
	    proc_addr(local, family, &v.flow, &v.flen) || proc_addr(remote, family, &v.peer, &v.plen))
		return;
	n = flow_number(&v.flow);
	if (!n || port_of(&v.flow) != port || !port_of(&v.peer) || s->nv >= MAX_FLOWS)
		return;
	s->v[s->nv++] = v;
	if (ntohl(n) > s->highest)
		s->highest = ntohl(n);
}

static int scan_proc(struct steal *s, const char *path, int family, unsigned port)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f))
		scan_line(s, line, family, port);
	fclose(f);
	return 0;
}

static void steal_binds(struct steal *s)
{
	struct tally plain = { 0 }, reuse = { 0 };

	for (unsigned i = 0; i < s->nv; i++) {
		int a = udp_bound(&s->v[i].flow, s->v[i].flen, false);
		int b = udp_bound(&s->v[i].flow, s->v[i].flen, true);

		tally_add(&plain, a < 0 ? -a : 0);
		tally_add(&reuse, b < 0 ? -b : 0);
		if (a >= 0)
			keep(s, a);
		if (b >= 0)
			keep(s, b);
	}
	tally_print("bind_plain", &plain);
	tally_print("bind_reuse", &reuse);
}

static void steal_spoof(struct steal *s)
{
	struct tally t = { 0 };

	for (unsigned i = 0; i < s->nv; i++) {
		int fd = socket(s->v[i].flow.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			tally_add(&t, errno);
			continue;
		}
		if (s->v[i].flow.ss_family == AF_INET6)
			(void)set_one(fd, IPPROTO_IPV6, IPV6_FREEBIND); /* else the kernel, not lwfp, refuses */
		for (int k = 0; k < 3; k++)
			tally_add(&t, -send_from(fd, &s->v[i].flow, &s->v[i].peer, s->v[i].plen, "SPOOF"));
		close(fd);
	}
	tally_print("spoof", &t);
}

static void steal_wild(struct steal *s, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct tally t = { 0 };
	const char *any[] = { "0.0.0.0", "::" };

	for (int i = 0; i < 2; i++) {
		int fd;

		if (parse_ip(any[i], &ss, &len, (uint16_t)port))
			continue;
		fd = udp_bound(&ss, len, true);
		tally_add(&t, fd < 0 ? -fd : 0);
		if (fd >= 0)
			keep(s, fd);
	}
	tally_print("bind_wild", &t);
}

/* The next flow addresses the engine hands out: bind them, then poison them. */
static void steal_next(struct steal *s, unsigned port, unsigned k)
{
	struct tally pre = { 0 }, poison = { 0 };
	int sfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	for (unsigned i = 1; i <= k; i++) {
		struct sockaddr_storage ss;
		socklen_t len = lwfp_udp_flow_sockaddr(htonl(s->highest + i), AF_INET,
						       htons((uint16_t)port), &ss);
		int fd = udp_bound(&ss, len, true);

		tally_add(&pre, fd < 0 ? -fd : 0);
		if (fd >= 0)
			keep(s, fd);
		tally_add(&poison, sfd < 0 ? EBADF
					   : sendto(sfd, "POISON", 6, 0, (struct sockaddr *)&ss, len) < 0
						     ? errno
						     : 0);
	}
	if (sfd >= 0)
		close(sfd);
	tally_print("prebind", &pre);
	tally_print("poison", &poison);
}

/* Everything the sockets we got receive, until the stop file appears. */
static void steal_listen(struct steal *s, const char *stop)
{
	struct tally t = { 0 };
	uint64_t end = now_ms() + 60000;
	char buf[2048];

	for (unsigned i = 0; i < s->nkept; i++)
		(void)fcntl(s->kept[i], F_SETFL, O_NONBLOCK);
	while (!exists(stop) && now_ms() < end) {
		for (unsigned i = 0; i < s->nkept; i++)
			while (recv(s->kept[i], buf, sizeof(buf), 0) >= 0)
				tally_add(&t, 0);
		usleep(5000);
	}
	printf("stolen %u\n", t.ok);
	for (unsigned i = 0; i < s->nkept; i++)
		close(s->kept[i]);
}

static int cmd_steal(const struct opts *o)
{
	static struct steal s;

	if (!o->port || !o->ready || !o->stop) {
		fprintf(stderr, "flow-steal: need --port P --ready FILE --stop FILE\n");
		return 2;
	}
	if (scan_proc(&s, "/proc/net/udp", AF_INET, o->port) ||
	    scan_proc(&s, "/proc/net/udp6", AF_INET6, o->port)) {
		perror("/proc/net/udp");
		return 2;
	}
	printf("flows %u highest %u\n", s.nv, s.highest & ~LWFP_UDP_MASK);
	if (!s.nv) {
		fprintf(stderr, "flow-steal: no per-flow socket at port %u\n", o->port);
		return 2;
	}
	steal_binds(&s);
	steal_spoof(&s);
	steal_wild(&s, o->port);
	steal_next(&s, o->port, o->next);
	if (touch(o->ready))
		return 2;
	steal_listen(&s, o->stop);
	return 0;
}

/* ---- listen ------------------------------------------------------------------- */

struct served {
	int lfd, logfd;
};

/* The redirect context's fields, as "pid=N uid=N comm=C orig=ADDR netns=N". */
static void ctx_fields(int fd, char *out, size_t size)
{
	union {
		struct lwfp_redirect_context c;
		char buf[LWFP_CONTEXT_MAX];
	} u;
	struct sockaddr_storage orig;
	char o[128] = "-";
	size_t got = 0;
	int err = lwfp_query_redirect_context(fd, u.buf, sizeof(u.buf), &got);

	if (err || got < offsetof(struct lwfp_redirect_context, raw_len)) {
		snprintf(out, size, "ctx=%s", err ? errname(-err) : "short");
		return;
	}
	if (!lwfp_query_original_destination(fd, &orig))
		format_sockaddr(&orig, o, sizeof(o));
	u.c.comm[sizeof(u.c.comm) - 1] = '\0';
	snprintf(out, size, "ctx=0 pid=%u uid=%u comm=%s orig=%s netns=%u", u.c.pid, u.c.uid, u.c.comm,
		 o, u.c.version >= 2 ? u.c.netns_ino : 0);
}

static void serve_one(int cfd, int logfd)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char buf[256], p[128] = "-", first[64] = "-", ctx[256], line[640];
	ssize_t n;
	int len;

	set_timeouts(cfd, 2000);
	if (!getpeername(cfd, (struct sockaddr *)&peer, &plen))
		format_sockaddr(&peer, p, sizeof(p));
	n = recv(cfd, buf, sizeof(buf) - 1, 0);
	if (n > 0) {
		buf[n] = '\0';
		sscanf(buf, "%63s", first);
	}
	ctx_fields(cfd, ctx, sizeof(ctx));
	len = snprintf(line, sizeof(line), "conn peer=%s bytes=%zd first=%s %s\n", p, n, first, ctx);
	/* One write per line, O_APPEND: the tests read the log while it grows. */
	if (write(logfd, line, (size_t)len) != len)
		perror("log");
	(void)send(cfd, "ok\n", 3, MSG_NOSIGNAL);
	close(cfd);
}

static void *serve(void *arg)
{
	const struct served *sv = arg;

	for (;;) {
		int cfd = accept4(sv->lfd, NULL, NULL, SOCK_CLOEXEC);

		if (cfd >= 0)
			serve_one(cfd, sv->logfd);
		else if (errno != EINTR && errno != ECONNABORTED)
			usleep(10000); /* EMFILE and the like: back off, never spin */
	}
	return NULL;
}

/* A TCP listener at addr; the fd or -errno. retry: wait until the port is free. */
static int tcp_listener(const char *addr, bool retry)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, err;

	if (parse_addr_port(addr, &ss, &len))
		return -EINVAL;
	for (;;) {
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		err = set_one(fd, SOL_SOCKET, SO_REUSEADDR);
		if (!err && (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4096)))
			err = -errno;
		if (!err)
			return fd;
		close(fd);
		if (!retry || err != -EADDRINUSE)
			return err;
		usleep(50000);
	}
}

static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0)
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
	return fd;
}

static int cmd_listen(const struct opts *o)
{
	struct served sv;

	if (!o->listen || !o->log) {
		fprintf(stderr, "listen: need --listen ADDR:PORT --log FILE\n");
		return 2;
	}
	sv.logfd = open_log(o->log);
	if (sv.logfd < 0)
		return 2;
	sv.lfd = tcp_listener(o->listen, o->retry_bind);
	if (sv.lfd < 0) {
		fprintf(stderr, "listen %s: %s\n", o->listen, strerror(-sv.lfd));
		return 1;
	}
	if (o->has_reg)
		printf("register %s\n", errname(-lwfp_register_listener(sv.lfd, o->reg)));
	printf("listening %s\n", o->listen);
	if (o->ready && touch(o->ready))
		return 2;
	serve(&sv);
	return 0;
}

/* ---- connect ------------------------------------------------------------------ */

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		err = -errno;
	close(fd);
	return err;
}

/* Our own user and network namespace, root there, its loopback up. */
static int own_netns(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, err;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		return -errno;
	snprintf(map, sizeof(map), "0 %u 1", uid);
	err = write_file("/proc/self/setgroups", "deny");
	err = err ? err : write_file("/proc/self/uid_map", map);
	snprintf(map, sizeof(map), "0 %u 1", gid);
	err = err ? err : write_file("/proc/self/gid_map", map);
	if (err)
		return err;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		err = ioctl(fd, SIOCSIFFLAGS, &ifr) ? -errno : 0;
	} else {
		err = -errno;
	}
	close(fd);
	return err;
}

static int start_squat(const struct opts *o)
{
	static struct served sv;
	pthread_t t;
	int err;

	sv.logfd = open_log(o->log);
	if (sv.logfd < 0)
		return -EIO;
	sv.lfd = tcp_listener(o->squat, false);
	if (sv.lfd < 0)
		return sv.lfd;
	err = pthread_create(&t, NULL, serve, &sv);
	if (err)
		return -err;
	return -pthread_detach(t);
}

/* One connection: 0 once the answer was read to its end, else the errno of the step that failed. */
static int one_connect(const struct opts *o, const struct sockaddr_storage *dst, socklen_t dlen,
		       unsigned i)
{
	char msg[64], buf[256];
	int fd = socket(dst->ss_family, SOCK_STREAM | SOCK_CLOEXEC, o->mptcp ? IPPROTO_MPTCP : 0);
	int err = 0, len;
	ssize_t n;

	if (fd < 0)
		return errno;
	set_timeouts(fd, 5000);
	if (o->sport_base) {
		struct sockaddr_storage src;
		socklen_t slen;

		parse_ip(dst->ss_family == AF_INET ? "0.0.0.0" : "::", &src, &slen,
			 (uint16_t)(o->sport_base + i));
		if (set_one(fd, SOL_SOCKET, SO_REUSEADDR) || bind(fd, (struct sockaddr *)&src, slen))
			err = errno;
	}
	if (!err && connect(fd, (const struct sockaddr *)dst, dlen))
		err = errno;
	len = snprintf(msg, sizeof(msg), "hello pid=%d i=%u\n", (int)getpid(), i);
	if (!err && send(fd, msg, (size_t)len, MSG_NOSIGNAL) != len)
		err = errno ? errno : EIO;
	while (!err && (n = recv(fd, buf, sizeof(buf), 0)) != 0)
		if (n < 0)
			err = errno;
	close(fd);
	return err;
}

static int connect_prepare(const struct opts *o)
{
	int err;

	if (o->unshare) {
		err = own_netns();
		if (err) {
			printf("user and network namespace refused: %s\n", strerror(-err));
			return 3;
		}
	}
	if (o->squat) {
		err = o->log ? start_squat(o) : -EINVAL;
		if (err) {
			fprintf(stderr, "squat %s: %s\n", o->squat, strerror(-err));
			return 2;
		}
	}
	if (o->ready && touch(o->ready))
		return 2;
	if (o->go && wait_file(o->go, 30000)) {
		fprintf(stderr, "connect: %s did not appear\n", o->go);
		return 2;
	}
	return 0;
}

static int cmd_connect(const struct opts *o)
{
	struct sockaddr_storage dst;
	socklen_t dlen;
	struct tally t = { 0 };
	unsigned count = o->count ? o->count : 1;
	int rc;

	if (!o->to || parse_addr_port(o->to, &dst, &dlen)) {
		fprintf(stderr, "connect: need --to ADDR:PORT\n");
		return 2;
	}
	rc = connect_prepare(o);
	if (rc)
		return rc;
	for (unsigned i = 0; i < count; i++) {
		int err = one_connect(o, &dst, dlen, i);

		if (o->mptcp && i == 0 &&
		    (err == EPROTONOSUPPORT || err == EINVAL || err == ENOPROTOOPT)) {
			printf("MPTCP sockets refused: %s\n", strerror(err));
			return 3;
		}
		tally_add(&t, err);
	}
	tally_print("connect", &t);
	return tally_exit(&t, o->expect);
}

/* ---- udp-flood ------------------------------------------------------------------- */

static int cmd_flood(const struct opts *o)
{
	struct sockaddr_storage dst;
	socklen_t dlen;
	struct tally t = { 0 };
	unsigned lo, hi, ns = o->sockets ? o->sockets : 8, burst = o->burst ? o->burst : 1;
	int fds[64];

	if (!o->to || !o->ports || sscanf(o->ports, "%u-%u", &lo, &hi) != 2 || lo > hi || hi > 65535 ||
	    ns > 64 || parse_ip(o->to, &dst, &dlen, 0)) {
		fprintf(stderr, "udp-flood: need --to ADDR --ports LO-HI [--sockets <=64]\n");
		return 2;
	}
	for (unsigned s = 0; s < ns; s++) {
		fds[s] = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fds[s] < 0) {
			perror("socket");
			return 2;
		}
	}
	for (unsigned i = 0; i < o->count; i++) {
		/* Socket i % ns, and a port it has not sent to: a new flow each. */
		uint16_t port = (uint16_t)(lo + (i / ns) % (hi - lo + 1));

		if (dst.ss_family == AF_INET)
			((struct sockaddr_in *)&dst)->sin_port = htons(port);
		else
			((struct sockaddr_in6 *)&dst)->sin6_port = htons(port);
		tally_add(&t, sendto(fds[i % ns], "FLOOD", 5, 0, (struct sockaddr *)&dst, dlen) < 0 ? errno
												 : 0);
		if (o->pace_us && (i + 1) % burst == 0)
			usleep(o->pace_us);
	}
	tally_print("flood", &t);
	if (o->stop && (!o->ready || touch(o->ready) || wait_file(o->stop, 60000)))
		fprintf(stderr, "udp-flood: no --ready, or %s did not appear\n", o->stop);
	for (unsigned s = 0; s < ns; s++)
		close(fds[s]);
	return tally_exit(&t, o->expect);
}

/* ---- udp-serve ------------------------------------------------------------------ */

/* Log a datagram and echo it, both as "TAG|DATA". */
static void serve_dgram(int fd, const char *tag, int logfd)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char in[2048], out[2200];
	ssize_t n = recvfrom(fd, in, sizeof(in) - 1, MSG_DONTWAIT, (struct sockaddr *)&peer, &plen);
	int len;

	if (n < 0)
		return;
	len = snprintf(out, sizeof(out), "%s|%.*s", tag, (int)n, in);
	if (len < 0 || (size_t)len >= sizeof(out))
		return;
	out[len] = '\n';
	if (write(logfd, out, (size_t)len + 1) != len + 1)
		perror("log");
	/* A spoofed source may have no route back; the datagram was counted. */
	(void)sendto(fd, out, (size_t)len, 0, (struct sockaddr *)&peer, plen);
}

static int serve_socket(const char *addr, unsigned port, char *tag, size_t tsize)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (parse_ip(addr, &ss, &len, (uint16_t)port))
		return -EINVAL;
	format_sockaddr(&ss, tag, tsize);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if ((ss.ss_family == AF_INET6 && set_one(fd, IPPROTO_IPV6, IPV6_V6ONLY)) ||
	    bind(fd, (struct sockaddr *)&ss, len)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int cmd_serve(const struct opts *o)
{
	struct pollfd p[64];
	char tags[64][64];
	unsigned lo, hi, n;
	int logfd;

	if (!o->listen || !o->log || !o->ports || sscanf(o->ports, "%u-%u", &lo, &hi) != 2 ||
	    lo > hi || hi - lo >= 64) {
		fprintf(stderr, "udp-serve: need --listen ADDR --ports LO-HI (at most 64) --log FILE\n");
		return 2;
	}
	logfd = open_log(o->log);
	if (logfd < 0)
		return 2;
	n = hi - lo + 1;
	for (unsigned i = 0; i < n; i++) {
		p[i].fd = serve_socket(o->listen, lo + i, tags[i], sizeof(tags[i]));
		p[i].events = POLLIN;
		if (p[i].fd < 0) {
			fprintf(stderr, "udp-serve %s port %u: %s\n", o->listen, lo + i, strerror(-p[i].fd));
			return 1;
		}
	}
	if (o->ready && touch(o->ready))
		return 2;
	for (;;) {
		if (poll(p, n, -1) < 0 && errno != EINTR)
			return 1;
		for (unsigned i = 0; i < n; i++)
			if (p[i].revents & POLLIN)
				serve_dgram(p[i].fd, tags[i], logfd);
	}
}

/* ---- main ---------------------------------------------------------------------- */

enum {
	O_TO = 1, O_BIND, O_SRC, O_LISTEN, O_LOG, O_READY, O_GO, O_STOP, O_SQUAT, O_PORTS,
	O_EXPECT, O_COUNT, O_NEXT, O_PORT, O_SOCKETS, O_BURST, O_PACE, O_SPORT, O_REGISTER,
	O_MPTCP, O_UNSHARE, O_RETRY,
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "to", 1, NULL, O_TO },	   { "bind", 1, NULL, O_BIND },
		{ "src", 1, NULL, O_SRC },	   { "listen", 1, NULL, O_LISTEN },
		{ "log", 1, NULL, O_LOG },	   { "ready", 1, NULL, O_READY },
		{ "go", 1, NULL, O_GO },	   { "stop", 1, NULL, O_STOP },
		{ "squat", 1, NULL, O_SQUAT },	   { "ports", 1, NULL, O_PORTS },
		{ "expect", 1, NULL, O_EXPECT },   { "count", 1, NULL, O_COUNT },
		{ "next", 1, NULL, O_NEXT },	   { "port", 1, NULL, O_PORT },
		{ "sockets", 1, NULL, O_SOCKETS }, { "burst", 1, NULL, O_BURST },
		{ "pace-us", 1, NULL, O_PACE },	   { "sport-base", 1, NULL, O_SPORT },
		{ "register", 1, NULL, O_REGISTER }, { "mptcp", 0, NULL, O_MPTCP },
		{ "unshare", 0, NULL, O_UNSHARE }, { "retry-bind", 0, NULL, O_RETRY },
		{ 0 },
	};
	const char **str[] = { [O_TO] = &o->to,	      [O_BIND] = &o->bind,   [O_SRC] = &o->src,
			       [O_LISTEN] = &o->listen, [O_LOG] = &o->log,     [O_READY] = &o->ready,
			       [O_GO] = &o->go,	      [O_STOP] = &o->stop,   [O_SQUAT] = &o->squat,
			       [O_PORTS] = &o->ports,   [O_EXPECT] = &o->expect };
	unsigned *num[] = { [O_COUNT] = &o->count,     [O_NEXT] = &o->next,
			    [O_PORT] = &o->port,       [O_SOCKETS] = &o->sockets,
			    [O_BURST] = &o->burst,     [O_PACE] = &o->pace_us,
			    [O_SPORT] = &o->sport_base, [O_REGISTER] = &o->reg };
	int c;

	memset(o, 0, sizeof(*o));
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c >= O_TO && c <= O_EXPECT) {
			*str[c] = optarg;
		} else if (c >= O_COUNT && c <= O_REGISTER) {
			char *end;

			errno = 0;
			*num[c] = (unsigned)strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg)
				return -1;
			o->has_reg |= c == O_REGISTER;
		} else if (c == O_MPTCP || c == O_UNSHARE || c == O_RETRY) {
			*(c == O_MPTCP ? &o->mptcp : c == O_UNSHARE ? &o->unshare : &o->retry_bind) = true;
		} else {
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(const struct opts *o);
	} cmds[] = {
		{ "udp-escape", cmd_escape }, { "flow-steal", cmd_steal }, { "listen", cmd_listen },
		{ "connect", cmd_connect },   { "udp-flood", cmd_flood }, { "udp-serve", cmd_serve },
	};
	struct opts o;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && !parse_opts(argc, argv, &o))
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (!strcmp(argv[1], cmds[i].name))
				return cmds[i].fn(&o);
	fprintf(stderr, "usage: lwfp-test-attack udp-escape|flow-steal|listen|connect|udp-flood|udp-serve "
			"[options] (see the source's head comment)\n");
	return 2;
}
