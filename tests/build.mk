# tests: `make test` installs what is missing, builds everything and runs
# tests/run, which prints each case's KTAP-style line and ends with
# "N passed, N failed". TEST_FLAGS passes options to tests/run, e.g.
#   make test TEST_FLAGS="--only boot"
# See docs/testing.md.
TEST_FLAGS ?= --keep-going
.PHONY: test test-host test-list
test: deps all esp host-all kernel-sp
	$(Q)python3 tests/run $(TEST_FLAGS)

test-host: host-all
	$(Q)python3 tests/run --only host $(TEST_FLAGS)

test-list:
	$(Q)python3 tests/run --list
