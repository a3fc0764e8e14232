/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The WFP redirect control codes of mstcpip.h, with their SDK values, for
 * WSAIoctl, WSPIoctl and WskControlSocket (RequestType WskIoctl). The two
 * QUERY codes return data yet are encoded _WSAIOW (input only): a quirk of
 * the SDK, kept so that the numbers match.
 *
 * Usable after winsock2.h (user mode) or wsk.h (the WSK model), as on
 * Windows.
 */
#ifndef LWFP_WIN_MSTCPIP_H
#define LWFP_WIN_MSTCPIP_H

#include "lwfp_wintypes.h"


#define SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS _WSAIOW(IOC_VENDOR, 220) /* 0x980000DC */
#define SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT _WSAIOW(IOC_VENDOR, 221) /* 0x980000DD */
#define SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS _WSAIOW(IOC_VENDOR, 222) /* 0x980000DE */

/*
 * ws2ipdef.h: the control messages that carry a UDP flow's records and
 * context on its first datagram (WSARecvMsg) and its records back out
 * (WSASendMsg). The payloads are the native ones: the records blob, and the
 * context as SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT returns it.
 */
#define IP_WFP_REDIRECT_RECORDS 60
#define IP_WFP_REDIRECT_CONTEXT 70
#define IPV6_WFP_REDIRECT_RECORDS 60
#define IPV6_WFP_REDIRECT_CONTEXT 70

#endif /* LWFP_WIN_MSTCPIP_H */
