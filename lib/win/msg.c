// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * WSARecvMsg and WSASendMsg, with the WFP redirect control messages of a
 * UDP proxy (docs/abi.md, "UDP").
 *
 * WSARecvMsg: a datagram whose IP_PKTINFO destination is in 127.128.0.0/9,
 * or in its IPv6 form (abi.h, LWFP_UDP6_NET), belongs to a redirected flow
 * with that address A. The first time a socket
 * sees a flow (A and the sender), the layer opens a per-flow socket with
 * SO_REUSEADDR bound to A and the socket's port, connects it to the sender,
 * queries the flow's records and context on it with the native API, closes
 * it, and appends IP_WFP_REDIRECT_RECORDS and IP_WFP_REDIRECT_CONTEXT to the
 * datagram's control messages. The layer turns IP_PKTINFO (IPV6_RECVPKTINFO)
 * and SO_REUSEADDR on itself when the application has not, and then does not
 * pass IP_PKTINFO messages on. The per-flow socket lives only for the two
 * queries: a datagram of the same flow that arrives in that window goes to
 * it and is lost, as a datagram may be.
 *
 * The flows a socket has seen are remembered in a small ring per socket
 * (WIN_UDP_SEEN): a flow pushed out of it gets its messages again.
 *
 * WSASendMsg: an IP_WFP_REDIRECT_RECORDS message is applied with
 * lwfp_set_redirect_records before the datagram is sent and is not passed to
 * the kernel; the native errors (EISCONN on a connected socket, EINVAL,
 * EACCES) fail the call before anything is sent.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <lwfp/lwfp.h>
#include "lwfp_win_internal.h"
#include <lwfp/win/mstcpip.h>

#include "../visibility.h"

#define WIN_UDP_SEEN 64
#define WIN_MAX_BUFFERS 1024
/* Room for the kernel's IP_PKTINFO / IPV6_PKTINFO beyond the caller's buffer. */
#define PKTINFO_ROOM 64

struct seen_flow {
	uint32_t addr; /* A's number in 127.128.0.0/9, network order */
	struct sockaddr_in6 peer; /* IPv4 senders v4-mapped */
};

struct udp_sock {
	int fd;
	ino_t ino;
	bool hide_pktinfo; /* the layer turned IP_PKTINFO on */
	unsigned int next, n;
	struct seen_flow seen[WIN_UDP_SEEN];
};

/* Sockets WSARecvMsg has served, under the layer's lock. */
static struct udp_sock **udp;
static size_t nudp, udp_cap;

static ssize_t udp_find(int fd)
{
	size_t i;

	for (i = 0; i < nudp; i++)
		if (udp[i]->fd == fd)
			return (ssize_t)i;
	return -1;
}

void win_udp_forget(const struct win_sock *ws)
{
	ssize_t i;

	win_lock();
	i = udp_find(ws->fd);
	if (i >= 0) {
		free(udp[i]);
		udp[i] = udp[--nudp];
	}
	win_unlock();
}

/* Under the lock: ws's entry, made (or renewed for a new inode) if need be. */
static struct udp_sock *udp_get(const struct win_sock *ws, bool *fresh)
{
	ssize_t i = udp_find(ws->fd);
	struct udp_sock *u;

	*fresh = false;
	if (i >= 0) {
		u = udp[i];
		if (u->ino != ws->ino) {
			memset(u, 0, sizeof(*u));
			u->fd = ws->fd;
			u->ino = ws->ino;
			*fresh = true;
		}
		return u;
	}
	if (nudp == udp_cap) {
		size_t cap = udp_cap ? udp_cap * 2 : 16;
		struct udp_sock **p = realloc(udp, cap * sizeof(*p));

		if (!p)
			return NULL;
		udp = p;
		udp_cap = cap;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->fd = ws->fd;
	u->ino = ws->ino;
	udp[nudp++] = u;
	*fresh = true;
	return u;
}

static bool same_peer(const struct sockaddr_in6 *a, const struct sockaddr_in6 *b)
{
	return !memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) &&
	       a->sin6_port == b->sin6_port;
}

