// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --host patterns, and the names the data plane learned from DNS (bpf/dns.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <bpf/bpf.h>

#include <lwfp/engine.h>

#include "internal.h"

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Labels of host characters, none empty. */
static bool host_labels(const char *s)
{
	bool empty = true;

	for (; *s; s++) {
		if (*s == '.') {
			if (empty)
				return false;
			empty = true;
		} else if (host_char(*s)) {
			empty = false;
		} else {
			return false;
		}
	}
	return !empty;
}

LWFP_API int lwfp_host_pattern(const char *pattern, char out[LWFP_HOST_PATTERN_MAX],
			       uint64_t *hash)
{
	size_t len = pattern ? strlen(pattern) : 0, i;
	uint64_t h = LWFP_HOST_HASH_INIT;
	char buf[LWFP_HOST_PATTERN_MAX];

	if (len && pattern[len - 1] == '.')
		len--;
	if (!len || len >= sizeof(buf))
		return -EINVAL;
	for (i = 0; i < len; i++)
		buf[i] = pattern[i] >= 'A' && pattern[i] <= 'Z' ? pattern[i] + ('a' - 'A')
							       : pattern[i];
	buf[len] = 0;
	if (!host_labels(strncmp(buf, "*.", 2) ? buf : buf + 2))
		return -EINVAL;
	/* Backwards, as the data plane hashes learned names (engine_defs.h). */
	for (i = len; i > 0; i--)
		h = lwfp_host_hash_step(h, (uint8_t)buf[i - 1]);
	memcpy(out, buf, len + 1);
	*hash = h;
	return 0;
}

LWFP_API int lwfp_dns_name(struct lwfp_engine *e, uint64_t netns_cookie,
			   const struct lwfp_addr *addr, char *name, size_t size)
{
	struct lwfp_dns_key k = { .netns = netns_cookie };
	struct lwfp_dns_entry v;
	size_t len;

	if (!e || !addr || !name || !size)
		return -EINVAL;
	memcpy(k.addr, addr->ip, sizeof(k.addr));
	if (addr->family == LWFP_AF_INET)
		k.addr[1] = k.addr[2] = k.addr[3] = 0;
	/* A lookup from user space leaves the LRU order alone. */
	if (bpf_map_lookup_elem(e->dns_fd, &k, &v))
		return -errno;
	if (v.family != addr->family)
		return -ENOENT;
	len = strnlen(v.name, sizeof(v.name) - 1);
	if (len >= size)
		return -ERANGE;
	memcpy(name, v.name, len);
	name[len] = 0;
	return 0;
}

LWFP_API int lwfp_dns_foreach(struct lwfp_engine *e,
			      int (*cb)(const struct lwfp_dns_info *d, void *ctx), void *ctx)
{
	struct lwfp_dns_info info;
	struct lwfp_dns_key k, next;
	struct lwfp_dns_entry v;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(e->dns_fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(e->dns_fd, &k, &v))
			continue; /* gone meanwhile */
		dns_info(&info, &k, &v);
		err = cb(&info, ctx);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}

LWFP_API int lwfp_engine_set_dns_ttl_floor(struct lwfp_engine *e, uint32_t seconds)
{
	struct lwfp_config cfg;
	int err;

	err = engine_lock(e);
	if (err)
		return err;
	err = config_read(e, &cfg);
	if (!err) {
		cfg.dns_ttl_floor_s = seconds;
		err = config_write(e, &cfg);
	}
	engine_unlock(e);
	return err;
}
