// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lwfp-inspect's own service and filters, for --register. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lwfp/parse.h>

#include "log.h"
#include "place.h"
#include "register.h"

void register_init(struct registration *r)
{
	memset(r, 0, sizeof(*r));
	filter_spec_init(&r->spec);
}

/* "80,443,8000-8099": one filter per item. */
static int add_dports(struct registration *r, const char *arg, char *err, size_t size)
{
	char item[32];
	const char *p = arg;
	uint32_t lo, hi;
	size_t n;

	for (;;) {
		n = strcspn(p, ",");
		if (n == 0 || n >= sizeof(item) || r->ndports == REGISTER_MAX_DPORTS)
			goto bad;
		memcpy(item, p, n);
		item[n] = '\0';
		if (lwfp_parse_range(item, 65535, &lo, &hi))
			goto bad;
		r->dports[r->ndports].lo = lo;
		r->dports[r->ndports].hi = hi;
		r->ndports++;
		if (!p[n])
			return 1;
		p += n + 1;
	}
bad:
	snprintf(err, size, "bad --dport value '%s' (N[-M][,N[-M]]..., at most %d items)", arg,
		 REGISTER_MAX_DPORTS);
	return -EINVAL;
}

/* "tcp", "udp", "tcp,udp" or "udp,tcp". */
static int set_protos(struct registration *r, const char *arg, char *err, size_t size)
{
	if (!strcmp(arg, "tcp"))
		r->protos = REGISTER_TCP;
	else if (!strcmp(arg, "udp"))
		r->protos = REGISTER_UDP;
	else if (!strcmp(arg, "tcp,udp") || !strcmp(arg, "udp,tcp"))
		r->protos = REGISTER_TCP | REGISTER_UDP;
	else {
		snprintf(err, size, "bad --proto value '%s' (tcp, udp or tcp,udp)", arg);
		return -EINVAL;
	}
	return 1;
}

int register_opt(struct registration *r, int opt, const char *arg, char *err, size_t size)
{
	int ret;

	if (opt <= FOPT__BASE || opt >= FOPT__END)
		return 0;
	r->has_conditions = true;
	if (opt == FOPT_DPORT)
		return add_dports(r, arg, err, size);
	if (opt == FOPT_PROTO)
		return set_protos(r, arg, err, size);
	ret = filter_spec_opt(&r->spec, opt, arg);
	if (ret < 0)
		snprintf(err, size, "%s", r->spec.err);
	return ret;
}

int register_check(struct registration *r, char *err, size_t size)
{
	if (r->has_conditions && !r->enabled) {
		snprintf(err, size, "filter conditions are only for --register");
		return -EINVAL;
	}
	/* Without --proto, TCP only: what --register did before UDP came. */
	if (!r->protos)
		r->protos = REGISTER_TCP;
	if (filter_spec_finish(&r->spec)) {
		snprintf(err, size, "%s", r->spec.err);
		return -EINVAL;
	}
	return 0;
}

bool register_udp(const struct registration *r)
{
	return r->enabled && (r->protos & REGISTER_UDP);
}

void register_set_udp_idle(struct registration *r, uint32_t seconds)
{
	r->spec.f.idle_timeout_s = seconds;
}

/* ---- adding ------------------------------------------------------------------- */

static const struct lwfp_addr *first_listen(const struct config *cfg, uint8_t version)
{
	uint8_t family = version == 6 ? LWFP_AF_INET6 : LWFP_AF_INET;
	size_t i;

	for (i = 0; i < cfg->nlisten; i++)
		if (cfg->listen[i].family == family)
			return &cfg->listen[i];
	return NULL;
}

static int add_service(struct registration *r, uint32_t *handle, char *err, size_t size)
{
	struct lwfp_service_opts so = {
		.sz = sizeof(so),
		.name = r->name,
		.id_kind = LWFP_ID_PID,
		.id_value = (uint64_t)getpid(),
	};
	int e;

	e = lwfp_service_add(r->engine, &so, handle);
	if (e == -EEXIST)
		snprintf(err, size, "a service named '%s' exists already", r->name);
	else if (e)
		snprintf(err, size, "adding service '%s': %s", r->name, strerror(-e));
	else
		r->registered = true;
	return e;
}

