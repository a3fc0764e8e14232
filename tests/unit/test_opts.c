// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The _opts convention (lib/opts.h, docs/abi.md "Options structs"), for
 * the macros and for every public function that takes an _opts struct.
 * Each function gets the same cases:
 *   - NULL opts, where the function allows it;
 *   - sz below sizeof(size_t): -EINVAL;
 *   - sz larger than the struct, the bytes past it zero: accepted;
 *   - a non-zero byte past the last field (in the struct's tail padding or
 *     past the struct): -EINVAL;
 *   - an older, smaller sz: the fields it leaves out get their fallbacks.
 * No engine is needed: an invalid opts fails before anything is touched,
 * and a valid one is seen to pass by the next error the function gives
 * (a bad fd, a fake engine whose lock fd is -1, a cgroup that is not there).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lwfp/engine.h>
#include <lwfp/lwfp.h>

#include "../../lib/internal.h"
#include "../../lib/opts.h"

#define NOWHERE "/nonexistent/lwfp-unit-opts"
/* Bytes a caller built against a newer header may add. */
#define NEWER 16

/* A caller's opts: the struct, and room for a newer one's fields. */
union caller {
	size_t sz;
	unsigned char bytes[128 + NEWER];
	max_align_t align;
};

/* The function under test on a caller's bytes. */
typedef int (*call_fn)(const void *opts);

static int call_sz(call_fn call, union caller *c, size_t sz)
{
	c->sz = sz;
	return call(c);
}

/*
 * The size cases on opts (a struct of size bytes whose last field ends at
 * known): accepted is what the function returns for a valid opts.
 */
static void check_sizes(call_fn call, const void *opts, size_t size, size_t known, int accepted)
{
	union caller c;
	size_t i;

	assert_true(size + NEWER <= sizeof(c.bytes));
	memset(&c, 0, sizeof(c));
	memcpy(c.bytes, opts, size);
	assert_int_equal(call_sz(call, &c, 0), -EINVAL);
	assert_int_equal(call_sz(call, &c, sizeof(size_t) - 1), -EINVAL);
	assert_int_equal(call_sz(call, &c, size), accepted);
	assert_int_equal(call_sz(call, &c, size + NEWER), accepted);
	/* Every unknown byte, one at a time: the struct's tail padding, then the newer fields. */
	for (i = known; i < size + NEWER; i++) {
		c.bytes[i] = 0x5a;
		assert_int_equal(call_sz(call, &c, size + NEWER), -EINVAL);
		c.bytes[i] = 0;
	}
	/* Bytes past sz are not the callee's to read, whatever they hold. */
	memset(c.bytes + size, 0x5a, NEWER);
	assert_int_equal(call_sz(call, &c, size), accepted);
}

#define CHECK_SIZES(call, opts, type, accepted)                                                  \
	check_sizes(call, opts, sizeof(struct type), offsetofend(struct type, type##__last_field), \
		    accepted)

/* ---- the macros -------------------------------------------------------------------- */

struct t_opts {
	size_t sz;
	int a;
	const char *b;
	char c; /* then 7 bytes of tail padding */
};
#define t_opts__last_field c

static void test_macros(void **state)
{
	struct t_opts *none = NULL;
	union caller u;
	struct t_opts *o = (struct t_opts *)u.bytes;

	(void)state;
	memset(&u, 0, sizeof(u));
	assert_true(OPTS_VALID(none, t_opts));
	assert_false(OPTS_HAS(none, a));
	assert_int_equal(OPTS_GET(none, a, 7), 7);
	o->sz = sizeof(size_t) - 1;
	assert_false(OPTS_VALID(o, t_opts));
	/* Just sz: valid, every field its fallback. */
	o->sz = sizeof(size_t);
	o->a = 1;
	assert_true(OPTS_VALID(o, t_opts));
	assert_int_equal(OPTS_GET(o, a, 7), 7);
	/* A field counts only when sz covers all of it. */
	o->sz = offsetofend(struct t_opts, a) - 1;
	assert_int_equal(OPTS_GET(o, a, 7), 7);
	o->sz = offsetofend(struct t_opts, a);
	assert_int_equal(OPTS_GET(o, a, 7), 1);
	assert_null(OPTS_GET(o, b, NULL));
	o->sz = sizeof(*o) + NEWER;
	o->c = 'x';
	assert_true(OPTS_VALID(o, t_opts));
	assert_int_equal(OPTS_GET(o, c, 0), 'x');
	u.bytes[offsetofend(struct t_opts, c)] = 1;
	assert_false(OPTS_VALID(o, t_opts));
}

/* ---- lwfp_offload ------------------------------------------------------------------ */

static int offload_call(const void *opts)
{
	return lwfp_offload(-1, -2, opts);
}

/* pin_dir's fallback needs a TCP pair: test_offload.c, test_bad_opts. */
static void test_offload(void **state)
{
	struct lwfp_offload_opts o = { .sz = sizeof(o), .pin_dir = NOWHERE };

	(void)state;
	assert_int_equal(lwfp_offload(-1, -2, NULL), -EBADF);
	CHECK_SIZES(offload_call, &o, lwfp_offload_opts, -EBADF);
}

/* ---- lwfp_listen_netns ------------------------------------------------------------- */

static int listen_call(const void *opts)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	return lwfp_listen_netns(-1, (struct sockaddr *)&a, sizeof(a), opts);
}

