/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Declarations shared by the lwfpctl source files. */
#ifndef LWFPCTL_H
#define LWFPCTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include <lwfp/engine.h>

/* What every command accepts, wherever it appears among its options. */
struct ctl {
	const char *pin_dir; /* NULL until --pin-dir: the library default */
	bool json;
};

/* A command, or an action of a command group such as `service add`. */
struct ctl_cmd {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	unsigned int flags;
};

/* An older spelling: chosen by its whole word only, never by a prefix. */
#define CTL_CMD_EXACT 1u

/*
 * Exit statuses, and the value a parser returns when the command should go
 * on rather than exit.
 */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_CONTINUE (-1)

/* Option codes: above every char so they never clash with short options. */
enum {
	CTL_OPT_PIN_DIR = 0x100,
	CTL_OPT_CMD = 0x300, /* first code free for a command's own options */
};

/* ctl_next_opt() results besides the command's own option codes. */
#define CTL_OPT_ARG 1 /* a positional argument, in optarg */
#define CTL_OPT_HELP 'h'
#define CTL_OPT_BAD '?' /* already reported */

/* The --pin-dir line of every command's help, after its option column. */
#define CTL_PIN_DIR_HELP \
	"bpffs directory (default: $LWFP_PIN_DIR, else " LWFP_DEFAULT_PIN_DIR ")\n"

/* The line of every command's help that has options of its own. */
#define CTL_KEYWORDS_HELP                                                      \
	"Every option but --pin-dir and -j may be written as a keyword, without\n" \
	"its dashes: 'KEYWORD VALUE' is '--KEYWORD VALUE'.\n"

#define CTL_COMMON_LONGOPTS                                             \
	{ "pin-dir", required_argument, NULL, CTL_OPT_PIN_DIR },         \
	{ "json", no_argument, NULL, 'j' },                              \
	{ "help", no_argument, NULL, 'h' }

/* err.c: set while a batch runs: "FILE:LINE", put before every error. */
extern const char *ctl_err_where;
/* With -j: each error is one {"error": "..."} line on stderr. */
extern bool ctl_json_errors;
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *ctl_pin_dir(const struct ctl *c);
int ctl_require_root(void);
int ctl_open(struct ctl *c, struct lwfp_engine **e);
/* Reports err when it is a refused pin directory: true if it did. */
bool ctl_pin_dir_refused(const char *pin_dir, int err);
int ctl_bad_value(const char *opt, const char *arg);
int ctl_resolve_cgroup(const char *cgroup, char *buf, size_t size);

void ctl_opts_reset(void);
int ctl_next_opt(struct ctl *c, int argc, char **argv, const struct option *longopts);
int ctl_help(const char *text);
/* keywords.c: the error for a word the command has no place for. */
int ctl_unexpected_arg(const char *arg);
/*
 * keywords.c: after getopt_long returned the bare word optarg, the option
 * of longopts that word names as a keyword, with optarg set to its value
 * (the next word), or CTL_OPT_ARG when it names none.
 */
int ctl_keyword(int argc, char **argv, const struct option *longopts);
/* dispatch.c: runs the command of cmds that argv[0] names, or a unique prefix of. */
int ctl_dispatch(struct ctl *c, const char *group, const struct ctl_cmd *cmds, size_t n,
		 int argc, char **argv);
/* dispatch.c: the command chosen last, "filter add"; "" before any. */
const char *ctl_cmd_path(void);
int ctl_parse_simple(struct ctl *c, int argc, char **argv, const char *usage,
		     const char *argname, const char **arg);
int ctl_group(struct ctl *c, const char *group, const struct ctl_cmd *cmds, size_t n,
	      int argc, char **argv, const char *usage);

const char *ctl_proto_name(uint8_t proto);
const char *ctl_action_name(uint8_t action); /* cmd_filter.c */
/* Room for a cgroup path as ctl_cgroup_str() writes it. */
#define CTL_CGROUP_STR_MAX 512
/*
 * Cgroup id as its path relative to the cgroup v2 mount ("/a/b"), as
 * every output shows a cgroup; "#ID" when it is gone. Returns buf.
 */
const char *ctl_cgroup_str(uint64_t id, char *buf, size_t size);
const char *ctl_addr_str(const struct lwfp_addr *a, char *buf, size_t size);
int ctl_service_name(struct lwfp_engine *e, uint32_t handle, char name[LWFP_NAME_MAX + 1]);
void ctl_copy_name(char *dst, const char *src, size_t src_size);

