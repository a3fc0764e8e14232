// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lwfpctl engine up config FILE, policy reload, policy save (also: reload, save) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwfpctl.h"
#include "policy.h"

static const char reload_usage[] =
	"Usage: lwfpctl policy reload [config FILE] [--pin-dir DIR] [-j]\n"
	"       lwfpctl reload [--config FILE] [--pin-dir DIR] [-j]\n"
	"\n"
	"Make the engine's policy the one of FILE (default " CTL_DEFAULT_CONFIG "):\n"
	"add, update and remove services, add and remove filters, all in one\n"
	"go or, on an error, not at all. Unchanged filters keep their ids;\n"
	"established flows are never dropped. Services with a pid identity\n"
	"that FILE does not name (lwfp-inspect --register) are left alone.\n"
	"\n"
	"  --config FILE   the policy file ('-': standard input)\n"
	"  --pin-dir DIR   " CTL_PIN_DIR_HELP
	"  -j, --json      print the changes as JSON\n"
	"\n"
	CTL_KEYWORDS_HELP;

static const char save_usage[] =
	"Usage: lwfpctl policy save [--pin-dir DIR]\n"
	"       lwfpctl save [--pin-dir DIR]\n"
	"\n"
	"Print the engine's services and filters as a policy file, which\n"
	"'lwfpctl policy reload config FILE' and 'lwfpctl engine up config FILE'\n"
	"take.\n"
	"Services with a pid identity, and their filters, are printed\n"
	"commented out: a pid does not outlive its process.\n"
	"\n"
	"  --pin-dir DIR   " CTL_PIN_DIR_HELP;

static int report(struct ctl *c, const struct pol_diff *d)
{
	struct json_object *o;

	if (!c->json) {
		printf("services: %zu added, %zu updated, %zu removed; "
		       "filters: %zu added, %zu removed, %zu kept\n",
		       d->nsvc_add, d->nsvc_update, d->nsvc_del, d->nfil_add, d->nfil_del,
		       d->nfil_kept);
		return 0;
	}
	o = json_object_new_object();
	if (!o || cj_u64(o, "services_added", d->nsvc_add) ||
	    cj_u64(o, "services_updated", d->nsvc_update) ||
	    cj_u64(o, "services_removed", d->nsvc_del) || cj_u64(o, "filters_added", d->nfil_add) ||
	    cj_u64(o, "filters_removed", d->nfil_del) || cj_u64(o, "filters_kept", d->nfil_kept)) {
		json_object_put(o);
		return -ENOMEM;
	}
	return cj_print(o);
}

struct policy *config_load(struct ctl *c, const char *path)
{
	struct policy *p = malloc(sizeof(*p));

	if (!p) {
		ctl_err("out of memory");
		return NULL;
	}
	if (!policy_read(c, path, p))
		return p;
	free(p);
	return NULL;
}

static int apply(struct ctl *c, struct lwfp_engine *e, const struct policy *file,
		 const struct policy *live)
{
	struct pol_diff d;
	uint32_t *ids = NULL;
	int err;

	if (policy_check_refs(file, live, false))
		return CTL_EXIT_FAIL;
	if (policy_diff(file, live, &d)) {
		ctl_err("out of memory");
		return CTL_EXIT_FAIL;
	}
	err = policy_apply(e, file, live, &d, &ids);
	if (!err && report(c, &d))
		ctl_err("cannot print the result");
	pol_diff_free(&d);
	free(ids);
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int config_apply(struct ctl *c, struct lwfp_engine *e, struct policy *file)
{
	struct policy live;
	int err, status = CTL_EXIT_FAIL;

	err = policy_live(e, &live);
	if (err) {
		ctl_err("cannot read the engine's policy: %s", strerror(-err));
	} else {
		status = apply(c, e, file, &live);
		policy_free(&live);
	}
	policy_free(file);
	free(file);
	return status;
}

enum { OPT_CONFIG = CTL_OPT_CMD };

int cmd_reload(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		CTL_COMMON_LONGOPTS,
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ 0 },
	};
	const char *path = CTL_DEFAULT_CONFIG;
	struct policy *file;
	struct lwfp_engine *e;
	int opt, status;

	ctl_opts_reset();
	while ((opt = ctl_next_opt(c, argc, argv, longopts)) != -1) {
		if (opt == CTL_OPT_HELP)
			return ctl_help(reload_usage);
		if (opt == CTL_OPT_ARG)
			return ctl_unexpected_arg(optarg);
		if (opt != OPT_CONFIG)
			return CTL_EXIT_FAIL;
		path = optarg;
	}
	/* A file that does not parse changes nothing and needs no engine. */
	file = config_load(c, path);
	if (!file)
		return CTL_EXIT_FAIL;
	if (ctl_open(c, &e)) {
		policy_free(file);
		free(file);
		return CTL_EXIT_FAIL;
	}
	status = config_apply(c, e, file);
	lwfp_engine_close(e);
	return status;
}

int cmd_save(struct ctl *c, int argc, char **argv)
{
	struct lwfp_engine *e;
	struct policy live;
	int err;

	err = ctl_parse_simple(c, argc, argv, save_usage, NULL, NULL);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = policy_live(e, &live);
	lwfp_engine_close(e);
	if (!err) {
		err = policy_print(stdout, &live);
		policy_free(&live);
	}
	if (err)
		ctl_err("cannot save the policy: %s", strerror(-err));
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
