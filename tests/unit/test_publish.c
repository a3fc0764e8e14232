// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for the wait between table flips (lib/filter_table.c, lib/grace.c),
 * on real BPF maps laid out as bpf/maps.h lays them out, with no programs:
 *   - every write to a table half, its positions or its buckets comes after
 *     a wait that follows the last flip, never before it, and never to the
 *     live half;
 *   - one wait per update: a batch of 1000 filters waits once;
 *   - a failed wait writes nothing;
 *   - grace_wait's fallbacks: nohz_full (EINVAL), one CPU, other errors.
 * The build wraps grace_wait, bpf_map_update_batch and bpf_map_update_elem
 * (-Wl,--wrap, see the Makefile) to watch the order of events.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/membarrier.h>

#include <cmocka.h>

#include <bpf/bpf.h>

#include <lwfp/engine.h>

#include "../../lib/internal.h"

static struct lwfp_engine *eng;
static char dir[] = "/tmp/lwfp-publish-XXXXXX";

/* What the wrappers saw. */
static struct {
	unsigned int waits, flips, writes;
	bool waited; /* since the last flip */
	int fail_wait; /* grace_wait returns this when non-zero */
} seen;

int __real_grace_wait(void);
int __real_bpf_map_update_batch(int fd, const void *keys, const void *values, __u32 *count,
				const struct bpf_map_batch_opts *opts);
int __real_bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags);

int __wrap_grace_wait(void)
{
	if (seen.fail_wait)
		return seen.fail_wait;
	seen.waits++;
	seen.waited = true;
	return 0;
}

static uint32_t live_half(void)
{
	struct lwfp_config cfg;
	uint32_t zero = 0;

	assert_int_equal(bpf_map_lookup_elem(eng->config_fd, &zero, &cfg), 0);
	return cfg.active & 1;
}

/* The half a batch writes to, from its first key. */
static uint32_t half_of(int fd, const void *keys)
{
	if (fd == eng->filter_idx_fd)
		return ((const struct lwfp_idx_key *)keys)->half;
	return *(const uint32_t *)keys / LWFP_MAX_FILTERS;
}

int __wrap_bpf_map_update_batch(int fd, const void *keys, const void *values, __u32 *count,
				const struct bpf_map_batch_opts *opts)
{
	if (fd == eng->filters_fd || fd == eng->filter_pos_fd || fd == eng->filter_idx_fd) {
		assert_true(seen.waited);
		assert_int_not_equal(half_of(fd, keys), live_half());
		seen.writes++;
	}
	return __real_bpf_map_update_batch(fd, keys, values, count, opts);
}

int __wrap_bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)
{
	const struct lwfp_config *next = value;

	if (fd == eng->config_fd && (next->active & 1) != live_half()) {
		/* The flip publishes the half written since the wait. */
		assert_true(seen.waited);
		seen.flips++;
		seen.waited = false;
	}
	return __real_bpf_map_update_elem(fd, key, value, flags);
}

static int map_new(enum bpf_map_type type, size_t key, size_t value, uint32_t n, uint32_t flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);
	int fd = bpf_map_create(type, NULL, key, value, n, &o);

	assert_true(fd >= 0);
	return fd;
}

