// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bytes of a live TCP hop, as its connecting socket counts them: the
 * kernel's tcp_info for the 4-tuple the engine recorded (orig_src to
 * target), asked by sock_diag in the network namespace of the process
 * that connected. The engine keeps no byte counts itself: that would cost
 * a program on every packet, which lwfp never runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lwfp/engine.h>
#include <lwfp/lwfp.h>

#include "internal.h"

/* TCP states (include/net/tcp_states.h) in which the peer's FIN has arrived. */
#define TCP_CLOSE_WAIT 8
#define TCP_LAST_ACK 9
#define TCP_CLOSING 11

struct diag_req {
	struct nlmsghdr nh;
	struct inet_diag_req_v2 r;
};

static void diag_req_init(struct diag_req *q, const struct lwfp_flow_info *f)
{
	const struct lwfp_addr *src = &f->orig_src, *dst = &f->target;

	memset(q, 0, sizeof(*q));
	q->nh.nlmsg_len = sizeof(*q);
	q->nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q->nh.nlmsg_flags = NLM_F_REQUEST;
	q->r.sdiag_family = src->family == LWFP_AF_INET6 ? AF_INET6 : AF_INET;
	q->r.sdiag_protocol = IPPROTO_TCP;
	q->r.idiag_ext = 1 << (INET_DIAG_INFO - 1);
	q->r.idiag_states = ~0u;
	q->r.id.idiag_sport = src->port;
	q->r.id.idiag_dport = dst->port;
	memcpy(q->r.id.idiag_src, src->ip, sizeof(src->ip));
	memcpy(q->r.id.idiag_dst, dst->ip, sizeof(dst->ip));
	/* An exact lookup by tuple: no socket cookie to check it against. */
	q->r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	q->r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
}

/*
 * Data bytes only: bytes_sent counts retransmissions too, and
 * bytes_received counts the peer's FIN once it has come.
 */
static int info_bytes(const struct inet_diag_msg *m, const struct tcp_info *ti, size_t len,
		      uint64_t *up, uint64_t *down)
{
	if (len < offsetof(struct tcp_info, tcpi_bytes_retrans) + sizeof(ti->tcpi_bytes_retrans))
		return -EOPNOTSUPP;
	*up = ti->tcpi_bytes_sent - ti->tcpi_bytes_retrans;
	*down = ti->tcpi_bytes_received;
	if (*down && (m->idiag_state == TCP_CLOSE_WAIT || m->idiag_state == TCP_LAST_ACK ||
		      m->idiag_state == TCP_CLOSING))
		*down -= 1;
	return 0;
}

/* The one answer to an exact lookup: a socket with its tcp_info, or an error. */
static int diag_answer(const void *buf, size_t n, uint64_t *up, uint64_t *down)
{
	const struct nlmsghdr *nh = buf;
	const struct inet_diag_msg *m;
	const struct rtattr *a;
	unsigned int alen;

	if (!NLMSG_OK(nh, n))
		return -EIO;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nh);

		return nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error ? e->error : -EIO;
	}
	if (nh->nlmsg_type != SOCK_DIAG_BY_FAMILY || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EIO;
	m = NLMSG_DATA(nh);
	alen = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	for (a = (const struct rtattr *)(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen))
		if (a->rta_type == INET_DIAG_INFO)
			return info_bytes(m, RTA_DATA(a), RTA_PAYLOAD(a), up, down);
	/* A socket in TIME_WAIT or a request socket has no tcp_info. */
	return -ENOENT;
}

static int diag_query(int fd, const struct lwfp_flow_info *f, uint64_t *up, uint64_t *down)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct diag_req q;
	ssize_t n;

	diag_req_init(&q, f);
	if (sendto(fd, &q, sizeof(q), 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
		return -errno;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	return diag_answer(buf, (size_t)n, up, down);
}

static bool own_netns(uint32_t ino)
{
	struct stat st;

	return !stat("/proc/self/ns/net", &st) && (uint32_t)st.st_ino == ino;
}

/* A sock_diag socket in the namespace of the process that made the hop's connect. */
static int diag_socket(const struct lwfp_flow_info *f)
{
	char path[64];
	uint32_t ino;
	int ns, fd;

	snprintf(path, sizeof(path), "/proc/%u/ns/net", f->pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return errno == ENOENT || errno == ESRCH ? -ENOENT : -errno;
	/*
	 * The first hop's namespace is known: a pid reused in another one
	 * must not report some other socket with the same tuple.
	 */
	fd = lwfp_netns_info(ns, &ino, NULL);
	if (!fd && f->nhops == 1 && f->origin_netns_ino && ino != f->origin_netns_ino)
		fd = -ENOENT;
	/* In our own namespace, a plain socket() spares a thread per flow. */
	if (!fd && own_netns(ino)) {
		fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
		fd = fd < 0 ? -errno : fd;
	} else if (!fd) {
		fd = lwfp_netns_socket(ns, AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG);
	}
	close(ns);
	return fd;
}

LWFP_API int lwfp_flow_bytes(const struct lwfp_flow_info *f, uint64_t *up, uint64_t *down)
{
	int fd, err;

	if (!f || !up || !down)
		return -EINVAL;
	/* UDP sockets keep no byte counts; a hop still connecting has no source yet. */
	if (f->proto != IPPROTO_TCP)
		return -EOPNOTSUPP;
	if (!f->orig_src.family || !f->orig_src.port || !f->pid)
		return -ENOENT;
	fd = diag_socket(f);
	if (fd < 0)
		return fd;
	err = diag_query(fd, f, up, down);
	close(fd);
	return err;
}
