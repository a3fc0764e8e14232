// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the layer knows about a SOCKET: its fd, its socket inode, and
 * whether it is overlapped. Below every file that takes a SOCKET, and
 * below winsock.c, which makes and closes them.
 *
 * Every socket is overlapped, as socket() makes them on Windows, except
 * those WSASocket made without WSA_FLAG_OVERLAPPED and the sockets they
 * accept. Only those few are remembered, by fd and socket inode: an fd
 * closed behind the layer's back and reused names a new inode, so a stale
 * entry never applies to the wrong socket.
 */
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "lwfp_win_internal.h"

struct plain_sock {
	int fd;
	ino_t ino;
};

/* Non-overlapped sockets, under the layer's lock. */
static struct plain_sock *plain;
static size_t nplain, plain_cap;

static ssize_t plain_find(int fd)
{
	size_t i;

	for (i = 0; i < nplain; i++)
		if (plain[i].fd == fd)
			return (ssize_t)i;
	return -1;
}

int win_sock_plain_add(int fd, ino_t ino)
{
	ssize_t i;
	int err = 0;

	win_lock();
	i = plain_find(fd);
	if (i < 0 && nplain == plain_cap) {
		size_t cap = plain_cap ? plain_cap * 2 : 16;
		struct plain_sock *p = realloc(plain, cap * sizeof(*p));

		if (p) {
			plain = p;
			plain_cap = cap;
		} else {
			err = WSAENOBUFS;
		}
	}
	if (!err) {
		if (i < 0)
			i = (ssize_t)nplain++;
		plain[i] = (struct plain_sock){ fd, ino };
	}
	win_unlock();
	return err;
}

void win_sock_plain_del(int fd)
{
	ssize_t i;

	win_lock();
	i = plain_find(fd);
	if (i >= 0)
		plain[i] = plain[--nplain];
	win_unlock();
}

static bool plain_has(int fd, ino_t ino)
{
	ssize_t i;
	bool has;

	win_lock();
	i = plain_find(fd);
	has = i >= 0 && plain[i].ino == ino;
	win_unlock();
	return has;
}

int win_sock_get(SOCKET s, struct win_sock *ws)
{
	struct stat st;

	if (s > INT_MAX || fstat((int)s, &st) || !S_ISSOCK(st.st_mode))
		return WSAENOTSOCK;
	ws->fd = (int)s;
	ws->ino = st.st_ino;
	ws->overlapped = !plain_has(ws->fd, ws->ino);
	return 0;
}
