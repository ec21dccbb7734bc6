/*
 * arch/host/qlfs_fuzz_test.c - KTAP suite `qlfs_fuzz` (on request): qlfs
 * against thousands of hostile images made by the mutator
 * (qlfs_mutate.h) from one valid base image, each run through the runner
 * (qlfs_fuzz.h: QF1..QF5), and the images kept in tests/images/ that
 * once made it fail (docs/qlfs-fuzz.md).
 *
 * Layer: test (arch/host: the runner makes host disks). Used by:
 * tests/run's qlfs-fuzz jobs (`test --seed S qlfs_fuzz` under ASan+UBSan).
 * Provides: nothing (cases only).
 *
 * Kernel command line (quire-host's key=value arguments):
 *   qlfs_fuzz.count=N   mutants in all (default 1300), shared by the
 *                       mutant cases
 *   qlfs_fuzz.only=I    run only mutant I of the case(s) named
 *   qlfs_fuzz.save=DIR  where a failing mutant is saved (default
 *                       build/qlfs-fuzz); qlfs_fuzz.keep=1 saves every
 *                       mutant run (with only=, to take one out)
 *   qlfs_fuzz.images=DIR the saved images to replay (tests/run unpacks
 *                       every tests/images/NAME.img.gz there)
 *   qlfs_fuzz.dump=FILE with only=: the image as fsck -y gets it (after
 *                       the mount's writes), to replay a repair alone
 * Mutant I of case C with seed S is the same program on the same base
 * whatever else runs, so the printed command replays it alone. Before
 * each mutant the case prints "# mutant C I" (a crash's last lines name
 * it).
 *
 * Locking: none (cases run one at a time).
 */
#include <quire/ktest.h>
#include <quire/kernel.h>
#include <quire/errno.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/console.h>
#include <quire/slab.h>
#include "host.h"
#include "qlfs_fuzz.h"
#include "qlfs_mutate.h"
#include "../../fs/qlfs/qlfs.h"

#define DEFAULT_COUNT	1300
#define NR_MUTANT_CASES (QM_NR_OPS + 1) /* one per op, and a mix */
#define DESC_BYTES	512

/* libc, through qlfs_fuzz_hostio.c's neighbours */
int qfz_list_images(const char *dir, char names[][128], int max);

static struct {
	u8 *img;
	u64 size;
	struct qm_index x;
	bool ready;
	int err;
} base;

static u64 param(const char *key, u64 def)
{
	char buf[32];
	unsigned long long v;

	if (!cmdline_get(key, buf, sizeof(buf)) || kstrtoull(buf, 0, &v))
		return def;
	return v;
}

static const char *param_str(const char *key, char *buf, size_t size, const char *def)
{
	return cmdline_get(key, buf, size) ?: def;
}

static void need_base(struct ktest *t)
{
	if (!base.ready && !base.err) {
		base.err = qfz_make_base(&base.img, &base.size);
		if (!base.err)
			base.err = qm_index(&base.x, base.img, base.size / QLFS_BLKSIZE);
		base.ready = !base.err;
	}
	if (!base.ready)
		ktest_fail(t, __FILE__, __LINE__, "cannot make the base image: %d",
			   base.err);
	KTEST_ASSERT_TRUE(t, base.ready);
}

static const char *variant(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return "asan";
#elif defined(__SANITIZE_THREAD__)
	return "tsan";
#else
	return "plain";
#endif
}

static void report_failure(struct ktest *t, const char *cname, u64 i, const u8 *img,
			   const char *desc, const struct qfz_report *r)
{
	char dir[128], path[200];

	scnprintf(path, sizeof(path), "%s/%s-seed%llu-%llu.img",
		  param_str("qlfs_fuzz.save", dir, sizeof(dir), "build/qlfs-fuzz"), cname,
		  (unsigned long long)ktest_seed(), (unsigned long long)i);
	ktest_fail(t, __FILE__, __LINE__, "mutant %llu: %s", (unsigned long long)i,
		   r->why);
	cprintf("#   edits: %s\n", desc);
	cprintf("#   fsck -n %d, mount %d, fsck -n after %d, -y %d, -n after -y %d\n",
		r->fsck_before, r->mount, r->fsck_after, r->fsck_repair, r->fsck_second);
	if (qfz_save_image(path, img, base.size))
		cprintf("#   could not save it to %s (make the directory)\n", path);
	else
		cprintf("#   saved: %s (gzip -9 it into tests/images/)\n", path);
	cprintf("#   replay: build/host/%s/quire-host%s qlfs_fuzz.only=%llu --exec 'test --seed %llu qlfs_fuzz.%s'\n",
		variant(), host_cfg.deterministic ? " --deterministic" : "",
		(unsigned long long)i, (unsigned long long)ktest_seed(), t->name);
}

