/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The native socket API: a thin wrapper over the SOL_LWFP socket options.
 * Every call returns 0 (or, for lwfp_query_redirect_state, a state >= 0)
 * or a negative errno.
 */
#ifndef LWFP_LWFP_H
#define LWFP_LWFP_H

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
