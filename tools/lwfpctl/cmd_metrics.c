// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfpctl metrics --listen ADDR:PORT: `stats --prometheus` over HTTP, for a
 * Prometheus server to scrape. One request at a time, HTTP/1.0, GET
 * /metrics only: a scrape every few seconds needs no more, and a responder
 * this small has little to get wrong. Each scrape opens the engine afresh,
 * so that after `down` and `up` it reads the new engine, not the old maps
 * its descriptors would keep alive.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lwfp/parse.h>

#include "lwfpctl.h"

/* A scrape request is a few hundred bytes; anything longer is refused. */
#define REQUEST_MAX 4096
/* A client that stalls holds the only slot: it gets this long. */
#define IO_TIMEOUT_S 5

static const char metrics_usage[] =
	"Usage: lwfpctl metrics listen ADDR:PORT\n"
	"\n"
	"Serve `lwfpctl stats prometheus` over HTTP at http://ADDR:PORT/metrics,\n"
	"one request at a time, until interrupted (SIGINT, SIGTERM).\n"
	"\n"
	"  --listen ADDR:PORT  where to listen, [::1]:9464 for IPv6\n"
	"  --pin-dir DIR       " CTL_PIN_DIR_HELP
	"\n"
	CTL_KEYWORDS_HELP;

enum { OPT_LISTEN = CTL_OPT_CMD };

static int metrics_parse(struct ctl *c, int argc, char **argv, struct lwfp_addr *at,
			 const char **listen)
{
	static const struct option longopts[] = {
		CTL_COMMON_LONGOPTS,
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ 0 },
	};
	bool have = false;
	int opt;

	ctl_opts_reset();
	while ((opt = ctl_next_opt(c, argc, argv, longopts)) != -1) {
		if (opt == OPT_LISTEN) {
			if (lwfp_parse_addr_port(optarg, at))
				return ctl_bad_value("--listen", optarg);
			*listen = optarg;
			have = true;
		} else if (opt == CTL_OPT_HELP) {
			return ctl_help(metrics_usage);
		} else if (opt == CTL_OPT_ARG) {
			return ctl_unexpected_arg(optarg);
		} else {
			return CTL_EXIT_FAIL;
		}
	}
	if (!have) {
		ctl_err("missing --listen ADDR:PORT");
		return CTL_EXIT_FAIL;
	}
	return CTL_CONTINUE;
}

static int listen_on(const struct lwfp_addr *a)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	socklen_t len = sizeof(*s4);
	int fd, one = 1;

	if (a->family == LWFP_AF_INET6) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = a->port;
		memcpy(&s6->sin6_addr, a->ip, sizeof(s6->sin6_addr));
		len = sizeof(*s6);
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = a->port;
		s4->sin_addr.s_addr = a->ip[0];
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void respond(int fd, const char *status, const char *type, const char *body, size_t len)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n",
		     status, type, len);
	/* The client went away: nothing to tell anyone. */
	if (!send_all(fd, head, (size_t)n))
		send_all(fd, body, len);
}

