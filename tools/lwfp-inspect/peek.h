/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who a flow is for, from its first bytes: the TLS SNI or the HTTP Host.
 * Pure functions over a byte buffer, with no I/O, so they can be unit tested
 * and fuzzed; the bytes are attacker-controlled and treated as such.
 */
#ifndef LWFP_INSPECT_PEEK_H
#define LWFP_INSPECT_PEEK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The largest ClientHello body read. Go's crypto/tls takes no larger one,
 * and no client sends one; a larger hello (some servers take up to 128 KiB)
 * is unnamed rather than waited for, since the whole of it must sit in the
 * socket's receive queue, unread, while it is peeked at.
 */
#define PEEK_TLS_HELLO_MAX 65536

/*
 * The most a flow's first bytes are examined: that ClientHello, with its
 * handshake header, in full 16 KiB records (5 of them, 5 header bytes
 * each). A hello cut into smaller records may not fit, and is unnamed.
 */
#define PEEK_MAX (PEEK_TLS_HELLO_MAX + 4 + 5 * 5)

/* A DNS name is at most 253 characters; an IPv6 literal Host fits too. */
#define PEEK_NAME_MAX 256

/* The TLS wire format, as far as the SNI goes (RFC 8446, RFC 6066). */
#define TLS_RECORD_HEADER 5
#define TLS_RECORD_MAX 16384
#define TLS_HANDSHAKE 22
#define TLS_CLIENT_HELLO 1
#define TLS_HANDSHAKE_HEADER 4
#define TLS_EXT_SERVER_NAME 0
#define TLS_NAME_HOST 0

enum peek_status {
	PEEK_NONE, /* enough bytes to tell: there is no usable name */
	PEEK_FOUND,
	PEEK_NEED_MORE, /* the name may still come with more bytes */
};

enum peek_kind {
	PEEK_KIND_NONE,
	PEEK_KIND_SNI, /* TLS ClientHello server_name */
	PEEK_KIND_HOST, /* HTTP/1.x request Host */
};

struct peek_name {
	enum peek_kind kind;
	/* Lower case, without a port or a trailing dot: ready for matching. */
	char name[PEEK_NAME_MAX];
};

/*
 * Each writes name only on PEEK_FOUND. A malformed message gives PEEK_NONE,
 * never a partial or unchecked name.
 */
enum peek_status peek_tls_sni(const uint8_t *buf, size_t len, char name[PEEK_NAME_MAX]);
enum peek_status peek_http_host(const uint8_t *buf, size_t len, char name[PEEK_NAME_MAX]);

/*
 * Whether ch may stand in a found name, in either case: the characters of
 * DNS names, and ':' inside an IPv6 literal.
 */
bool peek_name_char(uint8_t ch, bool literal);

/* Picks the parser from the first byte; out->kind is NONE unless FOUND. */
enum peek_status peek_name(const uint8_t *buf, size_t len, struct peek_name *out);

#endif /* LWFP_INSPECT_PEEK_H */
