// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The engine's life: load the BPF object, pin its maps and links under a pin
 * directory, attach to a cgroup v2 path; reopen it later from the pins; take
 * it down. All state lives in the kernel, so the handle is cheap to reopen.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <lwfp/engine.h>

#include "internal.h"
#include "lwfp.skel.h"
#include "mprog.h"
#include "opts.h"

static const char *const progs[] = {
	"lwfp_connect4", "lwfp_connect6", "lwfp_getpeername4", "lwfp_getpeername6",
	"lwfp_sockops", "lwfp_sock_release", "lwfp_getsockopt", "lwfp_setsockopt",
	"lwfp_sendmsg4", "lwfp_sendmsg6", "lwfp_recvmsg4", "lwfp_recvmsg6",
	"lwfp_bind4", "lwfp_bind6",
	"lwfp_dns_ingress",
};

int engine_lock(struct lwfp_engine *e)
{
	return flock(e->dir_fd, LOCK_EX) ? -errno : 0;
}

void engine_unlock(struct lwfp_engine *e)
{
	flock(e->dir_fd, LOCK_UN);
}

int config_read(struct lwfp_engine *e, struct lwfp_config *cfg)
{
	uint32_t zero = 0;

	return bpf_map_lookup_elem(e->config_fd, &zero, cfg) ? -errno : 0;
}

int config_write(struct lwfp_engine *e, const struct lwfp_config *cfg)
{
	uint32_t zero = 0;

	return bpf_map_update_elem(e->config_fd, &zero, cfg, BPF_ANY) ? -errno : 0;
}

/*
 * Whoever can write in the pin directory, or swap it, can replace the pins
 * every root command trusts: a map of their own where lwfpctl looks for the
 * filters, or links it will unpin. So it must be root's and writable by
 * root alone, and not a symbolic link to somewhere else.
 */
