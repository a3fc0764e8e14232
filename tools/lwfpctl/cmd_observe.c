// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lwfpctl flow list (also: flows), stats (cmd_monitor.c: flow monitor) */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "common/cgpath.h"
#include "lwfpctl.h"

#define COMMON_HELP \
	"  -j, --json        print JSON\n" \
	"  --pin-dir DIR     " CTL_PIN_DIR_HELP

static const char flows_usage[] =
	"Usage: lwfpctl flow list [-j]\n"
	"       lwfpctl flows [-j]\n"
	"\n"
	"List the live redirected flows, one per hop: CHAIN names the services of\n"
	"the hops so far, in order; UP and DOWN are the data bytes the hop's\n"
	"connecting socket sent and received (TCP; \"-\" when unknown); AGE is the\n"
	"time since the redirect.\n"
	"\n"
	COMMON_HELP;

static const char stats_usage[] =
	"Usage: lwfpctl stats [-j | prometheus]\n"
	"\n"
	"Print every counter of the engine (man lwfpctl, COUNTERS), then its\n"
	"per-uid flow cap (max_flows_per_uid).\n"
	"\n"
	"  --prometheus      the Prometheus text format: lwfp_COUNTER_total counters,\n"
	"                    gauges of live flows, services and filters, and each\n"
	"                    filter's hits (lwfp_filter_*_total{filter=\"ID\",...})\n"
	COMMON_HELP
	"\n"
	CTL_KEYWORDS_HELP;

/* The chain as a human reads it: its services' names in hop order, "a>b". */
static void format_chain(struct lwfp_engine *e, const struct lwfp_hop *hops, unsigned int n,
			 char *buf, size_t size)
{
	char name[LWFP_NAME_MAX + 1];
	size_t len = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < n && i < LWFP_MAX_HOPS && len < size; i++) {
		if (ctl_service_name(e, hops[i].service, name))
			snprintf(name, sizeof(name), "%u", hops[i].service);
		len += snprintf(buf + len, size - len, "%s%s", i ? ">" : "", name);
	}
}

/* The chain's service names, null for a handle no longer registered. */
static struct json_object *chain_json(struct lwfp_engine *e, const struct lwfp_hop *hops,
				      unsigned int n)
{
	struct json_object *arr = json_object_new_array();
	char name[LWFP_NAME_MAX + 1];
	unsigned int i;

	for (i = 0; arr && i < n && i < LWFP_MAX_HOPS; i++) {
		if (ctl_service_name(e, hops[i].service, name)) {
			if (json_object_array_add(arr, NULL))
				goto fail;
		} else if (cj_push(arr, json_object_new_string(name))) {
			goto fail;
		}
	}
	return arr;
fail:
	json_object_put(arr);
	return NULL;
}

static struct json_object *hops_json(struct lwfp_engine *e, const struct lwfp_hop *hops,
				     unsigned int n)
{
	struct json_object *arr = json_object_new_array(), *o;
	char name[LWFP_NAME_MAX + 1];
	unsigned int i;

	for (i = 0; arr && i < n && i < LWFP_MAX_HOPS; i++) {
		bool named = !ctl_service_name(e, hops[i].service, name);

		o = json_object_new_object();
		if (!o || cj_str(o, "service", named ? name : NULL) ||
		    cj_u64(o, "handle", hops[i].service) ||
		    cj_u64(o, "filter", hops[i].filter_id)) {
			json_object_put(o);
			goto fail;
		}
		if (cj_push(arr, o))
			goto fail;
	}
	return arr;
fail:
	json_object_put(arr);
	return NULL;
}

/* ---- flows --------------------------------------------------------------- */

struct flows_ctx {
	struct lwfp_engine *e;
	struct json_object *arr;
};

/* What the flow map does not hold: the bytes, from the kernel's socket, and the age. */
struct flow_extra {
	bool has_bytes, has_age;
	uint64_t up, down, age_ms;
	char dns_name[LWFP_DNS_NAME_MAX];
};

