// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfp-inspect's cgroup identity for the log: the container a cgroup path
 * names, and a cgroup id back to its path. cgpath.c is code the tools
 * share, not liblwfp's: the test links it from tools/common's archive.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <lwfp/engine.h>

#include "../../tools/common/cgpath.h"

#define SENTINEL "untouched"

static void expect(const char *path, const char *want)
{
	char id[CONTAINER_ID_MAX] = SENTINEL;
	bool found = cgroup_container(path, id, sizeof(id));

	if (!want) {
		if (found)
			fail_msg("%s: found '%s'", path, id);
		return;
	}
	if (!found)
		fail_msg("%s: nothing found, want '%s'", path, want);
	assert_string_equal(id, want);
}

static void test_engines(void **state)
{
	(void)state;
	expect("/system.slice/docker-0123abcd.scope", "0123abcd");
	expect("/machine.slice/libpod-4f2e9a.scope", "4f2e9a");
	expect("/machine.slice/libpod-4f2e9a.scope/container", "4f2e9a");
	expect("/system.slice/crio-77ee.scope", "77ee");
	expect("/system.slice/cri-containerd-9a9a.scope", "9a9a");
	expect("/machine.slice/machine-web.scope", "web");
	expect("/docker/5d41402abc4b", "5d41402abc4b");
	expect("/libpod/deadbeef", "deadbeef");
	expect("/lxc/box1", "box1");
	expect("/lxc.payload.box2", "box2");
	expect("/lxc.payload.box2/init.scope", "box2");
}

static void test_kubernetes(void **state)
{
	(void)state;
	expect("/kubepods.slice/kubepods-burstable.slice/"
	       "kubepods-burstable-pod1b4a_22c3_4d5e.slice",
	       "1b4a-22c3-4d5e");
	/* The container inside the pod is more precise than the pod. */
	expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podabc.slice/"
	       "cri-containerd-c0ffee.scope",
	       "c0ffee");
	expect("/kubepods/burstable/pod1234-5678/", "1234-5678");
	expect("/kubepods.slice/kubepods-pod99.slice", "99");
}

static void test_none(void **state)
{
	(void)state;
	expect("/", NULL);
	expect("", NULL);
	expect("/user.slice/user-0.slice/session-1.scope", NULL);
	expect("/system.slice/docker.service", NULL);
	expect("/machine.slice/libpod-conmon-4f2e9a.scope", NULL);
	expect("/system.slice/docker-.scope", NULL);
	expect("/docker", NULL);
	expect("/lwfp-test/c1", NULL);
	/* pod outside kubepods is no pod. */
	expect("/podman/pod1", NULL);
	expect("/a-pod1.slice", NULL);
}

static void test_too_long(void **state)
{
	char id[4] = "xyz";

	(void)state;
	assert_false(cgroup_container("/docker-0123456789.scope", id, sizeof(id)));
}

/* The cgroup of this process, found again from its id. */
static void test_path_of_id(void **state)
{
	char self[CGPATH_MAX] = "", full[PATH_MAX + CGPATH_MAX], got[CGPATH_MAX];
	char mnt[PATH_MAX];
	struct stat st;
	FILE *f;

	(void)state;
	if (lwfp_cgroup2_root(mnt, sizeof(mnt)))
		skip();
	f = fopen("/proc/self/cgroup", "r");
	assert_non_null(f);
	while (fgets(full, sizeof(full), f))
		if (!strncmp(full, "0::", 3))
			sscanf(full + 3, "%511s", self);
	fclose(f);
	if (!self[0])
		skip();
	snprintf(full, sizeof(full), "%s%s", mnt, self);
	assert_int_equal(stat(full, &st), 0);
	if (cgpath_get(st.st_ino, got, sizeof(got)) == -EPERM)
		skip(); /* open_by_handle_at needs CAP_DAC_READ_SEARCH */
	assert_string_equal(got, self);
	/* From the cache now. */
	assert_int_equal(cgpath_get(st.st_ino, got, sizeof(got)), 0);
	assert_string_equal(got, self);
	assert_int_equal(cgpath_get(0, got, sizeof(got)), -ENOENT);
	assert_int_equal(cgpath_get(UINT64_C(0x7fffffffffff), got, sizeof(got)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engines),
		cmocka_unit_test(test_kubernetes),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_path_of_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
