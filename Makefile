# Quire - top-level build.
#
#   make run      install what is missing, build, boot Quire (UEFI) in QEMU
#   make test     install what is missing, build, run every test
#   make bench    benchmarks (ratios taken in one run)
#   make debug    boot with QEMU's gdb stub
#   make deps     install build/run dependencies (Debian packages)
#   make format   clang-format the C lines changed since .clang-format came
#   make fuzz     libFuzzer on qlfs mount-and-walk until stopped (FUZZ_TIME=S)
#
# Layout of build/:  build/x86_64/ (kernel, loader, ESP image),
#                    build/host/<variant>/ (the core as a Linux program).

BUILD     ?= build
V         ?= 0
Q         := $(if $(filter 1,$(V)),,@)
CC        ?= gcc
ifeq ($(origin CC),default)
CC        := gcc
endif
HOST_CC   ?= gcc

# Sources of the portable core: compiled unchanged for every arch.
CORE_DIRS := kernel mm block fs lib net
CORE_SRCS := $(sort $(foreach d,$(CORE_DIRS),$(shell find $(d) -name '*.c' 2>/dev/null)))

# Networking (net/lwip/build.mk): lwIP's sources, fetched into $(BUILD)/lwip
# at the first build, and Quire's port join CORE_SRCS; without them Quire
# builds without networking. `make lwip` fetches again.
include net/lwip/build.mk

WARN      := -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
             -Wno-missing-field-initializers -Werror=implicit-function-declaration \
             -Werror=return-type -Werror=incompatible-pointer-types

.PHONY: all run test bench debug deps format format-all clean help check-deps
all: kernel host

help:
	@sed -n '3,10p' Makefile

deps:
	$(Q)tools/deps.sh install

check-deps:
	$(Q)tools/deps.sh check

include arch/x86_64/build.mk
include arch/host/build.mk
include tests/build.mk
include tools/build.mk

# Networking: lwIP and its port compile freestanding with their own include
# paths (net/lwip/build.mk); the host link needs libslirp (arch/host/build.mk).
$(X86_BUILD)/net/lwip/%.o $(X86_BUILD)/net/http/%.o $(X86_BUILD)/$(LWIP_DIR)/%.o: X86_EXTRA = $(NET_LWIP_CFLAGS)
$(foreach v,$(HOST_VARIANTS),$(BUILD)/host/$(v)/net/lwip/%.o $(BUILD)/host/$(v)/net/http/%.o $(BUILD)/host/$(v)/$(LWIP_DIR)/%.o): \
	HOST_EXTRA = $(NET_LWIP_CFLAGS)

# Run targets (owner: tools). QUIRE_FLAGS adds launcher options, e.g.
# make run QUIRE_FLAGS="--smp 4 --numa 2"; see tools/quire --help.
QUIRE_FLAGS ?=
# The launcher formats build/disk.img with mkfs.qlfs when it holds no file
# system (tools/quire --help, --disk).
run: deps all esp $(BUILD)/host/plain/mkfs.qlfs
	$(Q)tools/quire --boot uefi --smp 2 --numa 2 $(QUIRE_FLAGS)

debug: deps all
	$(Q)tools/quire --boot direct --gdb $(QUIRE_FLAGS)

bench: deps all esp floors tools
	$(Q)tools/deps.sh install-bench
	$(Q)python3 tools/bench

# Lines changed since .clang-format came (what make test checks); format-all
# reformats every file (a large diff: the tree predates .clang-format).
format:
	$(Q)tools/format-check --fix

format-all:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^arch/x86_64/boot/efi/')

clean:
	rm -rf $(BUILD)

# Power cut at every write (PC, issue 11; docs/qlfs-crash.md): every workload
# of 1 and 2 operations and CRASHTEST_THREE of 3 drawn by CRASHTEST_SEED, cut
# after every block write; prints the workloads, cut points and images it
# checked, and a re-run command per failing image. make test runs a sample.
CRASHTEST_SEED  ?= 1
CRASHTEST_THREE ?= 300
.PHONY: crashtest
crashtest: host
	$(Q)$(BUILD)/host/plain/quire-host --exec "crashsweep --all --three $(CRASHTEST_THREE) --seed $(CRASHTEST_SEED)"

