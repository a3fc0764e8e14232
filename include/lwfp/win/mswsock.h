/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Microsoft Winsock extensions a proxy reaches through
 * SIO_GET_EXTENSION_FUNCTION_POINTER: ConnectEx, AcceptEx,
 * GetAcceptExSockaddrs, WSARecvMsg and WSASendMsg, with their GUIDs. As on
 * Windows, AcceptEx and GetAcceptExSockaddrs are also plain functions.
 *
 * Linux differences:
 *   - AcceptEx makes sAcceptSocket the accepted connection by putting the
 *     new connection on its descriptor (dup3): the SOCKET value stays, the
 *     unconnected socket it named is closed.
 *   - The address areas of AcceptEx's buffer hold the layer's own layout;
 *     read them with GetAcceptExSockaddrs, as Windows requires anyway.
 *   - ConnectEx and AcceptEx need an OVERLAPPED (WSAEINVAL without), and
 *     complete like WSARecv: at once when they can, else WSA_IO_PENDING.
 *   - SO_UPDATE_ACCEPT_CONTEXT and SO_UPDATE_CONNECT_CONTEXT are accepted
 *     and do nothing: the Linux socket already has its context.
 */
#ifndef LWFP_WIN_MSWSOCK_H
#define LWFP_WIN_MSWSOCK_H

#include "winsock2.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SO_UPDATE_ACCEPT_CONTEXT 0x700B
#define SO_UPDATE_CONNECT_CONTEXT 0x7010

#define WSAID_ACCEPTEX \
	{ 0xb5367df1, 0xcbac, 0x11cf, { 0x95, 0xca, 0x00, 0x80, 0x5f, 0x48, 0xa1, 0x92 } }
#define WSAID_GETACCEPTEXSOCKADDRS \
	{ 0xb5367df2, 0xcbac, 0x11cf, { 0x95, 0xca, 0x00, 0x80, 0x5f, 0x48, 0xa1, 0x92 } }
#define WSAID_CONNECTEX \
	{ 0x25a207b9, 0xddf3, 0x4660, { 0x8e, 0xe9, 0x76, 0xe5, 0x8c, 0x74, 0x06, 0x3e } }
#define WSAID_WSARECVMSG \
	{ 0xf689d7c8, 0x6f1f, 0x436b, { 0x8a, 0x53, 0xe5, 0x4f, 0xe3, 0x51, 0xc3, 0x22 } }
#define WSAID_WSASENDMSG \
	{ 0xa441e712, 0x754f, 0x43ca, { 0x84, 0xa7, 0x0d, 0xee, 0x44, 0xcf, 0x60, 0x6d } }

typedef BOOL(PASCAL *LPFN_ACCEPTEX)(SOCKET sListenSocket, SOCKET sAcceptSocket,
				     PVOID lpOutputBuffer, DWORD dwReceiveDataLength,
				     DWORD dwLocalAddressLength, DWORD dwRemoteAddressLength,
				     LPDWORD lpdwBytesReceived, LPOVERLAPPED lpOverlapped);
typedef BOOL(PASCAL *LPFN_CONNECTEX)(SOCKET s, const struct sockaddr *name, int namelen,
				      PVOID lpSendBuffer, DWORD dwSendDataLength,
				      LPDWORD lpdwBytesSent, LPOVERLAPPED lpOverlapped);
typedef VOID(PASCAL *LPFN_GETACCEPTEXSOCKADDRS)(PVOID lpOutputBuffer, DWORD dwReceiveDataLength,
						 DWORD dwLocalAddressLength,
						 DWORD dwRemoteAddressLength,
						 struct sockaddr **LocalSockaddr,
						 LPINT LocalSockaddrLength,
						 struct sockaddr **RemoteSockaddr,
						 LPINT RemoteSockaddrLength);
typedef INT(PASCAL *LPFN_WSASENDMSG)(SOCKET s, LPWSAMSG lpMsg, DWORD dwFlags,
				     LPDWORD lpNumberOfBytesSent, LPWSAOVERLAPPED lpOverlapped,
				     LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);

BOOL PASCAL AcceptEx(SOCKET sListenSocket, SOCKET sAcceptSocket, PVOID lpOutputBuffer,
		     DWORD dwReceiveDataLength, DWORD dwLocalAddressLength,
		     DWORD dwRemoteAddressLength, LPDWORD lpdwBytesReceived,
		     LPOVERLAPPED lpOverlapped);
VOID PASCAL GetAcceptExSockaddrs(PVOID lpOutputBuffer, DWORD dwReceiveDataLength,
				 DWORD dwLocalAddressLength, DWORD dwRemoteAddressLength,
				 struct sockaddr **LocalSockaddr, LPINT LocalSockaddrLength,
				 struct sockaddr **RemoteSockaddr, LPINT RemoteSockaddrLength);

#ifdef __cplusplus
}
#endif

#endif /* LWFP_WIN_MSWSOCK_H */
