/*
 * fs/qlfs/tool.c - the command lines of mkfs.qlfs and fsck.qlfs, shared by
 * the shell commands (registered here) and the host programs
 * (arch/host/tools/qlfs_tool.c).
 *
 * Layer: fs. Provides: qlfs_mkfs_main(), qlfs_fsck_main(), their usage
 * texts, the shell commands `mkfs.qlfs` and `fsck.qlfs`.
 *
 * Every argument is validated here (the shell's and the host's users type
 * them): unknown options, a missing or extra device, bad sizes and labels
 * are usage errors with one line saying what was wrong.
 */
#include <quire/qlfs.h>
#include <quire/errno.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/shell.h>
#include "qlfs.h"

const char qlfs_version_string[] =
	"(Quire) " QLFS_TOOLS_VERSION ", qlfs format " STRINGIFY(
		QLFS_MAJOR_VERSION) "." STRINGIFY(QLFS_MINOR_VERSION) "\n";

const char qlfs_mkfs_usage[] =
	"usage: mkfs.qlfs [-L label] [-s segment-size] [-f] [-q] [-T seconds] DEVICE\n"
	"  -L label         volume label, at most 63 bytes\n"
	"  -s size          segment size: 64K, 128K, 256K, 512K, 1M or 2M (default:\n"
	"                   the largest, up to 2M, that leaves 120 main segments)\n"
	"  -f               overwrite a file system or partition table already there\n"
	"  -q               quiet: no geometry, no progress\n"
	"  -T seconds       creation time (seconds since 1970; default 0 in Quire)\n"
	"  --help, --version\n"
	"Exit status: 0 made, 1 failed (usage included).\n";

const char qlfs_fsck_usage[] =
	"usage: fsck.qlfs [-n | -y] [-f] [-v] DEVICE\n"
	"  -n               check only, change nothing (the default)\n"
	"  -y, -p, -a       repair what can be repaired safely, as a new checkpoint\n"
	"  -f               check even if clean (always done)\n"
	"  -v               print what was checked\n"
	"  --help, --version\n"
	"Exit status: 0 clean, 1 errors corrected, 4 errors left uncorrected,\n"
	"8 operational error, 16 usage.\n"
	"Each problem is one line naming its invariant (QLn, docs/qlfs-format.md).\n";

/* "64K", "2M", "65536": bytes; -EINVAL otherwise. */
static int parse_seg_size(const char *s, u32 *log_bps)
{
	unsigned long long v;
	char num[24];
	size_t n = strlen(s);
	unsigned int shift = 0;

	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n + 1);
	if (num[n - 1] == 'K' || num[n - 1] == 'k')
		shift = 10;
	else if (num[n - 1] == 'M' || num[n - 1] == 'm')
		shift = 20;
	if (shift)
		num[n - 1] = 0;
	if (kstrtoull(num, 10, &v) || v == 0 || v > (1ULL << 40))
		return -EINVAL;
	v <<= shift;
	for (u32 l = QLFS_MIN_LOG_BLOCKS_PER_SEG; l <= QLFS_MAX_LOG_BLOCKS_PER_SEG; l++)
		if (v == (u64)QLFS_BLKSIZE << l) {
			*log_bps = l;
			return 0;
		}
	return -EINVAL;
}

