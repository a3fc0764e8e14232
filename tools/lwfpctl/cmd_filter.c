// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lwfpctl filter add|del|list */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <lwfp/parse.h>

#include "common/filter_opts.h"
#include "lwfpctl.h"

#define ADD_SYNOPSIS                                                              \
	"lwfpctl filter add service NAME to ADDR:PORT [CONDITIONS] [SETTINGS]\n" \
	"       lwfpctl filter add permit|block [CONDITIONS] [weight W]\n"
#define DEL_SYNOPSIS "lwfpctl filter del ID\n"
#define LIST_SYNOPSIS "lwfpctl filter list [-j]\n"
#define SHOW_SYNOPSIS "lwfpctl filter show ID [-j]\n"
#define FLUSH_SYNOPSIS "lwfpctl filter flush [service NAME]\n"
#define COMMON_HELP "  --pin-dir DIR          " CTL_PIN_DIR_HELP

static const char filter_usage[] =
	"Usage: " ADD_SYNOPSIS
	"       " DEL_SYNOPSIS
	"       " LIST_SYNOPSIS
	"       " SHOW_SYNOPSIS
	"       " FLUSH_SYNOPSIS
	"       " FILTER_REFRESH_SYNOPSIS
	"\n"
	"At connect time the matching filters are tried from the highest weight\n"
	"down. Run 'lwfpctl filter VERB help' for the keywords of each verb.\n";

static const char add_usage[] =
	"Usage: " ADD_SYNOPSIS
	"\n"
	"Add a filter and print its id; a --dport list adds one filter per item, all\n"
	"or none, and prints their ids one per line. A redirect filter sends\n"
	"matching connections to ADDR:PORT ([::1]:15001 for IPv6), where service\n"
	"NAME listens; ADDR must be of the family the conditions allow, and IPv4\n"
	"for --proto udp.\n"
	"\n"
	"Action:\n"
	"  --service NAME         the service that owns the redirect target\n"
	"  --to ADDR:PORT         the redirect target\n"
	"  --permit               let matching connections through untouched\n"
	"  --block                refuse matching connections\n"
	"  --boot                 (redirect) refuse matching connections, whatever\n"
	"                         --fail says, until the service has a listener at\n"
	"                         the target; then redirect them\n"
	FILTER_OPTS_USAGE
	"\n"
	COMMON_HELP
	"\n"
	CTL_KEYWORDS_HELP
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

static const char show_usage[] =
	"Usage: " SHOW_SYNOPSIS
	"\n"
	"Show every field of the filter with id ID, one 'KEY VALUE' line each\n"
	"('-' for a condition not tested), or with -j the object 'filter list -j'\n"
	"shows for it.\n"
	"\n"
	"  -j, --json             print a JSON object\n"
	COMMON_HELP;

static const char flush_usage[] =
	"Usage: " FLUSH_SYNOPSIS
	"\n"
	"Remove every filter, permit and block filters included, or with --service\n"
	"only the redirect filters of service NAME. The services stay.\n"
	"\n"
	"  --service NAME         only the filters of this service\n"
	COMMON_HELP
	"\n"
	CTL_KEYWORDS_HELP;

enum {
	OPT_SERVICE = CTL_OPT_CMD,
	OPT_TO,
	OPT_PERMIT,
	OPT_BLOCK,
	OPT_BOOT,
};

