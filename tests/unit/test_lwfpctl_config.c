// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for policy files (tools/lwfpctl/conf.c, policy.c,
 * policy_diff.c): line splitting and comments; includes relative to the
 * including file, globs, cycles and depth; policy parsing; filter identity;
 * the diff (kept ids, pid services left alone, duplicates matched once).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tools/lwfpctl/lwfpctl.h"
#include "../../tools/lwfpctl/policy.h"

static char dir[] = "/tmp/lwfp-unit-conf.XXXXXX";

static void put_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *path_of(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void test_split(void **state)
{
	char line[] = "filter add  'a b' \"c\"d # comment";
	char bad[] = "x 'open";
	char *w[8];

	(void)state;
	assert_int_equal(conf_split(line, w, 8), 4);
	assert_string_equal(w[2], "a b");
	assert_string_equal(w[3], "cd");
	assert_int_equal(conf_split(bad, w, 8), -EINVAL);
	strcpy(line, "a b c");
	assert_int_equal(conf_split(line, w, 2), -E2BIG);
}

struct seen {
	char words[16][64];
	int n;
};

static int collect(void *ctx, const struct conf_pos *pos, int argc, char **argv)
{
	struct seen *s = ctx;

	(void)pos;
	assert_true(argc >= 1);
	snprintf(s->words[s->n++], 64, "%s", argv[argc - 1]);
	return 0;
}

static void test_includes(void **state)
{
	struct seen s = { .n = 0 };

	(void)state;
	put_file("top.conf", "a 1\ninclude d/*.conf\n\n# c\ninclude sub.inc\na 4\n");
	put_file("d/x.conf", "a 2\n");
	put_file("d/y.conf", "a 3\n");
	put_file("sub.inc", "include d/none*.conf\n");
	assert_int_equal(conf_read(path_of("top.conf"), collect, &s), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.words[1], "2");
	assert_string_equal(s.words[2], "3");
	assert_string_equal(s.words[3], "4");
}

static void test_include_errors(void **state)
{
	struct seen s = { .n = 0 };
	char name[32], text[64];
	int i;

	(void)state;
	put_file("cyc1.conf", "include cyc2.conf\n");
	put_file("cyc2.conf", "include cyc1.conf\n");
	assert_int_equal(conf_read(path_of("cyc1.conf"), collect, &s), -1);
	put_file("self.conf", "include self.conf\n");
	assert_int_equal(conf_read(path_of("self.conf"), collect, &s), -1);
	put_file("missing.conf", "include nothere.conf\n");
	assert_int_equal(conf_read(path_of("missing.conf"), collect, &s), -1);
	put_file("twowords.conf", "include a b\n");
	assert_int_equal(conf_read(path_of("twowords.conf"), collect, &s), -1);
	for (i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "n%d.conf", i);
		snprintf(text, sizeof(text), i < 8 ? "include n%d.conf\n" : "a 9\n", i + 1);
		put_file(name, text);
	}
	assert_int_equal(conf_read(path_of("n0.conf"), collect, &s), -1);
	assert_int_equal(s.n, 0);
	assert_int_equal(conf_read(path_of("n1.conf"), collect, &s), 0);
	assert_int_equal(s.n, 1);
}

static void test_policy_read(void **state)
{
	struct ctl c = { 0 };
	struct policy p;

	(void)state;
	put_file("p.conf", "service add web --uid 7\n"
			   "filter add --service web --to 127.0.0.1:15001 --dport 80 boot\n"
			   "filter add --block --dport 25\n");
	assert_int_equal(policy_read(&c, path_of("p.conf"), &p), 0);
	assert_int_equal(p.nsvcs, 1);
	assert_int_equal(p.nfils, 2);
	assert_true(p.fils[0].f.flags & LWFP_FILTER_BOOT);
	assert_string_equal(p.fils[0].service, "web");
	assert_int_equal(p.fils[1].pos.line, 3);
	assert_int_equal(policy_check_refs(&p, NULL, false), 0);
	policy_free(&p);
	put_file("q.conf", "filter add --service nobody --to 127.0.0.1:1\n");
	assert_int_equal(policy_read(&c, path_of("q.conf"), &p), 0);
	assert_int_equal(policy_check_refs(&p, NULL, false), -1);
	policy_free(&p);
	put_file("r.conf", "service add a --uid 1\nservice add a --uid 2\n");
	assert_int_equal(policy_read(&c, path_of("r.conf"), &p), -1);
	put_file("s.conf", "service del a\n");
	assert_int_equal(policy_read(&c, path_of("s.conf"), &p), -1);
}

