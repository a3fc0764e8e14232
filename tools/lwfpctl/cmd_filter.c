// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lwfpctl filter add|del|list */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <lwfp/parse.h>

#include "filter_opts.h"
#include "lwfpctl.h"

#define ADD_SYNOPSIS                                                                \
	"lwfpctl filter add --service NAME --to ADDR:PORT [CONDITIONS] [SETTINGS]\n" \
	"       lwfpctl filter add --permit|--block [CONDITIONS] [--weight W]\n"
#define DEL_SYNOPSIS "lwfpctl filter del ID\n"
#define LIST_SYNOPSIS "lwfpctl filter list [-j]\n"
#define COMMON_HELP "  --pin-dir DIR          " CTL_PIN_DIR_HELP

static const char filter_usage[] =
	"Usage: " ADD_SYNOPSIS
	"       " DEL_SYNOPSIS
	"       " LIST_SYNOPSIS
	"\n"
	"At connect time the matching filters are tried from the highest weight\n"
	"down. Run 'lwfpctl filter ACTION --help' for the options of each action.\n";

static const char add_usage[] =
	"Usage: " ADD_SYNOPSIS
	"\n"
	"Add a filter and print its id. A redirect filter sends matching connections\n"
	"to ADDR:PORT ([::1]:15001 for IPv6), where service NAME listens.\n"
	"\n"
	"Action:\n"
	"  --service NAME         the service that owns the redirect target\n"
	"  --to ADDR:PORT         the redirect target\n"
	"  --permit               let matching connections through untouched\n"
	"  --block                refuse matching connections\n"
	FILTER_OPTS_USAGE
	"\n"
	COMMON_HELP
	"\n"
	"Each add rewrites the whole filter table; to add many filters at once,\n"
	"put their 'filter add' lines in a file for 'lwfpctl -batch FILE'.\n";

static const char del_usage[] =
	"Usage: " DEL_SYNOPSIS
	"\n"
	"Remove the filter with id ID.\n"
	"\n"
	COMMON_HELP;

static const char list_usage[] =
	"Usage: " LIST_SYNOPSIS
	"\n"
	"List the filters in the order they are tried, with HITS: the connections\n"
	"each decided (-j: \"hits\", and for redirects \"redirected\", \"refused\").\n"
	"\n"
	"  -j, --json             print a JSON array\n"
	COMMON_HELP;

enum {
	OPT_SERVICE = CTL_OPT_CMD,
	OPT_TO,
	OPT_PERMIT,
	OPT_BLOCK,
};

struct add_args {
	struct filter_spec spec;
	const char *service;
	bool has_to;
};

/* ---- filter add ---------------------------------------------------------- */

static int set_action(struct add_args *a, uint8_t action)
{
	if (a->spec.f.action && a->spec.f.action != action) {
		ctl_err("--permit and --block exclude each other");
		return CTL_EXIT_FAIL;
	}
	a->spec.f.action = action;
	return 0;
}

static int add_opt(struct add_args *a, int opt, const char *arg)
{
	int err;

	switch (opt) {
	case OPT_SERVICE:
		a->service = arg;
		return 0;
	case OPT_TO:
		a->has_to = true;
		return lwfp_parse_addr_port(arg, &a->spec.f.to) ? ctl_bad_value("--to", arg) : 0;
	case OPT_PERMIT:
		return set_action(a, LWFP_ACT_PERMIT);
	case OPT_BLOCK:
		return set_action(a, LWFP_ACT_BLOCK);
	case CTL_OPT_ARG:
		return ctl_unexpected_arg(arg);
	}
	err = filter_spec_opt(&a->spec, opt, arg);
	if (err < 0)
		ctl_err("%s", a->spec.err);
	return err == 1 ? 0 : CTL_EXIT_FAIL;
}

/* The action decides which of --service and --to must, or must not, be there. */
static int check_action(struct add_args *a)
{
	if (a->spec.f.action) {
		if (!a->service && !a->has_to)
			return 0;
		ctl_err("--service and --to are only for redirect filters, not --%s",
			a->spec.f.action == LWFP_ACT_PERMIT ? "permit" : "block");
		return CTL_EXIT_FAIL;
	}
	if (!a->service || !a->has_to) {
		ctl_err("filter add needs --service and --to, or --permit or --block");
		return CTL_EXIT_FAIL;
	}
	a->spec.f.action = LWFP_ACT_REDIRECT;
	return 0;
}

