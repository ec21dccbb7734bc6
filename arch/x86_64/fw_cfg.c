/*
 * arch/x86_64/fw_cfg.c - QEMU firmware configuration (fw_cfg) reader.
 *
 * Layer: arch/x86_64, boot time. Used by: the direct boot path (kernel
 * command line from "opt/quire/cmdline") and the UEFI loader, which compiles
 * this same file into BOOTX64.EFI (one implementation, two users).
 * Provides: fw_cfg_present(), fw_cfg_read_file().
 *
 * Protocol (QEMU docs/specs/fw_cfg.rst), legacy I/O interface only:
 *   write a 16-bit key to port 0x510 to select an item (and rewind it),
 *   then read its bytes one at a time from port 0x511.
 *   Key 0x0000 reads "QEMU" when the device exists (else 0xff bytes).
 *   Key 0x0019 is the file directory: a big-endian u32 count followed by
 *   that many 64-byte struct fw_cfg_file entries (size, select: big endian).
 * The DMA interface is faster but is not needed for a few hundred bytes.
 *
 * Freestanding on purpose: it includes only <quire/types.h>,
 * <quire/errno.h> and its own header, and defines its own port I/O, so that
 * it builds both in the kernel and in the gnu-efi loader.
 *
 * Locking: none; see asm/fw_cfg.h (single-threaded boot only).
 */
#include <quire/types.h>
#include <quire/errno.h>
#include <asm/fw_cfg.h>
#include <asm/io.h>

/* A directory larger than this is treated as corrupt (QEMU has ~40). */
#define FW_CFG_MAX_FILES	4096

static void fw_cfg_select(u16 key)
{
	outw(FW_CFG_PORT_SEL, key);
}

static void fw_cfg_read(void *buf, u32 len)
{
	u8 *p = buf;

	while (len--)
		*p++ = inb(FW_CFG_PORT_DATA);
}

static u32 be32_to_host(u32 v)
{
	return __builtin_bswap32(v);
}

static u16 be16_to_host(u16 v)
{
	return __builtin_bswap16(v);
}

bool fw_cfg_present(void)
{
	char sig[4];

	fw_cfg_select(FW_CFG_SIGNATURE);
	fw_cfg_read(sig, sizeof(sig));
	return sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U';
}

/* Compares @name with a directory entry's name, which may lack a NUL. */
static bool fw_cfg_name_matches(const char *name, const char *entry)
{
	u32 i;

	for (i = 0; i < FW_CFG_MAX_FILE_PATH; i++) {
		if (name[i] != entry[i])
			return false;
		if (!name[i])
			return true;
	}
	return false;	/* @name is longer than any entry can be */
}

/*
 * Scans the directory for @name. Returns 0 and fills @found, or -ENOENT.
 * The directory is re-selected by the caller's next fw_cfg_select().
 */
static int fw_cfg_find_file(const char *name, struct fw_cfg_file *found)
{
	struct fw_cfg_file f;
	u32 count, i;

	fw_cfg_select(FW_CFG_FILE_DIR);
	fw_cfg_read(&count, sizeof(count));
	count = be32_to_host(count);
	if (count > FW_CFG_MAX_FILES)
		return -ENOENT;
	for (i = 0; i < count; i++) {
		fw_cfg_read(&f, sizeof(f));
		if (fw_cfg_name_matches(name, f.name)) {
			found->size = be32_to_host(f.size);
			found->select = be16_to_host(f.select);
			return 0;
		}
	}
	return -ENOENT;
}

int fw_cfg_read_file(const char *name, void *buf, u32 size)
{
	struct fw_cfg_file f;
	u32 len;
	int err;

	if (!name || !name[0] || (!buf && size))
		return -EINVAL;
	if (!fw_cfg_present())
		return -ENODEV;
	err = fw_cfg_find_file(name, &f);
	if (err)
		return err;
	len = f.size < size ? f.size : size;
	if (len > 0x7fffffffu)
		len = 0x7fffffffu;	/* keep the int return non-negative */
	fw_cfg_select(f.select);
	fw_cfg_read(buf, len);
	return (int)len;
}
