/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The structure of a policy file, apart from what its lines mean: lines of
 * words (blanks separate, ' and " quote), '#' comments, blank lines, and
 * `include PATH` (relative to the including file's directory; a glob
 * pattern takes every match in order, none being no error).
 */
#ifndef LWFPCTL_CONF_H
#define LWFPCTL_CONF_H

#define CONF_MAX_WORDS 64
#define CONF_MAX_DEPTH 8 /* files open at once: the top one and 7 levels of include */

struct conf_pos {
	const char *file; /* as opened: "-" for standard input */
	unsigned int line;
};

/* One line's words, argv[argc] NULL: 0 to go on, non-zero to stop (reported). */
typedef int (*conf_line_fn)(void *ctx, const struct conf_pos *pos, int argc, char **argv);

/*
 * Reads path ("-": standard input, whose includes are relative to the
 * working directory) and its includes, calling fn for every other line.
 * While fn runs, and for every error it reports, ctl_err names FILE:LINE.
 * 0, or -1 once the error has been reported.
 */
int conf_read(const char *path, conf_line_fn fn, void *ctx);

/* Splits line into words in place: the count, -E2BIG or -EINVAL (a quote left open). */
int conf_split(char *line, char **words, int max);

#endif /* LWFPCTL_CONF_H */
