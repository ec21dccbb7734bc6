/*
 * arch/x86_64/boot/efi/main.c - BOOTX64.EFI, Quire's UEFI loader.
 *
 * Layer: boot (a gnu-efi application run by the firmware, not the kernel).
 * Provides: efi_main(). Steps, each failing with one "quire-efi: error:"
 * line on the console and an error status back to the firmware:
 *   1. read \kernel.elf from the volume this loader came from
 *   2. validate it (elf.c); check every page at p_paddr is RAM that will be
 *      free after ExitBootServices, take the pages that are free now
 *      (AllocateAddress), and refuse if the firmware's stack, GDT, IDT or
 *      page tables live there
 *   3. copy and zero-fill the segments into staging pages
 *   4. fill struct boot_info (below 4 GiB): RSDP, command line, "uefi"
 *   5. get the memory map and ExitBootServices (retried as the spec says)
 *   6. translate the map (memmap.c), move the staged image to p_paddr,
 *      and jump to the entry:
 *      RDI = boot_info, interrupts off, firmware's identity page tables.
 * The contract with the kernel is asm/boot_info.h; docs/uefi.md explains.
 *
 * Locking: none; UEFI applications run single-threaded.
 */
#include "loader.h"
#include <asm/fw_cfg.h>

#define KERNEL_PATH		L"\\kernel.elf"
#define FW_CFG_CMDLINE		"opt/quire/cmdline"
#define FW_CFG_ON_ERROR		"opt/quire/loader-error"	/* "poweroff" */
#define MAP_SLACK_DESCS		32	/* the map grows while we allocate */
#define EBS_TRIES		8

static EFI_HANDLE loader_image;

void loader_error(const CHAR16 *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	Print(L"quire-efi: error: ");
	VPrint(fmt, args);
	Print(L"\n");
	va_end(args);
}

static EFI_STATUS read_whole_file(EFI_FILE_HANDLE f, u8 *buf, u64 size)
{
	EFI_STATUS st;
	UINTN chunk;
	u64 done = 0;

	while (done < size) {
		chunk = size - done;
		st = uefi_call_wrapper(f->Read, 3, f, &chunk, buf + done);
		if (EFI_ERROR(st)) {
			loader_error(L"reading kernel.elf: %r", st);
			return st;
		}
		if (!chunk) {
			loader_error(L"kernel.elf ended after %lu of %lu bytes",
				     done, size);
			return EFI_LOAD_ERROR;
		}
		done += chunk;
	}
	return EFI_SUCCESS;
}

/* Step 1: kernel.elf from our own volume into pool memory. */
static EFI_STATUS load_kernel_file(EFI_LOADED_IMAGE *li,
				   struct kernel_image *img)
{
	EFI_FILE_HANDLE root, f;
	EFI_FILE_INFO *info;
	EFI_STATUS st;
	u8 *buf;

	root = LibOpenRoot(li->DeviceHandle);
	if (!root) {
		loader_error(L"cannot open the file system this loader was loaded from");
		return EFI_NOT_FOUND;
	}
	st = uefi_call_wrapper(root->Open, 5, root, &f, KERNEL_PATH,
			       EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st)) {
		loader_error(L"cannot open %s on the boot volume: %r",
			     KERNEL_PATH, st);
		return st;
	}
	info = LibFileInfo(f);
	if (!info) {
		loader_error(L"cannot get the size of kernel.elf");
		st = EFI_LOAD_ERROR;
		goto out_close;
	}
	img->size = info->FileSize;
	FreePool(info);
	if (!img->size || img->size > QUIRE_EFI_MAX_KERNEL) {
		loader_error(L"kernel.elf is %lu bytes (1..%lu allowed)",
			     img->size, QUIRE_EFI_MAX_KERNEL);
		st = EFI_LOAD_ERROR;
		goto out_close;
	}
	buf = AllocatePool(img->size);
	if (!buf) {
		loader_error(L"no memory for a %lu-byte kernel.elf", img->size);
		st = EFI_OUT_OF_RESOURCES;
		goto out_close;
	}
	st = read_whole_file(f, buf, img->size);
	if (EFI_ERROR(st))
		FreePool(buf);
	else
		img->file = buf;
out_close:
	uefi_call_wrapper(f->Close, 1, f);
	return st;
}

/* Pages this loader took for the kernel, to give back on a failure. */
#define MAX_TAKEN	(4 * QUIRE_EFI_MAX_PHDRS)
static struct {
	u64 addr, pages;
} taken[MAX_TAKEN];
static u32 nr_taken;

