// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * WSAStringToAddressA and WSAAddressToStringA: "198.18.0.2:8000" and
 * "[2001:db8::2]:8000" to and from sockaddrs, the way Windows programs
 * parse their command lines and print peers. A port of 0 is left out when
 * printing, as Windows does.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

#define ADDR_STR_MAX 64 /* "[" INET6_ADDRSTRLEN "]:65535" */

static int fail(int err)
{
	win_set_error(err);
	return SOCKET_ERROR;
}

/* "" or ":N" with 0 <= N <= 65535, in network order in *port. */
static bool parse_port(const char *s, in_port_t *port)
{
	char *end;
	unsigned long v;

	*port = 0;
	if (!*s)
		return true;
	if (s[0] != ':' || s[1] < '0' || s[1] > '9')
		return false;
	errno = 0;
	v = strtoul(s + 1, &end, 10);
	if (errno || *end || v > 65535)
		return false;
	*port = htons((uint16_t)v);
	return true;
}

static bool parse_v4(const char *s, struct sockaddr_in *sin)
{
	char host[INET_ADDRSTRLEN];
	size_t n = strcspn(s, ":");

	if (n >= sizeof(host))
		return false;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 && parse_port(s + n, &sin->sin_port);
}

/* "addr", "[addr]" or "[addr]:port". */
static bool parse_v6(const char *s, struct sockaddr_in6 *sin6)
{
	char host[INET6_ADDRSTRLEN];
	const char *rest = "";
	size_t n;

	if (*s == '[') {
		const char *close = strchr(++s, ']');

		if (!close)
			return false;
		n = (size_t)(close - s);
		rest = close + 1;
	} else {
		n = strlen(s);
	}
	if (n >= sizeof(host))
		return false;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	return inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1 &&
	       parse_port(rest, &sin6->sin6_port);
}

LWFP_API INT WSAStringToAddressA(LPSTR AddressString, INT AddressFamily,
				 LPWSAPROTOCOL_INFOA lpProtocolInfo, LPSOCKADDR lpAddress,
				 LPINT lpAddressLength)
{
	struct sockaddr_storage ss;
	int saved = errno;
	int need;
	bool ok;

	(void)lpProtocolInfo;
	if (!AddressString || !lpAddress || !lpAddressLength)
		return fail(WSAEFAULT);
	if (AddressFamily == AF_INET) {
		need = sizeof(struct sockaddr_in);
		ok = parse_v4(AddressString, (struct sockaddr_in *)&ss);
	} else if (AddressFamily == AF_INET6) {
		need = sizeof(struct sockaddr_in6);
		ok = parse_v6(AddressString, (struct sockaddr_in6 *)&ss);
	} else {
		return fail(WSAEINVAL);
	}
	if (!ok)
		return fail(WSAEINVAL);
	if (*lpAddressLength < need) {
		*lpAddressLength = need;
		return fail(WSAEFAULT);
	}
	memcpy(lpAddress, &ss, (size_t)need);
	*lpAddressLength = need;
	errno = saved; /* strtoul's errno is not a Winsock error */
	return 0;
}

/* The text of an address; 0, or a Winsock error. */
static int format(const struct sockaddr *sa, DWORD len, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN];
	uint16_t port;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		if (len < sizeof(*sin))
			return WSAEFAULT;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
		if (port)
			snprintf(out, size, "%s:%u", host, port);
		else
			snprintf(out, size, "%s", host);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		if (len < sizeof(*sin6))
			return WSAEFAULT;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
		if (port)
			snprintf(out, size, "[%s]:%u", host, port);
		else
			snprintf(out, size, "%s", host);
		return 0;
	}
	return WSAEINVAL;
}

LWFP_API INT WSAAddressToStringA(LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
				 LPWSAPROTOCOL_INFOA lpProtocolInfo, LPSTR lpszAddressString,
				 LPDWORD lpdwAddressStringLength)
{
	char text[ADDR_STR_MAX];
	DWORD need;
	int err;

	(void)lpProtocolInfo;
	if (!lpsaAddress || !lpdwAddressStringLength || dwAddressLength < sizeof(sa_family_t))
		return fail(WSAEFAULT);
	err = format(lpsaAddress, dwAddressLength, text, sizeof(text));
	if (err)
		return fail(err);
	/* Lengths count the terminating NUL, in and out. */
	need = (DWORD)strlen(text) + 1;
	if (!lpszAddressString || *lpdwAddressStringLength < need) {
		*lpdwAddressStringLength = need;
		return fail(WSAEFAULT);
	}
	memcpy(lpszAddressString, text, need);
	*lpdwAddressStringLength = need;
	return 0;
}
