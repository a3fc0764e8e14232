// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfp-legacy-relay: a thread-per-connection TCP relay written the way
 * transparent proxies are written for iptables REDIRECT. It knows nothing of
 * lwfp: it includes only libc and Linux UAPI headers (and relay_io.h, which
 * is libc only) and calls no liblwfp function. The only thing it asks of an accepted socket is the original
 * destination, with getsockopt(SOL_IP, SO_ORIGINAL_DST) or
 * getsockopt(SOL_IPV6, IP6T_SO_ORIGINAL_DST). It never sets records.
 *
 * The integration tests use it to stand for the unmodified proxies deployed
 * today (DESIGN.md §3, "Unmodified transparent proxies").
 *
 * usage: lwfp-legacy-relay --listen ADDR:PORT [--name NAME] [--log FILE]
 *                          [--pidfile FILE] [--max-flows N]
 *
 *   --listen ADDR:PORT   127.0.0.1:15001 or [::1]:15001
 *   --name NAME          the relay's name in its log lines (default "legacy")
 *   --log FILE           append one line per accepted flow (default stdout)
 *   --pidfile FILE       written once the socket listens (a readiness signal)
 *   --max-flows N        flows relayed at once (default 256); past that an
 *                        accepted connection is logged as
 *                        "relay=NAME refused=max-flows" and closed, which
 *                        bounds the damage of a redirect loop
 *
 * For each accepted connection:
 *   1. the original destination: SOL_IP when the local address is IPv4 or
 *      v4-mapped (as mitmproxy decides), SOL_IPV6 otherwise;
 *   2. a new socket of that family connects to it;
 *   3. one log line, written with a single write(2) on an O_APPEND file:
 *        relay=NAME orig=ADDR:PORT|-errno connect=0|-errno|skip
 *      IPv6 addresses in brackets: [2001:db8::2]:8000;
 *   4. both directions are relayed until EOF, each passed on with
 *      shutdown(SHUT_WR) (half-close), then both sockets are closed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter_ipv4.h> /* SO_ORIGINAL_DST */

#include "relay_io.h"

/* <linux/netfilter_ipv6/ip6_tables.h> pulls in all of x_tables for one number. */
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80
#endif

static const char *relay_name = "legacy";
static int log_fd = STDOUT_FILENO;
static int max_flows = 256;
static int active_flows; /* __atomic */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The original destination, the iptables way; 0 or -errno. Which level to
 * ask depends on the local address, not the socket's family: an AF_INET6
 * listener accepts IPv4 clients as ::ffff:a.b.c.d, and for those only
 * SOL_IP answers.
 */
static int original_dst(int fd, struct sockaddr_storage *dst, socklen_t *dst_len)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	bool v4;

	if (getsockname(fd, (struct sockaddr *)&local, &len))
		return -errno;
	v4 = local.ss_family == AF_INET ||
	     (local.ss_family == AF_INET6 &&
	      IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&local)->sin6_addr));
	memset(dst, 0, sizeof(*dst));
	if (v4) {
		len = sizeof(struct sockaddr_in);
		if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, dst, &len))
			return -errno;
	} else {
		len = sizeof(struct sockaddr_in6);
		if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, dst, &len))
			return -errno;
	}
	if (dst->ss_family == AF_INET && len >= sizeof(struct sockaddr_in))
		*dst_len = sizeof(struct sockaddr_in);
	else if (dst->ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		*dst_len = sizeof(struct sockaddr_in6);
	else
		return -EPROTO; /* not the layout conntrack writes */
	return 0;
}

/* ---- the log ----------------------------------------------------------- */

static void log_line(const char *line, size_t len)
{
	pthread_mutex_lock(&log_lock);
	while (len > 0) {
		ssize_t n = write(log_fd, line, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		line += n;
		len -= (size_t)n;
	}
	pthread_mutex_unlock(&log_lock);
}

static void *handle_flow(void *arg)
{
	int in = (int)(intptr_t)arg, out = -1, rc_orig, rc_conn = 1;
	struct sockaddr_storage orig;
	socklen_t orig_len = 0;
	char addr[128], line[512];
	int n;

	rc_orig = original_dst(in, &orig, &orig_len);
	if (rc_orig == 0) {
		out = socket(orig.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (out < 0)
			rc_conn = -errno;
	}
	if (out >= 0) {
		do {
			rc_conn = connect(out, (struct sockaddr *)&orig, orig_len) ? -errno : 0;
		} while (rc_conn == -EINTR);
	}
	if (rc_orig == 0)
		format_sockaddr(&orig, addr, sizeof(addr));
	else
		snprintf(addr, sizeof(addr), "%d", rc_orig);
	if (rc_conn == 1)
		n = snprintf(line, sizeof(line), "relay=%s orig=%s connect=skip\n", relay_name, addr);
	else
		n = snprintf(line, sizeof(line), "relay=%s orig=%s connect=%d\n", relay_name, addr,
			     rc_conn);
	if (n > 0)
		log_line(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);

	if (rc_conn == 0)
		relay(in, out);
	if (out >= 0)
		close(out);
	close(in);
	__atomic_sub_fetch(&active_flows, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* ---- main -------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f, "usage: lwfp-legacy-relay --listen ADDR:PORT [--name NAME] [--log FILE]\n"
		   "                         [--pidfile FILE] [--max-flows N]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "name", required_argument, NULL, 'n' },
		{ "log", required_argument, NULL, 'L' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "max-flows", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *listen_s = NULL, *log_path = NULL, *pidfile = NULL;
	pthread_attr_t attr;
	int lfd, c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen_s = optarg; break;
		case 'n': relay_name = optarg; break;
		case 'L': log_path = optarg; break;
		case 'p': pidfile = optarg; break;
		case 'm':
			max_flows = atoi(optarg);
			if (max_flows < 1) {
				fprintf(stderr, "lwfp-legacy-relay: bad --max-flows '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!listen_s || optind != argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	rc = relay_setup("lwfp-legacy-relay", listen_s, log_path, pidfile, &lfd, &log_fd);
	if (rc)
		return rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		pthread_t t;
		int fd = relay_accept("lwfp-legacy-relay", lfd);

		if (fd < 0)
			return 1;
		if (__atomic_add_fetch(&active_flows, 1, __ATOMIC_SEQ_CST) > max_flows) {
			char line[256];
			int n = snprintf(line, sizeof(line), "relay=%s refused=max-flows\n", relay_name);

			if (n > 0)
				log_line(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
			close(fd);
			__atomic_sub_fetch(&active_flows, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		if (pthread_create(&t, &attr, handle_flow, (void *)(intptr_t)fd) != 0) {
			fprintf(stderr, "lwfp-legacy-relay: pthread_create failed\n");
			close(fd);
			__atomic_sub_fetch(&active_flows, 1, __ATOMIC_SEQ_CST);
		}
	}
}
