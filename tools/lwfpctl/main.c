// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lwfpctl: command-line control of the lwfp engine. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/filter_opts.h"
#include "lwfpctl.h"
#include "common/version.h"

static const char usage[] =
	"Usage: lwfpctl [--pin-dir DIR] [-j] OBJECT VERB [KEYWORD VALUE]...\n"
	"       lwfpctl [--pin-dir DIR] -batch FILE\n"
	"\n"
	"Objects and verbs:\n"
	"  engine up [cgroup PATH] [max-flows-per-uid N] [config FILE]\n"
	"            [before PROG | after PROG]\n"
	"                         load the engine and attach it to a cgroup v2 path;\n"
	"                         N caps the live flows of one uid; FILE: the policy;\n"
	"                         PROG: where among the cgroup's other programs\n"
	"  engine down            detach and remove the engine\n"
	"  engine show            where the engine is pinned and attached\n"
	"  service add NAME [provider UUID] (uid U | cgroup PATH | pid P)\n"
	"                         register a service, print its handle\n"
	"  service del NAME       remove a service and its filters\n"
	"  service list           list the services\n"
	"  filter add service NAME to ADDR:PORT [CONDITIONS] [SETTINGS]\n"
	"                         add a redirect filter, print its id\n"
	"  filter add permit|block [CONDITIONS] [weight W]\n"
	"                         add a permit or block filter, print its id\n"
	"  filter del ID          remove a filter\n"
	"  filter list            list the filters, highest weight first\n"
	"  filter show ID         every field of one filter\n"
	"  filter flush [service NAME]\n"
	"                         remove all filters, or those of service NAME\n"
	"  filter refresh         let the app filters follow their paths\n"
	"  flow list              live redirected flows: their chain, bytes, age, and\n"
	"                         the application's network namespace and cgroup\n"
	"  flow monitor [log FILE]\n"
	"                         events and refusals as they happen\n"
	"  stats [prometheus]     counters (prometheus: for a Prometheus scrape)\n"
	"  metrics listen ADDR:PORT\n"
	"                         serve stats prometheus at http://ADDR:PORT/metrics\n"
	"  policy reload [config FILE]\n"
	"                         make the policy that of FILE (default\n"
	"                         " CTL_DEFAULT_CONFIG "), all or none\n"
	"  policy save            print the policy in the language of FILE\n"
	"  dns list               names learned from DNS answers (for host)\n"
	"  dns floor SECONDS      the least time a learned name matches\n"
	"  run [via SERVICE]... -- CMD [ARGS]\n"
	"                         run CMD in a fresh cgroup, its connections going\n"
	"                         through the services or a built-in lwfp-inspect\n"
	"  doctor                 the other programs and netfilter rules next to the\n"
	"                         engine, in run order, and a warning per known conflict\n"
	"  -batch FILE, --batch FILE\n"
	"                         add the services and filters of FILE ('-': stdin),\n"
	"                         all or none; prints the new filter ids\n"
	"\n"
	"An OBJECT or VERB may be shortened to a prefix that names only one\n"
	"(lwfpctl fi l: filter list). 'help' after an object lists its verbs, and\n"
	"after a verb shows its keywords.\n"
	"\n"
	CTL_KEYWORDS_HELP
	"The conditions and settings of filter add, written as options below, are\n"
	"keywords too: filter add block dst 198.18.0.0/15 dport 80.\n"
	FILTER_OPTS_USAGE
	"\n"
	"Older spellings, accepted as ever (lwfpctl(8), OLDER SPELLINGS):\n"
	"  up [--cgroup PATH] [--max-flows-per-uid N] [--config FILE]\n"
	"     [--before PROG | --after PROG]\n"
	"  down\n"
	"  reload [--config FILE]\n"
	"  save\n"
	"  service add NAME [--provider UUID] (--uid U | --cgroup PATH | --pid P)\n"
	"  filter add --service NAME --to ADDR:PORT [CONDITIONS] [SETTINGS]\n"
	"  filter add --permit|--block [CONDITIONS] [--weight W]\n"
	"  filter flush [--service NAME]\n"
	"  flows\n"
	"  monitor [--log FILE]\n"
	"  stats [--prometheus]\n"
	"  metrics --listen ADDR:PORT\n"
	"  run [--via SERVICE]... [--netns all|PATH]... -- CMD [ARGS]\n"
	"\n"
	"Options of every command, anywhere among its arguments:\n"
	"  --pin-dir DIR          bpffs directory of the engine\n"
	"                         (default: $LWFP_PIN_DIR, else " LWFP_DEFAULT_PIN_DIR ")\n"
	"  -j, --json             JSON output; errors too, as one {\"error\": \"...\"}\n"
	"                         line each on stderr\n"
	"  -h, --help             this help, or the help of a command\n"
	"  --version              the version and the ABI version, then exit\n"
	"\n"
	"Every command but --help, help and --version must be run as root.\n";