static struct pol_filter redirect(const char *svc, uint16_t dport)
{
	struct pol_filter f = { .f = { .action = LWFP_ACT_REDIRECT, .weight = 100,
				       .conds = LWFP_COND_DPORT, .dport_lo = dport,
				       .dport_hi = dport } };

	f.f.to.family = LWFP_AF_INET;
	f.f.to.port = 1;
	snprintf(f.service, sizeof(f.service), "%s", svc);
	return f;
}

static void test_filter_same(void **state)
{
	struct pol_filter a = redirect("web", 80), b = redirect("web", 80);
	uint8_t r1[2] = { 1, 2 }, r2[2] = { 1, 3 };

	(void)state;
	b.f.id = 99;
	b.f.sport_lo = 5; /* not a condition of it: ignored */
	assert_true(pol_filter_same(&a, &b));
	b.f.flags = LWFP_FILTER_BOOT;
	assert_false(pol_filter_same(&a, &b));
	b = redirect("other", 80);
	assert_false(pol_filter_same(&a, &b));
	b = redirect("web", 81);
	assert_false(pol_filter_same(&a, &b));
	b = redirect("web", 80);
	a.f.raw_len = b.f.raw_len = 2;
	a.raw = r1;
	b.raw = r2;
	assert_false(pol_filter_same(&a, &b));
}

static void add_svc(struct policy *p, const char *name, enum lwfp_identity_kind kind, uint64_t v)
{
	struct pol_service s = { .kind = kind, .value = v };

	snprintf(s.name, sizeof(s.name), "%s", name);
	assert_int_equal(policy_add_service(p, &s), 0);
}

static void test_diff(void **state)
{
	struct policy file = { 0 }, live = { 0 };
	struct pol_filter f;
	struct pol_diff d;

	(void)state;
	add_svc(&file, "web", LWFP_ID_UID, 1);
	add_svc(&file, "new", LWFP_ID_UID, 2);
	add_svc(&live, "web", LWFP_ID_UID, 3); /* changed */
	add_svc(&live, "gone", LWFP_ID_UID, 4);
	add_svc(&live, "mine", LWFP_ID_PID, 5); /* left alone */
	f = redirect("web", 80);
	policy_add_filter(&file, &f);
	policy_add_filter(&file, &f); /* twice: matches one live filter only */
	policy_add_filter(&live, &f);
	f = redirect("gone", 80);
	policy_add_filter(&live, &f);
	f = redirect("mine", 80);
	policy_add_filter(&live, &f);
	assert_int_equal(policy_diff(&file, &live, &d), 0);
	assert_int_equal(d.nsvc_add, 1);
	assert_int_equal(d.svc_add[0], 1);
	assert_int_equal(d.nsvc_update, 1);
	assert_int_equal(d.nsvc_del, 1);
	assert_int_equal(d.svc_del[0], 1);
	assert_int_equal(d.nfil_kept, 1);
	assert_int_equal(d.nfil_add, 1);
	assert_int_equal(d.nfil_del, 1);
	assert_int_equal(d.fil_del[0], 1);
	pol_diff_free(&d);
	policy_free(&file);
	policy_free(&live);
}

static int setup(void **state)
{
	char sub[300];

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(sub, sizeof(sub), "%s/d", dir);
	return mkdir(sub, 0700);
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),	      cmocka_unit_test(test_includes),
		cmocka_unit_test(test_include_errors), cmocka_unit_test(test_policy_read),
		cmocka_unit_test(test_filter_same),   cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