/*
 * One filter: the conditions given, plus the protocol, a family (0: none)
 * and maybe a port range.
 */
static int add_filter(struct registration *r, uint32_t handle, const struct lwfp_addr *to,
		      uint8_t proto, uint8_t version, size_t dport, char *err, size_t size)
{
	struct lwfp_filter_spec f = r->spec.f;
	struct lwfp_filter_opts opts = {
		.sz = sizeof(opts),
		.filter = &f,
		.raw = r->spec.raw,
		.raw_len = r->spec.raw_len,
		.app_path = r->spec.app[0] ? r->spec.app : NULL,
	};
	int e;

	f.action = LWFP_ACT_REDIRECT;
	f.service = handle;
	f.to = *to;
	f.proto = proto;
	f.conds |= LWFP_COND_PROTO;
	if (proto != IPPROTO_UDP)
		f.idle_timeout_s = 0;
	if (version) {
		f.family = version;
		f.conds |= LWFP_COND_FAMILY;
	}
	if (dport < r->ndports) {
		f.dport_lo = r->dports[dport].lo;
		f.dport_hi = r->dports[dport].hi;
		f.conds |= LWFP_COND_DPORT;
	}
	e = lwfp_filter_add(r->engine, &opts, &r->filters[r->nfilters]);
	if (e) {
		snprintf(err, size, "adding a filter: %s", strerror(-e));
		return e;
	}
	r->nfilters++;
	return 0;
}

/*
 * Where the filters of a protocol and family redirect to: the family's
 * first --listen address for TCP; the first IPv4 one for UDP (udp.h).
 */
static const struct lwfp_addr *target(const struct config *cfg, uint8_t proto, uint8_t version,
				      char *err, size_t size)
{
	const struct lwfp_addr *to;

	if (proto == IPPROTO_UDP) {
		to = first_listen(cfg, 4);
		if (!to)
			snprintf(err, size,
				 "--proto udp needs an IPv4 --listen address: UDP flows arrive on "
				 "127.128.0.0/9 (and fd6c:7766:7000::/96) at its port");
		return to;
	}
	to = first_listen(cfg, version);
	if (!to)
		snprintf(err, size, "--family %u: no --listen address is IPv%u", version, version);
	return to;
}

/*
 * The filters of one protocol and address family: one per --dport item,
 * or a single one without a port condition.
 */
static int add_family(struct registration *r, uint32_t handle, const struct config *cfg,
		      uint8_t proto, uint8_t version, char *err, size_t size)
{
	const struct lwfp_addr *to = target(cfg, proto, version, err, size);
	size_t i;
	int e;

	if (!to)
		return -EINVAL;
	for (i = 0; i < (r->ndports ? r->ndports : 1); i++) {
		e = add_filter(r, handle, to, proto, version, i, err, size);
		if (e)
			return e;
	}
	return 0;
}

static int add_proto(struct registration *r, uint32_t handle, const struct config *cfg,
		     uint8_t proto, char *err, size_t size)
{
	uint8_t version;
	int e = 0;

	/* A condition that fixes the family picks the listener... */
	if (r->spec.f.conds & LWFP_COND_FAMILY)
		return add_family(r, handle, cfg, proto, r->spec.f.family, err, size);
	/* ...UDP has one listener for both families... */
	if (proto == IPPROTO_UDP)
		return add_family(r, handle, cfg, proto, 0, err, size);
	/* ...else each family with a listener gets its own filters. */
	for (version = 4; version <= 6 && !e; version += 2)
		if (first_listen(cfg, version))
			e = add_family(r, handle, cfg, proto, version, err, size);
	return e;
}

