// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lwfpctl service add|del|list */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>

#include <lwfp/parse.h>

#include "lwfpctl.h"

#define ADD_SYNOPSIS \
	"lwfpctl service add NAME [provider UUID] (uid U | cgroup PATH | pid P)\n"
#define DEL_SYNOPSIS "lwfpctl service del NAME\n"
#define LIST_SYNOPSIS "lwfpctl service list [-j]\n"
#define COMMON_HELP "  --pin-dir DIR     " CTL_PIN_DIR_HELP

static const char service_usage[] =
	"Usage: " ADD_SYNOPSIS
	"       " DEL_SYNOPSIS
	"       " LIST_SYNOPSIS
	"\n"
	"A service is a proxy that filters redirect to. Its identity (a uid, a\n"
	"cgroup or a pid) is how the engine recognises its own connections.\n"
	"Run 'lwfpctl service VERB help' for the keywords of each verb.\n";

static const char add_usage[] =
	"Usage: " ADD_SYNOPSIS
	"\n"
	"Register a service and print its handle.\n"
	"\n"
	"  --provider UUID   provider UUID (default: a random one)\n"
	"  --uid U           the service is every process of uid U\n"
	"  --cgroup PATH     the service is every process in cgroup v2 PATH\n"
	"  --pid P           the service is process P\n"
	COMMON_HELP
	"\n"
	CTL_KEYWORDS_HELP;

static const char del_usage[] =
	"Usage: " DEL_SYNOPSIS
	"\n"
	"Remove a service and all its filters.\n"
	"\n"
	COMMON_HELP;

static const char list_usage[] =
	"Usage: " LIST_SYNOPSIS
	"\n"
	"List the services. STATE is \"listening\" while a listener socket of the\n"
	"service is alive in this network namespace (a proxy is up), and \"no\n"
	"listener\" when none is: its filters then get their fail mode.\n"
	"\n"
	"  -j, --json        print a JSON array\n"
	COMMON_HELP;

enum {
	OPT_PROVIDER = CTL_OPT_CMD,
	OPT_UID,
	OPT_CGROUP,
	OPT_PID,
};

struct add_args {
	const char *name;
	uint8_t provider[16];
	bool has_provider;
	int nids; /* identities given: exactly one is valid */
	enum lwfp_identity_kind kind;
	uint32_t value;
	const char *cgroup;
};

static int add_identity(struct add_args *a, int opt, const char *arg)
{
	a->nids++;
	switch (opt) {
	case OPT_UID:
		a->kind = LWFP_ID_UID;
		return lwfp_parse_u32(arg, UINT32_MAX, &a->value) ? ctl_bad_value("--uid", arg) : 0;
	case OPT_PID:
		a->kind = LWFP_ID_PID;
		if (lwfp_parse_u32(arg, INT_MAX, &a->value) || !a->value)
			return ctl_bad_value("--pid", arg);
		return 0;
	default:
		a->kind = LWFP_ID_CGROUP;
		a->cgroup = arg;
		return 0;
	}
}

static int add_opt(struct add_args *a, int opt, const char *arg)
{
	switch (opt) {
	case OPT_PROVIDER:
		a->has_provider = true;
		return lwfp_parse_uuid(arg, a->provider) ? ctl_bad_value("--provider", arg) : 0;
	case OPT_UID:
	case OPT_PID:
	case OPT_CGROUP:
		return add_identity(a, opt, arg);
	case CTL_OPT_ARG:
		if (a->name)
			return ctl_unexpected_arg(arg);
		a->name = arg;
		return 0;
	default:
		return CTL_EXIT_FAIL;
	}
}

/* Names are printed in columns and typed in shells: no blanks, no controls. */
static bool name_ok(const char *name)
{
	size_t len = strlen(name), i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)name[i] <= ' ' || name[i] == 0x7f)
			return false;
	}
	return len && len < LWFP_NAME_MAX;
}

