// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfpctl run [--via SERVICE]... -- CMD [ARGS]
 *
 * CMD runs in a transient cgroup T/cmd below the engine's cgroup. Its
 * connections go through the named services, in the order given, or through
 * a built-in lwfp-inspect in T/inspect. Every filter is scoped by origin
 * cgroup, so the whole chain, proxies' hops included, serves this CMD only
 * and two runs never see each other's traffic. Whatever run adds, it removes.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lwfpctl.h"

static const char run_usage[] =
	"Usage: lwfpctl run [via SERVICE]... [netns all|PATH]... [--pin-dir DIR] -- CMD [ARGS]\n"
	"       lwfpctl run [--via SERVICE]... [--netns all|PATH]... [--pin-dir DIR] -- CMD [ARGS]\n"
	"\n"
	"Run CMD in a fresh cgroup and send its connections through the named\n"
	"services, in the order given (each must have a redirect filter, whose\n"
	"target is used), or, with no --via, through a built-in lwfp-inspect whose\n"
	"flow log goes to stderr. Without an engine at DIR, a private one is\n"
	"brought up for CMD. Everything is removed when CMD exits or when run is\n"
	"interrupted. The exit status is CMD's (128+N if a signal N ended it), or\n"
	"125 when run itself failed, after one line on stderr saying what failed.\n"
	"\n"
	"  --via SERVICE   a service to pass through; repeat for a chain\n"
	"  --netns all|PATH  the built-in lwfp-inspect serves these network\n"
	"                  namespaces too (lwfp-inspect --netns): all, those of the\n"
	"                  processes of the engine's cgroup subtree, CMD's included,\n"
	"                  or a namespace file; repeatable. For a CMD that runs in\n"
	"                  other namespaces (a container); not with --via\n"
	"  --pin-dir DIR   " CTL_PIN_DIR_HELP
	"\n"
	"--via and --netns may be written as the keywords via and netns when a\n"
	"'--' follows: without one, CMD starts at the first word that is no option.\n";

/* High enough to come before an administrator's filters for this CMD. */
#define RUN_WEIGHT 0xf0000000u
#define RUN_MAX_VIA 8
#define RUN_MAX_NETNS 8
#define RUN_STATUS_FAIL 125 /* run itself failed, as env(1) and timeout(1) say */

struct run {
	struct ctl *c;
	const char *via[RUN_MAX_VIA];
	int nvia;
	const char *netns[RUN_MAX_NETNS]; /* --netns, for the built-in lwfp-inspect */
	int nnetns;
	char **cmd;
	char pin_dir[PATH_MAX];
	bool private_engine;
	struct lwfp_engine *e;
	char cg[PATH_MAX];
	char inspect_name[LWFP_NAME_MAX];
	uint32_t filters[RUN_MAX_VIA];
	int nfilters;
	pid_t inspect_pid;
	pid_t cmd_pid;
};

static volatile sig_atomic_t forward_to; /* CMD's pid, once it runs */
static volatile sig_atomic_t interrupted;

static int parse_run(struct run *r, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return ctl_help(run_usage);
		if ((!strcmp(a, "--via") || !strcmp(a, "--pin-dir") || !strcmp(a, "--netns")) &&
		    (i + 1 >= argc || !strncmp(argv[i + 1], "--", 2))) {
			if (i + 1 >= argc)
				ctl_err("option '%s' needs a value", a);
			else
				ctl_err("option '%s' needs a value, got the option '%s'", a,
					argv[i + 1]);
			return CTL_EXIT_FAIL;
		}
		if (!strcmp(a, "--via")) {
			if (r->nvia == RUN_MAX_VIA) {
				ctl_err("at most %d --via services", RUN_MAX_VIA);
				return CTL_EXIT_FAIL;
			}
			r->via[r->nvia++] = argv[++i];
		} else if (!strcmp(a, "--netns")) {
			if (r->nnetns == RUN_MAX_NETNS) {
				ctl_err("at most %d --netns", RUN_MAX_NETNS);
				return CTL_EXIT_FAIL;
			}
			r->netns[r->nnetns++] = argv[++i];
		} else if (!strcmp(a, "--pin-dir")) {
			r->c->pin_dir = argv[++i];
		} else if (a[0] == '-') {
			ctl_err("unknown option '%s' (put CMD after --)", a);
			return CTL_EXIT_FAIL;
		} else {
			break; /* CMD starts here */
		}
	}
	if (i >= argc) {
		ctl_err("no command to run (lwfpctl run [--via SERVICE]... -- CMD)");
		return CTL_EXIT_FAIL;
	}
	if (r->nnetns && r->nvia) {
		ctl_err("--netns is for the built-in lwfp-inspect: give it without --via");
		return CTL_EXIT_FAIL;
	}
	r->cmd = &argv[i];
	return CTL_CONTINUE;
}

