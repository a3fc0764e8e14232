// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Applying a diff, all or none. The steps: add the new services, update the
 * changed ones in place (their handles, filters and listeners stay), swap
 * the filters in one update of the table (lwfp_filter_replace_batch), then
 * remove the services that are gone, which by then have no filters. A step
 * that fails undoes the ones before it, newest first. Flows are not
 * touched by any step: an established flow lives in lwfp_flows until its
 * sockets close, whatever becomes of the filter or service that made it.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <lwfp/engine.h>

#include "lwfpctl.h"
#include "policy.h"

struct apply {
	struct lwfp_engine *e;
	const struct policy *file, *live;
	const struct pol_diff *d;
	uint32_t *ids; /* of the added filters */
	char where[PATH_MAX + 16];
};

static void at(struct apply *a, const struct conf_pos *pos)
{
	if (!pos->file) {
		ctl_err_where = NULL;
		return;
	}
	snprintf(a->where, sizeof(a->where), "%s:%u", pos->file, pos->line);
	ctl_err_where = a->where;
}

static void svc_opts(const struct pol_service *s, struct lwfp_service_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->name = s->name;
	o->provider = s->has_provider ? s->provider : NULL;
	o->id_kind = s->kind;
	o->id_value = s->value;
	o->cgroup = s->cgroup;
}

static int svc_add(struct apply *a, const struct pol_service *s)
{
	struct lwfp_service_opts o;
	uint32_t handle;

	svc_opts(s, &o);
	return lwfp_service_add(a->e, &o, &handle);
}

static int svc_update(struct apply *a, const struct pol_service *s)
{
	struct lwfp_service_opts o;

	svc_opts(s, &o);
	return lwfp_service_update(a->e, &o);
}

/* Undoes the first n additions and the first m updates. */
static void undo_services(struct apply *a, size_t n, size_t m)
{
	size_t i;

	for (i = m; i-- > 0;) {
		const struct pol_service *f = &a->file->svcs[a->d->svc_update[i]];

		if (svc_update(a, policy_service(a->live, f->name)))
			ctl_err("could not restore service '%s'", f->name);
	}
	for (i = n; i-- > 0;) {
		const char *name = a->file->svcs[a->d->svc_add[i]].name;

		if (lwfp_service_del(a->e, name))
			ctl_err("could not remove service '%s' again", name);
	}
}

static int do_services(struct apply *a)
{
	size_t i, j;
	int err = 0;

	for (i = 0; !err && i < a->d->nsvc_add; i++) {
		const struct pol_service *s = &a->file->svcs[a->d->svc_add[i]];

		err = svc_add(a, s);
		if (err) {
			at(a, &s->pos);
			ctl_err("cannot add service '%s': %s", s->name,
				err == -EEXIST ? "it exists" : strerror(-err));
			undo_services(a, i, 0);
			return -1;
		}
	}
	for (j = 0; j < a->d->nsvc_update; j++) {
		const struct pol_service *s = &a->file->svcs[a->d->svc_update[j]];

		err = svc_update(a, s);
		if (err) {
			at(a, &s->pos);
			ctl_err("cannot update service '%s': %s", s->name, strerror(-err));
			undo_services(a, i, j);
			return -1;
		}
	}
	return 0;
}

/* lwfp_filter_opts for fils[idx[0..n)], services resolved by name now. */
static int filter_opts(struct apply *a, const struct policy *p, const size_t *idx, size_t n,
		       struct lwfp_filter_spec *fs, struct lwfp_filter_opts *o,
		       const struct lwfp_filter_opts **po)
{
	struct lwfp_service_info s;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		const struct pol_filter *pf = &p->fils[idx[i]];

		fs[i] = pf->f;
		fs[i].id = 0;
		fs[i].service = 0;
		if (pf->f.action == LWFP_ACT_REDIRECT) {
			err = lwfp_service_find(a->e, pf->service, &s);
			if (err) {
				at(a, &pf->pos);
				ctl_err("no service named '%s'", pf->service);
				return err;
			}
			fs[i].service = s.handle;
		}
		o[i] = (struct lwfp_filter_opts){ .sz = sizeof(o[i]), .filter = &fs[i],
						  .raw = pf->raw, .raw_len = pf->f.raw_len,
						  .app_path = pf->app[0] ? pf->app : NULL };
		po[i] = &o[i];
	}
	return 0;
}