#define MAX_REASONS 12

/*
 * What -y left: "uncorrectable" when fsck said why it would not repair
 * (fsck_uncorrectable(): a declared outcome, counted per reason), else
 * "unrepaired": a repair that fell short without saying so, counted per
 * invariant left broken (a gap of the repair, to close).
 */
struct tally {
	u32 run, mounted, clean, repaired, uncorrectable, unrepaired, failed;
	u32 left[QLFS_NR_INVARIANTS + 1]; /* undeclared: QLn left; [0]: status 8 */
	const char *reason[MAX_REASONS];
	u32 nr_reason[MAX_REASONS];
};

static void count(struct tally *s, const struct qfz_report *r)
{
	bool left = r->fsck_repair == 4 || r->fsck_repair == 8;
	int k;

	s->run++;
	s->mounted += r->mount == 0;
	s->clean += r->fsck_before == 0;
	s->repaired += r->fsck_repair == 1;
	s->failed += r->failed;
	if (left && r->uncorrectable) {
		s->uncorrectable++;
		for (k = 0; k < MAX_REASONS - 1 && s->reason[k] &&
			    strcmp(s->reason[k], r->uncorrectable);
		     k++)
			;
		s->reason[k] = s->reason[k] ?: r->uncorrectable; /* last: the rest */
		s->nr_reason[k]++;
		return;
	}
	s->unrepaired += left;
	for (int n = 0; n <= QLFS_NR_INVARIANTS; n++)
		s->left[n] += left && (r->left_broken & (1u << n));
}

/* "uncorrectable (declared by -y): no valid checkpoint pack 3, ..." and
 * "left broken by -y: QL3 2, QL6 1" */
static void print_left(const struct tally *s)
{
	if (s->uncorrectable) {
		cprintf("#   uncorrectable (declared by -y):");
		for (int k = 0; k < MAX_REASONS && s->reason[k]; k++)
			cprintf("%s %s %u", k ? "," : "", s->reason[k], s->nr_reason[k]);
		cprintf("\n");
	}
	if (!s->unrepaired)
		return;
	cprintf("#   left broken by -y (not declared):");
	if (s->left[0])
		cprintf(" could-not-check %u", s->left[0]);
	for (int n = 1; n <= QLFS_NR_INVARIANTS; n++)
		if (s->left[n])
			cprintf(" QL%d %u", n, s->left[n]);
	cprintf("\n");
}

/* Mutant @i of case @c (op @c, or any op for the mix): its program. */
static size_t program(int c, u64 i, u8 *prog)
{
	u64 rng = ktest_seed() * 0x9e3779b97f4a7c15ULL ^ ((u64)c << 40) ^ i;

	return qm_random_program(&rng, c < QM_NR_OPS ? c : -1, 4, prog);
}

