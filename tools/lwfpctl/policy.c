// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A policy read from a file, or from the engine (policy.h). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <lwfp/engine.h>

#include "common/filter_opts.h"
#include "lwfpctl.h"
#include "policy.h"

void policy_free(struct policy *p)
{
	size_t i;

	for (i = 0; i < p->nsvcs; i++)
		free(p->svcs[i].cgroup);
	for (i = 0; i < p->nfils; i++)
		free(p->fils[i].raw);
	for (i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->svcs);
	free(p->fils);
	free(p->files);
	memset(p, 0, sizeof(*p));
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap = *cap ? 2 * *cap : 64;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

int policy_add_service(struct policy *p, const struct pol_service *s)
{
	struct pol_service *d;

	if (grow((void **)&p->svcs, &p->capsvcs, p->nsvcs, sizeof(*s)))
		return -ENOMEM;
	d = &p->svcs[p->nsvcs];
	*d = *s;
	d->cgroup = s->cgroup ? strdup(s->cgroup) : NULL;
	if (s->cgroup && !d->cgroup)
		return -ENOMEM;
	p->nsvcs++;
	return 0;
}

int policy_add_filter(struct policy *p, const struct pol_filter *f)
{
	struct pol_filter *d;

	if (grow((void **)&p->fils, &p->capfils, p->nfils, sizeof(*f)))
		return -ENOMEM;
	d = &p->fils[p->nfils];
	*d = *f;
	d->raw = NULL;
	if (f->f.raw_len) {
		d->raw = malloc(f->f.raw_len);
		if (!d->raw)
			return -ENOMEM;
		memcpy(d->raw, f->raw, f->f.raw_len);
	}
	p->nfils++;
	return 0;
}

struct pol_service *policy_service(const struct policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nsvcs; i++) {
		if (!strncmp(p->svcs[i].name, name, LWFP_NAME_MAX))
			return &p->svcs[i];
	}
	return NULL;
}

/* ---- from a file ----------------------------------------------------------- */

struct reader {
	struct ctl *c;
	struct policy *p;
};

/* The file's name, kept once in the policy so that positions outlive reading. */
static int keep_pos(struct policy *p, const struct conf_pos *pos, struct conf_pos *out)
{
	char **files;

	if (!p->nfiles || strcmp(p->files[p->nfiles - 1], pos->file)) {
		files = realloc(p->files, (p->nfiles + 1) * sizeof(*files));
		if (!files)
			return -ENOMEM;
		p->files = files;
		p->files[p->nfiles] = strdup(pos->file);
		if (!p->files[p->nfiles])
			return -ENOMEM;
		p->nfiles++;
	}
	out->file = p->files[p->nfiles - 1];
	out->line = pos->line;
	return 0;
}

static int spec_identity(const struct service_spec *sp, struct pol_service *s, char *path,
			 size_t size)
{
	uint32_t level;

	s->kind = sp->kind;
	s->value = sp->value;
	if (sp->kind == LWFP_ID_PID && kill(sp->value, 0) && errno == ESRCH) {
		ctl_err("no process with pid %u (--pid)", sp->value);
		return -1;
	}
	if (sp->kind != LWFP_ID_CGROUP)
		return 0;
	if (ctl_resolve_cgroup(sp->cgroup, path, size) || lwfp_cgroup_id(path, &s->value, &level)) {
		ctl_err("cannot resolve cgroup '%s'", sp->cgroup);
		return -1;
	}
	s->cgroup = path;
	return 0;
}

static int service_line(struct reader *r, const struct conf_pos *pos, int argc, char **argv)
{
	struct ctl lc = *r->c;
	struct service_spec sp = { 0 };
	struct pol_service s = { 0 };
	char path[PATH_MAX];

	if (service_add_args(&lc, argc - 1, argv + 1, &sp) != CTL_CONTINUE)
		return -1;
	if (lc.pin_dir != r->c->pin_dir || lc.json != r->c->json) {
		ctl_err("--pin-dir and -j belong on the command line, not in a policy file");
		return -1;
	}
	if (policy_service(r->p, sp.name)) {
		ctl_err("service '%s' is defined twice", sp.name);
		return -1;
	}
	memcpy(s.name, sp.name, strlen(sp.name));
	memcpy(s.provider, sp.provider, sizeof(s.provider));
	s.has_provider = sp.has_provider;
	if (spec_identity(&sp, &s, path, sizeof(path)) || keep_pos(r->p, pos, &s.pos) ||
	    policy_add_service(r->p, &s))
		return -1;
	return 0;
}

/* The word `boot` on a filter line is the option --boot. */
static void boot_words(int argc, char **argv)
{
	static char boot_opt[] = "--boot";
	int i;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "boot"))
			argv[i] = boot_opt;
	}
}

static int filter_line(struct reader *r, const struct conf_pos *pos, int argc, char **argv)
{
	struct ctl lc = *r->c;
	struct filter_spec spec;
	struct pol_filter f = { 0 };
	const char *service = NULL;
	int err;

	boot_words(argc, argv);
	err = filter_add_args(&lc, argc - 1, argv + 1, &spec, &service);
	if (err == CTL_EXIT_OK)
		ctl_err("--help does not belong in a policy file");
	if (err != CTL_CONTINUE)
		return -1;
	if (lc.pin_dir != r->c->pin_dir || lc.json != r->c->json) {
		ctl_err("--pin-dir and -j belong on the command line, not in a policy file");
		return -1;
	}
	if (service)
		memcpy(f.service, service, strnlen(service, LWFP_NAME_MAX - 1));
	/* A --dport list stands for one filter per item, as in filter add. */
	for (size_t i = 0; i < filter_spec_count(&spec); i++) {
		filter_spec_nth(&spec, i, &f.f);
		f.f.raw_len = spec.raw_len;
		f.raw = spec.raw;
		memcpy(f.app, spec.app, sizeof(f.app));
		if (keep_pos(r->p, pos, &f.pos) || policy_add_filter(r->p, &f)) {
			ctl_err("out of memory");
			return -1;
		}
	}
	return 0;
}

static int read_line(void *ctx, const struct conf_pos *pos, int argc, char **argv)
{
	struct reader *r = ctx;

	if (argc >= 2 && !strcmp(argv[1], "add") && !strcmp(argv[0], "service"))
		return service_line(r, pos, argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "add") && !strcmp(argv[0], "filter"))
		return filter_line(r, pos, argc, argv);
	ctl_err("'%s%s%s': a policy file holds 'service add', 'filter add' and 'include' lines",
		argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
	return -1;
}

int policy_read(struct ctl *c, const char *path, struct policy *p)
{
	struct reader r = { .c = c, .p = p };

	memset(p, 0, sizeof(*p));
	if (!conf_read(path, read_line, &r))
		return 0;
	policy_free(p);
	return -1;
}

int policy_check_refs(const struct policy *file, const struct policy *live, bool additive)
{
	const struct pol_service *s;
	char where[PATH_MAX + 16];
	size_t i;

	for (i = 0; i < file->nfils; i++) {
		const struct pol_filter *f = &file->fils[i];

		if (f->f.action != LWFP_ACT_REDIRECT || policy_service(file, f->service))
			continue;
		s = live ? policy_service(live, f->service) : NULL;
		if (s && (additive || s->kind == LWFP_ID_PID))
			continue;
		snprintf(where, sizeof(where), "%s:%u", f->pos.file, f->pos.line);
		ctl_err_where = where;
		ctl_err("no service named '%s'%s", f->service,
			s ? " in the policy (a reload would remove it)" : "");
		ctl_err_where = NULL;
		return -1;
	}
	return 0;
}
