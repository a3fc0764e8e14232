// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Services: the analogue of a WFP redirect handle. A service's handle is its
 * slot in lwfp_services plus one, so the data plane finds it without a search.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <lwfp/engine.h>
#include <lwfp/lwfp.h>

#include "internal.h"
#include "opts.h"

static int slot_read(int fd, uint32_t slot, struct lwfp_service *s)
{
	return bpf_map_lookup_elem(fd, &slot, s) ? -errno : 0;
}

/* By name, else by handle; with neither, a free slot. */
static bool slot_matches(struct lwfp_service *s, const char *name, uint32_t handle)
{
	if (!name && !handle)
		return !s->handle;
	if (!s->handle)
		return false;
	s->name[LWFP_NAME_MAX - 1] = 0;
	return name ? !strcmp(s->name, name) : s->handle == handle;
}

/*
 * The first slot that matches (slot_matches): its value in *out and its
 * index in *slot, each when not NULL. -ENOENT, or -ENOSPC when no slot is
 * free.
 */
static int slots_scan(int fd, const char *name, uint32_t handle, struct lwfp_service *out,
		      uint32_t *slot)
{
	struct lwfp_service s;
	uint32_t i;
	int err;

	for (i = 0; i < LWFP_MAX_SERVICES; i++) {
		err = slot_read(fd, i, &s);
		if (err)
			return err;
		if (!slot_matches(&s, name, handle))
			continue;
		if (out)
			*out = s;
		if (slot)
			*slot = i;
		return 0;
	}
	return !name && !handle ? -ENOSPC : -ENOENT;
}

static int services_scan(int fd, const char *name, uint32_t handle, struct lwfp_service *out)
{
	return slots_scan(fd, name, handle, out, NULL);
}

static int service_lookup(struct lwfp_engine *e, const char *name, struct lwfp_service *out)
{
	if (!name)
		return -EINVAL;
	return services_scan(e->services_fd, name, 0, out);
}

/* The API's answer: the service as engine.h describes it. */
static int service_answer(int err, const struct lwfp_service *s, struct lwfp_service_info *out)
{
	if (!err && out)
		service_info(out, s);
	return err;
}

LWFP_API int lwfp_service_find(struct lwfp_engine *e, const char *name,
			       struct lwfp_service_info *out)
{
	struct lwfp_service s;

	return service_answer(service_lookup(e, name, &s), &s, out);
}

LWFP_API int lwfp_service_by_handle(struct lwfp_engine *e, uint32_t handle,
				    struct lwfp_service_info *out)
{
	struct lwfp_service s;

	if (!handle || handle > LWFP_MAX_SERVICES)
		return -ENOENT;
	return service_answer(services_scan(e->services_fd, NULL, handle, &s), &s, out);
}

/* Every service in use, in slot order; a non-zero return from cb stops. */
static int services_each(struct lwfp_engine *e,
			 int (*cb)(const struct lwfp_service *s, void *ctx), void *ctx)
{
	struct lwfp_service s;
	uint32_t i;
	int err;

	for (i = 0; i < LWFP_MAX_SERVICES; i++) {
		err = slot_read(e->services_fd, i, &s);
		if (err)
			return err;
		if (!s.handle)
			continue;
		s.name[LWFP_NAME_MAX - 1] = 0;
		err = cb(&s, ctx);
		if (err)
			return err;
	}
	return 0;
}

struct service_each_ctx {
	int (*cb)(const struct lwfp_service_info *s, void *ctx);
	void *ctx;
};

static int service_each_info(const struct lwfp_service *s, void *ctx)
{
	struct service_each_ctx *c = ctx;
	struct lwfp_service_info info;

	service_info(&info, s);
	return c->cb(&info, c->ctx);
}

LWFP_API int lwfp_service_foreach(struct lwfp_engine *e,
				  int (*cb)(const struct lwfp_service_info *s, void *ctx),
				  void *ctx)
{
	struct service_each_ctx c = { cb, ctx };

	return services_each(e, service_each_info, &c);
}

