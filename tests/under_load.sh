#!/bin/bash
# Runs a test command RUNS times in a row while a load generator keeps every
# CPU busy: a test that waits on time instead of on what it means fails here.
#   tests/under_load.sh RUNS COMMAND...      (make test-under-load: make test, 5 runs)
# Stops at the first failing run and names it; exits 1 if any run failed.
# Each run's output is in build/under-load/run-N.log.
set -u
runs=${1:?usage: tests/under_load.sh RUNS COMMAND...}
shift
[ $# -ge 1 ] || { echo "usage: tests/under_load.sh RUNS COMMAND..." >&2; exit 2; }
cd "$(dirname "$0")/.." || exit 2
logs=${BPFPROF_BUILD:-build}/under-load
mkdir -p "$logs"
cpus=$(nproc)
load_pids=()

stop_load() {
	[ ${#load_pids[@]} -gt 0 ] && kill "${load_pids[@]}" 2>/dev/null
	wait "${load_pids[@]}" 2>/dev/null
	load_pids=()
}
trap stop_load EXIT
trap 'exit 130' INT TERM

# stress-ng (in DEB_PACKAGES) spins one worker per CPU; a shell loop per CPU
# does the same where it is missing.
if command -v stress-ng >/dev/null; then
	stress-ng --cpu "$cpus" --cpu-method matrixprod --timeout 24h --quiet &
	load_pids+=($!)
	load="stress-ng --cpu $cpus"
else
	for _ in $(seq "$cpus"); do
		(while :; do :; done) &
		load_pids+=($!)
	done
	load="$cpus busy loops"
fi
echo "=== under load ($load): $runs runs of: $*"
for run in $(seq "$runs"); do
	log=$logs/run-$run.log
	start=$SECONDS
	"$@" > "$log" 2>&1
	rc=$?
	echo "run $run of $runs: exit $rc in $((SECONDS - start)) s: $(tail -n 1 "$log")"
	if [ $rc -ne 0 ]; then
		grep -E '^\[  (FAILED|ERROR) |^ERROR:|^!!!' "$log" | head -n 20
		echo "!!! under load: run $run of $runs failed (output in $log)"
		exit 1
	fi
done
echo "under load: all $runs runs passed"
