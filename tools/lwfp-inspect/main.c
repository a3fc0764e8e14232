// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfp-inspect, the lwfp reference inspection proxy: the command line, the
 * start-up and the shutdown. How one connection is handled is in flow.c.
 *
 *   main.c      options, signals, start-up and shutdown
 *   worker.c    one epoll loop per thread, with its listeners and flows
 *   listen.c    the SO_REUSEPORT listening sockets
 *   timeout.h   per-phase timeout queues
 *   flow.c      one connection: chain, peek, connect, relay, log
 *   udp.c       a worker's UDP side: wildcard sockets, flow table, timers
 *   udp_flow.c  one UDP flow: its own socket, chain, relay, log
 *   dgram.c     the bounded datagram queues of UDP flows
 *   chain.c     the lwfp API calls of a proxy
 *   relay.c     splice() through a pipe, with back-pressure and half-close
 *   offload.c   --offload: a passed flow the kernel relays (lwfp_offload())
 *   budget.c    --offload-budget: what offloaded flows may hold, per user
 *   peek.c      TLS SNI and HTTP Host parsers
 *   dns.c       the DNS query name parser
 *   block.c     --block rules
 *   log.c       the JSON flow log
 *   names.c     service names for the log, cached per worker
 *   register.c  --register: this process's own service and filters
 *   addr.c      sockaddr <-> struct lwfp_addr
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <lwfp/engine.h>
#include <lwfp/lwfp.h>
#include <lwfp/parse.h>

#include "block.h"
#include "budget.h"
#include "flow.h"
#include "listen.h"
#include "log.h"
#include "netns.h"
#include "place.h"
#include "register.h"
#include "udp.h"
#include "worker.h"
#include "common/version.h"

#define MAX_WORKERS 1024
#define ERR_MAX 512

