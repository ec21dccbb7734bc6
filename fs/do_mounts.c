/*
 * fs/do_mounts.c - the root file system at boot (Linux's init/do_mounts.c).
 *
 * Layer: fs. Used by: start_kernel() (kernel/main.c), once, after every
 * initcall ran: disks are probed, file systems registered, devtmpfs is on
 * the boot ramfs's /dev.
 * Provides: prepare_namespace().
 *
 * What it does, as Linux's prepare_namespace()/mount_root() does: mount the
 * root disk on /root of the boot ramfs, make it everyone's root and working
 * directory (Linux moves it onto "/" and chroots; Quire has one fs_struct
 * and sets it), then give the new root a /dev with devtmpfs on it and a
 * /mnt. The boot ramfs stays underneath, unreachable, as Linux's rootfs.
 *
 * The kernel command line chooses (Linux's names):
 *   root=auto (or no root=)  the first disk, in registration order, that
 *        mounts as qlfs; test disks (disk_is_test_disk()) are never taken.
 *        A disk with no qlfs on it is passed over silently (MS_SILENT); a
 *        qlfs that refuses to mount says why, and the next disk is tried.
 *   root=vdb   that disk; if it does not mount, the boot says why and stays
 *        on ramfs (Linux panics; a shell on ramfs lets the user look).
 *   root=ramfs (or none)  stay on the boot ramfs.
 *   ro         mount the root read-only (rw is the default here).
 *
 * Left out: root=/dev/..., PARTUUID=, rootfstype= (qlfs is the only disk
 * file system), rootwait, initrd.
 */
#include <quire/syscalls.h>
#include <quire/mount.h>
#include <quire/namei.h>
#include <quire/blkdev.h>
#include <quire/kernel.h>
#include <quire/printk.h>
#include <quire/string.h>
#include <quire/errno.h>

#define ROOT_FSTYPE "qlfs"

#define ROOT_CANDIDATES 16

struct root_pick {
	unsigned long flags;
	char name[DISK_NAME_LEN];
	int nr; /* candidates found */
	char cand[ROOT_CANDIDATES][DISK_NAME_LEN];
};

/* Note each disk that is not a test disk (disk_iterate() holds a
 * spinlock: the mounts are tried after it). */
static int note_root_candidate(struct gendisk *disk, void *arg)
{
	struct root_pick *pick = arg;

	if (!disk_is_test_disk(disk) && pick->nr < ROOT_CANDIDATES)
		strscpy_len(pick->cand[pick->nr++], disk->disk_name, DISK_NAME_LEN);
	return 0;
}

/* Try each candidate in turn; the first that mounts is the root. */
static bool try_root_disks(struct root_pick *pick)
{
	for (int i = 0; i < pick->nr; i++) {
		if (!ksys_mount(pick->cand[i], "/root", ROOT_FSTYPE,
				pick->flags | MS_SILENT, NULL)) {
			strscpy_len(pick->name, pick->cand[i], sizeof(pick->name));
			return true;
		}
	}
	return false;
}

/* The new root's /dev and /mnt. A read-only root without them keeps
 * going: only /dev is missing then, and the message says so. */
static void populate_root(void)
{
	int err = ksys_mkdir("/dev", 0755);

	if (err && err != -EEXIST)
		pr_warn("VFS: no /dev on the root file system (%s)\n", errname(err));
	else if ((err = ksys_mount("devtmpfs", "/dev", "devtmpfs", 0, NULL)))
		pr_warn("VFS: cannot mount devtmpfs on /dev: %s\n", errname(err));
	err = ksys_mkdir("/mnt", 0755);
	if (err && err != -EEXIST)
		pr_warn("VFS: no /mnt on the root file system (%s)\n", errname(err));
}

void prepare_namespace(void)
{
	static struct root_pick pick; /* once, at boot */
	char root[DISK_NAME_LEN + 8] = "auto";
	struct path path;
	int err;

	pick.flags = cmdline_has("ro") ? MS_RDONLY : 0;
	cmdline_get("root", root, sizeof(root));
	if (!strcmp(root, "ramfs") || !strcmp(root, "none"))
		return;
	err = ksys_mkdir("/root", 0700);
	if (err && err != -EEXIST) {
		pr_err("VFS: cannot make /root: %s; the root stays on ramfs\n",
		       errname(err));
		return;
	}
	if (!strcmp(root, "auto")) {
		disk_iterate(note_root_candidate, &pick);
		if (!try_root_disks(&pick)) {
			pr_info("VFS: no disk holds a qlfs; the root stays on ramfs\n");
			ksys_rmdir("/root");
			return;
		}
	} else {
		err = ksys_mount(root, "/root", ROOT_FSTYPE, pick.flags, NULL);
		if (err) {
			pr_err("VFS: cannot mount root=%s as %s: %s; the root stays on ramfs\n",
			       root, ROOT_FSTYPE, errname(err));
			ksys_rmdir("/root");
			return;
		}
		strscpy_len(pick.name, root, sizeof(pick.name));
	}
	err = kern_path("/root", LOOKUP_FOLLOW, &path);
	if (err) { /* nothing else runs yet: cannot happen */
		pr_err("VFS: /root vanished: %s\n", errname(err));
		return;
	}
	set_fs_root(&path);
	set_fs_pwd(&path);
	path_put(&path);
	populate_root();
	pr_info("VFS: mounted root (%s on %s%s)\n", ROOT_FSTYPE, pick.name,
		pick.flags & MS_RDONLY ? ", read-only" : "");
}
