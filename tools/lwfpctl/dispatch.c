// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Choosing a command by its word or a unique prefix of it (grammar.c), and
 * remembering which one was chosen. Below util.c's ctl_group, keywords.c
 * and the objects of grammar.c alike.
 */
#include <stdio.h>
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
