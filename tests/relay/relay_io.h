/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Addresses and byte relaying for the test programs in tests/relay, with
 * libc only: the legacy relay, written the iptables-REDIRECT way, must not
 * even see an lwfp header.
 */
#ifndef LWFP_TESTS_RELAY_IO_H
#define LWFP_TESTS_RELAY_IO_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* "a.b.c.d:port" or "[v6]:port" into a sockaddr; 0 or -1. */
static inline int parse_addr_port(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s;
	char *end;
	unsigned long port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -1;
		hl = (size_t)(close - s - 1);
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		port_s = close + 2;
	} else {
		const char *colon = strrchr(s, ':');

		if (!colon)
			return -1;
		hl = (size_t)(colon - s);
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
		host[hl] = '\0';
		port_s = colon + 1;
	}
	errno = 0;
	port = strtoul(port_s, &end, 10);
	if (errno || *port_s == '\0' || *end != '\0' || port == 0 || port > 65535)
		return -1;

	if (s[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
	}
	return 0;
}

static inline void format_sockaddr(const struct sockaddr_storage *ss, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(out, size, "%s:%u", host, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(out, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
	} else {
		snprintf(out, size, "family%u", ss->ss_family);
	}
}

struct pump {
	int from, to;
};

/*
 * Copy one direction until EOF, then half-close the other side. On an error
 * both sockets are shut down so that the opposite direction ends too.
 */
static inline void *pump(void *arg)
{
	struct pump *p = arg;
	char buf[65536];

	for (;;) {
		ssize_t n = recv(p->from, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			shutdown(p->to, SHUT_WR);
			return NULL;
		}
		if (n < 0)
			goto broken;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = send(p->to, buf + off, (size_t)(n - off), MSG_NOSIGNAL);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				goto broken;
			off += w;
		}
	}
broken:
	shutdown(p->from, SHUT_RDWR);
	shutdown(p->to, SHUT_RDWR);
	return NULL;
}

static inline void relay(int a, int b)
{
	struct pump up = { .from = a, .to = b }, down = { .from = b, .to = a };
	pthread_t t;

	if (pthread_create(&t, NULL, pump, &down) != 0) {
		shutdown(a, SHUT_RDWR);
		shutdown(b, SHUT_RDWR);
		return;
	}
	pump(&up);
	pthread_join(t, NULL);
}

/* ---- a relay's set-up ------------------------------------------------------ */

/*
 * The listening socket at listen_s, the log (appended to; *log_fd is left
 * alone without log_path) and the pidfile. 0, or 1 for a system error and 2 for a bad
 * --listen, after a line on stderr naming prog.
 */
static inline int relay_setup(const char *prog, const char *listen_s, const char *log_path,
			      const char *pidfile, int *lfd, int *log_fd)
{
	struct sockaddr_storage la;
	socklen_t la_len;
	int one = 1;
	FILE *f;

	if (parse_addr_port(listen_s, &la, &la_len)) {
		fprintf(stderr, "%s: bad --listen '%s'\n", prog, listen_s);
		return 2;
	}
	if (log_path)
		*log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (log_path && *log_fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, log_path, strerror(errno));
		return 1;
	}
	*lfd = socket(la.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*lfd < 0 || setsockopt(*lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(*lfd, (struct sockaddr *)&la, la_len) || listen(*lfd, 1024)) {
		fprintf(stderr, "%s: listen %s: %s\n", prog, listen_s, strerror(errno));
		return 1;
	}
	if (!pidfile)
		return 0;
	f = fopen(pidfile, "w");
	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f)) {
		fprintf(stderr, "%s: %s: %s\n", prog, pidfile, strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * The next connection; a relay under load outlives a moment without
 * descriptors or memory. -1 on a real error, after a line on stderr.
 */
static inline int relay_accept(const char *prog, int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0)
			return fd;
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			usleep(10000);
			continue;
		}
		fprintf(stderr, "%s: accept: %s\n", prog, strerror(errno));
		return -1;
	}
}

#endif /* LWFP_TESTS_RELAY_IO_H */