struct add_args {
	struct filter_spec spec;
	const char *service;
	const char *to_arg; /* --to as typed, to name it in errors */
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
		a->to_arg = arg;
		return lwfp_parse_addr_port(arg, &a->spec.f.to) ? ctl_bad_value("--to", arg) : 0;
	case OPT_PERMIT:
		return set_action(a, LWFP_ACT_PERMIT);
	case OPT_BLOCK:
		return set_action(a, LWFP_ACT_BLOCK);
	case OPT_BOOT:
		a->spec.f.flags |= LWFP_FILTER_BOOT;
		return 0;
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
	if (a->spec.f.action && (a->spec.f.flags & LWFP_FILTER_BOOT)) {
		ctl_err("--boot is only for redirect filters");
		return CTL_EXIT_FAIL;
	}
	if (a->spec.f.action) {
		if (!a->service && !a->to_arg)
			return 0;
		ctl_err("--service and --to are only for redirect filters, not --%s",
			a->spec.f.action == LWFP_ACT_PERMIT ? "permit" : "block");
		return CTL_EXIT_FAIL;
	}
	if (!a->service || !a->to_arg) {
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
		{ "boot", no_argument, NULL, OPT_BOOT },
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
	if (filter_spec_finish(&a->spec) ||
	    (a->to_arg && filter_spec_check_to(&a->spec, &a->spec.f.to, a->to_arg))) {
		ctl_err("%s", a->spec.err);
		return CTL_EXIT_FAIL;
	}
	return CTL_CONTINUE;
}

/* One filter per --dport item, all or none; prints their ids. */
static int add_filters(struct lwfp_engine *e, struct add_args *a)
{
	struct lwfp_filter_spec f[FILTER_MAX_DPORTS];
	struct lwfp_filter_opts o[FILTER_MAX_DPORTS];
	const struct lwfp_filter_opts *po[FILTER_MAX_DPORTS];
	uint32_t ids[FILTER_MAX_DPORTS];
	size_t i, n = filter_spec_count(&a->spec);
	int err;

	if (a->service && find_service(e, a->service, &a->spec.f.service))
		return CTL_EXIT_FAIL;
	for (i = 0; i < n; i++) {
		filter_spec_nth(&a->spec, i, &f[i]);
		o[i] = (struct lwfp_filter_opts){ .sz = sizeof(o[i]), .filter = &f[i] };
		o[i].raw = a->spec.raw_len ? a->spec.raw : NULL;
		o[i].raw_len = a->spec.raw_len;
		o[i].app_path = a->spec.app[0] ? a->spec.app : NULL;
		po[i] = &o[i];
	}
	err = n == 1 ? lwfp_filter_add(e, &o[0], &ids[0])
		     : lwfp_filter_add_batch(e, po, n, ids, NULL);
	filter_add_error(err, a->service);
	for (i = 0; !err && i < n; i++)
		printf("%u\n", ids[i]);
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
	struct lwfp_service_info s;
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
	int err;

	filter_spec_init(&a.spec);
	err = parse_add(c, argc, argv, &a);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = add_filters(e, &a);
	lwfp_engine_close(e);
	return err;
}

/* ---- filter del ---------------------------------------------------------- */

/* "del ID" and "show ID": CTL_CONTINUE with *id set, or the exit status. */
static int parse_id(struct ctl *c, int argc, char **argv, const char *usage, uint32_t *id)
{
	const char *arg = NULL;
	int err;

	err = ctl_parse_simple(c, argc, argv, usage, "filter id", &arg);
	if (err != CTL_CONTINUE)
		return err;
	if (lwfp_parse_u32(arg, UINT32_MAX, id)) {
		ctl_err("bad filter id '%s'", arg);
		return CTL_EXIT_FAIL;
	}
	return CTL_CONTINUE;
}

static int filter_del(struct ctl *c, int argc, char **argv)
{
	struct lwfp_engine *e;
	uint32_t id;
	int err;

	err = parse_id(c, argc, argv, del_usage, &id);
	if (err != CTL_CONTINUE)
		return err;
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
	char text[CTL_CGROUP_STR_MAX];
	bool numeric; /* JSON shows num rather than text */
	uint64_t num;
};

enum { C_PROTO, C_FAMILY, C_DST, C_DPORT, C_SPORT, C_UID, C_GID, C_CGROUP, C_ORIGIN, C_APP,
       C_HOST, C__N };

/* Paths as `filter add` takes them; JSON keeps the ids under their own keys. */
static const char *const cgroup_keys[C__N] = { [C_CGROUP] = "cgroup",
					       [C_ORIGIN] = "origin_cgroup" };

static void cond_num(struct cond *c, uint64_t v)
{
	c->numeric = true;
	c->num = v;
	snprintf(c->text, sizeof(c->text), "%" PRIu64, v);
}

static void cond_cgroup(struct cond *c, uint64_t id)
{
	c->numeric = true;
	c->num = id;
	ctl_cgroup_str(id, c->text, sizeof(c->text));
}

static void cond_range(struct cond *c, uint32_t lo, uint32_t hi)
{
	if (lo == hi)
		snprintf(c->text, sizeof(c->text), "%u", lo);
	else
		snprintf(c->text, sizeof(c->text), "%u-%u", lo, hi);
}

static void cond_prefix(struct cond *c, const struct lwfp_filter_spec *f)
{
	int af = f->family == 6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, f->dst, c->text, sizeof(c->text)))
		strcpy(c->text, "?");
	snprintf(c->text + strlen(c->text), sizeof(c->text) - strlen(c->text), "/%u",
		 f->dst_plen);
}

/* The path it was given; a filter added by (dev, ino) alone shows those. */
static void cond_app(struct cond *c, struct lwfp_engine *e, const struct lwfp_filter_spec *f)
{
	if (lwfp_filter_app(e, f->id, c->text, sizeof(c->text)))
		snprintf(c->text, sizeof(c->text), "dev:%u,ino:%" PRIu64, f->app_dev[0],
			 (uint64_t)f->app_ino[0]);
}

