// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --netns: the served namespaces and their sockets; see netns.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lwfp/lwfp.h>

#include "addr.h"
#include "listen.h"
#include "log.h"
#include "netns.h"
#include "udp.h"
#include "worker.h"

int netns_opt(struct netns_opts *o, const char *arg, char *err, size_t size)
{
	if (!strcmp(arg, "all")) {
		o->all = true;
		return 0;
	}
	if (arg[0] != '/') {
		snprintf(err, size, "bad --netns '%s' (all, or the path of a namespace: "
			 "/proc/PID/ns/net, /run/netns/NAME)", arg);
		return -EINVAL;
	}
	if (o->npaths == NETNS_MAX_PATHS) {
		snprintf(err, size, "at most %d --netns paths", NETNS_MAX_PATHS);
		return -EINVAL;
	}
	o->paths[o->npaths++] = arg;
	return 0;
}

/* ---- one namespace's sockets, per worker ------------------------------------------ */

static int tcp_listener(const struct netns *ns, const struct lwfp_addr *a, uint32_t handle)
{
	struct lwfp_listen_opts o = {
		.sz = sizeof(o), .backlog = SOMAXCONN,
		.reuseaddr = true, .reuseport = true, .nonblock = true,
	};
	struct sockaddr_storage ss;
	socklen_t len = addr_to_sockaddr(a, &ss);
	int fd;

	fd = lwfp_listen_netns(ns->fd, (struct sockaddr *)&ss, len, &o);
	if (fd >= 0)
		listen_register(fd, handle);
	return fd;
}

static int udp_wildcard(const struct netns *ns, uint16_t port, bool v6, uint32_t handle)
{
	struct lwfp_listen_opts o = {
		.sz = sizeof(o), .type = SOCK_DGRAM, .reuseaddr = true,
		.reuseport = true, .pktinfo = true, .nonblock = true,
	};
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd;

	if (v6)
		fd = lwfp_listen_netns(ns->fd, (struct sockaddr *)&sin6, sizeof(sin6), &o);
	else
		fd = lwfp_listen_netns(ns->fd, (struct sockaddr *)&sin, sizeof(sin), &o);
	if (fd >= 0)
		listen_register(fd, handle);
	return fd;
}

static int open_ports(struct ns_set *set, const struct config *cfg)
{
	struct udp_port *p;
	size_t i;
	int fd;

	set->ports = calloc(2 * cfg->nudp_ports + 1, sizeof(*set->ports));
	if (!set->ports)
		return -ENOMEM;
	for (i = 0; i < 2 * cfg->nudp_ports; i++) {
		fd = udp_wildcard(set->ns, cfg->udp_ports[i / 2], i % 2, cfg->service_handle);
		if (fd == -EAFNOSUPPORT && i % 2)
			continue; /* no IPv6 there */
		if (fd < 0)
			return fd;
		p = &set->ports[set->nports++];
		p->watch.fd = fd;
		p->port = htons(cfg->udp_ports[i / 2]);
		p->v6 = i % 2;
	}
	return 0;
}

/* The sockets of one worker in ns: 0, or -errno and *out NULL. */
static int make_set(struct netns *ns, const struct config *cfg, struct ns_set **out)
{
	struct ns_set *set = calloc(1, sizeof(*set));
	size_t i;
	int fd, err = 0;

	*out = NULL;
	if (!set)
		return -ENOMEM;
	set->ns = netns_get(ns);
	for (i = 0; i < cfg->nlisten && !err; i++) {
		fd = tcp_listener(ns, &cfg->listen[i], cfg->service_handle);
		if (fd < 0)
			err = fd;
		else
			set->listeners[set->nlisteners++].watch.fd = fd;
	}
	if (!err)
		err = open_ports(set, cfg);
	if (err) {
		ns_set_free(set);
		return err;
	}
	*out = set;
	return 0;
}

/* ---- serving and dropping ----------------------------------------------------------- */

