// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The audit trail of `lwfpctl monitor --log`: one record per refused
 * connection, with the filter and the reason. A file gets JSON lines, each
 * written with one write() to an O_APPEND descriptor, so that lines of
 * several writers never interleave. journald gets the same through
 * syslog(3) (LOG_AUTHPRIV, LOG_WARNING), which reaches the journal on any
 * systemd host without linking libsystemd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "lwfpctl.h"
#include "monitor.h"

bool monitor_is_refusal(const struct lwfp_event_info *ev)
{
	return ev->type == LWFP_EV_BLOCK || ev->type == LWFP_EV_FAIL_CLOSED ||
	       ev->type == LWFP_EV_REFUSED;
}

static int journal_open(struct monitor_log *l)
{
	struct stat st;

	if (stat(JOURNAL_SOCKET, &st) || !S_ISSOCK(st.st_mode)) {
		ctl_err("cannot log to the journal: no journald (%s is missing); use --log FILE",
			JOURNAL_SOCKET);
		return -ENOENT;
	}
	openlog("lwfpctl-monitor", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	l->journal = true;
	return 0;
}

int monitor_log_open(struct monitor_log *l, const char *dest)
{
	l->fd = -1;
	l->journal = false;
	if (!dest)
		return 0;
	if (!strcmp(dest, MONITOR_LOG_JOURNAL))
		return journal_open(l);
	l->fd = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (l->fd < 0) {
		ctl_err("cannot open log %s: %s", dest, strerror(errno));
		return -errno;
	}
	return 0;
}

void monitor_log_close(struct monitor_log *l)
{
	if (l->fd >= 0)
		close(l->fd);
	if (l->journal)
		closelog();
	l->fd = -1;
	l->journal = false;
}

static int log_line(int fd, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE);
	char line[2048];
	int n;

	if (!s)
		return -ENOMEM;
	n = snprintf(line, sizeof(line), "%s\n", s);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -EOVERFLOW;
	return write(fd, line, n) == n ? 0 : -EIO;
}

int monitor_log_event(struct monitor_log *l, const struct lwfp_event_info *ev,
		      struct json_object *o, const char *text)
{
	if (!monitor_is_refusal(ev))
		return 0;
	if (l->journal)
		syslog(LOG_WARNING, "%s", text);
	return l->fd >= 0 ? log_line(l->fd, o) : 0;
}
