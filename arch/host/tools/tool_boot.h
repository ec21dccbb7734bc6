/*
 * arch/host/tools/tool_boot.h - how a qlfs host tool boots the core
 * around its image: one CPU, one node, memory for the core plus a share of
 * the image (capped), the seeded clock, no shell, the kernel log quiet.
 *
 * Layer: arch/host (tools). Used by: arch/host/tools/qlfs_tool.c
 * (mkfs.qlfs, fsck.qlfs), qlfs_fuse_kern.c (qlfs-fuse).
 * Provides: qlfs_tool_boot().
 */
#ifndef ARCH_HOST_TOOLS_TOOL_BOOT_H
#define ARCH_HOST_TOOLS_TOOL_BOOT_H

#include "../host.h"

extern int console_loglevel; /* kernel/printk.c */

/* Boot with @base bytes of RAM plus one byte per @per of the image's
 * @image_bytes, at most @max, the console at @loglevel. The image is
 * attached already (hostdisk_add_option()). Does not return. */
static inline void __noreturn qlfs_tool_boot(unsigned long long image_bytes,
					     unsigned long long base, unsigned int per,
					     unsigned long long max, int loglevel)
{
	host_cfg.cpus = 1;
	host_cfg.nodes = 1;
	host_cfg.mem_bytes = base + image_bytes / per;
	if (host_cfg.mem_bytes > max)
		host_cfg.mem_bytes = max;
	host_cfg.seed = 1;
	host_cfg.interactive = false;
	console_loglevel = loglevel;
	host_boot(NULL);
}

#endif
