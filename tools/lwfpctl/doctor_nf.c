// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The netfilter rules that redirect connections to this host, as
 * iptables-save prints them: nat REDIRECT, nat DNAT to a loopback address,
 * mangle TPROXY. Another product's such rule sees a flow after lwfp has
 * redirected it at connect(), so what matters is whether it also catches
 * the proxies' own outbound connections: only a match on the socket's
 * owner, mark or cgroup can spare them.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"

static const char *const exclusions[] = { "--uid-owner", "--gid-owner", "--mark", "--cgroup",
					  "--path", "--socket-exists" };

static void add_range(struct nf_rule *r, const char *s)
{
	unsigned long lo, hi;
	char *end;

	lo = strtoul(s, &end, 10);
	hi = *end == ':' ? strtoul(end + 1, &end, 10) : lo;
	nf_add_range(r, lo, hi);
}

/* --dport N[:M] and multiport's --dports A,B:C. */
static void parse_ports(struct nf_rule *r, const char *line)
{
	const char *p;
	char list[128], *tok, *save;

	if ((p = strstr(line, "--dport "))) {
		add_range(r, p + 8);
	} else if ((p = strstr(line, "--dports "))) {
		snprintf(list, sizeof(list), "%s", p + 9);
		list[strcspn(list, " ")] = 0;
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
			add_range(r, tok);
	}
}

static bool local_dnat(const char *line)
{
	return strstr(line, "--to-destination 127.") || strstr(line, "--to-destination ::1") ||
	       strstr(line, "--to-destination [::1]");
}

bool nf_parse_line(const char *line, struct nf_rule *r)
{
	size_t i;

	if (strncmp(line, "-A ", 3))
		return false;
	if (strstr(line, " -j REDIRECT"))
		snprintf(r->target, sizeof(r->target), "REDIRECT");
	else if (strstr(line, " -j TPROXY"))
		snprintf(r->target, sizeof(r->target), "TPROXY");
	else if (strstr(line, " -j DNAT") && local_dnat(line))
		snprintf(r->target, sizeof(r->target), "DNAT");
	else
		return false;
	snprintf(r->chain, sizeof(r->chain), "%.*s", (int)strcspn(line + 3, " "), line + 3);
	snprintf(r->text, sizeof(r->text), "%.*s", (int)strcspn(line, "\n"), line);
	r->proto = strstr(line, "-p tcp") ? IPPROTO_TCP : strstr(line, "-p udp") ? IPPROTO_UDP : 0;
	r->nranges = 0;
	parse_ports(r, line);
	r->excludes = false;
	for (i = 0; i < sizeof(exclusions) / sizeof(exclusions[0]); i++)
		r->excludes |= strstr(line, exclusions[i]) != NULL;
	return true;
}

static int read_table(const char *tool, const char *table, struct nf_rule **v, size_t *n)
{
	char cmd[64], line[1024];
	struct nf_rule r;
	FILE *f;
	int err = 0;

	snprintf(cmd, sizeof(cmd), "%s-save -t %s 2>/dev/null", tool, table);
	f = popen(cmd, "r");
	if (!f)
		return 0;
	while (!err && fgets(line, sizeof(line), f)) {
		memset(&r, 0, sizeof(r));
		if (!nf_parse_line(line, &r))
			continue;
		snprintf(r.tool, sizeof(r.tool), "%s", tool);
		r.family = strcmp(tool, "ip6tables") ? 4 : 6;
		snprintf(r.table, sizeof(r.table), "%s", table);
		err = nf_push(v, n, &r);
	}
	pclose(f);
	return err;
}

int nf_rules(struct nf_rule **out, size_t *n)
{
	static const char *const tools[] = { "iptables", "ip6tables" };
	static const char *const tables[] = { "nat", "mangle" };
	size_t t, b;
	int err = 0;

	*out = NULL;
	*n = 0;
	for (t = 0; !err && t < 2; t++)
		for (b = 0; !err && b < 2; b++)
			err = read_table(tools[t], tables[b], out, n);
	return err ? err : nft_rules(out, n);
}