static void respond_text(int fd, const char *status, const char *text)
{
	respond(fd, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* The request head, NUL-terminated: 0, or -E2BIG when it does not fit. */
static int read_head(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1) {
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -ECONNRESET;
		len += (size_t)n;
		buf[len] = 0;
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return 0;
	}
	return -E2BIG;
}

/* The exposition into a malloc()ed buffer. */
static int scrape(struct ctl *c, char **text, size_t *len)
{
	uint64_t v[LWFP_CNT__MAX];
	struct lwfp_engine *e;
	FILE *out;
	int err;

	err = lwfp_engine_open(ctl_pin_dir(c), &e);
	if (err)
		return err;
	out = open_memstream(text, len);
	err = out ? lwfp_counters_read(e, v, LWFP_CNT__MAX) : -errno;
	if (!err)
		err = stats_prometheus(out, e, v, lwfp_engine_max_flows_per_uid(e));
	if (out && fclose(out) && !err)
		err = -errno;
	lwfp_engine_close(e);
	if (err && out)
		free(*text);
	return err;
}

static void serve_metrics(struct ctl *c, int fd)
{
	char *text = NULL, msg[128];
	size_t len = 0;
	int err = scrape(c, &text, &len);

	if (err) {
		snprintf(msg, sizeof(msg), "cannot read the engine at %s: %s\n", ctl_pin_dir(c),
			 strerror(-err));
		respond_text(fd, "503 Service Unavailable", msg);
		return;
	}
	respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", text, len);
	free(text);
}

/*
 * Closing with unread bytes makes the kernel reset the connection, which
 * can destroy the reply before the client reads it: end our side, and read
 * what is left, boundedly, until the client closes.
 */
static void drain(int fd)
{
	char buf[1024];
	size_t total = 0;
	ssize_t n;

	if (shutdown(fd, SHUT_WR))
		return;
	while (total < 16 * REQUEST_MAX && (n = recv(fd, buf, sizeof(buf), 0)) > 0)
		total += (size_t)n;
}

/* NULL for a scrape, or the status of the refusal, its text in *why. */
static const char *refusal(int err, const char *head, const char **why)
{
	char method[8], path[REQUEST_MAX], version[16];

	*why = "request too large\n";
	if (err == -E2BIG)
		return "431 Request Header Fields Too Large";
	*why = "bad request\n";
	if (sscanf(head, "%7s %4095s %15s", method, path, version) != 3 ||
	    strncmp(version, "HTTP/", 5))
		return "400 Bad Request";
	*why = "only GET\n";
	if (strcmp(method, "GET"))
		return "405 Method Not Allowed";
	*why = "only /metrics\n";
	if (strcmp(path, "/metrics") && strncmp(path, "/metrics?", 9))
		return "404 Not Found";
	return NULL;
}

static void serve_one(struct ctl *c, int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	const char *status, *why;
	char head[REQUEST_MAX];
	int err;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return;
	err = read_head(fd, head, sizeof(head));
	/* A client that closed or stalled gets nothing. */
	if (err && err != -E2BIG)
		return;
	status = refusal(err, head, &why);
	if (status)
		respond_text(fd, status, why);
	else
		serve_metrics(c, fd);
	drain(fd);
}

/* SIGINT and SIGTERM as a descriptor, so that one poll waits for both. */
static int signal_fd(void)
{
	sigset_t set;
	int fd;

	if (sigemptyset(&set) || sigaddset(&set, SIGINT) || sigaddset(&set, SIGTERM) ||
	    sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int serve(struct ctl *c, int lfd, int sfd)
{
	struct pollfd p[2] = { { .fd = lfd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
	int fd;

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[1].revents)
			return 0;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			/* A client that gave up before the accept is not our failure. */
			if (errno == ECONNABORTED || errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		serve_one(c, fd);
		close(fd);
	}
}

int cmd_metrics(struct ctl *c, int argc, char **argv)
{
	struct lwfp_engine *e;
	const char *listen = NULL;
	struct lwfp_addr at;
	int err, lfd, sfd;

	err = metrics_parse(c, argc, argv, &at, &listen);
	if (err != CTL_CONTINUE)
		return err;
	/* Refuse at once when there is no engine, rather than at the first scrape. */
	if (ctl_open(c, &e))
		return CTL_EXIT_FAIL;
	lwfp_engine_close(e);
	sfd = signal_fd();
	if (sfd < 0) {
		ctl_err("cannot catch signals: %s", strerror(-sfd));
		return CTL_EXIT_FAIL;
	}
	lfd = listen_on(&at);
	if (lfd < 0) {
		ctl_err("cannot listen on %s: %s", listen, strerror(-lfd));
		close(sfd);
		return CTL_EXIT_FAIL;
	}
	err = serve(c, lfd, sfd);
	close(lfd);
	close(sfd);
	if (err)
		ctl_err("metrics: %s", strerror(-err));
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
