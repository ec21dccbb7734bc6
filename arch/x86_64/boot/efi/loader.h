/*
 * arch/x86_64/boot/efi/loader.h - shared declarations of the UEFI loader.
 *
 * Layer: boot (a gnu-efi application, BOOTX64.EFI), not the kernel.
 * The handoff contract with the kernel is asm/boot_info.h.
 *
 * Split: main.c talks to the firmware (files, pages, ExitBootServices);
 * elf.c validates the kernel ELF and stages it; memmap.c turns the UEFI
 * memory map into boot_info.mem[]. elf.c and memmap.c do no firmware calls
 * of their own except through the few functions main.c passes them.
 *
 * Locking: none; UEFI applications run single-threaded.
 */
#ifndef QUIRE_EFI_LOADER_H
#define QUIRE_EFI_LOADER_H

#include <efi.h>
#include <efilib.h>
#include <quire/types.h>
#include <asm/boot_info.h>

/*
 * Memory types the loader allocates with. UEFI reserves 0x80000000 and up
 * for the OS loader, so the final memory map says by itself which ranges
 * hold the kernel image and the boot_info, and memmap.c needs no list.
 */
#define QUIRE_EFI_KERNEL_MEM	((EFI_MEMORY_TYPE)0x80000051)
#define QUIRE_EFI_BOOTDATA_MEM	((EFI_MEMORY_TYPE)0x80000052)

#define QUIRE_EFI_MAX_PHDRS	64
#define QUIRE_EFI_MAX_KERNEL	(256ULL << 20)	/* bytes of kernel.elf */

/*
 * One run of whole pages the kernel image needs, from its PT_LOADs.
 * The image is built in @staging (pages anywhere) and copied to @start
 * only after ExitBootServices, because firmware boot-services memory may
 * still sit where the kernel wants to live (OVMF's DXE volume covers
 * 9..22 MiB) and is only free once boot services are gone.
 */
struct load_extent {
	u64 start;	/* page aligned physical address */
	u64 pages;
	u64 staging;	/* physical address of the staged copy */
};

struct kernel_image {
	const u8 *file;			/* kernel.elf contents */
	u64 size;			/* bytes in file */
	u64 entry;			/* physical entry address */
	u32 nr_extents;
	struct load_extent extent[QUIRE_EFI_MAX_PHDRS];
};

/* elf.c */
EFI_STATUS elf_check(struct kernel_image *img, u64 loader_base,
		     u64 loader_size);
void elf_stage_segments(const struct kernel_image *img);

/* memmap.c */
#define MEMMAP_SCRATCH(descs)	((descs) + 2 * QUIRE_EFI_MAX_PHDRS)
u32 efi_map_to_boot_mem(struct boot_info *bi, struct boot_mem_entry *scratch,
			const u8 *map, UINTN map_size, UINTN desc_size,
			const struct kernel_image *img);
bool efi_type_free_after_exit(u32 type);

/* main.c */
void loader_error(const CHAR16 *fmt, ...);

#endif