static const char usage[] =
	"Usage: lwfp-inspect --listen ADDR:PORT [--listen ADDR:PORT]... [OPTIONS]\n"
	"       lwfp-inspect --listen ADDR:PORT... --register [CONDITIONS] [OPTIONS]\n"
	"\n"
	"The lwfp reference inspection proxy. It accepts the TCP connections that lwfp\n"
	"filters redirect to its --listen addresses, asks the engine for each one's\n"
	"records, context and original destination, peeks at the first bytes for the\n"
	"TLS SNI or the HTTP Host, and relays the connection to its original\n"
	"destination with splice(). Its outbound socket carries the records on, so it\n"
	"chains with other lwfp proxies without loops. It writes one JSON line per flow.\n"
	"\n"
	"It relays UDP too, on the port of every --listen address: the engine gives\n"
	"each redirected UDP flow its own address in 127.128.0.0/9 (fd6c:7766:7000::/96\n"
	"for IPv6 destinations) at that port, and lwfp-inspect, bound to 0.0.0.0:PORT\n"
	"and [::]:PORT, opens a socket of the flow's own on its first datagram, which it queries like an accepted connection; the first\n"
	"datagram of a flow is read for a DNS query name. A UDP flow ends, and is\n"
	"logged, after --udp-idle-timeout without a datagram either way.\n"
	"\n"
	"Each worker takes as many flows, TCP and UDP together, as its share of the\n"
	"descriptor limit allows (6 a flow; the flow limit it prints at start). One\n"
	"uid, the application's, may hold at most half of a worker's flows: past\n"
	"that, its new TCP connections are reset and its new UDP flows' datagrams\n"
	"dropped, until its flows end; each worker says so on stderr at most once a\n"
	"second, and counts them at exit. Root is not counted, as in the engine's\n"
	"per-uid cap (lwfpctl up --max-flows-per-uid).\n"
	"\n"
	"Without --register it serves a service configured with lwfpctl, whose\n"
	"identity (uid, cgroup or pid) must match this process; a service that does\n"
	"not exist is an error. With --register it adds its own service and filters,\n"
	"and removes them when it exits.\n"
	"\n"
	"Options:\n"
	"  --listen ADDR:PORT     accept redirected connections here: 127.0.0.1:15001 or\n"
	"                         [::1]:15001; repeatable, at most 16\n"
	"  --service NAME         the service's name. With --register, the name to\n"
	"                         register (default lwfp-inspect-PID); without, it names\n"
	"                         this hop in the log when the engine cannot be read\n"
	"  --pin-dir DIR          the engine's bpffs directory (default: $LWFP_PIN_DIR,\n"
	"                         else " LWFP_DEFAULT_PIN_DIR ")\n"
	"  --log FILE             append the flow log to FILE, not stdout; FILE must not\n"
	"                         be a symbolic link\n"
	"  --block PATTERN        refuse flows whose TLS SNI, HTTP Host or DNS query\n"
	"                         name matches the glob\n"
	"                         PATTERN, case-insensitively (*.example.com matches\n"
	"                         www.example.com and a.b.example.com, not example.com),\n"
	"                         or whose original destination is in an address prefix\n"
	"                         (198.18.0.0/15, 2001:db8::/32, 198.18.0.9); repeatable\n"
	"  --block-unnamed        refuse flows whose host name cannot be read: TCP whose\n"
	"                         first bytes are not a TLS ClientHello with a server\n"
	"                         name (of at most 64 KiB) or an HTTP/1 request with a\n"
	"                         Host; UDP whose datagrams from the client are not DNS\n"
	"                         queries (QUIC among them). A TCP client that sends\n"
	"                         nothing within --peek-timeout is not judged\n"
	"  --block-quic           refuse UDP flows to port 443 (QUIC, whose server name\n"
	"                         is encrypted), so that clients fall back to TCP\n"
	"  --workers N            worker threads (default: one per online CPU)\n"
	"  --idle-timeout S       end a TCP flow that moved no byte for S seconds\n"
	"                         (default 300)\n"
	"  --udp-idle-timeout S   end a UDP flow after S seconds without a datagram\n"
	"                         (default 30, the engine's default); with --register,\n"
	"                         also the idle timeout of its UDP filters' flow state.\n"
	"                         Serving a service of lwfpctl, give its filters'\n"
	"                         --idle-timeout\n"
	"  --connect-timeout S    give up connecting to the destination after S seconds\n"
	"                         (default 10)\n"
	"  --peek-timeout MS      wait up to MS milliseconds for the first bytes that name\n"
	"                         the host (default 500); protocols where the server\n"
	"                         speaks first wait that long. 0: do not peek (then host\n"
	"                         patterns cannot be blocked)\n"
	"  --drain-timeout S      on SIGTERM or SIGINT, let live flows finish for up to S\n"
	"                         seconds (default 5)\n"
	"  --offload              once a TCP flow passed (its host read, not blocked),\n"
	"                         hand its two sockets to the kernel, which relays the\n"
	"                         rest without waking the proxy (lwfp_offload); the log\n"
	"                         says \"relay\":\"offload\", or \"splice\" and why not\n"
	"                         in \"offload\". If lwfp-inspect dies, its offloaded\n"
	"                         flows are reset\n"
	"  --offload-max-queue MIB  an offloaded direction queues at most MIB\n"
	"                         mebibytes in the kernel (1 to 1024, default 4);\n"
	"                         past that its sender waits, and lwfp-inspect\n"
	"                         writes on what the kernel held back, then hands\n"
	"                         the direction back to the kernel\n"
	"  --offload-budget MIB   the kernel memory all offloaded flows together may\n"
	"                         hold (1 to 1048576, default 256): a flow counts twice\n"
	"                         --offload-max-queue. One user (the application's\n"
	"                         uid; root has no limit) may hold at most half of it.\n"
	"                         A flow that finds no room is spliced, and the log's\n"
	"                         \"offload\" says why\n"
	"  --netns all|PATH       also serve other network namespaces: all, those of\n"
	"                         the processes of the engine's cgroup subtree, found\n"
	"                         again every 500 ms (a namespace whose processes are\n"
	"                         gone is no longer served); PATH, a namespace file\n"
	"                         (/proc/PID/ns/net, /run/netns/NAME), served until exit;\n"
	"                         repeatable. In each, the --listen addresses and UDP\n"
	"                         ports are opened and registered, the IPv6 UDP flow\n"
	"                         prefix is routed, and a flow's outbound connection\n"
	"                         is made there. Without it: only this namespace\n"
	"  --cgroup-join PATH     before anything else, move into the cgroup PATH below\n"
	"                         the engine's cgroup (created if missing). lwfp-inspect\n"
	"                         must run inside the engine's cgroup subtree, where its\n"
	"                         socket queries work: outside, it exits 1 saying so\n"
	"  -h, --help             show this help\n"
	"  --version              print the version and the ABI version, and exit\n"
	"\n"
	"Registering:\n"
	"  --register             add service NAME with this process as its identity,\n"
	"                         and filters that redirect matching TCP connections to\n"
	"                         the first --listen address of their address family:\n"
	"                         one filter per family that has a --listen address\n"
	"                         (or just the family that --family or --dst gives),\n"
	"                         and per --dport item. UDP filters (--proto) redirect\n"
	"                         both families to the first IPv4 --listen address.\n"
	"                         All are removed on exit.\n"
	"Conditions of the filters (as in lwfpctl filter add; a filter tests only those\n"
	"given), with --register only:\n"
	"  --dport N[-M][,...]    remote port or range; a comma list gives one filter each\n"
	"  --family 4|6           address family\n"
	"  --dst PREFIX           remote address prefix, 198.18.0.0/15 or 2001:db8::/32\n"
	"  --sport N[-M]          local port range\n"
	"  --uid N[-M]            uid range of the connecting process\n"
	"  --gid N                gid of the connecting process\n"
	"  --cgroup PATH          cgroup v2 path, descendants included\n"
	"  --app PATH             executable of the connecting process: the file at\n"
	"                         PATH (absolute), not its name\n"
	"  --host PATTERN         the destination came in a DNS answer for a name that\n"
	"                         matches: name.example, or *.example (names below it)\n"
	"  --proto tcp|udp|tcp,udp  what to redirect (default tcp, as before UDP was\n"
	"                         relayed: a plain --register never takes over DNS)\n"
	"  --weight W             higher weights are tried first (default 100)\n"
	"  --fail open|closed     when lwfp-inspect is not listening: let connections\n"
	"                         through, or refuse them (default closed). A registration\n"
	"                         left by a killed lwfp-inspect keeps refusing until\n"
	"                         `lwfpctl service del NAME`\n"
	"  --context KIND         metadata (default), sockaddrs, none or raw:HEX; only\n"
	"                         metadata tells the log the pid, comm and uid\n"
	"\n"
	"The flow log: one JSON object per line, written when the flow ends, with\n"
	"  time         when the flow was accepted, RFC 3339, UTC\n"
	"  token        the chain's flow token, in hex: the same on every hop\n"
	"  chain        the services of the hops so far, by name (or handle number)\n"
	"  orig_dst     where the application connected to\n"
	"  pid, comm, uid   the application that opened the chain (the same on every\n"
	"                   hop), from a metadata context\n"
	"  exe, exe_ino   the application's executable: its path (null when\n"
	"               /proc no longer names the file the engine saw) and inode\n"
	"  ppid, pexe, pexe_ino   its parent's pid and executable, likewise\n"
	"  netns        the inode number of the application's network namespace\n"
	"  dns_name     the name whose DNS answer gave the application the original\n"
	"               destination, as the engine learned it (lwfpctl dns list)\n"
	"  cgroup       its cgroup, relative to the cgroup v2 mount\n"
	"  container    the container that cgroup names (docker-ID.scope,\n"
	"               libpod-ID.scope, kubepods...-podUID.slice...)\n"
	"  proto        tcp or udp\n"
	"  sni | host   the TLS server name or the HTTP Host, when seen\n"
	"  dns, dns_type  UDP: the query name and type, when the first datagram was\n"
	"               a DNS query\n"
	"  unnamed      true when the client sent bytes that name no host (see\n"
	"               --block-unnamed), or a UDP flow's later datagram was not a\n"
	"               DNS query\n"
	"  bytes_up, bytes_down   bytes relayed to the server and to the client\n"
	"  relay        TCP that reached the relay: offload (the kernel moved the\n"
	"               bytes, --offload) or splice; then offload: why --offload\n"
	"               could not hand the flow over, or bytes_spilled: what the\n"
	"               kernel held back and lwfp-inspect wrote itself\n"
	"  packets_up, packets_down, dropped_up, dropped_down   UDP: datagrams\n"
	"               relayed, and dropped (blocked, or a queue was full)\n"
	"  duration_ms  from accept (first datagram) to end\n"
	"  verdict      pass, block or error; then rule (the --block, --block-unnamed\n"
	"               or --block-quic that matched) or error (what failed). A UDP\n"
	"               flow is blocked whole by a prefix,\n"
	"               by --block-quic or by its first datagram, and its later\n"
	"               datagrams that a host pattern or --block-unnamed refuses are\n"
	"               dropped; it fails when the server refused it (ICMP) and\n"
	"               never answered\n"
	"Fields that are unknown for a flow are left out.\n"
	"\n"
	"Signals:\n"
	"  SIGTERM, SIGINT        stop accepting, remove the --register filters, let live\n"
	"                         flows finish for up to --drain-timeout, then end the\n"
	"                         rest, remove the service and exit 0; a second signal\n"
	"                         ends the live flows at once\n"
	"  SIGHUP                 reopen the --log file (for log rotation), and register\n"
	"                         the listeners with the service again (after an engine\n"
	"                         upgrade, which forgets them)\n"
	"\n"
	"Exit status: 0 after SIGTERM or SIGINT, 1 on errors.\n";