/* Under the lock: true if the flow is new to u (and now remembered). */
static bool udp_first(struct udp_sock *u, uint32_t addr, const struct sockaddr_in6 *peer)
{
	unsigned int i;

	for (i = 0; i < u->n; i++)
		if (u->seen[i].addr == addr && same_peer(&u->seen[i].peer, peer))
			return false;
	u->seen[u->next].addr = addr;
	u->seen[u->next].peer = *peer;
	u->next = (u->next + 1) % WIN_UDP_SEEN;
	if (u->n < WIN_UDP_SEEN)
		u->n++;
	return true;
}

/* ---- control messages ----------------------------------------------------- */

bool win_cmsg_append(const WSABUF *control, size_t *used, INT level, INT type, const void *data,
		     size_t len)
{
	size_t at = WSA_CMSGHDR_ALIGN(*used);
	WSACMSGHDR h = { WSA_CMSG_LEN(len), level, type };
	char *p;

	if (!control->buf || at > control->len || control->len - at < WSA_CMSG_SPACE(len))
		return false;
	p = control->buf + at;
	memset(p, 0, WSA_CMSG_SPACE(len));
	memcpy(p, &h, sizeof(h));
	if (len)
		memcpy(WSA_CMSG_DATA(p), data, len);
	*used = at + WSA_CMSG_SPACE(len);
	return true;
}

static bool is_records(INT level, INT type)
{
	return (level == IPPROTO_IP && type == IP_WFP_REDIRECT_RECORDS) ||
	       (level == IPPROTO_IPV6 && type == IPV6_WFP_REDIRECT_RECORDS);
}

int win_cmsg_find_records(const WSAMSG *msg, const void **data, size_t *len)
{
	size_t at = 0, total = msg->Control.len;

	*data = NULL;
	*len = 0;
	if (!total)
		return 0;
	if (!msg->Control.buf)
		return WSAEFAULT;
	while (total - at >= sizeof(WSACMSGHDR)) {
		WSACMSGHDR h;

		memcpy(&h, msg->Control.buf + at, sizeof(h));
		if (h.cmsg_len < WSA_CMSG_LEN(0) || h.cmsg_len > total - at)
			return WSAEINVAL;
		if (is_records(h.cmsg_level, h.cmsg_type)) {
			*data = WSA_CMSG_DATA(msg->Control.buf + at);
			*len = h.cmsg_len - WSA_CMSG_LEN(0);
			return 0;
		}
		at += WSA_CMSGHDR_ALIGN(h.cmsg_len);
		if (at > total)
			break;
	}
	return 0;
}

/* ---- shared argument handling --------------------------------------------- */

static int make_iov(const WSAMSG *msg, struct iovec **iov)
{
	ULONG i;

	*iov = NULL;
	if (!msg->dwBufferCount)
		return 0;
	if (!msg->lpBuffers)
		return WSAEFAULT;
	if (msg->dwBufferCount > WIN_MAX_BUFFERS)
		return WSAEINVAL;
	*iov = calloc(msg->dwBufferCount, sizeof(**iov));
	if (!*iov)
		return WSAENOBUFS;
	for (i = 0; i < msg->dwBufferCount; i++) {
		if (!msg->lpBuffers[i].buf && msg->lpBuffers[i].len) {
			free(*iov);
			*iov = NULL;
			return WSAEFAULT;
		}
		(*iov)[i].iov_base = msg->lpBuffers[i].buf;
		(*iov)[i].iov_len = msg->lpBuffers[i].len;
	}
	return 0;
}

static int fail_int(int err)
{
	win_set_error(err);
	return SOCKET_ERROR;
}

/*
 * Overlapped calls complete before returning: the OVERLAPPED and its event
 * say so, as for an operation that completed at once.
 */