static int setup(void **state)
{
	struct lwfp_config cfg = { .next_filter_id = 1, .abi_version = LWFP_ABI_VERSION };
	uint32_t zero = 0;
	int probe;

	(void)state;
	/* Creating maps takes CAP_BPF: like the integration tests, root only. */
	probe = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (probe < 0)
		return -1;
	close(probe);
	eng = calloc(1, sizeof(*eng));
	assert_non_null(eng);
	assert_non_null(mkdtemp(dir));
	eng->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	eng->config_fd = map_new(BPF_MAP_TYPE_ARRAY, 4, sizeof(cfg), 1, 0);
	eng->filters_fd = map_new(BPF_MAP_TYPE_ARRAY, 4, sizeof(struct lwfp_filter),
				  2 * LWFP_MAX_FILTERS, 0);
	eng->filter_pos_fd = map_new(BPF_MAP_TYPE_ARRAY, 4, 4, 2 * LWFP_MAX_FILTERS, 0);
	eng->filter_idx_fd = map_new(BPF_MAP_TYPE_HASH, sizeof(struct lwfp_idx_key),
				     sizeof(struct lwfp_idx_bucket), 2 * LWFP_MAX_FILTERS,
				     BPF_F_NO_PREALLOC);
	eng->filter_raw_fd = map_new(BPF_MAP_TYPE_HASH, 4, sizeof(struct lwfp_raw_context),
				     LWFP_MAX_FILTERS, BPF_F_NO_PREALLOC);
	eng->filter_app_fd = map_new(BPF_MAP_TYPE_HASH, 4, sizeof(struct lwfp_filter_app),
				     LWFP_MAX_FILTERS, BPF_F_NO_PREALLOC);
	eng->filter_hits_fd = map_new(BPF_MAP_TYPE_PERCPU_HASH, 4, sizeof(struct lwfp_filter_hits),
				      2 * LWFP_MAX_FILTERS, BPF_F_NO_PREALLOC);
	eng->services_fd = eng->flows_fd = eng->counters_fd = -1;
	assert_true(eng->dir_fd >= 0);
	assert_int_equal(__real_bpf_map_update_elem(eng->config_fd, &zero, &cfg, BPF_ANY), 0);
	memset(&seen, 0, sizeof(seen));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lwfp_engine_close(eng);
	eng = NULL;
	rmdir(dir);
	memcpy(dir + sizeof(dir) - 7, "XXXXXX", 6);
	return 0;
}

/* A block filter on one destination port: some filters share a bucket. */
static struct lwfp_filter_spec block(uint16_t port, uint32_t weight)
{
	return (struct lwfp_filter_spec){ .conds = LWFP_COND_DPORT, .dport_lo = port,
					  .dport_hi = port, .action = LWFP_ACT_BLOCK, .weight = weight };
}

static uint32_t add_one(uint16_t port)
{
	struct lwfp_filter_spec f = block(port, port % 7);
	struct lwfp_filter_opts o = { .sz = sizeof(o), .filter = &f };
	uint32_t id;

	assert_int_equal(lwfp_filter_add(eng, &o, &id), 0);
	return id;
}

static int count_cb(const struct lwfp_filter_spec *f, void *ctx)
{
	(void)f;
	(*(uint32_t *)ctx)++;
	return 0;
}

static uint32_t table_size(void)
{
	uint32_t n = 0;

	assert_int_equal(lwfp_filter_foreach(eng, count_cb, &n), 0);
	return n;
}

/* Quick updates one after the other: a wait between every two flips. */
static void test_wait_between_flips(void **state)
{
	uint32_t i, ids[20];

	(void)state;
	for (i = 0; i < 20; i++)
		ids[i] = add_one(8000 + i % 3);
	for (i = 0; i < 20; i += 2)
		assert_int_equal(lwfp_filter_del(eng, ids[i]), 0);
	assert_int_equal(seen.waits, 30);
	assert_int_equal(seen.flips, 30);
	assert_true(seen.writes >= 30);
	assert_int_equal(table_size(), 10);
}

/* The wait is paid per update: 1000 filters in one batch wait once. */
static void test_batch_waits_once(void **state)
{
	static struct lwfp_filter_spec fs[1000];
	static struct lwfp_filter_opts os[1000];
	static const struct lwfp_filter_opts *ps[1000];
	static uint32_t ids[1000];
	size_t i, failed;

	(void)state;
	for (i = 0; i < 1000; i++) {
		fs[i] = block(1000 + i % 50, i % 11);
		os[i] = (struct lwfp_filter_opts){ .sz = sizeof(os[i]), .filter = &fs[i] };
		ps[i] = &os[i];
	}
	assert_int_equal(lwfp_filter_add_batch(eng, ps, 1000, ids, &failed), 0);
	assert_int_equal(seen.waits, 1);
	assert_int_equal(seen.flips, 1);
	assert_int_equal(table_size(), 1000);
}