static int pin_dir_trusted(const struct stat *st, char *why, size_t size)
{
	if (st->st_uid != 0) {
		snprintf(why, size, "is owned by uid %u, not root", (unsigned int)st->st_uid);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, size, "is writable by its group or others (mode %04o)",
			 (unsigned int)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* A descriptor of the checked pin directory, or -errno; why says -EPERM's reason. */
static int pin_dir_open(const char *dir, char *why, size_t size)
{
	struct stat st;
	int fd, err;

	/* O_NOFOLLOW, then fstat: what is checked is what was opened. */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (!lstat(dir, &st) && S_ISLNK(st.st_mode)) {
			snprintf(why, size, "is a symbolic link");
			return -EPERM;
		}
		return err == -ENOTDIR ? -ENOENT : err;
	}
	err = fstat(fd, &st) ? -errno : pin_dir_trusted(&st, why, size);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

LWFP_API int lwfp_pin_dir_check(const char *pin_dir, char *why, size_t size)
{
	char scratch[1];
	int fd;

	if (!why || !size) {
		why = scratch;
		size = sizeof(scratch);
	}
	*why = 0;
	fd = pin_dir_open(pin_dir ? pin_dir : lwfp_default_pin_dir(), why, size);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

LWFP_API void lwfp_engine_close(struct lwfp_engine *e)
{
	if (!e)
		return;
	close_fd(&e->dir_fd);
	close_fd(&e->config_fd);
	close_fd(&e->filters_fd);
	close_fd(&e->filter_raw_fd);
	close_fd(&e->filter_app_fd);
	close_fd(&e->filter_idx_fd);
	close_fd(&e->filter_pos_fd);
	close_fd(&e->services_fd);
	close_fd(&e->flows_fd);
	close_fd(&e->counters_fd);
	close_fd(&e->filter_hits_fd);
	close_fd(&e->dns_fd);
	free(e);
}

static struct lwfp_engine *engine_new(const char *pin_dir)
{
	struct lwfp_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->dir_fd = e->config_fd = e->filters_fd = e->filter_raw_fd = -1;
	e->filter_idx_fd = e->filter_pos_fd = e->filter_app_fd = -1;
	e->services_fd = e->flows_fd = e->counters_fd = e->filter_hits_fd = -1;
	e->dns_fd = -1;
	if (snprintf(e->pin_dir, sizeof(e->pin_dir), "%s", pin_dir) >= (int)sizeof(e->pin_dir)) {
		free(e);
		errno = ENAMETOOLONG;
		return NULL;
	}
	return e;
}

static int open_maps(struct lwfp_engine *e)
{
	struct {
		int *fd;
		enum map_id id;
	} maps[] = {
		{ &e->config_fd, MAP_CONFIG },	 { &e->filters_fd, MAP_FILTERS },
		{ &e->filter_raw_fd, MAP_FILTER_RAW }, { &e->services_fd, MAP_SERVICES },
		{ &e->filter_idx_fd, MAP_FILTER_IDX }, { &e->filter_pos_fd, MAP_FILTER_POS },
		{ &e->flows_fd, MAP_FLOWS },	 { &e->counters_fd, MAP_COUNTERS },
		{ &e->filter_hits_fd, MAP_FILTER_HITS }, { &e->filter_app_fd, MAP_FILTER_APP },
	};
	struct lwfp_config cfg;
	size_t i;
	int err;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		*maps[i].fd = map_open(e->pin_dir, maps[i].id);
		if (*maps[i].fd < 0)
			return *maps[i].fd;
	}
	err = config_read(e, &cfg);
	if (err)
		return err;
	if (cfg.abi_version != LWFP_LAYOUT_VERSION)
		return -EPROTO;
	/* After the version check: an older engine has none, and is EPROTO. */
	e->dns_fd = map_open(e->pin_dir, MAP_DNS);
	if (e->dns_fd < 0)
		return e->dns_fd;
	cfg.cgroup[sizeof(cfg.cgroup) - 1] = 0;
	snprintf(e->cgroup, sizeof(e->cgroup), "%s", cfg.cgroup);
	e->max_flows_per_uid = cfg.max_flows_per_uid ? cfg.max_flows_per_uid
						     : LWFP_FLOWS_PER_UID_DEFAULT;
	return 0;
}

LWFP_API int lwfp_engine_open(const char *pin_dir, struct lwfp_engine **out)
{
	struct lwfp_engine *e;
	char why[80];
	int err;

	e = engine_new(pin_dir ? pin_dir : lwfp_default_pin_dir());
	if (!e)
		return -errno;
	e->dir_fd = pin_dir_open(e->pin_dir, why, sizeof(why));
	if (e->dir_fd < 0) {
		err = e->dir_fd;
		goto fail;
	}
	err = open_maps(e);
	if (err)
		goto fail;
	*out = e;
	return 0;
fail:
	lwfp_engine_close(e);
	return err;
}

LWFP_API const char *lwfp_engine_pin_dir(const struct lwfp_engine *e)
{
	return e->pin_dir;
}

LWFP_API const char *lwfp_engine_cgroup(const struct lwfp_engine *e)
{
	return e->cgroup;
}

LWFP_API uint32_t lwfp_engine_max_flows_per_uid(const struct lwfp_engine *e)
{
	return e->max_flows_per_uid;
}

/* ---- up ---------------------------------------------------------------- */

static bool is_bpffs(const char *path)
{
	struct statfs sf;

	return !statfs(path, &sf) && sf.f_type == BPF_FS_MAGIC;
}

/*
 * Hosts without systemd may leave /sys/fs/bpf unmounted; mount it there, as
 * bpftool does, but never mount bpffs anywhere else behind the user's back.
 */
static int ensure_bpffs(const char *dir)
{
	char parent[PATH_MAX], *slash;

	if (snprintf(parent, sizeof(parent), "%s", dir) >= (int)sizeof(parent))
		return -ENAMETOOLONG;
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return 0;
	*slash = 0;
	if (is_bpffs(parent) || strcmp(parent, "/sys/fs/bpf"))
		return 0;
	return mount("bpf", parent, "bpf", 0, "mode=0700") ? -errno : 0;
}

static int make_pin_dir(const char *dir)
{
	struct statfs sf;
	int err;

	err = ensure_bpffs(dir);
	if (err)
		return err;
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (statfs(dir, &sf))
		return -errno;
	/* Pins only survive on bpffs. */
	return sf.f_type == BPF_FS_MAGIC ? 0 : -ENOTSUP;
}

static int link_pin_name(char *buf, size_t size, const struct bpf_program *prog)
{
	return snprintf(buf, size, "link_%s", bpf_program__name(prog)) >= (int)size ? -ENAMETOOLONG : 0;
}

static bool pin_exists(const char *pin_dir, const char *name)
{
	char path[PATH_MAX];

	return !pin_path(path, sizeof(path), pin_dir, name) && !access(path, F_OK);
}

/* Where the programs go on the cgroup: next to a program, or first (order.c). */
struct attach_order {
	uint32_t before_id, after_id;
};

/*
 * Only ever a link: a link adds a program (BPF_F_ALLOW_MULTI) and can
 * neither replace nor detach one lwfp did not attach.
 */
static int attach_one(struct bpf_program *prog, int cg_fd, const char *pin_dir,
		      const struct attach_order *o)
{
	enum bpf_attach_type type = bpf_program__expected_attach_type(prog);
	char name[64], path[PATH_MAX];
	uint32_t flags, rel;
	int fd, err;

	err = link_pin_name(name, sizeof(name), prog);
	if (err || pin_exists(pin_dir, name))
		return err;
	err = pin_path(path, sizeof(path), pin_dir, name);
	if (!err)
		err = order_flags(cg_fd, type, o->before_id, o->after_id, &flags, &rel);
	if (err)
		return err;
	fd = mprog_link_create(bpf_program__fd(prog), cg_fd, type, flags, rel);
	if (fd < 0)
		return fd;
	/* The pin holds the link now; closing our fd must not detach it. */
	err = bpf_obj_pin(fd, path) ? -errno : 0;
	close(fd);
	return err;
}

static bool map_listed(const char *name)
{
	int i;

	for (i = 0; i < MAP__COUNT; i++)
		if (!strcmp(map_name(i), name))
			return true;
	return false;
}

/*
 * Every map is pinned; one missing from LWFP_MAPS would outlive `down`, so
 * it is refused here, where every test notices.
 */
static int set_map_pins(struct lwfp_bpf *skel, const char *pin_dir)
{
	char path[PATH_MAX];
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, skel->obj) {
		if (!map_listed(bpf_map__name(map)))
			return -EPROTO;
		err = pin_path(path, sizeof(path), pin_dir, bpf_map__name(map));
		if (!err)
			err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return 0;
}

static int init_config(struct lwfp_bpf *skel, const char *cgroup, uint64_t cg_id)
{
	int fd = bpf_map__fd(skel->maps.lwfp_config);
	struct lwfp_config cfg = {};
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		return -errno;
	if (cfg.abi_version) {
		/* Adopting a pinned engine: it must be the same cgroup. */
		return cfg.cgroup_id == cg_id ? 0 : -EEXIST;
	}
	cfg.abi_version = LWFP_LAYOUT_VERSION;
	cfg.next_filter_id = 1;
	cfg.cgroup_id = cg_id;
	if (strlen(cgroup) >= sizeof(cfg.cgroup))
		return -ENAMETOOLONG;
	memcpy(cfg.cgroup, cgroup, strlen(cgroup) + 1);
	return bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

/*
 * Engines in one network namespace share 127.128.0.0/9: each starts handing
 * out flow addresses at a random point, so that two rarely meet.
 */
static int seed_udp(struct lwfp_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.lwfp_udp_seq);
	uint32_t zero = 0, seed;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		return -errno;
	return bpf_map_update_elem(fd, &zero, &seed, BPF_ANY) ? -errno : 0;
}

/* libbpf's verifier logs are for developers: LWFP_DEBUG=1 shows them. */
static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!getenv("LWFP_DEBUG") || (level == LIBBPF_DEBUG && strcmp(getenv("LWFP_DEBUG"), "2")))
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int load_and_attach(const char *pin_dir, const char *cgroup, uint64_t cg_id,
			   const struct attach_order *o)
{
	struct bpf_program *prog;
	struct lwfp_bpf *skel;
	libbpf_print_fn_t old;
	int cg_fd, err;

	old = libbpf_set_print(quiet_print);
	skel = lwfp_bpf__open();
	libbpf_set_print(old);
	if (!skel)
		return -errno;
	err = set_map_pins(skel, pin_dir);
	if (!err) {
		old = libbpf_set_print(quiet_print);
		err = lwfp_bpf__load(skel);
		libbpf_set_print(old);
	}
	if (!err)
		err = init_config(skel, cgroup, cg_id);
	if (!err)
		err = seed_udp(skel);
	if (err)
		goto out;
	cg_fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0) {
		err = -errno;
		goto out;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		err = attach_one(prog, cg_fd, pin_dir, o);
		if (err)
			break;
	}
	close(cg_fd);
	if (!err) {
		/* A kernel without the verdict's kfunc (6.1) is not an error of up's. */
		old = libbpf_set_print(quiet_print);
		offload_attach(bpf_map__fd(skel->maps.lwfp_offload_tx),
			       bpf_map__fd(skel->maps.lwfp_offload_rx),
			       bpf_map__fd(skel->maps.lwfp_offload_dir), pin_dir);
		libbpf_set_print(old);
	}
out:
	lwfp_bpf__destroy(skel);
	return err;
}

