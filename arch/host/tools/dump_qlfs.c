/*
 * arch/host/tools/dump_qlfs.c - dump.qlfs: what is on a qlfs image, as text.
 *
 * Layer: arch/host (a host tool). Built by arch/host/build.mk as
 * build/host/VARIANT/dump.qlfs with quire-host's objects but main.o.
 * Provides: the late initcall that runs the dump (dump_run()); main() and
 * the checks before boot are in dump_qlfs_main.c (libc's headers and the
 * core's do not mix: their S_IF* and O_* clash).
 *
 *   dump.qlfs IMAGE [sb | cp | nat NID | sit SEG | inode INO | path PATH | segmap
 *                    | segtable]
 *
 * main() answers --help and --version, checks the arguments and the image
 * file (one line and exit 1 when wrong), attaches IMAGE read-only as disk
 * vda and boots the core quietly on one CPU, as mkfs.qlfs does
 * (qlfs_tool.c). dump_run() mounts vda read-only with qlfs's own mount
 * (superblock and checkpoint checks, the newer valid pack, NAT and SIT
 * with their journals: what the kernel would see), prints what was asked
 * from the mounted file system's tables, unmounts and exits. Nothing is
 * written: the disk is read-only below the file system too.
 *
 * Output goes to stdout, one error line to stderr. Exit status: 0 done,
 * 1 an error (bad arguments, no qlfs, a NID/SEG/INO out of range, a path
 * that does not exist).
 *
 * Locking: the mount is read-only and this is its only user; the SIT is
 * read under sit_lock as qlfs's own readers do.
 */
#include <quire/init.h>
#include <quire/kernel.h>
#include <quire/errno.h>
#include <quire/string.h>
#include <quire/printk.h>
#include <quire/syscalls.h>
#include <quire/namei.h>
#include <quire/mount.h>
#include <quire/dcache.h>
#include <quire/qlfs.h>
#include <arch/power.h>
#include <arch/irq.h>
#include "../../../fs/qlfs/qlfs_mount.h"
#include "../../../fs/qlfs/qlfs_data.h"
#include "dump_qlfs.h"

#define DUMP_ROOT "/dump"

/* One line on stderr (through main's half: no libc here). */
static int dump_err(const char *fmt, ...) __printf(1, 2);
static int dump_err(const char *fmt, ...)
{
	char line[512];
	unsigned long flags;
	va_list ap;
	int n;

	n = scnprintf(line, sizeof(line), "dump.qlfs: %s: ", dump_image);
	va_start(ap, fmt);
	n += vscnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	flags = arch_local_irq_save();
	dump_host_write_err(line, n);
	arch_local_irq_restore(flags);
	return 1;
}

/* ---- the dumps ---- */

static const char *const log_names[NR_CURSEG_TYPE] = {
	"hot data", "warm data", "cold data", "hot node", "warm node", "cold node",
};
static const char log_letter[NR_CURSEG_TYPE] = {'h', 'w', 'c', 'H', 'W', 'C'};

