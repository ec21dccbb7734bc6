# Quire - top-level build.
#
#   make run      install what is missing, build, boot Quire (UEFI) in QEMU
#   make test     install what is missing, build, run every test
#   make bench    benchmarks (ratios taken in one run)
#   make debug    boot with QEMU's gdb stub
#   make deps     install build/run dependencies (Debian packages)
#   make format   clang-format the C lines changed since .clang-format came
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
$(X86_BUILD)/net/lwip/%.o $(X86_BUILD)/$(LWIP_DIR)/%.o: X86_EXTRA = $(NET_LWIP_CFLAGS)
$(foreach v,$(HOST_VARIANTS),$(BUILD)/host/$(v)/net/lwip/%.o $(BUILD)/host/$(v)/$(LWIP_DIR)/%.o): \
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
