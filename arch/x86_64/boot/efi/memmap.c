/*
 * arch/x86_64/boot/efi/memmap.c - translate the final UEFI memory map into
 * boot_info.mem[].
 *
 * Layer: boot (UEFI loader). Used by: main.c, after ExitBootServices, so
 * this file calls no firmware service and allocates nothing: it writes into
 * a scratch array main.c allocated beforehand.
 * Provides: efi_map_to_boot_mem().
 *
 * Translation (after Linux's x86 EFI stub, setup_e820()):
 *   Conventional, BootServices code/data, Loader code/data -> USABLE
 *     (boot services are gone; loader data is this loader's heap and stack,
 *     which the kernel must stop using before it allocates memory)
 *   ACPI reclaim                  -> ACPI
 *   ACPI NVS                      -> NVS
 *   Unusable                      -> BAD
 *   the kernel image (every page of img->extent[], whatever the firmware
 *     had there before ExitBootServices) -> BOOTDATA
 *   the boot_info (QUIRE_EFI_BOOTDATA_MEM)  -> BOOTDATA
 * BOOTDATA, not RESERVED, for the kernel: it is RAM the kernel keeps, and
 * the kernel's direct map covers BOOTDATA but not RESERVED ranges (it
 * reaches its own page tables in .bss through the direct map).
 *   everything else (reserved, runtime services, MMIO, persistent,
 *     unaccepted, unknown)        -> RESERVED
 * Then the entries are sorted by base and adjacent ranges of the same type
 * are merged, so boot_info.mem[] is sorted, non-overlapping and minimal.
 *
 * Locking: none (single-threaded, boot services already exited).
 */
#include "loader.h"

/* True for memory that is free RAM once boot services have exited. */
bool efi_type_free_after_exit(u32 type)
{
	switch (type) {
	case EfiConventionalMemory:
	case EfiBootServicesCode:
	case EfiBootServicesData:
	case EfiLoaderCode:
	case EfiLoaderData:
	case (u32)QUIRE_EFI_KERNEL_MEM:
		return true;
	default:
		return false;
	}
}

static u32 efi_type_to_boot_mem(u32 type)
{
	if (type != (u32)QUIRE_EFI_KERNEL_MEM && efi_type_free_after_exit(type))
		return BOOT_MEM_USABLE;
	switch (type) {
	case EfiACPIReclaimMemory:
		return BOOT_MEM_ACPI;
	case EfiACPIMemoryNVS:
		return BOOT_MEM_NVS;
	case EfiUnusableMemory:
		return BOOT_MEM_BAD;
	case (u32)QUIRE_EFI_BOOTDATA_MEM:
		return BOOT_MEM_BOOTDATA;
	default:	/* runtime, MMIO, reserved...; kernel pages: see below */
		return BOOT_MEM_RESERVED;
	}
}

/* Insertion sort by base: the map has a few hundred entries at most. */
static void sort_by_base(struct boot_mem_entry *e, u32 n)
{
	struct boot_mem_entry tmp;
	u32 i, j;

	for (i = 1; i < n; i++) {
		tmp = e[i];
		for (j = i; j > 0 && e[j - 1].base > tmp.base; j--)
			e[j] = e[j - 1];
		e[j] = tmp;
	}
}

/* Merges touching same-type neighbours in place; returns the new count. */
static u32 merge_adjacent(struct boot_mem_entry *e, u32 n)
{
	u32 i, out = 0;

	for (i = 0; i < n; i++) {
		if (out && e[out - 1].type == e[i].type &&
		    e[out - 1].base + e[out - 1].length == e[i].base) {
			e[out - 1].length += e[i].length;
			continue;
		}
		e[out++] = e[i];
	}
	return out;
}

static void emit(struct boot_mem_entry *out, u32 *n, u64 base, u64 len,
		 u32 type)
{
	out[*n].base = base;
	out[*n].length = len;
	out[*n].type = type;
	out[*n].reserved = 0;
	(*n)++;
}

/*
 * Emits [base, base + len) minus the kernel extents (sorted, disjoint).
 * Each extent splits at most one range in two, so a map of D descriptors
 * needs at most D + nr_extents pieces here, plus nr_extents for the
 * extents themselves: MEMMAP_SCRATCH(D).
 */
static void emit_minus_kernel(struct boot_mem_entry *out, u32 *n, u64 base,
			      u64 len, u32 type, const struct kernel_image *img)
{
	const struct load_extent *x;
	u64 cur = base, end = base + len, xend;
	u32 i;

	for (i = 0; i < img->nr_extents && cur < end; i++) {
		x = &img->extent[i];
		xend = x->start + x->pages * EFI_PAGE_SIZE;
		if (xend <= cur)
			continue;
		if (x->start >= end)
			break;
		if (x->start > cur)
			emit(out, n, cur, x->start - cur, type);
		cur = xend;
	}
	if (cur < end)
		emit(out, n, cur, end - cur, type);
}

/*
 * efi_map_to_boot_mem - fill bi->mem[] and bi->nr_mem from the UEFI map
 * (@map_size bytes of descriptors, each @desc_size bytes: use the size the
 * firmware reported, never sizeof). The kernel's extents (@img) become
 * RESERVED whatever the map says there. @scratch holds MEMMAP_SCRATCH(D)
 * entries for D descriptors. Returns how many merged entries did not fit in
 * BOOT_INFO_MAX_MEM and were dropped (0 normally); dropping is safe, the
 * kernel never uses memory that is not listed as usable.
 * Context: after ExitBootServices; no firmware calls.
 */
u32 efi_map_to_boot_mem(struct boot_info *bi, struct boot_mem_entry *scratch,
			const u8 *map, UINTN map_size, UINTN desc_size,
			const struct kernel_image *img)
{
	const EFI_MEMORY_DESCRIPTOR *d;
	u32 i, n = 0, dropped = 0;
	UINTN off;

	for (off = 0; off + desc_size <= map_size; off += desc_size) {
		d = (const EFI_MEMORY_DESCRIPTOR *)(map + off);
		if (!d->NumberOfPages)
			continue;
		emit_minus_kernel(scratch, &n, d->PhysicalStart,
				  d->NumberOfPages * EFI_PAGE_SIZE,
				  efi_type_to_boot_mem(d->Type), img);
	}
	for (i = 0; i < img->nr_extents; i++)
		emit(scratch, &n, img->extent[i].start,
		     img->extent[i].pages * EFI_PAGE_SIZE, BOOT_MEM_BOOTDATA);
	sort_by_base(scratch, n);
	n = merge_adjacent(scratch, n);
	if (n > BOOT_INFO_MAX_MEM) {
		dropped = n - BOOT_INFO_MAX_MEM;
		n = BOOT_INFO_MAX_MEM;
	}
	for (i = 0; i < n; i++)
		bi->mem[i] = scratch[i];
	bi->nr_mem = n;
	return dropped;
}