static int dump_sb(struct qlfs_sb_info *sbi)
{
	const struct qlfs_super_block *s = &sbi->raw_super;
	char label[65];

	memcpy(label, s->volume_name, 64);
	label[64] = 0;
	cprintf("magic                0x%08x\n", le32_to_cpu(s->magic));
	cprintf("version              %u.%u\n", le16_to_cpu(s->major_ver),
		le16_to_cpu(s->minor_ver));
	cprintf("label                \"%s\"\n", label);
	cprintf("block size           %u\n", 1u << le32_to_cpu(s->log_blocksize));
	cprintf("blocks per segment   %u\n", 1u << le32_to_cpu(s->log_blocks_per_seg));
	cprintf("block_count          %llu\n",
		(unsigned long long)le64_to_cpu(s->block_count));
	cprintf("segment_count        %u (ckpt %u, sit %u, nat %u, ssa %u, main %u)\n",
		le32_to_cpu(s->segment_count), le32_to_cpu(s->segment_count_ckpt),
		le32_to_cpu(s->segment_count_sit), le32_to_cpu(s->segment_count_nat),
		le32_to_cpu(s->segment_count_ssa), le32_to_cpu(s->segment_count_main));
	cprintf("cp_blkaddr           %u\n", le32_to_cpu(s->cp_blkaddr));
	cprintf("sit_blkaddr          %u (%u blocks a copy)\n",
		le32_to_cpu(s->sit_blkaddr), le32_to_cpu(s->sit_blocks));
	cprintf("nat_blkaddr          %u (%u blocks a copy)\n",
		le32_to_cpu(s->nat_blkaddr), le32_to_cpu(s->nat_blocks));
	cprintf("ssa_blkaddr          %u\n", le32_to_cpu(s->ssa_blkaddr));
	cprintf("main_blkaddr         %u\n", le32_to_cpu(s->main_blkaddr));
	cprintf("max_nid              %u\n", le32_to_cpu(s->max_nid));
	cprintf("root_ino             %u\n", le32_to_cpu(s->root_ino));
	cprintf("mkfs_time            %llu\n",
		(unsigned long long)le64_to_cpu(s->mkfs_time));
	cprintf("feature              0x%x\n", le32_to_cpu(s->feature));
	cprintf("checksum             0x%08x\n", le32_to_cpu(s->checksum));
	return 0;
}

static int dump_cp(struct qlfs_sb_info *sbi)
{
	const struct qlfs_checkpoint *cp = sbi->ckpt;
	u32 flags = le32_to_cpu(cp->ckpt_flags);

	cprintf("checkpoint_ver       %llu (pack %d)\n",
		(unsigned long long)le64_to_cpu(cp->checkpoint_ver), sbi->cur_cp_pack);
	cprintf("flags                0x%x%s%s\n", flags,
		flags & CP_UMOUNT_FLAG ? " umount" : "",
		flags & CP_ORPHAN_PRESENT_FLAG ? " orphans" : "");
	cprintf("user_block_count     %llu\n",
		(unsigned long long)le64_to_cpu(cp->user_block_count));
	cprintf("valid_block_count    %llu\n",
		(unsigned long long)le64_to_cpu(cp->valid_block_count));
	cprintf("valid_node_count     %u\n", le32_to_cpu(cp->valid_node_count));
	cprintf("valid_inode_count    %u\n", le32_to_cpu(cp->valid_inode_count));
	cprintf("free_segment_count   %u\n", le32_to_cpu(cp->free_segment_count));
	cprintf("rsvd/ovp segments    %u/%u\n", le32_to_cpu(cp->rsvd_segment_count),
		le32_to_cpu(cp->overprov_segment_count));
	cprintf("next_free_nid        %u\n", le32_to_cpu(cp->next_free_nid));
	cprintf("pack blocks          %u (summaries from %u)\n",
		le32_to_cpu(cp->cp_pack_total_block_count),
		le32_to_cpu(cp->cp_pack_start_sum));
	cprintf("elapsed_time         %llu s\n",
		(unsigned long long)le64_to_cpu(cp->elapsed_time));
	for (int t = 0; t < NR_CURSEG_TYPE; t++) {
		bool node = t >= NR_CURSEG_DATA_TYPE;
		int i = node ? t - NR_CURSEG_DATA_TYPE : t;

		cprintf("log %-9s        segment %u, next block %u\n", log_names[t],
			le32_to_cpu(node ? cp->cur_node_segno[i] : cp->cur_data_segno[i]),
			le16_to_cpu(node ? cp->cur_node_blkoff[i] :
					   cp->cur_data_blkoff[i]));
	}
	return 0;
}

static bool parse_u32(const char *s, u32 *v)
{
	unsigned long long x;

	if (!s || kstrtoull(s, 0, &x) || x > 0xffffffffULL)
		return false;
	*v = x;
	return true;
}

