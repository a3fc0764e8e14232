// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfpctl -batch FILE: many `filter add` command lines, installed with one
 * update of the data plane (lwfp_filter_add_batch), all or none. One add at
 * a time republishes the whole table each time, so 10,000 filters took
 * minutes; a batch takes about as long as one add of the last.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter_opts.h"
#include "lwfpctl.h"

#define BATCH_MAX_WORDS 64

static const char batch_usage[] =
	"Usage: lwfpctl [--pin-dir DIR] -batch FILE\n"
	"       lwfpctl [--pin-dir DIR] --batch FILE\n"
	"\n"
	"Run the command lines of FILE ('-' for standard input), one per line,\n"
	"each as it would follow 'lwfpctl': 'filter add ...' is the command a\n"
	"batch takes. Blank lines and lines starting with '#' are skipped; words\n"
	"are separated by blanks and may be quoted with ' or \".\n"
	"\n"
	"The filters are added together, in the order of the lines, with one\n"
	"update of the engine: either all of them or, on an error, none. Errors\n"
	"name FILE:LINE. On success the new ids are printed, one per line.\n"
	"\n"
	"  --pin-dir DIR          " CTL_PIN_DIR_HELP;

/* The filters read so far, and the line each came from. */
struct batch {
	const char *file;
	unsigned int line;
	char where[300];
	struct lwfp_engine *e;
	struct ctl *c;
	size_t n, cap;
	struct lwfp_filter *fs;
	uint8_t **raws;
	size_t *raw_lens;
	unsigned int *lines;
	char **services; /* a line's --service, for error messages */
};

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

