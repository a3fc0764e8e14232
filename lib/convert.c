// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The control API's structs (lwfp/engine.h) from the map layouts
 * (bpf/layout.h) and back. They are apart so that a map can change without
 * an ABI change: a field that moves, or one only the data plane reads,
 * changes here and nowhere in the API.
 */
#include <string.h>

#include <lwfp/engine.h>

#include "internal.h"

/* Field by field, with arrays of the same size on both sides. */
#define COPY(f) d->f = s->f;
#define COPY_ARRAY(f)                                                        \
	_Static_assert(sizeof(d->f) == sizeof(s->f), "size of " #f);          \
	memcpy(d->f, s->f, sizeof(d->f));

#define FILTER_FIELDS(X, A)                                                   \
	X(id) X(service) X(weight) X(conds) X(action) X(fail) X(ctx_kind)     \
	X(proto) X(family) X(dst_plen) X(raw_len) A(dst) X(dport_lo)          \
	X(dport_hi) X(sport_lo) X(sport_hi) X(uid_lo) X(uid_hi) X(gid)        \
	X(cgroup_level) X(cgroup_id) X(origin_cgroup_id) X(to)                \
	X(idle_timeout_s) X(flags) A(app_ino) A(app_dev) X(host_hash) A(host)

void filter_spec_get(struct lwfp_filter_spec *d, const struct lwfp_filter *s)
{
	memset(d, 0, sizeof(*d));
	FILTER_FIELDS(COPY, COPY_ARRAY)
}

void filter_spec_put(struct lwfp_filter *d, const struct lwfp_filter_spec *s)
{
	memset(d, 0, sizeof(*d));
	FILTER_FIELDS(COPY, COPY_ARRAY)
}

#define SERVICE_FIELDS(X, A)                                                  \
	X(handle) X(id_kind) X(id_value) A(provider) A(name)

void service_info(struct lwfp_service_info *d, const struct lwfp_service *s)
{
	memset(d, 0, sizeof(*d));
	SERVICE_FIELDS(COPY, COPY_ARRAY)
}

/* Not tag: it is the flow's secret, proof of possession of its records. */
#define FLOW_FIELDS(X, A)                                                     \
	X(chain) X(proto) X(nhops) A(hops) X(orig_dst) X(orig_src) X(target)  \
	X(refs) X(created_ns) X(pid) X(uid) X(gid) A(comm) X(cgroup_id)       \
	X(origin_cgroup_id) X(origin_netns) X(origin_netns_ino)

void flow_info(struct lwfp_flow_info *d, const struct lwfp_flow *s)
{
	memset(d, 0, sizeof(*d));
	FLOW_FIELDS(COPY, COPY_ARRAY)
}

#define EVENT_FIELDS(X, A)                                                    \
	X(ts_ns) X(token) X(type) X(filter_id) X(service) X(pid) X(uid)       \
	X(proto) X(nhops) X(orig_dst) X(target) A(comm) X(reason) X(err)

void event_info(struct lwfp_event_info *d, const struct lwfp_event *s)
{
	memset(d, 0, sizeof(*d));
	EVENT_FIELDS(COPY, COPY_ARRAY)
}

void dns_info(struct lwfp_dns_info *d, const struct lwfp_dns_key *k,
	      const struct lwfp_dns_entry *s)
{
	memset(d, 0, sizeof(*d));
	d->netns = k->netns;
	memcpy(d->addr, k->addr, sizeof(d->addr));
	d->family = s->family;
	d->ttl = s->ttl;
	d->learned_ns = s->learned_ns;
	d->expires_ns = s->expires_ns;
	_Static_assert(sizeof(d->name) == sizeof(s->name), "size of name");
	memcpy(d->name, s->name, sizeof(d->name));
	d->name[sizeof(d->name) - 1] = 0;
}