enum {
	OPT_LISTEN = 0x100, /* below the FOPT_ codes of filter_opts.h */
	OPT_SERVICE,
	OPT_PIN_DIR,
	OPT_REGISTER,
	OPT_LOG,
	OPT_BLOCK,
	OPT_WORKERS,
	OPT_IDLE_TIMEOUT,
	OPT_CONNECT_TIMEOUT,
	OPT_PEEK_TIMEOUT,
	OPT_DRAIN_TIMEOUT,
	OPT_UDP_IDLE_TIMEOUT,
	OPT_NETNS,
	OPT_BLOCK_UNNAMED,
	OPT_BLOCK_QUIC,
	OPT_VERSION,
	OPT_CGROUP_JOIN,
	OPT_OFFLOAD,
	OPT_OFFLOAD_MAX_QUEUE,
	OPT_OFFLOAD_BUDGET,
};

static const struct option longopts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "service", required_argument, NULL, OPT_SERVICE },
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "register", no_argument, NULL, OPT_REGISTER },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "block", required_argument, NULL, OPT_BLOCK },
	{ "block-unnamed", no_argument, NULL, OPT_BLOCK_UNNAMED },
	{ "block-quic", no_argument, NULL, OPT_BLOCK_QUIC },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	/*
	 * Before FILTER_LONGOPTS, whose --idle-timeout (for UDP filters) this
	 * one shadows: getopt_long takes the first exact match. The UDP
	 * filters get theirs from --udp-idle-timeout.
	 */
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "peek-timeout", required_argument, NULL, OPT_PEEK_TIMEOUT },
	{ "drain-timeout", required_argument, NULL, OPT_DRAIN_TIMEOUT },
	{ "udp-idle-timeout", required_argument, NULL, OPT_UDP_IDLE_TIMEOUT },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "cgroup-join", required_argument, NULL, OPT_CGROUP_JOIN },
	{ "offload", no_argument, NULL, OPT_OFFLOAD },
	{ "offload-max-queue", required_argument, NULL, OPT_OFFLOAD_MAX_QUEUE },
	{ "offload-budget", required_argument, NULL, OPT_OFFLOAD_BUDGET },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	FILTER_LONGOPTS
	{ 0 },
};

