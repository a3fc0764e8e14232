// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Keywords, the iproute2 form of options: `filter add service web dport 80`
 * is `filter add --service web --dport 80`. A bare word that names one of
 * the command's long options becomes that option, with the next word as its
 * value, before the command sees it; so the command's own parser, and its
 * errors, stay the one place that checks values. Options and keywords mix.
 */
#include <string.h>

#include "lwfpctl.h"

/*
 * A keyword whose value is missing is handed back as a plain word, since
 * it may be a NAME that happens to be spelled like one (`service add uid
 * --uid 0`, as before keywords). If the command has no place for it,
 * ctl_unexpected_arg() then says what really went wrong.
 */
static struct {
	const char *word; /* argv's own pointer, compared as such */
	const char *next; /* the option found in place of the value, or NULL */
} missing;

/* --pin-dir and -j stay options: they belong to lwfpctl, not to a command. */
static const struct option *find(const struct option *longopts, const char *word)
{
	const struct option *o;

	for (o = longopts; o->name; o++) {
		if (o->val == CTL_OPT_PIN_DIR || o->val == 'j' || o->flag)
			continue;
		if (!strcmp(o->name, word))
			return o;
	}
	return NULL;
}

int ctl_keyword(int argc, char **argv, const struct option *longopts)
{
	const char *word = optarg;
	const struct option *o = find(longopts, word);

	if (!o)
		return CTL_OPT_ARG;
	/* Only last, as in `filter add help`: earlier it may be a value or a NAME. */
	if (o->val == CTL_OPT_HELP)
		return optind >= argc ? CTL_OPT_HELP : CTL_OPT_ARG;
	if (o->has_arg == no_argument)
		return o->val;
	if (optind >= argc || !strncmp(argv[optind], "--", 2)) {
		missing.word = word;
		missing.next = optind < argc ? argv[optind] : NULL;
		return CTL_OPT_ARG;
	}
	optarg = argv[optind++];
	return o->val;
}

/* Lower-case letters, digits and '-', as every keyword is spelled. */
static bool keyword_like(const char *s)
{
	return s[0] >= 'a' && s[0] <= 'z' && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") ==
						       strlen(s);
}

int ctl_unexpected_arg(const char *arg)
{
	const char *path = ctl_cmd_path();

	if (arg == missing.word && missing.next)
		ctl_err("keyword '%s' needs a value, got the option '%s'", arg, missing.next);
	else if (arg == missing.word)
		ctl_err("keyword '%s' needs a value", arg);
	else if (keyword_like(arg) && *path && !ctl_err_where)
		ctl_err("unknown keyword '%s' (try 'lwfpctl %s help')", arg, path);
	else if (keyword_like(arg))
		ctl_err("unknown keyword '%s'", arg);
	else
		ctl_err("unexpected argument '%s'", arg);
	return CTL_EXIT_FAIL;
}
