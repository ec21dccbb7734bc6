# tools/: Linux host programs built with the host compiler, outside the
# Quire core (they link no kernel code). `make tools` builds them all.
#   build/tools/futexbench   scheduler benchmarks on Linux threads
#                            (tools/bench's floor for `bench ctxsw/wakeup`)

TOOLS_CFLAGS := -std=gnu11 -O2 -g $(WARN)

$(BUILD)/tools/futexbench: tools/futexbench.c tools/build.mk
	@mkdir -p $(dir $@)
	@echo "  CC [tools] $@"
	$(Q)$(HOST_CC) $(TOOLS_CFLAGS) -o $@ $< -lpthread

.PHONY: tools
tools: $(BUILD)/tools/futexbench