static int unpin_all(const char *pin_dir);

/* Is every program of this build attached and pinned here already? */
static bool fully_up(const char *pin_dir)
{
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		snprintf(name, sizeof(name), "link_%s", progs[i]);
		if (!pin_exists(pin_dir, name))
			return false;
	}
	return pin_exists(pin_dir, map_name(MAP_CONFIG));
}

/*
 * With the pin directory locked, once the engine is loaded: it must be
 * attached to this cgroup, and a cap given (not 0) replaces the one pinned.
 * The data plane reads the cap on every new flow, so it holds at once, for
 * the flows to come.
 */
static int adopt(const char *pin_dir, uint64_t cg_id, uint32_t cap)
{
	struct lwfp_engine *e;
	struct lwfp_config cfg;
	int err;

	err = lwfp_engine_open(pin_dir, &e);
	if (err)
		return err;
	err = config_read(e, &cfg);
	if (!err && cfg.cgroup_id != cg_id)
		err = -EEXIST;
	if (!err && cap && cfg.max_flows_per_uid != cap) {
		cfg.max_flows_per_uid = cap;
		err = config_write(e, &cfg);
	}
	lwfp_engine_close(e);
	return err;
}

/* A new attachment, unless another engine is on the cgroup's path. */
static int attach_new(const char *pin_dir, const char *cgroup, uint64_t cg_id,
		      const struct attach_order *o)
{
	struct lwfp_engine_peer peer;
	int err;

	err = lwfp_engine_find_other(cgroup, pin_dir, &peer);
	if (err < 0)
		return err;
	if (err > 0)
		return -EBUSY;
	return load_and_attach(pin_dir, cgroup, cg_id, o);
}

