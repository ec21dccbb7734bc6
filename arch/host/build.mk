# arch/host: the portable core built as a Linux program (tests, fuzzing,
# host tools). Variants: plain, asan (Address+UndefinedBehaviorSanitizer),
# tsan (ThreadSanitizer).

# Every driver builds here too (they reach the machine only through
# include/arch/: MMIO by <arch/io.h>): PCI enumerates arch/host/pci.c's
# fake ECAM, and the pci, virtio and virtio_blk suites run under the
# sanitizers (virtio_blk's fake-device cases; its cases for real disks
# find none here).
HOST_DRV_SRCS := $(sort $(shell find drivers -name '*.c' 2>/dev/null))
# The network link (slirp_net.c, docs/net.md) needs libslirp (Debian:
# libslirp-dev, in make deps); without it quire-host has no network device.
# (Not pkg-config: slirp.pc names glib, which libslirp's header does not need.)
SLIRP_LIBS   := $(if $(wildcard /usr/include/slirp/libslirp.h),-lslirp)
HOST_ARCH_SRCS := $(sort $(wildcard arch/host/*.c))
ifeq ($(SLIRP_LIBS),)
HOST_ARCH_SRCS := $(filter-out arch/host/slirp_net.c,$(HOST_ARCH_SRCS))
endif
HOST_SRCS   := $(CORE_SRCS) $(HOST_ARCH_SRCS) $(HOST_DRV_SRCS)
HOST_CFLAGS := -std=gnu11 -g -O1 $(WARN) -Iinclude -Iarch/host/include \
               -fno-omit-frame-pointer -D_GNU_SOURCE -DARCH_HOST
HOST_LIBS   := -lpthread -ldl -rdynamic $(SLIRP_LIBS)

# asan leaves out UBSan's null check: a NULL dereference must fault into
# the kernel-style panic report (exit 100), as `crash null` does on x86.
HOST_VARIANTS := plain asan tsan
host_flags_plain :=
host_flags_asan  := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                    -fno-sanitize=null
host_flags_tsan  := -fsanitize=thread

define host_variant
$(BUILD)/host/$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	@echo "  CC [host-$(1)] $$<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $$(HOST_EXTRA) $(host_flags_$(1)) -MMD -MP -c $$< -o $$@

$(BUILD)/host/$(1)/quire-host: $(patsubst %.c,$(BUILD)/host/$(1)/%.o,$(HOST_SRCS))
	@echo "  LD [host-$(1)] $$@"
	$(Q)$(HOST_CC) $(host_flags_$(1)) -o $$@ $$^ $(HOST_LIBS)

-include $(patsubst %.c,$(BUILD)/host/$(1)/%.d,$(HOST_SRCS))

# The qlfs host tools: quire-host's objects but main.o, and their own
# main (arch/host/tools/qlfs_tool.c, once per tool).
$(BUILD)/host/$(1)/tools/%.qlfs.o: arch/host/tools/qlfs_tool.c
	@mkdir -p $$(dir $$@)
	@echo "  CC [host-$(1)] $$@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(host_flags_$(1)) \
		-DQLFS_TOOL_FSCK=$$(if $$(filter fsck,$$*),1,0) -MMD -MP -c $$< -o $$@

$(BUILD)/host/$(1)/%.qlfs: $(BUILD)/host/$(1)/tools/%.qlfs.o \
		$(filter-out $(BUILD)/host/$(1)/arch/host/main.o,$(patsubst %.c,$(BUILD)/host/$(1)/%.o,$(HOST_SRCS)))
	@echo "  LD [host-$(1)] $$@"
	$(Q)$(HOST_CC) $(host_flags_$(1)) -o $$@ $$^ $(HOST_LIBS)

-include $(BUILD)/host/$(1)/tools/mkfs.qlfs.d $(BUILD)/host/$(1)/tools/fsck.qlfs.d
endef
$(foreach v,$(HOST_VARIANTS),$(eval $(call host_variant,$(v))))

# qlfs-fuse and dump.qlfs (docs/qlfs-tools.md). qlfs-fuse: its libfuse half (qlfs_fuse.c, built with
# fuse3's flags) and kernel half (qlfs_fuse_kern.c), with quire-host's
# objects but main.o, linked with libfuse3.
FUSE_CFLAGS := $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_LIBS   := $(shell pkg-config --libs fuse3 2>/dev/null || echo -lfuse3)
define host_fuse_variant
$(BUILD)/host/$(1)/arch/host/tools/qlfs_fuse.o: arch/host/tools/qlfs_fuse.c
	@mkdir -p $$(dir $$@)
	@echo "  CC [host-$(1)] $$<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(FUSE_CFLAGS) $(host_flags_$(1)) -MMD -MP -c $$< -o $$@

$(BUILD)/host/$(1)/qlfs-fuse: $(BUILD)/host/$(1)/arch/host/tools/qlfs_fuse.o \
		$(BUILD)/host/$(1)/arch/host/tools/qlfs_fuse_kern.o \
		$(filter-out $(BUILD)/host/$(1)/arch/host/main.o,$(patsubst %.c,$(BUILD)/host/$(1)/%.o,$(HOST_SRCS)))
	@echo "  LD [host-$(1)] $$@"
	$(Q)$(HOST_CC) $(host_flags_$(1)) -o $$@ $$^ $(HOST_LIBS) $(FUSE_LIBS)

-include $(BUILD)/host/$(1)/arch/host/tools/qlfs_fuse.d $(BUILD)/host/$(1)/arch/host/tools/qlfs_fuse_kern.d

# dump.qlfs (docs/qlfs-tools.md): its own main, quire-host's objects but main.o.
$(BUILD)/host/$(1)/dump.qlfs: $(BUILD)/host/$(1)/arch/host/tools/dump_qlfs.o \
		$(BUILD)/host/$(1)/arch/host/tools/dump_qlfs_main.o \
		$(filter-out $(BUILD)/host/$(1)/arch/host/main.o,$(patsubst %.c,$(BUILD)/host/$(1)/%.o,$(HOST_SRCS)))
	@echo "  LD [host-$(1)] $$@"
	$(Q)$(HOST_CC) $(host_flags_$(1)) -o $$@ $$^ $(HOST_LIBS)

-include $(BUILD)/host/$(1)/arch/host/tools/dump_qlfs.d $(BUILD)/host/$(1)/arch/host/tools/dump_qlfs_main.d
endef
$(foreach v,plain asan,$(eval $(call host_fuse_variant,$(v))))

# vfs-fuse-test (issue 11, POSIX through FUSE: docs/qlfs-tools.md): the
# POSIX cases (fs/vfs_posix_cases.h) and the model test's runner
# (fs/vfs_model.c, fs/vfs_model_run.c) built over libc, not the core: the
# libc shim (arch/host/tools/libc/{quire,arch}/*.h -> vfs_libc.h) stands in
# for include/, and the objects have a directory of their own. The
# kernel's formatting (kernel/vsprintf.c: scnprintf()) is built in, so the
# runner's messages are formatted by the one definition the kernel uses.
VFS_FUSE_SRCS   := arch/host/tools/vfs_fuse_test.c fs/vfs_model.c fs/vfs_model_run.c \
                   kernel/vsprintf.c
VFS_FUSE_CFLAGS := -std=gnu11 -g -O1 $(WARN) -Iarch/host/tools/libc -fno-omit-frame-pointer \
                   -D_GNU_SOURCE
define host_vfs_fuse_variant
$(BUILD)/host/$(1)/vfs-fuse/%.o: %.c
	@mkdir -p $$(dir $$@)
	@echo "  CC [host-$(1) libc] $$<"
	$(Q)$(HOST_CC) $(VFS_FUSE_CFLAGS) $(host_flags_$(1)) -MMD -MP -c $$< -o $$@

$(BUILD)/host/$(1)/vfs-fuse-test: $(patsubst %.c,$(BUILD)/host/$(1)/vfs-fuse/%.o,$(VFS_FUSE_SRCS))
	@echo "  LD [host-$(1)] $$@"
	$(Q)$(HOST_CC) $(host_flags_$(1)) -o $$@ $$^

-include $(patsubst %.c,$(BUILD)/host/$(1)/vfs-fuse/%.d,$(VFS_FUSE_SRCS))
endef
$(foreach v,plain asan,$(eval $(call host_vfs_fuse_variant,$(v))))

# build/host/{plain,asan}/{mkfs,fsck}.qlfs (docs/qlfs.md); make test runs them.
HOST_TOOL_VARIANTS := plain asan
HOST_TOOLS := $(foreach v,$(HOST_TOOL_VARIANTS),$(BUILD)/host/$(v)/mkfs.qlfs $(BUILD)/host/$(v)/fsck.qlfs \
		$(BUILD)/host/$(v)/qlfs-fuse $(BUILD)/host/$(v)/dump.qlfs \
		$(BUILD)/host/$(v)/vfs-fuse-test)

.PHONY: host host-all host-tools
host: $(BUILD)/host/plain/quire-host
host-all: $(foreach v,$(HOST_VARIANTS),$(BUILD)/host/$(v)/quire-host) host-tools
host-tools: $(HOST_TOOLS)

# Host-level checks that need more than one run (tests/host_determinism.sh:
# same seed, same output byte for byte).
.PHONY: host-check
host-check: $(BUILD)/host/plain/quire-host
	$(Q)tests/host_determinism.sh $(BUILD)/host/plain/quire-host
