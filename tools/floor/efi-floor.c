/*
 * tools/floor/efi-floor.c - the UEFI floor: the least a gnu-efi application
 * can do. OVMF starts it from \EFI\BOOT\BOOTX64.EFI on its own ESP
 * (build/x86_64/floor-esp.img); it writes FLOOR_MARKER to COM1 and leaves
 * through isa-debug-exit (QEMU exit status 1). `make bench` times QEMU's
 * start to the marker's first byte: the cost of QEMU and OVMF up to the
 * first instruction of a loaded program, measured the way Quire's own
 * UEFI loader is timed (to the first byte it prints, "quire-efi:").
 * OVMF prints on the console itself, hence a marker and not any byte.
 * Layer: tools.
 */
#include <efi.h>
#include <efilib.h>

#define FLOOR_MARKER "efi-floor: started\r\n" /* tools/bench matches it */

static inline void outb(UINT16 port, UINT8 val)
{
	__asm__ volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline UINT8 inb(UINT16 port)
{
	UINT8 val;

	__asm__ volatile("inb %1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	/* COM1: OVMF already set the UART up; wait for THR empty (LSR bit
	 * 5, bounded) before each byte, as a real 16550 needs. */
	for (const char *p = FLOOR_MARKER; *p; p++) {
		for (int i = 0; i < 100000 && !(inb(0x3fd) & 0x20); i++)
			;
		outb(0x3f8, *p);
	}
	outb(0xf4, 0);		/* isa-debug-exit: QEMU exits with 1 */
	return EFI_SUCCESS;	/* only reached without the exit device */
}
