/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The native socket API: a thin wrapper over the SOL_LWFP socket options.
 * Every call returns 0 (or, for lwfp_query_redirect_state, a state >= 0)
 * or a negative errno. Its _opts structs follow docs/abi.md, "Options
 * structs": non-zero bytes past TYPE__last_field are refused (-EINVAL).
 */
#ifndef LWFP_LWFP_H
#define LWFP_LWFP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <lwfp/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Records and context queries. size 0 or too small a buffer gives -ERANGE
 * with *returned set to the size needed; on success *returned is the number
 * of bytes copied, never 0.
 */
int lwfp_query_redirect_records(int fd, void *buf, size_t size, size_t *returned);
int lwfp_query_redirect_context(int fd, void *buf, size_t size, size_t *returned);

/*
 * Records, context and original destination in one call (LWFP_SO_REDIRECT):
 * a struct lwfp_redirect_info and the parts it places (abi.h), with the
 * size rules above; at most LWFP_REDIRECT_INFO_MAX bytes. The context part
 * is absent, not an error, when the filter gives none. An engine older
 * than the call answers -EINVAL: ask the three queries instead.
 */
int lwfp_query_redirect(int fd, void *buf, size_t size, size_t *returned);

enum lwfp_redirect_part {
	LWFP_REDIRECT_PART_DST = 0, /* struct lwfp_addr */
	LWFP_REDIRECT_PART_CONTEXT = 1, /* as lwfp_query_redirect_context() gives it */
	LWFP_REDIRECT_PART_RECORDS = 2, /* as lwfp_query_redirect_records() gives it */
};

/*
 * A part of an lwfp_query_redirect() answer of len bytes: its first byte,
 * and its length in *part_len; NULL (and 0) when the part is absent or the
 * answer is not a valid one.
 */
const void *lwfp_redirect_part(const void *info, size_t len, enum lwfp_redirect_part part,
			       size_t *part_len);
/* Its original destination as a sockaddr; -EPROTO if the answer has none. */
int lwfp_redirect_destination(const void *info, size_t len, struct sockaddr_storage *dst);

/* Before connect(): adopt the engine's records of the flow a blob names. */
int lwfp_set_redirect_records(int fd, const void *records, size_t size);

int lwfp_query_original_destination(int fd, struct sockaddr_storage *dst);

/* >= 0: an enum lwfp_redirect_state for the service with this handle. */
int lwfp_query_redirect_state(int fd, uint32_t service_handle);

/*
 * Registers a bound socket (a TCP listener, or a UDP proxy's wildcard
 * socket) as a listener of the service: redirects of that service's filters
 * go only to its registered listeners (LWFP_SO_LISTENER in abi.h). -EACCES
 * unless the caller is a process of the service.
 */
int lwfp_register_listener(int fd, uint32_t service_handle);

/*
 * Network namespaces (docs/abi.md, "Network namespaces"). netns_fd is an
 * open /proc/PID/ns/net or /run/netns/NAME. The socket is made by a
 * short-lived thread that enters the namespace; the caller's threads never
 * change namespace. All return -EBADF for a bad fd, -EINVAL for an fd
 * that is no network namespace, and need CAP_SYS_ADMIN.
 */
struct lwfp_listen_opts {
	size_t sz;
	int type; /* SOCK_STREAM (also 0) listens; SOCK_DGRAM binds */
	int backlog; /* SOCK_STREAM; <= 0: SOMAXCONN */
	uint32_t service; /* non-zero: lwfp_register_listener() it for this handle */
	bool reuseaddr; /* SO_REUSEADDR */
	bool reuseport; /* SO_REUSEPORT */
	bool pktinfo; /* SOCK_DGRAM: IP_PKTINFO or IPV6_RECVPKTINFO */
	bool freebind; /* IP_FREEBIND or IPV6_FREEBIND */
	bool nonblock; /* SOCK_NONBLOCK */
	size_t :0;
};
#define lwfp_listen_opts__last_field nonblock

/*
 * A listening TCP socket or a bound UDP socket at addr inside the
 * namespace (IPv6 sockets are V6ONLY), registered for opts->service if
 * set; close-on-exec. The fd, or -errno (bind's own, or
 * lwfp_register_listener's). opts may be NULL.
 */
int lwfp_listen_netns(int netns_fd, const struct sockaddr *addr, socklen_t len,
		      const struct lwfp_listen_opts *opts);
/* socket(domain, type, protocol) made in the namespace: the fd or -errno. */
int lwfp_netns_socket(int netns_fd, int domain, int type, int protocol);
/*
 * The namespace's inode number (as `stat -L -c %i /proc/PID/ns/net`) and
 * its cookie (SO_NETNS_COOKIE, -EOPNOTSUPP before Linux 5.14); either
 * pointer may be NULL.
 */
int lwfp_netns_info(int netns_fd, uint32_t *ino, uint64_t *cookie);
/*
 * Routes the IPv6 UDP flow prefix (LWFP_UDP6_NET) to lo in the namespace,
 * as `lwfpctl up` does in its own, so that IPv6 UDP flows of its sockets
 * reach a proxy there; already routed is success. 0 or -errno.
 */
int lwfp_netns_udp_route(int netns_fd);

