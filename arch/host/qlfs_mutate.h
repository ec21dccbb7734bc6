/*
 * arch/host/qlfs_mutate.h - the qlfs image mutator: hostile images made
 * from a valid one (docs/qlfs-fuzz.md).
 *
 * Layer: arch/host (plain C on an image in host memory; no kernel calls).
 * Used by: arch/host/qlfs_fuzz_test.c (suite qlfs_fuzz), the libFuzzer
 * target arch/host/tools/qlfs_fuzz_main.c.
 * Provides: qm_index() (find the blocks of a valid image by kind),
 * qm_apply() (run a mutation program on an image), qm_random_program().
 *
 * A mutation program is a byte string read 8 bytes at a time; each
 * record is one edit (struct qm_op): bit flips, a zeroed or swapped block,
 * a field of a superblock, checkpoint, SIT, NAT, summary, inode, node or
 * directory block set to a value chosen to break a rule (out of range,
 * pointing at metadata, at itself, huge sizes, bad name lengths, looped
 * node chains). A record's flags say whether the edited block is sealed
 * again (its checksum recomputed: the edit passes the first check) or
 * left with its old checksum. The same bytes always give the same image
 * from the same base, so a program replays its mutant; libFuzzer mutates
 * programs, and qm_random_program() draws them from a seed.
 *
 * Invariants:
 *  QZ1: qm_apply() writes only inside the image it is given, whatever
 *       the program (every index taken modulo the list it picks from).
 *  QZ2: the index (struct qm_index) is built from the base image only;
 *       a mutant is the base plus the program's edits.
 *
 * Locking: none (the caller owns the image).
 */
#ifndef ARCH_HOST_QLFS_MUTATE_H
#define ARCH_HOST_QLFS_MUTATE_H

#include <stddef.h>
#include <stdint.h>
#include "../../fs/qlfs/qlfs.h"

/* Kinds of block in a valid image (the lists the ops pick from). */
enum qm_kind {
	QM_SB,	    /* superblock copies */
	QM_CP,	    /* checkpoint headers and footers */
	QM_ORPHAN,  /* orphan blocks of a pack */
	QM_CPSUM,   /* the current segments' summaries in a pack */
	QM_SIT,	    /* SIT blocks (either copy) */
	QM_NAT,	    /* NAT blocks (either copy) */
	QM_SSA,	    /* summary blocks of full segments */
	QM_INODE,   /* inode blocks */
	QM_DNODE,   /* direct node blocks */
	QM_INDNODE, /* indirect node blocks */
	QM_DENT,    /* directory entry blocks */
	QM_DATA,    /* file data (no checksum) */
	QM_NR_KINDS,
};

/* The op codes (struct qm_op.code % QM_NR_OPS). */
enum qm_opcode {
	QM_OP_FLIP,   /* flip bits of any used block */
	QM_OP_ZERO,   /* zero a used block */
	QM_OP_SWAP,   /* swap two used blocks */
	QM_OP_WORD,   /* a 32-bit word of a metadata block := value */
	QM_OP_SB,     /* a superblock field, both copies */
	QM_OP_CP,     /* a checkpoint field, header and footer */
	QM_OP_SIT,    /* a SIT entry */
	QM_OP_NAT,    /* a NAT entry: address, ino, version */
	QM_OP_SUM,    /* a summary entry (SSA or pack) */
	QM_OP_INODE,  /* an inode field: size, blocks, depth, links, ... */
	QM_OP_NODE,   /* a node pointer or footer: loops, chains, offsets */
	QM_OP_DENT,   /* a dentry: name length, bitmap, ino, type, hash */
	QM_OP_ORPHAN, /* an orphan entry or count */
	QM_NR_OPS,
};

#define QM_OP_BYTES	   8
#define QM_FLAG_NOSEAL	   0x01 /* leave the old checksum */
#define QM_MAX_PROGRAM_OPS 64

/* One record of a program (8 bytes, read as they lie). */
struct qm_op {
	uint8_t code;  /* enum qm_opcode, modulo QM_NR_OPS */
	uint8_t flags; /* QM_FLAG_* */
	uint16_t blk;  /* which block of the op's list */
	uint16_t off;  /* which field, entry or bit */
	uint16_t val;  /* which value */
} __attribute__((packed));

/* The blocks of a valid image, by kind. */
struct qm_index {
	struct qlfs_layout l;
	uint64_t nr_blocks;
	uint64_t cp_ver; /* the newest checkpoint's version */
	uint32_t *list[QM_NR_KINDS];
	uint32_t nr[QM_NR_KINDS];
};

/* Index @img (@nr_blocks blocks, a valid qlfs). 0, or -EINVAL when its
 * superblock is not sound, -ENOMEM. */
int qm_index(struct qm_index *x, const uint8_t *img, uint64_t nr_blocks);
void qm_index_free(struct qm_index *x);

/* Apply the program @prog (@len bytes; a partial last record is ignored)
 * to @img, which holds the base @x was built from. Writes a short
 * description of what was done to @desc (@size bytes, may be NULL).
 * Returns the number of edits made. QZ1. */
int qm_apply(const struct qm_index *x, uint8_t *img, const uint8_t *prog, size_t len,
	     char *desc, size_t size);

/* A random program of 1..@max_ops records into @prog (room for
 * @max_ops * QM_OP_BYTES), from *@rng: @opcode < 0 any op, else mostly
 * that one. Returns its length in bytes. */
size_t qm_random_program(uint64_t *rng, int opcode, unsigned int max_ops, uint8_t *prog);

extern const char *const qm_op_names[QM_NR_OPS];

#endif
