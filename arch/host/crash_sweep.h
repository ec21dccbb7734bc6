/*
 * arch/host/crash_sweep.h - qlfs power cut at every write: workloads in the
 * CrashMonkey/ACE style, the model of what each may leave, and the sweep
 * that cuts the host disk's log (emudisk.h) after every block write.
 *
 * Layer: arch/host (a test engine over the core: VFS calls, qlfs's mkfs
 * and fsck, the host disk's record-and-materialise). Used by: the shell
 * command `crashsweep` and the on-request suite `crash_sweep`
 * (arch/host/crash_sweep_test.c). docs/qlfs-crash.md says what it checks.
 *
 * Files: crash_sweep_model.c (the small file system's states, the
 * operations applied to the model and to the real mount, the checker of a
 * recovered mount); crash_sweep.c (workloads, cut points, images, the
 * command).
 */
#ifndef ARCH_HOST_CRASH_SWEEP_H
#define ARCH_HOST_CRASH_SWEEP_H

#include <quire/types.h>

#define CSW_MAX_OPS  3
#define CSW_MAX_OBJS 12
#define CSW_MAX_LEN  (72 * 1024) /* bytes: the largest file a workload makes */
#define CSW_MSG	     256

/* The names a workload may touch; every name a recovered tree shows must
 * be one of them. */
enum csw_path {
	CSW_A,	  /* /A     file */
	CSW_B,	  /* /B     file */
	CSW_D,	  /* /D     directory */
	CSW_DC,	  /* /D/C   file */
	CSW_E,	  /* /E     empty directory */
	CSW_S,	  /* /S     symlink to B */
	CSW_DN,	  /* /D/n   create */
	CSW_DL,	  /* /D/l   link of /A */
	CSW_EM,	  /* /E/m   /D/C renamed */
	CSW_DSUB, /* /D/sub mkdir */
	CSW_DS,	  /* /D/s   symlink */
	CSW_NR_PATHS,
};

enum csw_type {
	CSW_NONE,
	CSW_REG,
	CSW_DIR,
	CSW_LNK
};

/* What follows an operation: nothing, or one fsync-family call on the
 * operation's target (a file, or the directory whose entries it changed),
 * or sync(). */
enum csw_persist {
	CSW_P_NONE,
	CSW_P_FSYNC,
	CSW_P_FDATASYNC,
	CSW_P_SYNC,
	CSW_NR_PERSIST
};

enum csw_opcode {
	CSW_OP_CREATE,	  /* creat /D/n */
	CSW_OP_APPEND,	  /* 5000 bytes at the end of /A */
	CSW_OP_OVERWRITE, /* 6000 bytes at 2048 of /D/C */
	CSW_OP_HOLE,	  /* 4096 bytes at 64 KiB of /B (a hole before) */
	CSW_OP_TRUNCATE,  /* /A to 3000 bytes */
	CSW_OP_LINK,	  /* /A as /D/l too */
	CSW_OP_UNLINK,	  /* /B */
	CSW_OP_RENAME,	  /* /D/C to /E/m */
	CSW_OP_REPLACE,	  /* /B over /A */
	CSW_OP_MKDIR,	  /* /D/sub */
	CSW_OP_RMDIR,	  /* /E */
	CSW_OP_SYMLINK,	  /* /D/s -> A */
	CSW_NR_OPCODES,
};

struct csw_obj {
	u8 type;	/* enum csw_type */
	u32 len;	/* CSW_REG: bytes in data */
	u8 *data;	/* CSW_REG: CSW_MAX_LEN bytes of buffer */
	char target[8]; /* CSW_LNK */
};

/* One state of the model: which object each name holds, and the objects. */
struct csw_state {
	s8 at[CSW_NR_PATHS]; /* object index, -1: no such name */
	u8 nobj;
	struct csw_obj obj[CSW_MAX_OBJS];
};

struct csw_workload {
	u8 nops;
	u8 op[CSW_MAX_OPS];	 /* enum csw_opcode */
	u8 persist[CSW_MAX_OPS]; /* enum csw_persist, after op i */
};

/* What was acknowledged, as state indices (state i: after op i; 0 the
 * populated file system): the checker accepts for a name, or an object's
 * bytes, only states from its promise on. */
