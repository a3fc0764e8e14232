// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfp-test-offload --pin-dir DIR: lwfp_offload() on two loopback TCP
 * pairs, client c <-> a (the "accepted" socket) and b (the "outbound"
 * socket) <-> server s, with an engine up at DIR:
 *   - bytes queued unread in a and b before the hand-over come out of the
 *     other side, and bytes sent after follow them, both ways;
 *   - handing a over again with another socket is -EEXIST and leaves the
 *     first pair relaying;
 *   - a FIN is not relayed: the caller passes it on.
 * Prints "ok NAME" or "FAIL NAME: why" per check; exit 0 when all passed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lwfp/lwfp.h>

static int failures;

static void check(const char *name, int ok, const char *why)
{
	if (ok) {
		printf("ok %s\n", name);
		return;
	}
	printf("FAIL %s: %s\n", name, why);
	failures++;
}

/* Connected loopback pair: *c the connecting side, *a the accepted one. */
static int pair(int *c, int *a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int err = 0;

	if (l < 0)
		return -errno;
	*c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*c < 0 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sin, &len) ||
	    connect(*c, (struct sockaddr *)&sin, sizeof(sin)))
		err = -errno;
	*a = err ? -1 : accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (!err && *a < 0)
		err = -errno;
	close(l);
	return err;
}

/* Reads exactly the string want from fd within 5 s. */
static int got(int fd, const char *want)
{
	size_t n = strlen(want), have = 0;
	char buf[64];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t r;

	while (have < n && poll(&p, 1, 5000) == 1) {
		r = recv(fd, buf + have, n - have, 0);
		if (r <= 0)
			break;
		have += (size_t)r;
	}
	return have == n && !memcmp(buf, want, n);
}

/* Nothing to read from fd within 200 ms (no byte, no end). */
static int quiet(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 200) == 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = { { "pin-dir", required_argument, NULL, 'd' }, { 0 } };
	struct lwfp_offload_opts opts = { .sz = sizeof(opts) };
	int c, a, b, s, x, y, rc, o;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((o = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		if (o != 'd') {
			fprintf(stderr, "usage: lwfp-test-offload --pin-dir DIR\n");
			return 2;
		}
		opts.pin_dir = optarg;
	}
	if (pair(&c, &a) || pair(&b, &s) || pair(&x, &y)) {
		perror("lwfp-test-offload: loopback pairs");
		return 1;
	}
	check("queued-up", send(c, "early", 5, 0) == 5, strerror(errno));
	check("queued-down", send(s, "banner", 6, 0) == 6, strerror(errno));
	rc = lwfp_offload(a, b, &opts);
	check("offload", rc == 0, strerror(-rc));
	check("queued-up-relayed", got(s, "early"), "the server did not get the queued bytes");
	check("queued-down-relayed", got(c, "banner"), "the client did not get the queued bytes");
	check("up-relayed", send(c, "up", 2, 0) == 2 && got(s, "up"), "no bytes up");
	check("down-relayed", send(s, "down", 4, 0) == 4 && got(c, "down"), "no bytes down");
	rc = lwfp_offload(a, x, &opts);
	check("again-eexist", rc == -EEXIST, strerror(-rc));
	check("again-still-relays", send(c, "after", 5, 0) == 5 && got(s, "after"),
	      "the first pair stopped relaying");
	check("fin-not-relayed", shutdown(c, SHUT_WR) == 0 && quiet(s), "the FIN reached the server");
	return failures ? 1 : 0;
}