static int parse_add(struct ctl *c, int argc, char **argv, struct add_args *a)
{
	static const struct option longopts[] = {
		CTL_COMMON_LONGOPTS,
		FILTER_LONGOPTS
		{ "service", required_argument, NULL, OPT_SERVICE },
		{ "to", required_argument, NULL, OPT_TO },
		{ "permit", no_argument, NULL, OPT_PERMIT },
		{ "block", no_argument, NULL, OPT_BLOCK },
		{ 0 },
	};
	int opt;

	ctl_opts_reset();
	while ((opt = ctl_next_opt(c, argc, argv, longopts)) != -1) {
		if (opt == CTL_OPT_HELP)
			return ctl_help(add_usage);
		if (add_opt(a, opt, optarg))
			return CTL_EXIT_FAIL;
	}
	if (check_action(a))
		return CTL_EXIT_FAIL;
	if (filter_spec_finish(&a->spec)) {
		ctl_err("%s", a->spec.err);
		return CTL_EXIT_FAIL;
	}
	return CTL_CONTINUE;
}

static int add_filter(struct lwfp_engine *e, struct add_args *a, uint32_t *id)
{
	struct lwfp_filter_opts o = { .sz = sizeof(o) };
	int err;

	if (a->service && find_service(e, a->service, &a->spec.f.service))
		return CTL_EXIT_FAIL;
	o.filter = &a->spec.f;
	o.raw = a->spec.raw_len ? a->spec.raw : NULL;
	o.raw_len = a->spec.raw_len;
	err = lwfp_filter_add(e, &o, id);
	filter_add_error(err, a->service);
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

void filter_add_error(int err, const char *service)
{
	if (err == -ENOENT)
		ctl_err("no service named '%s'", service ? service : "?");
	else if (err == -ENOSPC)
		ctl_err("the filter table is full (at most %d filters)", LWFP_MAX_FILTERS);
	else if (err == -EINVAL)
		ctl_err("the engine rejected the filter as invalid");
	else if (err)
		ctl_err("cannot add the filter: %s", strerror(-err));
}

int filter_add_args(struct ctl *c, int argc, char **argv, struct filter_spec *spec,
		    const char **service)
{
	struct add_args a = { .service = NULL };
	int err;

	filter_spec_init(&a.spec);
	err = parse_add(c, argc, argv, &a);
	if (err == CTL_CONTINUE) {
		*spec = a.spec;
		*service = a.service;
	}
	return err;
}

int find_service(struct lwfp_engine *e, const char *name, uint32_t *handle)
{
	struct lwfp_service s;
	int err;

	err = lwfp_service_find(e, name, &s);
	if (err == -ENOENT)
		ctl_err("no service named '%s'", name);
	else if (err)
		ctl_err("cannot look up service '%s': %s", name, strerror(-err));
	else
		*handle = s.handle;
	return err;
}

static int filter_add(struct ctl *c, int argc, char **argv)
{
	struct add_args a = { .service = NULL };
	struct lwfp_engine *e;
	uint32_t id;
	int err;

	filter_spec_init(&a.spec);
	err = parse_add(c, argc, argv, &a);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = add_filter(e, &a, &id);
	lwfp_engine_close(e);
	if (!err)
		printf("%u\n", id);
	return err;
}

/* ---- filter del ---------------------------------------------------------- */

static int filter_del(struct ctl *c, int argc, char **argv)
{
	const char *arg = NULL;
	struct lwfp_engine *e;
	uint32_t id;
	int err;

	err = ctl_parse_simple(c, argc, argv, del_usage, "filter id", &arg);
	if (err != CTL_CONTINUE)
		return err;
	if (lwfp_parse_u32(arg, UINT32_MAX, &id)) {
		ctl_err("bad filter id '%s'", arg);
		return CTL_EXIT_FAIL;
	}
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = lwfp_filter_del(e, id);
	lwfp_engine_close(e);
	if (err == -ENOENT)
		ctl_err("no filter with id %u", id);
	else if (err)
		ctl_err("cannot delete filter %u: %s", id, strerror(-err));
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

/* ---- filter list --------------------------------------------------------- */

/* One condition in the words `filter add` takes; text "" when untested. */
struct cond {
	const char *key;
	char text[INET6_ADDRSTRLEN + 8];
	bool numeric; /* JSON shows num rather than text */
	uint64_t num;
};

enum { C_PROTO, C_FAMILY, C_DST, C_DPORT, C_SPORT, C_UID, C_GID, C_CGROUP, C_ORIGIN, C__N };

static void cond_num(struct cond *c, uint64_t v)
{
	c->numeric = true;
	c->num = v;
	snprintf(c->text, sizeof(c->text), "%" PRIu64, v);
}

static void cond_range(struct cond *c, uint32_t lo, uint32_t hi)
{
	if (lo == hi)
		snprintf(c->text, sizeof(c->text), "%u", lo);
	else
		snprintf(c->text, sizeof(c->text), "%u-%u", lo, hi);
}

static void cond_prefix(struct cond *c, const struct lwfp_filter *f)
{
	int af = f->family == 6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, f->dst, c->text, sizeof(c->text)))
		strcpy(c->text, "?");
	snprintf(c->text + strlen(c->text), sizeof(c->text) - strlen(c->text), "/%u",
		 f->dst_plen);
}