/* The value of option @argv[*i] ("-L x" or "-Lx"), or NULL. */
static const char *opt_value(int argc, char **argv, int *i)
{
	if (argv[*i][2])
		return argv[*i] + 2;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int usage_error(const char *tool, int status, const char *fmt, const char *arg)
{
	char msg[160];

	scnprintf(msg, sizeof(msg), fmt, arg);
	shell_error(tool, "%s (%s --help for usage)", msg, tool);
	return status;
}

static int mkfs_parse(int argc, char **argv, struct qlfs_mkfs_opts *o, const char **dev)
{
	*dev = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;

		if (a[0] != '-' || !a[1]) {
			if (*dev)
				return usage_error("mkfs.qlfs", MKFS_ERROR,
						   "more than one device: '%s'", a);
			*dev = a;
			continue;
		}
		switch (a[1]) {
		case 'f':
		case 'q':
			if (a[2])
				return usage_error("mkfs.qlfs", MKFS_ERROR,
						   "unknown option '%s'", a);
			if (a[1] == 'f')
				o->force = true;
			else
				o->verbose = false;
			break;
		case 'L':
			v = opt_value(argc, argv, &i);
			if (!v)
				return usage_error("mkfs.qlfs", MKFS_ERROR,
						   "%s needs a label", a);
			if (strlen(v) > 63)
				return usage_error("mkfs.qlfs", MKFS_ERROR,
						   "label '%s' longer than 63 bytes", v);
			o->label = v;
			break;
		case 's':
			v = opt_value(argc, argv, &i);
			if (!v || parse_seg_size(v, &o->log_bps))
				return usage_error(
					"mkfs.qlfs", MKFS_ERROR,
					"segment size '%s' is not one of 64K 128K 256K 512K 1M 2M",
					v ? v : "");
			break;
		case 'T': {
			unsigned long long t;

			v = opt_value(argc, argv, &i);
			if (!v || kstrtoull(v, 10, &t))
				return usage_error("mkfs.qlfs", MKFS_ERROR,
						   "-T '%s' is not a number of seconds",
						   v ? v : "");
			o->time = t;
			break;
		}
		default:
			return usage_error("mkfs.qlfs", MKFS_ERROR, "unknown option '%s'",
					   a);
		}
	}
	if (!*dev)
		return usage_error("mkfs.qlfs", MKFS_ERROR, "%sno device given", "");
	return MKFS_OK;
}

static bool wants_help(int argc, char **argv, const char *usage, const char *tool)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			cprintf("%s", usage);
			return true;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			cprintf("%s %s", tool, qlfs_version_string);
			return true;
		}
	}
	return false;
}

static int open_dev(const char *tool, struct qlfs_dev *d, const char *dev,
		    const char *display, bool write)
{
	int err = qlfs_dev_open(d, dev, write);

	if (err)
		shell_error(
			tool, "%s: %s", display,
			err == -ENODEV ? "no such disk" :
			err == -EROFS  ? "read-only" :
					 "unusable (logical blocks over 4 KiB, or empty)");
	return err;
}

int qlfs_mkfs_main(int argc, char **argv, const char *display)
{
	struct qlfs_mkfs_opts o = {.verbose = true}; /* log_bps 0: mkfs picks */
	struct qlfs_dev d;
	const char *dev;
	int status;

	if (wants_help(argc, argv, qlfs_mkfs_usage, "mkfs.qlfs"))
		return MKFS_OK;
	status = mkfs_parse(argc, argv, &o, &dev);
	if (status)
		return status;
	o.name = display;
	if (open_dev("mkfs.qlfs", &d, dev, display ? display : dev, true))
		return MKFS_ERROR;
	status = qlfs_mkfs(&d, &o);
	qlfs_dev_close(&d);
	if (status)
		return MKFS_ERROR;
	if (o.verbose)
		cprintf("mkfs.qlfs: %s: done\n", display ? display : dev);
	return MKFS_OK;
}

static void print_broken(char *buf, size_t size, u32 broken)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned int q = 1; q <= QLFS_NR_INVARIANTS; q++)
		if (broken & (1u << q))
			n += scnprintf(buf + n, size - n, "%sQL%u", n ? " " : "", q);
}

