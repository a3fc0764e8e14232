// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfp-test-bypass: connects the ways an application might use to slip past
 * the cgroup connect hooks, for tests/integration/test_attacks.sh. Only libc
 * and Linux headers (io_uring through its raw system calls: no liburing).
 *
 *   uring-connect --connect ADDR:PORT [--get PATH --out FILE]
 *       connect() submitted as an io_uring IORING_OP_CONNECT. Prints
 *       "peer ADDR:PORT" from getpeername(); with --get, sends an HTTP/1.0
 *       GET and writes the body to FILE. Exit 3 if io_uring is unavailable
 *       (io_uring_setup fails), 1 if the connect fails.
 *
 *   sendmmsg --to ADDR:PORT[,ADDR:PORT...] --count N
 *       One unconnected UDP socket sends N datagrams with ONE sendmmsg(2)
 *       call (more only if the kernel takes fewer), round robin over the
 *       destinations; datagram i carries "i". Prints "sent N".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "relay_common.h"

static int uring_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct io_uring_params p;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqe;
	unsigned char *sq, *cq;
	unsigned *tail, *head, *array, mask;
	size_t sq_len, cq_len;
	int ring, res, rc;

	memset(&p, 0, sizeof(p));
	ring = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (ring < 0)
		return -1000 - errno;
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
		  IORING_OFF_SQ_RING);
	cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring,
		  IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		return -1000 - errno;

	memset(&sqes[0], 0, sizeof(sqes[0]));
	sqes[0].opcode = IORING_OP_CONNECT;
	sqes[0].fd = fd;
	sqes[0].addr = (uint64_t)(uintptr_t)sa;
	sqes[0].off = len;
	sqes[0].user_data = 42;
	tail = (unsigned *)(sq + p.sq_off.tail);
	mask = *(unsigned *)(sq + p.sq_off.ring_mask);
	array = (unsigned *)(sq + p.sq_off.array);
	array[*tail & mask] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);

	do {
		rc = (int)syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
	} while (rc < 0 && errno == EINTR);
	if (rc < 0)
		return -1000 - errno;
	head = (unsigned *)(cq + p.cq_off.head);
	if (__atomic_load_n(head, __ATOMIC_ACQUIRE) ==
	    __atomic_load_n((unsigned *)(cq + p.cq_off.tail), __ATOMIC_ACQUIRE))
		return -1000 - EAGAIN;
	cqe = (struct io_uring_cqe *)(cq + p.cq_off.cqes) +
	      (*head & *(unsigned *)(cq + p.cq_off.ring_mask));
	res = cqe->res;
	__atomic_store_n(head, *head + 1, __ATOMIC_RELEASE);
	munmap(sqes, p.sq_entries * sizeof(*sqes));
	munmap(cq, cq_len);
	munmap(sq, sq_len);
	close(ring);
	return res;
}

static int http_get(int fd, const char *path, const char *out)
{
	char req[512], buf[65536];
	size_t have = 0;
	int o, body = 0;
	ssize_t n;

	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: x\r\n\r\n", path);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req))
		return -1;
	o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o < 0)
		return -1;
	while ((n = recv(fd, buf + have, sizeof(buf) - have, 0)) > 0) {
		if (!body) {
			char *e;

			have += (size_t)n;
			e = memmem(buf, have, "\r\n\r\n", 4);
			if (!e) {
				if (have == sizeof(buf))
					break;
				continue;
			}
			body = 1;
			if (write(o, e + 4, have - (size_t)(e + 4 - buf)) < 0)
				break;
			have = 0;
			continue;
		}
		if (write(o, buf, (size_t)n) != n)
			break;
	}
	close(o);
	if (body && n == 0)
		return 0;
	/* Why, for the test's failure message: a flake must say what it was. */
	if (n < 0)
		printf("recv: %s\n", strerror(errno));
	else
		printf("%s after %zu header bytes\n", body ? "short write" : "no header end", have);
	return -1;
}