struct inspect {
	struct config cfg;
	struct registration reg;
	struct worker *workers;
	unsigned int nworkers; /* initialised so far */
	struct netns_opts netns;
	struct netns_mgr netns_mgr;
	struct budget budget; /* --offload */
	const char *cgroup_join; /* --cgroup-join: relative to the engine's cgroup */
	char err[ERR_MAX];
};

/* ---- options -------------------------------------------------------------------- */

static int add_listen(struct inspect *in, const char *arg)
{
	struct config *cfg = &in->cfg;
	struct lwfp_addr a;
	size_t i;

	if (lwfp_parse_addr_port(arg, &a)) {
		snprintf(in->err, sizeof(in->err), "bad --listen '%s' (ADDR:PORT, [V6]:PORT)", arg);
		return -EINVAL;
	}
	for (i = 0; i < cfg->nlisten; i++) {
		if (!memcmp(&cfg->listen[i], &a, sizeof(a))) {
			snprintf(in->err, sizeof(in->err), "--listen %s is given twice", arg);
			return -EINVAL;
		}
	}
	if (cfg->nlisten == MAX_LISTEN) {
		snprintf(in->err, sizeof(in->err), "at most %d --listen addresses", MAX_LISTEN);
		return -EINVAL;
	}
	cfg->listen[cfg->nlisten++] = a;
	return 0;
}

/* A number min..max, times scale (to turn seconds into milliseconds). */
static int parse_num(struct inspect *in, const char *opt, const char *arg, uint32_t min,
		     uint32_t max, uint64_t scale, uint64_t *out)
{
	uint32_t v;

	if (lwfp_parse_u32(arg, max, &v) || v < min) {
		snprintf(in->err, sizeof(in->err), "bad %s '%s' (%u to %u)", opt, arg, min, max);
		return -EINVAL;
	}
	*out = (uint64_t)v * scale;
	return 0;
}