static void run_mutants(struct ktest *t, int c, const char *cname)
{
	u64 total = param("qlfs_fuzz.count", DEFAULT_COUNT);
	u64 per = total / NR_MUTANT_CASES ?: 1, only = param("qlfs_fuzz.only", ~0ULL);
	u8 prog[4 * QM_OP_BYTES];
	char *desc = kmalloc(DESC_BYTES, GFP_KERNEL);
	struct tally s = {0};
	struct qfz_opts o = {.repair = true};
	char dump[128];
	u8 *img;

	need_base(t);
	o.dump = cmdline_get("qlfs_fuzz.dump", dump, sizeof(dump));
	img = qfz_host_alloc(base.size);
	KTEST_ASSERT_TRUE(t, img && desc);
	for (u64 i = only == ~0ULL ? 0 : only; i < (only == ~0ULL ? per : only + 1);
	     i++) {
		size_t len = program(c, i, prog);
		struct qfz_report r;

		memcpy(img, base.img, base.size);
		qm_apply(&base.x, img, prog, len, desc, DESC_BYTES);
		cprintf("# mutant %s %llu\n", cname, (unsigned long long)i);
		if (param("qlfs_fuzz.keep", 0))
			report_failure(
				t, cname, i, img, desc,
				&(struct qfz_report){.why = "kept (qlfs_fuzz.keep=1)"});
		KTEST_ASSERT_EQ(t, qfz_run_image(img, base.size, &o, &r), 0);
		count(&s, &r);
		if (r.failed)
			report_failure(t, cname, i, img, desc, &r);
		else if (r.fsck_repair == 4 || r.fsck_repair == 8)
			cprintf("#   mutant %llu: -y %d, %s (%s)\n",
				(unsigned long long)i, r.fsck_repair,
				r.uncorrectable ?: "not declared", desc);
	}
	cprintf("# %s: %u mutants, %u mounted, %u clean to fsck, %u repaired, %u uncorrectable, %u left unrepaired by -y, %u failed\n",
		cname, s.run, s.mounted, s.clean, s.repaired, s.uncorrectable,
		s.unrepaired, s.failed);
	print_left(&s);
	qfz_host_free(img);
	kfree(desc);
}

/* The oracle's own checks: the base is clean, mounts, rolls forward. */
static void qlfs_fuzz_base_image_is_clean_and_survives_the_runner(struct ktest *t)
{
	struct qfz_opts o = {.repair = true};
	struct qfz_report r;

	need_base(t);
	KTEST_ASSERT_EQ(t, qfz_run_image(base.img, base.size, &o, &r), 0);
	KTEST_EXPECT_EQ(t, r.fsck_before, 0);
	KTEST_EXPECT_EQ(t, r.mount, 0);
	KTEST_EXPECT_EQ(t, r.fsck_after, 0);
	KTEST_EXPECT_FALSE(t, r.failed);
	KTEST_EXPECT_EQ(t, r.walked, 39u); /* every name made, the orphan's gone */
	KTEST_EXPECT_GE(t, r.writes_ok, 10u);
	for (int k = 0; k < QM_NR_KINDS; k++)
		if (k != QM_SSA) /* may have none: every segment current */
			KTEST_EXPECT_GT(t, base.x.nr[k], 0u);
	if (r.failed)
		ktest_fail(t, __FILE__, __LINE__, "%s", r.why);
}

/* Negative control: a "kernel" that damages a clean image at umount (the
 * checkpoint headers zeroed on the disk) is caught by QF3. */
static void qlfs_fuzz_negative_control_damage_at_umount_is_caught(struct ktest *t)
{
	struct qfz_opts o = {.sabotage = true};
	struct qfz_report r;

	need_base(t);
	KTEST_ASSERT_EQ(t, qfz_run_image(base.img, base.size, &o, &r), 0);
	KTEST_EXPECT_TRUE(t, r.failed);
	KTEST_EXPECT_EQ(t, strncmp(r.why, "QF3", 3), 0);
}

/* The mutator writes only inside the image whatever the program (QZ1):
 * random bytes as programs, on a copy with a guard zone around it. */
static void qlfs_fuzz_mutator_stays_inside_the_image(struct ktest *t)
{
	const u64 guard = 2 * QLFS_BLKSIZE;
	u8 *mem, prog[QM_MAX_PROGRAM_OPS * QM_OP_BYTES];
	u64 rng = ktest_seed();

	need_base(t);
	mem = qfz_host_alloc(base.size + 2 * guard);
	KTEST_ASSERT_TRUE(t, mem);
	memset(mem, 0x5c, base.size + 2 * guard);
	for (int round = 0; round < 200; round++) {
		for (size_t k = 0; k < sizeof(prog); k += 8) {
			u64 v = rng =
				rng * 6364136223846793005ULL + 1442695040888963407ULL;

			memcpy(prog + k, &v, 8);
		}
		memcpy(mem + guard, base.img, base.size);
		qm_apply(&base.x, mem + guard, prog, sizeof(prog), NULL, 0);
	}
	for (u64 k = 0; k < guard; k++) {
		if (mem[k] != 0x5c || mem[guard + base.size + k] != 0x5c) {
			ktest_fail(t, __FILE__, __LINE__,
				   "byte %lld outside the image written",
				   (long long)(k < guard && mem[k] != 0x5c ?
						       k - guard :
						       base.size + k));
			break;
		}
	}
	qfz_host_free(mem);
}

