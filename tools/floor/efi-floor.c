/*
 * tools/floor/efi-floor.c - the UEFI floor: the least a gnu-efi application
 * can do. OVMF starts it from \EFI\BOOT\BOOTX64.EFI on its own ESP
 * (build/x86_64/floor-esp.img); it writes one byte to COM1 and leaves
 * through isa-debug-exit (QEMU exit status 1). `make bench` uses it as
 * QEMU+OVMF's own start-to-first-byte cost. Layer: tools.
 */
#include <efi.h>
#include <efilib.h>

static inline void outb(UINT16 port, UINT8 val)
{
	__asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	outb(0x3f8, 'Q');	/* COM1 THR: OVMF already set the UART up */
	outb(0xf4, 0);		/* isa-debug-exit: QEMU exits with 1 */
	return EFI_SUCCESS;	/* only reached without the exit device */
}
