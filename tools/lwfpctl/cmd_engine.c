// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lwfpctl engine up|down|show (also: lwfpctl up, lwfpctl down) */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <lwfp/parse.h>

#include "lwfpctl.h"

/* A printf format: the limits come from engine_defs.h. */
static const char up_usage[] =
	"Usage: lwfpctl engine up [cgroup PATH] [max-flows-per-uid N] [config FILE]\n"
	"                         [before PROG | after PROG] [--pin-dir DIR] [-j]\n"
	"       lwfpctl up [--cgroup PATH] [--max-flows-per-uid N] [--config FILE]\n"
	"                  [--before PROG | --after PROG] [--pin-dir DIR] [-j]\n"
	"\n"
	"Load the engine, pin it under DIR and attach it to the cgroup v2 PATH\n"
	"(absolute, or relative to the cgroup v2 mount; default: the v2 root, which\n"
	"holds every process on the host, containers included: it says so on stderr).\n"
	"Running it again is harmless, and with --max-flows-per-uid changes the cap.\n"
	"\n"
	"  --cgroup PATH            cgroup v2 path to attach to\n"
	"  --max-flows-per-uid N    live redirected flows one uid (not root) may hold, 1..%u\n"
	"                           (default: the engine's; %u on a new one)\n"
	"  --config FILE            then make the engine's policy that of FILE, as\n"
	"                           'lwfpctl reload --config FILE' does\n"
	"  --before PROG, --after PROG\n"
	"                           put the programs before or after PROG, a program\n"
	"                           attached to PATH: its id, a pinned path, or its name\n"
	"                           (Linux 6.17; default: first on PATH). When lwfp is\n"
	"                           not alone there, where connect4 landed goes to stderr\n"
	"  --pin-dir DIR            " CTL_PIN_DIR_HELP
	"  -j, --json               print the result as JSON\n"
	"\n"
	CTL_KEYWORDS_HELP;

static const char show_usage[] =
	"Usage: lwfpctl engine show [-j] [--pin-dir DIR]\n"
	"\n"
	"Print where the engine is pinned and the cgroup it is attached to, as\n"
	"'lwfpctl engine up' does, and with -j its per-uid flow cap too; unlike up,\n"
	"it changes nothing.\n"
	"\n"
	"  -j, --json      print JSON\n"
	"  --pin-dir DIR   " CTL_PIN_DIR_HELP;

static const char down_usage[] =
	"Usage: lwfpctl engine down [--pin-dir DIR]\n"
	"       lwfpctl down [--pin-dir DIR]\n"
	"\n"
	"Detach the engine pinned under DIR and remove its pins, filters,\n"
	"services and flows.\n"
	"\n"
	"  --pin-dir DIR   " CTL_PIN_DIR_HELP;

enum { OPT_CGROUP = CTL_OPT_CMD, OPT_MAX_FLOWS, OPT_CONFIG, OPT_BEFORE, OPT_AFTER };

/* 1..LWFP_MAX_FLOWS: 0 would mean "keep" to the library, not "none". */
static int parse_flow_cap(const char *arg, uint32_t *cap)
{
	if (lwfp_parse_u32(arg, LWFP_MAX_FLOWS, cap) || !*cap) {
		ctl_err("bad --max-flows-per-uid value '%s' (want 1..%u)", arg, LWFP_MAX_FLOWS);
		return CTL_EXIT_FAIL;
	}
	return CTL_CONTINUE;
}

int up_parse(struct ctl *c, int argc, char **argv, struct up_args *a)
{
	static const struct option longopts[] = {
		CTL_COMMON_LONGOPTS,
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "max-flows-per-uid", required_argument, NULL, OPT_MAX_FLOWS },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "before", required_argument, NULL, OPT_BEFORE },
		{ "after", required_argument, NULL, OPT_AFTER },
		{ 0 },
	};
	int opt;

	*a = (struct up_args){ 0 };
	ctl_opts_reset();
	while ((opt = ctl_next_opt(c, argc, argv, longopts)) != -1) {
		switch (opt) {
		case OPT_CGROUP:
			a->cgroup = optarg;
			break;
		case OPT_CONFIG:
			a->config = optarg;
			break;
		case OPT_BEFORE:
		case OPT_AFTER:
			if (a->before || a->after) {
				ctl_err("give one of --before and --after, once");
				return CTL_EXIT_FAIL;
			}
			*(opt == OPT_BEFORE ? &a->before : &a->after) = optarg;
			break;
		case OPT_MAX_FLOWS:
			if (parse_flow_cap(optarg, &a->max_flows_per_uid) != CTL_CONTINUE)
				return CTL_EXIT_FAIL;
			break;
		case CTL_OPT_HELP:
			printf(up_usage, LWFP_MAX_FLOWS, LWFP_FLOWS_PER_UID_DEFAULT);
			return CTL_EXIT_OK;
		case CTL_OPT_ARG:
			return ctl_unexpected_arg(optarg);
		default:
			return CTL_EXIT_FAIL;
		}
	}
	return CTL_CONTINUE;
}

