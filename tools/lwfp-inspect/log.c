// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The JSON flow log, built with json-c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "addr.h"
#include "common/cgpath.h"
#include "flow.h"
#include "log.h"
#include "udp_flow.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = STDOUT_FILENO;
static const char *log_path;
static bool write_failed; /* say so once, not once per flow */

void log_warn(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "lwfp-inspect: %s\n", line);
}

/*
 * O_NOFOLLOW: a root process appending where a symbolic link points would
 * let whoever can write the log's directory aim it at any file.
 */
static int open_file(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
}

/* ELOOP from O_NOFOLLOW says little; this says what is wrong. */
static const char *open_error(const char *path, int err)
{
	struct stat st;

	if (err == ELOOP && !lstat(path, &st) && S_ISLNK(st.st_mode))
		return "a symbolic link, which is not followed";
	return strerror(err);
}

int log_open(const char *path, char *err, size_t size)
{
	int fd, e;

	if (!path)
		return 0;
	fd = open_file(path);
	if (fd < 0) {
		e = errno;
		snprintf(err, size, "--log %s: %s", path, open_error(path, e));
		return -e;
	}
	log_fd = fd;
	log_path = path;
	return 0;
}

void log_reopen(void)
{
	int fd, old;

	if (!log_path)
		return;
	fd = open_file(log_path);
	if (fd < 0) {
		log_warn("reopening %s: %s; still writing to the old file", log_path,
			 open_error(log_path, errno));
		return;
	}
	pthread_mutex_lock(&log_lock);
	old = log_fd;
	log_fd = fd;
	write_failed = false;
	pthread_mutex_unlock(&log_lock);
	close(old);
}

void log_close(void)
{
	if (log_path)
		close(log_fd);
	log_fd = STDOUT_FILENO;
	log_path = NULL;
}

/* Called with log_lock held. */
static void write_line(const char *s, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(log_fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!write_failed)
				log_warn("writing the flow log: %s", strerror(errno));
			write_failed = true;
			return;
		}
		s += n;
		len -= (size_t)n;
	}
}

/* ---- fields -------------------------------------------------------------------- */

static void add(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

static void add_time(json_object *o, const struct timespec *ts)
{
	char buf[64];
	struct tm tm;
	size_t n;

	gmtime_r(&ts->tv_sec, &tm);
	n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%03ldZ", ts->tv_nsec / 1000000);
	add(o, "time", json_object_new_string(buf));
}

/*
 * The services of the hops, by name when the engine can be read. When it
 * cannot, the last hop (the one that brought the flow here) is this service,
 * whose --service name is known; the others stay handle numbers.
 */
static void add_chain(json_object *o, struct worker *w, const struct chain *c)
{
	json_object *arr = json_object_new_array();
	const char *name;
	unsigned int i;

	for (i = 0; i < c->nhops; i++) {
		name = names_get(&w->names, c->hops[i].service, w->now_ms);
		if (!name && i == c->nhops - 1)
			name = w->cfg->service;
		json_object_array_add(arr, name ? json_object_new_string(name)
						: json_object_new_uint64(c->hops[i].service));
	}
	add(o, "chain", arr);
}

static void add_records(json_object *o, struct worker *w, const struct chain *c)
{
	char token[17];

	if (!c->nhops)
		return;
	snprintf(token, sizeof(token), "%016" PRIx64, c->token);
	add(o, "token", json_object_new_string(token));
	add_chain(o, w, c);
}

/* A path is null when /proc no longer named the file; the inode stays known. */
static void add_file(json_object *o, const char *key, const char *path, uint64_t ino)
{
	char ikey[16];

	add(o, key, path[0] ? json_object_new_string(path) : NULL);
	snprintf(ikey, sizeof(ikey), "%s_ino", key);
	add(o, ikey, json_object_new_uint64(ino));
}

/* The application that opened the chain: its executable and its parent's. */
static void add_exe(json_object *o, const struct chain *c)
{
	if (!c->exe_ino)
		return;
	add_file(o, "exe", c->exe, c->exe_ino);
	add(o, "ppid", json_object_new_uint64(c->ppid));
	add_file(o, "pexe", c->pexe, c->pexe_ino);
}

static void add_origin(json_object *o, const struct chain *c)
{
	char addr[ADDR_STR_MAX];

	if (c->orig_dst.ss_family) {
		addr_format(&c->orig_dst, addr);
		add(o, "orig_dst", json_object_new_string(addr));
	}
	if (c->has_process) {
		add(o, "pid", json_object_new_uint64(c->pid));
		add(o, "comm", json_object_new_string(c->comm));
		add(o, "uid", json_object_new_uint64(c->uid));
		add_exe(o, c);
	}
}

static const char *const verdict_names[] = {
	[VERDICT_PASS] = "pass",
	[VERDICT_BLOCK] = "block",
	[VERDICT_ERROR] = "error",
};

/*
 * Where the application runs: its network namespace, its cgroup and the
 * container that cgroup names; and the name it resolved the destination from. A cgroup gone before its flow is logged
 * leaves only the namespace.
 */
static void add_identity(json_object *o, const struct chain *c)
{
	char path[CGPATH_MAX], id[CONTAINER_ID_MAX];

	if (c->netns_ino)
		add(o, "netns", json_object_new_uint64(c->netns_ino));
	if (c->dns_name[0])
		add(o, "dns_name", json_object_new_string(c->dns_name));
	if (!c->origin_cgroup_id || cgpath_get(c->origin_cgroup_id, path, sizeof(path)))
		return;
	add(o, "cgroup", json_object_new_string(path));
	if (cgroup_container(path, id, sizeof(id)))
		add(o, "container", json_object_new_string(id));
}

/* The fields every flow has, TCP or UDP, up to its protocol. */
static json_object *flow_head(struct worker *w, const struct timespec *started,
			      const struct chain *c, const char *proto)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	add_time(o, started);
	add_records(o, w, c);
	add_origin(o, c);
	add_identity(o, c);
	add(o, "proto", json_object_new_string(proto));
	return o;
}