static bool name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;
	size_t i;

	if (!len || len >= LWFP_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (name[i] <= ' ' || name[i] == 0x7f)
			return false;
	return true;
}

/* A random (version 4) UUID for a service registered without a provider. */
static int random_uuid(uint8_t out[16])
{
	if (getrandom(out, 16, 0) != 16)
		return -EIO;
	out[6] = (out[6] & 0x0f) | 0x40;
	out[8] = (out[8] & 0x3f) | 0x80;
	return 0;
}

static int service_fill(struct lwfp_service *s, const struct lwfp_service_opts *o)
{
	uint64_t cg_id;
	uint32_t level;
	int err;

	memset(s, 0, sizeof(*s));
	memcpy(s->name, o->name, strlen(o->name));
	s->id_kind = o->id_kind;
	switch (o->id_kind) {
	case LWFP_ID_UID:
	case LWFP_ID_PID:
		if (o->id_value > UINT32_MAX)
			return -EINVAL;
		s->id_value = o->id_value;
		break;
	case LWFP_ID_CGROUP:
		err = lwfp_cgroup_id(o->cgroup, &cg_id, &level);
		if (err)
			return err;
		s->id_value = cg_id;
		s->cgroup_level = level;
		break;
	default:
		return -EINVAL;
	}
	if (o->provider) {
		memcpy(s->provider, o->provider, 16);
		return 0;
	}
	return random_uuid(s->provider);
}

static int free_slot(int fd, uint32_t *slot)
{
	return slots_scan(fd, NULL, 0, NULL, slot);
}

/* ---- The identity index (bpf/layout.h, struct lwfp_id_index) ------------- */

struct id_entry {
	uint64_t key;
	uint32_t handle;
};

/* Adds key -> handle to a list, keeping the lowest handle for each key. */
static void id_note(struct id_entry *list, uint32_t *n, uint64_t key, uint32_t handle)
{
	uint32_t i;

	for (i = 0; i < *n; i++) {
		if (list[i].key == key) {
			if (handle < list[i].handle)
				list[i].handle = handle;
			return;
		}
	}
	list[*n].key = key;
	list[*n].handle = handle;
	(*n)++;
}

static bool id_listed(const struct id_entry *list, uint32_t n, uint64_t key)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (list[i].key == key)
			return true;
	return false;
}

/* A map key of key_size (4 or 8) bytes as a number, and back. */
static uint64_t id_key_get(const void *k, size_t key_size)
{
	uint32_t k32;
	uint64_t k64;

	if (key_size == 4) {
		memcpy(&k32, k, 4);
		return k32;
	}
	memcpy(&k64, k, 8);
	return k64;
}

static void id_key_put(void *k, size_t key_size, uint64_t v)
{
	uint32_t k32 = (uint32_t)v;

	if (key_size == 4)
		memcpy(k, &k32, 4);
	else
		memcpy(k, &v, 8);
}

/* Makes one identity map hold exactly the list: new values first, then deletions. */
static int id_map_sync(int fd, const struct id_entry *list, uint32_t n, size_t key_size)
{
	uint8_t key[8] = {}, next[8] = {}, stale[LWFP_MAX_SERVICES][8];
	uint32_t i, nstale = 0;
	void *prev = NULL;

	for (i = 0; i < n; i++) {
		id_key_put(key, key_size, list[i].key);
		if (bpf_map_update_elem(fd, key, &list[i].handle, BPF_ANY))
			return -errno;
	}
	while (nstale < LWFP_MAX_SERVICES && !bpf_map_get_next_key(fd, prev, next)) {
		if (!id_listed(list, n, id_key_get(next, key_size)))
			memcpy(stale[nstale++], next, sizeof(next));
		memcpy(key, next, sizeof(key));
		prev = key;
	}
	for (i = 0; i < nstale; i++)
		bpf_map_delete_elem(fd, stale[i]);
	return 0;
}

