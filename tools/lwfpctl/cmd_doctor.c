// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfpctl doctor: what runs next to the engine, and the known conflicts.
 * The programs come from liblwfp (lwfp_engine_path_progs), the netfilter
 * rules from iptables-save (doctor_nf.c) and nft (doctor_nft.c); each
 * conflict is one warning.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"
#include "lwfpctl.h"

static const char usage[] =
	"Usage: lwfpctl doctor [--pin-dir DIR] [-j]\n"
	"\n"
	"List every cgroup socket program (sock_addr, sock_ops, sockopt) on the path\n"
	"from the engine's cgroup to the root, in the order they run for a socket in\n"
	"the engine's cgroup, with their owners as the kernel knows them (name, tag,\n"
	"link id, a pin under /sys/fs/bpf); the nat and mangle rules of this network\n"
	"namespace that redirect (REDIRECT, DNAT to loopback, TPROXY; from\n"
	"iptables-save, ip6tables-save and nft -j, when installed); and a\n"
	"'warning:' line for each known conflict (see DOCTOR in lwfpctl(8)).\n"
	"\n"
	"  --pin-dir DIR   " CTL_PIN_DIR_HELP
	"  -j, --json      print it as one JSON object\n";

struct doctor {
	struct lwfp_engine *e;
	struct lwfp_path_prog *p;
	size_t np;
	struct nf_rule *r;
	size_t nr;
	struct json_object *warnings; /* strings */
};

static void warn(struct doctor *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct doctor *d, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cj_push(d->warnings, json_object_new_string(buf));
}

/* Our program's place at a hook; 0 when the engine has none there. */
static uint32_t our_place(const struct doctor *d, const char *hook)
{
	size_t i;

	for (i = 0; i < d->np; i++)
		if (d->p[i].ours && !strcmp(d->p[i].hook, hook))
			return d->p[i].run_order;
	return 0;
}

static bool rewrites_destinations(const char *hook)
{
	return !strncmp(hook, "connect", 7) || !strncmp(hook, "sendmsg", 7);
}

static void check_ahead(struct doctor *d)
{
	const struct lwfp_path_prog *p;
	uint32_t ours;
	size_t i;

	for (i = 0; i < d->np; i++) {
		p = &d->p[i];
		if (p->ours || p->lwfp || !p->run_order || !rewrites_destinations(p->hook))
			continue;
		ours = our_place(d, p->hook);
		if (!ours || p->run_order > ours)
			continue;
		warn(d, "prog '%s' id %u (%s on %s) runs before lwfp's: if it rewrites "
		     "destinations, lwfp and its proxies see its rewrite, not what the "
		     "application asked for ('lwfpctl up --before %u' puts lwfp first)",
		     p->name, p->prog_id, p->hook, p->cgroup, p->prog_id);
	}
}

static void check_engines(struct doctor *d)
{
	struct lwfp_engine_peer peer;

	if (lwfp_engine_find_other(lwfp_engine_cgroup(d->e), lwfp_engine_pin_dir(d->e), &peer) != 1)
		return;
	warn(d, "another lwfp engine is on this engine's cgroup path: connect4 prog id %u on %s, "
	     "pinned at %s; two engines keep separate records, and chains through both can "
	     "loop (see ONE ENGINE PER CGROUP PATH)",
	     peer.prog_id, peer.cgroup, *peer.pin_dir ? peer.pin_dir : "an unknown pin directory");
}

/* Whether redirect filter f can send connections to a port rule r catches. */
static bool overlaps(const struct nf_rule *r, const struct lwfp_filter_spec *f)
{
	uint16_t lo = 0, hi = 65535;
	uint32_t i;

	if (f->action != LWFP_ACT_REDIRECT)
		return false;
	if ((f->conds & LWFP_COND_FAMILY) && r->family && f->family != r->family)
		return false;
	if ((f->conds & LWFP_COND_PROTO) && r->proto && f->proto != r->proto)
		return false;
	if (f->conds & LWFP_COND_DPORT) {
		lo = f->dport_lo;
		hi = f->dport_hi;
	}
	for (i = 0; i < r->nranges; i++)
		if (r->lo[i] <= hi && lo <= r->hi[i])
			return true;
	return !r->nranges;
}