/* Splits line into words in place: blanks separate, quotes group. */
static int split_words(char *line, char **words, int max)
{
	int n = 0;
	char *r = line, *w;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\r' || *r == '\n')
			r++;
		if (!*r)
			return n;
		if (n == max)
			return -E2BIG;
		words[n++] = w = r;
		while (*r && *r != ' ' && *r != '\t' && *r != '\r' && *r != '\n') {
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

static int batch_grow(struct batch *b)
{
	size_t cap = b->cap ? 2 * b->cap : 256;
	void *p[5];

	p[0] = realloc(b->fs, cap * sizeof(*b->fs));
	if (p[0])
		b->fs = p[0];
	p[1] = realloc(b->raws, cap * sizeof(*b->raws));
	if (p[1])
		b->raws = p[1];
	p[2] = realloc(b->raw_lens, cap * sizeof(*b->raw_lens));
	if (p[2])
		b->raw_lens = p[2];
	p[3] = realloc(b->lines, cap * sizeof(*b->lines));
	if (p[3])
		b->lines = p[3];
	p[4] = realloc(b->services, cap * sizeof(*b->services));
	if (p[4])
		b->services = p[4];
	if (!p[0] || !p[1] || !p[2] || !p[3] || !p[4])
		return -ENOMEM;
	b->cap = cap;
	return 0;
}

/* Keeps one parsed filter; its --service is resolved now, once per line. */
static int batch_keep(struct batch *b, struct filter_spec *spec, const char *service)
{
	size_t i = b->n;

	if (i == b->cap && batch_grow(b)) {
		ctl_err("out of memory");
		return CTL_EXIT_FAIL;
	}
	if (service && find_service(b->e, service, &spec->f.service))
		return CTL_EXIT_FAIL;
	b->raws[i] = NULL;
	b->services[i] = service ? strdup(service) : NULL;
	b->raw_lens[i] = spec->raw_len;
	if (spec->raw_len) {
		b->raws[i] = malloc(spec->raw_len);
		if (b->raws[i])
			memcpy(b->raws[i], spec->raw, spec->raw_len);
	}
	if ((spec->raw_len && !b->raws[i]) || (service && !b->services[i])) {
		free(b->raws[i]);
		free(b->services[i]);
		ctl_err("out of memory");
		return CTL_EXIT_FAIL;
	}
	b->fs[i] = spec->f;
	b->lines[i] = b->line;
	b->n++;
	return 0;
}

/* A --dport list stands for one filter per item. */
static int batch_keep_all(struct batch *b, const struct filter_spec *spec, const char *service)
{
	struct filter_spec one = *spec;
	size_t i;

	for (i = 0; i < filter_spec_count(spec); i++) {
		filter_spec_nth(spec, i, &one.f);
		if (batch_keep(b, &one, service))
			return CTL_EXIT_FAIL;
	}
	return CTL_CONTINUE;
}

/* One command line: CTL_CONTINUE when kept (or blank), else the exit status. */
static int batch_line(struct batch *b, char *line)
{
	struct ctl lc = *b->c;
	struct filter_spec spec;
	const char *service = NULL;
	char *words[BATCH_MAX_WORDS + 1];
	int n, err;

	n = split_words(line, words, BATCH_MAX_WORDS);
	if (n == -E2BIG) {
		ctl_err("more than %d words", BATCH_MAX_WORDS);
		return CTL_EXIT_FAIL;
	}
	if (n == -EINVAL) {
		ctl_err("unterminated quote");
		return CTL_EXIT_FAIL;
	}
	if (n == 0 || words[0][0] == '#')
		return CTL_CONTINUE;
	words[n] = NULL;
	if (n < 2 || strcmp(words[0], "filter") || strcmp(words[1], "add")) {
		ctl_err("'%s%s%s': only 'filter add' can be batched", words[0],
			n > 1 ? " " : "", n > 1 ? words[1] : "");
		return CTL_EXIT_FAIL;
	}
	err = filter_add_args(&lc, n - 1, words + 1, &spec, &service);
	if (err == CTL_EXIT_OK)
		ctl_err("--help is not a batch command");
	if (err != CTL_CONTINUE)
		return CTL_EXIT_FAIL;
	if (lc.pin_dir != b->c->pin_dir) {
		ctl_err("--pin-dir belongs before -batch, not on a line of it");
		return CTL_EXIT_FAIL;
	}
	return batch_keep_all(b, &spec, service);
}

static void set_where(struct batch *b, unsigned int line)
{
	snprintf(b->where, sizeof(b->where), "%s:%u", b->file, line);
	ctl_err_where = b->where;
}

static int batch_read(struct batch *b, FILE *in)
{
	char *line = NULL;
	size_t size = 0;
	int status = CTL_CONTINUE;

	while (status == CTL_CONTINUE && getline(&line, &size, in) >= 0) {
		set_where(b, ++b->line);
		status = batch_line(b, line);
	}
	ctl_err_where = NULL;
	if (status == CTL_CONTINUE && ferror(in)) {
		ctl_err("cannot read %s: %s", b->file, strerror(errno));
		status = CTL_EXIT_FAIL;
	}
	free(line);
	return status == CTL_CONTINUE ? CTL_EXIT_OK : status;
}

static int batch_commit(struct batch *b)
{
	struct lwfp_filter_opts *o = calloc(b->n ? b->n : 1, sizeof(*o));
	const struct lwfp_filter_opts **po = calloc(b->n ? b->n : 1, sizeof(*po));
	uint32_t *ids = calloc(b->n ? b->n : 1, sizeof(*ids));
	size_t i, failed = b->n;
	int err = -ENOMEM;

	if (o && po && ids) {
		for (i = 0; i < b->n; i++) {
			o[i].sz = sizeof(o[i]);
			o[i].filter = &b->fs[i];
			o[i].raw = b->raws[i];
			o[i].raw_len = b->raw_lens[i];
			po[i] = &o[i];
		}
		err = lwfp_filter_add_batch(b->e, po, b->n, ids, &failed);
	}
	if (err && failed < b->n)
		set_where(b, b->lines[failed]);
	filter_add_error(err, failed < b->n ? b->services[failed] : NULL);
	ctl_err_where = NULL;
	for (i = 0; !err && i < b->n; i++)
		printf("%u\n", ids[i]);
	free(o);
	free(po);
	free(ids);
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

static void batch_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->raws[i]);
		free(b->services[i]);
	}
	free(b->fs);
	free(b->raws);
	free(b->raw_lens);
	free(b->lines);
	free(b->services);
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

int cmd_batch(struct ctl *c, int argc, char **argv)
{
	struct batch b = { .c = c };
	FILE *in;
	int status;

	status = batch_args(c, argc, argv, &b.file);
	if (status != CTL_CONTINUE)
		return status;
	if (!b.file) {
		ctl_err("missing FILE after -batch");
		return CTL_EXIT_FAIL;
	}
	if (ctl_open(c, &b.e))
		return CTL_EXIT_FAIL;
	in = strcmp(b.file, "-") ? fopen(b.file, "r") : stdin;
	if (!in) {
		ctl_err("cannot open %s: %s", b.file, strerror(errno));
		lwfp_engine_close(b.e);
		return CTL_EXIT_FAIL;
	}
	status = batch_read(&b, in);
	if (in != stdin)
		fclose(in);
	if (status == CTL_EXIT_OK)
		status = batch_commit(&b);
	batch_free(&b);
	lwfp_engine_close(b.e);
	return status;
}