static void post_remove(struct netns_mgr *m, struct netns *ns)
{
	struct ns_set *req;
	unsigned int i;

	for (i = 0; i < m->nworkers; i++) {
		req = calloc(1, sizeof(*req));
		if (!req) {
			/* Without its request the worker keeps the sockets until exit. */
			log_warn("netns %lu: out of memory", (unsigned long)ns->ino);
			continue;
		}
		req->ns = netns_get(ns);
		req->remove = true;
		worker_post_netns(&m->workers[i], req);
	}
}

void netns_mgr_register(struct netns_mgr *m, uint32_t handle)
{
	struct ns_set *req;
	unsigned int i;

	for (i = 0; i < m->nworkers; i++) {
		req = calloc(1, sizeof(*req));
		if (!req) {
			log_warn("registering the namespaces' listeners: out of memory");
			continue;
		}
		req->reregister = handle;
		worker_post_netns(&m->workers[i], req);
	}
}

/*
 * All the workers' sockets are made before any is handed over, so that a
 * namespace is served whole or not at all.
 */
static int serve(struct netns_mgr *m, struct netns *ns)
{
	struct ns_set **sets = calloc(m->nworkers, sizeof(*sets));
	unsigned int i;
	int err = sets ? 0 : -ENOMEM;

	for (i = 0; i < m->nworkers && !err; i++)
		err = make_set(ns, m->cfg, &sets[i]);
	for (i = 0; i < m->nworkers && sets; i++) {
		if (err && sets[i])
			ns_set_free(sets[i]);
		else if (sets[i])
			worker_post_netns(&m->workers[i], sets[i]);
	}
	free(sets);
	return err;
}

/* An IPv6 UDP flow needs its prefix routed in the flow's namespace. */
static void route_udp6(const struct netns_mgr *m, const struct netns *ns)
{
	int err;

	if (!m->cfg->nudp_ports)
		return;
	err = lwfp_netns_udp_route(ns->fd);
	if (err)
		log_warn("netns %lu: routing the IPv6 UDP flow prefix: %s; IPv6 UDP flows "
			 "from there fail", (unsigned long)ns->ino, strerror(-err));
}

static struct netns *find(struct netns_mgr *m, uint64_t dev, uint64_t ino)
{
	struct netns *ns;

	for (ns = m->served; ns; ns = ns->next)
		if (ns->dev == dev && ns->ino == ino)
			return ns;
	return NULL;
}

/* Opens and serves the namespace of path. 0 or -errno. */
static int add(struct netns_mgr *m, const char *path, bool fixed, const char *why)
{
	struct netns *ns = calloc(1, sizeof(*ns));
	struct stat st;
	int err;

	if (!ns)
		return -ENOMEM;
	atomic_init(&ns->refs, 1);
	ns->fixed = fixed;
	ns->seen = true;
	ns->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns->fd < 0 || fstat(ns->fd, &st)) {
		err = -errno;
		if (ns->fd >= 0)
			close(ns->fd);
		free(ns);
		return err;
	}
	ns->dev = st.st_dev;
	ns->ino = st.st_ino;
	err = serve(m, ns);
	if (err) {
		log_warn("netns %lu (%s): not served: %s", (unsigned long)ns->ino, why,
			 strerror(-err));
		netns_put(ns);
		return err;
	}
	route_udp6(m, ns);
	ns->next = m->served;
	m->served = ns;
	m->nserved++;
	log_warn("serving netns %lu (%s)", (unsigned long)ns->ino, why);
	return 0;
}

/* ---- the scan of the cgroup subtree --------------------------------------------------- */

static bool is_self(const struct netns_mgr *m, const struct stat *st)
{
	return st->st_dev == m->self_dev && st->st_ino == m->self_ino;
}

