// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A redirecting rule as both readers build it: doctor_nf.c from
 * iptables-save, doctor_nft.c from nft's JSON.
 */
#include <errno.h>
#include <stdlib.h>

#include "doctor.h"

void nf_add_range(struct nf_rule *r, unsigned long lo, unsigned long hi)
{
	if (r->nranges == NF_MAX_RANGES || lo > 65535 || hi > 65535 || hi < lo)
		return;
	r->lo[r->nranges] = lo;
	r->hi[r->nranges++] = hi;
}

int nf_push(struct nf_rule **v, size_t *n, const struct nf_rule *r)
{
	struct nf_rule *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = *r;
	*v = nv;
	return 0;
}
