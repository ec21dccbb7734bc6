/*
 * include/quire/qlfs.h - qlfs's tools as the core provides them: mkfs and
 * fsck with their command-line contracts, for the shell commands
 * (fs/qlfs/tool.c) and the host programs mkfs.qlfs and fsck.qlfs
 * (arch/host/tools/qlfs_tool.c), which run the same code on an image file.
 */
#ifndef QUIRE_QLFS_H
#define QUIRE_QLFS_H

#define QLFS_TOOLS_VERSION "1.0" /* = the format version it writes */

/* Exit statuses (e2fsck's for fsck; mke2fs's for mkfs). */
#define FSCK_OK		 0
#define FSCK_CORRECTED	 1 /* -y: errors found, all corrected */
#define FSCK_UNCORRECTED 4
#define FSCK_ERROR	 8
#define FSCK_USAGE	 16
#define MKFS_OK		 0
#define MKFS_ERROR	 1 /* any failure, usage included (mke2fs) */

/* "(Quire) 1.0, qlfs format 1.0\n": what --version prints after the name */
extern const char qlfs_version_string[];
extern const char qlfs_mkfs_usage[];
extern const char qlfs_fsck_usage[];

/*
 * `mkfs.qlfs [-L label] [-s segment-size] [-f] [-q] [-T seconds] DISK` and
 * `fsck.qlfs [-n] [-f] [-v] DISK` on disk DISK ("vda"); @display names the
 * device in messages (an image path on the host; NULL: the disk's name).
 * Return the exit status above. Context: process, may sleep.
 */
int qlfs_mkfs_main(int argc, char **argv, const char *display);
int qlfs_fsck_main(int argc, char **argv, const char *display);

#endif
