# net/lwip/build.mk - lwIP (Debian's source package, fetched into
# $(BUILD)/lwip/src by tools/fetch-lwip) and Quire's port of it (net/lwip/).
# Included by the Makefile after CORE_SRCS, before the arch build files.
#
# The first build fetches lwIP (a few seconds); a machine that cannot gets
# $(BUILD)/lwip/unavailable with the reason, builds Quire without
# networking, and tests/run says once that the network tests were skipped.
# `make lwip` fetches again (LWIP_ORIG=tarball for an offline machine).
#
# lwIP and the port are compiled freestanding on both arches (-nostdinc,
# the compiler's own headers, net/lwip/include/compat), so lwIP never
# reaches the host's libc and sees the same headers as on x86_64.

LWIP_VERSION := 2.1.3
LWIP_DIR     := $(BUILD)/lwip/src
LWIP_STAMP   := $(LWIP_DIR)/.quire-lwip-$(LWIP_VERSION)
NET_LWIP_PORT_SRCS := $(sort $(wildcard net/lwip/*.c))
# The HTTP file service (net/http/, docs/net-http.md) runs on the port.
NET_HTTP_SRCS      := $(sort $(wildcard net/http/*.c))

# A sub-make with another BUILD (make kernel-sp: build/sp) unpacks the
# tarball this one fetched rather than fetching again.
ifneq ($(wildcard $(BUILD)/lwip/lwip_$(LWIP_VERSION)+dfsg1.orig.tar.xz),)
export LWIP_ORIG ?= $(abspath $(BUILD)/lwip/lwip_$(LWIP_VERSION)+dfsg1.orig.tar.xz)
endif

# Fetch on the first build (not for clean/help/format, not again after a
# recorded failure: `make lwip` retries).
LWIP_NO_FETCH_GOALS := clean help format format-all lwip test-list
ifeq ($(filter $(LWIP_NO_FETCH_GOALS),$(MAKECMDGOALS)),)
ifeq ($(wildcard $(LWIP_STAMP) $(BUILD)/lwip/unavailable),)
$(shell tools/fetch-lwip $(BUILD) >&2)
endif
endif

CORE_SRCS := $(filter-out $(NET_LWIP_PORT_SRCS) $(NET_HTTP_SRCS),$(CORE_SRCS))
ifneq ($(wildcard $(LWIP_STAMP)),)
NET_LWIP := 1
LWIP_SRCS := $(addprefix $(LWIP_DIR)/,\
	core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
	core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c core/tcp.c \
	core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c \
	core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c \
	core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c \
	api/api_lib.c api/api_msg.c api/netbuf.c api/netifapi.c api/tcpip.c \
	netif/ethernet.c)
CORE_SRCS += $(NET_LWIP_PORT_SRCS) $(NET_HTTP_SRCS) $(LWIP_SRCS)
else
NET_LWIP :=
endif

NET_LWIP_CFLAGS = -nostdinc -isystem $(shell $(CC) -print-file-name=include) -ffreestanding \
                  -Inet/lwip/include -Inet/lwip/include/compat -I$(LWIP_DIR)/include \
                  -Wno-address -Wno-type-limits -Wno-unused-but-set-variable

.PHONY: lwip
lwip:
	$(Q)rm -f $(BUILD)/lwip/unavailable
	$(Q)tools/fetch-lwip $(BUILD)
