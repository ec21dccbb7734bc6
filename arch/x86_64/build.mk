# arch/x86_64: the kernel ELF (PVH-bootable), the UEFI loader and ESP image.
# (Filled in by the boot work.)
.PHONY: kernel
kernel:

# The UEFI loader, ESP image and boot-time floors (efi helper).
-include arch/x86_64/boot/efi/build.mk
