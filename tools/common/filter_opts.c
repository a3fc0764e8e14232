// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Filter conditions and settings from command-line options. */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <lwfp/engine.h>
#include <lwfp/parse.h>

#include "filter_opts.h"

static int fail(struct filter_spec *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct filter_spec *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return err;
}

static int bad_value(struct filter_spec *s, const char *name, const char *arg)
{
	return fail(s, -EINVAL, "bad --%s value '%s'", name, arg);
}

/* Each handler returns 0 or -EINVAL; opt_table names the option on error. */

static int opt_proto(struct filter_spec *s, const char *arg)
{
	if (strcmp(arg, "tcp") == 0)
		s->f.proto = IPPROTO_TCP;
	else if (strcmp(arg, "udp") == 0)
		s->f.proto = IPPROTO_UDP;
	else
		return -EINVAL;
	s->f.conds |= LWFP_COND_PROTO;
	return 0;
}

static int opt_family(struct filter_spec *s, const char *arg)
{
	if (strcmp(arg, "4") && strcmp(arg, "6"))
		return -EINVAL;
	s->f.family = arg[0] - '0';
	s->f.conds |= LWFP_COND_FAMILY;
	return 0;
}

/* The parser reports an LWFP_AF_ family; filters count them as 4 or 6. */
static uint8_t ip_version(uint8_t family)
{
	return family == LWFP_AF_INET6 ? 6 : 4;
}

/*
 * Host bits in a prefix are most likely a typo for another network; the
 * parser masks them, so the address alone is parsed again to see them.
 */
static int check_host_bits(struct filter_spec *s, const char *arg, const uint32_t net[4],
			   uint8_t plen)
{
	char addr[INET6_ADDRSTRLEN + 1], shown[INET6_ADDRSTRLEN];
	size_t len = strcspn(arg, "/");
	uint32_t full[4] = { 0 };
	uint8_t family, full_plen;
	int af;

	if (len >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, arg, len);
	addr[len] = 0;
	if (lwfp_parse_prefix(addr, full, &family, &full_plen))
		return -EINVAL;
	if (!memcmp(full, net, sizeof(full)))
		return 0;
	af = family == LWFP_AF_INET6 ? AF_INET6 : AF_INET;
	if (!inet_ntop(af, net, shown, sizeof(shown)))
		return -EINVAL;
	return fail(s, -EINVAL, "--dst '%s' has host bits set: the network is %s/%u", arg,
		    shown, plen);
}

static int opt_dst(struct filter_spec *s, const char *arg)
{
	uint32_t ip[4] = { 0 };
	uint8_t family, plen;
	int err;

	if (lwfp_parse_prefix(arg, ip, &family, &plen))
		return -EINVAL;
	err = check_host_bits(s, arg, ip, plen);
	if (err)
		return err;
	memcpy(s->f.dst, ip, sizeof(s->f.dst));
	s->f.dst_plen = plen;
	s->dst_family = ip_version(family);
	s->dst_arg = arg;
	s->f.conds |= LWFP_COND_DST;
	return 0;
}

static int opt_port_range(const char *arg, __u16 *lo, __u16 *hi)
{
	uint32_t l, h;

	if (lwfp_parse_range(arg, 65535, &l, &h))
		return -EINVAL;
	*lo = l;
	*hi = h;
	return 0;
}

/* "80,443,8000-8099": each item a range, at most FILTER_MAX_DPORTS of them. */
static int opt_dport(struct filter_spec *s, const char *arg)
{
	const char *p = arg;
	char item[16];
	size_t n;

	s->ndports = 0;
	do {
		n = strcspn(p, ",");
		if (!n || n >= sizeof(item))
			return -EINVAL;
		if (s->ndports == FILTER_MAX_DPORTS)
			return fail(s, -EINVAL, "bad --dport value '%s' (at most %d items)", arg,
				    FILTER_MAX_DPORTS);
		memcpy(item, p, n);
		item[n] = 0;
		if (opt_port_range(item, &s->dports[s->ndports].lo, &s->dports[s->ndports].hi))
			return -EINVAL;
		s->ndports++;
		p += n;
	} while (*p++ == ',');
	s->f.dport_lo = s->dports[0].lo;
	s->f.dport_hi = s->dports[0].hi;
	s->f.conds |= LWFP_COND_DPORT;
	return 0;
}

static int opt_sport(struct filter_spec *s, const char *arg)
{
	if (opt_port_range(arg, &s->f.sport_lo, &s->f.sport_hi))
		return -EINVAL;
	s->f.conds |= LWFP_COND_SPORT;
	return 0;
}