static int path_join(char *buf, size_t size, const char *a, const char *b)
{
	return snprintf(buf, size, "%s/%s", a, b) >= (int)size ? -ENAMETOOLONG : 0;
}

/* Opens the engine, or brings up a private one attached to a fresh cgroup. */
static int engine_setup(struct run *r)
{
	struct lwfp_engine_opts opts = { .sz = sizeof(opts) };
	char root[PATH_MAX], name[64];
	int err;

	snprintf(r->pin_dir, sizeof(r->pin_dir), "%s", ctl_pin_dir(r->c));
	err = lwfp_engine_open(r->pin_dir, &r->e);
	if (err != -ENOENT)
		return err;
	snprintf(name, sizeof(name), "lwfp-run-%d", getpid());
	err = lwfp_cgroup2_root(root, sizeof(root));
	if (!err)
		err = path_join(r->cg, sizeof(r->cg), root, name);
	if (!err)
		err = path_join(r->pin_dir, sizeof(r->pin_dir), "/sys/fs/bpf", name);
	if (err)
		return err;
	if (mkdir(r->cg, 0755))
		return -errno;
	r->private_engine = true;
	opts.pin_dir = r->pin_dir;
	opts.cgroup = r->cg;
	return lwfp_engine_up(&opts, &r->e);
}

/* T below the engine's cgroup (a private engine's own cgroup is T), and T/cmd, T/inspect. */
static int cgroups_setup(struct run *r)
{
	char path[PATH_MAX], name[64];
	int err;

	if (!r->private_engine) {
		snprintf(name, sizeof(name), "lwfp-run-%d", getpid());
		err = path_join(r->cg, sizeof(r->cg), lwfp_engine_cgroup(r->e), name);
		if (err)
			return err;
		if (mkdir(r->cg, 0755))
			return -errno;
	}
	if (path_join(path, sizeof(path), r->cg, "cmd") || mkdir(path, 0755))
		return -errno;
	if (path_join(path, sizeof(path), r->cg, "inspect") || mkdir(path, 0755))
		return -errno;
	return 0;
}

static int origin_filter(struct run *r, const struct lwfp_filter_spec *tmpl, uint32_t weight)
{
	struct lwfp_filter_opts fo = { .sz = sizeof(fo) };
	struct lwfp_filter_spec f = {};
	char path[PATH_MAX];
	uint32_t level;
	uint64_t id;
	int err;

	err = path_join(path, sizeof(path), r->cg, "cmd");
	if (!err)
		err = lwfp_cgroup_id(path, &id, &level);
	if (err)
		return err;
	f.action = LWFP_ACT_REDIRECT;
	f.service = tmpl->service;
	f.to = tmpl->to;
	f.fail = LWFP_FAIL_CLOSED;
	f.ctx_kind = tmpl->ctx_kind;
	f.weight = weight;
	f.conds = LWFP_COND_ORIGIN_CGROUP | (tmpl->conds & LWFP_COND_PROTO);
	f.proto = tmpl->proto;
	f.origin_cgroup_id = id;
	fo.filter = &f;
	return lwfp_filter_add(r->e, &fo, &r->filters[r->nfilters++]);
}

struct first_redirect {
	uint32_t service;
	struct lwfp_filter_spec found;
	bool ok;
};

static int find_redirect(const struct lwfp_filter_spec *f, void *ctx)
{
	struct first_redirect *fr = ctx;

	if (f->action != LWFP_ACT_REDIRECT || f->service != fr->service)
		return 0;
	fr->found = *f;
	fr->ok = true;
	return 1;
}

