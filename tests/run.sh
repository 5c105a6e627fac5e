#!/bin/bash
# Runs every test binary in BUILD/tests (unit tests first, then the
# integration tests that load BPF) and prints one closing line:
#   N passed, N failed, N skipped
# Exits non-zero if any test failed or any binary died without finishing.
set -u
build=${1:-build}
cd "$(dirname "$0")/.." || exit 2
export BPFPROF_BUILD=$build BPFPROF_SRC=$PWD
passed=0 failed=0 skipped=0 broken=0

bins=$(ls "$build"/tests/test_* 2>/dev/null | grep -v '\.o$' | sort)
# Integration tests (they load BPF) after the unit tests.
ordered=$(echo "$bins" | grep -v integration; echo "$bins" | grep integration)
for t in $ordered; do
	[ -x "$t" ] || continue
	echo "=== $t"
	out=$("$t" 2>&1)
	rc=$?
	echo "$out"
	p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	s=$(echo "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	skipped=$((skipped + ${s:-0}))
	if [ -z "$p$f" ] || { [ "$rc" -ne 0 ] && [ -z "$f" ]; }; then
		echo "!!! $t exited $rc without finishing its tests"
		broken=$((broken + 1))
	fi
done
[ "$broken" -gt 0 ] && failed=$((failed + broken))
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
