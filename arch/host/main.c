/*
 * arch/host/main.c - quire-host: options, the fake machine, start-up.
 *
 * Layer: arch/host. Provides: main().
 *
 *   quire-host [--cpus N] [--numa N] [--mem SIZE] [--deterministic]
 *              [--sched-points N] [--seed S] [key=value|module.flag ...]
 *              [--exec "cmd; cmd"]
 *
 * Fills host_cfg from the options, then host_boot() (arch/host/boot.c)
 * builds the machine and runs start_kernel() on the main thread. The host
 * tools (arch/host/tools/) have their own main() and share host_boot().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include <quire/kernel.h>
#include <quire/string.h>
#include <arch/console.h>
#include <arch/memory.h>
#include <arch/setup.h>
#include <arch/time.h>
#include <arch/sched_point.h>
#include <quire/jiffies.h>

#define DEFAULT_CPUS	2
#define DEFAULT_NODES	1
#define DEFAULT_MEM	(256ULL << 20)
#define MIN_NODE_MEM	(16ULL << 20)	/* bytes per node, at least */
#define MAX_MEM		(64ULL << 30)

#include "host_memory.h"
#include "blockdev.h"

static const char usage_text[] =
	"usage: quire-host [OPTIONS] [key=value ...]\n"
	"  --cpus N         virtual CPUs, 1..%d (default %d)\n"
	"  --numa N         fake NUMA nodes, 1..%d, CPUs spread evenly (default %d)\n"
	"  --mem SIZE       RAM, e.g. 256M or 1G, at least 16M per node (default 256M)\n"
	"  --deterministic  one vCPU at a time, virtual time, seeded interleaving\n"
	"  --sched-points N seeded scheduling points: each fires 1 time in N\n"
	"                   (a switch in deterministic mode, else a short delay)\n"
	"  --seed S         seed of the interleaving and of the points (default 1)\n"
	"  --exec \"CMDS\"    run shell commands, then power off with their status\n"
	"  --disk SPEC      a disk vda, vdb, ...: FILE[,ro] or tmp:SIZE (docs/block.md)\n"
	"  key=value        appended to the kernel command line, as is a\n"
	"                   module.flag (e.g. blk_flush.nopreflush)\n"
	"Without --exec the shell reads stdin; end of input powers off.\n";

static void __noreturn usage(int status)
{
	fprintf(status ? stderr : stdout, usage_text, MAX_CPUS, DEFAULT_CPUS,
		MAX_NUMNODES, DEFAULT_NODES);
	exit(status);
}

static void __noreturn bad_option(const char *opt, const char *why)
{
	fprintf(stderr, "quire-host: %s: %s\n", opt, why);
	usage(2);
}

/* The value of "--opt V" or "--opt=V"; advances *@i past it. */
static const char *option_value(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);

	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (*i + 1 >= argc)
		bad_option(opt, "needs a value");
	return argv[++*i];
}

static bool is_option(const char *arg, const char *opt)
{
	size_t n = strlen(opt);

	return !strncmp(arg, opt, n) && (arg[n] == '\0' || arg[n] == '=');
}

static unsigned int parse_count(const char *opt, const char *s, unsigned int limit)
{
	unsigned int v;

	if (kstrtouint(s, 10, &v) || v < 1 || v > limit) {
		fprintf(stderr, "quire-host: %s: '%s' is not a number in 1..%u\n",
			opt, s, limit);
		usage(2);
	}
	return v;
}

static void cmdline_append(const char *s)
{
	if (host_cmdline_append(s))
		bad_option(s, "kernel command line too long");
}

static void parse_args(int argc, char **argv, const char **exec)
{
	bool seed_given = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(0);
		} else if (is_option(a, "--cpus")) {
			host_cfg.cpus = parse_count("--cpus", option_value(argc, argv, &i, "--cpus"), MAX_CPUS);
		} else if (is_option(a, "--numa")) {
			host_cfg.nodes = parse_count("--numa", option_value(argc, argv, &i, "--numa"), MAX_NUMNODES);
		} else if (is_option(a, "--mem")) {
			const char *v = option_value(argc, argv, &i, "--mem");

			if (parse_size(v, &host_cfg.mem_bytes) || host_cfg.mem_bytes > MAX_MEM)
				bad_option("--mem", "expected a size such as 256M or 1G, at most 64G");
		} else if (is_option(a, "--seed")) {
			unsigned long long s;

			if (kstrtoull(option_value(argc, argv, &i, "--seed"), 0, &s))
				bad_option("--seed", "expected an unsigned 64-bit number");
			host_cfg.seed = s;
			seed_given = true;
		} else if (is_option(a, "--sched-points")) {
			host_cfg.sched_points = parse_count(
				"--sched-points",
				option_value(argc, argv, &i, "--sched-points"), 1000000);
		} else if (!strcmp(a, "--deterministic")) {
			host_cfg.deterministic = true;
		} else if (is_option(a, "--disk")) {
			if (hostdisk_add_option(option_value(argc, argv, &i, "--disk")))
				bad_option("--disk", "too many disks");
		} else if (is_option(a, "--exec")) {
			*exec = option_value(argc, argv, &i, "--exec");
		} else if (a[0] != '-' && (strchr(a, '=') || strchr(a, '.')) &&
			   strncmp(a, "exec=", 5)) { /* key=value, module.flag */
			cmdline_append(a);
		} else {
			bad_option(a, "unknown option");
		}
	}
	if (seed_given && !host_cfg.deterministic && !host_cfg.sched_points)
		bad_option("--seed",
			   "only meaningful with --deterministic or --sched-points");
	if (host_cfg.mem_bytes < MIN_NODE_MEM * host_cfg.nodes)
		bad_option("--mem", "less than 16M per NUMA node");
}

int main(int argc, char **argv)
{
	const char *exec = NULL;

	host_cfg.cpus = DEFAULT_CPUS;
	host_cfg.nodes = DEFAULT_NODES;
	host_cfg.mem_bytes = DEFAULT_MEM;
	host_cfg.seed = 1;
	parse_args(argc, argv, &exec);
	host_cfg.interactive = !exec;
	if (exec && strlen(platform.cmdline) + strlen(exec) + 7 > CMDLINE_SIZE)
		bad_option("--exec", "commands too long for the kernel command line");
	host_boot(exec);
}
