// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfp-test-relay: a small thread-per-connection TCP relay built on liblwfp.
 * The integration tests run one per service, as that service's proxy.
 *
 * usage: lwfp-test-relay --listen ADDR:PORT [--name NAME] [--log FILE]
 *                        [--no-set-records] [--state-handles H1,H2,...]
 *                        [--pidfile FILE] [--max-flows N]
 *
 *   --listen ADDR:PORT   198.18.0.1:15001 or [::1]:15001
 *   --name NAME          the relay's name in its log lines (default "relay")
 *   --log FILE           append one line per accepted flow (default stdout)
 *   --no-set-records     do not set the records on the outbound socket
 *   --state-handles LIST service handles whose redirect state is logged
 *   --pidfile FILE       written once the socket listens (a readiness signal)
 *   --max-flows N        flows relayed at once (default 256); past that an
 *                        accepted connection is logged as
 *                        "relay=NAME refused=max-flows" and closed, which
 *                        bounds the damage of a redirect loop
 *
 * For each accepted connection, the way a WFP proxy does it:
 *   1. query the records (8 KiB buffer), the context (ENOENT: no context) and
 *      the original destination of the accepted socket;
 *   2. decode the context; if it is a struct lwfp_redirect_context, its
 *      `remote` is a second source for the original destination;
 *   3. create the outbound socket, set the records on it (before connect),
 *      log the states of the --state-handles services on both sockets;
 *   4. connect to the original destination, write the log line, relay both
 *      directions with half-close, and close both sockets.
 *
 * The log line (one line, key=value, written with a single write(2)):
 *   relay=NAME orig=ADDR:PORT ctx_orig=ADDR:PORT|none agree=1|0 nhops=N
 *   hops=H1/F1,H2/F2,...|- in_state=h:s,...|- out_state=h:s,...|-
 *   set=0|-errno|off|skip connect=0|-errno|skip rec=0|-errno ctx=KIND|-errno
 * orig is -errno when the original destination is unknown; a state s is the
 * enum lwfp_redirect_state number or -errno; ctx KIND is metadata, sockaddrs,
 * raw (any other bytes) or none. Errors go to the log line, never a crash.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lwfp/lwfp.h>

#include "relay_common.h"

#define RECORDS_BUF 8192
#define CONTEXT_BUF 8192
#define MAX_HANDLES 16
#define LINE_MAX_LEN 2048

static const char *relay_name = "relay";
static int log_fd = STDOUT_FILENO;
static bool set_records = true;
static uint32_t state_handles[MAX_HANDLES];
static int n_state_handles;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int max_flows = 256;
static int active_flows; /* __atomic */

/* ---- addresses --------------------------------------------------------- */

static socklen_t sockaddr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
}

/* ---- decoding ---------------------------------------------------------- */

/*
 * What kind of context this is and, when it names one, the original
 * destination it holds. Returns the kind as a static string.
 */
static const char *decode_context(const void *buf, size_t len, struct sockaddr_storage *orig,
				  bool *have_orig)
{
	const struct lwfp_redirect_context *c = buf;

	*have_orig = false;
	if (len >= sizeof(*c) && c->version == LWFP_CONTEXT_VERSION && c->size == len) {
		*have_orig = lwfp_addr_to_sockaddr(&c->remote, orig) == 0;
		return "metadata";
	}
	if (len == 2 * LWFP_SOCKADDR_STORAGE_SIZE) {
		/* WFPSampler: original remote, then original local. */
		struct sockaddr_storage ss;

		memcpy(&ss, buf, sizeof(ss));
		if (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) {
			*orig = ss;
			*have_orig = true;
			return "sockaddrs";
		}
	}
	return "raw";
}

/* ---- the log line ------------------------------------------------------ */

struct line {
	char buf[LINE_MAX_LEN];
	size_t len;
};

__attribute__((format(printf, 2, 3))) static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n;
	if (l->len >= sizeof(l->buf))
		l->len = sizeof(l->buf) - 1;
}

static void add_states(struct line *l, const char *key, int fd)
{
	add(l, " %s=", key);
	if (n_state_handles == 0) {
		add(l, "-");
		return;
	}
	for (int i = 0; i < n_state_handles; i++)
		add(l, "%s%u:%d", i ? "," : "", state_handles[i],
		    lwfp_query_redirect_state(fd, state_handles[i]));
}

