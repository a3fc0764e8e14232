// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `lwfpctl up --before|--after PROG`, and where up's programs landed among
 * the others that run for the cgroup's sockets. The line goes to stderr,
 * and only when lwfp is not alone there, so that -j output stays clean and
 * a host without other programs hears nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lwfpctl.h"

int up_order_opts(const struct up_args *a, const char *cgroup, struct lwfp_engine_opts *o)
{
	const char *spec = a->before ? a->before : a->after;
	const char *opt = a->before ? "--before" : "--after";
	uint32_t id;
	int err;

	if (!spec)
		return 0;
	err = lwfp_prog_resolve(cgroup, spec, &id);
	if (err == -ENOTUNIQ)
		ctl_err("%s %s: several programs of that name are attached to %s; give its id",
			opt, spec, cgroup ? cgroup : "the cgroup v2 root");
	else if (err == -ENOENT)
		ctl_err("%s %s: no such program is attached to %s", opt, spec,
			cgroup ? cgroup : "the cgroup v2 root");
	else if (err)
		ctl_err("%s %s: cannot find that program: %s", opt, spec, strerror(-err));
	if (err)
		return -1;
	if (a->before)
		o->before_id = id;
	else
		o->after_id = id;
	return 0;
}

/* Reports the errors of lwfp_engine_up that need more than strerror: true if it did. */
bool up_refused(int err, const struct lwfp_engine_opts *o)
{
	struct lwfp_engine_peer peer;
	const char *cg = o->cgroup ? o->cgroup : "/";

	if (err == -EEXIST) {
		ctl_err("the engine at %s is attached to another cgroup (run 'lwfpctl down' first)",
			o->pin_dir);
	} else if (err == -EOPNOTSUPP && (o->before_id || o->after_id)) {
		ctl_err("this kernel cannot order cgroup programs: --before and --after "
			"need Linux 6.17 (BPF_F_BEFORE/BPF_F_AFTER on cgroup links)");
	} else if (err == -EBUSY && lwfp_engine_find_other(cg, o->pin_dir, &peer) == 1) {
		ctl_err("another lwfp engine already classifies this cgroup's sockets: "
			"pinned at %s, attached to %s (connect4 prog id %u); register your "
			"services with it (--pin-dir) instead of starting a second engine",
			*peer.pin_dir ? peer.pin_dir : "an unknown pin directory", peer.cgroup,
			peer.prog_id);
	} else if (err == -EPERM && lwfp_pin_dir_check(o->pin_dir, NULL, 0) != -EPERM) {
		ctl_err("cannot attach to %s: a program attached there or to an ancestor "
			"without 'multi' admits no other (lwfp detaches nothing it did not attach)",
			o->cgroup ? o->cgroup : "the cgroup v2 root");
	} else {
		return false;
	}
	return true;
}

static const char *ordinal(uint32_t n)
{
	if (n % 100 / 10 == 1)
		return "th";
	return n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
}

static void note_one(FILE *f, const char *hook, const char *cgroup, const struct lwfp_placement *p)
{
	char after[64] = "", before[64] = "";

	if (p->prev_id)
		snprintf(after, sizeof(after), ", after prog '%s' id %u", p->prev_name, p->prev_id);
	if (p->next_id)
		snprintf(before, sizeof(before), ", before prog '%s' id %u", p->next_name,
			 p->next_id);
	fprintf(f, "lwfpctl: %s: %u%s of %u programs on %s%s%s%s\n", hook, p->position,
		ordinal(p->position), p->count, cgroup, after, before,
		p->ordered ? "" : " (attach order: this kernel cannot order them)");
}

/* connect4 stands for the others: it is where destinations get rewritten. */
void up_note_placement(FILE *f, const struct lwfp_engine *e)
{
	struct lwfp_placement p;

	if (!lwfp_engine_placement(e, "connect4", &p) && p.count > 1)
		note_one(f, "connect4", lwfp_engine_cgroup(e), &p);
}