static int check_async(const struct win_sock *ws, LPWSAOVERLAPPED ov,
		       LPWSAOVERLAPPED_COMPLETION_ROUTINE routine, LPDWORD bytes)
{
	bool async = ov && ws->overlapped;

	if (async && routine)
		return WSAEOPNOTSUPP;
	if (!async && !bytes)
		return WSAEFAULT;
	return 0;
}

static void done_async(const struct win_sock *ws, LPWSAOVERLAPPED ov, DWORD n)
{
	if (!ov || !ws->overlapped)
		return;
	win_lock();
	win_overlapped_done(ov, 0, n);
	win_unlock();
}

/* ---- WSARecvMsg ------------------------------------------------------------- */

/* Turns on an int option that is off; true if it was off. */
static bool turn_on(int fd, int level, int name)
{
	int v = 0, on = 1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, name, &v, &len) || v)
		return false;
	return !setsockopt(fd, level, name, &on, sizeof(on));
}

/* A native query into a buffer of the size it asks for; NULL if none. */
static void *query(int fd, bool context, size_t *len)
{
	size_t need = 0;
	void *buf;
	int rc;

	rc = context ? lwfp_query_redirect_context(fd, NULL, 0, &need)
		     : lwfp_query_redirect_records(fd, NULL, 0, &need);
	if (rc != -ERANGE || !need)
		return NULL;
	buf = malloc(need);
	if (!buf)
		return NULL;
	rc = context ? lwfp_query_redirect_context(fd, buf, need, len)
		     : lwfp_query_redirect_records(fd, buf, need, len);
	if (rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The sender in A's family: the v4-mapped form back to IPv4 unless native6. */
static socklen_t flow_peer(const struct sockaddr_in6 *peer, bool native6,
			   struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (native6) {
		memcpy(ss, peer, sizeof(*peer));
		return sizeof(*peer);
	}
	a4->sin_family = AF_INET;
	a4->sin_port = peer->sin6_port;
	memcpy(&a4->sin_addr, &peer->sin6_addr.s6_addr[12], 4);
	return sizeof(*a4);
}

/* A copy of one part of a redirect answer; NULL if it has none. */
static void *part_dup(const void *info, size_t len, enum lwfp_redirect_part part, size_t *n)
{
	const void *p = lwfp_redirect_part(info, len, part, n);
	void *copy = p ? malloc(*n) : NULL;

	if (copy)
		memcpy(copy, p, *n);
	return copy;
}

/*
 * Records and context from one query; an engine that predates it (-EINVAL)
 * is asked for each, size first.
 */
static void flow_parts(int fd, void **rec, size_t *rec_len, void **ctx, size_t *ctx_len)
{
	uint8_t info[LWFP_REDIRECT_INFO_MAX];
	size_t len;
	int rc;

	rc = lwfp_query_redirect(fd, info, sizeof(info), &len);
	if (rc == -EINVAL) {
		*rec = query(fd, false, rec_len);
		if (*rec)
			*ctx = query(fd, true, ctx_len);
		return;
	}
	if (rc)
		return;
	*rec = part_dup(info, len, LWFP_REDIRECT_PART_RECORDS, rec_len);
	if (*rec)
		*ctx = part_dup(info, len, LWFP_REDIRECT_PART_CONTEXT, ctx_len);
}

/*
 * The flow's records and context, through a short-lived per-flow socket; an
 * IPv6 flow address is routed, not configured, so it needs IPV6_FREEBIND.
 */
static void flow_query(uint32_t addr, bool native6, in_port_t port,
		       const struct sockaddr_in6 *peer, void **rec, size_t *rec_len, void **ctx,
		       size_t *ctx_len)
{
	struct sockaddr_storage local, remote;
	socklen_t llen = lwfp_udp_flow_sockaddr(addr, native6 ? AF_INET6 : AF_INET, port, &local);
	socklen_t rlen = flow_peer(peer, native6, &remote);
	int fd, on = 1;

	*rec = *ctx = NULL;
	fd = socket(local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (!setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) &&
	    (!native6 || !setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &on, sizeof(on))) &&
	    !bind(fd, (struct sockaddr *)&local, llen) &&
	    !connect(fd, (const struct sockaddr *)&remote, rlen)) {
		flow_parts(fd, rec, rec_len, ctx, ctx_len);
	}
	close(fd);
}

/*
 * The number of the flow address the datagram went to, from IP_PKTINFO or
 * IPV6_PKTINFO, in *native6 whether it was the IPv6 form; 0 if none.
 */
static uint32_t pktinfo_dst(const struct msghdr *mh, bool *native6)
{
	struct in6_pktinfo pi6;
	struct in_pktinfo pi;
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return lwfp_udp_flow_number(AF_INET, &pi.ipi_addr);
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			memcpy(&pi6, CMSG_DATA(c), sizeof(pi6));
			*native6 = !IN6_IS_ADDR_V4MAPPED(&pi6.ipi6_addr);
			return lwfp_udp_flow_number(AF_INET6, &pi6.ipi6_addr);
		}
	}
	return 0;
}

