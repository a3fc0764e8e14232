// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The iproute2 grammar, `lwfpctl OBJECT VERB [KEYWORD VALUE]...`: choosing
 * a command by its word or a unique prefix of it, and the objects that
 * gather the older bare verbs (engine up|down|show, flow list|monitor,
 * policy reload|save). keywords.c turns the KEYWORD VALUE words into the
 * options the commands parse.
 */
#include <string.h>

#include "lwfpctl.h"

/* "filter add" once chosen: named by errors that send the user to its help. */
static char cmd_path[64];

const char *ctl_cmd_path(void)
{
	return cmd_path;
}

static void note_path(const char *group, const char *name)
{
	snprintf(cmd_path, sizeof(cmd_path), "%s%s%s", group, *group ? " " : "", name);
}

/*
 * The one command that word names: its own name, else the only one it is a
 * prefix of. Older spellings (CTL_CMD_EXACT) match whole only, so that they
 * never make a new abbreviation ambiguous. NULL once reported.
 */
static const struct ctl_cmd *find_cmd(const char *group, const struct ctl_cmd *cmds, size_t n,
				      const char *word)
{
	const char *sep = *group ? " " : "";
	const struct ctl_cmd *found = NULL;
	size_t i, len = strlen(word), nfound = 0;
	char names[256] = "";

	for (i = 0; i < n; i++) {
		if (!strcmp(word, cmds[i].name))
			return &cmds[i];
	}
	for (i = 0; len && i < n; i++) {
		if ((cmds[i].flags & CTL_CMD_EXACT) || strncmp(word, cmds[i].name, len))
			continue;
		found = &cmds[i];
		nfound++;
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 nfound > 1 ? ", " : "", cmds[i].name);
	}
	if (nfound == 1)
		return found;
	if (nfound)
		ctl_err("ambiguous command '%s%s%s': %s (try 'lwfpctl %s%s--help')", group, sep,
			word, names, group, sep);
	else
		ctl_err("unknown command '%s%s%s' (try 'lwfpctl %s%s--help')", group, sep, word,
			group, sep);
	return NULL;
}

int ctl_dispatch(struct ctl *c, const char *group, const struct ctl_cmd *cmds, size_t n,
		 int argc, char **argv)
{
	const struct ctl_cmd *cmd = find_cmd(group, cmds, n, argv[0]);

	if (!cmd)
		return CTL_EXIT_FAIL;
	note_path(group, cmd->name);
	return cmd->run(c, argc, argv);
}

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
