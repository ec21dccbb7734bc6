# arch/x86_64/boot/efi/build.mk - the UEFI loader (BOOTX64.EFI), the ESP
# image, and the boot-time floor binaries. Included by arch/x86_64/build.mk.
#
#   make efi      build/x86_64/efi/BOOTX64.EFI
#   make esp      build/x86_64/esp.img  (loader + kernel.elf, FAT, no root)
#   make floors   build/x86_64/floor/{pvh-floor,efi-floor.efi,uefi-probe.elf}
#                 and build/x86_64/floor-esp.img, probe-esp.img
#
# ESP_KERNEL picks the ELF that goes to \kernel.elf (default: the kernel);
# e.g. `make esp ESP_KERNEL=build/x86_64/floor/uefi-probe.elf`.
# Built with Debian's gnu-efi: ELF shared object linked against its crt0
# and linker script, then objcopy'd to a PE32+ EFI application.

.PHONY: efi esp floors

EFI_OUT      := $(BUILD)/x86_64/efi
FLOOR_OUT    := $(BUILD)/x86_64/floor
EFI_LOADER   := $(EFI_OUT)/BOOTX64.EFI
ESP_IMG      := $(BUILD)/x86_64/esp.img
ESP_KERNEL   ?= $(BUILD)/x86_64/quire.elf
ESP_KIB      := 32768
GNUEFI_LIB   := /usr/lib
GNUEFI_INC   := /usr/include/efi

EFI_CFLAGS   := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fpic -fshort-wchar \
                -mno-red-zone -maccumulate-outgoing-args -fno-stack-protector \
                -fno-stack-check -fno-strict-aliasing \
                -DGNU_EFI_USE_MS_ABI -DEFI_FUNCTION_WRAPPER \
                -I$(GNUEFI_INC) -I$(GNUEFI_INC)/x86_64 -Iinclude -Iarch/x86_64/include
EFI_LDFLAGS  := -nostdlib -znocombreloc -shared -Bsymbolic \
                -T $(GNUEFI_LIB)/elf_x86_64_efi.lds
EFI_SECTIONS := -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym \
                -j .rel -j .rela -j '.rel.*' -j '.rela.*' -j .reloc
EFI_LIBS     := -L$(GNUEFI_LIB) -lefi -lgnuefi

EFI_SRCS     := arch/x86_64/boot/efi/main.c arch/x86_64/boot/efi/elf.c \
                arch/x86_64/boot/efi/memmap.c arch/x86_64/fw_cfg.c
EFI_OBJS     := $(patsubst %.c,$(EFI_OUT)/%.o,$(notdir $(EFI_SRCS)))
EFI_HDRS     := arch/x86_64/boot/efi/loader.h arch/x86_64/include/asm/boot_info.h \
                arch/x86_64/include/asm/fw_cfg.h

efi: $(EFI_LOADER)
esp: $(ESP_IMG)

$(EFI_OUT)/%.o: arch/x86_64/boot/efi/%.c $(EFI_HDRS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(EFI_CFLAGS) -c $< -o $@

$(EFI_OUT)/fw_cfg.o: arch/x86_64/fw_cfg.c arch/x86_64/include/asm/fw_cfg.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(EFI_CFLAGS) -c $< -o $@

# $(call efi_link,objs,out.efi): gnu-efi shared object -> PE32+ application.
define efi_link
	$(Q)$(LD) $(EFI_LDFLAGS) $(GNUEFI_LIB)/crt0-efi-x86_64.o $(1) $(EFI_LIBS) -o $(2:.efi=.so)
	$(Q)objcopy $(EFI_SECTIONS) --target efi-app-x86_64 --subsystem=10 $(2:.efi=.so) $(2)
endef

$(EFI_LOADER): $(EFI_OBJS)
	$(call efi_link,$^,$(EFI_OUT)/BOOTX64.efi)
	$(Q)mv $(EFI_OUT)/BOOTX64.efi $@

# $(call make_esp,out.img,loader.efi,kernel or empty): FAT image, no root.
# mkfs.fat -C creates the file; mtools writes into it without mounting.
define make_esp
	@rm -f $(1).tmp
	$(Q)mkfs.fat -C -n QUIRE-ESP $(1).tmp $(ESP_KIB) >/dev/null
	$(Q)MTOOLS_SKIP_CHECK=1 mmd -i $(1).tmp ::/EFI ::/EFI/BOOT
	$(Q)MTOOLS_SKIP_CHECK=1 mcopy -i $(1).tmp $(2) ::/EFI/BOOT/BOOTX64.EFI
	$(if $(3),$(Q)MTOOLS_SKIP_CHECK=1 mcopy -i $(1).tmp $(3) ::/kernel.elf)
	$(Q)mv $(1).tmp $(1)
endef

# kernel.elf on the ESP carries symbols but no DWARF: less for OVMF to read.
$(BUILD)/x86_64/esp-kernel.elf: $(ESP_KERNEL)
	@mkdir -p $(dir $@)
	$(Q)objcopy --strip-debug $< $@

$(ESP_IMG): $(EFI_LOADER) $(BUILD)/x86_64/esp-kernel.elf
	$(call make_esp,$@,$(EFI_LOADER),$(BUILD)/x86_64/esp-kernel.elf)

# ---- floors: QEMU's own boot cost, for `make bench` ----------------------

floors: $(FLOOR_OUT)/pvh-floor $(BUILD)/x86_64/floor-esp.img \
        $(BUILD)/x86_64/probe-esp.img

$(FLOOR_OUT)/pvh-floor: tools/floor/pvh-floor.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) -c $< -o $@.o
	$(Q)$(LD) -m elf_x86_64 -nostdlib -static -Ttext=0x100000 -e pvh_start $@.o -o $@

$(FLOOR_OUT)/efi-floor.o: tools/floor/efi-floor.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(EFI_CFLAGS) -c $< -o $@

$(FLOOR_OUT)/efi-floor.efi: $(FLOOR_OUT)/efi-floor.o
	$(call efi_link,$^,$@)

$(BUILD)/x86_64/floor-esp.img: $(FLOOR_OUT)/efi-floor.efi
	$(call make_esp,$@,$<,)

# uefi-probe: a tiny 64-bit "kernel" that checks the boot_info it is given.
PROBE_CFLAGS := -std=gnu11 -O2 $(WARN) -ffreestanding -fno-pic -fno-pie \
                -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
                -Iinclude -Iarch/x86_64/include

$(FLOOR_OUT)/uefi-probe.elf: tools/floor/uefi-probe.c tools/floor/uefi-probe.lds \
                             arch/x86_64/include/asm/boot_info.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(PROBE_CFLAGS) -c $< -o $@.o
	$(Q)$(LD) -m elf_x86_64 -nostdlib -static -z max-page-size=4096 \
		-T tools/floor/uefi-probe.lds $@.o -o $@

$(BUILD)/x86_64/probe-esp.img: $(EFI_LOADER) $(FLOOR_OUT)/uefi-probe.elf
	$(call make_esp,$@,$(EFI_LOADER),$(FLOOR_OUT)/uefi-probe.elf)