static int check_add(const struct add_args *a)
{
	if (!a->name) {
		ctl_err("missing service name");
		return CTL_EXIT_FAIL;
	}
	if (!name_ok(a->name)) {
		ctl_err("bad service name '%s' (1 to %d characters, no blanks)", a->name,
			LWFP_NAME_MAX - 1);
		return CTL_EXIT_FAIL;
	}
	if (a->nids != 1) {
		ctl_err("service add needs exactly one of --uid, --cgroup and --pid");
		return CTL_EXIT_FAIL;
	}
	return CTL_CONTINUE;
}

static int parse_add(struct ctl *c, int argc, char **argv, struct add_args *a)
{
	static const struct option longopts[] = {
		CTL_COMMON_LONGOPTS,
		{ "provider", required_argument, NULL, OPT_PROVIDER },
		{ "uid", required_argument, NULL, OPT_UID },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "pid", required_argument, NULL, OPT_PID },
		{ 0 },
	};
	int opt, err;

	ctl_opts_reset();
	while ((opt = ctl_next_opt(c, argc, argv, longopts)) != -1) {
		if (opt == CTL_OPT_HELP)
			return ctl_help(add_usage);
		err = add_opt(a, opt, optarg);
		if (err)
			return err;
	}
	return check_add(a);
}

int service_add_args(struct ctl *c, int argc, char **argv, struct service_spec *s)
{
	struct add_args a = { 0 };
	int err;

	err = parse_add(c, argc, argv, &a);
	if (err != CTL_CONTINUE)
		return err;
	s->name = a.name;
	memcpy(s->provider, a.provider, sizeof(s->provider));
	s->has_provider = a.has_provider;
	s->kind = a.kind;
	s->value = a.value;
	s->cgroup = a.cgroup;
	return CTL_CONTINUE;
}

static void report_add_error(const struct add_args *a, int err)
{
	if (err == -EEXIST)
		ctl_err("a service named '%s' already exists", a->name);
	else if (err == -ENOSPC)
		ctl_err("no free service slot (at most %d services)", LWFP_MAX_SERVICES);
	else
		ctl_err("cannot add service '%s': %s", a->name, strerror(-err));
}

