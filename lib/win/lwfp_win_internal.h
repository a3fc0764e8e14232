/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Private to liblwfp's Winsock compatibility layer (lib/win) and its unit
 * tests; not installed. Nothing here is exported from liblwfp.so.
 */
#ifndef LWFP_WIN_INTERNAL_H
#define LWFP_WIN_INTERNAL_H

/* The layer's own sources call the real BSD functions. */
#define LWFP_WIN_NO_REMAP

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <lwfp/win/winsock2.h>
#include <lwfp/win/windows.h>
#include <lwfp/win/ws2spi.h>
#include <lwfp/win/ws2tcpip.h>
#include <lwfp/win/wsk.h>

/* ---- errors.c: DESIGN §4's error table and the last-error slot ----------- */

/* Makes WSAGetLastError() return err on this thread (0 clears it). */
void win_set_error(int err);
/* A positive errno left by a BSD socket call, as its WSAE* code. */
int win_errno_to_wsa(int err);
/*
 * A native result (0 or -errno; with -ERANGE, needed is the size needed) as
 * the WSAIoctl column: the error (0 on success) and *bytes, the value for
 * *lpcbBytesReturned.
 */
int win_wsa_from_native(int rc, size_t out_size, size_t result, DWORD *bytes);
/* A native result as the WSK column. */
NTSTATUS win_status_from_native(int rc);
/* A Winsock error as an NTSTATUS for OVERLAPPED.Internal. */
NTSTATUS win_status_from_wsa(int err);

/* ---- probe.c: caller buffers, checked before they are touched --------- */

/*
 * true when len bytes at p can be read (written). len 0 is always fine,
 * NULL with a length never is. A bad pointer becomes WSAEFAULT or
 * STATUS_ACCESS_VIOLATION, never a SIGSEGV.
 */
bool win_probe_read(const void *p, size_t len);
bool win_probe_write(void *p, size_t len);

/* ---- sio.c: the three codes, in native terms ----------------------------- */

bool win_sio_known(DWORD code);
bool win_sio_is_set(DWORD code);
/*
 * Runs one code on fd with the native API: returns 0 or -errno; *result is
 * the bytes copied, or with -ERANGE the size needed, else 0.
 */
/*
 * The checks of a known code that need no engine, made before the query
 * and before any caller memory is touched, in native terms: -EFAULT (a
 * pointer that is not real memory), -EINVAL, -EOVERFLOW (out + out_size
 * wraps) or -ERANGE (1 to 3 bytes of output: no room even for a size).
 */
int win_sio_validate(DWORD code, const void *in, size_t in_size, void *out, size_t out_size);
int win_sio_run(int fd, DWORD code, const void *in, size_t in_size, void *out, size_t out_size,
		size_t *result);

/* ---- sock.c: what the layer knows about a SOCKET ------------------------- */

struct win_sock {
	int fd;
	ino_t ino; /* fd numbers are reused; the socket inode names the socket */
	bool overlapped;
};

/* 0, or WSAENOTSOCK when s is not an open socket. */
int win_sock_get(SOCKET s, struct win_sock *ws);
/*
 * A socket made without WSA_FLAG_OVERLAPPED, remembered until closesocket
 * forgets it: 0 or WSAENOBUFS.
 */
int win_sock_plain_add(int fd, ino_t ino);
void win_sock_plain_del(int fd);

/* ---- sync.c: one lock and one condition for every wait of the layer ------ */

void win_lock(void);
void win_unlock(void);
/* Wakes every waiter: an event was set, an APC queued or an op completed. */
void win_wake(void);
/* Waits under the lock; false once the deadline (NULL: none) has passed. */
bool win_wait(const struct timespec *deadline);
/* dwMilliseconds from now on CLOCK_MONOTONIC; false for INFINITE. */
bool win_deadline(DWORD ms, struct timespec *ts);
/*
 * Starts the layer's own detached thread fn (the overlapped worker, the
 * WSAEventSelect watcher) with every signal blocked, so that signals stay
 * with the application's threads. 0 or a pthread error.
 */
