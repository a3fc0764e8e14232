// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * winsock-proxy: a WFP connect-redirect proxy written for Windows, in the
 * shape of Microsoft's "Getting Started with Winsock" server and the
 * "Using Bind or Connect Redirection" proxy, that builds unchanged against
 * lwfp's Winsock headers (-I include/lwfp/win) and runs on Linux.
 *
 * The main thread resolves the listen address with getaddrinfo, listens,
 * and accepts connections with a blocking accept. Each accepted (redirected)
 * connection gets its own thread, which:
 *   1. queries the redirect records, overlapped, and waits for the event
 *      (WSAWaitForMultipleEvents, then WSAGetOverlappedResult);
 *   2. queries the redirect context, overlapped with a completion routine
 *      that runs while the thread waits alertably (SleepEx). The filter
 *      sets it to WFPSampler's two SOCKADDR_STORAGEs, original remote
 *      first; without a context (ERROR_NOT_FOUND) it asks SO_ORIGINAL_DST;
 *   3. opens an overlapped socket (WSASocket, WSA_FLAG_OVERLAPPED), hands it
 *      the records (SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS) so that the
 *      flow is not redirected back here, and connects to the destination;
 *   4. relays both ways with overlapped WSARecv and WSASend;
 *   5. prints one line when the connection ends, naming how the records
 *      and the context came back (event, routine).
 *
 * Usage: winsock-proxy [-l ADDRESS:PORT]   (default 127.0.0.1:15001)
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mstcpip.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LISTEN "127.0.0.1:15001"
#define RECORDS_BUFFER_SIZE 8192
#define RELAY_BUFFER_SIZE 16384
#define ADDRESS_STRING_SIZE 64

/* One way of the relay: a receive on from, then a send of it to to. */
typedef struct _DIRECTION {
	WSAOVERLAPPED overlapped; /* the receive's; its hEvent says it is done */
	WSAEVENT sendEvent;
	SOCKET from;
	SOCKET to;
	WSABUF buffer;
	DWORD bytes;
	BOOL done; /* from sent FIN: to has been shut down for sending */
	char data[RELAY_BUFFER_SIZE];
} DIRECTION;

typedef struct _CONNECTION {
	WSAOVERLAPPED contextOverlapped; /* first: the routine casts it back */
	SOCKET clientSocket; /* the accepted, redirected connection */
	SOCKET serverSocket; /* ours, to the original destination */
	char records[RECORDS_BUFFER_SIZE];
	DWORD recordsSize;
	const char *recordsVia; /* what reported the records: "event" */
	const char *contextVia; /* and the context: "routine" */
	SOCKADDR_STORAGE context[2]; /* original remote, original local */
	DWORD contextSize;
	DWORD contextError;
	volatile BOOL contextDone;
	SOCKADDR_STORAGE destination;
	char destinationString[ADDRESS_STRING_SIZE];
	DIRECTION up; /* client to server */
	DIRECTION down;
} CONNECTION;

static void Usage(const char *program)
{
	fprintf(stderr, "Usage: %s [-l ADDRESS:PORT]\n"
			"Relays the connections a redirect filter sends to ADDRESS:PORT\n"
			"(default " DEFAULT_LISTEN ") to their original destinations.\n",
		program);
}

static int AddressLength(const SOCKADDR_STORAGE *address)
{
	return address->ss_family == AF_INET6 ? sizeof(SOCKADDR_IN6) : sizeof(SOCKADDR_IN);
}

/* "host:port" or "[v6]:port" into its two strings. */
static BOOL SplitAddress(const char *text, char *host, size_t hostSize, const char **port)
{
	const char *colon = strrchr(text, ':');
	size_t length;

	if (!colon)
		return FALSE;
	length = colon - text;
	if (text[0] == '[' && length >= 2 && text[length - 1] == ']') {
		text++;
		length -= 2;
	}
	if (length >= hostSize)
		return FALSE;
	memcpy(host, text, length);
	host[length] = '\0';
	*port = colon + 1;
	return TRUE;
}