struct id_lists {
	struct id_entry uid[LWFP_MAX_SERVICES], pid[LWFP_MAX_SERVICES], cg[LWFP_MAX_SERVICES];
	struct lwfp_id_index ix;
};

static int id_collect(const struct lwfp_service *s, void *ctx)
{
	struct id_lists *l = ctx;

	switch (s->id_kind) {
	case LWFP_ID_UID:
		id_note(l->uid, &l->ix.uids, (uint32_t)s->id_value, s->handle);
		break;
	case LWFP_ID_PID:
		id_note(l->pid, &l->ix.pids, (uint32_t)s->id_value, s->handle);
		break;
	case LWFP_ID_CGROUP:
		id_note(l->cg, &l->ix.cgroups, s->id_value, s->handle);
		if (s->cgroup_level < LWFP_ID_LEVELS)
			l->ix.cgroup_levels |= 1ull << s->cgroup_level;
		else
			l->ix.ready = 0; /* deeper than the index reaches: scan */
		break;
	}
	return 0;
}

/*
 * Rebuilds the index from lwfp_services; called with the engine lock held
 * after every change of the services. An engine whose pins predate the
 * index has no such maps: its data plane scans, so there is nothing to do.
 */
static int id_index_rebuild(struct lwfp_engine *e)
{
	struct id_lists l = { .ix = { .ready = 1 } };
	int fd_ix, fd_uid = -1, fd_pid = -1, fd_cg = -1, err;
	uint32_t zero = 0;

	err = services_each(e, id_collect, &l);
	if (err)
		return err;
	fd_ix = map_open(e->pin_dir, MAP_ID_INDEX);
	if (fd_ix == -ENOENT)
		return 0;
	if (fd_ix < 0)
		return fd_ix;
	fd_uid = map_open(e->pin_dir, MAP_ID_UID);
	fd_pid = map_open(e->pin_dir, MAP_ID_PID);
	fd_cg = map_open(e->pin_dir, MAP_ID_CGROUP);
	err = fd_uid < 0 ? fd_uid : fd_pid < 0 ? fd_pid : fd_cg < 0 ? fd_cg : 0;
	if (!err)
		err = id_map_sync(fd_uid, l.uid, l.ix.uids, 4);
	if (!err)
		err = id_map_sync(fd_pid, l.pid, l.ix.pids, 4);
	if (!err)
		err = id_map_sync(fd_cg, l.cg, l.ix.cgroups, 8);
	if (err)
		l.ix.ready = 0; /* a partial index must not be trusted */
	if (bpf_map_update_elem(fd_ix, &zero, &l.ix, BPF_ANY) && !err)
		err = -errno;
	close(fd_ix);
	if (fd_uid >= 0)
		close(fd_uid);
	if (fd_pid >= 0)
		close(fd_pid);
	if (fd_cg >= 0)
		close(fd_cg);
	return err;
}

static int service_insert(struct lwfp_engine *e, struct lwfp_service *s, uint32_t *handle)
{
	struct lwfp_config cfg;
	uint32_t slot;
	int err;

	if (!services_scan(e->services_fd, s->name, 0, NULL))
		return -EEXIST;
	err = free_slot(e->services_fd, &slot);
	if (!err)
		err = config_read(e, &cfg);
	if (err)
		return err;
	s->handle = slot + 1;
	if (bpf_map_update_elem(e->services_fd, &slot, s, BPF_ANY))
		return -errno;
	if (cfg.nservices < slot + 1) {
		cfg.nservices = slot + 1;
		err = config_write(e, &cfg);
		if (err)
			return err;
	}
	*handle = s->handle;
	return id_index_rebuild(e);
}

/*
 * opts valid (lib/opts.h), up to the identity at least, with a valid name
 * and, for a cgroup identity, a cgroup.
 */
static bool service_opts_ok(const struct lwfp_service_opts *opts)
{
	if (!OPTS_VALID(opts, lwfp_service_opts) || !OPTS_HAS(opts, id_value))
		return false;
	if (!name_valid(opts->name))
		return false;
	return opts->id_kind != LWFP_ID_CGROUP || OPTS_GET(opts, cgroup, NULL);
}

