/*
 * arch/x86_64/include/asm/fw_cfg.h - read a named file from QEMU's fw_cfg.
 *
 * Layer: arch/x86_64. Used by: the direct (PVH) boot path for the command
 * line, and the UEFI loader (arch/x86_64/boot/efi/), which compiles the same
 * arch/x86_64/fw_cfg.c. Freestanding: no libc, no kernel services.
 *
 * Locking: none. fw_cfg has one selector shared by the whole machine; callers
 * run single-threaded at boot (before secondary CPUs start, or under UEFI
 * boot services at TPL_APPLICATION).
 */
#ifndef ASM_FW_CFG_H
#define ASM_FW_CFG_H

#include <quire/types.h>

#define FW_CFG_PORT_SEL		0x510	/* 16-bit selector (write) */
#define FW_CFG_PORT_DATA	0x511	/* 8-bit data (read), auto-increments */

#define FW_CFG_SIGNATURE	0x0000	/* "QEMU" */
#define FW_CFG_ID		0x0001	/* feature bits, little endian */
#define FW_CFG_FILE_DIR		0x0019	/* file directory */

#define FW_CFG_MAX_FILE_PATH	56	/* name field of a directory entry */

/*
 * One entry of the file directory. All fields are big endian on the wire;
 * the directory itself starts with a big-endian u32 count.
 */
struct fw_cfg_file {
	u32 size;			/* bytes of the file */
	u16 select;			/* selector key to read it */
	u16 reserved;
	char name[FW_CFG_MAX_FILE_PATH];	/* NUL terminated, e.g. "opt/x" */
};

/*
 * fw_cfg_present - true if the fw_cfg signature reads "QEMU".
 * Context: boot, single-threaded.
 */
bool fw_cfg_present(void);

/*
 * fw_cfg_read_file - copy the fw_cfg file @name into @buf.
 * Copies at most @size bytes (the file is truncated to fit; no NUL is
 * added). Returns the number of bytes copied, -ENODEV if there is no fw_cfg
 * device, -ENOENT if no file has that name, -EINVAL on a bad argument.
 * Context: boot, single-threaded (see the locking note above).
 */
int fw_cfg_read_file(const char *name, void *buf, u32 size);

#endif
