// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfpctl monitor: every event, to every monitor (each has a reader slot of
 * its own, lib/monitor.c), with UTC times and, for refusals, the filter and
 * the reason; --log keeps the refusals as an audit trail (monitor_log.c).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "lwfpctl.h"
#include "monitor.h"

static const char monitor_usage[] =
	"Usage: lwfpctl flow monitor [-j] [log FILE|journal]\n"
	"       lwfpctl monitor [-j] [--log FILE|journal]\n"
	"\n"
	"Print one line per event (with -j, one JSON object per line) until\n"
	"interrupted: redirects, blocks and refusals, with the filter that\n"
	"decided and the reason. Times are UTC. Every running monitor sees every\n"
	"event (up to 16 at once).\n"
	"\n"
	"  --log FILE        also append each refusal to FILE as a JSON line\n"
	"  --log journal     also send each refusal to journald (syslog, authpriv)\n"
	"  -j, --json        print JSON\n"
	"  --pin-dir DIR     " CTL_PIN_DIR_HELP
	"\n"
	CTL_KEYWORDS_HELP;

enum { OPT_LOG = CTL_OPT_CMD };

struct monitor_ctx {
	struct ctl *c;
	struct lwfp_engine *e;
	struct monitor_log log;
	int64_t boot_to_real_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME, taken once */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Without SA_RESTART, so that a signal cuts the poll short. */
static int catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	if (sigemptyset(&sa.sa_mask) || sigaction(SIGINT, &sa, NULL) ||
	    sigaction(SIGTERM, &sa, NULL) || sigaction(SIGHUP, &sa, NULL))
		return -errno;
	return 0;
}

/*
 * Events carry CLOCK_BOOTTIME, which counts suspend like the wall clock
 * does. The offset is taken once, at start: a later step of the wall clock
 * (settimeofday, an NTP step) is not followed, so times then drift from
 * `date` by that step until the monitor restarts. NTP slewing is a few
 * ppm and does not matter at millisecond precision.
 */
static int clock_offset(int64_t *out)
{
	struct timespec real, boot;

	if (clock_gettime(CLOCK_REALTIME, &real) || clock_gettime(CLOCK_BOOTTIME, &boot))
		return -errno;
	*out = (int64_t)(real.tv_sec - boot.tv_sec) * 1000000000 + (real.tv_nsec - boot.tv_nsec);
	return 0;
}

/* RFC 3339 in UTC with milliseconds, as lwfp-inspect's flow log writes it. */
static const char *utc_time(const struct monitor_ctx *m, uint64_t boot_ns, char buf[32])
{
	int64_t ns = (int64_t)boot_ns + m->boot_to_real_ns;
	time_t secs = ns / 1000000000;
	struct tm tm;
	size_t n;

	if (!gmtime_r(&secs, &tm) || !(n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm)))
		return "-";
	snprintf(buf + n, 32 - n, ".%03dZ", (int)(ns / 1000000 % 1000));
	return buf;
}