LWFP_API int lwfp_service_add(struct lwfp_engine *e, const struct lwfp_service_opts *opts,
			      uint32_t *handle)
{
	struct lwfp_service s;
	int err;

	if (!service_opts_ok(opts) || !handle)
		return -EINVAL;
	err = service_fill(&s, opts);
	if (err)
		return err;
	err = engine_lock(e);
	if (err)
		return err;
	err = service_insert(e, &s, handle);
	engine_unlock(e);
	return err;
}

static int service_rewrite(struct lwfp_engine *e, struct lwfp_service *s)
{
	struct lwfp_service old;
	uint32_t slot;
	int err;

	err = services_scan(e->services_fd, s->name, 0, &old);
	if (err)
		return err;
	s->handle = old.handle;
	if (!memcmp(s->provider, (uint8_t[16]){ 0 }, 16))
		memcpy(s->provider, old.provider, 16);
	slot = old.handle - 1;
	if (bpf_map_update_elem(e->services_fd, &slot, s, BPF_ANY))
		return -errno;
	return id_index_rebuild(e);
}

LWFP_API int lwfp_service_update(struct lwfp_engine *e, const struct lwfp_service_opts *opts)
{
	struct lwfp_service_opts o;
	struct lwfp_service s;
	static const uint8_t none[16];
	int err;

	if (!service_opts_ok(opts))
		return -EINVAL;
	/* Not o = *opts: an older caller's struct may end before ours. */
	memset(&o, 0, sizeof(o));
	memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	o.provider = opts->provider ? opts->provider : none;
	err = service_fill(&s, &o);
	if (err)
		return err;
	err = engine_lock(e);
	if (err)
		return err;
	err = service_rewrite(e, &s);
	engine_unlock(e);
	return err;
}

/* The side entries of the service's filters, once the table without them is live. */
static void service_filters_drop(struct lwfp_engine *e, const struct lwfp_filter *fs,
				 uint32_t n, uint32_t handle)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (fs[i].service != handle)
			continue;
		/* Its counters too: the map would fill with those of gone filters. */
		filter_side_drop(e, fs[i].id);
	}
}

/* Removes every filter that redirects to the service, then the service. */
static int service_remove(struct lwfp_engine *e, const struct lwfp_service *s)
{
	struct lwfp_filter *fs, *kept;
	struct lwfp_service empty = {};
	uint32_t n, i, nkept = 0, slot = s->handle - 1;
	int err;

	err = filters_load(e, &fs, &n);
	if (err)
		return err;
	kept = malloc((n ? n : 1) * sizeof(*kept));
	if (!kept) {
		free(fs);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (fs[i].service != s->handle)
			kept[nkept++] = fs[i];
	}
	err = nkept == n ? 0 : filters_publish(e, kept, nkept);
	if (!err)
		service_filters_drop(e, fs, n, s->handle);
	free(kept);
	free(fs);
	if (err)
		return err;
	if (bpf_map_update_elem(e->services_fd, &slot, &empty, BPF_ANY))
		return -errno;
	return id_index_rebuild(e);
}

LWFP_API int lwfp_service_del(struct lwfp_engine *e, const char *name)
{
	struct lwfp_service s;
	int err;

	err = engine_lock(e);
	if (err)
		return err;
	err = service_lookup(e, name, &s);
	if (!err)
		err = service_remove(e, &s);
	engine_unlock(e);
	return err;
}

/* The native API's way to a handle: read-only, straight from the pins. */
LWFP_API int lwfp_service_handle(const char *pin_dir, const char *name, uint32_t *handle)
{
	struct lwfp_service s;
	int fd, err;

	if (!name || !handle)
		return -EINVAL;
	fd = map_open(pin_dir ? pin_dir : lwfp_default_pin_dir(), MAP_SERVICES);
	if (fd < 0)
		return fd;
	err = services_scan(fd, name, 0, &s);
	close(fd);
	if (!err)
		*handle = s.handle;
	return err;
}
