// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sockmap_probe OBJ MODE DIR MIB [RCVBUF]: one transfer of MIB MiB over
 * loopback between a client (the "application") and a server, through a
 * hop whose sockets are wired by OBJ's programs (sockmap_probe.bpf.c), and
 * its GiB/s as one JSON line. MODE: direct (no hop), hop (lwfp's offload
 * today, unbounded), app (the application's socket in the map). DIR: up
 * (the client sends) or down (the server sends). RCVBUF: SO_RCVBUFFORCE on
 * the client's socket, 0 to leave it to the kernel. Needs root; run it in
 * a network namespace of its own (bench/sockmap_probe.sh does): its maps
 * and programs go with the process.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define CHUNK (1 << 20)

/* A transfer that moves nothing for this long has stalled: fail, not hang. */
#define STALL_S 30

struct run {
	size_t bytes;
	bool down;
	int server_ls;
	int go[2]; /* a pipe: the server moves bytes once the hop is wired */
};

static void die(const char *what)
{
	fprintf(stderr, "sockmap_probe: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void stall_bound(int fd)
{
	struct timeval tv = { .tv_sec = STALL_S };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		die("SO_RCVTIMEO");
}

static int tcp_listen(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 4) ||
	    getsockname(s, (struct sockaddr *)&a, &len))
		die("listen");
	*port = ntohs(a.sin_port);
	return s;
}

static int tcp_dial(uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	stall_bound(s);
	return s;
}

static uint64_t local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len))
		die("getsockname");
	return ntohs(a.sin_port);
}

/* Moves bytes through fd, sending or receiving; dies short of them. */
static void move(int fd, size_t bytes, bool send_them)
{
	static char buf[2][CHUNK];
	ssize_t n;

	while (bytes) {
		size_t want = bytes < CHUNK ? bytes : CHUNK;

		n = send_them ? send(fd, buf[0], want, MSG_NOSIGNAL) : recv(fd, buf[1], want, 0);
		if (n <= 0) {
			if (!n)
				errno = EPIPE;
			die(errno == EAGAIN ? "stalled" : send_them ? "send" : "recv");
		}
		bytes -= (size_t)n;
	}
}

static void *server(void *arg)
{
	struct run *r = arg;
	int s = accept4(r->server_ls, NULL, NULL, SOCK_CLOEXEC);
	char go;

	if (s < 0)
		die("accept");
	stall_bound(s);
	/*
	 * Bytes that reach a socket before it is in the map wait there for the
	 * next segment, which a full window never sends.
	 */
	if (read(r->go[0], &go, 1) != 1)
		die("waiting for the hop");
	move(s, r->bytes, r->down);
	close(s);
	return NULL;
}

static void map_put(struct bpf_object *o, const char *map, uint64_t key, int fd)
{
	uint64_t val = (uint64_t)fd;

	if (bpf_map_update_elem(bpf_object__find_map_fd_by_name(o, map), &key, &val, BPF_ANY))
		die(map);
}

static void attach(struct bpf_object *o, const char *prog, const char *map,
		   enum bpf_attach_type type)
{
	struct bpf_program *p = bpf_object__find_program_by_name(o, prog);

	errno = ENOENT;
	if (!p || bpf_prog_attach(bpf_program__fd(p), bpf_object__find_map_fd_by_name(o, map),
				  type, 0))
		die(prog);
}

/* c: the client's socket; a, b: the hop's accepted and outbound sockets. */
static void wire(struct bpf_object *o, const char *mode, int c, int a, int b)
{
	if (!strcmp(mode, "hop")) {
		attach(o, "hop_skb", "hops", BPF_SK_SKB_VERDICT);
		map_put(o, "targets", local_port(a), b);
		map_put(o, "targets", local_port(b), a);
		map_put(o, "hops", local_port(a), a);
		map_put(o, "hops", local_port(b), b);
		return;
	}
	attach(o, "app_msg", "apps", BPF_SK_MSG_VERDICT);
	attach(o, "out_skb", "outs", BPF_SK_SKB_VERDICT);
	map_put(o, "targets", local_port(c), b);
	map_put(o, "targets", local_port(b), c);
	map_put(o, "apps", local_port(c), c);
	map_put(o, "outs", local_port(b), b);
}

static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct run r = { 0 };
	struct bpf_object *o = NULL;
	uint16_t sport, hport;
	int c, a = -1, b = -1, hop_ls = -1, rcvbuf;
	pthread_t t;
	double t0;

	if (argc < 5 || (strcmp(argv[2], "direct") && strcmp(argv[2], "hop") &&
			 strcmp(argv[2], "app"))) {
		fprintf(stderr, "usage: sockmap_probe OBJ direct|hop|app up|down MIB [RCVBUF]\n");
		return 2;
	}
	r.down = !strcmp(argv[3], "down");
	r.bytes = (size_t)strtoul(argv[4], NULL, 10) << 20;
	rcvbuf = argc > 5 ? atoi(argv[5]) : 0;
	r.server_ls = tcp_listen(&sport);
	if (pipe(r.go))
		die("pipe");
	if (strcmp(argv[2], "direct")) {
		o = bpf_object__open_file(argv[1], NULL);
		if (!o || bpf_object__load(o))
			die(argv[1]);
		hop_ls = tcp_listen(&hport);
	}
	if (pthread_create(&t, NULL, server, &r))
		die("pthread_create");
	c = tcp_dial(o ? hport : sport);
	if (rcvbuf && setsockopt(c, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		die("SO_RCVBUFFORCE");
	if (o) {
		a = accept4(hop_ls, NULL, NULL, SOCK_CLOEXEC);
		if (a < 0)
			die("accept");
		b = tcp_dial(sport);
		wire(o, argv[2], c, a, b);
	}
	if (write(r.go[1], "g", 1) != 1)
		die("starting the server");
	t0 = seconds();
	move(c, r.bytes, !r.down);
	if (pthread_join(t, NULL))
		die("pthread_join");
	printf("{\"mode\":\"%s\",\"dir\":\"%s\",\"rcvbuf\":%d,\"gibps\":%.3f}\n", argv[2], argv[3],
	       rcvbuf, (double)r.bytes / (seconds() - t0) / (1 << 30));
	bpf_object__close(o);
	return 0;
}
