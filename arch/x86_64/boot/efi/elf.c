/*
 * arch/x86_64/boot/efi/elf.c - validate the kernel ELF and stage its
 * PT_LOAD segments for their physical addresses.
 *
 * Layer: boot (UEFI loader). Used by: main.c.
 * Provides: elf_check() (every check that can fail, before any page is
 * taken), elf_stage_segments() (into staging pages main.c allocated).
 *
 * Everything in kernel.elf is untrusted input: each field is checked before
 * it is used as an offset, a size or an address, with overflow-safe
 * arithmetic, and a failure is one clear line, never a fault.
 *
 * Locking: none (single-threaded loader).
 */
#include "loader.h"

#define EI_NIDENT	16
#define ELFCLASS64	2
#define ELFDATA2LSB	1
#define EV_CURRENT	1
#define ET_EXEC		2
#define EM_X86_64	62
#define PT_LOAD		1
#define PF_X		1

#define EFI_PAGE_BYTES	4096ULL

struct elf64_ehdr {
	u8 e_ident[EI_NIDENT];
	u16 e_type;
	u16 e_machine;
	u32 e_version;
	u64 e_entry;
	u64 e_phoff;
	u64 e_shoff;
	u32 e_flags;
	u16 e_ehsize;
	u16 e_phentsize;
	u16 e_phnum;
	u16 e_shentsize;
	u16 e_shnum;
	u16 e_shstrndx;
};

