// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfp-test-fuzzset: throws random and mutated records blobs at
 * lwfp_set_redirect_records, from a registered service's process, while the
 * flows the valid blobs name are alive (fuzz), and again after they closed
 * (replay). Every one must be refused with -EINVAL.
 *
 *   fuzz --listen ADDR:PORT --flows N --count C --blobs FILE
 *        [--pidfile FILE] [--timeout SEC] [--seed S] [--hold FILE]
 *       The redirect target of a service: run it as that service's process.
 *       Accepts N redirected connections and queries their records (the
 *       valid blobs). Control: each valid blob set on a fresh socket gives
 *       0. Then C blobs, each on a fresh unconnected socket (TCP or UDP,
 *       IPv4 or IPv6): fully random bytes, one and several bit flips,
 *       truncations, extensions, a random token, a random tag, both, token
 *       and tag swapped, one flow's token with another's tag, a valid
 *       header with random hops, a hop edited by one, a hop added or
 *       removed, a byte replaced. A mutation equal to a valid blob is drawn
 *       again. Each must give -EINVAL. Every 1000 tries a valid blob is set
 *       again and must give 0, so the flows are known to be alive all
 *       along. Writes the valid blobs to FILE (one hex line each); with
 *       --hold, waits (up to --timeout) until the file --hold names exists;
 *       then closes the accepted connections and exits.
 *
 *   replay --blobs FILE --count C [--seed S]
 *       Once those flows are gone: every valid blob, then C mutations of
 *       them, must give -EINVAL.
 *
 * Prints one summary line; on failure, up to 10 "FAIL" lines with the blob
 * in hex. Exit 0 when every check passed, 1 otherwise, 2 for a usage error.
 * Blobs of 0 bytes or larger than LWFP_RECORDS_MAX (which liblwfp refuses
 * itself) go to the kernel with a plain setsockopt.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <lwfp/abi.h>
#include <lwfp/lwfp.h>

#include "relay_common.h"

#define MAX_FLOWS 64
#define MAX_BLOB 600
#define CONTROL_EVERY 1000

static uint64_t rng_state;
static int failures;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed that is printed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static void fill_random(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)rnd();
}

struct blob {
	unsigned char b[MAX_BLOB];
	size_t len;
};

static struct blob valid[MAX_FLOWS];
static int nvalid;

static void hexdump(const unsigned char *p, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 3 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%02x", p[i]);
	out[o] = '\0';
}

/* Sets a blob on a fresh unconnected socket; 0 or -errno. */
static int try_set(const unsigned char *b, size_t len, int kind)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	int fd, rc;

	fd = socket(fams[kind & 1], types[(kind >> 1) & 1] | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1000 - errno;
	if (len > 0 && len <= LWFP_RECORDS_MAX) {
		rc = lwfp_set_redirect_records(fd, b, len);
	} else {
		rc = setsockopt(fd, SOL_LWFP, LWFP_SO_RECORDS, b, (socklen_t)len) ? -errno : 0;
	}
	close(fd);
	return rc;
}

static void report(const char *what, const unsigned char *b, size_t len, int rc, int want)
{
	char hex[2 * MAX_BLOB + 1];

	failures++;
	if (failures > 10)
		return;
	hexdump(b, len, hex, sizeof(hex));
	printf("FAIL %s: %zu bytes gave %d (%s), want %d: %s\n", what, len, rc,
	       rc < 0 && rc > -1000 ? strerror(-rc) : "?", want, hex);
}

static const char *const kinds[] = {
	"random",   "bitflip",	  "bitflips", "truncate", "extend",   "token",	   "tag",
	"tokentag", "swap",	  "splice",   "randhops", "hopdelta", "addhop",	   "delhop",
	"byte",	    "randheader",
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))
static unsigned long per_kind[NKINDS];

static size_t rec_size(unsigned n)
{
	return LWFP_RECORDS_SIZE(n);
}

