/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A policy: services and filters, as a file describes them or as an engine
 * holds them, in the same form so that the two can be compared
 * (policy_diff.c), applied (policy_apply.c) and printed (policy_save.c).
 */
#ifndef LWFPCTL_POLICY_H
#define LWFPCTL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <lwfp/engine.h>

#include "conf.h"

struct lwfp_engine;
struct ctl;

struct pol_service {
	char name[LWFP_NAME_MAX];
	uint32_t handle; /* live services only */
	enum lwfp_identity_kind kind;
	uint64_t value; /* uid, pid, or the cgroup's id */
	char *cgroup; /* LWFP_ID_CGROUP: the path (NULL: a live cgroup gone) */
	uint8_t provider[16];
	bool has_provider; /* a file may leave it out */
	struct conf_pos pos; /* file services: where */
};

struct pol_filter {
	struct lwfp_filter_spec f; /* f.id: live filters; f.service: unused */
	char service[LWFP_NAME_MAX]; /* redirect filters: the service's name */
	uint8_t *raw; /* f.raw_len bytes */
	char app[LWFP_APP_PATH_MAX]; /* --app's path; "" without it */
	struct conf_pos pos;
};

struct policy {
	struct pol_service *svcs;
	size_t nsvcs, capsvcs;
	struct pol_filter *fils;
	size_t nfils, capfils;
	char **files; /* the file names pos.file points to */
	size_t nfiles;
};

/* What turns live into file: indexes into the one or the other. */
struct pol_diff {
	size_t *svc_add, nsvc_add; /* file */
	size_t *svc_update, nsvc_update; /* file (same name live) */
	size_t *svc_del, nsvc_del; /* live */
	size_t *fil_add, nfil_add; /* file */
	size_t *fil_del, nfil_del; /* live */
	size_t nfil_kept;
};

void policy_free(struct policy *p);
/* Appends a copy (raw and cgroup duplicated): 0 or -ENOMEM. */
int policy_add_service(struct policy *p, const struct pol_service *s);
int policy_add_filter(struct policy *p, const struct pol_filter *f);
struct pol_service *policy_service(const struct policy *p, const char *name);

/* policy.c: a file's policy. 0 or -1, reported. */
int policy_read(struct ctl *c, const char *path, struct policy *p);
/*
 * Every service a filter of file names is in file, or in live (additive:
 * any live service; else only a pid one, which a reload leaves alone).
 * 0 or -1, reported.
 */
int policy_check_refs(const struct policy *file, const struct policy *live, bool additive);
/* The engine's policy: 0 or -errno. */
int policy_live(struct lwfp_engine *e, struct policy *p);

/* policy_diff.c: pure functions. */
bool pol_filter_same(const struct pol_filter *a, const struct pol_filter *b);
bool pol_service_same(const struct pol_service *file, const struct pol_service *live);
/* Services of live with a pid identity that file does not name are left alone. */
int policy_diff(const struct policy *file, const struct policy *live, struct pol_diff *d);
/* Everything in file added, nothing else: what -batch does. */
int policy_diff_add_all(const struct policy *file, struct pol_diff *d);
void pol_diff_free(struct pol_diff *d);

/* policy_apply.c: all or none. 0, or -1 once reported; ids of new filters in *ids. */
int policy_apply(struct lwfp_engine *e, const struct policy *file, const struct policy *live,
		 const struct pol_diff *d, uint32_t **ids);

/* policy_save.c: the policy in the language of policy files. */
int policy_print(FILE *out, const struct policy *p);
/* The path of the cgroup with this id, under the cgroup v2 mount: 0 or -errno. */
int cgroup_path_of(uint64_t id, char *buf, size_t size);

#endif /* LWFPCTL_POLICY_H */