static void describe_conds(struct lwfp_engine *e, const struct lwfp_filter_spec *f, struct cond *c)
{
	static const char *const keys[C__N] = { "proto", "family", "dst", "dport",
						"sport", "uid", "gid", "cgroup_id",
						"origin_cgroup_id", "app", "host" };
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
		cond_cgroup(&c[C_CGROUP], f->cgroup_id);
	if (f->conds & LWFP_COND_ORIGIN_CGROUP)
		cond_cgroup(&c[C_ORIGIN], f->origin_cgroup_id);
	if (f->conds & LWFP_COND_APP)
		cond_app(&c[C_APP], e, f);
	if (f->conds & LWFP_COND_HOST)
		snprintf(c[C_HOST].text, sizeof(c[C_HOST].text), "%.*s", (int)sizeof(f->host),
			 f->host);
}

const char *ctl_action_name(uint8_t action)
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

/* The FAIL column: a boot filter fails closed whatever its mode. */
static const char *fail_name(const struct lwfp_filter_spec *f)
{
	if (f->flags & LWFP_FILTER_BOOT)
		return "boot";
	return f->fail == LWFP_FAIL_OPEN ? "open" : "closed";
}

struct list_ctx {
	struct lwfp_engine *e;
	struct json_object *arr;
};

/* Fills name; NULL for permit and block, and for a service already gone. */
static const char *owner(struct lwfp_engine *e, const struct lwfp_filter_spec *f,
			 char name[LWFP_NAME_MAX + 1])
{
	if (f->action != LWFP_ACT_REDIRECT || ctl_service_name(e, f->service, name))
		return NULL;
	return name;
}

static int print_filter(const struct lwfp_filter_spec *f, void *ctx)
{
	struct list_ctx *l = ctx;
	char name[LWFP_NAME_MAX + 1], to[64], context[32], conds[3 * CTL_CGROUP_STR_MAX] = "";
	const char *svc = owner(l->e, f, name);
	const char *target = ctl_addr_str(&f->to, to, sizeof(to));
	struct lwfp_hits hits;
	struct cond c[C__N];
	size_t len = 0;
	int i;

	describe_conds(l->e, f, c);
	for (i = 0; i < C__N; i++) {
		if (c[i].text[0] && len < sizeof(conds))
			len += snprintf(conds + len, sizeof(conds) - len, "%s%s=%s",
					len ? " " : "",
					cgroup_keys[i] ? cgroup_keys[i] : c[i].key, c[i].text);
	}
	if (f->ctx_kind == LWFP_CTX_RAW)
		snprintf(context, sizeof(context), "raw(%u bytes)", f->raw_len);
	else
		snprintf(context, sizeof(context), "%s", context_name(f->ctx_kind));
	if (lwfp_filter_hits(l->e, f->id, &hits))
		return -EIO;
	printf("%-6u %-10u %-8s %-16s %-24s %-6s %-15s %-10" PRIu64 " %s\n", f->id, f->weight,
	       ctl_action_name(f->action), svc ? svc : "-",
	       f->action == LWFP_ACT_REDIRECT && target ? target : "-",
	       fail_name(f), context, (uint64_t)hits.matched, len ? conds : "any");
	return 0;
}

/* "raw:HEX" as `filter add --context` takes it. */
static int context_json(struct json_object *o, struct lwfp_engine *e,
			const struct lwfp_filter_spec *f)
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