/*
 * The kernel fast path of a passed flow (docs/abi.md, "Offload"). A proxy
 * hands over a pair of connected TCP sockets, its accepted one and its
 * outbound one; from then on the kernel sends what arrives on either out
 * of the other, including what is already queued unread in either (bytes
 * the proxy only peeked at go on too). Before the call the proxy must have
 * written out everything it read. After it, it keeps both descriptors,
 * waits for EPOLLIN and EPOLLRDHUP, and passes each end on with
 * shutdown(SHUT_WR) once the other socket has sent all of it
 * (lwfp_offload_counts()). Closing a socket takes it out again.
 *
 * Backpressure: the kernel holds at most max_queue bytes of a direction
 * in its send work toward the destination. Past that, the source's
 * segments stay in the source socket (EPOLLIN), its receive window fills
 * and its peer must wait. The proxy then reads them and writes them to the
 * destination itself, but only once the kernel's queue has drained: see
 * lwfp_offload_spill(). When the destination has taken every byte, the
 * kernel relays the direction again by itself.
 *
 * 0, or: -EOPNOTSUPP when the engine or kernel has no fast path (or
 * $LWFP_OFFLOAD is 0), -EPROTONOSUPPORT for a socket that is not plain TCP
 * (MPTCP, a ULP such as kTLS), -ENOTCONN for one not connected or whose
 * peer's FIN has arrived already, -EEXIST for a socket handed over
 * already, -EINVAL for max_queue over LWFP_OFFLOAD_MAX_QUEUE_MAX, another
 * -errno of the map update. In all of these the sockets are as before and
 * the proxy relays the flow itself. -ENOTRECOVERABLE: the hand-over failed
 * half-way after bytes may have moved; reset the flow.
 */
struct lwfp_offload_opts {
	size_t sz;
	const char *pin_dir; /* NULL: $LWFP_PIN_DIR, else /sys/fs/bpf/lwfp */
	/* Bytes per direction the kernel may queue; 0: LWFP_OFFLOAD_MAX_QUEUE_DEFAULT. */
	size_t max_queue;
	size_t :0;
};
#define lwfp_offload_opts__last_field max_queue
#define LWFP_OFFLOAD_MAX_QUEUE_DEFAULT ((size_t)4 << 20)
#define LWFP_OFFLOAD_MAX_QUEUE_MAX ((size_t)1 << 30)

int lwfp_offload(int a, int b, const struct lwfp_offload_opts *opts);

/*
 * After lwfp_offload(), what a socket has moved, from its TCP state.
 * written only grows, from an origin of TCP's own: compare two readings.
 * received is every byte from its peer (its FIN not counted), unread the
 * part still queued; received - unread has been taken, by the proxy or by
 * the kernel. A direction src -> dst has delivered everything once dst's
 * written has grown, since the hand-over, by src's received now less its
 * received - unread at the hand-over (docs/abi.md, "Offload"). The four
 * fields are one reading, taken while no segment or ACK arrived: 0, or
 * -EAGAIN when the socket kept moving through every try (ask again; c then
 * holds the last try, each field read at a moment of its own), or -EINVAL
 * for c NULL, else the -errno of getsockopt(TCP_INFO) or ioctl.
 */
struct lwfp_offload_counts {
	uint64_t written;
	uint64_t received;
	uint64_t unread;
	bool fin; /* its peer's FIN has arrived */
};

int lwfp_offload_counts(int fd, struct lwfp_offload_counts *c);

/*
 * One direction of an offloaded pair, from src to its peer, as the kernel
 * handled it: sent went into the kernel's send work toward the peer,
 * spilled stayed in src for the proxy to read (recv(): splice() does not
 * see it). The proxy may write what it read from src to the peer only
 * when the peer's written count (lwfp_offload_counts()) has grown, since
 * the hand-over, by at least sent plus what the proxy itself wrote there
 * since: before that, the kernel still has bytes to send that came first.
 * holding: the kernel keeps the direction in src until the peer has taken
 * every byte. 0, or -EINVAL (st NULL, bad opts), -ENOENT for a socket not
 * handed over, -EOPNOTSUPP (no fast path), the map lookup's -errno.
 */
struct lwfp_offload_spill {
	uint64_t sent;
	uint64_t spilled;
	bool holding;
};

int lwfp_offload_spill(int src, struct lwfp_offload_spill *st,
		       const struct lwfp_offload_opts *opts);

/* pin_dir NULL: $LWFP_PIN_DIR, else /sys/fs/bpf/lwfp. */
int lwfp_service_handle(const char *pin_dir, const char *name, uint32_t *handle);

/* A static string naming a state, for logs. */
const char *lwfp_redirect_state_str(int state);

/*
 * UDP proxies (docs/abi.md, "UDP"). A flow is named by a number in
 * 127.128.0.0/9 (network order), which is also its IPv4 address; IPv6
 * flows use its IPv6 form. lwfp_udp_flow_number: the number of the
 * datagram destination addr (a struct in_addr for AF_INET, a struct
 * in6_addr for AF_INET6, v4-mapped included), 0 when it is no flow's.
 * lwfp_udp_flow_sockaddr: the flow's address in family at port (network
 * order), for its per-flow socket; the length, or 0 for another family.
 */
uint32_t lwfp_udp_flow_number(int family, const void *addr);
socklen_t lwfp_udp_flow_sockaddr(uint32_t number, int family, uint16_t port,
				 struct sockaddr_storage *ss);

#ifdef __cplusplus
}
#endif

#endif /* LWFP_LWFP_H */