int win_start_daemon(void *(*fn)(void *));

/* ---- apc.c: per-thread APC queues ---------------------------------------- */

struct win_thread;

/* One queued APC; whoever queues it owns the memory until release. */
struct win_apc {
	struct win_apc *next;
	LPWSAUSERAPC fn;
	DWORD_PTR ctx;
	/* After fn ran, or instead of it when the thread exited first. */
	void (*release)(struct win_apc *apc);
};

/* The calling thread's queue, created on first use; NULL without memory. */
struct win_thread *win_thread_self(void);
/* Under the lock: references that keep a queue alive past its thread. */
void win_thread_get(struct win_thread *t);
void win_thread_put(struct win_thread *t);
/* Under the lock: apc runs at t's next alertable wait. */
void win_apc_queue(struct win_thread *t, struct win_apc *apc);
bool win_apc_pending(struct win_thread *t);
/* Without the lock: runs every APC queued to t; how many ran. */
unsigned int win_apc_run(struct win_thread *t);
/* A WSATHREADID's queue (no reference taken), or NULL if it names none. */
struct win_thread *win_thread_from_id(const WSATHREADID *id);

/* ---- event.c ------------------------------------------------------------- */

/* Under the lock; false if ev is not an event. */
bool win_event_set(WSAEVENT ev);
bool win_event_valid(WSAEVENT ev);
void win_event_reset(WSAEVENT ev);

/* ---- overlapped.c -------------------------------------------------------- */

/* Where and how an overlapped operation reports its completion. */
struct win_completion {
	LPWSAOVERLAPPED ov;
	LPWSAOVERLAPPED_COMPLETION_ROUTINE routine;
	struct win_thread *thread; /* where routine runs; referenced */
	bool wpu; /* WSPIoctl: through the WPU upcalls */
};

/*
 * Queues one of the three codes for the worker; the operation is pending
 * (Internal is STATUS_PENDING) until the worker or closesocket completes
 * it. Takes over c->thread's reference. Returns WSA_IO_PENDING or an error.
 */
int win_op_submit(const struct win_sock *ws, DWORD code, const void *in, DWORD in_size,
		  void *out, DWORD out_size, struct win_completion *c);
/* closesocket: completes ws's queued operations with WSA_OPERATION_ABORTED. */
void win_ops_abort(const struct win_sock *ws);
/* Under the lock: the OVERLAPPED's fields, then the event. */
void win_overlapped_done(LPWSAOVERLAPPED ov, int err, DWORD bytes);

/* ---- msg.c: WSARecvMsg and WSASendMsg ------------------------------------ */

/*
 * Appends one control message at *used in control (Control.len bytes):
 * true, or false with *used unchanged when it does not fit.
 */
bool win_cmsg_append(const WSABUF *control, size_t *used, INT level, INT type, const void *data,
		     size_t len);
/*
 * Looks through msg's control messages for IP_WFP_REDIRECT_RECORDS (either
 * level): 0 with *data and *len (NULL and 0 when there is none), or
 * WSAEINVAL when the messages are malformed, WSAEFAULT for a NULL buffer.
 */
int win_cmsg_find_records(const WSAMSG *msg, const void **data, size_t *len);
/* closesocket: forgets what WSARecvMsg remembers about the socket. */
void win_udp_forget(const struct win_sock *ws);

/* ---- winio: overlapped data transfers (overlapped.c, rw.c) --------------- */

/*
 * One data transfer (WSARecv, WSASend, ConnectEx, AcceptEx, SIO_FLUSH): the
 * worker retries it whenever its socket is ready, in order with the
 * transfers queued before it in the same direction on the same socket.
 * Allocated with malloc by its issuer (trailing data included); the layer
 * frees it when the operation is over.
 */