static int conds_json(struct json_object *o, struct lwfp_engine *e, const struct lwfp_filter_spec *f)
{
	struct cond c[C__N];
	int i, err = 0;

	describe_conds(e, f, c);
	for (i = 0; i < C__N && !err; i++) {
		if (cgroup_keys[i])
			err = cj_str(o, cgroup_keys[i], c[i].text[0] ? c[i].text : NULL);
		if (err)
			break;
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
static int hits_json(struct json_object *o, struct lwfp_engine *e, const struct lwfp_filter_spec *f)
{
	struct lwfp_hits h;
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
		       const struct lwfp_filter_spec *f)
{
	static const struct lwfp_addr none;
	char name[LWFP_NAME_MAX + 1];
	bool redirect = f->action == LWFP_ACT_REDIRECT;

	if (cj_u64(o, "id", f->id) || cj_str(o, "service", owner(e, f, name)) ||
	    cj_u64(o, "weight", f->weight) || cj_str(o, "action", ctl_action_name(f->action)) ||
	    cj_addr(o, "to", redirect ? &f->to : &none) ||
	    cj_str(o, "fail", f->fail == LWFP_FAIL_OPEN ? "open" : "closed") ||
	    cj_add(o, "boot", json_object_new_boolean(!!(f->flags & LWFP_FILTER_BOOT))))
		return -ENOMEM;
	if (cj_u64(o, "idle_timeout", f->idle_timeout_s) || conds_json(o, e, f))
		return -ENOMEM;
	return hits_json(o, e, f) ?: context_json(o, e, f);
}

static int push_filter(const struct lwfp_filter_spec *f, void *ctx)
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

/* ---- filter show -------------------------------------------------------- */

struct show_ctx {
	struct lwfp_engine *e;
	uint32_t id;
	struct json_object *obj; /* the filter, once found */
	int err;
};

static int find_filter(const struct lwfp_filter_spec *f, void *ctx)
{
	struct show_ctx *s = ctx;

	if (f->id != s->id)
		return 0;
	s->obj = json_object_new_object();
	s->err = s->obj ? filter_json(s->obj, s->e, f) : -ENOMEM;
	return 1;
}

/* The JSON object as KEY VALUE lines: every field, in the same words. */
static int print_fields(struct json_object *o)
{
	json_object_object_foreach(o, key, val)
		printf("%-18s %s\n", key, val ? json_object_get_string(val) : "-");
	json_object_put(o);
	return 0;
}

static int show_filter(struct ctl *c, struct lwfp_engine *e, uint32_t id)
{
	struct show_ctx s = { .e = e, .id = id };
	int err = lwfp_filter_foreach(e, find_filter, &s);

	if (err >= 0 && s.err)
		err = s.err;
	if (err < 0) {
		json_object_put(s.obj);
		ctl_err("cannot read filter %u: %s", id, strerror(-err));
		return CTL_EXIT_FAIL;
	}
	if (!s.obj) {
		ctl_err("no filter with id %u", id);
		return CTL_EXIT_FAIL;
	}
	err = c->json ? cj_print(s.obj) : print_fields(s.obj);
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

static int filter_show(struct ctl *c, int argc, char **argv)
{
	struct lwfp_engine *e;
	uint32_t id;
	int err;

	err = parse_id(c, argc, argv, show_usage, &id);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = show_filter(c, e, id);
	lwfp_engine_close(e);
	return err;
}

/* ---- filter flush ------------------------------------------------------- */

struct flush_ctx {
	uint32_t ids[LWFP_MAX_FILTERS];
	size_t n;
	uint32_t service; /* 0: every filter */
};

static int collect_filter(const struct lwfp_filter_spec *f, void *ctx)
{
	struct flush_ctx *fl = ctx;

	if ((!fl->service || (f->action == LWFP_ACT_REDIRECT && f->service == fl->service)) &&
	    fl->n < LWFP_MAX_FILTERS)
		fl->ids[fl->n++] = f->id;
	return 0;
}

static int parse_flush(struct ctl *c, int argc, char **argv, const char **service)
{
	static const struct option longopts[] = {
		CTL_COMMON_LONGOPTS,
		{ "service", required_argument, NULL, OPT_SERVICE },
		{ 0 },
	};
	int opt;

	ctl_opts_reset();
	while ((opt = ctl_next_opt(c, argc, argv, longopts)) != -1) {
		if (opt == CTL_OPT_HELP)
			return ctl_help(flush_usage);
		if (opt == CTL_OPT_ARG)
			return ctl_unexpected_arg(optarg);
		if (opt != OPT_SERVICE)
			return CTL_EXIT_FAIL;
		*service = optarg;
	}
	return CTL_CONTINUE;
}

/* One delete per filter: a filter removed meanwhile by another is not an error. */
static int flush_filters(struct lwfp_engine *e, const char *service)
{
	static struct flush_ctx fl;
	size_t i;
	int err;

	fl.n = 0;
	fl.service = 0;
	if (service && find_service(e, service, &fl.service))
		return CTL_EXIT_FAIL;
	err = lwfp_filter_foreach(e, collect_filter, &fl);
	for (i = 0; err >= 0 && i < fl.n; i++) {
		err = lwfp_filter_del(e, fl.ids[i]);
		if (err == -ENOENT)
			err = 0;
	}
	if (err < 0)
		ctl_err("cannot flush the filters: %s", strerror(-err));
	return err < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

static int filter_flush(struct ctl *c, int argc, char **argv)
{
	const char *service = NULL;
	struct lwfp_engine *e;
	int err;

	err = parse_flush(c, argc, argv, &service);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = flush_filters(e, service);
	lwfp_engine_close(e);
	return err;
}

int cmd_filter(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_cmd actions[] = {
		{ "add", filter_add, 0 },
		{ "del", filter_del, 0 },
		{ "list", filter_list, 0 },
		{ "show", filter_show, 0 },
		{ "flush", filter_flush, 0 },
		{ "refresh", filter_refresh, 0 },
	};

	return ctl_group(c, "filter", actions, sizeof(actions) / sizeof(actions[0]), argc, argv,
			 filter_usage);
}