static int dump_nat(struct qlfs_sb_info *sbi)
{
	u32 nid, ino, blkaddr;
	u8 version;
	int err;

	if (!parse_u32(dump_arg, &nid) || nid >= sbi->l.max_nid)
		return dump_err("nat: NID '%s' is not a number below %u", dump_arg,
				sbi->l.max_nid);
	err = qlfs_get_nat_entry(sbi, nid, &ino, &blkaddr, &version);
	if (err)
		return dump_err("nat %u: %s", nid, errname(err));
	if (blkaddr == NULL_ADDR) {
		cprintf("nid %u: free\n", nid);
		return 0;
	}
	cprintf("nid %u: ino %u, block %u, version %u%s\n", nid, ino, blkaddr, version,
		ino == nid ? " (an inode)" : "");
	return 0;
}

static void print_map(const u8 *map, u32 bps)
{
	for (u32 b = 0; b < bps; b++) {
		cprintf("%c", qlfs_test_bit(map, b) ? '#' : '.');
		if (b % 64 == 63 || b == bps - 1)
			cprintf("\n");
	}
}

static int cur_log_of(struct qlfs_sb_info *sbi, u32 segno)
{
	for (int t = 0; t < NR_CURSEG_TYPE; t++)
		if (sbi->curseg[t].segno == segno)
			return t;
	return -1;
}

static int dump_sit(struct qlfs_sb_info *sbi)
{
	struct qlfs_seg_entry se;
	u32 segno;
	int cur;

	if (!parse_u32(dump_arg, &segno) || segno >= sbi->l.segs_main)
		return dump_err("sit: SEG '%s' is not a main-area segment (0..%u)",
				dump_arg, sbi->l.segs_main - 1);
	spin_lock(&sbi->sit_lock);
	se = sbi->sentries[segno];
	spin_unlock(&sbi->sit_lock);
	cur = cur_log_of(sbi, segno);
	cprintf("segment %u: blocks %u..%u, %s, %u of %u blocks valid, mtime %llu%s%s\n",
		segno, sbi->l.main_blkaddr + segno * sbi->l.bps,
		sbi->l.main_blkaddr + (segno + 1) * sbi->l.bps - 1,
		se.type < NR_CURSEG_TYPE ? log_names[se.type] : "bad type",
		se.valid_blocks, sbi->l.bps, (unsigned long long)se.mtime,
		cur >= 0 ? ", current of its log" : "",
		!se.valid_blocks && cur < 0 ? ", free" : "");
	print_map(se.valid_map, sbi->l.bps);
	return 0;
}

static const char *type_name(umode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "regular file";
	case S_IFDIR:
		return "directory";
	case S_IFLNK:
		return "symlink";
	}
	return "other";
}

/* File blocks [0, nr) as runs: "0-15 -> 4096-4111", "16-31 hole". */
static int print_block_map(struct inode *inode, u64 nr)
{
	u64 start = 0;
	u32 first = 0, prev = 0;

	for (u64 i = 0; i <= nr; i++) {
		u32 addr = NULL_ADDR;
		int err = 0;

		if (i < nr)
			err = qlfs_data_blkaddr_of(inode, i, &addr);
		if (err)
			return dump_err("block %llu of the file: %s",
					(unsigned long long)i, errname(err));
		if (i > start &&
		    (i == nr || (addr == NULL_ADDR) != (first == NULL_ADDR) ||
		     (addr != NULL_ADDR && addr != prev + 1))) {
			if (first == NULL_ADDR)
				cprintf("  %llu-%llu hole\n", (unsigned long long)start,
					(unsigned long long)i - 1);
			else
				cprintf("  %llu-%llu -> %u-%u\n",
					(unsigned long long)start,
					(unsigned long long)i - 1, first, prev);
			start = i;
		}
		if (i == start)
			first = addr;
		prev = addr;
	}
	return 0;
}