static void write_line(struct line *l)
{
	const char *p;
	size_t left;

	if (l->len >= sizeof(l->buf) - 1)
		l->len = sizeof(l->buf) - 2;
	l->buf[l->len++] = '\n';
	/* One write(2) on an O_APPEND file: lines of concurrent flows never mix. */
	pthread_mutex_lock(&log_lock);
	p = l->buf;
	left = l->len;
	while (left > 0) {
		ssize_t n = write(log_fd, p, left);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	pthread_mutex_unlock(&log_lock);
}

/* ---- relaying ---------------------------------------------------------- */

/* ---- one flow ---------------------------------------------------------- */

static void *handle_flow(void *arg)
{
	int in = (int)(intptr_t)arg;
	int out = -1;
	unsigned char records[RECORDS_BUF];
	unsigned char context[CONTEXT_BUF];
	size_t rec_len = 0, ctx_len = 0;
	struct sockaddr_storage orig, ctx_orig;
	struct lwfp_records rec;
	bool have_ctx_orig = false;
	const char *ctx_kind = "none";
	char addr[128];
	int rc_rec, rc_ctx, rc_orig, rc_set = 1, rc_conn = 1, nhops = 0;
	struct line l = { .len = 0 };

	rc_rec = lwfp_query_redirect_records(in, records, sizeof(records), &rec_len);
	rc_ctx = lwfp_query_redirect_context(in, context, sizeof(context), &ctx_len);
	rc_orig = lwfp_query_original_destination(in, &orig);

	if (rc_rec == 0)
		nhops = decode_records(records, rec_len, &rec);
	if (rc_ctx == 0)
		ctx_kind = decode_context(context, ctx_len, &ctx_orig, &have_ctx_orig);

	add(&l, "relay=%s", relay_name);
	if (rc_orig == 0) {
		format_sockaddr(&orig, addr, sizeof(addr));
		add(&l, " orig=%s", addr);
	} else {
		add(&l, " orig=%d", rc_orig);
	}
	if (have_ctx_orig) {
		format_sockaddr(&ctx_orig, addr, sizeof(addr));
		add(&l, " ctx_orig=%s", addr);
	} else {
		add(&l, " ctx_orig=none");
	}
	add(&l, " agree=%d", rc_orig == 0 && have_ctx_orig && same_sockaddr(&orig, &ctx_orig));
	add(&l, " nhops=%d hops=", nhops);
	if (nhops <= 0)
		add(&l, "-");
	for (int i = 0; i < nhops; i++)
		add(&l, "%s%u/%u", i ? "," : "", rec.hops[i].service, rec.hops[i].filter_id);
	add_states(&l, "in_state", in);

	if (rc_orig == 0) {
		out = socket(orig.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (out < 0)
			rc_conn = -errno;
	}
	if (out >= 0 && set_records && rc_rec == 0)
		rc_set = lwfp_set_redirect_records(out, records, rec_len);

	if (out >= 0) {
		add_states(&l, "out_state", out);
	} else {
		add(&l, " out_state=-");
	}
	if (!set_records)
		add(&l, " set=off");
	else if (rc_set == 1)
		add(&l, " set=skip");
	else
		add(&l, " set=%d", rc_set);

	if (out >= 0) {
		do {
			rc_conn = connect(out, (struct sockaddr *)&orig, sockaddr_len(&orig)) ? -errno : 0;
		} while (rc_conn == -EINTR);
	}
	if (rc_conn == 1)
		add(&l, " connect=skip");
	else
		add(&l, " connect=%d", rc_conn);
	add(&l, " rec=%d", rc_rec);
	if (rc_ctx == 0 || rc_ctx == -ENOENT)
		add(&l, " ctx=%s", ctx_kind);
	else
		add(&l, " ctx=%d", rc_ctx);
	write_line(&l);

	if (rc_conn == 0)
		relay(in, out);
	if (out >= 0)
		close(out);
	close(in);
	__atomic_sub_fetch(&active_flows, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* ---- main -------------------------------------------------------------- */

static int parse_handles(const char *s)
{
	char *copy = strdup(s), *save = NULL, *tok;
	int rc = 0;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(tok, &end, 10);
		if (errno || *end || end == tok || v > UINT32_MAX || n_state_handles >= MAX_HANDLES) {
			rc = -1;
			break;
		}
		state_handles[n_state_handles++] = (uint32_t)v;
	}
	free(copy);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: lwfp-test-relay --listen ADDR:PORT [--name NAME] [--log FILE]\n"
		   "                      [--no-set-records] [--state-handles H1,H2,...]\n"
		   "                      [--pidfile FILE] [--max-flows N]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "name", required_argument, NULL, 'n' },
		{ "log", required_argument, NULL, 'L' },
		{ "no-set-records", no_argument, NULL, 'N' },
		{ "state-handles", required_argument, NULL, 's' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "max-flows", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *listen_s = NULL, *log_path = NULL, *pidfile = NULL;
	pthread_attr_t attr;
	int lfd, c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen_s = optarg; break;
		case 'n': relay_name = optarg; break;
		case 'L': log_path = optarg; break;
		case 'N': set_records = false; break;
		case 's':
			if (parse_handles(optarg)) {
				fprintf(stderr, "lwfp-test-relay: bad --state-handles '%s'\n", optarg);
				return 2;
			}
			break;
		case 'p': pidfile = optarg; break;
		case 'm':
			max_flows = atoi(optarg);
			if (max_flows < 1) {
				fprintf(stderr, "lwfp-test-relay: bad --max-flows '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!listen_s || optind != argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	rc = relay_setup("lwfp-test-relay", listen_s, log_path, pidfile, &lfd, &log_fd);
	if (rc)
		return rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		pthread_t t;
		int fd = relay_accept("lwfp-test-relay", lfd);

		if (fd < 0)
			return 1;
		if (__atomic_add_fetch(&active_flows, 1, __ATOMIC_SEQ_CST) > max_flows) {
			struct line l = { .len = 0 };

			add(&l, "relay=%s refused=max-flows", relay_name);
			write_line(&l);
			close(fd);
			__atomic_sub_fetch(&active_flows, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		if (pthread_create(&t, &attr, handle_flow, (void *)(intptr_t)fd) != 0) {
			fprintf(stderr, "lwfp-test-relay: pthread_create failed\n");
			close(fd);
			__atomic_sub_fetch(&active_flows, 1, __ATOMIC_SEQ_CST);
		}
	}
}
