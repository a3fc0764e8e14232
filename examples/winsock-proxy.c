// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * winsock-proxy: a WFP connect-redirect proxy written for Windows, the way
 * Microsoft's WFPSampler proxy is, that builds unchanged against lwfp's
 * Winsock headers (-I include/lwfp/win) and liblwfp.
 *
 * For each connection a redirect filter sends it, it:
 *   1. accepts the redirected connection;
 *   2. queries its redirect records into an 8 KiB buffer
 *      (SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS);
 *   3. queries its redirect context, which its filter sets to the
 *      WFPSampler layout of two SOCKADDR_STORAGEs, original remote then
 *      original local (SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT). Without
 *      a context (ERROR_NOT_FOUND) it asks SO_ORIGINAL_DST instead;
 *   4. opens a new socket with WSASocket and hands it the records
 *      (SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS) before connecting, so that
 *      other proxies can chain after it and it is never redirected back to
 *      itself;
 *   5. connects to the original destination and relays both ways.
 *
 * One thread serves every connection with select(). It prints one line per
 * connection when it ends.
 *
 * Usage: winsock-proxy [-l ADDRESS:PORT]   (default 127.0.0.1:15001)
 */
#include <winsock2.h>
#include <mstcpip.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORDS_BUFFER_SIZE 8192
#define RELAY_BUFFER_SIZE 16384
#define MAX_FLOWS 64
#define ADDRESS_STRING_SIZE 64

typedef struct _FLOW {
	BOOL inUse;
	SOCKET client; /* the accepted, redirected connection */
	SOCKET server; /* ours, to the original destination */
	BOOL clientDone; /* the client sent FIN: nothing more to send up */
	BOOL serverDone;
	ULONGLONG bytesUp;
	ULONGLONG bytesDown;
	DWORD recordsSize;
	DWORD contextSize;
	char destination[ADDRESS_STRING_SIZE];
} FLOW;

static FLOW g_flows[MAX_FLOWS];
static char g_relayBuffer[RELAY_BUFFER_SIZE];

static void Usage(const char *program)
{
	fprintf(stderr, "Usage: %s [-l ADDRESS:PORT]\n"
			"Relays the connections a redirect filter sends to ADDRESS:PORT\n"
			"(default 127.0.0.1:15001) to their original destinations.\n",
		program);
}

static int AddressLength(const SOCKADDR_STORAGE *address)
{
	return address->ss_family == AF_INET6 ? sizeof(SOCKADDR_IN6) : sizeof(SOCKADDR_IN);
}

static void AddressToString(SOCKADDR_STORAGE *address, char *text, DWORD size)
{
	if (WSAAddressToStringA((LPSOCKADDR)address, AddressLength(address), NULL, text, &size))
		strcpy(text, "?");
}

static SOCKET Listen(const char *addressString)
{
	SOCKADDR_STORAGE address;
	int length = sizeof(address);
	int family = strchr(addressString, '[') ? AF_INET6 : AF_INET;
	BOOL reuse = TRUE;
	SOCKET listener;

	if (WSAStringToAddressA((LPSTR)addressString, family, NULL, (LPSOCKADDR)&address,
				&length)) {
		fprintf(stderr, "bad address %s: error %d\n", addressString, WSAGetLastError());
		return INVALID_SOCKET;
	}
	listener = WSASocket(family, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
	if (listener == INVALID_SOCKET) {
		fprintf(stderr, "WSASocket: error %d\n", WSAGetLastError());
		return INVALID_SOCKET;
	}
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, (const char *)&reuse, sizeof(reuse));
	if (bind(listener, (LPSOCKADDR)&address, length) == SOCKET_ERROR ||
	    listen(listener, SOMAXCONN) == SOCKET_ERROR) {
		fprintf(stderr, "cannot listen on %s: error %d\n", addressString, WSAGetLastError());
		closesocket(listener);
		return INVALID_SOCKET;
	}
	return listener;
}

/* The original destination: the context's first SOCKADDR_STORAGE. */
static BOOL QueryDestination(SOCKET client, SOCKADDR_STORAGE *destination, DWORD *contextSize)
{
	SOCKADDR_STORAGE context[2];
	DWORD bytes = 0;
	int length;

	*contextSize = 0;
	if (WSAIoctl(client, SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT, NULL, 0, context,
		     sizeof(context), &bytes, NULL, NULL) == 0) {
		if (bytes != sizeof(context)) {
			fprintf(stderr, "context of %lu bytes: not a sockaddrs context\n",
				(unsigned long)bytes);
			return FALSE;
		}
		*contextSize = bytes;
		*destination = context[0];
		return TRUE;
	}
	if (WSAGetLastError() != ERROR_NOT_FOUND) {
		fprintf(stderr, "query context: error %d\n", WSAGetLastError());
		return FALSE;
	}
	/* The filter attached no context: WFPSampler's "no context" case. */
	length = sizeof(*destination);
	if (getsockopt(client, SOL_SOCKET, SO_ORIGINAL_DST, (char *)destination, &length)) {
		fprintf(stderr, "SO_ORIGINAL_DST: error %d\n", WSAGetLastError());
		return FALSE;
	}
	return TRUE;
}

/* A socket to the destination that carries the flow's records on. */
static SOCKET ConnectOnward(SOCKADDR_STORAGE *destination, char *records, DWORD recordsSize)
{
	DWORD bytes = 0;
	SOCKET server;

	server = WSASocket(destination->ss_family, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
			   WSA_FLAG_OVERLAPPED);
	if (server == INVALID_SOCKET) {
		fprintf(stderr, "WSASocket: error %d\n", WSAGetLastError());
		return INVALID_SOCKET;
	}
	/* Before connect: the records decide how the next filters see us. */
	if (WSAIoctl(server, SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS, records, recordsSize, NULL,
		     0, &bytes, NULL, NULL) == SOCKET_ERROR) {
		fprintf(stderr, "set records: error %d\n", WSAGetLastError());
		closesocket(server);
		return INVALID_SOCKET;
	}
	if (connect(server, (LPSOCKADDR)destination, AddressLength(destination)) == SOCKET_ERROR) {
		fprintf(stderr, "connect: error %d\n", WSAGetLastError());
		closesocket(server);
		return INVALID_SOCKET;
	}
	return server;
}