static void test_listen_netns(void **state)
{
	struct lwfp_listen_opts o = { .sz = sizeof(o), .type = SOCK_DGRAM, .nonblock = true };

	(void)state;
	assert_int_equal(listen_call(NULL), -EBADF);
	CHECK_SIZES(listen_call, &o, lwfp_listen_opts, -EBADF);
	/* A type it refuses, given; left out, SOCK_STREAM. */
	o.type = SOCK_RAW;
	assert_int_equal(listen_call(&o), -EINVAL);
	o.sz = offsetof(struct lwfp_listen_opts, type);
	assert_int_equal(listen_call(&o), -EBADF);
}

/* ---- lwfp_engine_up ---------------------------------------------------------------- */

/*
 * lwfp_engine_up in a child without privileges: a valid opts names a cgroup
 * that is not there, but should a bug take it further, it can neither
 * load nor attach anything. Returns what the call returned.
 */
static int up_call(const void *opts)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		if (!geteuid() && (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
				   setresuid(65534, 65534, 65534)))
			_exit(255);
		_exit(-lwfp_engine_up(opts, NULL) & 0xff);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 255);
	return -WEXITSTATUS(status);
}

/* Not NULL opts: that is the cgroup v2 root, which a unit test leaves alone. */
static void test_engine_up(void **state)
{
	struct lwfp_engine_opts o = { .sz = sizeof(o), .pin_dir = NOWHERE, .cgroup = NOWHERE };

	(void)state;
	CHECK_SIZES(up_call, &o, lwfp_engine_opts, -ENOENT);
	/* Refused values, given; left out, their fallbacks (0). */
	o.max_flows_per_uid = LWFP_MAX_FLOWS + 1;
	assert_int_equal(up_call(&o), -EINVAL);
	o.sz = offsetof(struct lwfp_engine_opts, max_flows_per_uid);
	assert_int_equal(up_call(&o), -ENOENT);
	o = (struct lwfp_engine_opts){ .sz = sizeof(o), .cgroup = NOWHERE, .before_id = 1,
				       .after_id = 2 };
	assert_int_equal(up_call(&o), -EINVAL);
	o.sz = offsetof(struct lwfp_engine_opts, before_id);
	assert_int_equal(up_call(&o), -ENOENT);
}

/* ---- services ---------------------------------------------------------------------- */

/* An engine whose lock fails with -EBADF: what a valid opts meets first. */
static struct lwfp_engine fake = { .dir_fd = -1 };

static int service_add_call(const void *opts)
{
	uint32_t handle;

	return lwfp_service_add(&fake, opts, &handle);
}

static int service_update_call(const void *opts)
{
	return lwfp_service_update(&fake, opts);
}

