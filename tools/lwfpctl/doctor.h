/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* lwfpctl doctor: the netfilter rules that redirect, and the conflicts found. */
#ifndef LWFPCTL_DOCTOR_H
#define LWFPCTL_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NF_MAX_RANGES 8

/* A nat or mangle rule that sends connections to a local address. */
struct nf_rule {
	char tool[16]; /* iptables, ip6tables, nft */
	char table[64]; /* nat, mangle; nft: the table's name */
	char chain[64]; /* nft: its hook when it has one (OUTPUT, PREROUTING) */
	uint8_t family; /* 4, 6; 0: both (nft inet) */
	char target[16]; /* REDIRECT, DNAT (to a loopback address), TPROXY */
	char text[512]; /* the rule as iptables-save prints it; nft: where it is */
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP; 0: any */
	uint32_t nranges; /* 0: every port */
	uint16_t lo[NF_MAX_RANGES], hi[NF_MAX_RANGES];
	bool excludes; /* matches on owner, mark or cgroup: can spare the proxies */
};

/*
 * The redirecting rules of this network namespace, from iptables-save and
 * ip6tables-save, then `nft -j list ruleset` for the tables iptables does
 * not own, each when installed; *out malloc'd. A missing tool lists nothing.
 */
int nf_rules(struct nf_rule **out, size_t *n);
/* doctor_rule.c: appends r to *v (-ENOMEM); adds a port range if it fits. */
int nf_push(struct nf_rule **v, size_t *n, const struct nf_rule *r);
void nf_add_range(struct nf_rule *r, unsigned long lo, unsigned long hi);
/* doctor_nft.c: appends the redirecting rules nft lists outside iptables' tables. */
int nft_rules(struct nf_rule **v, size_t *n);
/* Parses nft's JSON ruleset (for the unit test); appends its rules. */
int nft_parse(const char *json, struct nf_rule **v, size_t *n);
/* Parses one line of iptables-save; true when it is a redirecting rule. */
bool nf_parse_line(const char *line, struct nf_rule *r);

#endif