static FLOW *NewFlow(void)
{
	int i;

	for (i = 0; i < MAX_FLOWS; i++)
		if (!g_flows[i].inUse) {
			ZeroMemory(&g_flows[i], sizeof(g_flows[i]));
			g_flows[i].inUse = TRUE;
			return &g_flows[i];
		}
	return NULL;
}

static void AcceptFlow(SOCKET listener)
{
	char records[RECORDS_BUFFER_SIZE];
	SOCKADDR_STORAGE destination;
	DWORD recordsSize = 0, contextSize;
	SOCKET client, server;
	FLOW *flow;

	client = accept(listener, NULL, NULL);
	if (client == INVALID_SOCKET) {
		fprintf(stderr, "accept: error %d\n", WSAGetLastError());
		return;
	}
	if (WSAIoctl(client, SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS, NULL, 0, records,
		     sizeof(records), &recordsSize, NULL, NULL) == SOCKET_ERROR) {
		fprintf(stderr, "query records: error %d\n", WSAGetLastError());
		closesocket(client);
		return;
	}
	if (!QueryDestination(client, &destination, &contextSize)) {
		closesocket(client);
		return;
	}
	server = ConnectOnward(&destination, records, recordsSize);
	flow = server == INVALID_SOCKET ? NULL : NewFlow();
	if (!flow) {
		if (server != INVALID_SOCKET)
			closesocket(server);
		closesocket(client);
		return;
	}
	flow->client = client;
	flow->server = server;
	flow->recordsSize = recordsSize;
	flow->contextSize = contextSize;
	AddressToString(&destination, flow->destination, sizeof(flow->destination));
}

static void EndFlow(FLOW *flow, const char *how)
{
	printf("flow destination=%s records=%lu context=%lu up=%llu down=%llu end=%s\n",
	       flow->destination, (unsigned long)flow->recordsSize,
	       (unsigned long)flow->contextSize, (unsigned long long)flow->bytesUp,
	       (unsigned long long)flow->bytesDown, how);
	fflush(stdout);
	closesocket(flow->client);
	closesocket(flow->server);
	flow->inUse = FALSE;
}

static BOOL SendAll(SOCKET s, const char *buffer, int length)
{
	int sent;

	while (length > 0) {
		sent = send(s, buffer, length, 0);
		if (sent == SOCKET_ERROR)
			return FALSE;
		buffer += sent;
		length -= sent;
	}
	return TRUE;
}

/* Moves what is readable on from to to; FALSE when the flow must end. */
static BOOL Relay(SOCKET from, SOCKET to, BOOL *fromDone, ULONGLONG *counter)
{
	int received = recv(from, g_relayBuffer, sizeof(g_relayBuffer), 0);

	if (received == SOCKET_ERROR)
		return FALSE;
	if (received == 0) {
		*fromDone = TRUE;
		shutdown(to, SD_SEND);
		return TRUE;
	}
	*counter += received;
	return SendAll(to, g_relayBuffer, received);
}

static void ServeFlow(FLOW *flow, fd_set *readable)
{
	BOOL ok = TRUE;

	if (FD_ISSET(flow->client, readable))
		ok = Relay(flow->client, flow->server, &flow->clientDone, &flow->bytesUp);
	if (ok && FD_ISSET(flow->server, readable))
		ok = Relay(flow->server, flow->client, &flow->serverDone, &flow->bytesDown);
	if (!ok)
		EndFlow(flow, "error");
	else if (flow->clientDone && flow->serverDone)
		EndFlow(flow, "closed");
}

static void Serve(SOCKET listener)
{
	fd_set readable;
	int i;

	for (;;) {
		FD_ZERO(&readable);
		FD_SET(listener, &readable);
		for (i = 0; i < MAX_FLOWS; i++) {
			if (!g_flows[i].inUse)
				continue;
			if (!g_flows[i].clientDone)
				FD_SET(g_flows[i].client, &readable);
			if (!g_flows[i].serverDone)
				FD_SET(g_flows[i].server, &readable);
		}
		if (select(0, &readable, NULL, NULL, NULL) == SOCKET_ERROR) {
			fprintf(stderr, "select: error %d\n", WSAGetLastError());
			return;
		}
		if (FD_ISSET(listener, &readable))
			AcceptFlow(listener);
		for (i = 0; i < MAX_FLOWS; i++)
			if (g_flows[i].inUse)
				ServeFlow(&g_flows[i], &readable);
	}
}

int main(int argc, char **argv)
{
	const char *listenAddress = "127.0.0.1:15001";
	WSADATA wsaData;
	SOCKET listener;
	int i, err;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-l") && i + 1 < argc) {
			listenAddress = argv[++i];
		} else {
			Usage(argv[0]);
			return 2;
		}
	}
	err = WSAStartup(MAKEWORD(2, 2), &wsaData);
	if (err) {
		fprintf(stderr, "WSAStartup: error %d\n", err);
		return 1;
	}
	listener = Listen(listenAddress);
	if (listener == INVALID_SOCKET) {
		WSACleanup();
		return 1;
	}
	printf("listening on %s\n", listenAddress);
	fflush(stdout);
	Serve(listener);
	closesocket(listener);
	WSACleanup();
	return 1;
}
