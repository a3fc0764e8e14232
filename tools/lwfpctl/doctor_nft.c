// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The redirecting rules of nftables, from `nft -j list ruleset`, read with
 * json-c: redirect, tproxy, and dnat to a loopback address, in the tables
 * iptables does not own (ip/ip6 nat and mangle are iptables-nft's, and
 * iptables-save already shows them). A rule's chain is named by its hook
 * (OUTPUT, PREROUTING) when its base chain has one, as iptables names it.
 */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "doctor.h"

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The hook of chain (family, table, name), upper case; "" when not a base chain. */
static void chain_hook(struct json_object *all, struct json_object *rule, char *out, size_t size)
{
	struct json_object *c;
	size_t i, k;

	snprintf(out, size, "%s", jstr(rule, "chain"));
	for (i = 0; i < json_object_array_length(all); i++) {
		c = jget(json_object_array_get_idx(all, i), "chain");
		if (!c || strcmp(jstr(c, "family"), jstr(rule, "family")) ||
		    strcmp(jstr(c, "table"), jstr(rule, "table")) ||
		    strcmp(jstr(c, "name"), jstr(rule, "chain")) || !*jstr(c, "hook"))
			continue;
		snprintf(out, size, "%s", jstr(c, "hook"));
		for (k = 0; out[k]; k++)
			out[k] = toupper((unsigned char)out[k]);
	}
}

/* The ports of a dport match: a number, a range, or a set of both. */
static void match_ports(struct nf_rule *r, struct json_object *right)
{
	struct json_object *range = jget(right, "range"), *set = jget(right, "set");
	size_t i;

	if (json_object_is_type(right, json_type_int))
		nf_add_range(r, json_object_get_int(right), json_object_get_int(right));
	else if (range && json_object_array_length(range) == 2)
		nf_add_range(r, json_object_get_int(json_object_array_get_idx(range, 0)),
			     json_object_get_int(json_object_array_get_idx(range, 1)));
	for (i = 0; set && i < json_object_array_length(set); i++)
		match_ports(r, json_object_array_get_idx(set, i));
}

static void match(struct nf_rule *r, struct json_object *m)
{
	struct json_object *left = jget(m, "left"), *payload = jget(left, "payload");
	struct json_object *meta = jget(left, "meta");
	const char *key = meta ? jstr(meta, "key") : "";

	if (payload && !strcmp(jstr(payload, "field"), "dport")) {
		match_ports(r, jget(m, "right"));
		r->proto = !strcmp(jstr(payload, "protocol"), "udp") ? IPPROTO_UDP : IPPROTO_TCP;
	}
	/* The socket's owner, mark or cgroup can spare the proxies. */
	if (!strcmp(key, "skuid") || !strcmp(key, "skgid") || !strcmp(key, "mark") ||
	    !strcmp(key, "cgroup") || jget(left, "socket"))
		r->excludes = true;
}

static bool local_addr(const char *a)
{
	return !strncmp(a, "127.", 4) || !strcmp(a, "::1");
}

/* One statement of a rule: a match, or the target that makes it redirect. */
static void statement(struct nf_rule *r, struct json_object *e)
{
	struct json_object *dnat = jget(e, "dnat");

	if (jget(e, "match"))
		match(r, jget(e, "match"));
	else if (jget(e, "redirect"))
		snprintf(r->target, sizeof(r->target), "REDIRECT");
	else if (jget(e, "tproxy"))
		snprintf(r->target, sizeof(r->target), "TPROXY");
	else if (dnat && local_addr(jstr(dnat, "addr")))
		snprintf(r->target, sizeof(r->target), "DNAT");
}

static bool iptables_table(const char *family, const char *table)
{
	return (!strcmp(family, "ip") || !strcmp(family, "ip6")) &&
	       (!strcmp(table, "nat") || !strcmp(table, "mangle"));
}

static bool nft_rule(struct json_object *all, struct json_object *rule, struct nf_rule *r)
{
	struct json_object *expr = jget(rule, "expr");
	const char *fam = jstr(rule, "family");
	size_t i;

	if (!expr || iptables_table(fam, jstr(rule, "table")))
		return false;
	memset(r, 0, sizeof(*r));
	for (i = 0; i < json_object_array_length(expr); i++)
		statement(r, json_object_array_get_idx(expr, i));
	if (!*r->target)
		return false;
	snprintf(r->tool, sizeof(r->tool), "nft");
	snprintf(r->table, sizeof(r->table), "%s", jstr(rule, "table"));
	chain_hook(all, rule, r->chain, sizeof(r->chain));
	r->family = !strcmp(fam, "ip") ? 4 : !strcmp(fam, "ip6") ? 6 : 0;
	snprintf(r->text, sizeof(r->text), "table %s %s chain %s handle %s (%s)", fam,
		 jstr(rule, "table"), jstr(rule, "chain"), jstr(rule, "handle"), r->target);
	return true;
}

int nft_parse(const char *json, struct nf_rule **v, size_t *n)
{
	struct json_object *root = json_tokener_parse(json), *all;
	struct nf_rule r;
	size_t i;
	int err = 0;

	all = jget(root, "nftables");
	for (i = 0; !err && all && i < json_object_array_length(all); i++) {
		struct json_object *rule = jget(json_object_array_get_idx(all, i), "rule");

		if (rule && nft_rule(all, rule, &r))
			err = nf_push(v, n, &r);
	}
	json_object_put(root);
	return err;
}

int nft_rules(struct nf_rule **v, size_t *n)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f, *mem;
	int c, err;

	f = popen("nft -j list ruleset 2>/dev/null", "r");
	if (!f)
		return 0;
	mem = open_memstream(&buf, &size);
	if (!mem) {
		pclose(f);
		return -ENOMEM;
	}
	while ((c = getc(f)) != EOF)
		putc(c, mem);
	pclose(f);
	err = fclose(mem) ? -ENOMEM : nft_parse(buf, v, n);
	free(buf);
	return err;
}
