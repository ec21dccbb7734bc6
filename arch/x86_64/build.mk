# arch/x86_64: the kernel ELF (PVH-bootable and loaded by the UEFI loader).
#
#   make kernel    build/x86_64/quire.elf
#
# The kernel is linked twice: pass 1 without symbols, then `nm` feeds
# arch/x86_64/tools/kallsyms.py which emits a sorted table of text symbols
# (build/x86_64/kallsyms.S), and pass 2 links it in. The table lives in its
# own section after .text and .rodata, so adding it moves no function: the
# addresses of pass 1 are those of pass 2 (checked by comparing nm output).

X86_BUILD   := $(BUILD)/x86_64
X86_CC      := $(CC)
X86_LD      := ld
X86_NM      := nm
# The compiler's own header directory. Evaluated on first use, not when the
# Makefile is read: on a fresh machine `make test`/`make run` install gcc
# (the deps target) after parsing and before the first compile.
X86_GCCINC   = $(eval X86_GCCINC := $(shell $(X86_CC) -print-file-name=include))$(X86_GCCINC)

X86_CFLAGS   = -std=gnu11 -ffreestanding -nostdinc -isystem $(X86_GCCINC) \
               -mno-red-zone -mcmodel=kernel -mgeneral-regs-only -fno-pic \
               -fno-stack-protector -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
               -fno-asynchronous-unwind-tables -fno-strict-aliasing \
               -fno-tree-loop-distribute-patterns \
               -mno-mmx -mno-sse -mno-sse2 -O2 -g $(WARN) \
               -Iinclude -Iarch/x86_64/include -DARCH_X86_64
X86_ASFLAGS := -D__ASSEMBLY__ -Iinclude -Iarch/x86_64/include -g
X86_LDFLAGS := -nostdlib -z max-page-size=4096 -z noexecstack --no-warn-rwx-segments \
               -T arch/x86_64/kernel.ld

X86_ARCH_SRCS := $(sort $(shell find arch/x86_64 -path arch/x86_64/boot/efi -prune -o \
                   \( -name '*.c' -o -name '*.S' \) -print))
X86_DRV_SRCS  := $(sort $(shell find drivers -name '*.c' 2>/dev/null))
X86_SRCS      := $(CORE_SRCS) $(X86_ARCH_SRCS) $(X86_DRV_SRCS)
X86_OBJS      := $(patsubst %,$(X86_BUILD)/%.o,$(basename $(X86_SRCS)))
X86_UAPI      := $(X86_BUILD)/uapi

$(X86_BUILD)/drivers/%.o: X86_EXTRA := -isystem $(X86_UAPI)

$(X86_BUILD)/%.o: %.c | $(X86_UAPI)/linux
	@mkdir -p $(dir $@)
	@echo "  CC [x86_64] $<"
	$(Q)$(X86_CC) $(X86_CFLAGS) $(X86_EXTRA) -MMD -MP -c $< -o $@

$(X86_BUILD)/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS [x86_64] $<"
	$(Q)$(X86_CC) $(X86_ASFLAGS) -MMD -MP -c $< -o $@

# Linux UAPI headers (virtio ring layouts etc.) for drivers/ only.
$(X86_UAPI)/linux:
	@mkdir -p $(X86_UAPI)
	$(Q)ln -sfn /usr/include/linux $(X86_UAPI)/linux
	$(Q)ln -sfn /usr/include/x86_64-linux-gnu/asm $(X86_UAPI)/asm
	$(Q)ln -sfn /usr/include/asm-generic $(X86_UAPI)/asm-generic

$(X86_BUILD)/kallsyms.o $(X86_BUILD)/kallsyms0.o: %.o: %.S
	$(Q)$(X86_CC) $(X86_ASFLAGS) -c $< -o $@

# Pass 1: an empty symbol table.
$(X86_BUILD)/kallsyms0.S: arch/x86_64/tools/kallsyms.py
	@mkdir -p $(dir $@)
	$(Q)python3 $< < /dev/null > $@

$(X86_BUILD)/quire.pass1.elf: $(X86_OBJS) $(X86_BUILD)/kallsyms0.o arch/x86_64/kernel.ld
	@echo "  LD [x86_64] $@"
	$(Q)$(X86_LD) $(X86_LDFLAGS) -o $@ $(X86_OBJS) $(X86_BUILD)/kallsyms0.o

$(X86_BUILD)/kallsyms.S: $(X86_BUILD)/quire.pass1.elf arch/x86_64/tools/kallsyms.py
	$(Q)$(X86_NM) -n $< | python3 arch/x86_64/tools/kallsyms.py > $@

$(X86_BUILD)/quire.elf: $(X86_OBJS) $(X86_BUILD)/kallsyms.o arch/x86_64/kernel.ld
	@echo "  LD [x86_64] $@"
	$(Q)$(X86_LD) $(X86_LDFLAGS) -o $@ $(X86_OBJS) $(X86_BUILD)/kallsyms.o
	$(Q)$(X86_NM) -n $(X86_BUILD)/quire.pass1.elf | grep -i ' t ' > $(X86_BUILD)/syms1.txt
	$(Q)$(X86_NM) -n $@ | grep -i ' t ' > $(X86_BUILD)/syms2.txt
	$(Q)cmp -s $(X86_BUILD)/syms1.txt $(X86_BUILD)/syms2.txt || \
		{ echo "kallsyms: text moved between link passes"; rm -f $@; exit 1; }

.PHONY: kernel
kernel: $(X86_BUILD)/quire.elf

$(X86_OBJS): arch/x86_64/build.mk

-include $(patsubst %.o,%.d,$(X86_OBJS))

# The UEFI loader, ESP image and boot-time floors.
-include arch/x86_64/boot/efi/build.mk