/* One filter per --via, in order: the first named gets the highest weight. */
static int via_filters(struct run *r)
{
	struct first_redirect fr;
	struct lwfp_service_info s;
	int i, err;

	for (i = 0; i < r->nvia; i++) {
		err = lwfp_service_find(r->e, r->via[i], &s);
		if (err) {
			ctl_err("no service named '%s' (--via)", r->via[i]);
			return err;
		}
		memset(&fr, 0, sizeof(fr));
		fr.service = s.handle;
		err = lwfp_filter_foreach(r->e, find_redirect, &fr);
		if (err < 0) {
			ctl_err("cannot read the filters: %s", strerror(-err));
			return err;
		}
		if (!fr.ok) {
			ctl_err("service '%s' has no redirect filter to take its address from",
				r->via[i]);
			return -ENOENT;
		}
		err = origin_filter(r, &fr.found, RUN_WEIGHT - i);
		if (err) {
			ctl_err("cannot add the filter for CMD through '%s': %s", r->via[i],
				strerror(-err));
			return err;
		}
	}
	return 0;
}

/* A loopback port nobody uses now; the inspector binds it a moment later. */
static int free_port(uint16_t *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len))
		err = -errno;
	else
		*port = ntohs(sin.sin_port);
	close(fd);
	return err;
}

/* lwfp-inspect next to this lwfpctl, else from $PATH; $LWFP_INSPECT wins. */
static void inspect_path(char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n;

	if (getenv("LWFP_INSPECT")) {
		snprintf(buf, size, "%s", getenv("LWFP_INSPECT"));
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		snprintf(buf, size, "%s/lwfp-inspect", dirname(self));
		if (!access(buf, X_OK))
			return;
	}
	snprintf(buf, size, "lwfp-inspect");
}

/* Moves the calling process into cg/sub; used between fork and exec. */
static int enter_cgroup(const char *cg, const char *sub)
{
	char path[PATH_MAX], pid[32];
	int fd, len, ok;

	if (snprintf(path, sizeof(path), "%s/%s/cgroup.procs", cg, sub) >= (int)sizeof(path))
		return -1;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = snprintf(pid, sizeof(pid), "%d", getpid());
	ok = write(fd, pid, len) == len;
	close(fd);
	return ok ? 0 : -1;
}

static void child_exec(const char *cg, const char *sub, char **argv)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (enter_cgroup(cg, sub)) {
		ctl_err("cannot enter cgroup %s/%s: %s", cg, sub, strerror(errno));
		_exit(RUN_STATUS_FAIL);
	}
	execvp(argv[0], argv);
	ctl_err("cannot run '%s': %s", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

static int has_filter(const struct lwfp_filter_spec *f, void *ctx)
{
	return f->service == *(uint32_t *)ctx;
}

/* The inspector is ready once it has registered its filter. */
static int wait_inspector(struct run *r)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	struct lwfp_service_info s;
	int i, status;

	for (i = 0; i < 500; i++) {
		if (waitpid(r->inspect_pid, &status, WNOHANG) == r->inspect_pid) {
			r->inspect_pid = 0;
			ctl_err("the built-in lwfp-inspect exited before it was ready");
			return -ECHILD;
		}
		if (!lwfp_service_find(r->e, r->inspect_name, &s) &&
		    lwfp_filter_foreach(r->e, has_filter, &s.handle) == 1)
			return 0;
		nanosleep(&tick, NULL);
	}
	ctl_err("the built-in lwfp-inspect did not get ready within 10 s");
	return -ETIMEDOUT;
}

static int start_inspector(struct run *r)
{
	char exe[PATH_MAX], listen[32], origin[PATH_MAX];
	uint16_t port = 0;
	int err;

	err = free_port(&port);
	if (!err)
		err = path_join(origin, sizeof(origin), r->cg, "cmd");
	if (err)
		return err;
	inspect_path(exe, sizeof(exe));
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	snprintf(r->inspect_name, sizeof(r->inspect_name), "lwfp-run-%d", getpid());
	char *argv[13 + 2 * RUN_MAX_NETNS + 1] = {
		exe, "--listen", listen, "--service", r->inspect_name, "--pin-dir", r->pin_dir,
		"--register", "--origin-cgroup", origin, "--weight", "4026531840",
	};
	int n = 12, i;

	for (i = 0; i < r->nnetns; i++) {
		argv[n++] = "--netns";
		argv[n++] = (char *)r->netns[i];
	}
	argv[n] = NULL;

	r->inspect_pid = fork();
	if (r->inspect_pid < 0)
		return -errno;
	if (r->inspect_pid == 0) {
		/* The flow log goes to stderr: CMD's stdout stays CMD's. */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		child_exec(r->cg, "inspect", argv);
	}
	return wait_inspector(r);
}

