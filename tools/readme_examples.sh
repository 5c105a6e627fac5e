#!/bin/bash
# Runs every shell example of README.md, so none can rot:
#   tools/readme_examples.sh [BUILD]       (root, from any directory)
# An example is a line of a ```sh block (lines ending in \ continue it);
# ```text blocks are synopses and are not run. Examples run in order (a later
# one may read what an earlier one wrote) in a scratch directory where
# build/ is the build, with the built bpfprof first in PATH and the demo
# server (build/targets/demo_server) running, as the README says. `make deps`/`make test` lines are CI's own
# steps and are not run again here. Each example must exit 0 within
# EXAMPLE_TIMEOUT seconds (default 60; then it gets SIGINT, as from Ctrl-C,
# and must still finish cleanly).
# Prints each example's result and one closing line: N passed, N failed.
set -u
cd "$(dirname "$0")/.." || exit 2
build=${1:-build}
timeout_s=${EXAMPLE_TIMEOUT:-60}
[ -x "$build/bpfprof" ] && [ -x "$build/targets/demo_server" ] || {
	echo "readme_examples: build $build/bpfprof and $build/targets/demo_server first" >&2
	exit 2
}
src=$PWD
export PATH="$src/$build:$PATH"
logs=$(mktemp -d)
scratch=$(mktemp -d)
ln -s "$src/$build" "$scratch/build"
"$build/targets/demo_server" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$logs" "$scratch"' EXIT
sleep 0.2

# The examples, one per line, continuations joined.
mapfile -t examples < <(awk '
	/^```sh[ \t]*$/ { inblock = 1; next }
	/^```/ { inblock = 0; next }
	inblock {
		line = $0
		if (cont != "") { line = cont " " line; cont = "" }
		if (line ~ /\\[ \t]*$/) { sub(/\\[ \t]*$/, "", line); cont = line; next }
		if (line ~ /^[ \t]*(#|$)/) next
		print line
	}' "$src/README.md")
cd "$scratch" || exit 2

passed=0 failed=0
for i in "${!examples[@]}"; do
	ex=${examples[$i]}
	case "$ex" in
	make\ deps* | make\ test*) continue ;;
	esac
	log=$logs/example-$i.log
	timeout --preserve-status -s INT "$timeout_s" bash -c "$ex" </dev/null >"$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok      $ex"
	else
		failed=$((failed + 1))
		echo "FAILED  $ex (exit $rc); its output:"
		tail -n 20 "$log" | sed 's/^/    /'
	fi
done
if ! kill -0 $server 2>/dev/null; then
	echo "FAILED  the demo server died during the examples"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
