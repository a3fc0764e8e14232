// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fwdproxy: the accept-and-forward proxy of `make bench`, the same code for
 * variants (b), (c) and (d); only how it learns the destination differs.
 *
 *   fwdproxy --listen ADDR:PORT --mode plain --to ADDR:PORT [--threads N]
 *       (b) no interception: every connection goes to --to.
 *   fwdproxy --listen ADDR:PORT --mode lwfp [--threads N]
 *       (c) lwfp redirect: per accepted connection, query the records, the
 *       context and the original destination (liblwfp, one call:
 *       lwfp_query_redirect), set the records on the outbound socket (so it
 *       chains without loops), connect there.
 *   fwdproxy --listen ADDR:PORT --mode sodst [--mark M] [--threads N]
 *       (d) iptables nat REDIRECT: getsockopt SO_ORIGINAL_DST; the outbound
 *       socket gets SO_MARK M so the nat rule can leave it alone.
 *
 * N threads, each with its own SO_REUSEPORT listener and epoll loop; the
 * outbound connect is blocking (loopback: it completes at once) and bytes are
 * relayed with recv/send through a 16 KiB buffer per direction.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter_ipv4.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lwfp/lwfp.h>

#include "bench_addr.h"

enum { M_PLAIN, M_LWFP, M_SODST };
static int mode = M_PLAIN, mark;
static struct sockaddr_in listen_addr, fixed_to;
static unsigned long long nerr;

#define BUF 16384

struct side {
	int fd;
	int len, off; /* bytes in buf waiting for the other side */
	int eof;
	char buf[BUF];
};

struct pair {
	struct side s[2]; /* 0: client, 1: server */
	int closed;
};

/* The epoll data of a socket: its pair and which side, in the low bit. */
#define TAG(p, i) ((void *)((uintptr_t)(p) | (uintptr_t)(i)))

static void pair_free(int ep, struct pair *p)
{
	for (int i = 0; i < 2; i++) {
		epoll_ctl(ep, EPOLL_CTL_DEL, p->s[i].fd, NULL);
		close(p->s[i].fd);
	}
	free(p);
}

static void arm(int ep, struct pair *p, int i)
{
	/* Read from side i while its buffer is empty; write to it while the other has data. */
	struct epoll_event ev = { .events = 0, .data.ptr = TAG(p, i) };

	if (!p->s[i].eof && p->s[i].len == 0)
		ev.events |= EPOLLIN;
	if (p->s[!i].len > p->s[!i].off)
		ev.events |= EPOLLOUT;
	epoll_ctl(ep, EPOLL_CTL_MOD, p->s[i].fd, &ev);
}

/* Moves what it can from side i to side !i. -1: the pair is done. */
static int pump(struct pair *p, int i)
{
	struct side *a = &p->s[i], *b = &p->s[!i];

	for (;;) {
		if (a->len == a->off) {
			ssize_t r;

			a->len = a->off = 0;
			if (a->eof)
				break;
			r = recv(a->fd, a->buf, BUF, 0);
			if (r < 0) {
				if (errno == EAGAIN)
					break;
				return -1;
			}
			if (r == 0) {
				a->eof = 1;
				shutdown(b->fd, SHUT_WR);
				break;
			}
			a->len = (int)r;
		}
		while (a->off < a->len) {
			ssize_t w = send(b->fd, a->buf + a->off, (size_t)(a->len - a->off), MSG_NOSIGNAL);

			if (w < 0) {
				if (errno == EAGAIN)
					return 0;
				return -1;
			}
			a->off += (int)w;
		}
	}
	return a->eof && b->eof && a->len == a->off && b->len == b->off ? -1 : 0;
}

