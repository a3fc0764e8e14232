// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which services have a live listener: the listener mark is in each
 * socket's storage (lwfp_sk_store, struct lwfp_sk), which user space cannot
 * walk by key, but sock_diag can dump with every socket it lists
 * (INET_DIAG_REQ_SK_BPF_STORAGES). The mark dies with its socket.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <lwfp/engine.h>

#include "internal.h"

#define DIAG_BUF 32768

struct diag_req {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 req;
	struct nlattr storages; /* nested: the one map fd below */
	struct nlattr map_fd;
	uint32_t fd;
};

static int diag_send(int nl, int map_fd, uint8_t family, uint8_t proto, uint32_t states)
{
	struct diag_req r;

	memset(&r, 0, sizeof(r));
	r.nlh.nlmsg_len = sizeof(r);
	r.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	r.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r.req.sdiag_family = family;
	r.req.sdiag_protocol = proto;
	r.req.idiag_states = states;
	r.storages.nla_type = INET_DIAG_REQ_SK_BPF_STORAGES | NLA_F_NESTED;
	r.storages.nla_len = sizeof(r.storages) + sizeof(r.map_fd) + sizeof(r.fd);
	r.map_fd.nla_type = SK_DIAG_BPF_STORAGE_REQ_MAP_FD;
	r.map_fd.nla_len = sizeof(r.map_fd) + sizeof(r.fd);
	r.fd = (uint32_t)map_fd;
	return send(nl, &r, sizeof(r), 0) < 0 ? -errno : 0;
}

/* The first attribute of type `type` in [a, a + len), or NULL. */
static const struct nlattr *attr_find(const void *a, int len, uint16_t type)
{
	const struct nlattr *at = a;

	while (len >= (int)sizeof(*at) && at->nla_len >= sizeof(*at) && at->nla_len <= len) {
		if ((at->nla_type & NLA_TYPE_MASK) == type)
			return at;
		len -= NLA_ALIGN(at->nla_len);
		at = (const void *)((const char *)at + NLA_ALIGN(at->nla_len));
	}
	return NULL;
}

#define ATTR_DATA(at) ((const char *)(at) + NLA_HDRLEN)
#define ATTR_LEN(at) ((int)(at)->nla_len - NLA_HDRLEN)

/* One socket's storage value, as sock_diag nests it, into *mask. */
static void sock_services(const struct nlmsghdr *h, uint64_t *mask)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	const struct nlattr *at = (const void *)(m + 1);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
	struct lwfp_sk st;

	if (len <= 0 || !(at = attr_find(at, len, INET_DIAG_SK_BPF_STORAGES)) ||
	    !(at = attr_find(ATTR_DATA(at), ATTR_LEN(at), SK_DIAG_BPF_STORAGE)) ||
	    !(at = attr_find(ATTR_DATA(at), ATTR_LEN(at), SK_DIAG_BPF_STORAGE_MAP_VALUE)) ||
	    ATTR_LEN(at) < (int)sizeof(st))
		return;
	memcpy(&st, ATTR_DATA(at), sizeof(st));
	*mask |= st.services;
}

/* Reads the dump to its end: 0, 1 when done, or -errno. */
static int diag_read(int nl, char *buf, uint64_t *mask)
{
	const struct nlmsghdr *h;
	ssize_t n;

	n = recv(nl, buf, DIAG_BUF, 0);
	if (n < 0)
		return -errno;
	for (h = (const void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			return e->error ? e->error : 1;
		}
		sock_services(h, mask);
	}
	return 0;
}

static int diag_dump(int map_fd, uint8_t family, uint8_t proto, uint32_t states, uint64_t *mask)
{
	static __thread char buf[DIAG_BUF] __attribute__((aligned(8)));
	int nl, err;

	nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return -errno;
	err = diag_send(nl, map_fd, family, proto, states);
	while (!err)
		err = diag_read(nl, buf, mask);
	close(nl);
	return err < 0 ? err : 0;
}

LWFP_API int lwfp_service_listening(struct lwfp_engine *e, uint64_t *mask)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	int map_fd, err = 0;
	size_t i;

	*mask = 0;
	map_fd = map_open(e->pin_dir, MAP_SK_STORE);
	if (map_fd < 0)
		return map_fd;
	for (i = 0; i < 2 && !err; i++) {
		err = diag_dump(map_fd, families[i], IPPROTO_TCP, 1u << TCP_LISTEN, mask);
		/* An unconnected UDP socket is in state TCP_CLOSE to sock_diag. */
		if (!err)
			err = diag_dump(map_fd, families[i], IPPROTO_UDP, 1u << TCP_CLOSE, mask);
	}
	close(map_fd);
	return err;
}
