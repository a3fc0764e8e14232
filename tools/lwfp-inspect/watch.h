/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What a worker's epoll set holds (worker.h), and how it is changed. */
#ifndef LWFP_INSPECT_WATCH_H
#define LWFP_INSPECT_WATCH_H

#include <stdint.h>

struct worker;

/* What an epoll event points at: a descriptor and what handles its events. */
struct watch {
	int fd;
	uint32_t events; /* as registered; 0 while out of the epoll set */
	void (*handle)(struct watch *wt, uint32_t events);
};

/* Registers, changes or (events 0) removes what wt waits for. 0 or -errno. */
int watch_set(struct worker *w, struct watch *wt, uint32_t events);

#endif /* LWFP_INSPECT_WATCH_H */