static bool is_pktinfo(const struct cmsghdr *c)
{
	return (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) ||
	       (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO);
}

/*
 * The sender as IPv6, IPv4 ones v4-mapped; false unless its family is the
 * flow's: native IPv6 for an IPv6 flow address, IPv4 for the others.
 */
static bool peer_norm(const struct sockaddr_storage *ss, bool native6, struct sockaddr_in6 *out)
{
	const struct sockaddr_in *s4 = (const void *)ss;

	memset(out, 0, sizeof(*out));
	out->sin6_family = AF_INET6;
	if (ss->ss_family == AF_INET) {
		out->sin6_port = s4->sin_port;
		out->sin6_addr.s6_addr[10] = out->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&out->sin6_addr.s6_addr[12], &s4->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		memcpy(out, ss, sizeof(*out));
	} else {
		return false;
	}
	return native6 != IN6_IS_ADDR_V4MAPPED(&out->sin6_addr);
}

struct recv_state {
	struct win_sock ws;
	int family;
	in_port_t port;
	bool hide;
};

/* Per socket: its family and port, IP_PKTINFO and SO_REUSEADDR on. */
static int recv_prepare(struct recv_state *st)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct udp_sock *u;
	bool fresh, hid;
	int type;
	socklen_t tlen = sizeof(type);

	if (getsockopt(st->ws.fd, SOL_SOCKET, SO_TYPE, &type, &tlen))
		return win_errno_to_wsa(errno);
	if (type != SOCK_DGRAM || getsockname(st->ws.fd, (struct sockaddr *)&ss, &len) ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
		st->family = AF_UNSPEC; /* no WFP messages: a plain recvmsg */
		return 0;
	}
	st->family = ss.ss_family;
	st->port = ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					   : ((struct sockaddr_in6 *)&ss)->sin6_port;
	win_lock();
	u = udp_get(&st->ws, &fresh);
	if (u && fresh) {
		hid = st->family == AF_INET ? turn_on(st->ws.fd, IPPROTO_IP, IP_PKTINFO)
					    : turn_on(st->ws.fd, IPPROTO_IPV6, IPV6_RECVPKTINFO);
		u->hide_pktinfo = hid;
		/* The per-flow socket binds the same port: both need SO_REUSEADDR. */
		turn_on(st->ws.fd, SOL_SOCKET, SO_REUSEADDR);
		/*
		 * IPv6 flow addresses are routed, not configured: a reply sent
		 * from one with IPV6_PKTINFO needs IPV6_FREEBIND.
		 */
		if (st->family == AF_INET6)
			turn_on(st->ws.fd, IPPROTO_IPV6, IPV6_FREEBIND);
	}
	st->hide = u && u->hide_pktinfo;
	win_unlock();
	if (!u)
		return WSAENOBUFS;
	return 0;
}

/*
 * The kernel's control messages (less a hidden IP_PKTINFO) into the
 * caller's buffer, then the WFP ones on a flow's first datagram.
 */