static SOCKET Listen(const char *listenAddress)
{
	struct addrinfo *result = NULL, hints;
	char host[ADDRESS_STRING_SIZE];
	const char *port;
	SOCKET listenSocket;
	BOOL reuse = TRUE;
	int iResult;

	if (!SplitAddress(listenAddress, host, sizeof(host), &port)) {
		fprintf(stderr, "bad address %s\n", listenAddress);
		return INVALID_SOCKET;
	}
	ZeroMemory(&hints, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_PASSIVE;
	iResult = getaddrinfo(host, port, &hints, &result);
	if (iResult != 0) {
		fprintf(stderr, "getaddrinfo failed with error: %d\n", iResult);
		return INVALID_SOCKET;
	}
	listenSocket = socket(result->ai_family, result->ai_socktype, result->ai_protocol);
	if (listenSocket == INVALID_SOCKET) {
		fprintf(stderr, "socket failed with error: %d\n", WSAGetLastError());
		freeaddrinfo(result);
		return INVALID_SOCKET;
	}
	setsockopt(listenSocket, SOL_SOCKET, SO_REUSEADDR, (const char *)&reuse, sizeof(reuse));
	iResult = bind(listenSocket, result->ai_addr, (int)result->ai_addrlen);
	freeaddrinfo(result);
	if (iResult == SOCKET_ERROR || listen(listenSocket, SOMAXCONN) == SOCKET_ERROR) {
		fprintf(stderr, "cannot listen on %s: error %d\n", listenAddress, WSAGetLastError());
		closesocket(listenSocket);
		return INVALID_SOCKET;
	}
	return listenSocket;
}

/* The records, overlapped, completed through the event. */
static BOOL QueryRecords(CONNECTION *connection)
{
	WSAOVERLAPPED overlapped;
	DWORD flags = 0;
	BOOL ok;

	ZeroMemory(&overlapped, sizeof(overlapped));
	overlapped.hEvent = WSACreateEvent();
	if (overlapped.hEvent == WSA_INVALID_EVENT)
		return FALSE;
	if (WSAIoctl(connection->clientSocket, SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS, NULL, 0,
		     connection->records, sizeof(connection->records), &connection->recordsSize,
		     &overlapped, NULL) == SOCKET_ERROR &&
	    WSAGetLastError() != WSA_IO_PENDING) {
		fprintf(stderr, "query records: error %d\n", WSAGetLastError());
		WSACloseEvent(overlapped.hEvent);
		return FALSE;
	}
	ok = WSAWaitForMultipleEvents(1, &overlapped.hEvent, TRUE, WSA_INFINITE, FALSE) ==
		     WSA_WAIT_EVENT_0 &&
	     WSAGetOverlappedResult(connection->clientSocket, &overlapped,
				    &connection->recordsSize, FALSE, &flags);
	if (ok)
		connection->recordsVia = "event";
	if (!ok)
		fprintf(stderr, "query records: error %d\n", WSAGetLastError());
	WSACloseEvent(overlapped.hEvent);
	return ok;
}

static void CALLBACK ContextQueried(DWORD dwError, DWORD cbTransferred,
				    LPWSAOVERLAPPED lpOverlapped, DWORD dwFlags)
{
	CONNECTION *connection = (CONNECTION *)lpOverlapped;

	UNREFERENCED_PARAMETER(dwFlags);
	connection->contextError = dwError;
	connection->contextSize = cbTransferred;
	connection->contextVia = "routine";
	connection->contextDone = TRUE;
}

/* The context, overlapped, completed by the routine at SleepEx. */
static BOOL QueryContext(CONNECTION *connection)
{
	DWORD bytes = 0;

	ZeroMemory(&connection->contextOverlapped, sizeof(connection->contextOverlapped));
	if (WSAIoctl(connection->clientSocket, SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT, NULL, 0,
		     connection->context, sizeof(connection->context), &bytes,
		     &connection->contextOverlapped, ContextQueried) == SOCKET_ERROR &&
	    WSAGetLastError() != WSA_IO_PENDING) {
		fprintf(stderr, "query context: error %d\n", WSAGetLastError());
		return FALSE;
	}
	while (!connection->contextDone)
		SleepEx(INFINITE, TRUE);
	return TRUE;
}

/* The original destination: the context's first address, else SO_ORIGINAL_DST. */
static BOOL FindDestination(CONNECTION *connection)
{
	int length = sizeof(connection->destination);

	if (connection->contextError == 0) {
		if (connection->contextSize != sizeof(connection->context)) {
			fprintf(stderr, "context of %u bytes: not a sockaddrs context\n",
				connection->contextSize);
			return FALSE;
		}
		connection->destination = connection->context[0];
		return TRUE;
	}
	connection->contextSize = 0;
	if (connection->contextError != ERROR_NOT_FOUND) {
		fprintf(stderr, "query context: error %u\n", connection->contextError);
		return FALSE;
	}
	if (getsockopt(connection->clientSocket, SOL_SOCKET, SO_ORIGINAL_DST,
		       (char *)&connection->destination, &length) == SOCKET_ERROR) {
		fprintf(stderr, "SO_ORIGINAL_DST: error %d\n", WSAGetLastError());
		return FALSE;
	}
	return TRUE;
}

/* A socket to the destination that carries the flow's records on. */
static SOCKET ConnectOnward(CONNECTION *connection)
{
	SOCKADDR_STORAGE *destination = &connection->destination;
	DWORD bytes = 0;
	SOCKET serverSocket;

	serverSocket = WSASocket(destination->ss_family, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
				 WSA_FLAG_OVERLAPPED);
	if (serverSocket == INVALID_SOCKET) {
		fprintf(stderr, "WSASocket: error %d\n", WSAGetLastError());
		return INVALID_SOCKET;
	}
	/* Before connect: the records decide how the next filters see us. */
	if (WSAIoctl(serverSocket, SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS, connection->records,
		     connection->recordsSize, NULL, 0, &bytes, NULL, NULL) == SOCKET_ERROR) {
		fprintf(stderr, "set records: error %d\n", WSAGetLastError());
		closesocket(serverSocket);
		return INVALID_SOCKET;
	}
	if (connect(serverSocket, (LPSOCKADDR)destination, AddressLength(destination)) ==
	    SOCKET_ERROR) {
		fprintf(stderr, "connect: error %d\n", WSAGetLastError());
		closesocket(serverSocket);
		return INVALID_SOCKET;
	}
	return serverSocket;
}

static BOOL PostReceive(DIRECTION *direction)
{
	DWORD flags = 0, received = 0;

	direction->buffer.buf = direction->data;
	direction->buffer.len = sizeof(direction->data);
	if (WSARecv(direction->from, &direction->buffer, 1, &received, &flags,
		    &direction->overlapped, NULL) == SOCKET_ERROR &&
	    WSAGetLastError() != WSA_IO_PENDING)
		return FALSE;
	return TRUE;
}

/* The receive on direction completed: send what came, then receive again. */
static BOOL Forward(DIRECTION *direction)
{
	WSAOVERLAPPED sendOverlapped;
	DWORD received = 0, sent = 0, flags = 0;

	if (!WSAGetOverlappedResult(direction->from, &direction->overlapped, &received, FALSE,
				    &flags))
		return FALSE;
	if (received == 0) {
		direction->done = TRUE;
		shutdown(direction->to, SD_SEND);
		return TRUE;
	}
	ZeroMemory(&sendOverlapped, sizeof(sendOverlapped));
	sendOverlapped.hEvent = direction->sendEvent;
	direction->buffer.len = received;
	if (WSASend(direction->to, &direction->buffer, 1, &sent, 0, &sendOverlapped, NULL) ==
		    SOCKET_ERROR &&
	    WSAGetLastError() != WSA_IO_PENDING)
		return FALSE;
	if (!WSAGetOverlappedResult(direction->to, &sendOverlapped, &sent, TRUE, &flags))
		return FALSE;
	direction->bytes += sent;
	return PostReceive(direction);
}

static BOOL OpenDirection(DIRECTION *direction, SOCKET from, SOCKET to)
{
	direction->from = from;
	direction->to = to;
	direction->overlapped.hEvent = WSACreateEvent();
	direction->sendEvent = WSACreateEvent();
	return direction->overlapped.hEvent != WSA_INVALID_EVENT &&
	       direction->sendEvent != WSA_INVALID_EVENT && PostReceive(direction);
}

/* Both ways until both sides have closed; FALSE on an error. */
static BOOL Relay(CONNECTION *connection)
{
	DIRECTION *directions[2] = { &connection->up, &connection->down }, *active[2];
	WSAEVENT events[2];
	DWORD count, index, i;

	if (!OpenDirection(&connection->up, connection->clientSocket, connection->serverSocket) ||
	    !OpenDirection(&connection->down, connection->serverSocket, connection->clientSocket))
		return FALSE;
	while (!connection->up.done || !connection->down.done) {
		count = 0;
		for (i = 0; i < 2; i++) {
			if (directions[i]->done)
				continue;
			events[count] = directions[i]->overlapped.hEvent;
			active[count++] = directions[i];
		}
		index = WSAWaitForMultipleEvents(count, events, FALSE, WSA_INFINITE, FALSE);
		if (index == WSA_WAIT_FAILED || !Forward(active[index - WSA_WAIT_EVENT_0]))
			return FALSE;
	}
	return TRUE;
}

static void CloseDirection(DIRECTION *direction)
{
	if (direction->overlapped.hEvent)
		WSACloseEvent(direction->overlapped.hEvent);
	if (direction->sendEvent)
		WSACloseEvent(direction->sendEvent);
}

static void EndConnection(CONNECTION *connection, const char *how)
{
	DWORD size = sizeof(connection->destinationString);

	if (WSAAddressToStringA((LPSOCKADDR)&connection->destination,
				AddressLength(&connection->destination), NULL,
				connection->destinationString, &size))
		strcpy(connection->destinationString, "?");
	printf("flow destination=%s records=%u context=%u up=%u down=%u end=%s records_via=%s "
	       "context_via=%s\n",
	       connection->destinationString, connection->recordsSize, connection->contextSize,
	       connection->up.bytes, connection->down.bytes, how, connection->recordsVia,
	       connection->contextVia);
	fflush(stdout);
}

static DWORD WINAPI ServeConnection(LPVOID lpParameter)
{
	CONNECTION *connection = (CONNECTION *)lpParameter;
	BOOL ok;

	if (QueryRecords(connection) && QueryContext(connection) && FindDestination(connection)) {
		connection->serverSocket = ConnectOnward(connection);
		if (connection->serverSocket != INVALID_SOCKET) {
			ok = Relay(connection);
			EndConnection(connection, ok ? "closed" : "error");
			/* Closing aborts what is still pending before the buffers go. */
			closesocket(connection->serverSocket);
		}
	}
	closesocket(connection->clientSocket);
	CloseDirection(&connection->up);
	CloseDirection(&connection->down);
	free(connection);
	return 0;
}

static void Serve(SOCKET listenSocket)
{
	CONNECTION *connection;
	SOCKET clientSocket;
	HANDLE thread;

	for (;;) {
		clientSocket = accept(listenSocket, NULL, NULL);
		if (clientSocket == INVALID_SOCKET) {
			fprintf(stderr, "accept failed with error: %d\n", WSAGetLastError());
			return;
		}
		connection = (CONNECTION *)calloc(1, sizeof(*connection));
		if (!connection) {
			closesocket(clientSocket);
			continue;
		}
		connection->clientSocket = clientSocket;
		connection->serverSocket = INVALID_SOCKET;
		connection->recordsVia = connection->contextVia = "none";
		thread = CreateThread(NULL, 0, ServeConnection, connection, 0, NULL);
		if (!thread) {
			fprintf(stderr, "CreateThread failed with error: %u\n", GetLastError());
			closesocket(clientSocket);
			free(connection);
			continue;
		}
		CloseHandle(thread);
	}
}

int __cdecl main(int argc, char **argv)
{
	const char *listenAddress = DEFAULT_LISTEN;
	WSADATA wsaData;
	SOCKET listenSocket;
	int i, iResult;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-l") && i + 1 < argc) {
			listenAddress = argv[++i];
		} else {
			Usage(argv[0]);
			return 2;
		}
	}
	iResult = WSAStartup(MAKEWORD(2, 2), &wsaData);
	if (iResult != 0) {
		fprintf(stderr, "WSAStartup failed with error: %d\n", iResult);
		return 1;
	}
	listenSocket = Listen(listenAddress);
	if (listenSocket == INVALID_SOCKET) {
		WSACleanup();
		return 1;
	}
	printf("listening on %s\n", listenAddress);
	fflush(stdout);
	Serve(listenSocket);
	closesocket(listenSocket);
	WSACleanup();
	return 1;
}