static void describe_conds(const struct lwfp_filter *f, struct cond *c)
{
	static const char *const keys[C__N] = { "proto", "family", "dst", "dport",
						"sport", "uid", "gid", "cgroup_id",
						"origin_cgroup_id" };
	const char *proto = ctl_proto_name(f->proto);
	int i;

	memset(c, 0, C__N * sizeof(*c));
	for (i = 0; i < C__N; i++)
		c[i].key = keys[i];
	if (f->conds & LWFP_COND_PROTO)
		snprintf(c[C_PROTO].text, sizeof(c[C_PROTO].text), "%s", proto ? proto : "?");
	if (f->conds & LWFP_COND_FAMILY)
		cond_num(&c[C_FAMILY], f->family);
	if (f->conds & LWFP_COND_DST)
		cond_prefix(&c[C_DST], f);
	if (f->conds & LWFP_COND_DPORT)
		cond_range(&c[C_DPORT], f->dport_lo, f->dport_hi);
	if (f->conds & LWFP_COND_SPORT)
		cond_range(&c[C_SPORT], f->sport_lo, f->sport_hi);
	if (f->conds & LWFP_COND_UID)
		cond_range(&c[C_UID], f->uid_lo, f->uid_hi);
	if (f->conds & LWFP_COND_GID)
		cond_num(&c[C_GID], f->gid);
	if (f->conds & LWFP_COND_CGROUP)
		cond_num(&c[C_CGROUP], f->cgroup_id);
	if (f->conds & LWFP_COND_ORIGIN_CGROUP)
		cond_num(&c[C_ORIGIN], f->origin_cgroup_id);
}

static const char *action_name(uint8_t action)
{
	switch (action) {
	case LWFP_ACT_REDIRECT:
		return "redirect";
	case LWFP_ACT_PERMIT:
		return "permit";
	case LWFP_ACT_BLOCK:
		return "block";
	default:
		return "unknown";
	}
}

static const char *context_name(uint8_t kind)
{
	switch (kind) {
	case LWFP_CTX_METADATA:
		return "metadata";
	case LWFP_CTX_SOCKADDRS:
		return "sockaddrs";
	case LWFP_CTX_RAW:
		return "raw";
	case LWFP_CTX_NONE:
		return "none";
	default:
		return "unknown";
	}
}

struct list_ctx {
	struct lwfp_engine *e;
	struct json_object *arr;
};

/* Fills name; NULL for permit and block, and for a service already gone. */
static const char *owner(struct lwfp_engine *e, const struct lwfp_filter *f,
			 char name[LWFP_NAME_MAX + 1])
{
	if (f->action != LWFP_ACT_REDIRECT || ctl_service_name(e, f->service, name))
		return NULL;
	return name;
}

static int print_filter(const struct lwfp_filter *f, void *ctx)
{
	struct list_ctx *l = ctx;
	char name[LWFP_NAME_MAX + 1], to[64], context[32], conds[256] = "";
	const char *svc = owner(l->e, f, name);
	const char *target = ctl_addr_str(&f->to, to, sizeof(to));
	struct lwfp_filter_hits hits;
	struct cond c[C__N];
	size_t len = 0;
	int i;

	describe_conds(f, c);
	for (i = 0; i < C__N; i++) {
		if (c[i].text[0] && len < sizeof(conds))
			len += snprintf(conds + len, sizeof(conds) - len, "%s%s=%s",
					len ? " " : "", c[i].key, c[i].text);
	}
	if (f->ctx_kind == LWFP_CTX_RAW)
		snprintf(context, sizeof(context), "raw(%u bytes)", f->raw_len);
	else
		snprintf(context, sizeof(context), "%s", context_name(f->ctx_kind));
	if (lwfp_filter_hits(l->e, f->id, &hits))
		return -EIO;
	printf("%-6u %-10u %-8s %-16s %-24s %-6s %-15s %-10" PRIu64 " %s\n", f->id, f->weight,
	       action_name(f->action), svc ? svc : "-",
	       f->action == LWFP_ACT_REDIRECT && target ? target : "-",
	       f->fail == LWFP_FAIL_OPEN ? "open" : "closed", context, (uint64_t)hits.matched,
	       len ? conds : "any");
	return 0;
}

