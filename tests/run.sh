#!/bin/bash
# Runs the test binaries of BUILD/tests/unit, then those of
# BUILD/tests/integration (they load BPF as root), or of the one GROUP
# named, and prints one closing line:
#   tests/run.sh BUILD [unit|integration]
#   N passed, N failed, N skipped
# Exits non-zero if any test failed or any binary died without finishing.
set -u
build=${1:-build}
groups=${2:-unit integration}
cd "$(dirname "$0")/.." || exit 2
export BPFPROF_BUILD=$build BPFPROF_SRC=$PWD
passed=0 failed=0 skipped=0 broken=0

ordered=$(for g in $groups; do ls "$build/tests/$g"/test_* 2>/dev/null | grep -v '\.[od]$' | sort; done)
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