static void see_pid(struct netns_mgr *m, long pid)
{
	char path[64], why[64];
	struct netns *ns;
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
	if (stat(path, &st) || is_self(m, &st))
		return; /* gone already, or ours */
	ns = find(m, st.st_dev, st.st_ino);
	if (ns) {
		ns->seen = true;
		return;
	}
	snprintf(why, sizeof(why), "pid %ld", pid);
	add(m, path, false, why);
}

static void scan_procs(struct netns_mgr *m, int dirfd)
{
	int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	long pid;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while (fscanf(f, "%ld", &pid) == 1)
		see_pid(m, pid);
	fclose(f);
}

/* dirfd is consumed. A cgroup removed meanwhile is simply skipped. */
static void scan_cgroup(struct netns_mgr *m, int dirfd, int depth)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;
	int sub;

	if (!d) {
		close(dirfd);
		return;
	}
	scan_procs(m, dirfd);
	while (depth < 64 && (e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub >= 0)
			scan_cgroup(m, sub, depth + 1);
	}
	closedir(d);
}

static void drop_unseen(struct netns_mgr *m)
{
	struct netns **p = &m->served, *ns;

	while ((ns = *p)) {
		if (ns->seen || ns->fixed) {
			p = &ns->next;
			continue;
		}
		*p = ns->next;
		m->nserved--;
		log_warn("no longer serving netns %lu: no process of the cgroup is in it",
			 (unsigned long)ns->ino);
		post_remove(m, ns);
		netns_put(ns);
	}
}

void netns_mgr_scan(struct netns_mgr *m)
{
	struct netns *ns;
	int fd;

	if (!m->opts || !m->opts->all)
		return;
	for (ns = m->served; ns; ns = ns->next)
		ns->seen = false;
	fd = open(m->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		/* Keep serving what is served: this may pass. */
		log_warn("--netns all: %s: %s", m->cgroup, strerror(errno));
		return;
	}
	scan_cgroup(m, fd, 0);
	drop_unseen(m);
}

/* ---- start and stop ----------------------------------------------------------------- */

static int add_paths(struct netns_mgr *m, char *err, size_t size)
{
	struct stat st;
	size_t i;
	int e;

	for (i = 0; i < m->opts->npaths; i++) {
		const char *path = m->opts->paths[i];

		if (stat(path, &st)) {
			snprintf(err, size, "--netns %s: %s", path, strerror(errno));
			return -errno;
		}
		if (is_self(m, &st) || find(m, st.st_dev, st.st_ino))
			continue; /* served already */
		e = add(m, path, true, path);
		if (e) {
			snprintf(err, size, "--netns %s: %s", path, strerror(-e));
			return e;
		}
	}
	return 0;
}

int netns_mgr_start(struct netns_mgr *m, const struct netns_opts *o, const struct config *cfg,
		    struct worker *workers, unsigned int nworkers, char *err, size_t size)
{
	const char *cg;
	struct stat st;

	memset(m, 0, sizeof(*m));
	if (!netns_enabled(o))
		return 0;
	m->opts = o;
	m->cfg = cfg;
	m->workers = workers;
	m->nworkers = nworkers;
	if (stat("/proc/self/ns/net", &st)) {
		snprintf(err, size, "/proc/self/ns/net: %s", strerror(errno));
		return -errno;
	}
	m->self_dev = st.st_dev;
	m->self_ino = st.st_ino;
	if (o->all) {
		cg = cfg->engine ? lwfp_engine_cgroup(cfg->engine) : NULL;
		if (!cg || !*cg) {
			snprintf(err, size, "--netns all: the engine at %s cannot be read, so "
				 "its cgroup is unknown", cfg->pin_dir);
			return -ENOENT;
		}
		snprintf(m->cgroup, sizeof(m->cgroup), "%s", cg);
	}
	netns_mgr_scan(m);
	return add_paths(m, err, size);
}

void netns_mgr_stop(struct netns_mgr *m)
{
	struct netns *ns;

	while ((ns = m->served)) {
		m->served = ns->next;
		netns_put(ns);
	}
	m->nserved = 0;
}