struct nf_check {
	struct doctor *d;
	const struct nf_rule *r;
	bool warned;
};

static int check_filter(const struct lwfp_filter_spec *f, void *ctx)
{
	struct nf_check *c = ctx;

	if (c->warned || !overlaps(c->r, f))
		return 0;
	c->warned = true;
	warn(c->d, "%s %s rule '%s' catches ports that lwfp filter %u redirects to a proxy, "
	     "with no owner, mark or cgroup match: the proxies' own outbound connections "
	     "to those ports would be caught too and sent back to a local proxy",
	     c->r->tool, c->r->table, c->r->text, f->id);
	return 0;
}

/* nat OUTPUT sees this host's own connections; TPROXY those routed back through lo. */
static void check_rules(struct doctor *d)
{
	struct nf_check c = { .d = d };
	size_t i;

	for (i = 0; i < d->nr; i++) {
		c.r = &d->r[i];
		c.warned = false;
		if (c.r->excludes)
			continue;
		if (strcmp(c.r->target, "TPROXY") && strcmp(c.r->chain, "OUTPUT"))
			continue;
		lwfp_filter_foreach(d->e, check_filter, &c);
	}
}

static const char *flags_str(uint32_t f, char *buf, size_t size)
{
	/* BPF_F_ALLOW_OVERRIDE 1, BPF_F_ALLOW_MULTI 2, BPF_F_PREORDER 64 (mprog.h) */
	snprintf(buf, size, "%s%s", (f & 2) ? "multi" : (f & 1) ? "override" : "exclusive",
		 (f & 64) ? ",preorder" : "");
	return buf;
}

static const char *owner_str(const struct lwfp_path_prog *p)
{
	return p->ours ? "this engine" : p->lwfp ? "another lwfp engine" : "foreign";
}

/* In each hook's group, the programs that run first, in run order. */
static void sort_by_run(struct lwfp_path_prog *p, size_t n)
{
	struct lwfp_path_prog t;
	size_t i, j;

	for (i = 1; i < n; i++) {
		for (j = i; j > 0 && !strcmp(p[j - 1].hook, p[j].hook); j--) {
			uint32_t a = p[j - 1].run_order ?: UINT32_MAX, b = p[j].run_order ?: UINT32_MAX;

			if (a <= b)
				break;
			t = p[j - 1];
			p[j - 1] = p[j];
			p[j] = t;
		}
	}
}

static void print_text(const struct doctor *d)
{
	const struct lwfp_path_prog *p;
	char fl[32], run[16], link[16];
	size_t i;

	printf("programs on the path from %s to the root (RUN: their order for its sockets)\n",
	       lwfp_engine_cgroup(d->e));
	printf("%-13s %-4s %-7s %-7s %-16s %-16s %-15s %-19s %s\n", "HOOK", "RUN", "ID", "LINK",
	       "NAME", "TAG", "FLAGS", "OWNER", "CGROUP / PINNED");
	for (i = 0; i < d->np; i++) {
		p = &d->p[i];
		snprintf(run, sizeof(run), "%u", p->run_order);
		snprintf(link, sizeof(link), "%u", p->link_id);
		if (!p->run_order)
			snprintf(run, sizeof(run), "-");
		if (!p->link_id)
			snprintf(link, sizeof(link), "-");
		printf("%-13s %-4s %-7u %-7s %-16s %-16s %-15s %-19s %s%s%s\n", p->hook, run,
		       p->prog_id, link, p->name, p->tag, flags_str(p->attach_flags, fl, sizeof(fl)), owner_str(p),
		       p->cgroup, *p->pinned ? " " : "", p->pinned);
	}
	printf("netfilter rules that redirect\n");
	for (i = 0; i < d->nr; i++) {
		if (!strcmp(d->r[i].tool, "nft"))
			printf("nft %s\n", d->r[i].text);
		else
			printf("%s -t %s %s\n", d->r[i].tool, d->r[i].table, d->r[i].text);
	}
	for (i = 0; i < json_object_array_length(d->warnings); i++)
		printf("warning: %s\n",
		       json_object_get_string(json_object_array_get_idx(d->warnings, i)));
}