static EFI_STATUS take_pages(EFI_ALLOCATE_TYPE how, EFI_MEMORY_TYPE type,
			     u64 pages, u64 *addr)
{
	EFI_PHYSICAL_ADDRESS a = *addr;
	EFI_STATUS st;

	if (nr_taken == MAX_TAKEN)
		return EFI_OUT_OF_RESOURCES;
	st = uefi_call_wrapper(BS->AllocatePages, 4, how, type, pages, &a);
	if (EFI_ERROR(st))
		return st;
	taken[nr_taken].addr = a;
	taken[nr_taken++].pages = pages;
	*addr = a;
	return EFI_SUCCESS;
}

static void give_back_pages(void)
{
	while (nr_taken) {
		nr_taken--;
		uefi_call_wrapper(BS->FreePages, 2, taken[nr_taken].addr,
				  taken[nr_taken].pages);
	}
}

static u64 desc_end(const EFI_MEMORY_DESCRIPTOR *d)
{
	return d->PhysicalStart + d->NumberOfPages * EFI_PAGE_SIZE;
}

static u64 extent_end(const struct load_extent *x)
{
	return x->start + x->pages * EFI_PAGE_SIZE;
}

static bool in_kernel_extents(const struct kernel_image *img, u64 a, u64 len)
{
	u32 i;

	for (i = 0; i < img->nr_extents; i++)
		if (a < extent_end(&img->extent[i]) &&
		    img->extent[i].start < a + len)
			return true;
	return false;
}

/* A snapshot of the memory map in pool memory (caller frees). */
static EFI_MEMORY_DESCRIPTOR *snapshot_map(UINTN *size, UINTN *desc_size)
{
	EFI_MEMORY_DESCRIPTOR *map;
	UINTN entries, key;
	UINT32 ver;

	map = LibMemoryMap(&entries, &key, desc_size, &ver);
	if (!map)
		loader_error(L"cannot read the UEFI memory map");
	*size = entries * *desc_size;	/* LibMemoryMap counts entries */
	return map;
}

#define for_each_desc(d, map, size, dsz)				\
	for ((d) = (map); (u8 *)(d) + (dsz) <= (u8 *)(map) + (size);	\
	     (d) = (EFI_MEMORY_DESCRIPTOR *)((u8 *)(d) + (dsz)))

/*
 * Every page of @x must be RAM that is free once boot services exit;
 * takes its currently free pages now so nothing else lands there.
 */
static EFI_STATUS claim_extent(const struct load_extent *x,
			       EFI_MEMORY_DESCRIPTOR *map, UINTN size,
			       UINTN dsz)
{
	EFI_MEMORY_DESCRIPTOR *d;
	u64 covered = 0, lo, hi;
	EFI_STATUS st;

	for_each_desc(d, map, size, dsz) {
		if (desc_end(d) <= x->start || d->PhysicalStart >= extent_end(x))
			continue;
		lo = d->PhysicalStart > x->start ? d->PhysicalStart : x->start;
		hi = desc_end(d) < extent_end(x) ? desc_end(d) : extent_end(x);
		covered += hi - lo;
		if (!efi_type_free_after_exit(d->Type)) {
			loader_error(L"kernel memory 0x%lx..0x%lx overlaps firmware memory of UEFI type %d at 0x%lx..0x%lx; link the kernel elsewhere",
				     x->start, extent_end(x), d->Type,
				     d->PhysicalStart, desc_end(d));
			return EFI_LOAD_ERROR;
		}
		if (d->Type != EfiConventionalMemory)
			continue;
		st = take_pages(AllocateAddress, QUIRE_EFI_KERNEL_MEM,
				(hi - lo) / EFI_PAGE_SIZE, &lo);
		if (EFI_ERROR(st)) {
			loader_error(L"cannot take free kernel memory at 0x%lx: %r",
				     lo, st);
			return st;
		}
	}
	if (covered != x->pages * EFI_PAGE_SIZE) {
		loader_error(L"kernel memory 0x%lx..0x%lx is not all RAM (give QEMU more memory?)",
			     x->start, extent_end(x));
		return EFI_LOAD_ERROR;
	}
	return EFI_SUCCESS;
}

/* True if any page-table page under @table (at @level) is in the extents. */
static bool page_tables_in(const struct kernel_image *img, u64 table,
			   int level)
{
	const u64 *e = (const u64 *)(UINTN)table;
	u32 i;

	if (in_kernel_extents(img, table, EFI_PAGE_SIZE))
		return true;
	if (level == 1)
		return false;
	for (i = 0; i < 512; i++) {
		if (!(e[i] & 1) || (level <= 3 && (e[i] & 0x80)))
			continue;	/* not present, or a large page */
		if (page_tables_in(img, e[i] & 0x000ffffffffff000ULL,
				   level - 1))
			return true;
	}
	return false;
}