static const char *event_name(uint32_t type)
{
	static const char *const names[] = { "unknown", "redirect", "hop_limit", "fail_open",
					     "fail_closed", "block", "refused" };

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

/* The strings one event prints with. */
struct ev_text {
	char time[32], comm[17], name[LWFP_NAME_MAX + 1], dst[64], target[64];
	const char *service, *reason;
};

static void ev_text(const struct monitor_ctx *m, const struct lwfp_event_info *ev,
		    struct ev_text *t)
{
	utc_time(m, ev->ts_ns, t->time);
	ctl_copy_name(t->comm, ev->comm, sizeof(ev->comm));
	t->service = ev->service && !ctl_service_name(m->e, ev->service, t->name) ? t->name
										   : NULL;
	if (!ctl_addr_str(&ev->orig_dst, t->dst, sizeof(t->dst)))
		strcpy(t->dst, "-");
	if (!ctl_addr_str(&ev->target, t->target, sizeof(t->target)))
		strcpy(t->target, "-");
	t->reason = ev->reason < LWFP_CNT__MAX ? lwfp_counter_name(ev->reason) : "unknown";
}

static struct json_object *event_json(const struct lwfp_event_info *ev, const struct ev_text *t)
{
	struct json_object *o = json_object_new_object();

	if (!o || cj_str(o, "time", t->time) || cj_u64(o, "ts_ns", ev->ts_ns) ||
	    cj_str(o, "type", event_name(ev->type)) || cj_hex64(o, "token", ev->token) ||
	    cj_str(o, "service", t->service) || cj_u64(o, "handle", ev->service) ||
	    cj_u64(o, "filter", ev->filter_id) || cj_str(o, "reason", t->reason) ||
	    cj_u64(o, "errno", (uint32_t)ev->err) || cj_u64(o, "pid", ev->pid) ||
	    cj_str(o, "comm", t->comm) || cj_u64(o, "uid", ev->uid) ||
	    cj_str(o, "proto", ctl_proto_name(ev->proto)) || cj_u64(o, "nhops", ev->nhops) ||
	    cj_addr(o, "orig_dst", &ev->orig_dst) || cj_addr(o, "target", &ev->target)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int print_event(const struct lwfp_event_info *ev, const struct ev_text *t)
{
	const char *proto = ctl_proto_name(ev->proto);
	int n;

	n = printf("%-24s %-11s %-5s %7u %-16s %6u %-24s %-24s %-16s %6u %4u %s\n", t->time,
		   event_name(ev->type), proto ? proto : "?", ev->pid, t->comm, ev->uid, t->dst,
		   t->target, t->service ? t->service : "-", ev->filter_id, ev->nhops, t->reason);
	return n < 0 ? -EIO : 0;
}

/* The journal's message: key=value, for people and for grep. */
static void syslog_text(const struct lwfp_event_info *ev, const struct ev_text *t, char *buf,
			size_t size)
{
	const char *proto = ctl_proto_name(ev->proto);

	snprintf(buf, size,
		 "refused %s connection to %s: filter=%u reason=%s errno=%d service=%s "
		 "pid=%u comm=%s uid=%u",
		 proto ? proto : "?", t->dst, ev->filter_id, t->reason, ev->err,
		 t->service ? t->service : "-", ev->pid, t->comm, ev->uid);
}

static int on_event(const struct lwfp_event_info *ev, void *ctx)
{
	struct monitor_ctx *m = ctx;
	struct json_object *o;
	struct ev_text t;
	char line[512];
	int err;

	ev_text(m, ev, &t);
	o = event_json(ev, &t);
	if (!o)
		return -ENOMEM;
	syslog_text(ev, &t, line, sizeof(line));
	err = monitor_log_event(&m->log, ev, o, line);
	if (!err && m->c->json)
		return cj_print(o);
	json_object_put(o);
	return err ? err : print_event(ev, &t);
}

/* No event is lost silently: a full ring's drops are reported as they grow. */
static void report_drops(struct lwfp_monitor *mon, uint64_t *seen)
{
	uint64_t drops;

	if (lwfp_monitor_drops(mon, &drops) || drops <= *seen)
		return;
	ctl_err("monitor: %" PRIu64 " events lost (this monitor's ring was full), %" PRIu64
		" in all", drops - *seen, drops);
	*seen = drops;
}

static int monitor_loop(struct monitor_ctx *m)
{
	struct lwfp_monitor *mon;
	uint64_t seen = 0;
	int err;

	err = lwfp_monitor_new(m->e, on_event, m, &mon);
	if (err == -EBUSY)
		ctl_err("all %d monitor slots are held by running monitors", LWFP_EV_SLOTS);
	if (err)
		return err == -EBUSY ? -EALREADY : err;
	if (!m->c->json)
		printf("%-24s %-11s %-5s %7s %-16s %6s %-24s %-24s %-16s %6s %4s %s\n", "TIME",
		       "EVENT", "PROTO", "PID", "COMM", "UID", "ORIG_DST", "TARGET", "SERVICE",
		       "FILTER", "HOPS", "REASON");
	/* The timeout bounds the wait when a signal lands just before the poll. */
	while (!stop) {
		err = lwfp_monitor_poll(mon, 200);
		if (err != -EINTR && err < 0)
			break;
		err = 0;
		report_drops(mon, &seen);
	}
	lwfp_monitor_free(mon);
	return err;
}

static int monitor_parse(struct ctl *c, int argc, char **argv, const char **log)
{
	static const struct option longopts[] = {
		CTL_COMMON_LONGOPTS,
		{ "log", required_argument, NULL, OPT_LOG },
		{ 0 },
	};
	int opt;

	ctl_opts_reset();
	while ((opt = ctl_next_opt(c, argc, argv, longopts)) != -1) {
		if (opt == CTL_OPT_HELP)
			return ctl_help(monitor_usage);
		if (opt == CTL_OPT_ARG)
			return ctl_unexpected_arg(optarg);
		if (opt != OPT_LOG)
			return CTL_EXIT_FAIL;
		*log = optarg;
	}
	return CTL_CONTINUE;
}

int cmd_monitor(struct ctl *c, int argc, char **argv)
{
	struct monitor_ctx m = { .c = c };
	const char *log = NULL;
	int err;

	err = monitor_parse(c, argc, argv, &log);
	if (err != CTL_CONTINUE)
		return err;
	/* Whoever reads our pipe wants each event as it happens. */
	if (setvbuf(stdout, NULL, _IOLBF, 0) || catch_signals() ||
	    clock_offset(&m.boot_to_real_ns)) {
		ctl_err("cannot set up the monitor: %s", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	if (monitor_log_open(&m.log, log))
		return CTL_EXIT_FAIL;
	if (ctl_open(c, &m.e)) {
		monitor_log_close(&m.log);
		return CTL_EXIT_FAIL;
	}
	err = monitor_loop(&m);
	lwfp_engine_close(m.e);
	monitor_log_close(&m.log);
	if (err && err != -EALREADY)
		ctl_err("monitor failed: %s", strerror(-err));
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
