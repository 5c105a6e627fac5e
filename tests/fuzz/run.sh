#!/bin/bash
# Runs libFuzzer harnesses for a bounded time from the committed seeds.
#   tests/fuzz/run.sh BUILD SECONDS NAME...
# Each NAME is BUILD/fuzz/fuzz_NAME with seeds in tests/fuzz/corpus/NAME/.
# New inputs go to BUILD/fuzz/work/NAME (kept between runs, never into the
# committed corpus); a crash is saved under BUILD/fuzz/crashes/ and named on
# the last line. Exits non-zero if any harness found a crash or leak.
set -u
build=$1 seconds=$2
shift 2
cd "$(dirname "$0")/../.." || exit 2
rc=0
for name in "$@"; do
	bin=$build/fuzz/fuzz_$name seeds=tests/fuzz/corpus/$name
	work=$build/fuzz/work/$name crashes=$build/fuzz/crashes/$name
	mkdir -p "$work" "$crashes"
	opts=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
		-artifact_prefix="$crashes/" -print_final_stats=1)
	[ -f "tests/fuzz/$name.dict" ] && opts+=(-dict="tests/fuzz/$name.dict")
	echo "=== fuzz $name: ${seconds}s"
	# The seeds are replayed first: a committed crash input fails at once.
	"$bin" "${opts[@]}" "$work" "$seeds" 2>&1 | grep -v -e '^#[0-9]' -e '^"' -e '^######'
	st=${PIPESTATUS[0]}
	if [ "$st" -ne 0 ]; then
		echo "!!! fuzz $name failed (exit $st); inputs in $crashes/"
		rc=1
	else
		echo "fuzz $name: ok"
	fi
done
exit $rc