static int add_service(struct lwfp_engine *e, const struct add_args *a, uint32_t *handle)
{
	struct lwfp_service_opts o = { .sz = sizeof(o) };
	char path[PATH_MAX];
	int err;

	if (a->cgroup && ctl_resolve_cgroup(a->cgroup, path, sizeof(path)))
		return CTL_EXIT_FAIL;
	/* A pid nobody has would register a service that never matches. */
	if (a->kind == LWFP_ID_PID && kill(a->value, 0) && errno == ESRCH) {
		ctl_err("no process with pid %u (--pid)", a->value);
		return CTL_EXIT_FAIL;
	}
	o.name = a->name;
	o.provider = a->has_provider ? a->provider : NULL;
	o.id_kind = a->kind;
	o.id_value = a->value;
	o.cgroup = a->cgroup ? path : NULL;
	err = lwfp_service_add(e, &o, handle);
	if (err) {
		report_add_error(a, err);
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

static int service_add(struct ctl *c, int argc, char **argv)
{
	struct add_args a = { 0 };
	struct lwfp_engine *e;
	uint32_t handle;
	int err;

	err = parse_add(c, argc, argv, &a);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = add_service(e, &a, &handle);
	lwfp_engine_close(e);
	if (!err)
		printf("%u\n", handle);
	return err;
}

static int service_del(struct ctl *c, int argc, char **argv)
{
	const char *name = NULL;
	struct lwfp_engine *e;
	int err;

	err = ctl_parse_simple(c, argc, argv, del_usage, "service name", &name);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = lwfp_service_del(e, name);
	lwfp_engine_close(e);
	if (err == -ENOENT)
		ctl_err("no service named '%s'", name);
	else if (err)
		ctl_err("cannot delete service '%s': %s", name, strerror(-err));
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

static const char *identity_kind(uint32_t kind)
{
	switch (kind) {
	case LWFP_ID_UID:
		return "uid";
	case LWFP_ID_CGROUP:
		return "cgroup";
	case LWFP_ID_PID:
		return "pid";
	default:
		return "unknown";
	}
}

/* A cgroup identity as its path, the others as their number. */
static const char *identity_value(const struct lwfp_service_info *s, char *buf, size_t size)
{
	if (s->id_kind == LWFP_ID_CGROUP)
		return ctl_cgroup_str(s->id_value, buf, size);
	snprintf(buf, size, "%llu", (unsigned long long)s->id_value);
	return buf;
}

/* What `service list` walks with: the services with a live listener. */
struct list_ctx {
	struct json_object *arr;
	uint64_t listening;
};

static const char *service_state(const struct lwfp_service_info *s, const struct list_ctx *l)
{
	uint64_t bit = s->handle && s->handle <= 64 ? 1ull << (s->handle - 1) : 0;

	return l->listening & bit ? "listening" : "no listener";
}

static int print_service(const struct lwfp_service_info *s, void *ctx)
{
	char name[LWFP_NAME_MAX + 1], uuid[37], value[CTL_CGROUP_STR_MAX];

	ctl_copy_name(name, s->name, sizeof(s->name));
	lwfp_format_uuid(s->provider, uuid);
	printf("%-6u %-31s %-36s %-11s %s %s\n", s->handle, name, uuid, service_state(s, ctx),
	       identity_kind(s->id_kind), identity_value(s, value, sizeof(value)));
	return 0;
}

static struct json_object *identity_json(const struct lwfp_service_info *s)
{
	struct json_object *o = json_object_new_object();

	char path[CTL_CGROUP_STR_MAX];

	/* "value" stays the number (the cgroup's id), as it always was. */
	if (!o || cj_str(o, "kind", identity_kind(s->id_kind)) ||
	    cj_u64(o, "value", s->id_value) ||
	    (s->id_kind == LWFP_ID_CGROUP &&
	     cj_str(o, "path", identity_value(s, path, sizeof(path))))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *service_json(const struct lwfp_service_info *s, const struct list_ctx *l)
{
	struct json_object *o = json_object_new_object();
	char name[LWFP_NAME_MAX + 1], uuid[37];

	ctl_copy_name(name, s->name, sizeof(s->name));
	lwfp_format_uuid(s->provider, uuid);
	if (!o || cj_str(o, "name", name) || cj_u64(o, "handle", s->handle) ||
	    cj_str(o, "provider", uuid) || cj_add(o, "identity", identity_json(s)) ||
	    cj_str(o, "state", service_state(s, l))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int push_service(const struct lwfp_service_info *s, void *ctx)
{
	struct list_ctx *l = ctx;

	return cj_push(l->arr, service_json(s, l));
}

static int service_list(struct ctl *c, int argc, char **argv)
{
	struct list_ctx l = { 0 };
	struct lwfp_engine *e;
	int err;

	err = ctl_parse_simple(c, argc, argv, list_usage, NULL, NULL);
	if (err != CTL_CONTINUE)
		return err;
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	err = lwfp_service_listening(e, &l.listening);
	if (err) {
		ctl_err("cannot read the services' listeners: %s", strerror(-err));
		lwfp_engine_close(e);
		return CTL_EXIT_FAIL;
	}
	if (c->json) {
		l.arr = json_object_new_array();
		err = l.arr ? lwfp_service_foreach(e, push_service, &l) : -ENOMEM;
		if (!err)
			err = cj_print(l.arr);
		else
			json_object_put(l.arr);
	} else {
		printf("%-6s %-31s %-36s %-11s %s\n", "HANDLE", "NAME", "PROVIDER", "STATE",
		       "IDENTITY");
		err = lwfp_service_foreach(e, print_service, &l);
	}
	lwfp_engine_close(e);
	if (err)
		ctl_err("cannot list services: %s", strerror(-err));
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int cmd_service(struct ctl *c, int argc, char **argv)
{
	static const struct ctl_cmd actions[] = {
		{ "add", service_add, 0 },
		{ "del", service_del, 0 },
		{ "list", service_list, 0 },
	};

	return ctl_group(c, "service", actions, sizeof(actions) / sizeof(actions[0]), argc, argv,
			 service_usage);
}