static int opt_uid(struct filter_spec *s, const char *arg)
{
	uint32_t lo, hi;

	if (lwfp_parse_range(arg, UINT32_MAX, &lo, &hi))
		return -EINVAL;
	s->f.uid_lo = lo;
	s->f.uid_hi = hi;
	s->f.conds |= LWFP_COND_UID;
	return 0;
}

static int opt_gid(struct filter_spec *s, const char *arg)
{
	uint32_t gid;

	if (lwfp_parse_u32(arg, UINT32_MAX, &gid))
		return -EINVAL;
	s->f.gid = gid;
	s->f.conds |= LWFP_COND_GID;
	return 0;
}

/* A missing cgroup is not a typo in the value, so it gets its own message. */
static int cgroup_arg(struct filter_spec *s, const char *opt, const char *arg,
		      uint64_t *id, uint32_t *level)
{
	int err = lwfp_cgroup_id(arg, id, level);

	if (err == -ENOENT)
		return fail(s, err, "no cgroup '%s' (--%s)", arg, opt);
	if (err)
		return fail(s, err, "--%s '%s': %s", opt, arg, strerror(-err));
	return 0;
}

static int opt_cgroup(struct filter_spec *s, const char *arg)
{
	uint64_t id;
	uint32_t level;
	int err;

	err = cgroup_arg(s, "cgroup", arg, &id, &level);
	if (err)
		return err;
	s->f.cgroup_id = id;
	s->f.cgroup_level = level;
	s->f.conds |= LWFP_COND_CGROUP;
	return 0;
}

static int opt_origin_cgroup(struct filter_spec *s, const char *arg)
{
	uint64_t id;
	uint32_t level;
	int err;

	err = cgroup_arg(s, "origin-cgroup", arg, &id, &level);
	if (err)
		return err;
	s->f.origin_cgroup_id = id;
	s->f.conds |= LWFP_COND_ORIGIN_CGROUP;
	return 0;
}

/* The file must exist now: a filter on a missing file could never match. */
static int opt_app(struct filter_spec *s, const char *arg)
{
	uint32_t dev;
	uint64_t ino;
	int err;

	if (arg[0] != '/')
		return fail(s, -EINVAL, "--app '%s' is not an absolute path", arg);
	if (strlen(arg) >= sizeof(s->app))
		return fail(s, -EINVAL, "--app '%.32s...' is longer than %d bytes", arg,
			    LWFP_APP_PATH_MAX - 1);
	err = lwfp_app_id(arg, &dev, &ino);
	if (err == -ENOEXEC)
		return fail(s, -EINVAL, "--app '%s' is not a regular file", arg);
	if (err)
		return fail(s, err, "--app '%s': %s", arg, strerror(-err));
	memset(s->f.app_ino, 0, sizeof(s->f.app_ino));
	memset(s->f.app_dev, 0, sizeof(s->f.app_dev));
	s->f.app_ino[0] = ino;
	s->f.app_dev[0] = dev;
	strcpy(s->app, arg);
	s->f.conds |= LWFP_COND_APP;
	return 0;
}

/* One pattern a filter: several are several filters, each with its own hits. */
static int opt_host(struct filter_spec *s, const char *arg)
{
	uint64_t hash;

	if (s->f.conds & LWFP_COND_HOST)
		return fail(s, -EINVAL, "--host given twice: one pattern a filter, add a filter each");
	if (lwfp_host_pattern(arg, s->f.host, &hash))
		return fail(s, -EINVAL,
			    "bad --host value '%s' (want name.example or *.example, %d characters at most)",
			    arg, LWFP_HOST_PATTERN_MAX - 1);
	s->f.host_hash = hash;
	s->f.conds |= LWFP_COND_HOST;
	return 0;
}

static int opt_weight(struct filter_spec *s, const char *arg)
{
	uint32_t w;

	if (lwfp_parse_u32(arg, UINT32_MAX, &w))
		return -EINVAL;
	s->f.weight = w;
	return 0;
}

static int opt_fail(struct filter_spec *s, const char *arg)
{
	if (strcmp(arg, "open") == 0)
		s->f.fail = LWFP_FAIL_OPEN;
	else if (strcmp(arg, "closed") == 0)
		s->f.fail = LWFP_FAIL_CLOSED;
	else
		return -EINVAL;
	return 0;
}

