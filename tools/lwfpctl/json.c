// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Thin json-c helpers. json-c fails only when out of memory, and then by a
 * NULL or a -1 that is easy to drop; these turn every failure into -ENOMEM
 * and free what was not handed over, so callers chain them in one test.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "lwfpctl.h"

/* Takes v (where NULL means its allocation failed) whether or not it succeeds. */
int cj_add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

int cj_null(struct json_object *o, const char *key)
{
	return json_object_object_add(o, key, NULL) ? -ENOMEM : 0;
}

int cj_str(struct json_object *o, const char *key, const char *s)
{
	if (!s)
		return cj_null(o, key);
	return cj_add(o, key, json_object_new_string(s));
}

int cj_u64(struct json_object *o, const char *key, uint64_t v)
{
	return cj_add(o, key, json_object_new_uint64(v));
}

/* Tokens are random 64-bit keys: hex keeps them exact and greppable. */
int cj_hex64(struct json_object *o, const char *key, uint64_t v)
{
	char buf[17];

	snprintf(buf, sizeof(buf), "%016" PRIx64, v);
	return cj_str(o, key, buf);
}

int cj_addr(struct json_object *o, const char *key, const struct lwfp_addr *a)
{
	char buf[64];

	return cj_str(o, key, ctl_addr_str(a, buf, sizeof(buf)));
}

/* Takes v whether or not it succeeds. */
int cj_push(struct json_object *array, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_array_add(array, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

/* Prints o on one line and frees it. */
int cj_print(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE);
	int err = 0;

	if (!s || puts(s) == EOF)
		err = -EIO;
	json_object_put(o);
	return err;
}
