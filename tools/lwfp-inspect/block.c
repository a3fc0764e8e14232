// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The --block rules and their matching. */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lwfp/parse.h>

#include "block.h"

struct rule {
	const char *arg; /* as typed, for the log */
	char *glob; /* lower case; NULL for a prefix */
	uint32_t ip[4];
	uint8_t family, plen;
};

static struct rule *rules;
static size_t nrules;
static bool unnamed_rule, quic_rule;

/*
 * QUIC's port. Its Initial packet names the host only inside a payload
 * encrypted with keys derived from the connection ID; the proxy does not
 * decrypt it, so QUIC stays unnamed, and blocking it makes browsers and
 * curl fall back to TLS over TCP, whose SNI is read.
 */
#define QUIC_PORT 443

/* Host names reach the matcher lower-cased and checked (peek.c); so do globs. */
static char *host_glob(const char *arg)
{
	char *glob;
	size_t i;

	if (!*arg || strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "0123456789-._*?[]!") != strlen(arg))
		return NULL;
	glob = strdup(arg);
	for (i = 0; glob && glob[i]; i++)
		if (glob[i] >= 'A' && glob[i] <= 'Z')
			glob[i] += 'a' - 'A';
	return glob;
}

int block_add(const char *arg, char *err, size_t size)
{
	struct rule r = { .arg = arg }, *grown;

	if (lwfp_parse_prefix(arg, r.ip, &r.family, &r.plen)) {
		r.glob = host_glob(arg);
		if (!r.glob) {
			snprintf(err, size,
				 "bad --block '%s': not an address prefix or a host pattern", arg);
			return -EINVAL;
		}
	}
	grown = realloc(rules, (nrules + 1) * sizeof(*rules));
	if (!grown) {
		free(r.glob);
		snprintf(err, size, "--block: out of memory");
		return -ENOMEM;
	}
	rules = grown;
	rules[nrules++] = r;
	return 0;
}

void block_unnamed(void)
{
	unnamed_rule = true;
}

void block_quic(void)
{
	quic_rule = true;
}

void block_free(void)
{
	while (nrules)
		free(rules[--nrules].glob);
	free(rules);
	rules = NULL;
	unnamed_rule = quic_rule = false;
}

bool block_has_host_rules(void)
{
	size_t i;

	for (i = 0; i < nrules; i++)
		if (rules[i].glob)
			return true;
	return false;
}

/* Both in network order, as lwfp_parse_prefix and the engine keep them. */
static bool prefix_contains(const struct rule *r, const struct lwfp_addr *a)
{
	unsigned int bits = r->plen, i;

	if (r->family != a->family)
		return false;
	for (i = 0; i < 4 && bits; i++) {
		uint32_t mask = bits >= 32 ? 0xffffffffu : ~(0xffffffffu >> bits);

		if ((r->ip[i] ^ a->ip[i]) & htonl(mask))
			return false;
		bits = bits >= 32 ? bits - 32 : 0;
	}
	return true;
}

const char *block_match_addr(const struct lwfp_addr *dst)
{
	size_t i;

	for (i = 0; i < nrules; i++)
		if (!rules[i].glob && prefix_contains(&rules[i], dst))
			return rules[i].arg;
	return NULL;
}

/* No FNM_PERIOD or FNM_PATHNAME: "*.example.com" matches a.b.example.com. */
const char *block_match_host(const char *name)
{
	size_t i;

	for (i = 0; i < nrules; i++)
		if (rules[i].glob && fnmatch(rules[i].glob, name, 0) == 0)
			return rules[i].arg;
	return NULL;
}

const char *block_match_unnamed(void)
{
	return unnamed_rule ? "--block-unnamed" : NULL;
}

const char *block_match_quic(const struct lwfp_addr *dst)
{
	return quic_rule && dst->port == htons(QUIC_PORT) ? "--block-quic" : NULL;
}
