/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* lwfpctl monitor: where refusals are logged (monitor_log.c). */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>

#include <lwfp/engine.h>

/* Where `monitor --log` sends refusals: a file of JSON lines, or journald. */
struct monitor_log {
	int fd; /* -1: not a file */
	bool journal;
};

#define MONITOR_LOG_JOURNAL "journal"
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* dest: a path (appended to) or "journal"; prints its own error. */
int monitor_log_open(struct monitor_log *l, const char *dest);
void monitor_log_close(struct monitor_log *l);
/* Logs ev if it is a refusal; o is its JSON object, text its one-line summary. */
int monitor_log_event(struct monitor_log *l, const struct lwfp_event_info *ev,
		      struct json_object *o, const char *text);
bool monitor_is_refusal(const struct lwfp_event_info *ev);
