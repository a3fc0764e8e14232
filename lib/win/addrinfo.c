// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * getaddrinfo the Windows way (ws2tcpip.h): Windows AI_* flags in, a list
 * in the Windows struct addrinfo layout out, and Windows error codes, both
 * returned and left for WSAGetLastError. Each node is one allocation
 * holding its address and canonical name, so FreeAddrInfoA frees a node
 * with one free().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

static const struct {
	int win, lx;
} flag_map[] = {
	{ AI_PASSIVE, LWFP_LX_AI_PASSIVE },	{ AI_CANONNAME, LWFP_LX_AI_CANONNAME },
	{ AI_NUMERICHOST, LWFP_LX_AI_NUMERICHOST }, { AI_NUMERICSERV, LWFP_LX_AI_NUMERICSERV },
	{ AI_ALL, LWFP_LX_AI_ALL },		{ AI_ADDRCONFIG, LWFP_LX_AI_ADDRCONFIG },
	{ AI_V4MAPPED, LWFP_LX_AI_V4MAPPED },
};

static const struct {
	int lx, win;
} err_map[] = {
	{ LWFP_LX_EAI_BADFLAGS, EAI_BADFLAGS }, { LWFP_LX_EAI_NONAME, EAI_NONAME },
	{ LWFP_LX_EAI_AGAIN, EAI_AGAIN },	{ LWFP_LX_EAI_FAIL, EAI_FAIL },
	{ LWFP_LX_EAI_FAMILY, EAI_FAMILY },	{ LWFP_LX_EAI_SOCKTYPE, EAI_SOCKTYPE },
	{ LWFP_LX_EAI_SERVICE, EAI_SERVICE },	{ LWFP_LX_EAI_MEMORY, EAI_MEMORY },
	{ LWFP_LX_EAI_NODATA, EAI_NODATA },	{ LWFP_LX_EAI_ADDRFAMILY, EAI_NODATA },
};

/* Windows flags as Linux flags; false for a flag lwfp cannot honour. */
static bool flags_to_linux(int win, int *lx)
{
	size_t i;

	*lx = 0;
	for (i = 0; i < sizeof(flag_map) / sizeof(flag_map[0]); i++) {
		if (win & flag_map[i].win) {
			*lx |= flag_map[i].lx;
			win &= ~flag_map[i].win;
		}
	}
	return win == 0;
}

static int eai_to_windows(int rc, int err)
{
	size_t i;

	if (rc == LWFP_LX_EAI_SYSTEM)
		return win_errno_to_wsa(err);
	for (i = 0; i < sizeof(err_map) / sizeof(err_map[0]); i++)
		if (err_map[i].lx == rc)
			return err_map[i].win;
	return EAI_FAIL;
}

static struct addrinfo *copy_node(const struct lwfp_bsd_addrinfo *ai)
{
	size_t canon = ai->ai_canonname ? strlen(ai->ai_canonname) + 1 : 0;
	struct addrinfo *n = calloc(1, sizeof(*n) + ai->ai_addrlen + canon);
	char *p;

	if (!n)
		return NULL;
	n->ai_flags = ai->ai_flags;
	n->ai_family = ai->ai_family;
	n->ai_socktype = ai->ai_socktype;
	n->ai_protocol = ai->ai_protocol;
	n->ai_addrlen = ai->ai_addrlen;
	p = (char *)(n + 1);
	n->ai_addr = (struct sockaddr *)p;
	memcpy(p, ai->ai_addr, ai->ai_addrlen);
	if (canon) {
		n->ai_canonname = p + ai->ai_addrlen;
		memcpy(n->ai_canonname, ai->ai_canonname, canon);
	}
	return n;
}

static int copy_list(const struct lwfp_bsd_addrinfo *ai, PADDRINFOA *out)
{
	PADDRINFOA *tail = out;

	*out = NULL;
	for (; ai; ai = ai->ai_next) {
		*tail = copy_node(ai);
		if (!*tail) {
			FreeAddrInfoA(*out);
			*out = NULL;
			return EAI_MEMORY;
		}
		tail = &(*tail)->ai_next;
	}
	return 0;
}

static INT gai_fail(int err)
{
	win_set_error(err);
	return err;
}

LWFP_API INT GetAddrInfoA(PCSTR pNodeName, PCSTR pServiceName, const ADDRINFOA *pHints,
			  PADDRINFOA *ppResult)
{
	struct lwfp_bsd_addrinfo hints = { 0 }, *res;
	int rc, saved = errno;

	if (!ppResult)
		return gai_fail(WSAEFAULT);
	*ppResult = NULL;
	if (pHints) {
		if (!flags_to_linux(pHints->ai_flags, &hints.ai_flags))
			return gai_fail(EAI_BADFLAGS);
		hints.ai_family = pHints->ai_family;
		hints.ai_socktype = pHints->ai_socktype;
		hints.ai_protocol = pHints->ai_protocol;
	}
	rc = getaddrinfo(pNodeName, pServiceName, pHints ? &hints : NULL, &res);
	if (rc)
		return gai_fail(eai_to_windows(rc, errno));
	rc = copy_list(res, ppResult);
	freeaddrinfo(res);
	if (rc)
		return gai_fail(rc);
	errno = saved; /* the resolver's own errno is no Winsock error */
	return 0;
}

LWFP_API void FreeAddrInfoA(PADDRINFOA pAddrInfo)
{
	PADDRINFOA next;

	for (; pAddrInfo; pAddrInfo = next) {
		next = pAddrInfo->ai_next;
		free(pAddrInfo);
	}
}

static const struct {
	int code;
	const char *text;
} messages[] = {
	{ 0, "Success" },
	{ EAI_AGAIN, "A temporary failure in name resolution occurred." },
	{ EAI_BADFLAGS, "An invalid value was provided for the ai_flags member." },
	{ EAI_FAIL, "A nonrecoverable failure in name resolution occurred." },
	{ EAI_FAMILY, "The ai_family member is not supported." },
	{ EAI_MEMORY, "A memory allocation failure occurred." },
	{ EAI_NONAME, "The name does not resolve for the supplied parameters." },
	{ EAI_SERVICE, "The service is not supported for the ai_socktype member." },
	{ EAI_SOCKTYPE, "The ai_socktype member is not supported." },
	{ EAI_NODATA, "The requested name is valid, but no data of the requested type was found." },
};

LWFP_API char *gai_strerrorA(int ecode)
{
	size_t i;

	for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
		if (messages[i].code == ecode)
			return (char *)messages[i].text;
	return (char *)"Unknown error.";
}