struct csw_promises {
	int all;		   /* sync(): everything */
	int entry[CSW_NR_PATHS];   /* fsync of a file or a directory */
	int content[CSW_MAX_OBJS]; /* fsync or fdatasync of a file */
};

/* The model's states of one workload and the real inode numbers. */
struct csw_model {
	struct csw_state s[CSW_MAX_OPS + 1];
	u64 ino[CSW_MAX_OBJS]; /* 0: not known yet */
};

extern const char *const csw_path_name[CSW_NR_PATHS];
extern const char *const csw_op_name[CSW_NR_OPCODES];
extern const char *const csw_persist_name[CSW_NR_PERSIST];

/* crash_sweep_model.c */
void csw_state_base(struct csw_state *s);
void csw_state_copy(struct csw_state *dst, const struct csw_state *src);
/* Apply @op (its bytes generation @gen) to @s: 0, or -EINVAL when the
 * operation cannot apply there (the workload is not run). */
int csw_op_model(struct csw_state *s, int op, u32 gen);
/* The same on the mount at @mnt: 0 or -errno. */
int csw_op_live(const char *mnt, int op, u32 gen);
/* The name an operation's fsync-family call opens. */
int csw_op_target(int op);
/* Make @s's tree under @mnt (the populated file system). */
int csw_populate(const char *mnt, const struct csw_state *s);
/* Inode numbers of @s's objects under @mnt into @m->ino (known ones kept). */
int csw_learn_inos(const char *mnt, const struct csw_state *s, struct csw_model *m);
/* Record the promise of @persist after op @i (state @i). */
void csw_promise(struct csw_promises *p, const struct csw_state *s, int i, int op,
		 int persist);
/*
 * Check the tree under @mnt against states 0..@hi of @m under promises @p:
 * every name holds what one allowed state had there, every object's bytes
 * are one allowed state's, an object never has a number of names no
 * allowed state gave it (a renamed file under exactly one name), and no
 * unknown name or inode. 0, or -EUCLEAN with the first problem in @msg.
 */
int csw_check_tree(const char *mnt, const struct csw_model *m, int hi,
		   const struct csw_promises *p, char *msg);
/* The bytes generation @gen writes at byte @off. */
u8 csw_byte(u32 gen, u32 off);

/* crash_sweep.c: a sweep's settings and counts. */
struct csw_sweep {
	u64 seed;
	const char *mount_opts; /* the check mounts' options (controls) */
	bool tear_data;		/* control: tear an fsynced file's block */
	bool quiet;		/* print only failures and the summary */
	u64 want_log;		/* replay: the failing run's log fingerprint */
	u32 max_failure_lines;
	u64 workloads, skipped, cut_points, images, failures;
	char first_failure[CSW_MSG * 2];
};

int csw_workload_parse(const char *spec, struct csw_workload *w);
void csw_workload_name(const struct csw_workload *w, char *buf, size_t size);
/* Set up the populated image (once per sweep). 0 or -errno. */
int csw_begin(struct csw_sweep *sw);
void csw_end(struct csw_sweep *sw);
/*
 * Run workload @w on the populated image, then check the image a cut
 * after every block write may leave: @cut_n (0: every cut point) and
 * @kind (-1: every kind the sweep checks; with @sample, one drawn) and
 * @arg. 0 (checked; failures counted in @sw), 1 (the model refuses the
 * workload), or -errno (could not run it).
 */
int csw_run_workload(struct csw_sweep *sw, const struct csw_workload *w, u64 cut_n,
		     int kind, u64 arg, bool sample);
/* @count workloads drawn by @sw->seed (1 to 3 operations). */
int csw_run_sample(struct csw_sweep *sw, u64 images_wanted);
/* Every workload of 1 and 2 operations, and @three of 3 drawn by seed. */
int csw_run_all(struct csw_sweep *sw, u32 three);

/* Control: the populated tree changed by @mangle, checked against
 * workload @w's states 0..@hi, no promise. 0, -EUCLEAN (@msg says why)
 * or -errno. */
int csw_check_mangled(const struct csw_workload *w, int hi,
		      int (*mangle)(const char *mnt), char *msg);

#endif