static void recv_control(struct recv_state *st, const struct msghdr *mh,
			 const struct sockaddr_storage *from, LPWSAMSG msg, bool *trunc)
{
	size_t used = 0;
	struct cmsghdr *c;
	struct sockaddr_in6 peer;
	bool native6 = false;
	uint32_t dst;
	WSABUF room = msg->Control; /* msg->Control.len becomes the bytes used */
	struct udp_sock *u;
	bool first, fresh;
	void *rec, *ctx;
	size_t rec_len = 0, ctx_len = 0;
	INT level;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		if (st->hide && is_pktinfo(c))
			continue;
		if (!win_cmsg_append(&room, &used, c->cmsg_level, c->cmsg_type,
				     CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0)))
			*trunc = true;
	}
	msg->Control.len = (ULONG)used;
	dst = st->family == AF_UNSPEC ? 0 : pktinfo_dst(mh, &native6);
	if (!dst || !peer_norm(from, native6, &peer))
		return;
	win_lock();
	/* Looked up again: closesocket may have raced with this call. */
	u = udp_get(&st->ws, &fresh);
	first = u && udp_first(u, dst, &peer);
	win_unlock();
	if (!first)
		return;
	flow_query(dst, native6, st->port, &peer, &rec, &rec_len, &ctx, &ctx_len);
	level = st->family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	if (rec && !win_cmsg_append(&room, &used, level, IP_WFP_REDIRECT_RECORDS, rec,
				    rec_len))
		*trunc = true;
	if (ctx && !win_cmsg_append(&room, &used, level, IP_WFP_REDIRECT_CONTEXT, ctx,
				    ctx_len))
		*trunc = true;
	msg->Control.len = (ULONG)used;
	free(rec);
	free(ctx);
}

static int recv_msg(SOCKET s, LPWSAMSG msg, LPDWORD bytes, LPWSAOVERLAPPED ov,
		    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
	struct recv_state st = { 0 };
	struct sockaddr_storage from;
	struct msghdr mh = { 0 };
	struct iovec *iov;
	char *control = NULL;
	bool trunc = false;
	ssize_t n;
	int err;

	err = win_sock_get(s, &st.ws);
	if (err)
		return err;
	if (!msg)
		return WSAEFAULT;
	err = check_async(&st.ws, ov, routine, bytes);
	if (err)
		return err;
	if ((msg->name && msg->namelen < 0) || (!msg->Control.buf && msg->Control.len))
		return WSAEFAULT;
	err = recv_prepare(&st);
	if (err)
		return err;
	err = make_iov(msg, &iov);
	if (err)
		return err;
	mh.msg_controllen = (size_t)msg->Control.len + PKTINFO_ROOM;
	control = calloc(1, mh.msg_controllen);
	if (!control) {
		free(iov);
		return WSAENOBUFS;
	}
	mh.msg_control = control;
	mh.msg_iov = iov;
	mh.msg_iovlen = msg->dwBufferCount;
	mh.msg_name = &from;
	mh.msg_namelen = sizeof(from);
	memset(&from, 0, sizeof(from));
	n = recvmsg(st.ws.fd, &mh, (int)msg->dwFlags);
	err = n < 0 ? win_errno_to_wsa(errno) : 0;
	free(iov);
	if (!err) {
		recv_control(&st, &mh, &from, msg, &trunc);
		if (msg->name) {
			size_t len = mh.msg_namelen;

			if (len > (size_t)msg->namelen)
				len = (size_t)msg->namelen;
			memcpy(msg->name, &from, len);
			msg->namelen = (INT)mh.msg_namelen;
		}
		msg->dwFlags = (ULONG)mh.msg_flags | (trunc ? MSG_CTRUNC : 0);
		if (bytes)
			*bytes = (DWORD)n;
		done_async(&st.ws, ov, (DWORD)n);
	}
	free(control);
	return err;
}

LWFP_API INT WSARecvMsg(SOCKET s, LPWSAMSG lpMsg, LPDWORD lpdwNumberOfBytesRecvd,
			LPWSAOVERLAPPED lpOverlapped,
			LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
	int saved = errno;
	int err = recv_msg(s, lpMsg, lpdwNumberOfBytesRecvd, lpOverlapped, lpCompletionRoutine);

	if (err)
		return fail_int(err);
	errno = saved; /* success leaves the last error as it was */
	return 0;
}