struct win_xfer {
	struct win_sock ws; /* the socket waited on; attempt may change it */
	bool out; /* waits for writability, else readability */
	/*
	 * Under the lock, never blocking: false while the socket would block,
	 * true once done, with err, bytes and flags set.
	 */
	bool (*attempt)(struct win_xfer *x);
	int err;
	DWORD bytes;
	DWORD flags; /* for WSAGetOverlappedResult's lpdwFlags */
};

/*
 * Tries x at once unless transfers are queued before it: 0 when it
 * completed, with *bytes and *flags (c is told as Windows does for an
 * immediate completion: the OVERLAPPED, the event, the routine queued),
 * WSA_IO_PENDING when queued, or an error with nothing reported. Takes
 * over x and c->thread's reference.
 */
int win_xfer_submit(struct win_xfer *x, struct win_completion *c, DWORD *bytes, DWORD *flags);
/* Under the lock: whether ws has transfers queued in that direction. */
bool win_xfer_queued(const struct win_sock *ws, bool out);
/* c for an overlapped call of this thread (a reference taken with routine). */
int win_completion_init(struct win_completion *c, LPWSAOVERLAPPED ov,
			LPWSAOVERLAPPED_COMPLETION_ROUTINE routine);
/* Drops what win_completion_init took, for a call that reports nothing. */
void win_completion_drop(struct win_completion *c);
/* The completion of an operation made synchronously (no worker involved). */
int win_complete_now(struct win_completion *c, int err, DWORD bytes);

/* ---- winio: blocking.c, WSAEINPROGRESS ----------------------------------- */

/*
 * 0 and the thread marked as inside a blocking Winsock call, or
 * WSAEINPROGRESS when it already is; win_blocking_leave undoes a 0.
 */
int win_blocking_enter(void);
void win_blocking_leave(void);
/* Marks the thread without the check: an alertable wait running its APCs. */
void win_blocking_mark(bool on);
/* Whether a blocking call on fd must fail with WSAEINPROGRESS now. */
bool win_blocking_busy(int fd);

/* ---- winio: flush.c and extension.c (WSAIoctl's Winsock codes) ----------- */

bool win_ws2_code(DWORD code);
int win_ws2_ioctl(SOCKET s, DWORD code, LPVOID in, DWORD in_size, LPVOID out, DWORD out_size,
		  LPDWORD bytes, LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine);
/* SIO_FLUSH: 0 or an error. */
int win_flush(const struct win_sock *ws, LPDWORD bytes, struct win_completion *c);
/* ConnectEx: reached only through its pointer, as on Windows. */
BOOL PASCAL win_connectex(SOCKET s, const struct sockaddr *name, int namelen, PVOID send_buf,
			  DWORD send_len, LPDWORD bytes_sent, LPWSAOVERLAPPED ov);
/* SIO_GET_EXTENSION_FUNCTION_POINTER: 0 or an error. */
int win_extension(const void *in, DWORD in_size, void *out, DWORD out_size, LPDWORD bytes);

/* ---- eventselect.c: WSAEventSelect's watcher ---------------------------- */

/*
 * Re-enables network events on fd after the call that Windows re-enables
 * them with (recv: FD_READ and FD_OOB, accept: FD_ACCEPT, a send that
 * failed with WSAEWOULDBLOCK: FD_WRITE). Cheap when fd is not selected.
 */
void win_es_rearm(int fd, LONG events);
/*
 * connect() on fd ended with err (0 or an errno): the watcher polls for
 * FD_CONNECT; true when err was posted as FD_CONNECT's error instead.
 */
bool win_es_connected(int fd, int err);
/* closesocket: the socket no longer reports to its event. */
void win_es_forget(const struct win_sock *ws);
/* Whether WSAEventSelect has an event on fd (FIONBIO cannot clear it). */
bool win_es_selected(int fd);

/* ---- test hooks (hidden; the unit tests link the static library) --------- */

/* While held, the worker starts no operation: they stay pending. */
void lwfp_win_worker_hold(bool hold);
/* IRPs allocated and not yet freed. */
long lwfp_win_irps_live(void);

#endif /* LWFP_WIN_INTERNAL_H */
