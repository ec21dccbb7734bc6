# arch/x86_64: the kernel ELF (PVH-bootable), the UEFI loader and ESP image.
# (Filled in by the boot work.)
.PHONY: kernel
kernel:
