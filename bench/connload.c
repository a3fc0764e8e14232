// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * connload: the load generator and the server of `make bench`.
 *
 *   connload server --listen ADDR:PORT [--listen ...] [--threads N]
 *       An epoll server. Each connection's first byte says what it wants:
 *         'Q'             ping (query): one byte back, then close
 *         'D' + u64 (LE)  download: that many bytes, then close
 *         'I'             idle: nothing, until the client closes
 *       (The letters start no HTTP method and no TLS record, so lwfp-inspect
 *       stops peeking at once.)
 *
 *   connload rate --to ADDR:PORT --threads N --seconds S
 *       Short connections, N threads in a loop: connect, 1 byte each way,
 *       close. One JSON line: conns, cps, p50/p99 of connect() and of
 *       connect-to-first-byte, in microseconds, errors.
 *
 *   connload bulk --to ADDR:PORT --streams N --bytes TOTAL
 *       N parallel downloads of TOTAL/N bytes. One JSON line: bytes, secs, gibps.
 *
 *   connload hold --to ADDR:PORT [--to ...] --n N [--src A,B,...]
 *       Opens N idle connections round-robin over the --to targets (and the
 *       --src bind addresses, IP_BIND_ADDRESS_NO_PORT), prints one JSON line
 *       and waits for stdin to close.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_addr.h"

#define MAXL 64

static void die(const char *m)
{
	perror(m);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/* ---- server ---------------------------------------------------------- */

#define CHUNK (256 * 1024)
static char zbuf[CHUNK];

struct conn {
	int fd;
	int hlen;
	unsigned char hdr[9];
	uint64_t left; /* download bytes still to send */
};

static int nlisten;
static struct sockaddr_in listen_addr[MAXL];

static void srv_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* 1: keep, 0: closed */
static int srv_send(int ep, struct conn *c)
{
	while (c->left) {
		size_t n = c->left < CHUNK ? c->left : CHUNK;
		ssize_t w = send(c->fd, zbuf, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EAGAIN) {
				struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };

				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				return 1;
			}
			srv_close(ep, c);
			return 0;
		}
		c->left -= (uint64_t)w;
	}
	srv_close(ep, c);
	return 0;
}

static void *srv_thread(void *arg)
{
	int ep = epoll_create1(0), i, one = 1;
	struct epoll_event evs[256];
	int lfd[MAXL];

	(void)arg;
	if (ep < 0)
		die("epoll_create1");
	for (i = 0; i < nlisten; i++) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };

		lfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		setsockopt(lfd[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(lfd[i], SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		if (bind(lfd[i], (struct sockaddr *)&listen_addr[i], sizeof(listen_addr[i])) ||
		    listen(lfd[i], 65535))
			die("server bind/listen");
		ev.data.ptr = NULL;
		ev.data.u64 = (uint64_t)i + 1; /* small numbers: listeners */
		epoll_ctl(ep, EPOLL_CTL_ADD, lfd[i], &ev);
	}
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int k = 0; k < n; k++) {
			if (evs[k].data.u64 <= MAXL) {
				int l = lfd[evs[k].data.u64 - 1];

				for (;;) {
					int fd = accept4(l, NULL, NULL, SOCK_NONBLOCK);
					struct conn *c;
					struct epoll_event ev = { .events = EPOLLIN };

					if (fd < 0)
						break;
					c = calloc(1, sizeof(*c));
					if (!c) {
						close(fd);
						continue;
					}
					c->fd = fd;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			struct conn *c = evs[k].data.ptr;

			if (evs[k].events & EPOLLOUT) {
				srv_send(ep, c);
				continue;
			}
			if (c->hlen == 0 || (c->hdr[0] == 'D' && c->hlen < 9)) {
				ssize_t r = recv(c->fd, c->hdr + c->hlen,
						 (size_t)(c->hlen ? 9 - c->hlen : 1), 0);

				if (r <= 0) {
					if (r < 0 && errno == EAGAIN)
						continue;
					srv_close(ep, c);
					continue;
				}
				c->hlen += (int)r;
				if (c->hdr[0] == 'Q') {
					send(c->fd, "p", 1, MSG_NOSIGNAL);
					srv_close(ep, c);
				} else if (c->hdr[0] == 'D' && c->hlen == 9) {
					memcpy(&c->left, c->hdr + 1, 8);
					srv_send(ep, c);
				} else if (c->hdr[0] == 'D' && c->hlen < 9) {
					/* wait for the rest of the header */
				} else if (c->hdr[0] != 'I') {
					srv_close(ep, c);
				}
				continue;
			}
			/* hold: anything, or EOF */
			{
				char b[256];
				ssize_t r = recv(c->fd, b, sizeof(b), 0);

				if (r == 0 || (r < 0 && errno != EAGAIN))
					srv_close(ep, c);
			}
		}
	}
	return NULL;
}

/* ---- clients --------------------------------------------------------- */

static struct sockaddr_in to[MAXL];
static int nto;
static struct sockaddr_in src[16];
static int nsrc;
static volatile int stop;
static atomic_ulong errors;

struct rate_arg {
	uint64_t *lat, *clat;
	size_t n, cap;
};

static void *rate_thread(void *arg)
{
	struct rate_arg *a = arg;

	while (!stop) {
		uint64_t t0 = now_ns(), t1, t2;
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		char b;

		if (fd < 0) {
			errors++;
			continue;
		}
		if (connect(fd, (struct sockaddr *)&to[0], sizeof(to[0]))) {
			errors++;
			close(fd);
			usleep(1000);
			continue;
		}
		t1 = now_ns();
		if (send(fd, "Q", 1, MSG_NOSIGNAL) != 1 || recv(fd, &b, 1, 0) != 1) {
			errors++;
			close(fd);
			continue;
		}
		t2 = now_ns();
		close(fd);
		if (a->n == a->cap) {
			a->cap = a->cap ? a->cap * 2 : 65536;
			a->lat = realloc(a->lat, a->cap * sizeof(uint64_t));
			a->clat = realloc(a->clat, a->cap * sizeof(uint64_t));
			if (!a->lat || !a->clat)
				die("realloc");
		}
		a->clat[a->n] = t1 - t0;
		a->lat[a->n++] = t2 - t0;
	}
	return NULL;
}

static int cmp64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static double pct(uint64_t *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return (double)v[i] / 1000.0;
}

static int do_rate(int threads, double secs)
{
	pthread_t th[256];
	struct rate_arg args[256] = { 0 };
	uint64_t t0, t1, *all, *call;
	size_t total = 0, k = 0;

	t0 = now_ns();
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, rate_thread, &args[i]);
	usleep((useconds_t)(secs * 1e6));
	stop = 1;
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	t1 = now_ns();
	for (int i = 0; i < threads; i++)
		total += args[i].n;
	all = malloc((total + 1) * sizeof(uint64_t));
	call = malloc((total + 1) * sizeof(uint64_t));
	for (int i = 0; i < threads; i++) {
		memcpy(all + k, args[i].lat, args[i].n * sizeof(uint64_t));
		memcpy(call + k, args[i].clat, args[i].n * sizeof(uint64_t));
		k += args[i].n;
	}
	qsort(all, total, sizeof(uint64_t), cmp64);
	qsort(call, total, sizeof(uint64_t), cmp64);
	printf("{\"conns\":%zu,\"secs\":%.3f,\"cps\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,"
	       "\"connect_p50_us\":%.1f,\"connect_p99_us\":%.1f,\"errors\":%lu}\n",
	       total, (double)(t1 - t0) / 1e9, (double)total / ((double)(t1 - t0) / 1e9),
	       pct(all, total, 0.5), pct(all, total, 0.99), pct(call, total, 0.5),
	       pct(call, total, 0.99), (unsigned long)errors);
	return 0;
}

static uint64_t bulk_each;
static atomic_ullong bulk_got;

static void *bulk_thread(void *arg)
{
	static __thread char buf[CHUNK];
	unsigned char hdr[9] = { 'D' };
	uint64_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	(void)arg;
	memcpy(hdr + 1, &bulk_each, 8);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to[0], sizeof(to[0])) ||
	    send(fd, hdr, 9, MSG_NOSIGNAL) != 9) {
		errors++;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);

		if (r <= 0)
			break;
		got += (uint64_t)r;
	}
	if (got != bulk_each)
		errors++;
	bulk_got += got;
	close(fd);
	return NULL;
}