struct elf64_phdr {
	u32 p_type;
	u32 p_flags;
	u64 p_offset;
	u64 p_vaddr;
	u64 p_paddr;
	u64 p_filesz;
	u64 p_memsz;
	u64 p_align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ELF64 header is 64 bytes");
_Static_assert(sizeof(struct elf64_phdr) == 56, "ELF64 phdr is 56 bytes");

static const struct elf64_ehdr *elf_ehdr(const struct kernel_image *img)
{
	return (const struct elf64_ehdr *)img->file;
}

static const struct elf64_phdr *elf_phdr(const struct kernel_image *img,
					 u32 i)
{
	const struct elf64_ehdr *eh = elf_ehdr(img);

	return (const struct elf64_phdr *)(img->file + eh->e_phoff) + i;
}

static bool ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

static EFI_STATUS elf_check_header(const struct kernel_image *img)
{
	const struct elf64_ehdr *eh = elf_ehdr(img);
	const u8 *id;

	if (img->size < sizeof(*eh)) {
		loader_error(L"kernel.elf is %lu bytes, too short for an ELF header",
			     img->size);
		return EFI_LOAD_ERROR;
	}
	id = eh->e_ident;
	if (id[0] != 0x7f || id[1] != 'E' || id[2] != 'L' || id[3] != 'F') {
		loader_error(L"kernel.elf is not an ELF file (bad magic)");
		return EFI_LOAD_ERROR;
	}
	if (id[4] != ELFCLASS64 || id[5] != ELFDATA2LSB || id[6] != EV_CURRENT) {
		loader_error(L"kernel.elf is not a 64-bit little-endian ELF (class %d, data %d, version %d)",
			     id[4], id[5], id[6]);
		return EFI_UNSUPPORTED;
	}
	if (eh->e_machine != EM_X86_64) {
		loader_error(L"kernel.elf is for machine %d, not x86_64 (62)",
			     eh->e_machine);
		return EFI_UNSUPPORTED;
	}
	if (eh->e_type != ET_EXEC) {
		loader_error(L"kernel.elf has type %d, not an executable (2)",
			     eh->e_type);
		return EFI_UNSUPPORTED;
	}
	return EFI_SUCCESS;
}

static EFI_STATUS elf_check_phdr_table(const struct kernel_image *img)
{
	const struct elf64_ehdr *eh = elf_ehdr(img);
	u64 table;

	if (eh->e_phentsize != sizeof(struct elf64_phdr)) {
		loader_error(L"kernel.elf program header size is %d, expected 56",
			     eh->e_phentsize);
		return EFI_LOAD_ERROR;
	}
	if (eh->e_phnum == 0 || eh->e_phnum > QUIRE_EFI_MAX_PHDRS) {
		loader_error(L"kernel.elf has %d program headers (1..%d allowed)",
			     eh->e_phnum, QUIRE_EFI_MAX_PHDRS);
		return EFI_LOAD_ERROR;
	}
	table = (u64)eh->e_phnum * sizeof(struct elf64_phdr);
	if (eh->e_phoff > img->size || table > img->size - eh->e_phoff ||
	    eh->e_phoff % 8) {
		loader_error(L"kernel.elf program headers (offset %lu) lie outside the %lu-byte file",
			     eh->e_phoff, img->size);
		return EFI_LOAD_ERROR;
	}
	return EFI_SUCCESS;
}

/* Checks one PT_LOAD on its own: inside the file, sane sizes, no wrap. */
static EFI_STATUS elf_check_segment(const struct kernel_image *img, u32 i,
				    u64 loader_base, u64 loader_size)
{
	const struct elf64_phdr *ph = elf_phdr(img, i);

	if (ph->p_filesz > ph->p_memsz) {
		loader_error(L"kernel.elf segment %d: file size %lu exceeds memory size %lu",
			     i, ph->p_filesz, ph->p_memsz);
		return EFI_LOAD_ERROR;
	}
	if (ph->p_offset > img->size || ph->p_filesz > img->size - ph->p_offset) {
		loader_error(L"kernel.elf segment %d: bytes %lu+%lu lie outside the %lu-byte file (truncated?)",
			     i, ph->p_offset, ph->p_filesz, img->size);
		return EFI_LOAD_ERROR;
	}
	if (ph->p_paddr + ph->p_memsz < ph->p_paddr ||
	    ph->p_paddr + ph->p_memsz > (1ULL << 46)) {
		loader_error(L"kernel.elf segment %d: physical range 0x%lx+0x%lx is impossible",
			     i, ph->p_paddr, ph->p_memsz);
		return EFI_LOAD_ERROR;
	}
	if (ranges_overlap(ph->p_paddr, ph->p_memsz, loader_base, loader_size)) {
		loader_error(L"kernel.elf segment %d at 0x%lx+0x%lx overlaps this loader at 0x%lx+0x%lx",
			     i, ph->p_paddr, ph->p_memsz, loader_base, loader_size);
		return EFI_LOAD_ERROR;
	}
	return EFI_SUCCESS;
}

/* Two segments must not share a byte (they may share a page). */
static EFI_STATUS elf_check_no_overlap(const struct kernel_image *img)
{
	const struct elf64_ehdr *eh = elf_ehdr(img);
	const struct elf64_phdr *a, *b;
	u32 i, j;

	for (i = 0; i < eh->e_phnum; i++) {
		a = elf_phdr(img, i);
		if (a->p_type != PT_LOAD || !a->p_memsz)
			continue;
		for (j = i + 1; j < eh->e_phnum; j++) {
			b = elf_phdr(img, j);
			if (b->p_type != PT_LOAD || !b->p_memsz)
				continue;
			if (ranges_overlap(a->p_paddr, a->p_memsz,
					   b->p_paddr, b->p_memsz)) {
				loader_error(L"kernel.elf segments %d and %d overlap in physical memory",
					     i, j);
				return EFI_LOAD_ERROR;
			}
		}
	}
	return EFI_SUCCESS;
}

/*
 * Finds the physical entry address. The contract (asm/boot_info.h) says
 * e_entry is physical; an entry that instead falls in a segment's virtual
 * range is translated through that segment, so a higher-half link that
 * forgot ENTRY(physical) still boots. Either way it must be executable.
 */
static EFI_STATUS elf_find_entry(struct kernel_image *img)
{
	const struct elf64_ehdr *eh = elf_ehdr(img);
	const struct elf64_phdr *ph;
	u64 e = eh->e_entry;
	u32 i;

	for (i = 0; i < eh->e_phnum; i++) {
		ph = elf_phdr(img, i);
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (e >= ph->p_paddr && e - ph->p_paddr < ph->p_memsz) {
			img->entry = e;
			return EFI_SUCCESS;
		}
	}
	for (i = 0; i < eh->e_phnum; i++) {
		ph = elf_phdr(img, i);
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (e >= ph->p_vaddr && e - ph->p_vaddr < ph->p_memsz) {
			img->entry = e - ph->p_vaddr + ph->p_paddr;
			return EFI_SUCCESS;
		}
	}
	loader_error(L"kernel.elf entry 0x%lx is not inside an executable PT_LOAD segment",
		     e);
	return EFI_LOAD_ERROR;
}

/* Adds the whole pages of one segment as a new extent. */
static void elf_add_extent(struct kernel_image *img, u64 paddr, u64 memsz)
{
	struct load_extent *x = &img->extent[img->nr_extents++];
	u64 end = (paddr + memsz + EFI_PAGE_BYTES - 1) & ~(EFI_PAGE_BYTES - 1);

	x->start = paddr & ~(EFI_PAGE_BYTES - 1);
	x->pages = (end - x->start) / EFI_PAGE_BYTES;
}

static u64 extent_end(const struct load_extent *x)
{
	return x->start + x->pages * EFI_PAGE_BYTES;
}

/* Merges extents that share or touch a page until none do; sorts them. */
static void elf_merge_extents(struct kernel_image *img)
{
	struct load_extent *a, *b;
	bool merged = true;
	struct load_extent tmp;
	u64 start, end;
	u32 i, j;

	while (merged) {
		merged = false;
		for (i = 0; i < img->nr_extents && !merged; i++) {
			for (j = i + 1; j < img->nr_extents && !merged; j++) {
				a = &img->extent[i];
				b = &img->extent[j];
				if (a->start > extent_end(b) ||
				    b->start > extent_end(a))
					continue;
				start = a->start < b->start ? a->start : b->start;
				end = extent_end(a) > extent_end(b) ?
				      extent_end(a) : extent_end(b);
				a->start = start;
				a->pages = (end - start) / EFI_PAGE_BYTES;
				*b = img->extent[--img->nr_extents];
				merged = true;
			}
		}
	}
	for (i = 1; i < img->nr_extents; i++) {	/* sort by start */
		tmp = img->extent[i];
		for (j = i; j > 0 && img->extent[j - 1].start > tmp.start; j--)
			img->extent[j] = img->extent[j - 1];
		img->extent[j] = tmp;
	}
}

/*
 * elf_check - validate img->file (img->size bytes) as a kernel and compute
 * img->entry and the page extents to allocate. @loader_base/@loader_size
 * describe this loader's own image, which no segment may cover.
 * Returns EFI_SUCCESS or an error after printing one line.
 */
EFI_STATUS elf_check(struct kernel_image *img, u64 loader_base,
		     u64 loader_size)
{
	const struct elf64_phdr *ph;
	EFI_STATUS st;
	u32 i, loads = 0;

	st = elf_check_header(img);
	if (EFI_ERROR(st))
		return st;
	st = elf_check_phdr_table(img);
	if (EFI_ERROR(st))
		return st;
	img->nr_extents = 0;
	for (i = 0; i < elf_ehdr(img)->e_phnum; i++) {
		ph = elf_phdr(img, i);
		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		st = elf_check_segment(img, i, loader_base, loader_size);
		if (EFI_ERROR(st))
			return st;
		loads++;
	}
	if (!loads) {
		loader_error(L"kernel.elf has no PT_LOAD segment");
		return EFI_LOAD_ERROR;
	}
	st = elf_check_no_overlap(img);
	if (EFI_ERROR(st))
		return st;
	st = elf_find_entry(img);
	if (EFI_ERROR(st))
		return st;
	for (i = 0; i < elf_ehdr(img)->e_phnum; i++) {
		ph = elf_phdr(img, i);
		if (ph->p_type == PT_LOAD && ph->p_memsz)
			elf_add_extent(img, ph->p_paddr, ph->p_memsz);
	}
	elf_merge_extents(img);
	return EFI_SUCCESS;
}

/*
 * elf_stage_segments - build the image in the staging pages: zero every
 * extent, then copy each PT_LOAD's file bytes to its offset (the rest up
 * to p_memsz stays zero: .bss).
 * Context: every extent has staging pages of its size.
 */
void elf_stage_segments(const struct kernel_image *img)
{
	const struct load_extent *x;
	const struct elf64_phdr *ph;
	u32 i, j;

	for (i = 0; i < img->nr_extents; i++)
		SetMem((void *)(UINTN)img->extent[i].staging,
		       img->extent[i].pages * EFI_PAGE_BYTES, 0);
	for (i = 0; i < elf_ehdr(img)->e_phnum; i++) {
		ph = elf_phdr(img, i);
		if (ph->p_type != PT_LOAD || !ph->p_filesz)
			continue;
		x = NULL;
		for (j = 0; j < img->nr_extents && !x; j++)
			if (ph->p_paddr >= img->extent[j].start &&
			    ph->p_paddr < extent_end(&img->extent[j]))
				x = &img->extent[j];
		if (x)	/* always: the extents were made from these */
			CopyMem((void *)(UINTN)(x->staging + ph->p_paddr -
						x->start),
				img->file + ph->p_offset, ph->p_filesz);
	}
}