static int apply_opt(struct inspect *in, int opt, const char *arg)
{
	struct config *cfg = &in->cfg;
	uint64_t n;
	int ret;

	switch (opt) {
	case OPT_LISTEN:
		return add_listen(in, arg);
	case OPT_CGROUP_JOIN:
		if (!place_join_valid(arg)) {
			snprintf(in->err, sizeof(in->err),
				 "bad --cgroup-join '%s' (a relative path, no . or .. parts)", arg);
			return -EINVAL;
		}
		in->cgroup_join = arg;
		return 0;
	case OPT_SERVICE:
		if (!*arg || strlen(arg) >= LWFP_NAME_MAX) {
			snprintf(in->err, sizeof(in->err),
				 "bad --service '%s' (1 to %d characters)", arg, LWFP_NAME_MAX - 1);
			return -EINVAL;
		}
		cfg->service = arg;
		return 0;
	case OPT_PIN_DIR:
		cfg->pin_dir = arg;
		return 0;
	case OPT_OFFLOAD:
		cfg->offload = true;
		return 0;
	case OPT_REGISTER:
		in->reg.enabled = true;
		return 0;
	case OPT_LOG:
		cfg->log_path = arg;
		return 0;
	case OPT_BLOCK:
		return block_add(arg, in->err, sizeof(in->err));
	case OPT_BLOCK_UNNAMED:
		block_unnamed();
		return 0;
	case OPT_BLOCK_QUIC:
		block_quic();
		return 0;
	case OPT_WORKERS:
		ret = parse_num(in, "--workers", arg, 1, MAX_WORKERS, 1, &n);
		if (!ret)
			cfg->workers = (unsigned int)n;
		return ret;
	case OPT_OFFLOAD_MAX_QUEUE:
		return parse_num(in, "--offload-max-queue", arg, 1, MAX_OFFLOAD_MAX_QUEUE_MIB,
				 UINT64_C(1) << 20, &cfg->offload_max_queue);
	case OPT_OFFLOAD_BUDGET:
		return parse_num(in, "--offload-budget", arg, 1, MAX_OFFLOAD_BUDGET_MIB,
				 UINT64_C(1) << 20, &cfg->offload_budget);
	case OPT_IDLE_TIMEOUT:
		return parse_num(in, "--idle-timeout", arg, 1, 86400, 1000, &cfg->idle_timeout_ms);
	case OPT_CONNECT_TIMEOUT:
		return parse_num(in, "--connect-timeout", arg, 1, 3600, 1000,
				 &cfg->connect_timeout_ms);
	case OPT_PEEK_TIMEOUT:
		return parse_num(in, "--peek-timeout", arg, 0, 60000, 1, &cfg->peek_timeout_ms);
	case OPT_DRAIN_TIMEOUT:
		return parse_num(in, "--drain-timeout", arg, 0, 3600, 1000, &cfg->drain_timeout_ms);
	case OPT_NETNS:
		return netns_opt(&in->netns, arg, in->err, sizeof(in->err));
	case OPT_UDP_IDLE_TIMEOUT:
		ret = parse_num(in, "--udp-idle-timeout", arg, 1, 86400, 1000,
				&cfg->udp_idle_timeout_ms);
		if (!ret)
			register_set_udp_idle(&in->reg,
					      (uint32_t)(cfg->udp_idle_timeout_ms / 1000));
		return ret;
	}
	ret = register_opt(&in->reg, opt, arg, in->err, sizeof(in->err));
	return ret < 0 ? ret : 0;
}

static int check_args(struct inspect *in)
{
	if (!in->cfg.nlisten) {
		snprintf(in->err, sizeof(in->err), "--listen ADDR:PORT is required");
		return -EINVAL;
	}
	if (!in->cfg.peek_timeout_ms && block_has_host_rules()) {
		snprintf(in->err, sizeof(in->err),
			 "--block host patterns need the peek: --peek-timeout must not be 0");
		return -EINVAL;
	}
	if (!in->cfg.peek_timeout_ms && block_match_unnamed()) {
		snprintf(in->err, sizeof(in->err),
			 "--block-unnamed needs the peek: --peek-timeout must not be 0");
		return -EINVAL;
	}
	return register_check(&in->reg, in->err, sizeof(in->err));
}

static void set_defaults(struct inspect *in)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	in->cfg.pin_dir = lwfp_default_pin_dir();
	in->cfg.workers = cpus < 1 ? 1 : cpus > MAX_WORKERS ? MAX_WORKERS : (unsigned int)cpus;
	in->cfg.idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
	in->cfg.offload_max_queue = (uint64_t)DEFAULT_OFFLOAD_MAX_QUEUE_MIB << 20;
	in->cfg.offload_budget = (uint64_t)DEFAULT_OFFLOAD_BUDGET_MIB << 20;
	in->cfg.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	in->cfg.peek_timeout_ms = DEFAULT_PEEK_TIMEOUT_MS;
	in->cfg.drain_timeout_ms = DEFAULT_DRAIN_TIMEOUT_MS;
	in->cfg.udp_idle_timeout_ms = DEFAULT_UDP_IDLE_TIMEOUT_MS;
	register_init(&in->reg);
}