int qlfs_fsck_main(int argc, char **argv, const char *display)
{
	struct qlfs_fsck_opts o = {0};
	struct qlfs_fsck_result r;
	struct qlfs_dev d;
	const char *dev = NULL, *name;
	bool verbose = false, check_only = false;
	char list[96];
	int status;

	if (wants_help(argc, argv, qlfs_fsck_usage, "fsck.qlfs"))
		return FSCK_OK;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-f"))
			continue;
		if (!strcmp(a, "-v")) {
			verbose = true;
		} else if (!strcmp(a, "-n")) {
			check_only = true;
		} else if (!strcmp(a, "-y") || !strcmp(a, "-p") || !strcmp(a, "-a")) {
			o.repair = true;
		} else if (a[0] == '-' && a[1]) {
			return usage_error("fsck.qlfs", FSCK_USAGE, "unknown option '%s'",
					   a);
		} else if (dev) {
			return usage_error("fsck.qlfs", FSCK_USAGE,
					   "more than one device: '%s'", a);
		} else {
			dev = a;
		}
	}
	if (!dev)
		return usage_error("fsck.qlfs", FSCK_USAGE, "%sno device given", "");
	if (check_only && o.repair)
		return usage_error("fsck.qlfs", FSCK_USAGE,
				   "%s-n and -y exclude each other", "");
	name = display ? display : dev;
	if (open_dev("fsck.qlfs", &d, dev, name, o.repair))
		return FSCK_ERROR;
	status = qlfs_fsck(&d, &o, &r);
	qlfs_dev_close(&d);
	print_broken(list, sizeof(list), r.broken);
	if (status == FSCK_OK) {
		cprintf("fsck.qlfs: %s: clean, %u inodes, %u nodes, %llu blocks in use (checkpoint %llu, pack %d, superblock %d)\n",
			name, r.inodes, r.nodes, (unsigned long long)r.valid_blocks,
			(unsigned long long)r.cp_ver, r.cp_used, r.sb_used);
	} else if (status == FSCK_CORRECTED) {
		cprintf("fsck.qlfs: %s: %u problem%s (%s) corrected: clean now (%u blocks written)\n",
			name, r.problems, r.problems == 1 ? "" : "s", list, r.repaired);
	} else if (status == FSCK_UNCORRECTED && o.repair && r.repaired) {
		print_broken(list, sizeof(list), r.left_broken);
		shell_error(
			"fsck.qlfs",
			"%s: repaired what it could (%u blocks written); %u problem%s (%s) left, not corrected",
			name, r.repaired, r.left, r.left == 1 ? "" : "s", list);
	} else if (status == FSCK_UNCORRECTED) {
		shell_error("fsck.qlfs", "%s: %u problem%s (%s), not corrected", name,
			    r.problems, r.problems == 1 ? "" : "s", list);
	} else {
		shell_error("fsck.qlfs", "%s: could not be checked%s%s", name,
			    r.problems ? ": " : "", list);
	}
	if (verbose)
		cprintf("fsck.qlfs: %s: checked superblock %d, checkpoint pack %d (version %llu), %u inodes\n",
			name, r.sb_used, r.cp_used, (unsigned long long)r.cp_ver,
			r.inodes);
	return status;
}

static int status_to_errno(int status)
{
	return status == 0 || status == FSCK_CORRECTED ? 0 :
	       status == FSCK_UNCORRECTED	       ? -EUCLEAN :
	       status == FSCK_USAGE		       ? -EINVAL :
							 -EIO;
}

static int cmd_mkfs_qlfs(int argc, char **argv)
{
	return qlfs_mkfs_main(argc, argv, NULL) ? -EIO : 0;
}
SHELL_COMMAND(mkfs_qlfs, "mkfs.qlfs", "mkfs.qlfs [-L label] [-s size] [-f] DISK",
	      "make a qlfs file system on DISK", cmd_mkfs_qlfs);

static int cmd_fsck_qlfs(int argc, char **argv)
{
	return status_to_errno(qlfs_fsck_main(argc, argv, NULL));
}
SHELL_COMMAND(fsck_qlfs, "fsck.qlfs", "fsck.qlfs [-n|-y] [-v] DISK",
	      "check the qlfs on DISK (invariants QL1..QL14)", cmd_fsck_qlfs);
