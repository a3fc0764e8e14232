// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The control API's structs from the map layouts (lib/convert.c): a filter
 * goes from its spec to its slot and back without losing a byte, so a field
 * added to both structs but not to FILTER_FIELDS fails here; a flow is
 * handed out without its tag, the secret that proves its records.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <lwfp/engine.h>

#include "../../lib/internal.h"

/* Every byte different, so that a field copied from the wrong place shows. */
static void fill(void *p, size_t n, uint8_t seed)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7 + 1);
}

static void test_filter_round_trip(void **state)
{
	struct lwfp_filter f, back;
	struct lwfp_filter_spec spec;

	(void)state;
	fill(&f, sizeof(f), 3);
	f.pad = 0;
	filter_spec_get(&spec, &f);
	filter_spec_put(&back, &spec);
	/* Every byte of the layout but pad is a field. */
	assert_memory_equal(&back, &f, sizeof(f));
	assert_int_equal(spec.weight, f.weight);
	assert_memory_equal(spec.host, f.host, sizeof(spec.host));
	assert_memory_equal(&spec.to, &f.to, sizeof(spec.to));
}

static void test_flow_without_tag(void **state)
{
	struct lwfp_flow_info info;
	struct lwfp_flow f;

	(void)state;
	fill(&f, sizeof(f), 9);
	flow_info(&info, &f);
	assert_true(info.chain == f.chain && info.created_ns == f.created_ns);
	assert_int_equal(info.nhops, f.nhops);
	assert_memory_equal(info.hops, f.hops, sizeof(info.hops));
	assert_memory_equal(&info.orig_src, &f.orig_src, sizeof(info.orig_src));
	assert_true(info.origin_netns == f.origin_netns);
	assert_int_equal(info.origin_netns_ino, f.origin_netns_ino);
	assert_null(memmem(&info, sizeof(info), &f.tag, sizeof(f.tag)));
}

static void test_service_and_event(void **state)
{
	struct lwfp_service_info si;
	struct lwfp_event_info ei;
	struct lwfp_service s;
	struct lwfp_event ev;

	(void)state;
	fill(&s, sizeof(s), 5);
	service_info(&si, &s);
	assert_true(si.handle == s.handle && si.id_value == s.id_value);
	assert_memory_equal(si.provider, s.provider, sizeof(si.provider));
	assert_memory_equal(si.name, s.name, sizeof(si.name));
	fill(&ev, sizeof(ev), 7);
	event_info(&ei, &ev);
	assert_true(ei.ts_ns == ev.ts_ns && ei.token == ev.token);
	assert_int_equal(ei.reason, ev.reason);
	assert_int_equal(ei.err, ev.err);
	assert_memory_equal(&ei.target, &ev.target, sizeof(ei.target));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_round_trip),
		cmocka_unit_test(test_flow_without_tag),
		cmocka_unit_test(test_service_and_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
