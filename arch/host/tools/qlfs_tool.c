/*
 * arch/host/tools/qlfs_tool.c - mkfs.qlfs and fsck.qlfs as Linux programs:
 * the same fs/qlfs code as Quire's shell commands, run by the core on
 * quire-host's machinery with the image file as its disk vda.
 *
 * Layer: arch/host (a host tool). Built twice by arch/host/build.mk:
 * QLFS_TOOL_FSCK=0 gives build/host/VARIANT/mkfs.qlfs, =1 fsck.qlfs.
 * Provides: main(), and a late initcall that runs the tool.
 *
 *   mkfs.qlfs [-L label] [-s segment-size] [-f] [-q] [-T seconds] IMAGE
 *   fsck.qlfs [-n | -y] [-f] [-v] IMAGE
 *
 * main() answers --help and --version itself, finds IMAGE among the
 * arguments, refuses a missing or unusable file with one line (exit 8 for
 * fsck, 1 for mkfs, as e2fsck and mke2fs), attaches it as disk vda (read
 * only for fsck unless it repairs: -y, -p, -a), and boots the core quietly (kernel log: errors only) on
 * one CPU. After the device initcalls, qlfs_tool_run() calls
 * qlfs_mkfs_main() or qlfs_fsck_main() (fs/qlfs/tool.c) with IMAGE
 * replaced by "vda", and powers off with its exit status. Everything else
 * (option errors, sizes, the checks) is the core's, so the host tool and
 * the shell command behave alike.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../host.h"
#include "../blockdev.h"
#include "tool_boot.h"
#include <quire/init.h>
#include <quire/printk.h>
#include <quire/qlfs.h>
#include <arch/power.h>

#ifndef QLFS_TOOL_FSCK
#error "build with -DQLFS_TOOL_FSCK=0 (mkfs.qlfs) or 1 (fsck.qlfs)"
#endif

#if QLFS_TOOL_FSCK
#define TOOL	   "fsck.qlfs"
#define USAGE	   qlfs_fsck_usage
#define EXIT_USAGE FSCK_USAGE
#define EXIT_ERROR FSCK_ERROR
#define VALUE_OPTS ""
#else
#define TOOL	   "mkfs.qlfs"
#define USAGE	   qlfs_mkfs_usage
#define EXIT_USAGE MKFS_ERROR
#define EXIT_ERROR MKFS_ERROR
#define VALUE_OPTS "LsT" /* options that take a value */
#endif

#define MAX_TOOL_ARGS 32
#define TOOL_LOGLEVEL 2 /* kernel log on the console: critical only */

#define BASE_MEM (256ULL << 20) /* bytes of RAM for the core */
#define MAX_MEM	 (32ULL << 30)

static char *tool_argv[MAX_TOOL_ARGS + 4];
static int tool_argc;
static const char *image;

static void __noreturn fail(int status, const char *fmt, const char *arg)
{
	fprintf(stderr, TOOL ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(status);
}

static bool takes_value(const char *a)
{
	return a[0] == '-' && a[1] && strchr(VALUE_OPTS, a[1]) && !a[2];
}

/* Find IMAGE (the one word that is neither an option nor a value) and
 * build the core's argv with "vda" in its place. */
static void build_argv(int argc, char **argv)
{
	bool have_time = false;

	if (argc > MAX_TOOL_ARGS)
		fail(EXIT_USAGE, "%s", "too many arguments");
	tool_argv[tool_argc++] = TOOL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] == '-' && a[1] == 'T')
			have_time = true;
		if (takes_value(a) && i + 1 < argc) {
			tool_argv[tool_argc++] = argv[i++];
			tool_argv[tool_argc++] = argv[i];
		} else if (a[0] != '-' || !a[1]) {
			if (image)
				fail(EXIT_USAGE,
				     "more than one image: '%s' (" TOOL
				     " --help for usage)",
				     a);
			image = a;
			tool_argv[tool_argc++] = "vda";
		} else {
			tool_argv[tool_argc++] = argv[i];
		}
	}
	if (!image)
		fail(EXIT_USAGE, "%s", "no image given (" TOOL " --help for usage)");
	if (!QLFS_TOOL_FSCK && !have_time) { /* Quire has no clock of the day */
		static char secs[24];

		snprintf(secs, sizeof(secs), "%llu", (unsigned long long)time(NULL));
		tool_argv[tool_argc++] = "-T";
		tool_argv[tool_argc++] = secs;
	}
}

/* fsck -y (-p, -a) writes its repair: the image is attached writable. */
static bool repairs(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-y") || !strcmp(argv[i], "-p") ||
		    !strcmp(argv[i], "-a"))
			return true;
	return false;
}

static u64 check_image(void)
{
	struct stat st;

	if (stat(image, &st)) {
		fprintf(stderr, TOOL ": cannot open '%s': %s\n", image, strerror(errno));
		exit(EXIT_ERROR);
	}
	if (!S_ISREG(st.st_mode))
		fail(EXIT_ERROR, "'%s' is not a regular file (image files only)", image);
	if (strchr(image, ','))
		fail(EXIT_ERROR, "'%s': an image path may not contain ','", image);
	if (st.st_size < 4096)
		fail(EXIT_ERROR, "'%s' is smaller than one 4 KiB block", image);
	return st.st_size;
}

static int qlfs_tool_run(void)
{
	int status;

	if (QLFS_TOOL_FSCK)
		status = qlfs_fsck_main(tool_argc, tool_argv, image);
	else
		status = qlfs_mkfs_main(tool_argc, tool_argv, image);
	arch_poweroff(status);
	return 0;
}
late_initcall(qlfs_tool_run);

int main(int argc, char **argv)
{
	char spec[4200];
	u64 size;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(USAGE, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf(TOOL " %s", qlfs_version_string);
			return 0;
		}
	}
	build_argv(argc, argv);
	size = check_image();
	if (snprintf(spec, sizeof(spec), "%s%s", image,
		     QLFS_TOOL_FSCK && !repairs(argc, argv) ? ",ro" : "") >=
	    (int)sizeof(spec))
		fail(EXIT_ERROR, "%s", "image path too long");
	if (hostdisk_add_option(spec))
		fail(EXIT_ERROR, "%s", "cannot attach the image");
	/* a byte per 128 of the image: fsck takes ~24 bytes a block */
	qlfs_tool_boot(size, BASE_MEM, 128, MAX_MEM, TOOL_LOGLEVEL);
}
