// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfpctl filter refresh: the --app filters follow their paths. The engine
 * has no daemon to watch files, so whoever replaces one (a package
 * manager's hook, a timer, `lwfp-inspect`'s owner) runs this afterwards.
 */
#include <string.h>

#include "lwfpctl.h"

static const char filter_refresh_usage[] =
	"Usage: " FILTER_REFRESH_SYNOPSIS
	"\n"
	"Look up the path of every --app filter again: where it now names another\n"
	"file (an upgrade renamed a new file over the old one), the filter matches\n"
	"the new file, and the one it replaced, still run by processes started\n"
	"before, as its second. Prints how many filters changed.\n"
	"\n"
	"  --pin-dir DIR          " CTL_PIN_DIR_HELP;

int filter_refresh(struct ctl *c, int argc, char **argv)
{
	struct lwfp_engine *e;
	uint32_t changed = 0;
	int err;

	err = ctl_parse_simple(c, argc, argv, filter_refresh_usage, NULL, NULL);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = lwfp_filter_refresh(e, &changed);
	lwfp_engine_close(e);
	if (err) {
		ctl_err("cannot refresh the --app filters: %s", strerror(-err));
		return CTL_EXIT_FAIL;
	}
	printf("%u\n", changed);
	return CTL_EXIT_OK;
}