static int cmd_uring(const char *to, const char *get, const char *out)
{
	struct sockaddr_storage ss, peer;
	socklen_t len, plen = sizeof(peer);
	struct timeval tv = { .tv_sec = 20 };
	char s[128];
	int fd, rc;

	if (!to || parse_addr_port(to, &ss, &len) || (get && !out)) {
		fprintf(stderr, "uring-connect: need --connect ADDR:PORT [--get PATH --out FILE]\n");
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	rc = uring_connect(fd, (struct sockaddr *)&ss, len);
	if (rc <= -1000) {
		printf("io_uring unavailable: %s\n", strerror(-rc - 1000));
		return 3;
	}
	if (rc < 0) {
		printf("connect %s: %s\n", to, strerror(-rc));
		return 1;
	}
	if (getpeername(fd, (struct sockaddr *)&peer, &plen)) {
		printf("getpeername: %s\n", strerror(errno));
		return 1;
	}
	format_sockaddr(&peer, s, sizeof(s));
	printf("peer %s\n", s);
	if (get && http_get(fd, get, out)) {
		printf("GET %s failed\n", get);
		return 1;
	}
	close(fd);
	return 0;
}

static int cmd_sendmmsg(char *to, unsigned count)
{
	struct sockaddr_storage dst[16];
	socklen_t dlen[16];
	struct mmsghdr *m;
	struct iovec *iov;
	char (*pay)[16];
	unsigned nd = 0, sent = 0, retries = 0;
	int fd, rc = 0;

	for (char *save = NULL, *t = strtok_r(to, ",", &save); t && nd < 16;
	     t = strtok_r(NULL, ",", &save)) {
		if (parse_addr_port(t, &dst[nd], &dlen[nd]) || dst[nd].ss_family != AF_INET) {
			fprintf(stderr, "sendmmsg: bad IPv4 --to %s\n", t);
			return 2;
		}
		nd++;
	}
	if (!nd || !count) {
		fprintf(stderr, "sendmmsg: need --to ADDR:PORT[,...] --count N\n");
		return 2;
	}
	m = calloc(count, sizeof(*m));
	iov = calloc(count, sizeof(*iov));
	pay = calloc(count, sizeof(*pay));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!m || !iov || !pay || fd < 0) {
		rc = 1;
		goto out;
	}
	for (unsigned i = 0; i < count; i++) {
		int n = snprintf(pay[i], sizeof(pay[i]), "%u", i);

		iov[i].iov_base = pay[i];
		iov[i].iov_len = (size_t)n;
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
		m[i].msg_hdr.msg_name = &dst[i % nd];
		m[i].msg_hdr.msg_namelen = dlen[i % nd];
	}
	while (sent < count) {
		int r = sendmmsg(fd, m + sent, count - sent, 0);

		/*
		 * ENOBUFS: the engine could not make a flow just now (its
		 * flow_table_full); UDP senders wait and send again.
		 */
		if (r < 0 && errno == ENOBUFS && retries < 100) {
			retries++;
			usleep(1000);
			continue;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			printf("sendmmsg after %u: %s\n", sent, strerror(errno));
			rc = 1;
			goto out;
		}
		sent += (unsigned)r;
	}
	printf("sent %u, %u retries after ENOBUFS\n", sent, retries);
out:
	if (fd >= 0)
		close(fd);
	free(m);
	free(iov);
	free(pay);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "connect", required_argument, NULL, 'c' }, { "get", required_argument, NULL, 'g' },
		{ "out", required_argument, NULL, 'o' },     { "to", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },   { 0 },
	};
	const char *connect_s = NULL, *get = NULL, *out = NULL;
	char *to = NULL;
	unsigned count = 0;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: lwfp-test-bypass uring-connect|sendmmsg [options]\n");
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c': connect_s = optarg; break;
		case 'g': get = optarg; break;
		case 'o': out = optarg; break;
		case 't': to = optarg; break;
		case 'n': count = (unsigned)strtoul(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (!strcmp(argv[1], "uring-connect"))
		return cmd_uring(connect_s, get, out);
	if (!strcmp(argv[1], "sendmmsg") && to)
		return cmd_sendmmsg(to, count);
	fprintf(stderr, "usage: lwfp-test-bypass uring-connect|sendmmsg [options]\n");
	return 2;
}
