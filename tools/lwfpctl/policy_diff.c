// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The difference between two policies. A filter's identity is everything
 * `filter add` sets: its service (by name), action, weight, fail mode,
 * boot flag, context kind and raw bytes, target, idle timeout, and each
 * condition it tests with that condition's values; the id is not part of
 * it. A live filter equal to one of the file's is kept, with its id.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static bool same_conds(const struct lwfp_filter_spec *a, const struct lwfp_filter_spec *b)
{
	uint32_t c = a->conds;

	if (c != b->conds)
		return false;
	if (((c & LWFP_COND_PROTO) && a->proto != b->proto) ||
	    ((c & (LWFP_COND_FAMILY | LWFP_COND_DST)) && a->family != b->family))
		return false;
	if ((c & LWFP_COND_DST) &&
	    (a->dst_plen != b->dst_plen || memcmp(a->dst, b->dst, sizeof(a->dst))))
		return false;
	if ((c & LWFP_COND_DPORT) && (a->dport_lo != b->dport_lo || a->dport_hi != b->dport_hi))
		return false;
	if ((c & LWFP_COND_SPORT) && (a->sport_lo != b->sport_lo || a->sport_hi != b->sport_hi))
		return false;
	if ((c & LWFP_COND_UID) && (a->uid_lo != b->uid_lo || a->uid_hi != b->uid_hi))
		return false;
	if (((c & LWFP_COND_GID) && a->gid != b->gid) ||
	    ((c & LWFP_COND_CGROUP) && a->cgroup_id != b->cgroup_id))
		return false;
	if ((c & LWFP_COND_APP) && (a->app_ino[0] != b->app_ino[0] || a->app_dev[0] != b->app_dev[0]))
		return false;
	if ((c & LWFP_COND_HOST) && a->host_hash != b->host_hash)
		return false;
	return !(c & LWFP_COND_ORIGIN_CGROUP) || a->origin_cgroup_id == b->origin_cgroup_id;
}

static bool same_target(const struct lwfp_addr *a, const struct lwfp_addr *b)
{
	size_t n = a->family == LWFP_AF_INET ? 4 : 16;

	return a->family == b->family && a->port == b->port && !memcmp(a->ip, b->ip, n);
}

bool pol_filter_same(const struct pol_filter *a, const struct pol_filter *b)
{
	const struct lwfp_filter_spec *x = &a->f, *y = &b->f;

	if (x->action != y->action || x->weight != y->weight || x->fail != y->fail ||
	    x->flags != y->flags || x->ctx_kind != y->ctx_kind || x->raw_len != y->raw_len ||
	    x->idle_timeout_s != y->idle_timeout_s)
		return false;
	if (x->raw_len && memcmp(a->raw, b->raw, x->raw_len))
		return false;
	/* The file its path names now: a reload follows a replaced --app file. */
	if (strncmp(a->app, b->app, sizeof(a->app)))
		return false;
	if (x->action == LWFP_ACT_REDIRECT &&
	    (strncmp(a->service, b->service, LWFP_NAME_MAX) || !same_target(&x->to, &y->to)))
		return false;
	return same_conds(x, y);
}

/* A file that names no provider accepts the live one. */
bool pol_service_same(const struct pol_service *file, const struct pol_service *live)
{
	if (file->kind != live->kind || file->value != live->value)
		return false;
	return !file->has_provider || !memcmp(file->provider, live->provider, 16);
}

static int push(size_t **arr, size_t *n, size_t v)
{
	size_t *p = realloc(*arr, (*n + 1) * sizeof(**arr));

	if (!p)
		return -ENOMEM;
	p[(*n)++] = v;
	*arr = p;
	return 0;
}

void pol_diff_free(struct pol_diff *d)
{
	free(d->svc_add);
	free(d->svc_update);
	free(d->svc_del);
	free(d->fil_add);
	free(d->fil_del);
	memset(d, 0, sizeof(*d));
}

static int diff_services(const struct policy *file, const struct policy *live, struct pol_diff *d)
{
	const struct pol_service *s;
	size_t i;
	int err = 0;

	for (i = 0; !err && i < file->nsvcs; i++) {
		s = policy_service(live, file->svcs[i].name);
		if (!s)
			err = push(&d->svc_add, &d->nsvc_add, i);
		else if (!pol_service_same(&file->svcs[i], s))
			err = push(&d->svc_update, &d->nsvc_update, i);
	}
	for (i = 0; !err && i < live->nsvcs; i++) {
		s = &live->svcs[i];
		if (s->kind != LWFP_ID_PID && !policy_service(file, s->name))
			err = push(&d->svc_del, &d->nsvc_del, i);
	}
	return err;
}

/* A live filter of a pid service the file does not name stays untouched. */
static bool left_alone(const struct policy *file, const struct policy *live,
		       const struct pol_filter *f)
{
	const struct pol_service *s;

	if (f->f.action != LWFP_ACT_REDIRECT || policy_service(file, f->service))
		return false;
	s = policy_service(live, f->service);
	return s && s->kind == LWFP_ID_PID;
}

/* Each live filter matches at most one of the file's, in table order. */
static int diff_filters(const struct policy *file, const struct policy *live, struct pol_diff *d)
{
	bool *used = calloc(live->nfils + 1, sizeof(*used));
	size_t i, j;
	int err = used ? 0 : -ENOMEM;

	for (i = 0; !err && i < file->nfils; i++) {
		for (j = 0; j < live->nfils; j++) {
			if (!used[j] && pol_filter_same(&file->fils[i], &live->fils[j]))
				break;
		}
		if (j < live->nfils) {
			used[j] = true;
			d->nfil_kept++;
		} else {
			err = push(&d->fil_add, &d->nfil_add, i);
		}
	}
	for (j = 0; !err && j < live->nfils; j++) {
		if (!used[j] && !left_alone(file, live, &live->fils[j]))
			err = push(&d->fil_del, &d->nfil_del, j);
	}
	free(used);
	return err;
}

int policy_diff(const struct policy *file, const struct policy *live, struct pol_diff *d)
{
	int err;

	memset(d, 0, sizeof(*d));
	err = diff_services(file, live, d);
	if (!err)
		err = diff_filters(file, live, d);
	if (err)
		pol_diff_free(d);
	return err;
}

int policy_diff_add_all(const struct policy *file, struct pol_diff *d)
{
	size_t i;
	int err = 0;

	memset(d, 0, sizeof(*d));
	for (i = 0; !err && i < file->nsvcs; i++)
		err = push(&d->svc_add, &d->nsvc_add, i);
	for (i = 0; !err && i < file->nfils; i++)
		err = push(&d->fil_add, &d->nfil_add, i);
	if (err)
		pol_diff_free(d);
	return err;
}
