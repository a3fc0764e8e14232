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
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

#endif /* LWFP_TESTS_RELAY_IO_H */
