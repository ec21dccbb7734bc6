#!/bin/sh
# tests/host_determinism.sh - quire-host's deterministic mode replays exactly.
#
# Runs the same multi-CPU command twice per seed with --deterministic and
# compares the two outputs byte for byte. Prints KTAP; exit 0 when every
# seed replayed identically (and each run's exit status matched), else 1.
#
#   tests/host_determinism.sh [QUIRE_HOST] [CPUS] [SEEDS] [COMMANDS]
#   e.g. tests/host_determinism.sh build/host/plain/quire-host 4 "1 2 3" "test"
#
# A failing seed replays with: QUIRE_HOST --deterministic --seed S --cpus N --exec "..."
set -u
HOST=${1:-build/host/plain/quire-host}
CPUS=${2:-4}
SEEDS=${3:-"1 2 3 42 1234567"}
CMDS=${4:-"test"}
TIMEOUT=${TIMEOUT:-300}
# More quire-host options, e.g. HOST_FLAGS="--sched-points 4" (docs/host.md).
HOST_FLAGS=${HOST_FLAGS:-}

if [ ! -x "$HOST" ]; then
	echo "host_determinism: $HOST is not an executable (make host)" >&2
	exit 2
fi
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

n=0
for s in $SEEDS; do n=$((n + 1)); done
echo "KTAP version 1"
echo "1..$n"
i=0
failed=0
for s in $SEEDS; do
	i=$((i + 1))
	for run in a b; do
		# shellcheck disable=SC2086
		timeout "$TIMEOUT" "$HOST" --deterministic --seed "$s" --cpus "$CPUS" $HOST_FLAGS \
			--exec "$CMDS" >"$tmp/$run" 2>&1 </dev/null
		echo $? >"$tmp/$run.rc"
		# A line per run: tests/run's idle timer (300 s) sees progress (a whole
		# `test` takes 30 s beside other jobs, up to 2 minutes alone on this
		# 2-core VM: each hand-off then wakes an idle CPU).
		echo "# seed $s run $run: status $(cat "$tmp/$run.rc"), $(wc -l <"$tmp/$run") lines"
	done
	name="host_determinism_seed_${s}_cpus_${CPUS}_same_output"
	if cmp -s "$tmp/a" "$tmp/b" && cmp -s "$tmp/a.rc" "$tmp/b.rc"; then
		echo "ok $i $name # status $(cat "$tmp/a.rc"), $(wc -l <"$tmp/a") lines"
	else
		failed=$((failed + 1))
		echo "# replay: $HOST --deterministic --seed $s --cpus $CPUS $HOST_FLAGS --exec \"$CMDS\""
		echo "# exit statuses: $(cat "$tmp/a.rc") vs $(cat "$tmp/b.rc")"
		diff "$tmp/a" "$tmp/b" | head -20 | sed 's/^/# /'
		echo "not ok $i $name"
	fi
done
[ "$failed" -eq 0 ]