/* json.c: each returns 0 or -ENOMEM; a NULL string or address is JSON null. */
int cj_add(struct json_object *o, const char *key, struct json_object *v);
int cj_null(struct json_object *o, const char *key);
int cj_str(struct json_object *o, const char *key, const char *s);
int cj_u64(struct json_object *o, const char *key, uint64_t v);
int cj_hex64(struct json_object *o, const char *key, uint64_t v);
int cj_addr(struct json_object *o, const char *key, const struct lwfp_addr *a);
int cj_push(struct json_object *array, struct json_object *v);
int cj_print(struct json_object *o);

/* cmd_engine.c: the options of `up`, parsed; CTL_CONTINUE, or the exit status. */
struct up_args {
	const char *cgroup;
	uint32_t max_flows_per_uid; /* 0: not given */
	const char *config; /* --config FILE */
	const char *before, *after; /* --before PROG, --after PROG */
};
int up_parse(struct ctl *c, int argc, char **argv, struct up_args *a);
/* up_note.c: the one line `up` without --cgroup prints (on stderr) */
void up_note_root(FILE *f, const char *cgroup);
/* up_order.c: --before/--after into opts, up's errors, where up landed */
int up_order_opts(const struct up_args *a, const char *cgroup, struct lwfp_engine_opts *o);
bool up_refused(int err, const struct lwfp_engine_opts *o);
void up_note_placement(FILE *f, const struct lwfp_engine *e);

int cmd_up(struct ctl *c, int argc, char **argv);
int cmd_down(struct ctl *c, int argc, char **argv);
int cmd_engine_show(struct ctl *c, int argc, char **argv); /* cmd_engine.c */
/* grammar.c: the objects engine, flow and policy; run with its keywords. */
int cmd_engine(struct ctl *c, int argc, char **argv);
int cmd_flow(struct ctl *c, int argc, char **argv);
int cmd_policy(struct ctl *c, int argc, char **argv);
int cmd_run_words(struct ctl *c, int argc, char **argv);
int cmd_service(struct ctl *c, int argc, char **argv);
int cmd_filter(struct ctl *c, int argc, char **argv);
int cmd_flows(struct ctl *c, int argc, char **argv);
int cmd_stats(struct ctl *c, int argc, char **argv);
/* prometheus.c: the counters v[LWFP_CNT__MAX] and the engine's sizes, for a scrape. */
int stats_prometheus(FILE *out, struct lwfp_engine *e, const uint64_t *v, uint32_t cap);
/* `lwfpctl metrics --listen ADDR:PORT`: the same over HTTP. */
int cmd_metrics(struct ctl *c, int argc, char **argv);
int cmd_monitor(struct ctl *c, int argc, char **argv);
int cmd_run(struct ctl *c, int argc, char **argv);
int cmd_doctor(struct ctl *c, int argc, char **argv); /* cmd_doctor.c */
int cmd_dns(struct ctl *c, int argc, char **argv); /* cmd_dns.c */

/* cmd_service.c, for policy files: the words of `service add`. */
struct service_spec {
	const char *name;
	uint8_t provider[16];
	bool has_provider;
	enum lwfp_identity_kind kind;
	uint32_t value;
	const char *cgroup;
};
/* Parses "add ARGS..."; CTL_CONTINUE with *s set, or the exit status. */
int service_add_args(struct ctl *c, int argc, char **argv, struct service_spec *s);

/* cmd_config.c: the policy file of `up --config`, `reload`, `save`. */
#define CTL_DEFAULT_CONFIG "/etc/lwfp/lwfp.conf"
struct policy;
/* The policy of path, parsed and checked: NULL once the error is reported. */
struct policy *config_load(struct ctl *c, const char *path);
/* Makes the engine's policy file's, all or none; frees file. An exit status. */
int config_apply(struct ctl *c, struct lwfp_engine *e, struct policy *file);
int cmd_reload(struct ctl *c, int argc, char **argv);
int cmd_save(struct ctl *c, int argc, char **argv);

/* `lwfpctl -batch FILE`: argv as main() got it. */
bool ctl_is_batch(int argc, char **argv);
int cmd_batch(struct ctl *c, int argc, char **argv);

/* cmd_filter.c, for the batch: the parts of `filter add`. */
struct filter_spec;
/* Parses "add ARGS..."; CTL_CONTINUE with *spec and *service (or NULL) set. */
int filter_add_args(struct ctl *c, int argc, char **argv, struct filter_spec *spec,
		    const char **service);
int find_service(struct lwfp_engine *e, const char *name, uint32_t *handle);
/* Reports an error of lwfp_filter_add or lwfp_filter_add_batch, if any. */
void filter_add_error(int err, const char *service);
/* filter_refresh.c: lwfpctl filter refresh */
#define FILTER_REFRESH_SYNOPSIS "lwfpctl filter refresh\n"
int filter_refresh(struct ctl *c, int argc, char **argv);

#endif /* LWFPCTL_H */
