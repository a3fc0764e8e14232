// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event readers: each monitor has a ring of its own in one slot of
 * lwfp_ev_slots (bpf/layout.h says why). A slot is claimed and released under the
 * engine's lock; a slot whose owner is gone (killed, so it never released
 * it) is reclaimed: the owner is named by pid and start time, because a
 * pid alone may have been reused by a live process since.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <lwfp/engine.h>

#include "internal.h"

struct lwfp_monitor {
	struct lwfp_engine *e;
	struct ring_buffer *rb;
	lwfp_event_cb cb;
	void *ctx;
	int ring_fd, slots_fd, drops_fd, owners_fd, mask_fd;
	uint32_t slot;
	struct lwfp_ev_owner me;
};

/* Field 22 of /proc/PID/stat, in clock ticks; 0 when the process is gone or dead. */
static uint64_t proc_start(uint32_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	char state = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* comm may hold spaces and parentheses: fields resume after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu", &state, &start) != 2)
		return 0;
	/* A zombie's stat stays until it is reaped, but it reads no more events. */
	return state == 'Z' || state == 'X' ? 0 : start;
}

/* A slot is free when empty, or when its owner is no longer the process it was. */
static bool slot_free(struct lwfp_monitor *m, uint32_t slot)
{
	struct lwfp_ev_owner o;
	uint32_t inner;

	if (bpf_map_lookup_elem(m->slots_fd, &slot, &inner))
		return true;
	if (bpf_map_lookup_elem(m->owners_fd, &slot, &o) || !o.start)
		return true;
	return proc_start(o.pid) != o.start;
}

/* With the engine lock held: the data plane only reads the mask. */
static int mask_set(struct lwfp_monitor *m, uint32_t slot, bool on)
{
	uint64_t mask;
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(m->mask_fd, &zero, &mask))
		return -errno;
	mask = on ? mask | 1ULL << slot : mask & ~(1ULL << slot);
	return bpf_map_update_elem(m->mask_fd, &zero, &mask, BPF_ANY) ? -errno : 0;
}

/* The owner is written first: killed before the ring goes in, the slot stays reclaimable. */
static int slot_take(struct lwfp_monitor *m, uint32_t slot)
{
	uint64_t zero = 0;

	if (bpf_map_update_elem(m->owners_fd, &slot, &m->me, BPF_ANY) ||
	    bpf_map_update_elem(m->drops_fd, &slot, &zero, BPF_ANY) ||
	    bpf_map_update_elem(m->slots_fd, &slot, &m->ring_fd, BPF_ANY))
		return -errno;
	m->slot = slot;
	return mask_set(m, slot, true);
}

static int slot_claim(struct lwfp_monitor *m)
{
	uint32_t slot;
	int err;

	m->me.pid = getpid();
	m->me.start = proc_start(m->me.pid);
	if (!m->me.start)
		return -ESRCH;
	err = engine_lock(m->e);
	if (err)
		return err;
	err = -EBUSY;
	for (slot = 0; slot < LWFP_EV_SLOTS && err == -EBUSY; slot++) {
		if (slot_free(m, slot))
			err = slot_take(m, slot);
	}
	engine_unlock(m->e);
	return err;
}

/* Only while the slot is still ours: a reclaimer may have judged us gone. */
static void slot_release(struct lwfp_monitor *m)
{
	struct lwfp_ev_owner o, none = { 0 };

	if (engine_lock(m->e))
		return;
	if (!bpf_map_lookup_elem(m->owners_fd, &m->slot, &o) && o.pid == m->me.pid &&
	    o.start == m->me.start) {
		mask_set(m, m->slot, false);
		bpf_map_delete_elem(m->slots_fd, &m->slot);
		bpf_map_update_elem(m->owners_fd, &m->slot, &none, BPF_ANY);
	}
	engine_unlock(m->e);
}

static int monitor_sample(void *ctx, void *data, size_t size)
{
	struct lwfp_monitor *m = ctx;
	struct lwfp_event_info info;
	struct lwfp_event ev = {};

	/* The ring may come from a newer data plane with a longer record. */
	memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
	event_info(&info, &ev);
	return m->cb(&info, m->ctx);
}

static int monitor_open(struct lwfp_monitor *m)
{
	m->slots_fd = map_open(m->e->pin_dir, MAP_EV_SLOTS);
	m->drops_fd = map_open(m->e->pin_dir, MAP_EV_DROPS);
	m->owners_fd = map_open(m->e->pin_dir, MAP_EV_OWNERS);
	m->mask_fd = map_open(m->e->pin_dir, MAP_EV_MASK);
	if (m->slots_fd < 0)
		return m->slots_fd;
	if (m->drops_fd < 0 || m->owners_fd < 0 || m->mask_fd < 0)
		return -ENOENT;
	/* The size must be the data plane's: a map in a map matches its template. */
	m->ring_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "lwfp_monitor", 0, 0,
				    LWFP_EV_RING_BYTES, NULL);
	if (m->ring_fd < 0)
		return -errno;
	m->rb = ring_buffer__new(m->ring_fd, monitor_sample, m, NULL);
	if (!m->rb)
		return -errno;
	return slot_claim(m);
}

static void monitor_close_fds(struct lwfp_monitor *m)
{
	ring_buffer__free(m->rb);
	if (m->ring_fd >= 0)
		close(m->ring_fd);
	if (m->slots_fd >= 0)
		close(m->slots_fd);
	if (m->drops_fd >= 0)
		close(m->drops_fd);
	if (m->owners_fd >= 0)
		close(m->owners_fd);
	if (m->mask_fd >= 0)
		close(m->mask_fd);
}

LWFP_API int lwfp_monitor_new(struct lwfp_engine *e, lwfp_event_cb cb, void *ctx,
			      struct lwfp_monitor **out)
{
	struct lwfp_monitor *m;
	int err;

	if (!e || !cb || !out)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	*m = (struct lwfp_monitor){ .e = e, .cb = cb, .ctx = ctx, .slot = LWFP_EV_SLOTS,
				    .ring_fd = -1, .slots_fd = -1, .drops_fd = -1,
				    .owners_fd = -1, .mask_fd = -1 };
	err = monitor_open(m);
	if (err) {
		monitor_close_fds(m);
		free(m);
		return err;
	}
	*out = m;
	return 0;
}

LWFP_API int lwfp_monitor_poll(struct lwfp_monitor *m, int timeout_ms)
{
	return ring_buffer__poll(m->rb, timeout_ms);
}

LWFP_API int lwfp_monitor_slot(const struct lwfp_monitor *m)
{
	return m ? (int)m->slot : -EINVAL;
}

LWFP_API int lwfp_monitor_drops(struct lwfp_monitor *m, uint64_t *drops)
{
	if (!m || !drops)
		return -EINVAL;
	return bpf_map_lookup_elem(m->drops_fd, &m->slot, drops) ? -errno : 0;
}

LWFP_API void lwfp_monitor_free(struct lwfp_monitor *m)
{
	if (!m)
		return;
	if (m->slot < LWFP_EV_SLOTS)
		slot_release(m);
	monitor_close_fds(m);
	free(m);
}