struct dtr {
	u16 limit;
	u64 base;
} __attribute__((packed));

/*
 * What this loader still runs on after ExitBootServices, while it copies
 * the kernel into place: it must not be under the kernel. The stack's
 * whole descriptor is checked, as are the GDT, IDT and page tables.
 */
static EFI_STATUS check_live_memory(const struct kernel_image *img,
				    EFI_MEMORY_DESCRIPTOR *map, UINTN size,
				    UINTN dsz)
{
	EFI_MEMORY_DESCRIPTOR *d;
	struct dtr gdt, idt;
	u64 rsp, cr3, cr4;

	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("sgdt %0" : "=m"(gdt));
	__asm__ volatile("sidt %0" : "=m"(idt));
	for_each_desc(d, map, size, dsz)
		if (rsp >= d->PhysicalStart && rsp < desc_end(d) &&
		    in_kernel_extents(img, d->PhysicalStart,
				      desc_end(d) - d->PhysicalStart)) {
			loader_error(L"kernel memory overlaps the firmware stack at 0x%lx; link the kernel elsewhere",
				     rsp);
			return EFI_LOAD_ERROR;
		}
	if (in_kernel_extents(img, gdt.base, gdt.limit + 1ULL) ||
	    in_kernel_extents(img, idt.base, idt.limit + 1ULL) ||
	    page_tables_in(img, cr3 & 0x000ffffffffff000ULL,
			   (cr4 & (1 << 12)) ? 5 : 4)) {
		loader_error(L"kernel memory overlaps the firmware GDT, IDT or page tables; link the kernel elsewhere");
		return EFI_LOAD_ERROR;
	}
	return EFI_SUCCESS;
}

/* Step 2: make sure the kernel's pages will be ours, and stage a copy. */
static EFI_STATUS claim_kernel_memory(struct kernel_image *img)
{
	EFI_MEMORY_DESCRIPTOR *map;
	UINTN size, dsz;
	EFI_STATUS st = EFI_SUCCESS;
	u32 i;

	map = snapshot_map(&size, &dsz);
	if (!map)
		return EFI_LOAD_ERROR;
	for (i = 0; i < img->nr_extents && !EFI_ERROR(st); i++)
		st = claim_extent(&img->extent[i], map, size, dsz);
	if (!EFI_ERROR(st))
		st = check_live_memory(img, map, size, dsz);
	FreePool(map);
	for (i = 0; i < img->nr_extents && !EFI_ERROR(st); i++) {
		st = take_pages(AllocateAnyPages, EfiLoaderData,
				img->extent[i].pages, &img->extent[i].staging);
		if (EFI_ERROR(st))
			loader_error(L"no memory to stage %lu kernel pages: %r",
				     img->extent[i].pages, st);
	}
	return st;
}

/*
 * Step 6a, after ExitBootServices: staged copies to their final place.
 * Sources never overlap destinations (staging was allocated after every
 * free page of the destinations was taken).
 */
static void move_kernel_into_place(const struct kernel_image *img)
{
	const struct load_extent *x;
	volatile u64 *dst;
	const u64 *src;
	u64 i, n;
	u32 j;

	for (j = 0; j < img->nr_extents; j++) {
		x = &img->extent[j];
		dst = (volatile u64 *)(UINTN)x->start;
		src = (const u64 *)(UINTN)x->staging;
		n = x->pages * EFI_PAGE_SIZE / sizeof(u64);
		for (i = 0; i < n; i++)
			dst[i] = src[i];
	}
}

static bool guid_equal(const EFI_GUID *a, const EFI_GUID *b)
{
	return CompareMem(a, b, sizeof(*a)) == 0;
}

/* ACPI 2.0 RSDP from the configuration table, else the 1.0 one, else 0. */
static u64 find_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	EFI_CONFIGURATION_TABLE *t = ST->ConfigurationTable;
	u64 v1 = 0;
	UINTN i;

	for (i = 0; i < ST->NumberOfTableEntries; i++) {
		if (guid_equal(&t[i].VendorGuid, &acpi20))
			return (u64)(UINTN)t[i].VendorTable;
		if (guid_equal(&t[i].VendorGuid, &acpi10))
			v1 = (u64)(UINTN)t[i].VendorTable;
	}
	return v1;
}

/* Ends the string at the first NUL and drops trailing blanks/newlines. */
static void trim_cmdline(char *s, u32 len)
{
	u32 i;

	for (i = 0; i < len && s[i]; i++)
		;
	while (i && (s[i - 1] == ' ' || s[i - 1] == '\n' ||
		     s[i - 1] == '\r' || s[i - 1] == '\t'))
		i--;
	s[i] = 0;
}