static const struct ctl_cmd commands[] = {
	{ "engine", cmd_engine, 0 },
	{ "service", cmd_service, 0 },
	{ "filter", cmd_filter, 0 },
	{ "flow", cmd_flow, 0 },
	{ "stats", cmd_stats, 0 },
	{ "metrics", cmd_metrics, 0 },
	{ "policy", cmd_policy, 0 },
	{ "dns", cmd_dns, 0 },
	{ "run", cmd_run_words, 0 },
	{ "doctor", cmd_doctor, 0 },
	/* The older bare verbs, which scripts outside use. */
	{ "up", cmd_up, CTL_CMD_EXACT },
	{ "down", cmd_down, CTL_CMD_EXACT },
	{ "flows", cmd_flows, CTL_CMD_EXACT },
	{ "monitor", cmd_monitor, CTL_CMD_EXACT },
	{ "reload", cmd_reload, CTL_CMD_EXACT },
	{ "save", cmd_save, CTL_CMD_EXACT },
};

/* "-h", "--help", or a cluster of short options such as "-jh". */
static bool is_help(const char *arg)
{
	if (strcmp(arg, "--help") == 0)
		return true;
	if (arg[0] != '-' || !arg[1] || arg[1] == '-')
		return false;
	return strspn(arg + 1, "jh") == strlen(arg + 1) && strchr(arg, 'h');
}

/*
 * The options before the command, which main() must see before the root
 * check: --help, --version and -j (so that early errors are JSON too).
 */
static void scan_leading(int argc, char **argv, bool *version)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--version") == 0)
			*version = true;
		else if (strcmp(argv[i], "-j") == 0 || strcmp(argv[i], "--json") == 0)
			ctl_json_errors = true;
		else if (strcmp(argv[i], "--pin-dir") == 0)
			i++;
		else if (strncmp(argv[i], "--pin-dir=", 10) && !is_help(argv[i]))
			break;
	}
}

/*
 * Help is the one thing a non-root caller may have, so it must be spotted
 * before the root check, which comes before everything else. The word
 * `help` counts anywhere, as -h does: the commands check for root again
 * when it turns out to be a value or a NAME.
 */
static bool wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (is_help(argv[i]) || !strcmp(argv[i], "help"))
			return true;
	}
	return false;
}

static int version(void)
{
	struct json_object *o;

	if (!ctl_json_errors)
		return print_version("lwfpctl") ? CTL_EXIT_FAIL : CTL_EXIT_OK;
	o = json_object_new_object();
	if (!o || cj_str(o, "version", LWFP_VERSION) || cj_u64(o, "abi", LWFP_ABI_VERSION)) {
		json_object_put(o);
		return CTL_EXIT_FAIL;
	}
	return cj_print(o) ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct ctl c = { .pin_dir = NULL };
	bool want_version = false;
	int status;

	scan_leading(argc, argv, &want_version);
	if (!wants_help(argc, argv) && want_version)
		return version();
	if (!wants_help(argc, argv) && geteuid() != 0) {
		ctl_err("must be run as root");
		return CTL_EXIT_FAIL;
	}
	if (ctl_is_batch(argc, argv))
		status = cmd_batch(&c, argc, argv);
	else
		status = ctl_group(&c, "", commands, sizeof(commands) / sizeof(commands[0]),
				   argc, argv, usage);
	/* A full disk or closed pipe must not pass for success. */
	if (fflush(stdout) || ferror(stdout)) {
		if (status == CTL_EXIT_OK)
			ctl_err("cannot write the output: %s", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	return status;
}
