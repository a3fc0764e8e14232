// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lwfpctl dns: the names the engine learned from DNS answers (--host). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include <lwfp/parse.h>

#include "lwfpctl.h"

static const char dns_usage[] =
	"Usage: lwfpctl dns list [-j]\n"
	"       lwfpctl dns floor SECONDS\n"
	"\n"
	"list   the addresses the engine saw in DNS answers to its subtree, by\n"
	"       network namespace (cookie), with the name asked for and the\n"
	"       seconds left before a --host filter stops matching them\n"
	"floor  the least time a learned name matches, whatever its TTL\n"
	"       (0: the default, 60 s)\n"
	"\n"
	"Options:\n"
	"  --pin-dir DIR          " CTL_PIN_DIR_HELP;

static long long seconds_left(const struct lwfp_dns_info *v)
{
	struct timespec now;
	uint64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	return v->expires_ns > ns ? (long long)((v->expires_ns - ns) / 1000000000ULL) : 0;
}

static const char *key_addr(const struct lwfp_dns_info *v, char *buf, size_t size)
{
	int af = v->family == LWFP_AF_INET6 ? AF_INET6 : AF_INET;

	return inet_ntop(af, v->addr, buf, size) ? buf : "?";
}

static int print_entry(const struct lwfp_dns_info *v, void *ctx)
{
	char addr[INET6_ADDRSTRLEN];

	(void)ctx;
	printf("%-20llu %-40s %-8u %-8lld %s\n", (unsigned long long)v->netns,
	       key_addr(v, addr, sizeof(addr)), v->ttl, seconds_left(v), v->name);
	return 0;
}

static int push_entry(const struct lwfp_dns_info *v, void *ctx)
{
	struct json_object *o = json_object_new_object();
	char addr[INET6_ADDRSTRLEN];

	if (!o || cj_u64(o, "netns_cookie", v->netns) ||
	    cj_str(o, "addr", key_addr(v, addr, sizeof(addr))) || cj_str(o, "name", v->name) ||
	    cj_u64(o, "ttl", v->ttl) || cj_u64(o, "expires_in", (uint64_t)seconds_left(v))) {
		json_object_put(o);
		return -ENOMEM;
	}
	return cj_push(ctx, o);
}

static int list_names(struct ctl *c, struct lwfp_engine *e)
{
	struct json_object *arr;
	int err;

	if (!c->json) {
		printf("%-20s %-40s %-8s %-8s %s\n", "NETNS_COOKIE", "ADDR", "TTL", "LEFT", "NAME");
		return lwfp_dns_foreach(e, print_entry, NULL);
	}
	arr = json_object_new_array();
	if (!arr)
		return -ENOMEM;
	err = lwfp_dns_foreach(e, push_entry, arr);
	if (err) {
		json_object_put(arr);
		return err;
	}
	return cj_print(arr);
}

static int dns_list(struct ctl *c, int argc, char **argv)
{
	struct lwfp_engine *e;
	int err;

	err = ctl_parse_simple(c, argc, argv, dns_usage, NULL, NULL);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = list_names(c, e);
	lwfp_engine_close(e);
	if (err)
		ctl_err("cannot list names: %s", strerror(-err));
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

static int dns_floor(struct ctl *c, int argc, char **argv)
{
	const char *arg = NULL;
	struct lwfp_engine *e;
	uint32_t secs;
	int err;

	err = ctl_parse_simple(c, argc, argv, dns_usage, "SECONDS", &arg);
	if (err != CTL_CONTINUE)
		return err;
	if (lwfp_parse_u32(arg, 86400, &secs))
		return ctl_bad_value("floor", arg);
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = lwfp_engine_set_dns_ttl_floor(e, secs);
	lwfp_engine_close(e);
	if (err)
		ctl_err("cannot set the floor: %s", strerror(-err));
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int cmd_dns(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_cmd actions[] = {
		{ "list", dns_list, 0 },
		{ "floor", dns_floor, 0 },
	};

	return ctl_group(c, "dns", actions, sizeof(actions) / sizeof(actions[0]), argc, argv,
			 dns_usage);
}
