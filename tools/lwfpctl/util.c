// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Option parsing and formatting shared by all commands; errors are err.c's. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "common/cgpath.h"
#include "common/filter_opts.h"
#include "lwfpctl.h"

const char *ctl_cgroup_str(uint64_t id, char *buf, size_t size)
{
	if (cgpath_get(id, buf, size))
		snprintf(buf, size, "#%" PRIu64, id);
	return buf;
}

const char *ctl_pin_dir(const struct ctl *c)
{
	return c->pin_dir ? c->pin_dir : lwfp_default_pin_dir();
}

/*
 * main() already refused non-root callers unless they seemed to ask for
 * help; this catches "-h" that turned out to be an option's value.
 */
int ctl_require_root(void)
{
	if (geteuid() == 0)
		return 0;
	ctl_err("must be run as root");
	return -EPERM;
}

/*
 * The library says only -EPERM for a pin directory it will not trust;
 * asking again names the reason.
 */
bool ctl_pin_dir_refused(const char *pin_dir, int err)
{
	char why[80];

	if (err != -EPERM || lwfp_pin_dir_check(pin_dir, why, sizeof(why)) != -EPERM)
		return false;
	ctl_err("refusing the pin directory %s: it %s", pin_dir, why);
	return true;
}

int ctl_open(struct ctl *c, struct lwfp_engine **e)
{
	int err;

	err = ctl_require_root();
	if (err)
		return err;
	err = lwfp_engine_open(ctl_pin_dir(c), e);
	if (err == -ENOENT)
		ctl_err("no engine is up at %s (run 'lwfpctl up')", ctl_pin_dir(c));
	else if (err && !ctl_pin_dir_refused(ctl_pin_dir(c), err))
		ctl_err("cannot open the engine at %s: %s", ctl_pin_dir(c), strerror(-err));
	return err;
}

int ctl_bad_value(const char *opt, const char *arg)
{
	ctl_err("bad %s value '%s'", opt, arg);
	return CTL_EXIT_FAIL;
}

/*
 * The library would fail on a missing cgroup too, but with an -ENOENT that
 * could as well mean a missing pin; resolving first names the culprit.
 */
int ctl_resolve_cgroup(const char *cgroup, char *buf, size_t size)
{
	int err = lwfp_cgroup_resolve(cgroup, buf, size);

	if (err == -ENOENT)
		ctl_err("no cgroup '%s' (--cgroup)", cgroup);
	else if (err)
		ctl_err("--cgroup '%s': %s", cgroup, strerror(-err));
	return err;
}

/*
 * Set once getopt_long passed "--": every word left is a plain one. glibc
 * would move optind back to the first of them at each later call, handing
 * the same word out again, so getopt_long is not called any more.
 */
static bool past_dashes;

/*
 * glibc restarts its scan only when optind is 0; every command parses its
 * own slice of argv, so each parse starts with this.
 */
void ctl_opts_reset(void)
{
	optind = 0;
	opterr = 0;
	past_dashes = false;
}

/* The option as the user typed it, without any "=value". */
static void report_bad_opt(char **argv, int opt)
{
	const char *arg = argv[optind - 1];
	bool is_long = strncmp(arg, "--", 2) == 0;
	int len = strcspn(arg, "=");
	char shortopt[3] = { '-', (char)optopt, 0 };

	/* In a cluster such as "-jx" argv tells only the word, not the letter. */
	if (!is_long && optopt) {
		arg = shortopt;
		len = 2;
	}
	if (opt == ':')
		ctl_err("option '%.*s' needs a value", len, arg);
	else if (is_long && optopt)
		ctl_err("option '%.*s' takes no value", len, arg);
	else
		ctl_err("unknown option '%.*s'", len, arg);
}

/*
 * getopt_long over one command's arguments, in order ("-" mode: positional
 * arguments come back as CTL_OPT_ARG, so they may sit anywhere among the
 * options, and those after "--" too). --pin-dir and -j are absorbed here.
 */