/* Deletes del[0..ndel) and adds p's filters idx[0..n) in one update. */
static int swap_filters(struct apply *a, const uint32_t *del, size_t ndel, const struct policy *p,
			const size_t *idx, size_t n, uint32_t *ids)
{
	size_t cnt = n ? n : 1, failed = n;
	struct lwfp_filter_spec *fs = calloc(cnt, sizeof(*fs));
	struct lwfp_filter_opts *o = calloc(cnt, sizeof(*o));
	const struct lwfp_filter_opts **po = calloc(cnt, sizeof(*po));
	int err = fs && o && po ? 0 : -ENOMEM;

	if (!err)
		err = filter_opts(a, p, idx, n, fs, o, po);
	if (!err) {
		err = lwfp_filter_replace_batch(a->e, del, ndel, po, n, ids, &failed);
		if (err && failed < n)
			at(a, &p->fils[idx[failed]].pos);
		filter_add_error(err, failed < n ? p->fils[idx[failed]].service : NULL);
	}
	ctl_err_where = NULL;
	free(fs);
	free(o);
	free(po);
	return err;
}

static uint32_t *live_ids(const struct apply *a)
{
	uint32_t *del = calloc(a->d->nfil_del + 1, sizeof(*del));
	size_t i;

	for (i = 0; del && i < a->d->nfil_del; i++)
		del[i] = a->live->fils[a->d->fil_del[i]].f.id;
	return del;
}

/* Puts the deleted services back, then the filters as they were (with new ids). */
static void undo_filters(struct apply *a, size_t ndeleted)
{
	uint32_t *back = calloc(a->d->nfil_del + 1, sizeof(*back));
	size_t i;

	for (i = 0; i < ndeleted; i++) {
		if (svc_add(a, &a->live->svcs[a->d->svc_del[i]]))
			ctl_err("could not add service '%s' back", a->live->svcs[a->d->svc_del[i]].name);
	}
	if (!back || swap_filters(a, a->ids, a->d->nfil_add, a->live, a->d->fil_del,
				  a->d->nfil_del, back))
		ctl_err("could not restore the filters");
	free(back);
}

static int do_deletions(struct apply *a)
{
	size_t i;
	int err;

	for (i = 0; i < a->d->nsvc_del; i++) {
		const char *name = a->live->svcs[a->d->svc_del[i]].name;

		err = lwfp_service_del(a->e, name);
		if (err) {
			ctl_err("cannot remove service '%s': %s", name, strerror(-err));
			undo_filters(a, i);
			return -1;
		}
	}
	return 0;
}

int policy_apply(struct lwfp_engine *e, const struct policy *file, const struct policy *live,
		 const struct pol_diff *d, uint32_t **ids)
{
	struct apply a = { .e = e, .file = file, .live = live, .d = d };
	uint32_t *del = live_ids(&a);

	a.ids = calloc(d->nfil_add + 1, sizeof(*a.ids));
	if (!del || !a.ids) {
		ctl_err("out of memory");
		goto fail;
	}
	if (do_services(&a))
		goto fail;
	if (swap_filters(&a, del, d->nfil_del, file, d->fil_add, d->nfil_add, a.ids)) {
		undo_services(&a, d->nsvc_add, d->nsvc_update);
		goto fail;
	}
	if (do_deletions(&a)) {
		undo_services(&a, d->nsvc_add, d->nsvc_update);
		goto fail;
	}
	free(del);
	*ids = a.ids;
	return 0;
fail:
	free(del);
	free(a.ids);
	return -1;
}