static int add_filters(struct registration *r, uint32_t handle, const struct config *cfg,
		       char *err, size_t size)
{
	int e = 0;

	if (r->protos & REGISTER_TCP)
		e = add_proto(r, handle, cfg, IPPROTO_TCP, err, size);
	if (!e && (r->protos & REGISTER_UDP))
		e = add_proto(r, handle, cfg, IPPROTO_UDP, err, size);
	return e;
}

int register_start(struct registration *r, struct lwfp_engine *e, struct config *cfg,
		   register_listeners_fn listeners, void *arg, char *err, size_t size)
{
	uint32_t handle;
	int ret;

	r->engine = e;
	if (cfg->service && cfg->service != r->name)
		snprintf(r->name, sizeof(r->name), "%s", cfg->service);
	else if (!cfg->service)
		snprintf(r->name, sizeof(r->name), "lwfp-inspect-%d", (int)getpid());
	cfg->service = r->name;

	ret = add_service(r, &handle, err, size);
	if (ret)
		return ret;
	r->handle = handle;
	cfg->service_handle = handle; /* for the --netns listeners */
	/* Between the two: a filter must never find its target unregistered. */
	ret = listeners(arg, handle, err, size);
	if (!ret)
		ret = add_filters(r, handle, cfg, err, size);
	if (ret)
		register_remove(r);
	return ret;
}

/* ---- removing ------------------------------------------------------------------- */

void register_remove_filters(struct registration *r)
{
	int e;

	while (r->nfilters) {
		e = lwfp_filter_del(r->engine, r->filters[--r->nfilters]);
		if (e && e != -ENOENT)
			log_warn("removing filter %u: %s", r->filters[r->nfilters], strerror(-e));
	}
}

void register_remove(struct registration *r)
{
	int e;

	register_remove_filters(r);
	if (!r->registered)
		return;
	r->registered = false;
	e = lwfp_service_del(r->engine, r->name);
	if (e && e != -ENOENT)
		log_warn("removing service '%s': %s", r->name, strerror(-e));
}

/* ---- watching ------------------------------------------------------------------- */

/* Is our service, with our handle and this process as identity, in e? */
static bool still_there(struct registration *r, struct lwfp_engine *e)
{
	struct lwfp_service_info s;

	return !lwfp_service_find(e, r->name, &s) && s.handle == r->handle &&
	       s.id_kind == LWFP_ID_PID && s.id_value == (uint64_t)getpid();
}

static void say_gone(struct registration *r, const char *why)
{
	if (!r->gone_said)
		log_warn("service %s is gone (%s); registering it again", r->name, why);
	r->gone_said = true;
}

/* Forget what was added to an engine that no longer holds it. */
static void adopt_engine(struct registration *r, struct lwfp_engine *e)
{
	if (r->engine_owned && r->engine != e)
		lwfp_engine_close(r->engine);
	r->engine = e;
	r->engine_owned = true;
	r->registered = false;
	r->nfilters = 0;
}

int register_watch(struct registration *r, struct config *cfg,
		   register_listeners_fn listeners, void *arg)
{
	struct lwfp_engine *e;
	char err[512];
	int ret;

	ret = lwfp_engine_open(cfg->pin_dir, &e);
	if (ret) {
		say_gone(r, "no engine is up");
		return 0;
	}
	if (r->registered && still_there(r, e)) {
		lwfp_engine_close(e);
		return 0;
	}
	say_gone(r, "deleted, or the engine was restarted");
	adopt_engine(r, e);
	ret = place_check(e, err, sizeof(err));
	if (!ret)
		ret = register_start(r, e, cfg, listeners, arg, err, sizeof(err));
	if (ret) {
		log_warn("registering service %s again: %s", r->name, err);
		return 0;
	}
	r->gone_said = false;
	log_warn("registered service %s again with %zu filters", r->name, r->nfilters);
	return 1;
}

void register_close(struct registration *r)
{
	if (r->engine_owned)
		lwfp_engine_close(r->engine);
	r->engine_owned = false;
	r->engine = NULL;
}