static int opt_context(struct filter_spec *s, const char *arg)
{
	size_t len;

	if (strncmp(arg, "raw:", 4) == 0) {
		/* An empty raw context would be indistinguishable from none. */
		if (lwfp_parse_hex(arg + 4, s->raw, sizeof(s->raw), &len) || !len)
			return -EINVAL;
		s->f.ctx_kind = LWFP_CTX_RAW;
		s->f.raw_len = len;
		s->raw_len = len;
		return 0;
	}
	if (strcmp(arg, "metadata") == 0)
		s->f.ctx_kind = LWFP_CTX_METADATA;
	else if (strcmp(arg, "sockaddrs") == 0)
		s->f.ctx_kind = LWFP_CTX_SOCKADDRS;
	else if (strcmp(arg, "none") == 0)
		s->f.ctx_kind = LWFP_CTX_NONE;
	else
		return -EINVAL;
	s->f.raw_len = 0;
	s->raw_len = 0;
	return 0;
}

static int opt_idle_timeout(struct filter_spec *s, const char *arg)
{
	uint32_t secs;

	if (lwfp_parse_u32(arg, UINT32_MAX, &secs))
		return -EINVAL;
	s->f.idle_timeout_s = secs;
	return 0;
}

#define FILTER_OPT_ENTRY(code, fn, optname) \
	[FOPT_##code - FOPT__BASE - 1] = { .name = optname, .apply = opt_##fn },

static const struct {
	const char *name;
	int (*apply)(struct filter_spec *s, const char *arg);
} opt_table[] = { FILTER_OPTS(FILTER_OPT_ENTRY) };

void filter_spec_init(struct filter_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->f.weight = FILTER_DEFAULT_WEIGHT;
	s->f.fail = LWFP_FAIL_CLOSED;
	s->f.ctx_kind = LWFP_CTX_METADATA;
}

int filter_spec_opt(struct filter_spec *s, int opt, const char *arg)
{
	int err;

	if (opt <= FOPT__BASE || opt >= FOPT__END)
		return 0;
	s->err[0] = 0;
	err = opt_table[opt - FOPT__BASE - 1].apply(s, arg);
	if (err && !s->err[0])
		return bad_value(s, opt_table[opt - FOPT__BASE - 1].name, arg);
	return err ? err : 1;
}

/* A prefix implies its family, which the data plane needs to compare it. */
int filter_spec_finish(struct filter_spec *s)
{
	if (!(s->f.conds & LWFP_COND_DST))
		return 0;
	if ((s->f.conds & LWFP_COND_FAMILY) && s->f.family != s->dst_family)
		return fail(s, -EINVAL, "--dst '%s' is not an IPv%u prefix (--family %u)",
			    s->dst_arg, s->f.family, s->f.family);
	s->f.family = s->dst_family;
	s->f.conds |= LWFP_COND_FAMILY;
	return 0;
}

size_t filter_spec_count(const struct filter_spec *s)
{
	return s->ndports > 1 ? s->ndports : 1;
}

void filter_spec_nth(const struct filter_spec *s, size_t i, struct lwfp_filter_spec *f)
{
	*f = s->f;
	if (i < s->ndports) {
		f->dport_lo = s->dports[i].lo;
		f->dport_hi = s->dports[i].hi;
	}
}

int filter_spec_check_to(struct filter_spec *s, const struct lwfp_addr *to, const char *arg)
{
	uint8_t version = to->family == LWFP_AF_INET6 ? 6 : 4;

	/* Each UDP flow gets an IPv4 address of its own (docs/abi.md). */
	if ((s->f.conds & LWFP_COND_PROTO) && s->f.proto == IPPROTO_UDP && version == 6)
		return fail(s, -EINVAL,
			    "--to %s is IPv6 but UDP flows go to an IPv4 target: "
			    "the filter could never apply", arg);
	/* UDP flows of both families go to an IPv4 target: only TCP needs a match. */
	if (version == 4 && !((s->f.conds & LWFP_COND_PROTO) && s->f.proto == IPPROTO_TCP))
		return 0;
	if (!(s->f.conds & LWFP_COND_FAMILY) || s->f.family == version)
		return 0;
	if (s->f.conds & LWFP_COND_DST)
		return fail(s, -EINVAL,
			    "--to %s is IPv%u but --dst '%s' is IPv%u: the filter could never apply",
			    arg, version, s->dst_arg, s->f.family);
	return fail(s, -EINVAL, "--to %s is IPv%u but --family is %u: the filter could never apply",
		    arg, version, s->f.family);
}

bool opt_swallowed(const struct option *longopts, int idx, char **argv)
{
	return idx >= 0 && longopts[idx].has_arg == required_argument && optarg && optind > 0 &&
	       optarg == argv[optind - 1] && strncmp(optarg, "--", 2) == 0;
}