static int dump_one_inode(struct qlfs_sb_info *sbi, u32 ino)
{
	struct qlfs_inode *ri;
	struct folio *folio;
	struct inode *inode;
	char name[QLFS_NAME_LEN + 1];
	u32 namelen, node_addr, nino;
	u8 version;
	umode_t mode;
	u64 size;
	int err;

	err = qlfs_get_nat_entry(sbi, ino, &nino, &node_addr, &version);
	if (!err && (node_addr == NULL_ADDR || nino != ino))
		return dump_err("inode %u: not an inode in use", ino);
	inode = qlfs_iget(sbi->sb, ino);
	if (IS_ERR(inode))
		return dump_err("inode %u: %s", ino, errname(PTR_ERR(inode)));
	folio = qlfs_get_node_folio(sbi, ino);
	if (IS_ERR(folio)) {
		iput(inode);
		return dump_err("inode %u: %s", ino, errname(PTR_ERR(folio)));
	}
	ri = qlfs_node_addr(folio);
	mode = le16_to_cpu(ri->i_mode);
	size = le64_to_cpu(ri->i_size);
	namelen = min(le32_to_cpu(ri->i_namelen), (u32)QLFS_NAME_LEN);
	memcpy(name, ri->i_name, namelen);
	name[namelen] = 0;
	cprintf("inode %u: %s, mode 0%o, node block %u (version %u)\n", ino,
		type_name(mode), mode & S_IALLUGO, node_addr, version);
	cprintf("size %llu, links %u, blocks %llu%s\n", (unsigned long long)size,
		le32_to_cpu(ri->i_links), (unsigned long long)le64_to_cpu(ri->i_blocks),
		ri->i_inline ? ", inline" : "");
	cprintf("atime %llu.%09u, mtime %llu.%09u, ctime %llu.%09u\n",
		(unsigned long long)le64_to_cpu(ri->i_atime),
		le32_to_cpu(ri->i_atime_nsec),
		(unsigned long long)le64_to_cpu(ri->i_mtime),
		le32_to_cpu(ri->i_mtime_nsec),
		(unsigned long long)le64_to_cpu(ri->i_ctime),
		le32_to_cpu(ri->i_ctime_nsec));
	cprintf("parent %u, name \"%s\", generation %u\n", le32_to_cpu(ri->i_pino), name,
		le32_to_cpu(ri->i_generation));
	for (int i = 0; i < NIDS_PER_INODE; i++)
		if (ri->i_nid[i])
			cprintf("node nid[%d] %u\n", i, le32_to_cpu(ri->i_nid[i]));
	qlfs_put_node_folio(folio);
	err = 0;
	if (S_ISREG(mode) || S_ISDIR(mode)) {
		cprintf("block map (file block -> disk block):\n");
		err = print_block_map(inode,
				      DIV_ROUND_UP(i_size_read(inode), QLFS_BLKSIZE));
	}
	iput(inode);
	return err;
}

static int dump_inode(struct qlfs_sb_info *sbi)
{
	u32 ino;

	if (!parse_u32(dump_arg, &ino) || ino >= sbi->l.max_nid)
		return dump_err("inode: INO '%s' is not a number below %u", dump_arg,
				sbi->l.max_nid);
	return dump_one_inode(sbi, ino);
}

static int dump_path(struct qlfs_sb_info *sbi)
{
	static char full[PATH_MAX + 8];
	struct path path;
	u32 ino;
	int err;

	if (!dump_arg || dump_arg[0] != '/')
		return dump_err("path: '%s' does not start with /",
				dump_arg ? dump_arg : "");
	if (strlen(dump_arg) >= PATH_MAX)
		return dump_err("path: %s", "too long");
	scnprintf(full, sizeof(full), DUMP_ROOT "%s", dump_arg);
	err = kern_path(full, 0, &path);
	if (err)
		return dump_err("path %s: %s", dump_arg, errname(err));
	ino = d_inode(path.dentry)->i_ino;
	path_put(&path);
	return dump_one_inode(sbi, ino);
}

