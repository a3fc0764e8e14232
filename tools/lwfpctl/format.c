// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Text forms of the values commands print: a protocol, an address. Below
 * json.c and the commands alike.
 */
#include <lwfp/parse.h>

#include "lwfpctl.h"

const char *ctl_proto_name(uint8_t proto)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	default:
		return NULL;
	}
}

/* NULL for an unset address (family 0), which tables show as "-". */
const char *ctl_addr_str(const struct lwfp_addr *a, char *buf, size_t size)
{
	if (!a->family || lwfp_format_addr_port(a, buf, size))
		return NULL;
	return buf;
}