/* One mutation of a valid blob into m; its kind's index. */
static unsigned mutate(struct blob *m)
{
	const struct blob *v = &valid[below((uint32_t)nvalid)];
	struct lwfp_records r;
	unsigned k = below(NKINDS), n;

	*m = *v;
	memcpy(&r, v->b, sizeof(r)); /* zeros past len: the buffers are static */
	switch (k) {
	case 0: /* random bytes, random length */
		m->len = 1 + below(MAX_BLOB);
		fill_random(m->b, m->len);
		break;
	case 1: /* one bit */
		n = below((uint32_t)(v->len * 8));
		m->b[n / 8] ^= (unsigned char)(1u << (n % 8));
		break;
	case 2: /* 2 to 16 bits */
		for (unsigned i = 0, c = 2 + below(15); i < c; i++) {
			n = below((uint32_t)(v->len * 8));
			m->b[n / 8] ^= (unsigned char)(1u << (n % 8));
		}
		break;
	case 3: /* every shorter length */
		m->len = below((uint32_t)v->len);
		break;
	case 4: /* trailing bytes, up to past LWFP_RECORDS_MAX */
		n = 1 + below(MAX_BLOB - (uint32_t)v->len);
		fill_random(m->b + v->len, n);
		m->len = v->len + n;
		break;
	case 5:
		r.token = rnd();
		break;
	case 6:
		r.tag = rnd();
		break;
	case 7:
		r.token = rnd();
		r.tag = rnd();
		break;
	case 8: {
		uint64_t t = r.token;

		r.token = r.tag;
		r.tag = t;
		break;
	}
	case 9: { /* another flow's tag, or another flow's token */
		const struct blob *o = &valid[below((uint32_t)nvalid)];
		struct lwfp_records ro;

		memcpy(&ro, o->b, sizeof(ro));
		if (below(2))
			r.tag = ro.tag != r.tag ? ro.tag : rnd();
		else
			r.token = ro.token != r.token ? ro.token : rnd();
		break;
	}
	case 10: /* the real header, random hops */
		r.nhops = (uint16_t)(1 + below(LWFP_MAX_HOPS));
		for (unsigned i = 0; i < LWFP_MAX_HOPS; i++) {
			r.hops[i].service = below(4) ? below(8) : (uint32_t)rnd();
			r.hops[i].filter_id = below(4) ? below(16) : (uint32_t)rnd();
		}
		m->len = rec_size(r.nhops);
		break;
	case 11: /* one hop's service or filter edited by one */
		n = below(r.nhops ? r.nhops : 1);
		if (below(2))
			r.hops[n].service += below(2) ? 1u : UINT32_MAX;
		else
			r.hops[n].filter_id += below(2) ? 1u : UINT32_MAX;
		break;
	case 12: /* a hop added: a copy of the last one, or a random one */
		if (r.nhops >= LWFP_MAX_HOPS) {
			m->b[below((uint32_t)m->len)] ^= 0x80;
			return k;
		}
		r.hops[r.nhops] = below(2) && r.nhops ? r.hops[r.nhops - 1]
						       : (struct lwfp_hop){ below(8), below(16) };
		r.nhops++;
		m->len = rec_size(r.nhops);
		break;
	case 13: /* a hop removed, length adjusted, or nhops alone changed */
		if (below(2) && r.nhops > 1) {
			r.nhops--;
			m->len = rec_size(r.nhops);
		} else {
			r.nhops = (uint16_t)(below(2) ? below(65536) : r.nhops + 1u);
		}
		break;
	case 14: /* one byte replaced by a different one */
		n = below((uint32_t)v->len);
		m->b[n] = (unsigned char)(m->b[n] + 1 + below(255));
		return k;
	case 15: /* random magic, version or nhops only */
		if (below(2))
			r.magic = (uint32_t)rnd();
		else
			r.version = (uint16_t)rnd();
		break;
	}
	if (k >= 5 && k != 14) {
		size_t head = m->len < sizeof(r) ? m->len : sizeof(r);

		memcpy(m->b, &r, head);
	}
	return k;
}

