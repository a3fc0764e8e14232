/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who a UDP flow is for, from its first datagram: the name of a DNS query.
 * Pure functions over a byte buffer, with no I/O, so that they can be unit
 * tested and fuzzed. The bytes come from any application, on any port: a
 * datagram counts as a query when its header says so and its question
 * parses (dns.c).
 */
#ifndef LWFP_INSPECT_DNS_H
#define LWFP_INSPECT_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
/* A name on the wire, length octets and the root label included (RFC 1035). */
#define DNS_WIRE_NAME_MAX 255
/*
 * The longest name dns_read_name() writes, with its NUL: every octet of the
 * labels escaped as \DDD, dots between them. 4 * 253 + 1 fits with room.
 */
#define DNS_NAME_MAX 1024
/* "TYPE65535" */
#define DNS_TYPE_NAME_MAX 16
/*
 * A chain of pointers needs one per label at most, and a name has at most
 * 127 labels. Pointers only ever go down (below), so a loop is impossible
 * anyway; this keeps a crafted message from making one name cost O(len).
 */
#define DNS_MAX_JUMPS 128

struct dns_query {
	/*
	 * Presentation form, lower case, without the trailing dot ("." for the
	 * root): letters, digits, '-' and '_' as they are, any other octet as
	 * \DDD, and a dot inside a label as "\.". Ready for --block globs.
	 */
	char name[DNS_NAME_MAX];
	uint16_t qtype;
	uint16_t qclass;
};

/*
 * Decodes the name at *off of the message msg[0..len), following
 * compression pointers. Every pointer must lead strictly below the label
 * run it ends and never into the header, so pointer loops cannot exist;
 * the name, expanded, must fit DNS_WIRE_NAME_MAX. On success *off is just
 * past the name where it started (after its first pointer, if any) and out
 * holds the name; 0, or -EBADMSG with out and *off unchanged.
 */
int dns_read_name(const uint8_t *msg, size_t len, size_t *off, char out[DNS_NAME_MAX]);

/*
 * Whether buf is a DNS query a server would answer: QR 0, opcode QUERY, one
 * question, well-formed and of a known class. The other header fields, the
 * records after the question (EDNS, TSIG, or any others) and trailing bytes
 * are not looked at: a server answers the question whatever they hold. 0 with
 * *q filled; -ENOMSG when it is not a query; -EBADMSG when its question is
 * malformed. *q is written only on 0.
 */
int dns_parse_query(const uint8_t *buf, size_t len, struct dns_query *q);

/* Octets that need no escape in presentation form (after lower-casing). */
bool dns_plain_octet(uint8_t c);
/* The classes a real query asks for: IN, CH, HS, NONE, ANY. */
bool dns_known_class(uint16_t qclass);

/* "A", "AAAA", ... or "TYPE%u" (RFC 3597) for the others; returns out. */
const char *dns_type_name(uint16_t qtype, char out[DNS_TYPE_NAME_MAX]);

#endif /* LWFP_INSPECT_DNS_H */