/* The fields of opts this caller's size has, checked. */
static int up_opts(const struct lwfp_engine_opts *opts, const char **pin_dir, const char **cg,
		   uint32_t *cap, struct attach_order *order)
{
	if (!OPTS_VALID(opts, lwfp_engine_opts))
		return -EINVAL;
	if (OPTS_GET(opts, pin_dir, NULL))
		*pin_dir = opts->pin_dir;
	*cg = OPTS_GET(opts, cgroup, NULL);
	*cap = OPTS_GET(opts, max_flows_per_uid, 0);
	order->before_id = OPTS_GET(opts, before_id, 0);
	order->after_id = OPTS_GET(opts, after_id, 0);
	if (*cap > LWFP_MAX_FLOWS || (order->before_id && order->after_id))
		return -EINVAL;
	if ((order->before_id || order->after_id) && !mprog_supported())
		return -EOPNOTSUPP;
	return 0;
}

LWFP_API int lwfp_engine_up(const struct lwfp_engine_opts *opts, struct lwfp_engine **out)
{
	const char *pin_dir = lwfp_default_pin_dir(), *cg = NULL;
	char cgroup[PATH_MAX], why[80];
	struct attach_order order = { 0 };
	bool fresh;
	uint64_t cg_id;
	uint32_t level, cap = 0;
	int dir_fd, err;

	err = up_opts(opts, &pin_dir, &cg, &cap, &order);
	if (!err)
		err = lwfp_cgroup_resolve(cg ? cg : "/", cgroup, sizeof(cgroup));
	if (!err)
		err = lwfp_cgroup_id(cgroup, &cg_id, &level);
	if (err)
		return err;
	err = make_pin_dir(pin_dir);
	if (err)
		return err;
	dir_fd = pin_dir_open(pin_dir, why, sizeof(why));
	if (dir_fd < 0)
		return dir_fd;
	if (flock(dir_fd, LOCK_EX)) {
		err = -errno;
		close(dir_fd);
		return err;
	}
	fresh = !pin_exists(pin_dir, map_name(MAP_CONFIG));
	if (!fully_up(pin_dir))
		err = attach_new(pin_dir, cgroup, cg_id, &order);
	if (!err)
		err = adopt(pin_dir, cg_id, cap);
	/* In this namespace too when the engine was up already: see route.c. */
	if (!err)
		err = udp6_route_add();
	/* A failed first bring-up leaves nothing behind. */
	if (err && fresh)
		unpin_all(pin_dir);
	close(dir_fd);
	if (err)
		return err;
	return out ? lwfp_engine_open(pin_dir, out) : 0;
}

/* ---- down -------------------------------------------------------------- */

static int unpin_all(const char *pin_dir)
{
	char name[64], path[PATH_MAX];
	int found = 0;
	size_t i;

	/* Links first, so nothing runs against maps being removed. */
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		snprintf(name, sizeof(name), "link_%s", progs[i]);
		if (!pin_path(path, sizeof(path), pin_dir, name) && !unlink(path))
			found++;
	}
	offload_unpin(pin_dir);
	for (i = 0; i < MAP__COUNT; i++)
		if (!pin_path(path, sizeof(path), pin_dir, map_name(i)) && !unlink(path))
			found++;
	rmdir(pin_dir);
	return found ? 0 : -ENOENT;
}

LWFP_API int lwfp_engine_down(const char *pin_dir)
{
	int dir_fd, err;

	if (!pin_dir)
		pin_dir = lwfp_default_pin_dir();
	dir_fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return errno == ENOTDIR ? -ENOENT : -errno;
	flock(dir_fd, LOCK_EX);
	err = unpin_all(pin_dir);
	if (!err)
		err = udp6_route_del(pin_dir);
	close(dir_fd);
	return err;
}