static struct json_object *prog_json(const struct lwfp_path_prog *p)
{
	struct json_object *o = json_object_new_object();
	char fl[32];

	if (!o)
		return NULL;
	if (cj_str(o, "hook", p->hook) || cj_str(o, "cgroup", p->cgroup) ||
	    cj_u64(o, "id", p->prog_id) || cj_str(o, "name", p->name) || cj_str(o, "tag", p->tag) ||
	    (p->link_id ? cj_u64(o, "link_id", p->link_id) : cj_null(o, "link_id")) ||
	    (p->run_order ? cj_u64(o, "run_order", p->run_order) : cj_null(o, "run_order")) ||
	    cj_str(o, "attach_flags", flags_str(p->attach_flags, fl, sizeof(fl))) ||
	    cj_str(o, "pinned", *p->pinned ? p->pinned : NULL) || cj_str(o, "owner", owner_str(p)) ||
	    cj_add(o, "ours", json_object_new_boolean(p->ours))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *rule_json(const struct nf_rule *r)
{
	struct json_object *o = json_object_new_object();

	if (o && (cj_str(o, "tool", r->tool) || cj_str(o, "table", r->table) ||
		  cj_str(o, "chain", r->chain) || cj_str(o, "target", r->target) ||
		  cj_str(o, "rule", r->text) ||
		  cj_add(o, "excludes_owner", json_object_new_boolean(r->excludes)))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int print_json(struct doctor *d)
{
	struct json_object *o = json_object_new_object(), *progs, *rules;
	size_t i;
	int err;

	progs = json_object_new_array();
	rules = json_object_new_array();
	err = !o ? -ENOMEM : cj_add(o, "programs", progs) || cj_add(o, "rules", rules);
	for (i = 0; !err && i < d->np; i++)
		err = cj_push(progs, prog_json(&d->p[i]));
	for (i = 0; !err && i < d->nr; i++)
		err = cj_push(rules, rule_json(&d->r[i]));
	if (!err)
		err = cj_str(o, "cgroup", lwfp_engine_cgroup(d->e)) ||
		      cj_str(o, "pin_dir", lwfp_engine_pin_dir(d->e)) ||
		      cj_add(o, "warnings", json_object_get(d->warnings));
	if (err) {
		json_object_put(o);
		return -ENOMEM;
	}
	return cj_print(o);
}

static int doctor_run(struct ctl *c, struct doctor *d)
{
	int err;

	err = lwfp_engine_path_progs(d->e, &d->p, &d->np);
	if (err) {
		ctl_err("cannot list the programs of %s: %s", lwfp_engine_cgroup(d->e),
			strerror(-err));
		return err;
	}
	sort_by_run(d->p, d->np);
	err = nf_rules(&d->r, &d->nr);
	if (err) {
		ctl_err("cannot read the netfilter rules: %s", strerror(-err));
		return err;
	}
	check_ahead(d);
	check_engines(d);
	check_rules(d);
	if (c->json)
		return print_json(d);
	print_text(d);
	return 0;
}

int cmd_doctor(struct ctl *c, int argc, char **argv)
{
	struct doctor d = { 0 };
	int err;

	err = ctl_parse_simple(c, argc, argv, usage, NULL, NULL);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_open(c, &d.e))
		return CTL_EXIT_FAIL;
	d.warnings = json_object_new_array();
	err = d.warnings ? doctor_run(c, &d) : -ENOMEM;
	json_object_put(d.warnings);
	free(d.p);
	free(d.r);
	lwfp_engine_close(d.e);
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