static void flow_extra(const struct lwfp_flow_info *f, struct flow_extra *x)
{
	struct timespec ts;
	uint64_t now;

	memset(x, 0, sizeof(*x));
	x->has_bytes = !lwfp_flow_bytes(f, &x->up, &x->down);
	/* created_ns is bpf_ktime_get_ns(): CLOCK_MONOTONIC. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts))
		return;
	now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	x->has_age = f->created_ns && now >= f->created_ns;
	x->age_ms = x->has_age ? (now - f->created_ns) / 1000000 : 0;
}

static const char *num_or_dash(bool known, uint64_t v, char *buf, size_t size)
{
	if (!known)
		return "-";
	snprintf(buf, size, "%" PRIu64, v);
	return buf;
}

static const char *age_str(const struct flow_extra *x, char *buf, size_t size)
{
	if (!x->has_age)
		return "-";
	snprintf(buf, size, "%" PRIu64 ".%03" PRIu64 "s", x->age_ms / 1000, x->age_ms % 1000);
	return buf;
}

#define CHAIN_MAX (LWFP_MAX_HOPS * (LWFP_NAME_MAX + 1) + 1)

static int print_flow(uint64_t token, const struct lwfp_flow_info *f, void *ctx)
{
	struct flows_ctx *l = ctx;
	char comm[sizeof(f->comm) + 1], dst[64], target[64], chain[CHAIN_MAX], cg[CGPATH_MAX];
	char up[24], down[24], age[32];
	const char *proto = ctl_proto_name(f->proto);
	struct flow_extra x;

	ctl_copy_name(comm, f->comm, sizeof(f->comm));
	format_chain(l->e, f->hops, f->nhops, chain, sizeof(chain));
	flow_extra(f, &x);
	if (cgpath_get(f->origin_cgroup_id, cg, sizeof(cg)))
		snprintf(cg, sizeof(cg), "-");
	printf("%016" PRIx64 " %-24s %-5s %7u %-16s %6u %-24s %-24s %4u %12s %12s %10s %10u %s\n",
	       token, chain, proto ? proto : "?", f->pid, comm, f->uid,
	       ctl_addr_str(&f->orig_dst, dst, sizeof(dst)) ?: "-",
	       ctl_addr_str(&f->target, target, sizeof(target)) ?: "-", f->refs,
	       num_or_dash(x.has_bytes, x.up, up, sizeof(up)),
	       num_or_dash(x.has_bytes, x.down, down, sizeof(down)), age_str(&x, age, sizeof(age)),
	       f->origin_netns_ino, cg);
	return 0;
}

/* A number, or null when it is not known. */
static int cj_u64_or_null(struct json_object *o, const char *key, bool known, uint64_t v)
{
	return known ? cj_u64(o, key, v) : cj_null(o, key);
}

static int flow_json_extra(struct json_object *o, struct lwfp_engine *e, const struct lwfp_flow_info *f)
{
	struct flow_extra x;

	flow_extra(f, &x);
	/* The name the application resolved the destination from, as lwfp-inspect logs it. */
	if (!lwfp_dns_name(e, f->origin_netns, &f->orig_dst, x.dns_name, sizeof(x.dns_name)) &&
	    cj_str(o, "dns_name", x.dns_name))
		return -ENOMEM;
	if (cj_hex64(o, "chain_token", f->chain) ||
	    cj_add(o, "chain", chain_json(e, f->hops, f->nhops)) ||
	    cj_u64_or_null(o, "bytes_up", x.has_bytes, x.up) ||
	    cj_u64_or_null(o, "bytes_down", x.has_bytes, x.down) ||
	    cj_u64_or_null(o, "age_ms", x.has_age, x.age_ms))
		return -ENOMEM;
	return 0;
}

static int flow_json(struct json_object *o, struct lwfp_engine *e, uint64_t token,
		     const struct lwfp_flow_info *f)
{
	char comm[sizeof(f->comm) + 1], cg[CGPATH_MAX];

	ctl_copy_name(comm, f->comm, sizeof(f->comm));
	/* The application's, as lwfp-inspect logs them; the path if it still exists. */
	if (cj_u64(o, "netns", f->origin_netns_ino) ||
	    cj_u64(o, "origin_cgroup_id", f->origin_cgroup_id) ||
	    (!cgpath_get(f->origin_cgroup_id, cg, sizeof(cg)) && cj_str(o, "cgroup", cg)))
		return -ENOMEM;
	if (cj_hex64(o, "token", token) || flow_json_extra(o, e, f) ||
	    cj_u64(o, "nhops", f->nhops) || cj_add(o, "hops", hops_json(e, f->hops, f->nhops)))
		return -ENOMEM;
	if (cj_addr(o, "orig_dst", &f->orig_dst) || cj_addr(o, "orig_src", &f->orig_src) ||
	    cj_addr(o, "target", &f->target) || cj_u64(o, "pid", f->pid) ||
	    cj_str(o, "comm", comm) || cj_u64(o, "uid", f->uid) || cj_u64(o, "gid", f->gid) ||
	    cj_str(o, "proto", ctl_proto_name(f->proto)) || cj_u64(o, "refs", f->refs) ||
	    cj_u64(o, "cgroup_id", f->cgroup_id) || cj_u64(o, "created_ns", f->created_ns))
		return -ENOMEM;
	return 0;
}

static int push_flow(uint64_t token, const struct lwfp_flow_info *f, void *ctx)
{
	struct flows_ctx *l = ctx;
	struct json_object *o = json_object_new_object();

	if (!o || flow_json(o, l->e, token, f)) {
		json_object_put(o);
		return -ENOMEM;
	}
	return cj_push(l->arr, o);
}

static int list_flows(struct ctl *c, struct lwfp_engine *e)
{
	struct flows_ctx l = { .e = e };
	int err;

	if (!c->json) {
		printf("%-16s %-24s %-5s %7s %-16s %6s %-24s %-24s %4s %12s %12s %10s %10s %s\n",
		       "TOKEN", "CHAIN", "PROTO", "PID", "COMM", "UID", "ORIG_DST", "TARGET", "REFS",
		       "UP", "DOWN", "AGE", "NETNS", "CGROUP");
		return lwfp_flow_foreach(e, print_flow, &l);
	}
	l.arr = json_object_new_array();
	if (!l.arr)
		return -ENOMEM;
	err = lwfp_flow_foreach(e, push_flow, &l);
	if (err) {
		json_object_put(l.arr);
		return err;
	}
	return cj_print(l.arr);
}

int cmd_flows(struct ctl *c, int argc, char **argv)
{
	struct lwfp_engine *e;
	int err;

	err = ctl_parse_simple(c, argc, argv, flows_usage, NULL, NULL);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = list_flows(c, e);
	lwfp_engine_close(e);
	if (err)
		ctl_err("cannot list flows: %s", strerror(-err));
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

/* ---- stats --------------------------------------------------------------- */

/*
 * The counters, then the per-uid flow cap they are read against (the
 * uid_cap counter counts flows it refused).
 */
static int print_counters(struct ctl *c, const uint64_t *v, uint32_t cap)
{
	struct json_object *o;
	int i;

	if (!c->json) {
		printf("%-26s %s\n", "COUNTER", "VALUE");
		for (i = 0; i < LWFP_CNT__MAX; i++)
			printf("%-26s %" PRIu64 "\n", lwfp_counter_name(i), v[i]);
		printf("%-26s %" PRIu32 "\n", "max_flows_per_uid", cap);
		return 0;
	}
	o = json_object_new_object();
	for (i = 0; o && i < LWFP_CNT__MAX; i++) {
		if (cj_u64(o, lwfp_counter_name(i), v[i])) {
			json_object_put(o);
			return -ENOMEM;
		}
	}
	if (o && cj_u64(o, "max_flows_per_uid", cap)) {
		json_object_put(o);
		return -ENOMEM;
	}
	return o ? cj_print(o) : -ENOMEM;
}

enum { OPT_PROMETHEUS = CTL_OPT_CMD };

/* CTL_CONTINUE, or the exit status; *prom for --prometheus. */
static int stats_parse(struct ctl *c, int argc, char **argv, bool *prom)
{
	static const struct option longopts[] = {
		CTL_COMMON_LONGOPTS,
		{ "prometheus", no_argument, NULL, OPT_PROMETHEUS },
		{ 0 },
	};
	int opt;

	*prom = false;
	ctl_opts_reset();
	while ((opt = ctl_next_opt(c, argc, argv, longopts)) != -1) {
		if (opt == OPT_PROMETHEUS)
			*prom = true;
		else if (opt == CTL_OPT_HELP)
			return ctl_help(stats_usage);
		else if (opt == CTL_OPT_ARG)
			return ctl_unexpected_arg(optarg);
		else
			return CTL_EXIT_FAIL;
	}
	if (*prom && c->json) {
		ctl_err("--prometheus and -j are two output formats: choose one");
		return CTL_EXIT_FAIL;
	}
	return CTL_CONTINUE;
}

int cmd_stats(struct ctl *c, int argc, char **argv)
{
	uint64_t v[LWFP_CNT__MAX];
	struct lwfp_engine *e;
	uint32_t cap;
	bool prom;
	int err;

	err = stats_parse(c, argc, argv, &prom);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = lwfp_counters_read(e, v, LWFP_CNT__MAX);
	cap = lwfp_engine_max_flows_per_uid(e);
	if (!err)
		err = prom ? stats_prometheus(stdout, e, v, cap) : print_counters(c, v, cap);
	lwfp_engine_close(e);
	if (err)
		ctl_err("cannot read counters: %s", strerror(-err));
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
