// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfp-test-cglink: attaches one program of a BPF object to a cgroup
 * through a link pinned at PIN, appended as libbpf does by default: what a
 * product that uses links leaves on a cgroup. bpftool can only attach the
 * old way; test_order needs both kinds, because the kernel places a link
 * next to another link only.
 *
 * usage: lwfp-test-cglink OBJ PROG CGROUP PIN
 * Removing PIN detaches the program.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

static int attach(struct bpf_object *obj, const char *name, const char *cgroup, const char *pin)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, name);
	struct bpf_link *link;
	int cg, err;

	if (!prog)
		return -ENOENT;
	cg = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return -errno;
	link = bpf_program__attach_cgroup(prog, cg);
	err = link ? bpf_link__pin(link, pin) : -errno;
	close(cg);
	if (!link)
		return err;
	/* The pin holds the link: closing ours must not detach it. */
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
	return err;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	int err;

	if (argc != 5) {
		fprintf(stderr, "usage: lwfp-test-cglink OBJ PROG CGROUP PIN\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	err = obj ? bpf_object__load(obj) : -errno;
	if (!err)
		err = attach(obj, argv[2], argv[3], argv[4]);
	bpf_object__close(obj);
	if (err) {
		fprintf(stderr, "lwfp-test-cglink: %s %s on %s: %s\n", argv[1], argv[2], argv[3],
			strerror(-err));
		return 1;
	}
	return 0;
}
