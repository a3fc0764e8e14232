// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Policy files: lines, comments and includes (conf.h). */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "lwfpctl.h"

/* The files being read, outermost first: an include of one of them is a cycle. */
struct conf_stack {
	char *real[CONF_MAX_DEPTH];
	int depth;
	conf_line_fn fn;
	void *ctx;
	char where[PATH_MAX + 16];
};

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int conf_split(char *line, char **words, int max)
{
	int n = 0;
	char *r = line, *w;

	for (;;) {
		while (blank(*r))
			r++;
		if (!*r || *r == '#')
			return n;
		if (n == max)
			return -E2BIG;
		words[n++] = w = r;
		while (*r && !blank(*r)) {
			char q = *r;

			if (q != '\'' && q != '"') {
				*w++ = *r++;
				continue;
			}
			for (r++; *r && *r != q; r++)
				*w++ = *r;
			if (!*r)
				return -EINVAL;
			r++;
		}
		if (*r)
			r++;
		*w = 0;
	}
}

static void set_where(struct conf_stack *st, const struct conf_pos *pos)
{
	snprintf(st->where, sizeof(st->where), "%s:%u", pos->file, pos->line);
	ctl_err_where = st->where;
}

static int read_file(struct conf_stack *st, const char *path);

/* An include's pattern, resolved against the directory of the file naming it. */
static int include_path(const struct conf_pos *pos, const char *arg, char *buf, size_t size)
{
	const char *slash = strrchr(pos->file, '/');
	int n;

	if (arg[0] == '/' || !strcmp(pos->file, "-") || !slash)
		n = snprintf(buf, size, "%s", arg);
	else
		n = snprintf(buf, size, "%.*s/%s", (int)(slash - pos->file), pos->file, arg);
	if (n < 0 || (size_t)n >= size) {
		ctl_err("include path too long");
		return -1;
	}
	return 0;
}

static int do_include(struct conf_stack *st, const struct conf_pos *pos, const char *arg)
{
	char pattern[PATH_MAX];
	glob_t g;
	size_t i;
	int err;

	if (include_path(pos, arg, pattern, sizeof(pattern)))
		return -1;
	err = glob(pattern, GLOB_ERR | GLOB_NOCHECK, NULL, &g);
	if (err) {
		ctl_err("include %s: %s", arg, err == GLOB_NOSPACE ? "out of memory" : "cannot read");
		globfree(&g);
		return -1;
	}
	for (err = 0, i = 0; !err && i < g.gl_pathc; i++) {
		/* GLOB_NOCHECK hands back a pattern matching nothing: only a plain name is a must. */
		if (!strcmp(g.gl_pathv[i], pattern) && strpbrk(pattern, "*?[") &&
		    access(pattern, F_OK))
			continue;
		err = read_file(st, g.gl_pathv[i]);
		set_where(st, pos);
	}
	globfree(&g);
	return err;
}

static int conf_line(struct conf_stack *st, const struct conf_pos *pos, char *line)
{
	char *words[CONF_MAX_WORDS + 1];
	int n;

	set_where(st, pos);
	n = conf_split(line, words, CONF_MAX_WORDS);
	if (n == -E2BIG)
		ctl_err("more than %d words", CONF_MAX_WORDS);
	else if (n == -EINVAL)
		ctl_err("unterminated quote");
	if (n < 0)
		return -1;
	if (!n)
		return 0;
	words[n] = NULL;
	if (strcmp(words[0], "include"))
		return st->fn(st->ctx, pos, n, words) ? -1 : 0;
	if (n != 2) {
		ctl_err("include takes one PATH");
		return -1;
	}
	return do_include(st, pos, words[1]);
}

static int read_lines(struct conf_stack *st, const char *path, FILE *in)
{
	struct conf_pos pos = { .file = path };
	char *line = NULL;
	size_t size = 0;
	int err = 0;

	while (!err && getline(&line, &size, in) >= 0) {
		pos.line++;
		err = conf_line(st, &pos, line);
	}
	free(line);
	if (!err && ferror(in)) {
		ctl_err_where = NULL;
		ctl_err("cannot read %s: %s", path, strerror(errno));
		err = -1;
	}
	return err;
}

/* Opens path and notes it on the stack: NULL once the error is reported. */
static FILE *push(struct conf_stack *st, const char *path)
{
	char *real = NULL;
	FILE *in;
	int i;

	if (st->depth == CONF_MAX_DEPTH) {
		ctl_err("include %s: nested deeper than %d files", path, CONF_MAX_DEPTH);
		return NULL;
	}
	in = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (in && in != stdin)
		real = realpath(path, NULL);
	if (!in || (in != stdin && !real)) {
		ctl_err("cannot open %s: %s", path, strerror(errno));
		if (in && in != stdin)
			fclose(in);
		return NULL;
	}
	for (i = 0; real && i < st->depth; i++) {
		if (st->real[i] && !strcmp(st->real[i], real)) {
			ctl_err("include %s: a cycle (the file is already being read)", path);
			free(real);
			fclose(in);
			return NULL;
		}
	}
	st->real[st->depth++] = real;
	return in;
}

static int read_file(struct conf_stack *st, const char *path)
{
	FILE *in = push(st, path);
	int err;

	if (!in)
		return -1;
	err = read_lines(st, path, in);
	if (in != stdin)
		fclose(in);
	free(st->real[--st->depth]);
	return err;
}

int conf_read(const char *path, conf_line_fn fn, void *ctx)
{
	struct conf_stack st = { .fn = fn, .ctx = ctx };
	int err;

	ctl_err_where = NULL;
	err = read_file(&st, path);
	ctl_err_where = NULL;
	return err;
}