/* 0 to run, 1 after --help, -EINVAL after an error (already reported). */
static int parse_args(struct inspect *in, int argc, char **argv)
{
	int opt, idx;

	set_defaults(in);
	while ((idx = -1, opt = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		if (opt == 'h') {
			fputs(usage, stdout);
			return 1;
		}
		if (opt == OPT_VERSION)
			return print_version("lwfp-inspect") ? -EIO : 1;
		if (opt == '?')
			goto usage_hint; /* getopt_long said what was wrong */
		if (opt_swallowed(longopts, idx, argv)) {
			snprintf(in->err, sizeof(in->err), "option '--%s' needs a value, got the option '%s'",
				 longopts[idx].name, optarg);
			goto bad;
		}
		if (apply_opt(in, opt, optarg))
			goto bad;
	}
	if (optind < argc) {
		snprintf(in->err, sizeof(in->err), "unexpected argument '%s'", argv[optind]);
		goto bad;
	}
	if (check_args(in))
		goto bad;
	return 0;
bad:
	log_warn("%s", in->err);
usage_hint:
	fprintf(stderr, "Try 'lwfp-inspect --help'.\n");
	return -EINVAL;
}

/* ---- start-up ------------------------------------------------------------------- */

/* Descriptors for all but the flows: stdio, the engine's maps, the log... */
#define FD_RESERVE 64

/*
 * Raises the descriptor limit as far as allowed, and shares it out between
 * the workers at FLOW_FDS per flow: a worker that reaches its share stops
 * accepting until one of its flows ends.
 */
static void set_flow_budget(struct inspect *in)
{
	uint64_t reserve = FD_RESERVE + (uint64_t)in->cfg.workers * (2 * in->cfg.nlisten + 2);
	uint64_t per_worker;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = 1024;
	} else if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) || getrlimit(RLIMIT_NOFILE, &rl))
			log_warn("raising the descriptor limit: %s", strerror(errno));
	}
	per_worker = rl.rlim_cur > reserve ? (rl.rlim_cur - reserve) / FLOW_FDS : 0;
	per_worker /= in->cfg.workers;
	in->cfg.max_flows = per_worker < 1 ? 1 : per_worker > UINT_MAX ? UINT_MAX : per_worker;
}

/* Needed to register; otherwise only to name the services in the log. */
static int open_engine(struct inspect *in)
{
	int err;

	err = lwfp_engine_open(in->cfg.pin_dir, &in->cfg.engine);
	if (!err)
		return 0;
	in->cfg.engine = NULL;
	if (in->reg.enabled) {
		snprintf(in->err, sizeof(in->err), "--register: no engine at %s: %s",
			 in->cfg.pin_dir, strerror(-err));
		return err;
	}
	log_warn("cannot read the engine at %s (%s): the log names services by handle",
		 in->cfg.pin_dir, strerror(-err));
	return 0;
}

/*
 * Join the engine's subtree when asked, then make sure this process is in
 * it: outside, a proxy breaks every flow sent to it. Without an engine to
 * ask (no --register) there is nothing to check against.
 */
static int place(struct inspect *in)
{
	int err;

	if (!in->cfg.engine) {
		if (!in->cgroup_join)
			return 0;
		snprintf(in->err, sizeof(in->err), "--cgroup-join needs the engine at %s",
			 in->cfg.pin_dir);
		return -ENOENT;
	}
	if (in->cgroup_join) {
		err = place_join(in->cfg.engine, in->cgroup_join, in->err, sizeof(in->err));
		if (err)
			return err;
	}
	return place_check(in->cfg.engine, in->err, sizeof(in->err));
}

