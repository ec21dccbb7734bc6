/*
 * arch/host/tools/dump_qlfs.h - the seam between dump.qlfs's main()
 * (dump_qlfs_main.c: libc) and its dump (dump_qlfs.c: the core). Plain C
 * types only, so neither side sees the other's headers.
 */
#ifndef ARCH_HOST_TOOLS_DUMP_QLFS_H
#define ARCH_HOST_TOOLS_DUMP_QLFS_H

enum dump_what {
	DUMP_SB,
	DUMP_CP,
	DUMP_NAT,
	DUMP_SIT,
	DUMP_INODE,
	DUMP_PATH,
	DUMP_SEGMAP,
	DUMP_SEGTABLE,
};

extern const char *dump_image; /* as given */
extern int dump_what;	       /* enum dump_what */
extern const char *dump_arg;   /* NID, SEG, INO or PATH; NULL for the others */

/* Write @n bytes of @line to stderr. Context: interrupts masked. */
void dump_host_write_err(const char *line, int n);

#endif