# Seeded scheduling points (docs/host.md "Scheduling points").
#   make stress      the "stress" suite over many seeds on quire-host
#                    (tools/stress-sweep; STRESS_FLAGS="--seeds 1000 --first")
#   make kernel-sp   a debug kernel in build/sp/ whose points are on when
#                    booted with sched_points=N: QUIRE_KERNEL=build/sp/x86_64/quire.elf
STRESS_FLAGS ?= --seeds 200
.PHONY: stress kernel-sp
stress: host
	$(Q)python3 tools/stress-sweep $(STRESS_FLAGS)

kernel-sp:
	$(Q)$(MAKE) --no-print-directory kernel BUILD=$(BUILD)/sp SCHED_POINTS=1

ifeq ($(SCHED_POINTS),1)
X86_CFLAGS += -DCONFIG_SCHED_POINTS
endif

# The model test through qlfs-fuse (issue 11, part PX; docs/qlfs-tools.md):
# 1 000 000 operations on a qlfs-fuse mount, remounted with fsck 1 step in
# 50 000, the whole tree compared 1 in 2000, fsck clean at the end. A prerequisite of crashtest (whose recipe is
# the power-cut sweep's); FUSE_MODEL_SEED picks the seed (default: the time).
FUSE_MODEL_SEED ?= $(shell date +%s)
.PHONY: crashtest crashtest-fuse-model
crashtest: crashtest-fuse-model
crashtest-fuse-model: $(BUILD)/host/plain/vfs-fuse-test $(BUILD)/host/plain/qlfs-fuse \
		$(BUILD)/host/plain/mkfs.qlfs $(BUILD)/host/plain/fsck.qlfs
	$(Q)$(BUILD)/host/plain/vfs-fuse-test --dir $(BUILD)/vfs-fuse-test/crashtest \
		--seed $(FUSE_MODEL_SEED) --remount 50000 --check 2000 model 1000000

# FZ (issue 11): the libFuzzer target on qlfs mount-and-walk
# (docs/qlfs-fuzz.md). Built by clang (tools/deps.sh install-fuzz, not in
# make deps) with ASan+UBSan and libFuzzer's coverage into build/fuzz/:
# quire-host's sources but main.c, and arch/host/tools/qlfs_fuzz_main.c.
#   make fuzz                 until stopped (Ctrl-C)
#   make fuzz FUZZ_TIME=60    for 60 seconds
#   FUZZ_FLAGS="-jobs=2"      more libFuzzer options
# Its corpus is build/fuzz/corpus; crashes land in build/fuzz/ (crash-*).
FUZZ_CC     ?= clang
FUZZ_TIME   ?= 0
FUZZ_FLAGS  ?=
FUZZ_DIR    := $(BUILD)/fuzz
FUZZ_SAN    := -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined \
               -fno-sanitize=null
FUZZ_RT     = $(shell $(FUZZ_CC) -print-resource-dir)/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a
FUZZ_SRCS   := $(filter-out arch/host/main.c,$(HOST_SRCS)) arch/host/tools/qlfs_fuzz_main.c
FUZZ_OBJS   := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_SRCS))

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC [fuzz] $<"
	$(Q)$(FUZZ_CC) $(HOST_CFLAGS) -Wno-unknown-warning-option $(FUZZ_SAN) -MMD -MP -c $< -o $@

$(FUZZ_DIR)/qlfs-fuzz: $(FUZZ_OBJS)
	@echo "  LD [fuzz] $@"
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -o $@ $^ $(FUZZ_RT) $(HOST_LIBS) -lstdc++ -lm

-include $(FUZZ_OBJS:.o=.d)

.PHONY: fuzz fuzz-build
fuzz-build:
	$(Q)tools/deps.sh install-fuzz
	$(Q)$(MAKE) --no-print-directory $(FUZZ_DIR)/qlfs-fuzz

fuzz: fuzz-build
	$(Q)mkdir -p $(FUZZ_DIR)/corpus
	$(Q)$(FUZZ_DIR)/qlfs-fuzz -max_total_time=$(FUZZ_TIME) -timeout=30 -max_len=256 -len_control=0 \
		-artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_FLAGS) $(FUZZ_DIR)/corpus