static int probe_listen(struct inspect *in)
{
	char addr[64];
	size_t i;
	int err;

	for (i = 0; i < in->cfg.nlisten; i++) {
		err = listen_probe(&in->cfg.listen[i]);
		if (err) {
			lwfp_format_addr_port(&in->cfg.listen[i], addr, sizeof(addr));
			snprintf(in->err, sizeof(in->err), "--listen %s: %s", addr, strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * The UDP ports: one per distinct --listen port. One that is taken fails
 * the start only when --register is to send UDP there; otherwise this
 * instance serves TCP alone on it, as it did before UDP, and says so.
 */
static int probe_udp(struct inspect *in)
{
	struct config *cfg = &in->cfg;
	uint16_t port;
	size_t i, j;
	int err;

	for (i = 0; i < cfg->nlisten; i++) {
		port = ntohs(cfg->listen[i].port);
		for (j = 0; j < cfg->nudp_ports && cfg->udp_ports[j] != port; j++)
			;
		if (j < cfg->nudp_ports)
			continue;
		err = udp_listen_probe(port);
		if (err && register_udp(&in->reg)) {
			snprintf(in->err, sizeof(in->err), "UDP port %u: %s", port, strerror(-err));
			return err;
		}
		if (err)
			log_warn("UDP port %u: %s; not relaying UDP there", port, strerror(-err));
		else
			cfg->udp_ports[cfg->nudp_ports++] = port;
	}
	return 0;
}

static int init_workers(struct inspect *in)
{
	int err;

	in->workers = calloc(in->cfg.workers, sizeof(*in->workers));
	if (!in->workers) {
		snprintf(in->err, sizeof(in->err), "out of memory");
		return -ENOMEM;
	}
	for (; in->nworkers < in->cfg.workers; in->nworkers++) {
		err = worker_init(&in->workers[in->nworkers], in->nworkers, &in->cfg, in->err,
				  sizeof(in->err));
		if (err) {
			in->nworkers++; /* so that its partial state is destroyed too */
			return err;
		}
	}
	return 0;
}

static int start_workers(struct inspect *in)
{
	unsigned int i;
	int err;

	for (i = 0; i < in->nworkers; i++) {
		err = worker_start(&in->workers[i]);
		if (err) {
			snprintf(in->err, sizeof(in->err), "starting a worker: %s", strerror(-err));
			return err;
		}
	}
	return 0;
}

static void announce(const struct inspect *in)
{
	char line[ERR_MAX], addr[64];
	size_t i, n;

	n = (size_t)snprintf(line, sizeof(line), "%u workers, flow limit %u per worker, on",
			     in->cfg.workers, in->cfg.max_flows);
	for (i = 0; i < in->cfg.nlisten && n < sizeof(line); i++) {
		lwfp_format_addr_port(&in->cfg.listen[i], addr, sizeof(addr));
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", addr);
	}
	for (i = 0; i < in->cfg.nudp_ports && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%u", i ? "," : ", udp ports ",
				      in->cfg.udp_ports[i]);
	if (in->reg.enabled)
		log_warn("%s; registered service %s with %zu filters", line, in->cfg.service,
			 in->reg.nfilters);
	else
		log_warn("%s; serving service %s", line,
			 in->cfg.service ? in->cfg.service : "(unnamed)");
}

/*
 * The engine redirects only to listeners registered for the service
 * (docs/abi.md): ours were bound before the service existed, or by a
 * process that may not be its identity.
 */
static int register_listeners(void *arg, uint32_t handle, char *err, size_t size)
{
	struct inspect *in = arg;
	unsigned int i;
	size_t j;
	int e;

	for (i = 0; i < in->nworkers; i++) {
		struct worker *w = &in->workers[i];

		for (j = 0; j < w->nlisteners; j++) {
			e = lwfp_register_listener(w->listeners[j].watch.fd, handle);
			if (e)
				goto fail;
		}
		e = udp_register(w, handle);
		if (e)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, size, "registering a listener with the service: %s", strerror(-e));
	return e;
}

/* A service configured with lwfpctl: register with it if it is ours. 0 or -errno. */
static int register_with_service(struct inspect *in)
{
	uint32_t handle;
	char err[256];
	int e;

	if (!in->cfg.service)
		return -ENOENT;
	e = lwfp_service_handle(in->cfg.pin_dir, in->cfg.service, &handle);
	if (!e)
		e = register_listeners(in, handle, err, sizeof(err));
	if (!e)
		in->cfg.service_handle = handle; /* for the --netns listeners */
	if (e)
		log_warn("service %s: %s (is this process its identity?)", in->cfg.service,
			 e == -ENOENT ? "no such service" : err);
	return e;
}

/*
 * Serving a service that does not exist would wait for connections that
 * never come. Without an engine to ask, or a --service, there is no telling.
 */
static int serve_service(struct inspect *in)
{
	struct lwfp_service_info s;

	if (in->cfg.service && in->cfg.engine &&
	    lwfp_service_find(in->cfg.engine, in->cfg.service, &s) == -ENOENT) {
		snprintf(in->err, sizeof(in->err),
			 "service '%s' does not exist; create it with lwfpctl service add %s ... "
			 "or use --register",
			 in->cfg.service, in->cfg.service);
		return -ENOENT;
	}
	register_with_service(in);
	return 0;
}

/* An offloaded flow may hold both directions' queues: room for one at least. */
static int open_budget(struct inspect *in)
{
	uint64_t per_flow = 2 * in->cfg.offload_max_queue;
	int err;

	if (!in->cfg.offload)
		return 0;
	err = budget_init(&in->budget, in->cfg.offload_budget, per_flow);
	if (err == -EINVAL)
		snprintf(in->err, sizeof(in->err),
			 "--offload-budget %" PRIu64 " MiB holds no flow: each may hold %" PRIu64
			 " MiB (twice --offload-max-queue)",
			 in->cfg.offload_budget >> 20, per_flow >> 20);
	else if (err)
		snprintf(in->err, sizeof(in->err), "offload budget: %s", strerror(-err));
	if (!err)
		in->cfg.budget = &in->budget;
	return err;
}

static int start(struct inspect *in)
{
	int err;


	set_flow_budget(in);
	err = open_budget(in);
	if (!err)
		err = log_open(in->cfg.log_path, in->err, sizeof(in->err));
	if (!err)
		err = open_engine(in);
	if (!err)
		err = place(in);
	/* Probe first: listening would hide another listener from the probe. */
	if (!err)
		err = probe_listen(in);
	if (!err)
		err = probe_udp(in);
	if (!err)
		err = init_workers(in);
	/* Listening before registering, so the filters never point at nothing. */
	if (!err && in->reg.enabled)
		err = register_start(&in->reg, in->cfg.engine, &in->cfg, register_listeners, in,
				     in->err, sizeof(in->err));
	else if (!err)
		err = serve_service(in);
	if (!err)
		err = start_workers(in);
	/* After the workers: they take each namespace's sockets as it comes. */
	if (!err)
		err = netns_mgr_start(&in->netns_mgr, &in->netns, &in->cfg, in->workers,
				      in->nworkers, in->err, sizeof(in->err));
	if (!err)
		announce(in);
	return err;
}

/* ---- signals and shutdown ------------------------------------------------------------- */

static void stop_workers(struct inspect *in, enum worker_stop how)
{
	unsigned int i;

	for (i = 0; i < in->nworkers; i++)
		if (in->workers[i].started)
			worker_stop(&in->workers[i], how);
}

static bool workers_finished(const struct inspect *in)
{
	unsigned int i;

	for (i = 0; i < in->nworkers; i++)
		if (in->workers[i].started && !atomic_load(&in->workers[i].finished))
			return false;
	return true;
}

static void reload(struct inspect *in)
{
	log_reopen();
	if (register_with_service(in))
		return;
	netns_mgr_register(&in->netns_mgr, in->cfg.service_handle);
	log_warn("listeners registered with service %s", in->cfg.service);
}

/* With --register: is the service still there? Registers it again if not. */
static void watch_registration(struct inspect *in)
{
	if (register_watch(&in->reg, &in->cfg, register_listeners, in))
		netns_mgr_register(&in->netns_mgr, in->cfg.service_handle);
}

/* The timer's period: the shorter of what --netns all and --register need. */
static long tick_ms(const struct inspect *in)
{
	if (in->netns.all)
		return NETNS_SCAN_MS;
	return in->reg.enabled ? REGISTER_WATCH_MS : 0;
}

/*
 * Serves SIGHUP until SIGTERM or SIGINT comes; in between, with --netns
 * all, rescans the namespaces, and with --register, watches the service.
 */
static void wait_for_stop(struct inspect *in, const sigset_t *set)
{
	const long ms = tick_ms(in);
	const struct timespec tick = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };
	long since_watch = 0;
	int sig;

	for (;;) {
		if (ms) {
			sig = sigtimedwait(set, NULL, &tick);
			if (sig < 0 && in->netns.all)
				netns_mgr_scan(&in->netns_mgr);
			since_watch += sig < 0 ? ms : 0;
			if (in->reg.enabled && since_watch >= REGISTER_WATCH_MS) {
				since_watch = 0;
				watch_registration(in);
			}
		} else {
			sig = sigwaitinfo(set, NULL);
		}
		if (sig == SIGHUP)
			reload(in);
		else if (sig == SIGTERM || sig == SIGINT)
			return;
	}
}

/*
 * The filters go first, so new connections stop coming (rather than being
 * refused); the service stays until the flows are gone, because a flow still
 * connecting out must be allowed to set its records.
 */
static void drain(struct inspect *in, const sigset_t *set)
{
	const struct timespec tick = { .tv_nsec = 100000000 }; /* 100 ms */
	int sig;

	register_remove_filters(&in->reg);
	stop_workers(in, WORKER_DRAIN);
	while (!workers_finished(in)) {
		sig = sigtimedwait(set, NULL, &tick);
		if (sig == SIGHUP)
			log_reopen();
		else if (sig == SIGTERM || sig == SIGINT)
			stop_workers(in, WORKER_ABORT);
	}
}

static void cleanup(struct inspect *in)
{
	unsigned int i;

	/* Threads still running here means start-up failed after starting them. */
	stop_workers(in, WORKER_ABORT);
	netns_mgr_stop(&in->netns_mgr);
	for (i = 0; i < in->nworkers; i++)
		worker_destroy(&in->workers[i]);
	free(in->workers);
	register_remove(&in->reg);
	register_close(&in->reg);
	if (in->cfg.engine)
		lwfp_engine_close(in->cfg.engine);
	if (in->cfg.budget)
		budget_destroy(in->cfg.budget);
	log_close();
	block_free();
}

int main(int argc, char **argv)
{
	static struct inspect in;
	sigset_t set;
	int ret;

	ret = parse_args(&in, argc, argv);
	if (ret)
		return ret > 0 ? EXIT_SUCCESS : EXIT_FAILURE;

	/*
	 * Only the main thread takes signals, with sigwaitinfo(); the workers
	 * inherit the mask. A signal during start-up waits its turn.
	 */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (start(&in)) {
		log_warn("%s", in.err);
		cleanup(&in);
		return EXIT_FAILURE;
	}
	wait_for_stop(&in, &set);
	drain(&in, &set);
	cleanup(&in);
	return EXIT_SUCCESS;
}