/* A signal from kill(2) is passed on; one from the tty already reached CMD. */
static void on_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	interrupted = sig;
	if (forward_to > 0 && info->si_code <= 0)
		kill(forward_to, sig);
}

static int run_cmd(struct run *r)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };
	int status;
	pid_t p;

	r->cmd_pid = fork();
	if (r->cmd_pid < 0) {
		ctl_err("cannot start CMD: fork: %s", strerror(errno));
		r->cmd_pid = 0;
		return RUN_STATUS_FAIL;
	}
	if (r->cmd_pid == 0)
		child_exec(r->cg, "cmd", r->cmd);
	forward_to = r->cmd_pid;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	do {
		p = waitpid(r->cmd_pid, &status, 0);
	} while (p < 0 && errno == EINTR);
	forward_to = 0;
	r->cmd_pid = 0;
	if (p < 0) {
		ctl_err("cannot wait for CMD: %s", strerror(errno));
		return RUN_STATUS_FAIL;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void stop_inspector(struct run *r)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	int i;

	if (r->inspect_pid <= 0)
		return;
	/* SIGTERM lets it drain and remove its own service and filter. */
	kill(r->inspect_pid, SIGTERM);
	for (i = 0; i < 400; i++) {
		if (waitpid(r->inspect_pid, NULL, WNOHANG) == r->inspect_pid)
			return;
		nanosleep(&tick, NULL);
	}
	kill(r->inspect_pid, SIGKILL);
	waitpid(r->inspect_pid, NULL, 0);
}

static void remove_cgroup(const char *cg, const char *sub)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	char path[PATH_MAX];
	int i, fd;

	if (snprintf(path, sizeof(path), "%s/%s/cgroup.kill", cg, sub) >= (int)sizeof(path))
		return;
	/* Whatever CMD left running in its cgroup ends with it. */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			ctl_err("cannot empty %s/%s: %s", cg, sub, strerror(errno));
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/%s", cg, sub);
	for (i = 0; i < 200 && rmdir(path) && errno == EBUSY; i++)
		nanosleep(&tick, NULL);
}

static void teardown(struct run *r)
{
	int i;

	stop_inspector(r);
	if (r->e) {
		for (i = 0; i < r->nfilters; i++)
			lwfp_filter_del(r->e, r->filters[i]);
		/* After a SIGKILL the inspector could not deregister itself. */
		if (r->inspect_name[0])
			lwfp_service_del(r->e, r->inspect_name);
		lwfp_engine_close(r->e);
	}
	if (r->cg[0]) {
		remove_cgroup(r->cg, "cmd");
		remove_cgroup(r->cg, "inspect");
		if (rmdir(r->cg) && errno != ENOENT)
			ctl_err("cannot remove %s: %s", r->cg, strerror(errno));
	}
	if (r->private_engine)
		lwfp_engine_down(r->pin_dir);
}

static int setup(struct run *r)
{
	int err = engine_setup(r);

	if (err) {
		if (!ctl_pin_dir_refused(r->pin_dir, err))
			ctl_err("cannot use the engine at %s: %s", r->pin_dir, strerror(-err));
		return err;
	}
	err = cgroups_setup(r);
	if (err) {
		ctl_err("cannot create cgroups under %s: %s", r->cg, strerror(-err));
		return err;
	}
	if (r->nvia)
		return via_filters(r);
	err = start_inspector(r);
	if (err && err != -ECHILD && err != -ETIMEDOUT)
		ctl_err("cannot start lwfp-inspect: %s", strerror(-err));
	return err;
}

int cmd_run(struct ctl *c, int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };
	struct run r = { .c = c };
	int status;

	status = parse_run(&r, argc, argv);
	if (status != CTL_CONTINUE)
		return status == CTL_EXIT_OK ? status : RUN_STATUS_FAIL;
	if (ctl_require_root())
		return RUN_STATUS_FAIL;
	/* An interrupt during set-up must still reach the teardown. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (setup(&r)) {
		status = RUN_STATUS_FAIL;
	} else if (interrupted) {
		ctl_err("interrupted by signal %d before CMD started", (int)interrupted);
		status = RUN_STATUS_FAIL;
	} else {
		status = run_cmd(&r);
	}
	teardown(&r);
	return status;
}
