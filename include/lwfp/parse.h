/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Parsers for the values people type: shared by lwfpctl and lwfp-inspect,
 * and fuzzed. Each returns 0 or -EINVAL and writes its output only on success.
 */
#ifndef LWFP_PARSE_H
#define LWFP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include <lwfp/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "198.18.0.1:80" or "[2001:db8::1]:80"; port 1..65535. */
int lwfp_parse_addr_port(const char *s, struct lwfp_addr *out);
/* "198.18.0.0/15", "2001:db8::/32", or a bare address (full length). */
int lwfp_parse_prefix(const char *s, uint32_t ip[4], uint8_t *family, uint8_t *plen);
/* "N" or "N-M" with lo <= hi <= max. */
int lwfp_parse_range(const char *s, uint32_t max, uint32_t *lo, uint32_t *hi);
/* A decimal number 0..max, with no sign, space or trailing text. */
int lwfp_parse_u32(const char *s, uint32_t max, uint32_t *out);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", either case. */
int lwfp_parse_uuid(const char *s, uint8_t out[16]);
void lwfp_format_uuid(const uint8_t uuid[16], char out[37]);
/* Even-length hex, at most max bytes once decoded; *len gets the count. */
int lwfp_parse_hex(const char *s, uint8_t *out, size_t max, size_t *len);
/* "198.18.0.1:80" or "[2001:db8::1]:80" into out (at least 64 bytes). */
int lwfp_format_addr_port(const struct lwfp_addr *a, char *out, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* LWFP_PARSE_H */