static int do_bulk(int streams, uint64_t total)
{
	pthread_t th[256];
	uint64_t t0, t1;

	bulk_each = total / (uint64_t)streams;
	t0 = now_ns();
	for (int i = 0; i < streams; i++)
		pthread_create(&th[i], NULL, bulk_thread, NULL);
	for (int i = 0; i < streams; i++)
		pthread_join(th[i], NULL);
	t1 = now_ns();
	printf("{\"bytes\":%llu,\"secs\":%.4f,\"gibps\":%.4f,\"errors\":%lu}\n",
	       (unsigned long long)bulk_got, (double)(t1 - t0) / 1e9,
	       (double)bulk_got / 1073741824.0 / ((double)(t1 - t0) / 1e9),
	       (unsigned long)errors);
	return errors ? 1 : 0;
}

static int do_hold(long n)
{
	int one = 1;
	uint64_t t0 = now_ns();
	long ok = 0;
	char c;

	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0) {
			errors++;
			fprintf(stderr, "socket: %s\n", strerror(errno));
			break;
		}
		if (nsrc) {
			setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
			if (bind(fd, (struct sockaddr *)&src[i % nsrc], sizeof(src[0]))) {
				errors++;
				close(fd);
				continue;
			}
		}
		if (connect(fd, (struct sockaddr *)&to[i % nto], sizeof(to[0])) ||
		    send(fd, "I", 1, MSG_NOSIGNAL) != 1) {
			if (errors++ < 5)
				fprintf(stderr, "connect %ld: %s\n", i, strerror(errno));
			close(fd);
			continue;
		}
		ok++;
	}
	printf("{\"opened\":%ld,\"secs\":%.3f,\"errors\":%lu}\n", ok, (double)(now_ns() - t0) / 1e9,
	       (unsigned long)errors);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	int threads = 1, streams = 1;
	double secs = 2;
	uint64_t bytes = 1ull << 30;
	long n = 1;
	const char *mode;

	if (argc < 2) {
		fprintf(stderr, "usage: connload server|rate|bulk|hold [options]\n");
		return 2;
	}
	mode = argv[1];
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			fprintf(stderr, "connload: %s needs a value\n", o);
			return 2;
		}
		i++;
		if (!strcmp(o, "--listen")) {
			if (nlisten == MAXL || parse_addr(v, &listen_addr[nlisten++]))
				return fprintf(stderr, "bad --listen %s\n", v), 2;
		} else if (!strcmp(o, "--to")) {
			if (nto == MAXL || parse_addr(v, &to[nto++]))
				return fprintf(stderr, "bad --to %s\n", v), 2;
		} else if (!strcmp(o, "--src")) {
			char buf[256], *s, *save = NULL;

			snprintf(buf, sizeof(buf), "%s", v);
			for (s = strtok_r(buf, ",", &save); s && nsrc < 16;
			     s = strtok_r(NULL, ",", &save)) {
				src[nsrc].sin_family = AF_INET;
				if (inet_pton(AF_INET, s, &src[nsrc++].sin_addr) != 1)
					return fprintf(stderr, "bad --src %s\n", s), 2;
			}
		} else if (!strcmp(o, "--threads")) {
			threads = atoi(v);
		} else if (!strcmp(o, "--streams")) {
			streams = atoi(v);
		} else if (!strcmp(o, "--seconds")) {
			secs = atof(v);
		} else if (!strcmp(o, "--bytes")) {
			bytes = strtoull(v, NULL, 0);
		} else if (!strcmp(o, "--n")) {
			n = atol(v);
		} else {
			fprintf(stderr, "connload: unknown option %s\n", o);
			return 2;
		}
	}
	if (threads < 1 || threads > 256 || streams < 1 || streams > 256)
		return fprintf(stderr, "connload: 1..256 threads/streams\n"), 2;
	if (!strcmp(mode, "server")) {
		pthread_t th[256];

		if (!nlisten)
			return fprintf(stderr, "server needs --listen\n"), 2;
		for (int i = 0; i < threads; i++)
			pthread_create(&th[i], NULL, srv_thread, NULL);
		pthread_join(th[0], NULL);
		return 0;
	}
	if (!nto)
		return fprintf(stderr, "connload %s needs --to\n", mode), 2;
	if (!strcmp(mode, "rate"))
		return do_rate(threads, secs);
	if (!strcmp(mode, "bulk"))
		return do_bulk(streams, bytes);
	if (!strcmp(mode, "hold"))
		return do_hold(n);
	fprintf(stderr, "connload: unknown mode %s\n", mode);
	return 2;
}
