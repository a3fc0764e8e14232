/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The filter options of `lwfpctl filter add`, kept apart so that
 * `lwfp-inspect --register` takes exactly the same ones. Only <getopt.h>,
 * the lwfp headers and libc are needed.
 */
#ifndef LWFPCTL_FILTER_OPTS_H
#define LWFPCTL_FILTER_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lwfp/engine.h>

/* X(CODE, handler suffix, long option name) */
#define FILTER_OPTS(X)                                \
	X(PROTO, proto, "proto")                      \
	X(FAMILY, family, "family")                   \
	X(DST, dst, "dst")                            \
	X(DPORT, dport, "dport")                      \
	X(SPORT, sport, "sport")                      \
	X(UID, uid, "uid")                            \
	X(GID, gid, "gid")                            \
	X(CGROUP, cgroup, "cgroup")                   \
	X(ORIGIN_CGROUP, origin_cgroup, "origin-cgroup") \
	X(APP, app, "app")                            \
	X(HOST, host, "host")                         \
	X(WEIGHT, weight, "weight")                   \
	X(FAIL, fail, "fail")                         \
	X(CONTEXT, context, "context")                \
	X(IDLE_TIMEOUT, idle_timeout, "idle-timeout")

/* Codes above those of lwfpctl.h, so that a tool can mix both sets. */
#define FILTER_OPT_ENUM(code, fn, name) FOPT_##code,
enum {
	FOPT__BASE = 0x200 - 1,
	FILTER_OPTS(FILTER_OPT_ENUM)
	FOPT__END,
};

#define FILTER_OPT_LONGOPT(code, fn, name) { name, required_argument, NULL, FOPT_##code },
/* Entries for a struct option array; put the terminating { 0 } after them. */
#define FILTER_LONGOPTS FILTER_OPTS(FILTER_OPT_LONGOPT)

#define FILTER_OPTS_USAGE                                                          \
	"\n"                                                                      \
	"Conditions (a filter tests only those given):\n"                          \
	"  --proto tcp|udp        protocol\n"                                      \
	"  --family 4|6           address family\n"                                \
	"  --dst PREFIX           remote address prefix, 198.18.0.0/15 or 2001:db8::/32\n" \
	"  --dport N[-M][,...]    remote port or range; a comma list adds one\n"   \
	"                         filter per item, all or none\n"                  \
	"  --sport N[-M]          local port range\n"                              \
	"  --uid N[-M]            uid range of the connecting process\n"           \
	"  --gid N                gid of the connecting process\n"                 \
	"  --cgroup PATH          cgroup v2 path, descendants included\n"          \
	"  --origin-cgroup PATH   cgroup (exactly) of the application that opened\n" \
	"                         the chain, on every hop of it\n"                  \
	"  --app PATH             executable of the connecting process: the file at\n" \
	"                         PATH (absolute), not its name; `lwfpctl filter\n"   \
	"                         refresh` follows PATH to a replacing file\n"      \
	"  --host PATTERN         the destination came in a DNS answer for a name\n" \
	"                         that matches: name.example, or *.example for the\n" \
	"                         names below example; one per filter\n"            \
	"\n"                                                                      \
	"Other settings:\n"                                                        \
	"  --weight W             higher weights are tried first (default 100)\n"  \
	"  --fail open|closed     no listener at the target: skip the filter, or\n" \
	"                         refuse the connect (default closed)\n"           \
	"  --context KIND         metadata (default), sockaddrs, none or raw:HEX\n" \
	"  --idle-timeout SECONDS UDP flow idle timeout (default: the engine's)\n"

#define FILTER_DEFAULT_WEIGHT 100
/* Items of a --dport list: as many filters, so kept modest. */
#define FILTER_MAX_DPORTS 16

struct filter_spec {
	struct lwfp_filter_spec f; /* conditions and settings; action is the caller's */
	uint8_t raw[LWFP_RAW_CONTEXT_MAX]; /* the bytes of --context raw:HEX */
	size_t raw_len;
	const char *dst_arg; /* --dst as typed, to name it in errors */
	uint8_t dst_family; /* 4 or 6, of --dst */
	struct {
		uint16_t lo, hi;
	} dports[FILTER_MAX_DPORTS]; /* --dport's items; f holds the first */
	size_t ndports;
	char app[LWFP_APP_PATH_MAX]; /* --app's path; "" without it */
	char err[256]; /* why the last call failed */
};

/* Defaults: weight 100, fail closed, metadata context, no conditions. */
void filter_spec_init(struct filter_spec *s);
/*
 * Applies option opt (an FOPT_ code) with its value arg. Returns 1 when
 * applied, 0 when opt is not a filter option, or -errno with s->err set.
 */
int filter_spec_opt(struct filter_spec *s, int opt, const char *arg);
/* Checks the options against each other once all are in; 0 or -EINVAL. */
int filter_spec_finish(struct filter_spec *s);
/* How many filters s stands for: one per --dport item, at least one. */
size_t filter_spec_count(const struct filter_spec *s);
/* Filter i of filter_spec_count(s): s->f with the i-th --dport item. */
void filter_spec_nth(const struct filter_spec *s, size_t i, struct lwfp_filter_spec *f);
/*
 * Refuses a redirect target of the other family than --family or --dst, or
 * an IPv6 one for --proto udp: such a filter could never apply. 0 or
 * -EINVAL with s->err set.
 */
int filter_spec_check_to(struct filter_spec *s, const struct lwfp_addr *to, const char *arg);

/*
 * After getopt_long returned long option idx: true when its value is the
 * next word and starts with "--", as in "--dport --to ADDR". No value of
 * either tool starts so; it is the next option after a missing value.
 * "--opt=--x" still passes one on purpose.
 */
bool opt_swallowed(const struct option *longopts, int idx, char **argv);

#endif /* LWFPCTL_FILTER_OPTS_H */
