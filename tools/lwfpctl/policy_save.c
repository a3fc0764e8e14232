// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A policy printed as a policy file: what `lwfpctl save` writes, so that
 * reading it back gives filters and services equal to these (policy_diff.c).
 * What cannot be written so that it means the same after a restart (a pid
 * identity, a cgroup that no longer exists) is printed commented out with
 * the reason.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include <lwfp/parse.h>

#include "policy.h"

/* Words of a line, with the reason it must be commented out, if any. */
struct line {
	char text[4096 + 2 * LWFP_RAW_CONTEXT_MAX];
	size_t len;
	const char *why;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->text))
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->text + l->len, sizeof(l->text) - l->len, fmt, ap);
	va_end(ap);
	l->len += n > 0 ? (size_t)n : 0;
}

static void put_range(struct line *l, const char *opt, uint32_t lo, uint32_t hi)
{
	if (lo == hi)
		put(l, " --%s %u", opt, lo);
	else
		put(l, " --%s %u-%u", opt, lo, hi);
}

static void put_cgroup(struct line *l, const char *opt, uint64_t id)
{
	char path[PATH_MAX];

	if (cgroup_path_of(id, path, sizeof(path))) {
		put(l, " --%s ?", opt);
		l->why = "its cgroup no longer exists";
		return;
	}
	put(l, " --%s '%s'", opt, path);
}

static void put_conds(struct line *l, const struct lwfp_filter_spec *f)
{
	char addr[INET6_ADDRSTRLEN];
	uint32_t c = f->conds;

	if (c & LWFP_COND_PROTO)
		put(l, " --proto %s", f->proto == 17 ? "udp" : "tcp");
	if (c & LWFP_COND_FAMILY)
		put(l, " --family %u", f->family);
	if ((c & LWFP_COND_DST) &&
	    inet_ntop(f->family == 6 ? AF_INET6 : AF_INET, f->dst, addr, sizeof(addr)))
		put(l, " --dst %s/%u", addr, f->dst_plen);
	if (c & LWFP_COND_DPORT)
		put_range(l, "dport", f->dport_lo, f->dport_hi);
	if (c & LWFP_COND_SPORT)
		put_range(l, "sport", f->sport_lo, f->sport_hi);
	if (c & LWFP_COND_UID)
		put_range(l, "uid", f->uid_lo, f->uid_hi);
	if (c & LWFP_COND_GID)
		put(l, " --gid %u", f->gid);
	if (c & LWFP_COND_CGROUP)
		put_cgroup(l, "cgroup", f->cgroup_id);
	if (c & LWFP_COND_ORIGIN_CGROUP)
		put_cgroup(l, "origin-cgroup", f->origin_cgroup_id);
	if (c & LWFP_COND_HOST)
		put(l, " --host %.*s", (int)sizeof(f->host), f->host);
}

/* The path, quoted as put_cgroup quotes; a filter without one cannot be saved. */
static void put_app(struct line *l, const struct pol_filter *pf)
{
	if (!(pf->f.conds & LWFP_COND_APP))
		return;
	if (!pf->app[0] || strchr(pf->app, '\'')) {
		put(l, " --app ?");
		l->why = "its --app path is unknown or holds a quote";
		return;
	}
	put(l, " --app '%s'", pf->app);
}

static void put_context(struct line *l, const struct pol_filter *pf)
{
	static const char *const kinds[] = { "metadata", "sockaddrs", "raw", "none" };
	size_t i;

	if (pf->f.ctx_kind != LWFP_CTX_RAW) {
		put(l, " --context %s", pf->f.ctx_kind <= LWFP_CTX_NONE ? kinds[pf->f.ctx_kind] : "?");
		return;
	}
	put(l, " --context raw:");
	for (i = 0; i < pf->f.raw_len; i++)
		put(l, "%02x", pf->raw[i]);
}

static void filter_line(struct line *l, const struct policy *p, const struct pol_filter *pf)
{
	const struct lwfp_filter_spec *f = &pf->f;
	const struct pol_service *s;
	char to[64];

	if (f->action == LWFP_ACT_REDIRECT) {
		s = policy_service(p, pf->service);
		if (lwfp_format_addr_port(&f->to, to, sizeof(to)))
			snprintf(to, sizeof(to), "?");
		put(l, "filter add --service %s --to %s", pf->service, to);
		if (!s || s->kind == LWFP_ID_PID)
			l->why = "its service is not saved";
	} else {
		put(l, "filter add --%s", f->action == LWFP_ACT_PERMIT ? "permit" : "block");
	}
	put_conds(l, f);
	put_app(l, pf);
	put(l, " --weight %u", f->weight);
	put(l, " --fail %s", f->fail == LWFP_FAIL_OPEN ? "open" : "closed");
	put_context(l, pf);
	if (f->idle_timeout_s)
		put(l, " --idle-timeout %u", f->idle_timeout_s);
	if (f->flags & LWFP_FILTER_BOOT)
		put(l, " boot");
}

static void service_line(struct line *l, const struct pol_service *s)
{
	char uuid[37];

	lwfp_format_uuid(s->provider, uuid);
	put(l, "service add %s --provider %s", s->name, uuid);
	if (s->kind == LWFP_ID_UID) {
		put(l, " --uid %llu", (unsigned long long)s->value);
	} else if (s->kind == LWFP_ID_PID) {
		put(l, " --pid %llu", (unsigned long long)s->value);
		l->why = "a pid does not outlive its process";
	} else if (s->cgroup) {
		put(l, " --cgroup '%s'", s->cgroup);
	} else {
		put(l, " --cgroup ?");
		l->why = "its cgroup no longer exists";
	}
}

static int emit(FILE *out, const struct line *l)
{
	if (l->len >= sizeof(l->text))
		return -E2BIG;
	if (l->why)
		return fprintf(out, "# not saved, %s: %s\n", l->why, l->text) < 0 ? -EIO : 0;
	return fprintf(out, "%s\n", l->text) < 0 ? -EIO : 0;
}

int policy_print(FILE *out, const struct policy *p)
{
	static struct line l;
	size_t i;
	int err = 0;

	if (fprintf(out, "# lwfp policy: %zu services, %zu filters\n", p->nsvcs, p->nfils) < 0)
		return -EIO;
	for (i = 0; !err && i < p->nsvcs; i++) {
		memset(&l, 0, sizeof(l));
		service_line(&l, &p->svcs[i]);
		err = emit(out, &l);
	}
	for (i = 0; !err && i < p->nfils; i++) {
		memset(&l, 0, sizeof(l));
		filter_line(&l, p, &p->fils[i]);
		err = emit(out, &l);
	}
	return err;
}