/* "raw:HEX" as `filter add --context` takes it. */
static int context_json(struct json_object *o, struct lwfp_engine *e,
			const struct lwfp_filter *f)
{
	uint8_t raw[LWFP_RAW_CONTEXT_MAX];
	char text[4 + 2 * LWFP_RAW_CONTEXT_MAX + 1] = "raw:";
	size_t len, i;
	int err;

	if (f->ctx_kind != LWFP_CTX_RAW)
		return cj_str(o, "context", context_name(f->ctx_kind));
	err = lwfp_filter_raw(e, f->id, raw, sizeof(raw), &len);
	if (err)
		return err;
	for (i = 0; i < len && i < sizeof(raw); i++)
		snprintf(text + 4 + 2 * i, 3, "%02x", raw[i]);
	return cj_str(o, "context", text);
}

static int conds_json(struct json_object *o, const struct lwfp_filter *f)
{
	struct cond c[C__N];
	int i, err = 0;

	describe_conds(f, c);
	for (i = 0; i < C__N && !err; i++) {
		if (!c[i].text[0])
			err = cj_null(o, c[i].key);
		else if (c[i].numeric)
			err = cj_u64(o, c[i].key, c[i].num);
		else
			err = cj_str(o, c[i].key, c[i].text);
	}
	return err;
}

/* hits: connects it decided; redirected and refused only for a redirect filter. */
static int hits_json(struct json_object *o, struct lwfp_engine *e, const struct lwfp_filter *f)
{
	struct lwfp_filter_hits h;
	int err = lwfp_filter_hits(e, f->id, &h);

	if (err)
		return err;
	if (cj_u64(o, "hits", h.matched))
		return -ENOMEM;
	if (f->action != LWFP_ACT_REDIRECT)
		return cj_null(o, "redirected") || cj_null(o, "refused") ? -ENOMEM : 0;
	return cj_u64(o, "redirected", h.redirected) || cj_u64(o, "refused", h.refused) ?
		       -ENOMEM : 0;
}

static int filter_json(struct json_object *o, struct lwfp_engine *e,
		       const struct lwfp_filter *f)
{
	static const struct lwfp_addr none;
	char name[LWFP_NAME_MAX + 1];
	bool redirect = f->action == LWFP_ACT_REDIRECT;

	if (cj_u64(o, "id", f->id) || cj_str(o, "service", owner(e, f, name)) ||
	    cj_u64(o, "weight", f->weight) || cj_str(o, "action", action_name(f->action)) ||
	    cj_addr(o, "to", redirect ? &f->to : &none) ||
	    cj_str(o, "fail", f->fail == LWFP_FAIL_OPEN ? "open" : "closed"))
		return -ENOMEM;
	if (cj_u64(o, "idle_timeout", f->idle_timeout_s) || conds_json(o, f))
		return -ENOMEM;
	return hits_json(o, e, f) ?: context_json(o, e, f);
}

static int push_filter(const struct lwfp_filter *f, void *ctx)
{
	struct list_ctx *l = ctx;
	struct json_object *o = json_object_new_object();
	int err;

	if (!o)
		return -ENOMEM;
	err = filter_json(o, l->e, f);
	if (err) {
		json_object_put(o);
		return err;
	}
	return cj_push(l->arr, o);
}

static int list_filters(struct ctl *c, struct lwfp_engine *e)
{
	struct list_ctx l = { .e = e };
	int err;

	if (!c->json) {
		printf("%-6s %-10s %-8s %-16s %-24s %-6s %-15s %-10s %s\n", "ID", "WEIGHT",
		       "ACTION", "SERVICE", "TO", "FAIL", "CONTEXT", "HITS", "CONDITIONS");
		return lwfp_filter_foreach(e, print_filter, &l);
	}
	l.arr = json_object_new_array();
	if (!l.arr)
		return -ENOMEM;
	err = lwfp_filter_foreach(e, push_filter, &l);
	if (err) {
		json_object_put(l.arr);
		return err;
	}
	return cj_print(l.arr);
}

static int filter_list(struct ctl *c, int argc, char **argv)
{
	struct lwfp_engine *e;
	int err;

	err = ctl_parse_simple(c, argc, argv, list_usage, NULL, NULL);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = list_filters(c, e);
	lwfp_engine_close(e);
	if (err)
		ctl_err("cannot list filters: %s", strerror(-err));
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int cmd_filter(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_cmd actions[] = {
		{ "add", filter_add },
		{ "del", filter_del },
		{ "list", filter_list },
	};

	return ctl_group(c, "filter", actions, sizeof(actions) / sizeof(actions[0]), argc, argv,
			 filter_usage);
}