static int dump_segmap(struct qlfs_sb_info *sbi)
{
	u64 valid[NR_CURSEG_TYPE] = {0}, segs[NR_CURSEG_TYPE] = {0};
	u32 nfree = 0, nsegs = sbi->l.segs_main, bps = sbi->l.bps;

	cprintf("main area: %u segments of %u blocks from block %u\n", nsegs, bps,
		sbi->l.main_blkaddr);
	cprintf("one character a segment: '.' free; h w c (data), H W C (node): hot, warm,\n"
		"cold, 0-9 after it: tenths full (9: 90%% or more); '*' current of its log\n");
	for (u32 s = 0; s < nsegs; s++) {
		struct qlfs_seg_entry *se = &sbi->sentries[s];
		u16 v;
		u8 type;

		spin_lock(&sbi->sit_lock);
		v = se->valid_blocks;
		type = se->type;
		spin_unlock(&sbi->sit_lock);
		if (s % 16 == 0)
			cprintf("%6u ", s);
		if (!v && cur_log_of(sbi, s) < 0) {
			nfree++;
			cprintf(" . ");
		} else {
			if (type < NR_CURSEG_TYPE) {
				valid[type] += v;
				segs[type]++;
			}
			cprintf("%c%u%c", type < NR_CURSEG_TYPE ? log_letter[type] : '?',
				min((u32)v * 10 / bps, 9u),
				cur_log_of(sbi, s) >= 0 ? '*' : ' ');
		}
		if (s % 16 == 15 || s == nsegs - 1)
			cprintf("\n");
	}
	for (int t = 0; t < NR_CURSEG_TYPE; t++)
		cprintf("%-9s  %6llu segments, %8llu valid blocks\n", log_names[t],
			(unsigned long long)segs[t], (unsigned long long)valid[t]);
	cprintf("free       %6u segments\n", nfree);
	return 0;
}

/* Machine-readable: one line a segment (tools/qlfs-segmap plots it). */
static int dump_segtable(struct qlfs_sb_info *sbi)
{
	static const char *const short_names[NR_CURSEG_TYPE] = {
		"hot_data", "warm_data", "cold_data",
		"hot_node", "warm_node", "cold_node",
	};

	cprintf("# qlfs segtable: %u segments of %u blocks\n", sbi->l.segs_main,
		sbi->l.bps);
	cprintf("# segno log valid_blocks current\n");
	for (u32 s = 0; s < sbi->l.segs_main; s++) {
		int cur = cur_log_of(sbi, s);
		u16 v;
		u8 type;

		spin_lock(&sbi->sit_lock);
		v = sbi->sentries[s].valid_blocks;
		type = sbi->sentries[s].type;
		spin_unlock(&sbi->sit_lock);
		if (!v && cur < 0)
			cprintf("%u free 0 0\n", s);
		else
			cprintf("%u %s %u %d\n", s,
				type < NR_CURSEG_TYPE ? short_names[type] : "bad", v,
				cur >= 0);
	}
	return 0;
}

static int (*const dump_fns[])(struct qlfs_sb_info *sbi) = {
	[DUMP_SB] = dump_sb,	     [DUMP_CP] = dump_cp,
	[DUMP_NAT] = dump_nat,	     [DUMP_SIT] = dump_sit,
	[DUMP_INODE] = dump_inode,   [DUMP_PATH] = dump_path,
	[DUMP_SEGMAP] = dump_segmap, [DUMP_SEGTABLE] = dump_segtable,
};

static int dump_run(void)
{
	struct path path;
	int err, status = 1;

	err = ksys_mkdir(DUMP_ROOT, 0755);
	if (!err)
		err = ksys_mount("vda", DUMP_ROOT, "qlfs", MS_RDONLY, NULL);
	if (err) {
		dump_err(
			"cannot mount the image as qlfs: %s (fsck.qlfs -n IMAGE says why)",
			errname(err));
		arch_poweroff(1);
	}
	err = kern_path(DUMP_ROOT, LOOKUP_FOLLOW, &path);
	if (!err) {
		struct qlfs_sb_info *sbi = QLFS_SB(path.mnt->mnt_sb);

		status = dump_fns[dump_what](sbi);
		path_put(&path);
	}
	ksys_umount(DUMP_ROOT, 0);
	arch_poweroff(status);
	return 0;
}
late_initcall(dump_run);