static int open_out(int in)
{
	struct sockaddr_storage dst;
	socklen_t dl = sizeof(dst);
	unsigned char info[LWFP_REDIRECT_INFO_MAX];
	const void *rec = NULL;
	size_t il = 0, rl = 0;
	int out;

	switch (mode) {
	case M_PLAIN:
		memcpy(&dst, &fixed_to, sizeof(fixed_to));
		break;
	case M_LWFP:
		/* Records, context and original destination: one getsockopt. */
		if (lwfp_query_redirect(in, info, sizeof(info), &il) ||
		    lwfp_redirect_destination(info, il, &dst))
			return -1;
		rec = lwfp_redirect_part(info, il, LWFP_REDIRECT_PART_RECORDS, &rl);
		if (!rec)
			return -1;
		break;
	case M_SODST:
		if (getsockopt(in, SOL_IP, SO_ORIGINAL_DST, &dst, &dl))
			return -1;
		break;
	}
	out = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (out < 0)
		return -1;
	if ((mode == M_LWFP && lwfp_set_redirect_records(out, rec, rl)) ||
	    (mode == M_SODST && mark && setsockopt(out, SOL_SOCKET, SO_MARK, &mark, sizeof(mark))) ||
	    connect(out, (struct sockaddr *)&dst, sizeof(struct sockaddr_in))) {
		close(out);
		return -1;
	}
	return out;
}

static void *worker(void *arg)
{
	int one = 1, ep = epoll_create1(0);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL }, evs[128];

	(void)arg;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) || listen(lfd, 4096)) {
		perror("fwdproxy: bind/listen");
		exit(1);
	}
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 128, -1);

		for (int k = 0; k < n; k++) {
			uintptr_t d = (uintptr_t)evs[k].data.ptr;
			struct pair *p;
			int i;

			if (!d) {
				for (;;) {
					int in = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), out;

					if (in < 0)
						break;
					out = open_out(in);
					if (out < 0) {
						__atomic_add_fetch(&nerr, 1, __ATOMIC_RELAXED);
						close(in);
						continue;
					}
					p = calloc(1, sizeof(*p));
					if (!p) {
						close(in);
						close(out);
						continue;
					}
					p->s[0].fd = in;
					p->s[1].fd = out;
					for (i = 0; i < 2; i++) {
						struct epoll_event e2 = { .events = EPOLLIN, .data.ptr = TAG(p, i) };
						int fl = 1;

						ioctl(p->s[i].fd, FIONBIO, &fl);
						epoll_ctl(ep, EPOLL_CTL_ADD, p->s[i].fd, &e2);
					}
				}
				continue;
			}
			p = (struct pair *)(d & ~(uintptr_t)1);
			i = (int)(d & 1);
			/* Readable side i: pump i -> !i. Writable side i: pump !i -> i. */
			if ((evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && pump(p, i) < 0) {
				pair_free(ep, p);
				continue;
			}
			if ((evs[k].events & EPOLLOUT) && pump(p, !i) < 0) {
				pair_free(ep, p);
				continue;
			}
			arm(ep, p, 0);
			arm(ep, p, 1);
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = 1;
	pthread_t th[64];
	struct rlimit r;

	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];

		if (!strcmp(o, "--listen") && !parse_addr(v, &listen_addr))
			continue;
		if (!strcmp(o, "--to") && !parse_addr(v, &fixed_to))
			continue;
		if (!strcmp(o, "--threads")) {
			threads = atoi(v);
			continue;
		}
		if (!strcmp(o, "--mark")) {
			mark = atoi(v);
			continue;
		}
		if (!strcmp(o, "--mode")) {
			mode = !strcmp(v, "lwfp") ? M_LWFP : !strcmp(v, "sodst") ? M_SODST : M_PLAIN;
			continue;
		}
		fprintf(stderr, "fwdproxy: bad option %s %s\n", o, v);
		return 2;
	}
	if (threads < 1 || threads > 64 || !listen_addr.sin_port ||
	    (mode == M_PLAIN && !fixed_to.sin_port)) {
		fprintf(stderr, "usage: fwdproxy --listen A:P --mode plain|lwfp|sodst [--to A:P] "
				"[--threads N] [--mark M]\n");
		return 2;
	}
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	pthread_join(th[0], NULL);
	return 0;
}