/* A wait that fails (a signal, say) leaves the table as it was. */
static void test_failed_wait_writes_nothing(void **state)
{
	struct lwfp_filter_spec f = block(53, 1);
	struct lwfp_filter_opts o = { .sz = sizeof(o), .filter = &f };
	uint32_t id, before;

	(void)state;
	add_one(80);
	before = live_half();
	seen.writes = 0;
	seen.fail_wait = -EINTR;
	assert_int_equal(lwfp_filter_add(eng, &o, &id), -EINTR);
	assert_int_equal(seen.writes, 0);
	assert_int_equal(live_half(), before);
	seen.fail_wait = 0;
	assert_int_equal(table_size(), 1);
}

/* ---- grace_wait's own choices ------------------------------------------- */

static struct {
	unsigned int calls;
	int cmd;
	int err; /* returned as -1 and errno; 0 for success */
} mb;

static long fake_membarrier(int cmd, unsigned int flags, int cpu)
{
	mb.calls++;
	mb.cmd = cmd;
	assert_int_equal(flags, 0);
	assert_int_equal(cpu, 0);
	if (!mb.err)
		return 0;
	errno = mb.err;
	return -1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The wait's result and how long it took, in ms. */
static int timed_wait(int err, long ncpus, double *ms)
{
	double t0 = now_ms();
	int ret;

	memset(&mb, 0, sizeof(mb));
	mb.err = err;
	ret = lwfp__grace_wait_with(fake_membarrier, ncpus);
	*ms = now_ms() - t0;
	return ret;
}

static void test_grace_membarrier(void **state)
{
	double ms;

	(void)state;
	assert_int_equal(timed_wait(0, 2, &ms), 0);
	assert_int_equal(mb.calls, 1);
	assert_int_equal(mb.cmd, MEMBARRIER_CMD_GLOBAL);
	assert_true(ms < 50);
}

/* nohz_full refuses the command; a kernel may lack it: both sleep. */
static void test_grace_fallback_sleeps(void **state)
{
	double ms;

	(void)state;
	assert_int_equal(timed_wait(EINVAL, 2, &ms), 0);
	assert_true(ms >= 100);
	assert_int_equal(timed_wait(ENOSYS, 4, &ms), 0);
	assert_true(ms >= 100);
	/* One CPU: membarrier would return at once without a grace period. */
	assert_int_equal(timed_wait(0, 1, &ms), 0);
	assert_int_equal(mb.calls, 0);
	assert_true(ms >= 100);
}

static void test_grace_other_error(void **state)
{
	double ms;

	(void)state;
	assert_int_equal(timed_wait(EPERM, 2, &ms), -EPERM);
	assert_true(ms < 50);
}

/* The real thing, on this kernel. */
static void test_grace_real(void **state)
{
	(void)state;
	assert_int_equal(__real_grace_wait(), 0);
}

int main(void)
{
	const struct CMUnitTest engine_tests[] = {
		cmocka_unit_test_setup_teardown(test_wait_between_flips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_waits_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_wait_writes_nothing, setup, teardown),
	};
	const struct CMUnitTest grace_tests[] = {
		cmocka_unit_test(test_grace_membarrier),
		cmocka_unit_test(test_grace_fallback_sleeps),
		cmocka_unit_test(test_grace_other_error),
		cmocka_unit_test(test_grace_real),
	};
	int failed = cmocka_run_group_tests(grace_tests, NULL, NULL);

	if (geteuid() != 0) {
		/* Creating BPF maps needs root, as the integration tests do. */
		fprintf(stderr, "test_publish: not root, skipping the engine tests\n");
		return failed;
	}
	return failed + cmocka_run_group_tests(engine_tests, NULL, NULL);
}