/* A service needs its identity; cgroup only for LWFP_ID_CGROUP. */
static void check_service(void **state)
{
	call_fn call = *(call_fn *)*state;
	struct lwfp_service_opts o = { .sz = sizeof(o), .name = "opts", .id_kind = LWFP_ID_UID,
				       .id_value = 1000, .cgroup = NOWHERE };

	assert_int_equal(call(NULL), -EINVAL);
	CHECK_SIZES(call, &o, lwfp_service_opts, -EBADF);
	o.sz = offsetof(struct lwfp_service_opts, id_value);
	assert_int_equal(call(&o), -EINVAL);
	o.sz = offsetof(struct lwfp_service_opts, cgroup);
	assert_int_equal(call(&o), -EBADF);
	o.id_kind = LWFP_ID_CGROUP;
	assert_int_equal(call(&o), -EINVAL);
	o.sz = sizeof(o);
	assert_int_equal(call(&o), -ENOENT);
}


/* ---- filters ----------------------------------------------------------------------- */

static const struct lwfp_filter_spec block = { .action = LWFP_ACT_BLOCK };

static int filter_add_call(const void *opts)
{
	uint32_t id;

	return lwfp_filter_add(&fake, opts, &id);
}

/* The opts second of a batch of two: *failed names it. */
static int filter_batch_call(const void *opts)
{
	struct lwfp_filter_opts first = { .sz = sizeof(first), .filter = &block };
	const struct lwfp_filter_opts *ps[2] = { &first, opts };
	uint32_t ids[2];
	size_t failed = 9;
	int err;

	err = lwfp_filter_add_batch(&fake, ps, 2, ids, &failed);
	assert_int_equal(failed, err == -EINVAL ? 1 : 2);
	return err;
}

static int filter_replace_call(const void *opts)
{
	const struct lwfp_filter_opts *ps[1] = { opts };
	uint32_t del = 1, id;
	size_t failed = 9;
	int err;

	err = lwfp_filter_replace_batch(&fake, &del, 1, ps, 1, &id, &failed);
	assert_int_equal(failed, err == -EINVAL ? 0 : 1);
	return err;
}

/* A filter needs its filter; raw, raw_len and app_path may be left out. */
static void check_filter(void **state)
{
	call_fn call = *(call_fn *)*state;
	struct lwfp_filter_opts o = { .sz = sizeof(o), .filter = &block };

	assert_int_equal(call(NULL), -EINVAL);
	CHECK_SIZES(call, &o, lwfp_filter_opts, -EBADF);
	o.sz = offsetof(struct lwfp_filter_opts, filter);
	assert_int_equal(call(&o), -EINVAL);
	o.sz = offsetof(struct lwfp_filter_opts, raw);
	assert_int_equal(call(&o), -EBADF);
}


/* What a filter's opts hold past an older caller's sz is never read. */
static void test_filter_fallbacks(void **state)
{
	struct lwfp_filter_opts o = { .sz = offsetof(struct lwfp_filter_opts, raw), .filter = &block,
				      .raw = "x", .raw_len = 1, .app_path = "/nonexistent" };
	const struct lwfp_filter_opts *p = &o;

	(void)state;
	assert_true(OPTS_VALID(p, lwfp_filter_opts));
	assert_null(OPTS_GET(p, raw, NULL));
	assert_int_equal(OPTS_GET(p, raw_len, 0), 0);
	assert_null(OPTS_GET(p, app_path, NULL));
	o.sz = offsetof(struct lwfp_filter_opts, app_path);
	assert_int_equal(OPTS_GET(p, raw_len, 0), 1);
	assert_null(OPTS_GET(p, app_path, NULL));
}

/* The cases check on function, through call: check gets &call as its state. */
#define FUNCTION_TEST(function, check, call)                                                     \
	{ #function, check, NULL, NULL, &(call_fn){ call } }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_macros),
		cmocka_unit_test(test_offload),
		cmocka_unit_test(test_listen_netns),
		cmocka_unit_test(test_engine_up),
		FUNCTION_TEST(lwfp_service_add, check_service, service_add_call),
		FUNCTION_TEST(lwfp_service_update, check_service, service_update_call),
		FUNCTION_TEST(lwfp_filter_add, check_filter, filter_add_call),
		FUNCTION_TEST(lwfp_filter_add_batch, check_filter, filter_batch_call),
		FUNCTION_TEST(lwfp_filter_replace_batch, check_filter, filter_replace_call),
		cmocka_unit_test(test_filter_fallbacks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