static bool is_valid_blob(const struct blob *m)
{
	for (int i = 0; i < nvalid; i++)
		if (m->len == valid[i].len && !memcmp(m->b, valid[i].b, m->len))
			return true;
	return false;
}

/* C mutations, each must give -EINVAL; with controls when live. */
static unsigned long run_mutations(unsigned long count, bool live, unsigned long *controls)
{
	unsigned long rejected = 0;
	struct blob m;

	for (unsigned long i = 0; i < count; i++) {
		unsigned k;
		int rc;

		do {
			k = mutate(&m);
		} while (is_valid_blob(&m));
		per_kind[k]++;
		rc = try_set(m.b, m.len, (int)(i & 3));
		if (rc == -EINVAL)
			rejected++;
		else
			report(kinds[k], m.b, m.len, rc, -EINVAL);
		if (live && (i + 1) % CONTROL_EVERY == 0) {
			const struct blob *v = &valid[below((uint32_t)nvalid)];

			rc = try_set(v->b, v->len, (int)(i & 3));
			if (rc != 0)
				report("control", v->b, v->len, rc, 0);
			else
				(*controls)++;
		}
	}
	return rejected;
}

static void print_kinds(void)
{
	printf("kinds:");
	for (size_t k = 0; k < NKINDS; k++)
		printf(" %s=%lu", kinds[k], per_kind[k]);
	printf("\n");
}

static int write_blobs(const char *path)
{
	char tmp[4096], hex[2 * MAX_BLOB + 1];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	for (int i = 0; i < nvalid; i++) {
		hexdump(valid[i].b, valid[i].len, hex, sizeof(hex));
		fprintf(f, "%s\n", hex);
	}
	if (fclose(f) || rename(tmp, path))
		return -1;
	return 0;
}

static int read_blobs(const char *path)
{
	char line[2 * MAX_BLOB + 8];
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (nvalid < MAX_FLOWS && fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\n");
		struct blob *b = &valid[nvalid];

		if (n == 0 || n % 2 || n / 2 > MAX_BLOB)
			continue;
		for (size_t i = 0; i < n / 2; i++) {
			unsigned v;

			if (sscanf(line + 2 * i, "%2x", &v) != 1)
				break;
			b->b[i] = (unsigned char)v;
		}
		b->len = n / 2;
		nvalid++;
	}
	fclose(f);
	return nvalid ? 0 : -1;
}

struct opts {
	const char *listen, *blobs, *pidfile, *hold;
	unsigned long count;
	int flows, timeout;
	uint64_t seed;
};

