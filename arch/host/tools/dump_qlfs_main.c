/*
 * arch/host/tools/dump_qlfs_main.c - dump.qlfs's main(): the arguments and
 * the image file, checked before the core boots (libc's side; the dump
 * itself is dump_qlfs.c).
 *
 * Layer: arch/host (a host tool). Provides: main(), dump_host_write_err(),
 * dump_image/dump_what/dump_arg.
 *
 * main() answers --help and --version, checks the words (one line and exit
 * 1 when wrong), attaches IMAGE read-only as disk vda and boots the core on
 * one CPU, quiet, as mkfs.qlfs does (qlfs_tool.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../host.h"
#include "../blockdev.h"
#include <quire/qlfs.h>
#include "dump_qlfs.h"

#define TOOL	 "dump.qlfs"
#define BASE_MEM (256ULL << 20)
#define MAX_MEM	 (4ULL << 30)

extern int console_loglevel; /* kernel/printk.c */

const char *dump_image;
int dump_what;
const char *dump_arg;

static const char usage[] =
	"usage: " TOOL " IMAGE [WHAT]\n"
	"Print what is on the qlfs image IMAGE (read-only). WHAT is one of:\n"
	"  sb           the superblock in use (the default)\n"
	"  cp           the checkpoint in use: version, counts, the six logs\n"
	"  nat NID      a NAT entry: the node's inode and block address\n"
	"  sit SEG      a main-area segment: log type, valid blocks, its map\n"
	"  inode INO    an inode: mode, size, links, times, name, its block map\n"
	"  path PATH    the same for the file at PATH (from the root, symlinks not followed)\n"
	"  segmap       every main-area segment: log type and fill, and totals per log\n"
	"  segtable     the same, one line a segment, for tools (tools/qlfs-segmap plots it)\n"
	"  -h, --help   this text;  -V, --version  the version\n"
	"Exit status: 0 done, 1 an error (one line on stderr).\n";

static const struct {
	const char *name;
	int takes_arg;
} dumps[] = {
	[DUMP_SB] = {"sb", 0},	       [DUMP_CP] = {"cp", 0},
	[DUMP_NAT] = {"nat", 1},       [DUMP_SIT] = {"sit", 1},
	[DUMP_INODE] = {"inode", 1},   [DUMP_PATH] = {"path", 1},
	[DUMP_SEGMAP] = {"segmap", 0}, [DUMP_SEGTABLE] = {"segtable", 0},
};

void dump_host_write_err(const char *line, int n)
{
	(void)!write(2, line, n);
}

static void __attribute__((noreturn)) fail(const char *fmt, const char *a)
{
	fprintf(stderr, TOOL ": ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, "\n");
	exit(1);
}

static void check_args(int argc, char **argv)
{
	const char *what = argc > 2 ? argv[2] : "sb";
	int known = -1;

	if (argc < 2)
		fail("%s", "no image given (" TOOL " --help for usage)");
	dump_image = argv[1];
	for (unsigned int i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++)
		if (!strcmp(dumps[i].name, what))
			known = i;
	if (known < 0)
		fail("unknown dump '%s' (" TOOL " --help for usage)", what);
	if (dumps[known].takes_arg && argc != 4)
		fail("'%s' needs one argument (" TOOL " --help for usage)", what);
	if (!dumps[known].takes_arg && argc > 3)
		fail("'%s' takes no argument (" TOOL " --help for usage)", what);
	dump_what = known;
	dump_arg = dumps[known].takes_arg ? argv[3] : NULL;
}

static unsigned long long check_image(void)
{
	struct stat st;

	if (stat(dump_image, &st)) {
		fprintf(stderr, TOOL ": cannot open '%s': %s\n", dump_image,
			strerror(errno));
		exit(1);
	}
	if (!S_ISREG(st.st_mode))
		fail("'%s' is not a regular file (image files only)", dump_image);
	if (strchr(dump_image, ','))
		fail("'%s': an image path may not contain ','", dump_image);
	if (st.st_size < 4096)
		fail("'%s' is smaller than one 4 KiB block", dump_image);
	return st.st_size;
}

int main(int argc, char **argv)
{
	static char spec[4200];
	unsigned long long size;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf(TOOL " %s", qlfs_version_string);
			return 0;
		}
	}
	check_args(argc, argv);
	size = check_image();
	if (snprintf(spec, sizeof(spec), "%s,ro", dump_image) >= (int)sizeof(spec))
		fail("%s", "image path too long");
	if (hostdisk_add_option(spec))
		fail("%s", "cannot attach the image");
	host_cfg.cpus = 1;
	host_cfg.nodes = 1;
	host_cfg.mem_bytes = BASE_MEM + size / 64;
	if (host_cfg.mem_bytes > MAX_MEM)
		host_cfg.mem_bytes = MAX_MEM;
	host_cfg.seed = 1;
	host_cfg.interactive = false;
	console_loglevel = 2;
	host_boot(NULL);
}