int ctl_next_opt(struct ctl *c, int argc, char **argv, const struct option *longopts)
{
	int opt, idx;

	if (past_dashes) {
		if (optind >= argc)
			return -1;
		optarg = argv[optind++];
		return CTL_OPT_ARG;
	}
	for (;;) {
		idx = -1;
		opt = getopt_long(argc, argv, "-:jh", longopts, &idx);
		if (opt_swallowed(longopts, idx, argv)) {
			ctl_err("option '--%s' needs a value, got the option '%s'",
				longopts[idx].name, optarg);
			return CTL_OPT_BAD;
		}
		switch (opt) {
		case CTL_OPT_PIN_DIR:
			c->pin_dir = optarg;
			continue;
		case 'j':
			c->json = true;
			ctl_json_errors = true;
			continue;
		case '?':
		case ':':
			report_bad_opt(argv, opt);
			return CTL_OPT_BAD;
		case CTL_OPT_ARG:
			return ctl_keyword(argc, argv, longopts);
		case -1:
			if (optind >= argc)
				return -1;
			past_dashes = true;
			optarg = argv[optind++];
			return CTL_OPT_ARG;
		default:
			return opt;
		}
	}
}

int ctl_help(const char *text)
{
	fputs(text, stdout);
	return CTL_EXIT_OK;
}

/*
 * Runs "[common options] WORD ..." by the table: the top level with group
 * "" and argv[0] "lwfpctl", or a group such as "service" with argv[0]
 * "service". The chosen command gets argv from its own word on.
 */
int ctl_group(struct ctl *c, const char *group, const struct ctl_cmd *cmds, size_t n,
	      int argc, char **argv, const char *usage)
{
	static const struct option longopts[] = { CTL_COMMON_LONGOPTS, { 0 } };
	const char *sep = *group ? " " : "";
	int opt;

	ctl_opts_reset();
	opt = ctl_next_opt(c, argc, argv, longopts);
	switch (opt) {
	case CTL_OPT_ARG:
		/* A verb everywhere, as in ip(8); last, ctl_keyword() already took it. */
		if (!strcmp(optarg, "help"))
			return ctl_help(usage);
		return ctl_dispatch(c, group, cmds, n, argc - (optind - 1), argv + optind - 1);
	case CTL_OPT_HELP:
		return ctl_help(usage);
	case -1:
		ctl_err("missing %s (try 'lwfpctl %s%s--help')", *group ? "action" : "command",
			group, sep);
		return CTL_EXIT_FAIL;
	default:
		return CTL_EXIT_FAIL;
	}
}

/* Names in the maps may fill their array with no NUL; dst has src_size + 1 bytes. */
void ctl_copy_name(char *dst, const char *src, size_t src_size)
{
	size_t len = strnlen(src, src_size);

	memcpy(dst, src, len);
	dst[len] = 0;
}

int ctl_service_name(struct lwfp_engine *e, uint32_t handle, char name[LWFP_NAME_MAX + 1])
{
	struct lwfp_service_info s;
	int err;

	err = lwfp_service_by_handle(e, handle, &s);
	if (err)
		return err;
	ctl_copy_name(name, s.name, sizeof(s.name));
	return 0;
}

/*
 * The parser of every command whose only options are the common ones: it
 * takes one positional argument named argname into *arg, or none when
 * argname is NULL. Returns CTL_CONTINUE, or the status to exit with.
 */
int ctl_parse_simple(struct ctl *c, int argc, char **argv, const char *usage,
		     const char *argname, const char **arg)
{
	static const struct option longopts[] = { CTL_COMMON_LONGOPTS, { 0 } };
	int opt;

	ctl_opts_reset();
	while ((opt = ctl_next_opt(c, argc, argv, longopts)) != -1) {
		if (opt == CTL_OPT_HELP)
			return ctl_help(usage);
		if (opt != CTL_OPT_ARG)
			return CTL_EXIT_FAIL;
		if (!argname || *arg)
			return ctl_unexpected_arg(optarg);
		*arg = optarg;
	}
	if (argname && !*arg) {
		ctl_err("missing %s", argname);
		return CTL_EXIT_FAIL;
	}
	return CTL_CONTINUE;
}