/* Slot 0 (".") of each directory block of the base edited by @edit and
 * the block sealed (unless @bad_csum): fsck -y must leave an image fsck -n
 * finds clean (and QF6: that mounts and works). */
static void repair_each_dot_block(struct ktest *t,
				  void (*edit)(struct qlfs_dir_entry *de), bool bad_csum)
{
	struct qfz_opts o = {.repair = true};
	u32 bad = 0, tried = 0;
	u8 *img;

	need_base(t);
	img = qfz_host_alloc(base.size);
	KTEST_ASSERT_TRUE(t, img);
	for (u32 i = 0; i < base.x.nr[QM_DENT]; i++) {
		u32 addr = base.x.list[QM_DENT][i];
		struct qlfs_dentry_block *db = (void *)(img + (u64)addr * QLFS_BLKSIZE);
		struct qfz_report r;

		memcpy(img, base.img, base.size);
		if (!qlfs_test_bit(db->dentry_bitmap, 0))
			continue;
		edit(&db->dentry[0]);
		if (!bad_csum)
			qlfs_block_seal(db, addr);
		KTEST_ASSERT_EQ(t, qfz_run_image(img, base.size, &o, &r), 0);
		if (r.fsck_before == 0)
			continue; /* a block no directory holds (written after the checkpoint) */
		tried++;
		if (r.failed || r.fsck_repair > 1 || r.fsck_second != 0) {
			char dir[128], path[200];

			ktest_fail(t, __FILE__, __LINE__,
				   "block %u: fsck -n %d, -y %d, -n after -y %d%s%s",
				   addr, r.fsck_before, r.fsck_repair, r.fsck_second,
				   r.failed ? ": " : "", r.failed ? r.why : "");
			scnprintf(path, sizeof(path), "%s/%s-block%u.img",
				  param_str("qlfs_fuzz.save", dir, sizeof(dir),
					    "build/qlfs-fuzz"),
				  t->name, addr);
			if (!qfz_save_image(path, img, base.size))
				cprintf("#   saved: %s\n", path);
			bad++;
		}
	}
	KTEST_EXPECT_GT(t, tried, 3u);
	KTEST_EXPECT_EQ(t, bad, 0u);
	qfz_host_free(img);
}

static void repair_each_dot(struct ktest *t, void (*edit)(struct qlfs_dir_entry *de))
{
	repair_each_dot_block(t, edit, false);
}

static void flip_hash(struct qlfs_dir_entry *de)
{
	de->hash_code ^= cpu_to_le32(1u << 19);
}

static void zero_name_len(struct qlfs_dir_entry *de)
{
	de->name_len = 0;
}

static void dot_names_root(struct qlfs_dir_entry *de)
{
	de->ino = cpu_to_le32(le32_to_cpu(de->ino) == QLFS_ROOT_INO ? QLFS_ROOT_INO + 1 :
								      QLFS_ROOT_INO);
}

/* The first block of each directory fails its checksum (a name byte of
 * "." changed, the block not sealed again): fsck -y drops the block, as
 * F2FS's fsck drops a bad dentry block, makes a new block 0 with "." and
 * "..", and links what the lost block named into /lost+found. Before, the
 * block became a hole with nowhere to put "." back: QL11 left (the
 * mutants_dent and mutants_flip cases counted it). */
static void unseal_dot(struct qlfs_dir_entry *de)
{
	de->hash_code ^= cpu_to_le32(1);
}

