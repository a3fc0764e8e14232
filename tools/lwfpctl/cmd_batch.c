// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfpctl -batch FILE: the services and filters of a policy file (policy.h),
 * added with one update of the filter table, all or none. One add at a
 * time republishes the whole table each time, so 10,000 filters took
 * minutes; a batch takes about as long as one add of the last.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwfpctl.h"
#include "policy.h"

static const char batch_usage[] =
	"Usage: lwfpctl [--pin-dir DIR] -batch FILE\n"
	"       lwfpctl [--pin-dir DIR] --batch FILE\n"
	"\n"
	"Add the services and filters of the policy file FILE ('-' for standard\n"
	"input): 'service add ...' and 'filter add ...' lines, each as it would\n"
	"follow 'lwfpctl', filters naming services of FILE or of the engine, and\n"
	"'include PATH' lines (see lwfpctl(8), POLICY FILES). Blank lines and\n"
	"lines starting with '#' are skipped; words are separated by blanks and\n"
	"may be quoted with ' or \".\n"
	"\n"
	"The filters are added together, in the order of the lines, with one\n"
	"update of the engine: either all of them and the services or, on an\n"
	"error, none. Errors name FILE:LINE. On success the new filter ids are\n"
	"printed, one per line.\n"
	"\n"
	"  --pin-dir DIR          " CTL_PIN_DIR_HELP;

/* -batch, --batch or --batch=FILE before the command word. */
static bool batch_word(const char *a)
{
	return !strcmp(a, "-batch") || !strcmp(a, "--batch") || !strncmp(a, "--batch=", 8);
}

bool ctl_is_batch(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (batch_word(argv[i]))
			return true;
		if (!strcmp(argv[i], "--pin-dir"))
			i++;
		else if (argv[i][0] != '-')
			return false;
	}
	return false;
}

/* The top-level words of a batch: FILE, --pin-dir and help; no command. */
static int batch_args(struct ctl *c, int argc, char **argv, const char **file)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return ctl_help(batch_usage);
		if (!strncmp(a, "--batch=", 8) || !strncmp(a, "--pin-dir=", 10)) {
			*(a[2] == 'b' ? file : &c->pin_dir) = strchr(a, '=') + 1;
			continue;
		}
		if ((batch_word(a) || !strcmp(a, "--pin-dir")) && i + 1 < argc) {
			*(strcmp(a, "--pin-dir") ? file : &c->pin_dir) = argv[++i];
			continue;
		}
		if (batch_word(a) || !strcmp(a, "--pin-dir"))
			ctl_err("option '%s' needs a value", a);
		else
			ctl_err("unexpected argument '%s' (a batch takes its commands from FILE)", a);
		return CTL_EXIT_FAIL;
	}
	return CTL_CONTINUE;
}

static int batch_apply(struct lwfp_engine *e, const struct policy *file)
{
	struct policy live;
	struct pol_diff d;
	uint32_t *ids = NULL;
	size_t i;
	int err;

	err = policy_live(e, &live);
	if (err) {
		ctl_err("cannot read the engine's policy: %s", strerror(-err));
		return CTL_EXIT_FAIL;
	}
	err = policy_check_refs(file, &live, true);
	if (!err && policy_diff_add_all(file, &d)) {
		ctl_err("out of memory");
		err = -1;
	}
	if (!err) {
		err = policy_apply(e, file, &live, &d, &ids);
		for (i = 0; !err && i < d.nfil_add; i++)
			printf("%u\n", ids[i]);
		pol_diff_free(&d);
	}
	free(ids);
	policy_free(&live);
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int cmd_batch(struct ctl *c, int argc, char **argv)
{
	struct policy file;
	struct lwfp_engine *e;
	const char *path = NULL;
	int status;

	status = batch_args(c, argc, argv, &path);
	if (status != CTL_CONTINUE)
		return status;
	if (!path) {
		ctl_err("missing FILE after -batch");
		return CTL_EXIT_FAIL;
	}
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	status = CTL_EXIT_FAIL;
	if (!policy_read(c, path, &file)) {
		status = batch_apply(e, &file);
		policy_free(&file);
	}
	lwfp_engine_close(e);
	return status;
}
