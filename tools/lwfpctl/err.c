// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Error reporting for every command: one line on stderr, as text or, with
 * -j, as JSON. Below everything else in lwfpctl.
 */
#include <stdarg.h>
#include <stdio.h>

#include "lwfpctl.h"

const char *ctl_err_where;
bool ctl_json_errors;

/* {"error": "..."} on one line; the text line if even that cannot be built. */
static void print_json_error(const char *msg)
{
	struct json_object *o = json_object_new_object();
	const char *s = NULL;

	if (o && !cj_str(o, "error", msg))
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s)
		fprintf(stderr, "%s\n", s);
	else
		fprintf(stderr, "lwfpctl: %s\n", msg);
	json_object_put(o);
}

void ctl_err(const char *fmt, ...)
{
	char msg[1024];
	size_t len = 0;
	va_list ap;

	if (ctl_err_where)
		len = snprintf(msg, sizeof(msg), "%s: ", ctl_err_where);
	if (len < sizeof(msg)) {
		va_start(ap, fmt);
		vsnprintf(msg + len, sizeof(msg) - len, fmt, ap);
		va_end(ap);
	}
	if (ctl_json_errors)
		print_json_error(msg);
	else
		fprintf(stderr, "lwfpctl: %s\n", msg);
}
