// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The iproute2 grammar, `lwfpctl OBJECT VERB [KEYWORD VALUE]...`: the
 * objects that gather the older bare verbs (engine up|down|show, flow
 * list|monitor, policy reload|save). dispatch.c chooses a command by its
 * word or a unique prefix of it; keywords.c turns the KEYWORD VALUE words
 * into the options the commands parse.
 */
#include <string.h>

#include "lwfpctl.h"

/* ---- the objects of the older bare verbs ---------------------------------------- */

static const char engine_usage[] =
	"Usage: lwfpctl engine up [cgroup PATH] [max-flows-per-uid N] [config FILE]\n"
	"                         [before PROG | after PROG]\n"
	"       lwfpctl engine down\n"
	"       lwfpctl engine show [-j]\n"
	"\n"
	"up     load the engine and attach it to a cgroup v2 path\n"
	"down   detach and remove the engine\n"
	"show   where the engine is pinned and attached, and its per-uid flow cap\n"
	"\n"
	"Run 'lwfpctl engine VERB help' for the keywords of each verb. The older\n"
	"'lwfpctl up' and 'lwfpctl down' are the same commands.\n";

int cmd_engine(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_cmd verbs[] = {
		{ "up", cmd_up, 0 },
		{ "down", cmd_down, 0 },
		{ "show", cmd_engine_show, 0 },
	};

	return ctl_group(c, "engine", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv,
			 engine_usage);
}

static const char flow_usage[] =
	"Usage: lwfpctl flow list [-j]\n"
	"       lwfpctl flow monitor [-j] [log FILE|journal]\n"
	"\n"
	"list      the live redirected flows: their chain, bytes, age, and the\n"
	"          application's network namespace and cgroup\n"
	"monitor   events and refusals as they happen\n"
	"\n"
	"Run 'lwfpctl flow VERB help' for the keywords of each verb. The older\n"
	"'lwfpctl flows' and 'lwfpctl monitor' are the same commands.\n";

int cmd_flow(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_cmd verbs[] = {
		{ "list", cmd_flows, 0 },
		{ "monitor", cmd_monitor, 0 },
	};

	return ctl_group(c, "flow", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv,
			 flow_usage);
}

static const char policy_usage[] =
	"Usage: lwfpctl policy reload [config FILE] [-j]\n"
	"       lwfpctl policy save\n"
	"\n"
	"reload   make the engine's policy that of FILE (default\n"
	"         " CTL_DEFAULT_CONFIG "), all or none\n"
	"save     print the engine's policy in the language of FILE\n"
	"\n"
	"Run 'lwfpctl policy VERB help' for the keywords of each verb. The older\n"
	"'lwfpctl reload' and 'lwfpctl save' are the same commands.\n";

int cmd_policy(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_cmd verbs[] = {
		{ "reload", cmd_reload, 0 },
		{ "save", cmd_save, 0 },
	};

	return ctl_group(c, "policy", verbs, sizeof(verbs) / sizeof(verbs[0]), argc, argv,
			 policy_usage);
}

/* ---- run ---------------------------------------------------------------------- */

/*
 * run parses its own words, since CMD may start at the first bare one
 * (`lwfpctl run curl URL`). Keywords are therefore taken only where CMD
 * cannot start: before a "--" that comes later, and `help` alone.
 */
static bool run_keyword(int i, int argc, char **argv)
{
	int j;

	if (strcmp(argv[i], "via") && strcmp(argv[i], "netns"))
		return false;
	for (j = i + 1; j < argc; j++) {
		if (!strcmp(argv[j], "--"))
			return true;
	}
	return false;
}

int cmd_run_words(struct ctl *c, int argc, char **argv)
{
	static char via[] = "--via", netns[] = "--netns", help[] = "--help";
	int i;

	if (argc == 2 && !strcmp(argv[1], "help"))
		argv[1] = help;
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--via") || !strcmp(argv[i], "--netns") ||
		    !strcmp(argv[i], "--pin-dir")) {
			i++;
			continue;
		}
		if (argv[i][0] == '-')
			continue;
		if (!run_keyword(i, argc, argv))
			break; /* CMD starts here */
		argv[i] = argv[i][0] == 'v' ? via : netns;
		i++;
	}
	return cmd_run(c, argc, argv);
}
