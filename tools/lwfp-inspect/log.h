/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The flow log: one JSON object per line and per flow, written when the flow
 * ends, to stdout or to --log FILE. Lines from all workers go through one
 * lock, so they never interleave.
 *
 *   {"time":"2025-01-01T12:00:00.000Z","token":"5f0c...","chain":["a","b"],
 *    "orig_dst":"198.18.0.2:80","pid":123,"comm":"curl","uid":0,"proto":"tcp",
 *    "host":"example.com","bytes_up":75,"bytes_down":1234,"duration_ms":12,
 *    "verdict":"pass"}
 *
 *   {"time":...,"orig_dst":"198.18.0.2:53",...,"proto":"udp",
 *    "dns":"test.example","dns_type":"A","bytes_up":41,"bytes_down":57,
 *    "packets_up":1,"packets_down":1,"dropped_up":0,"dropped_down":0,
 *    "duration_ms":30004,"verdict":"pass"}
 *
 * time is when the flow was accepted (TCP) or its first datagram came
 * (UDP). Fields that are unknown for a flow are left out; "sni" or "host"
 * is there when one was seen, "dns" and "dns_type" when a UDP flow's first
 * datagram was a DNS query, "rule" when a --block rule matched, "error"
 * when the flow failed.
 */
#ifndef LWFP_INSPECT_LOG_H
#define LWFP_INSPECT_LOG_H

#include <stddef.h>

struct flow;
struct udp_flow;
struct worker;

/* path NULL: stdout. 0 or -errno with err set. */
int log_open(const char *path, char *err, size_t size);
/* On SIGHUP, for log rotation: the old file stays in use if this fails. */
void log_reopen(void);
void log_close(void);

void log_flow(struct worker *w, const struct flow *f);
void log_udp_flow(struct worker *w, const struct udp_flow *f);

/* A diagnostic on stderr, for what is not one flow's business. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* LWFP_INSPECT_LOG_H */