/* ---- WSASendMsg ------------------------------------------------------------- */

/*
 * The caller's control messages without the records one, for the kernel;
 * *out NULL when there are none left.
 */
static int strip_records(const WSAMSG *msg, char **out, size_t *out_len)
{
	WSABUF dst = { msg->Control.len, NULL };
	size_t at = 0, used = 0;

	*out = NULL;
	*out_len = 0;
	if (!msg->Control.len)
		return 0;
	dst.buf = calloc(1, msg->Control.len);
	if (!dst.buf)
		return WSAENOBUFS;
	while (msg->Control.len - at >= sizeof(WSACMSGHDR)) {
		WSACMSGHDR h;

		memcpy(&h, msg->Control.buf + at, sizeof(h));
		if (!is_records(h.cmsg_level, h.cmsg_type))
			win_cmsg_append(&dst, &used, h.cmsg_level, h.cmsg_type,
					WSA_CMSG_DATA(msg->Control.buf + at),
					h.cmsg_len - WSA_CMSG_LEN(0));
		at += WSA_CMSGHDR_ALIGN(h.cmsg_len);
		if (at > msg->Control.len)
			break;
	}
	if (!used) {
		free(dst.buf);
		return 0;
	}
	*out = dst.buf;
	*out_len = used;
	return 0;
}

static int send_msg(SOCKET s, LPWSAMSG msg, DWORD flags, LPDWORD bytes, LPWSAOVERLAPPED ov,
		    LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
	struct win_sock ws;
	struct msghdr mh = { 0 };
	struct iovec *iov;
	const void *rec;
	size_t rec_len, control_len;
	char *control;
	DWORD unused;
	ssize_t n;
	int err, rc;

	err = win_sock_get(s, &ws);
	if (err)
		return err;
	if (!msg)
		return WSAEFAULT;
	err = check_async(&ws, ov, routine, bytes);
	if (err)
		return err;
	if (msg->name && msg->namelen <= 0)
		return WSAEFAULT;
	/* Validates the control messages before anything happens. */
	err = win_cmsg_find_records(msg, &rec, &rec_len);
	if (err)
		return err;
	err = make_iov(msg, &iov);
	if (err)
		return err;
	err = strip_records(msg, &control, &control_len);
	if (err) {
		free(iov);
		return err;
	}
	if (rec) {
		rc = lwfp_set_redirect_records(ws.fd, rec, rec_len);
		if (rc) {
			free(iov);
			free(control);
			return win_wsa_from_native(rc, 0, 0, &unused);
		}
	}
	mh.msg_name = msg->name;
	mh.msg_namelen = msg->name ? (socklen_t)msg->namelen : 0;
	mh.msg_iov = iov;
	mh.msg_iovlen = msg->dwBufferCount;
	mh.msg_control = control;
	mh.msg_controllen = control_len;
	/* Windows reports a reset peer as an error, never as SIGPIPE. */
	n = sendmsg(ws.fd, &mh, (int)flags | MSG_NOSIGNAL);
	err = n < 0 ? win_errno_to_wsa(errno) : 0;
	free(iov);
	free(control);
	if (!err) {
		if (bytes)
			*bytes = (DWORD)n;
		done_async(&ws, ov, (DWORD)n);
	}
	return err;
}

LWFP_API int WSASendMsg(SOCKET Handle, LPWSAMSG lpMsg, DWORD dwFlags, LPDWORD lpNumberOfBytesSent,
			LPWSAOVERLAPPED lpOverlapped,
			LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
	int saved = errno;
	int err = send_msg(Handle, lpMsg, dwFlags, lpNumberOfBytesSent, lpOverlapped,
			   lpCompletionRoutine);

	if (err)
		return fail_int(err);
	errno = saved;
	return 0;
}