static void qlfs_fuzz_fsck_y_remakes_a_lost_first_directory_block(struct ktest *t)
{
	repair_each_dot_block(t, unseal_dot, true);
}

/* fsck -y makes a "." that names another inode name its own directory. */
static void qlfs_fuzz_fsck_y_points_dot_at_its_directory(struct ktest *t)
{
	repair_each_dot(t, dot_names_root);
}

/* fsck -y repairs a dentry whose stored hash is wrong but whose name
 * belongs where it is (the hash picks its bucket): it rewrites the hash
 * rather than dropping the entry. */
static void qlfs_fuzz_fsck_y_repairs_a_wrong_dentry_hash(struct ktest *t)
{
	repair_each_dot(t, flip_hash);
}

/* fsck -y puts back a "." it had to remove (a name length of 0): a
 * directory without "." is found again by the next check. */
static void qlfs_fuzz_fsck_y_restores_a_removed_dot(struct ktest *t)
{
	repair_each_dot(t, zero_name_len);
}

#define MUTANT_CASE(op)                                     \
	static void qlfs_fuzz_mutants_##op(struct ktest *t) \
	{                                                   \
		run_mutants(t, QM_OP_##op, "mutants_" #op); \
	}
#define QM_OP_mix    QM_NR_OPS
#define QM_OP_flip   QM_OP_FLIP
#define QM_OP_zero   QM_OP_ZERO
#define QM_OP_swap   QM_OP_SWAP
#define QM_OP_word   QM_OP_WORD
#define QM_OP_sb     QM_OP_SB
#define QM_OP_cp     QM_OP_CP
#define QM_OP_sit    QM_OP_SIT
#define QM_OP_nat    QM_OP_NAT
#define QM_OP_sum    QM_OP_SUM
#define QM_OP_inode  QM_OP_INODE
#define QM_OP_node   QM_OP_NODE
#define QM_OP_dent   QM_OP_DENT
#define QM_OP_orphan QM_OP_ORPHAN
MUTANT_CASE(flip)
MUTANT_CASE(zero)
MUTANT_CASE(swap)
MUTANT_CASE(word)
MUTANT_CASE(sb)
MUTANT_CASE(cp)
MUTANT_CASE(sit)
MUTANT_CASE(nat)
MUTANT_CASE(sum)
MUTANT_CASE(inode)
MUTANT_CASE(node)
MUTANT_CASE(dent)
MUTANT_CASE(orphan)
MUTANT_CASE(mix)

/* NAME-norepair.img: an image fsck -y cannot repair whole (both packs
 * broken...), kept for QF1..QF6 only. */
static bool norepair(const char *name)
{
	size_t n = strlen(name), k = strlen("-norepair.img");

	return n >= k && !strcmp(name + n - k, "-norepair.img");
}

/*
 * An image whose first superblock copy and first checkpoint pack give too
 * few main or overprovisioned segments for six logs and cleaning: mkfs
 * before format 1.1 made such small images (every image kept here is one).
 * Mount refuses them (the geometry rule, qlfs_geometry_unworkable()); fsck
 * -n used to find them clean and must now report the rule (QL8), and -y
 * sets mkfs's overprovision aside, so the repaired image mounts (QF6).
 */
static bool made_before_the_geometry_rule(const u8 *img, u64 size)
{
	const struct qlfs_super_block *sb = (const void *)img;
	const struct qlfs_checkpoint *cp;
	u64 cp_at;

	if (size < 2 * QLFS_BLKSIZE)
		return false;
	cp_at = (u64)le32_to_cpu(sb->cp_blkaddr) * QLFS_BLKSIZE;
	if (cp_at + QLFS_BLKSIZE > size)
		return false;
	cp = (const void *)(img + cp_at);
	/* pack 0's header as made (a forged image may have zeroed it) */
	return qlfs_block_csum_ok(cp, le32_to_cpu(sb->cp_blkaddr)) &&
	       !qlfs_geometry_workable(le32_to_cpu(sb->segment_count_main),
				       le32_to_cpu(cp->overprov_segment_count));
}

/* Every image of qlfs_fuzz.images=DIR (tests/images/, unpacked by
 * tests/run): the images that once made the runner fail. Each must pass
 * QF1..QF5 and be repaired whole by fsck -y (tests/images/README.md). */
static void qlfs_fuzz_saved_images(struct ktest *t)
{
	static char names[64][128];
	struct qfz_opts o = {.repair = true};
	char dir[128], path[260];
	int n;

	if (!cmdline_get("qlfs_fuzz.images", dir, sizeof(dir)))
		ktest_skip(t, "no qlfs_fuzz.images=DIR given (tests/run gives it)");
	n = qfz_list_images(dir, names, 64);
	if (n < 0)
		ktest_fail(t, __FILE__, __LINE__, "cannot list %s: %d", dir, n);
	KTEST_ASSERT_OP(t, n, >=, 0);
	for (int i = 0; i < n; i++) {
		struct qfz_report r;
		u8 *img;
		u64 size;

		scnprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		cprintf("# image %s\n", names[i]);
		if (qfz_load_image(path, &img, &size)) {
			ktest_fail(t, __FILE__, __LINE__, "cannot read %s", path);
			continue;
		}
		if (qfz_run_image(img, size, &o, &r))
			ktest_fail(t, __FILE__, __LINE__, "%s: the runner could not run",
				   path);
		else if (!norepair(names[i]) &&
			 made_before_the_geometry_rule(img, size) &&
			 !(r.broken_before & (1u << 8)))
			ktest_fail(
				t, __FILE__, __LINE__,
				"%s: made before the geometry rule, and fsck -n does not report it (QL8)",
				names[i]);
		else if (r.failed)
			ktest_fail(t, __FILE__, __LINE__, "%s: %s", names[i], r.why);
		else if (!norepair(names[i]) && r.fsck_before &&
			 (r.fsck_repair > 1 || r.fsck_second))
			ktest_fail(
				t, __FILE__, __LINE__,
				"%s: fsck -y %d, then fsck -n %d (a kept image must be repaired)",
				names[i], r.fsck_repair, r.fsck_second);
		qfz_host_free(img);
	}
	cprintf("# %d saved images replayed\n", n);
}

static const struct ktest_case qlfs_fuzz_cases[] = {
	KTEST_CASE(qlfs_fuzz_base_image_is_clean_and_survives_the_runner),
	KTEST_CASE(qlfs_fuzz_negative_control_damage_at_umount_is_caught),
	KTEST_CASE(qlfs_fuzz_mutator_stays_inside_the_image),
	KTEST_CASE(qlfs_fuzz_saved_images),
	KTEST_CASE(qlfs_fuzz_fsck_y_repairs_a_wrong_dentry_hash),
	KTEST_CASE(qlfs_fuzz_fsck_y_restores_a_removed_dot),
	KTEST_CASE(qlfs_fuzz_fsck_y_points_dot_at_its_directory),
	KTEST_CASE(qlfs_fuzz_fsck_y_remakes_a_lost_first_directory_block),
	KTEST_CASE(qlfs_fuzz_mutants_flip),
	KTEST_CASE(qlfs_fuzz_mutants_zero),
	KTEST_CASE(qlfs_fuzz_mutants_swap),
	KTEST_CASE(qlfs_fuzz_mutants_word),
	KTEST_CASE(qlfs_fuzz_mutants_sb),
	KTEST_CASE(qlfs_fuzz_mutants_cp),
	KTEST_CASE(qlfs_fuzz_mutants_sit),
	KTEST_CASE(qlfs_fuzz_mutants_nat),
	KTEST_CASE(qlfs_fuzz_mutants_sum),
	KTEST_CASE(qlfs_fuzz_mutants_inode),
	KTEST_CASE(qlfs_fuzz_mutants_node),
	KTEST_CASE(qlfs_fuzz_mutants_dent),
	KTEST_CASE(qlfs_fuzz_mutants_orphan),
	KTEST_CASE(qlfs_fuzz_mutants_mix),
	KTEST_END,
};

static const struct ktest_suite qlfs_fuzz_suite = {
	.name = "qlfs_fuzz",
	.cases = qlfs_fuzz_cases,
	.on_request = true,
};
KTEST_SUITE(qlfs_fuzz_suite);
