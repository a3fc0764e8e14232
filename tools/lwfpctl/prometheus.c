// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `lwfpctl stats --prometheus`: the engine's counters and sizes in the
 * Prometheus text exposition format, version 0.0.4. Each counter of
 * `stats` is its own metric, lwfp_NAME_total, NAME being its `stats -j`
 * key: the counters mean different things (a connect classified, a
 * refusal, a proxy's query), so no one label would sum to anything useful.
 * The per-filter counters are the other way round: one metric each, a
 * sample per filter, labelled.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "lwfpctl.h"

/* What each counter counts, as HELP says it; man/lwfpctl.8 COUNTERS says more. */
static const char *const counter_help[] = {
	[LWFP_CNT_CONNECT] = "Connects and first datagrams classified against the filters.",
	[LWFP_CNT_REDIRECT] = "Connections and UDP flows redirected to a proxy (one per hop).",
	[LWFP_CNT_SKIP_SELF] = "Redirect filters skipped: the flow's last hop is the filter's service.",
	[LWFP_CNT_SKIP_PREV_SELF] = "Redirect filters skipped: the filter's service has an earlier hop.",
	[LWFP_CNT_HOP_LIMIT] = "Connections permitted because their chain already had 8 hops.",
	[LWFP_CNT_FAIL_OPEN] = "Redirect filters skipped: no listener, filter fails open.",
	[LWFP_CNT_FAIL_CLOSED] = "Connections refused: no listener, filter fails closed.",
	[LWFP_CNT_PERMIT] = "Connections a permit filter let through.",
	[LWFP_CNT_BLOCK] = "Connections a block filter refused.",
	[LWFP_CNT_HANDOFF] = "Redirected connections accepted by their proxy with their flow.",
	[LWFP_CNT_HANDOFF_MISS] = "Accepted redirected connections whose flow could not be attached.",
	[LWFP_CNT_FLOW_FULL] = "New flows refused: the flow table is full.",
	[LWFP_CNT_FLOW_CLOSED] = "Flows ended (one per hop).",
	[LWFP_CNT_SET_OK] = "Records set by proxies on their outbound sockets.",
	[LWFP_CNT_SET_EINVAL] = "Set-records calls refused as malformed, forged or stale.",
	[LWFP_CNT_SET_EACCES] = "Set-records calls refused: caller is not a service's process.",
	[LWFP_CNT_QUERY] = "SOL_LWFP getsockopt queries.",
	[LWFP_CNT_UDP_DATAGRAM] = "Unconnected UDP datagrams sent on an existing redirected flow.",
	[LWFP_CNT_UDP_EXPIRED] = "Unconnected UDP flows ended by their idle timeout.",
	[LWFP_CNT_UDP_REVERSED] = "UDP replies shown as from the original destination.",
	[LWFP_CNT_NO_LISTENER] = "Redirect targets with no registered listener of the service.",
	[LWFP_CNT_BIND_REFUSED] = "Binds refused: a flow address or a service's UDP port.",
	[LWFP_CNT_SPOOF_REFUSED] = "Datagrams or connects refused as spoofing a flow.",
	[LWFP_CNT_UID_CAP] = "New flows refused: the uid holds max_flows_per_uid flows.",
	[LWFP_CNT_FLOW_ERROR] = "New flows refused on an internal error of the engine.",
};
/* A counter added to engine_defs.h without its HELP line fails the build here. */
_Static_assert(sizeof(counter_help) / sizeof(counter_help[0]) == LWFP_CNT__MAX,
	       "every counter needs its HELP text");

static int metric(FILE *out, const char *name, const char *type, const char *help, uint64_t v)
{
	return fprintf(out, "# HELP lwfp_%s %s\n# TYPE lwfp_%s %s\nlwfp_%s %" PRIu64 "\n", name, help,
		      name, type, name, v) < 0 ? -EIO : 0;
}

static int counters(FILE *out, const uint64_t *v)
{
	char name[64];
	int i, err;

	for (i = 0; i < LWFP_CNT__MAX; i++) {
		snprintf(name, sizeof(name), "%s_total", lwfp_counter_name(i));
		err = metric(out, name, "counter", counter_help[i] ?: "An lwfp engine counter.", v[i]);
		if (err)
			return err;
	}
	return 0;
}

static int count_flow(uint64_t token, const struct lwfp_flow_info *f, void *ctx)
{
	(void)token, (void)f;
	++*(uint64_t *)ctx;
	return 0;
}

static int count_service(const struct lwfp_service_info *s, void *ctx)
{
	(void)s;
	++*(uint64_t *)ctx;
	return 0;
}

static int count_filter(const struct lwfp_filter_spec *f, void *ctx)
{
	(void)f;
	++*(uint64_t *)ctx;
	return 0;
}

static int gauges(FILE *out, struct lwfp_engine *e, uint32_t cap)
{
	uint64_t flows = 0, services = 0, filters = 0;
	int err;

	err = lwfp_flow_foreach(e, count_flow, &flows) ?:
	      lwfp_service_foreach(e, count_service, &services) ?:
	      lwfp_filter_foreach(e, count_filter, &filters);
	if (err)
		return err;
	return metric(out, "flows", "gauge", "Live redirected flows (one per hop).", flows) ?:
	       metric(out, "services", "gauge", "Registered services.", services) ?:
	       metric(out, "filters", "gauge", "Installed filters.", filters) ?:
	       metric(out, "max_flows_per_uid", "gauge", "Live flows one uid other than root may hold.",
		      cap);
}

/* ---- per filter ------------------------------------------------------------ */

struct filter_row {
	uint32_t id, service;
	uint8_t action;
	struct lwfp_hits h;
};

struct filter_rows {
	struct lwfp_engine *e;
	struct filter_row *v;
	size_t n, cap;
};

static int add_row(const struct lwfp_filter_spec *f, void *ctx)
{
	struct filter_rows *r = ctx;
	struct filter_row *v;

	if (r->n == r->cap) {
		v = realloc(r->v, (r->cap ? r->cap * 2 : 64) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		r->v = v;
		r->cap = r->cap ? r->cap * 2 : 64;
	}
	v = &r->v[r->n];
	*v = (struct filter_row){ .id = f->id, .service = f->service, .action = f->action };
	r->n++;
	return lwfp_filter_hits(r->e, f->id, &v->h);
}

/* A label value: backslash, double quote and newline escaped, as the format says. */
static void label_value(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

/*
 * One family: the metric's HELP and TYPE, then one sample per filter,
 * labelled with its id, service (empty for permit and block) and action.
 * which: 0 matched, 1 redirected, 2 refused; the last two exist only for
 * redirect filters.
 */
static int filter_family(FILE *out, const struct filter_rows *r, const char *name,
			 const char *help, int which)
{
	char svc[LWFP_NAME_MAX + 1];
	const struct filter_row *f;
	uint64_t v;
	size_t i;

	fprintf(out, "# HELP lwfp_%s %s\n# TYPE lwfp_%s counter\n", name, help, name);
	for (i = 0; i < r->n; i++) {
		f = &r->v[i];
		if (which && f->action != LWFP_ACT_REDIRECT)
			continue;
		if (!f->service || ctl_service_name(r->e, f->service, svc))
			svc[0] = 0;
		v = which == 0 ? f->h.matched : which == 1 ? f->h.redirected : f->h.refused;
		fprintf(out, "lwfp_%s{filter=\"%u\",service=\"", name, f->id);
		label_value(out, svc);
		fprintf(out, "\",action=\"%s\"} %" PRIu64 "\n", ctl_action_name(f->action), v);
	}
	return ferror(out) ? -EIO : 0;
}

static int filters(FILE *out, struct lwfp_engine *e)
{
	struct filter_rows r = { .e = e };
	int err;

	err = lwfp_filter_foreach(e, add_row, &r) ?:
	      filter_family(out, &r, "filter_hits_total",
			    "Connections and new flows each filter decided.", 0) ?:
	      filter_family(out, &r, "filter_redirected_total",
			    "Of a redirect filter's hits, those sent to its proxy.", 1) ?:
	      filter_family(out, &r, "filter_refused_total",
			    "Of a redirect filter's hits, those refused (no listener, or no flow).", 2);
	free(r.v);
	return err;
}

int stats_prometheus(FILE *out, struct lwfp_engine *e, const uint64_t *v, uint32_t cap)
{
	int err = counters(out, v);

	if (!err)
		err = gauges(out, e, cap);
	if (!err)
		err = filters(out, e);
	if (!err && fflush(out))
		err = -errno;
	return err;
}
