# tests: `make test` builds everything and runs tests/run, which prints each
# case's KTAP line and ends with "N passed, N failed".
.PHONY: test test-host
test: deps all host-all
	$(Q)python3 tests/run

test-host: host-all
	$(Q)python3 tests/run --only host