static int report_up(struct ctl *c, struct lwfp_engine *e)
{
	struct json_object *o;

	if (!c->json) {
		printf("engine up at %s, attached to %s\n", lwfp_engine_pin_dir(e),
		       lwfp_engine_cgroup(e));
		return 0;
	}
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	if (cj_str(o, "pin_dir", lwfp_engine_pin_dir(e)) ||
	    cj_str(o, "cgroup", lwfp_engine_cgroup(e)) ||
	    cj_u64(o, "max_flows_per_uid", lwfp_engine_max_flows_per_uid(e))) {
		json_object_put(o);
		return -ENOMEM;
	}
	return cj_print(o);
}

int cmd_up(struct ctl *c, int argc, char **argv)
{
	struct lwfp_engine_opts opts = { .sz = sizeof(opts) };
	char path[PATH_MAX], missing[128];
	struct lwfp_engine *e;
	struct policy *file = NULL;
	struct up_args a;
	int err;

	err = up_parse(c, argc, argv, &a);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_require_root())
		return CTL_EXIT_FAIL;
	/* A policy file that does not parse must not leave a new, empty engine. */
	if (a.config && !(file = config_load(c, a.config)))
		return CTL_EXIT_FAIL;
	if (a.cgroup && ctl_resolve_cgroup(a.cgroup, path, sizeof(path)))
		return CTL_EXIT_FAIL;
	opts.pin_dir = ctl_pin_dir(c);
	opts.cgroup = a.cgroup ? path : NULL;
	opts.max_flows_per_uid = a.max_flows_per_uid;
	if (lwfp_kernel_check(missing, sizeof(missing))) {
		ctl_err("this kernel lacks %s", missing);
		return CTL_EXIT_FAIL;
	}
	if (up_order_opts(&a, opts.cgroup, &opts))
		return CTL_EXIT_FAIL;
	err = lwfp_engine_up(&opts, &e);
	if (err && (up_refused(err, &opts) || ctl_pin_dir_refused(opts.pin_dir, err)))
		return CTL_EXIT_FAIL;
	if (err) {
		ctl_err("cannot bring the engine up at %s: %s", opts.pin_dir, strerror(-err));
		return CTL_EXIT_FAIL;
	}
	if (!a.cgroup)
		up_note_root(stderr, lwfp_engine_cgroup(e));
	up_note_placement(stderr, e);
	err = report_up(c, e);
	if (err)
		ctl_err("cannot print the result: %s", strerror(-err));
	if (file)
		err = config_apply(c, e, file) || err;
	lwfp_engine_close(e);
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int cmd_down(struct ctl *c, int argc, char **argv)
{
	int err;

	err = ctl_parse_simple(c, argc, argv, down_usage, NULL, NULL);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_require_root())
		return CTL_EXIT_FAIL;
	err = lwfp_engine_down(ctl_pin_dir(c));
	if (err == -ENOENT) {
		ctl_err("no engine is up at %s", ctl_pin_dir(c));
		return CTL_EXIT_FAIL;
	}
	if (err) {
		ctl_err("cannot take the engine at %s down: %s", ctl_pin_dir(c), strerror(-err));
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

int cmd_engine_show(struct ctl *c, int argc, char **argv)
{
	struct lwfp_engine *e;
	int err;

	err = ctl_parse_simple(c, argc, argv, show_usage, NULL, NULL);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = report_up(c, e);
	lwfp_engine_close(e);
	if (err)
		ctl_err("cannot print the engine: %s", strerror(-err));
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
