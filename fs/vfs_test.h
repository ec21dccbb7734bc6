/*
 * fs/vfs_test.h - the vfs suites' fixture (fs/vfs_test.c): a fresh file
 * system on VT as the working directory for each case: ramfs (suites vfs,
 * vfs_race: vt_init), or qlfs freshly formatted on a test disk and
 * checked by fsck after the case (suite vfs_qlfs: vt_init_qlfs).
 */
#ifndef FS_VFS_TEST_H
#define FS_VFS_TEST_H

#include <quire/ktest.h>
#include <quire/syscalls.h>

#define VT "/vt"

#define KTEST_ASSERT_GE(t, a, b) KTEST_ASSERT_OP(t, a, >=, b)
#define KTEST_ASSERT_GT(t, a, b) KTEST_ASSERT_OP(t, a, >, b)

int vt_init(struct ktest *t);
int vt_init_qlfs(struct ktest *t);
void vt_exit(struct ktest *t);
/* Is the case running on qlfs (vt_init_qlfs)? */
bool vt_on_qlfs(void);
/* Is it running through the host's FUSE (suite vfs_fuse, the host program
 * arch/host/tools/vfs_fuse_test.c), where the host kernel answers some
 * calls itself? Never in the kernel's suites. */
bool vt_on_fuse(void);
/* ksys_open/ksys_close that vt_exit cleans up after a failed assertion. */
int vt_open(struct ktest *t, const char *path, int flags, umode_t mode);
void vt_close(struct ktest *t, int fd);
int vt_write_file(const char *path, const char *s);
ssize_t_k vt_read_file(const char *path, char *buf, size_t size);
bool vt_exists(const char *path);
int vt_check_tree(const char *path);

#endif
