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

static int slot_read(int fd, uint32_t slot, struct lwfp_service *s)
{
	return bpf_map_lookup_elem(fd, &slot, s) ? -errno : 0;
}

static int services_scan(int fd, const char *name, uint32_t handle, struct lwfp_service *out)
{
	struct lwfp_service s;
	uint32_t i;
	int err;

	for (i = 0; i < LWFP_MAX_SERVICES; i++) {
		err = slot_read(fd, i, &s);
		if (err)
			return err;
		if (!s.handle)
			continue;
		s.name[LWFP_NAME_MAX - 1] = 0;
		if ((name && !strcmp(s.name, name)) || (!name && s.handle == handle)) {
			if (out)
				*out = s;
			return 0;
		}
	}
	return -ENOENT;
}

LWFP_API int lwfp_service_find(struct lwfp_engine *e, const char *name, struct lwfp_service *out)
{
	if (!name)
		return -EINVAL;
	return services_scan(e->services_fd, name, 0, out);
}

LWFP_API int lwfp_service_by_handle(struct lwfp_engine *e, uint32_t handle, struct lwfp_service *out)
{
	if (!handle || handle > LWFP_MAX_SERVICES)
		return -ENOENT;
	return services_scan(e->services_fd, NULL, handle, out);
}

LWFP_API int lwfp_service_foreach(struct lwfp_engine *e,
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
	struct lwfp_service s;
	uint32_t i;
	int err;

	for (i = 0; i < LWFP_MAX_SERVICES; i++) {
		err = slot_read(fd, i, &s);
		if (err)
			return err;
		if (!s.handle) {
			*slot = i;
			return 0;
		}
	}
	return -ENOSPC;
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
	return 0;
}

LWFP_API int lwfp_service_add(struct lwfp_engine *e, const struct lwfp_service_opts *opts,
			      uint32_t *handle)
{
	struct lwfp_service s;
	int err;

	if (!opts || opts->sz < offsetof(struct lwfp_service_opts, cgroup) || !handle)
		return -EINVAL;
	if (!name_valid(opts->name))
		return -EINVAL;
	if (opts->id_kind == LWFP_ID_CGROUP &&
	    (opts->sz <= offsetof(struct lwfp_service_opts, cgroup) || !opts->cgroup))
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

/* Removes every filter that redirects to the service, then the service. */
static int service_remove(struct lwfp_engine *e, const struct lwfp_service *s)
{
	struct lwfp_filter *fs;
	struct lwfp_service empty = {};
	uint32_t n, i, kept = 0, slot = s->handle - 1;
	int err;

	err = filters_load(e, &fs, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		if (fs[i].service == s->handle) {
			bpf_map_delete_elem(e->filter_raw_fd, &fs[i].id);
			continue;
		}
		fs[kept++] = fs[i];
	}
	err = kept == n ? 0 : filters_publish(e, fs, kept);
	free(fs);
	if (err)
		return err;
	return bpf_map_update_elem(e->services_fd, &slot, &empty, BPF_ANY) ? -errno : 0;
}

LWFP_API int lwfp_service_del(struct lwfp_engine *e, const char *name)
{
	struct lwfp_service s;
	int err;

	err = engine_lock(e);
	if (err)
		return err;
	err = lwfp_service_find(e, name, &s);
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
	fd = pin_open(pin_dir ? pin_dir : lwfp_default_pin_dir(), MAP_SERVICES);
	if (fd < 0)
		return fd;
	err = services_scan(fd, name, 0, &s);
	close(fd);
	if (!err)
		*handle = s.handle;
	return err;
}