static bool ends_with_efi(const CHAR16 *w, UINTN n)
{
	return n >= 4 && w[n - 4] == '.' && (w[n - 3] | 0x20) == 'e' &&
	       (w[n - 2] | 0x20) == 'f' && (w[n - 1] | 0x20) == 'i';
}

/*
 * LoadOptions as a command line: only if it is printable UCS-2 text (boot
 * manager entries often carry binary data there). A leading "X.EFI" word,
 * as the UEFI shell passes, is skipped.
 */
static void cmdline_from_load_options(EFI_LOADED_IMAGE *li, char *out)
{
	const CHAR16 *w = li->LoadOptions;
	UINTN n = li->LoadOptionsSize / sizeof(CHAR16), i, first, o = 0;

	if (!w || !n || li->LoadOptionsSize % sizeof(CHAR16))
		return;
	while (n && !w[n - 1])
		n--;
	for (i = 0; i < n; i++)
		if (w[i] < 0x20 || w[i] > 0x7e)
			return;
	for (first = 0; first < n && w[first] != ' '; first++)
		;
	i = ends_with_efi(w, first) ? first : 0;
	while (i < n && w[i] == ' ')
		i++;
	for (; i < n && o < BOOT_INFO_CMDLINE - 1; i++)
		out[o++] = (char)w[i];
	out[o] = 0;
}

/* Step 4b: fw_cfg "opt/quire/cmdline" first, else the LoadOptions. */
static void read_cmdline(EFI_LOADED_IMAGE *li, struct boot_info *bi)
{
	int n = fw_cfg_read_file(FW_CFG_CMDLINE, bi->cmdline,
				 BOOT_INFO_CMDLINE);

	if (n >= 0) {
		if (n == BOOT_INFO_CMDLINE)
			Print(L"quire-efi: warning: %a truncated to %d bytes\n",
			      FW_CFG_CMDLINE, BOOT_INFO_CMDLINE - 1);
		if (n == BOOT_INFO_CMDLINE)
			n--;
		trim_cmdline(bi->cmdline, n);
		return;
	}
	cmdline_from_load_options(li, bi->cmdline);
}

/* Step 4a: boot_info below 4 GiB, in pages the memory map marks BOOTDATA. */
static struct boot_info *alloc_boot_info(void)
{
	EFI_PHYSICAL_ADDRESS addr = 0xffffffffULL;
	UINTN pages = EFI_SIZE_TO_PAGES(sizeof(struct boot_info));
	struct boot_info *bi;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
			       QUIRE_EFI_BOOTDATA_MEM, pages, &addr);
	if (EFI_ERROR(st)) {
		loader_error(L"no memory below 4 GiB for boot_info: %r", st);
		return NULL;
	}
	bi = (struct boot_info *)(UINTN)addr;
	SetMem(bi, pages * EFI_PAGE_SIZE, 0);
	bi->magic = BOOT_INFO_MAGIC;
	CopyMem(bi->loader, "uefi", 5);
	return bi;
}

/* Everything the final GetMemoryMap / translation needs, allocated early. */
struct map_buffers {
	u8 *map;
	UINTN capacity;		/* bytes in map */
	UINTN size, key, desc_size;
	UINT32 desc_version;
	struct boot_mem_entry *scratch;	/* one per descriptor that fits */
};

static EFI_STATUS alloc_map_buffers(struct map_buffers *mb)
{
	EFI_STATUS st;
	UINTN descs;

	mb->size = 0;
	st = uefi_call_wrapper(BS->GetMemoryMap, 5, &mb->size, NULL, &mb->key,
			       &mb->desc_size, &mb->desc_version);
	if (st != EFI_BUFFER_TOO_SMALL || !mb->desc_size) {
		loader_error(L"GetMemoryMap did not report a size: %r", st);
		return EFI_ERROR(st) ? st : EFI_LOAD_ERROR;
	}
	mb->capacity = mb->size + MAP_SLACK_DESCS * mb->desc_size;
	descs = mb->capacity / mb->desc_size;
	mb->map = AllocatePool(mb->capacity);
	mb->scratch = AllocatePool(MEMMAP_SCRATCH(descs) * sizeof(*mb->scratch));
	if (!mb->map || !mb->scratch) {
		loader_error(L"no memory for the memory map");
		return EFI_OUT_OF_RESOURCES;
	}
	return EFI_SUCCESS;
}