static int cmd_fuzz(const struct opts *o)
{
	struct sockaddr_storage la;
	socklen_t la_len;
	int one = 1, lfd, conns[MAX_FLOWS], nconns = 0;
	unsigned long controls = 0, rejected;
	double t0;
	struct timespec ts;

	if (!o->listen || !o->blobs || parse_addr_port(o->listen, &la, &la_len) || o->flows < 1 ||
	    o->flows > MAX_FLOWS) {
		fprintf(stderr, "fuzz: need --listen ADDR:PORT --blobs FILE --flows 1..%d\n", MAX_FLOWS);
		return 2;
	}
	lfd = socket(la.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&la, la_len) || listen(lfd, 128)) {
		printf("FAIL listen %s: %s\n", o->listen, strerror(errno));
		return 1;
	}
	if (o->pidfile) {
		FILE *f = fopen(o->pidfile, "w");

		if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f)) {
			printf("FAIL pidfile %s\n", o->pidfile);
			return 1;
		}
	}
	while (nconns < o->flows) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		size_t ret = 0;
		int fd, rc;

		if (poll(&p, 1, o->timeout * 1000) <= 0) {
			printf("FAIL accept: %d of %d connections within %d s\n", nconns, o->flows,
			       o->timeout);
			return 1;
		}
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		conns[nconns++] = fd;
		rc = lwfp_query_redirect_records(fd, valid[nvalid].b, sizeof(valid[nvalid].b), &ret);
		if (rc) {
			printf("FAIL query records of connection %d: %s\n", nconns, strerror(-rc));
			return 1;
		}
		valid[nvalid++].len = ret;
	}
	close(lfd);

	/* The controls: the service's own valid blobs are accepted. */
	for (int i = 0; i < nvalid; i++) {
		int rc = try_set(valid[i].b, valid[i].len, i & 3);

		if (rc != 0) {
			report("control-first", valid[i].b, valid[i].len, rc, 0);
			printf("the valid blobs are refused: is this process the service's?\n");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	rejected = run_mutations(o->count, true, &controls);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("fuzz: %lu blobs against %d live flows, %lu rejected with EINVAL, %lu controls "
	       "accepted, %.2f s, seed %llu\n",
	       o->count, nvalid, rejected, controls + (unsigned long)nvalid,
	       (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - t0, (unsigned long long)o->seed);
	print_kinds();
	if (write_blobs(o->blobs)) {
		printf("FAIL write %s: %s\n", o->blobs, strerror(errno));
		failures++;
	}
	if (o->hold) {
		struct timespec d = { .tv_nsec = 20 * 1000 * 1000 };
		int waited = 0;

		while (access(o->hold, F_OK) != 0 && waited++ < o->timeout * 50)
			nanosleep(&d, NULL);
	}
	for (int i = 0; i < nconns; i++)
		close(conns[i]);
	return failures ? 1 : 0;
}

static int cmd_replay(const struct opts *o)
{
	unsigned long rejected = 0, controls = 0;

	if (!o->blobs || read_blobs(o->blobs)) {
		fprintf(stderr, "replay: need --blobs FILE with at least one blob\n");
		return 2;
	}
	for (int i = 0; i < nvalid; i++) {
		int rc = try_set(valid[i].b, valid[i].len, i & 3);

		if (rc == -EINVAL)
			rejected++;
		else
			report("replay", valid[i].b, valid[i].len, rc, -EINVAL);
	}
	rejected += run_mutations(o->count, false, &controls);
	printf("replay: %d stale blobs and %lu mutations of them, %lu rejected with EINVAL, seed "
	       "%llu\n",
	       nvalid, o->count, rejected, (unsigned long long)o->seed);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, NULL, 'l' }, { "flows", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'c' },  { "blobs", required_argument, NULL, 'b' },
		{ "pidfile", required_argument, NULL, 'p' }, { "timeout", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },    { "hold", required_argument, NULL, 'H' },
		{ 0 },
	};
	struct opts o = { .flows = 1, .count = 100000, .timeout = 30 };
	const char *cmd;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: lwfp-test-fuzzset fuzz|replay [options]\n");
		return 2;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l': o.listen = optarg; break;
		case 'n': o.flows = atoi(optarg); break;
		case 'c': o.count = strtoul(optarg, NULL, 10); break;
		case 'b': o.blobs = optarg; break;
		case 'p': o.pidfile = optarg; break;
		case 't': o.timeout = atoi(optarg); break;
		case 's': o.seed = strtoull(optarg, NULL, 10); break;
		case 'H': o.hold = optarg; break;
		default: return 2;
		}
	}
	if (!o.seed && getrandom(&o.seed, sizeof(o.seed), 0) != sizeof(o.seed))
		o.seed = (uint64_t)time(NULL);
	rng_state = o.seed ? o.seed : 1;
	if (!strcmp(cmd, "fuzz"))
		return cmd_fuzz(&o);
	if (!strcmp(cmd, "replay"))
		return cmd_replay(&o);
	fprintf(stderr, "usage: lwfp-test-fuzzset fuzz|replay [options]\n");
	return 2;
}
