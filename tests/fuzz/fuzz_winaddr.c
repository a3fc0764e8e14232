// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the Windows layer's address-string parser,
 * WSAStringToAddressA (lib/win/addr.c): a Windows proxy feeds it listen
 * addresses from its command line and configuration. Besides memory errors
 * it checks the promises: a failure leaves the output and its length alone,
 * and what parsed formats (WSAAddressToStringA) and parses back to the same
 * address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/win/lwfp_win_internal.h"

#define POISON 0xa5

static void round_trip(const SOCKADDR_STORAGE *a, INT len, INT family)
{
	SOCKADDR_STORAGE b;
	char text[128];
	DWORD size = sizeof(text);
	INT blen = sizeof(b);

	if (WSAAddressToStringA((LPSOCKADDR)a, (DWORD)len, NULL, text, &size))
		abort();
	if (WSAStringToAddressA(text, family, NULL, (LPSOCKADDR)&b, &blen) || blen != len ||
	    memcmp(a, &b, (size_t)len))
		abort();
}

static void one(char *s, INT family)
{
	SOCKADDR_STORAGE a;
	INT len = sizeof(a);

	memset(&a, POISON, sizeof(a));
	if (WSAStringToAddressA(s, family, NULL, (LPSOCKADDR)&a, &len)) {
		if (len != (INT)sizeof(a))
			abort();
		for (size_t i = 0; i < sizeof(a); i++)
			if (((uint8_t *)&a)[i] != POISON)
				abort();
		return;
	}
	round_trip(&a, len, family);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	one(s, AF_INET);
	one(s, AF_INET6);
	free(s);
	return 0;
}