static void add_end(json_object *o, struct worker *w, uint64_t started_ms, enum verdict v,
		    const char *rule, const char *error)
{
	add(o, "duration_ms", json_object_new_uint64(w->now_ms - started_ms));
	add(o, "verdict", json_object_new_string(verdict_names[v]));
	if (rule)
		add(o, "rule", json_object_new_string(rule));
	if (error[0])
		add(o, "error", json_object_new_string(error));
}

static const char *const relay_names[] = {
	[RELAY_SPLICE] = "splice",
	[RELAY_OFFLOAD] = "offload",
};

/*
 * "relay": how the bytes moved; "offload": why --offload was refused;
 * "bytes_spilled": of an offloaded flow, what the kernel held back and
 * lwfp-inspect wrote on itself (offload.h, backpressure).
 */
/* Why --offload did not hand a flow over: the budget's refusals (budget.h), or lwfp_offload()'s. */
static const char *offload_refusal(int err)
{
	if (err == -ENOBUFS)
		return "offload budget full";
	if (err == -EDQUOT)
		return "the user's share of the offload budget is full";
	return strerrordesc_np(-err);
}

static void add_relay(json_object *o, const struct flow *f)
{
	uint64_t spilled = f->off.up.pumped + f->off.down.pumped;
	const char *why;

	if (f->relay == RELAY_NONE)
		return;
	add(o, "relay", json_object_new_string(relay_names[f->relay]));
	if (f->relay == RELAY_OFFLOAD && spilled)
		add(o, "bytes_spilled", json_object_new_uint64(spilled));
	if (f->offload_err) {
		why = offload_refusal(f->offload_err);
		add(o, "offload", json_object_new_string(why ? why : "unknown error"));
	}
}

static void add_outcome(json_object *o, struct worker *w, const struct flow *f)
{
	if (f->peeked.kind != PEEK_KIND_NONE)
		add(o, f->peeked.kind == PEEK_KIND_SNI ? "sni" : "host",
		    json_object_new_string(f->peeked.name));
	if (f->unnamed)
		add(o, "unnamed", json_object_new_boolean(1));
	add(o, "bytes_up", json_object_new_uint64(f->up.bytes));
	add(o, "bytes_down", json_object_new_uint64(f->down.bytes));
	add_relay(o, f);
	add_end(o, w, f->started_ms, f->verdict, f->rule, f->error);
}

/* Datagrams as well as bytes, and what was dropped, each way. */
static void add_udp_outcome(json_object *o, struct worker *w, const struct udp_flow *f)
{
	char type[DNS_TYPE_NAME_MAX];

	if (f->has_dns) {
		add(o, "dns", json_object_new_string(f->dns.name));
		add(o, "dns_type", json_object_new_string(dns_type_name(f->dns.qtype, type)));
	}
	if (f->unnamed)
		add(o, "unnamed", json_object_new_boolean(1));
	add(o, "bytes_up", json_object_new_uint64(f->up.bytes));
	add(o, "bytes_down", json_object_new_uint64(f->down.bytes));
	add(o, "packets_up", json_object_new_uint64(f->up.packets));
	add(o, "packets_down", json_object_new_uint64(f->down.packets));
	add(o, "dropped_up", json_object_new_uint64(f->up.dropped));
	add(o, "dropped_down", json_object_new_uint64(f->down.dropped));
	add_end(o, w, f->started_ms, f->verdict, f->rule, f->error);
}

static void write_object(json_object *o)
{
	const char *s;
	char *line;
	size_t len;

	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	/* One write(2) per line: other processes may append to the same file. */
	line = s ? malloc(len + 1) : NULL;
	if (line) {
		memcpy(line, s, len);
		line[len] = '\n';
		pthread_mutex_lock(&log_lock);
		write_line(line, len + 1);
		pthread_mutex_unlock(&log_lock);
		free(line);
	}
}

void log_flow(struct worker *w, const struct flow *f)
{
	json_object *o = flow_head(w, &f->started, &f->chain, "tcp");

	if (!o)
		return;
	add_outcome(o, w, f);
	write_object(o);
	json_object_put(o);
}

void log_udp_flow(struct worker *w, const struct udp_flow *f)
{
	json_object *o = flow_head(w, &f->started, &f->chain, "udp");

	if (!o)
		return;
	add_udp_outcome(o, w, f);
	write_object(o);
	json_object_put(o);
}
