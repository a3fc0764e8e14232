// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The DNS query parser: the question name and type of a query datagram. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"

#define DNS_QR 0x8000
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xf)

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

bool dns_plain_octet(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Appends one label in presentation form. The caller has checked that the
 * expanded name fits DNS_WIRE_NAME_MAX, and so, at four characters an octet
 * at most, out.
 */
static void put_label(char *out, size_t *n, const uint8_t *label, size_t len)
{
	size_t i;
	uint8_t c;

	if (*n)
		out[(*n)++] = '.';
	for (i = 0; i < len; i++) {
		c = label[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (dns_plain_octet(c)) {
			out[(*n)++] = (char)c;
		} else if (c == '.') {
			out[(*n)++] = '\\';
			out[(*n)++] = '.';
		} else {
			*n += (size_t)snprintf(out + *n, 5, "\\%03u", c);
		}
	}
}

int dns_read_name(const uint8_t *msg, size_t len, size_t *off, char out[DNS_NAME_MAX])
{
	char name[DNS_NAME_MAX];
	size_t pos = *off, floor = *off, end = 0, wire = 0, n = 0, target;
	unsigned int jumps = 0;
	uint8_t c;

	if (pos < DNS_HEADER_LEN)
		return -EBADMSG;
	for (;;) {
		if (pos >= len)
			return -EBADMSG;
		c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return -EBADMSG;
			target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			/* Strictly below this run of labels: each jump lowers floor. */
			if (target < DNS_HEADER_LEN || target >= floor || ++jumps > DNS_MAX_JUMPS)
				return -EBADMSG;
			if (!end)
				end = pos + 2;
			pos = floor = target;
			continue;
		}
		/* 0x40 and 0x80 are the retired extended label types. */
		if (c & 0xc0)
			return -EBADMSG;
		wire += 1 + (size_t)c;
		if (wire > DNS_WIRE_NAME_MAX)
			return -EBADMSG;
		if (!c)
			break;
		if (len - pos - 1 < c)
			return -EBADMSG;
		put_label(name, &n, msg + pos + 1, c);
		pos += 1 + (size_t)c;
	}
	if (!n)
		name[n++] = '.';
	name[n] = '\0';
	memcpy(out, name, n + 1);
	*off = end ? end : pos + 1;
	return 0;
}

bool dns_known_class(uint16_t qclass)
{
	return qclass == 1 || qclass == 3 || qclass == 4 || qclass == 254 || qclass == 255;
}

/*
 * What makes a server read the question as one: QR 0, opcode QUERY, one
 * question. The rest of the header (AA, TC, Z, RCODE, the other counts) and
 * whatever follows the question are left to the server, which answers the
 * question all the same: a stricter check would leave such a query unnamed,
 * and so outside the host patterns.
 */
static bool query_header(const uint8_t *buf)
{
	uint16_t flags = get16(buf + 2);

	return !(flags & DNS_QR) && DNS_OPCODE(flags) == 0 && get16(buf + 4) == 1;
}

int dns_parse_query(const uint8_t *buf, size_t len, struct dns_query *q)
{
	char name[DNS_NAME_MAX];
	size_t off = DNS_HEADER_LEN;
	uint16_t qtype, qclass;

	if (len < DNS_HEADER_LEN || !query_header(buf))
		return -ENOMSG;
	if (dns_read_name(buf, len, &off, name))
		return -EBADMSG;
	if (len - off < 4)
		return -EBADMSG;
	qtype = get16(buf + off);
	qclass = get16(buf + off + 2);
	if (!qtype || !dns_known_class(qclass))
		return -EBADMSG;
	memcpy(q->name, name, strlen(name) + 1);
	q->qtype = qtype;
	q->qclass = qclass;
	return 0;
}

static const struct {
	uint16_t type;
	const char *name;
} dns_types[] = {
	{ 1, "A" },       { 2, "NS" },     { 5, "CNAME" }, { 6, "SOA" },    { 12, "PTR" },
	{ 13, "HINFO" },  { 15, "MX" },    { 16, "TXT" },  { 28, "AAAA" },  { 33, "SRV" },
	{ 35, "NAPTR" },  { 39, "DNAME" }, { 43, "DS" },   { 46, "RRSIG" }, { 47, "NSEC" },
	{ 48, "DNSKEY" }, { 50, "NSEC3" }, { 52, "TLSA" }, { 64, "SVCB" },  { 65, "HTTPS" },
	{ 251, "IXFR" },  { 252, "AXFR" }, { 255, "ANY" }, { 257, "CAA" },
};

const char *dns_type_name(uint16_t qtype, char out[DNS_TYPE_NAME_MAX])
{
	size_t i;

	for (i = 0; i < sizeof(dns_types) / sizeof(dns_types[0]); i++)
		if (dns_types[i].type == qtype)
			return dns_types[i].name;
	snprintf(out, DNS_TYPE_NAME_MAX, "TYPE%u", qtype);
	return out;
}