/*
 * Step 5. Between a failed ExitBootServices and the retry only
 * GetMemoryMap may be called (UEFI 2.10, 7.4): hence no printing in the
 * loop and buffers allocated beforehand.
 */
static EFI_STATUS exit_boot_services(struct map_buffers *mb)
{
	EFI_STATUS st = EFI_LOAD_ERROR;
	int tries;

	for (tries = 0; tries < EBS_TRIES; tries++) {
		mb->size = mb->capacity;
		st = uefi_call_wrapper(BS->GetMemoryMap, 5, &mb->size,
				       (EFI_MEMORY_DESCRIPTOR *)mb->map,
				       &mb->key, &mb->desc_size,
				       &mb->desc_version);
		if (EFI_ERROR(st))
			break;
		st = uefi_call_wrapper(BS->ExitBootServices, 2, loader_image,
				       mb->key);
		if (st != EFI_INVALID_PARAMETER)
			break;
	}
	return st;
}

static void com1_puts(const char *s)
{
	while (*s)
		__asm__ volatile("outb %0, %1" : : "a"(*s++), "Nd"((u16)0x3f8));
}

/* Step 6: never returns. Clears DF, masks interrupts, RDI = boot_info. */
static void __attribute__((noreturn)) enter_kernel(u64 entry,
						   struct boot_info *bi)
{
	__asm__ volatile("cli\n\tcld\n\tjmp *%0"
			 : : "r"(entry), "D"((u64)(UINTN)bi) : "memory");
	__builtin_unreachable();
}

static EFI_STATUS prepare_kernel(EFI_LOADED_IMAGE *li,
				 struct kernel_image *img)
{
	EFI_STATUS st;

	st = load_kernel_file(li, img);
	if (EFI_ERROR(st))
		return st;
	st = elf_check(img, (u64)(UINTN)li->ImageBase, li->ImageSize);
	if (EFI_ERROR(st))
		return st;
	st = claim_kernel_memory(img);
	if (EFI_ERROR(st))
		return st;
	elf_stage_segments(img);
	return EFI_SUCCESS;
}

/*
 * On a failure the loader returns to the firmware, which tries its next
 * boot option (OVMF: the UEFI shell, which waits for a key). A scripted
 * run can ask for a power-off instead, so QEMU exits (status 0, unlike
 * any isa-debug-exit status) rather than sitting at "Shell>":
 *   -fw_cfg name=opt/quire/loader-error,string=poweroff
 */
static void maybe_power_off(EFI_STATUS st)
{
	char policy[9];
	int n = fw_cfg_read_file(FW_CFG_ON_ERROR, policy, sizeof(policy) - 1);

	if (n < 8)
		return;
	policy[8] = 0;
	if (CompareMem(policy, "poweroff", 8))
		return;
	Print(L"quire-efi: powering off (%a)\n", FW_CFG_ON_ERROR);
	uefi_call_wrapper(RT->ResetSystem, 4, EfiResetShutdown, st, 0, NULL);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	static struct kernel_image img;
	struct map_buffers mb;
	EFI_LOADED_IMAGE *li;
	struct boot_info *bi;
	EFI_STATUS st;

	InitializeLib(image, systab);
	loader_image = image;
	st = uefi_call_wrapper(BS->HandleProtocol, 3, image,
			       &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(st)) {
		loader_error(L"no LoadedImage protocol on our own image: %r", st);
		return st;
	}
	st = prepare_kernel(li, &img);
	if (EFI_ERROR(st))
		goto out_free_kernel;
	bi = alloc_boot_info();
	if (!bi)
		goto out_free_kernel;
	bi->rsdp_phys = find_rsdp();
	read_cmdline(li, bi);
	Print(L"quire-efi: kernel.elf %lu bytes, entry 0x%lx, rsdp 0x%lx, cmdline \"%a\"\n",
	      img.size, img.entry, bi->rsdp_phys, bi->cmdline);
	st = alloc_map_buffers(&mb);
	if (EFI_ERROR(st))
		goto out_free_kernel;
	st = exit_boot_services(&mb);
	if (EFI_ERROR(st)) {
		loader_error(L"ExitBootServices failed: %r", st);
		goto out_free_kernel;
	}
	if (efi_map_to_boot_mem(bi, mb.scratch, mb.map, mb.size, mb.desc_size,
				&img))
		com1_puts("quire-efi: warning: memory map too long, tail dropped\r\n");
	move_kernel_into_place(&img);
	enter_kernel(img.entry, bi);

out_free_kernel:
	give_back_pages();
	if (!EFI_ERROR(st))
		st = EFI_OUT_OF_RESOURCES;
	maybe_power_off(st);
	return st;
}
