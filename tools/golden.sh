#!/bin/bash
# Renders every committed report fixture in every output format, so a change
# that should leave outputs alone can be checked byte for byte:
#   tools/golden.sh BPFPROF OUTDIR          write the outputs into OUTDIR
#   tools/golden.sh --check BPFPROF         compare with tests/fixtures/golden
# The fixtures are tests/fixtures/report_run, tests/fixtures/report_run_wall (a run
# with the wall split, issue 18), tests/fixtures/report_run_usdt (-U hit counts)
# and tests/fuzz/corpus/report/*.
# The run's own outputs (flush record, summary, plain report, /metrics, live
# screens) are compared by tests/unit/test_golden_outputs.c with
# tests/fixtures/golden_outputs (GOLDEN_UPDATE=1 rewrites them).
# Exit status: 0 same, 1 different (the diff is printed), 2 usage.
set -u
cd "$(dirname "$0")/.." || exit 2
check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
[ $# -ge 1 ] || { echo "usage: tools/golden.sh [--check] BPFPROF [OUTDIR]" >&2; exit 2; }
bin=$(realpath "$1")
tmp_out=
if [ $check = 1 ]; then
	out=$(mktemp -d)
	tmp_out=$out
else
	out=${2:?usage: tools/golden.sh BPFPROF OUTDIR}
	mkdir -p "$out"
fi

render() { # name dir
	local name=$1 dir=$2 o=$out/$1
	mkdir -p "$o"
	"$bin" report "$dir" > "$o/text.txt" 2>&1; echo "exit $?" >> "$o/text.txt"
	"$bin" report "$dir" --top 2 > "$o/text-top2.txt" 2>&1; echo "exit $?" >> "$o/text-top2.txt"
	"$bin" report "$dir" --json > "$o/report.json" 2>&1; echo "exit $?" >> "$o/report.json"
	"$bin" report "$dir" --html "$o/report.html" > "$o/html.log" 2>&1; echo "exit $?" >> "$o/html.log"
	"$bin" report "$dir" --perfetto "$o/perfetto.json" > "$o/perfetto.log" 2>&1; echo "exit $?" >> "$o/perfetto.log"
	# Each trace the text report lists, as a tree.
	local id
	for id in $(sed -n '/^== Traces/,/^$/s/^  \([0-9a-f]\{6,\}\) .*/\1/p' "$o/text.txt"); do
		"$bin" report "$dir" --trace "$id" > "$o/trace-$id.txt" 2>&1
		echo "exit $?" >> "$o/trace-$id.txt"
	done
}

# A fuzz corpus input: the run directory's files separated by NUL bytes, a
# part "\x01fifo" a FIFO and "\x01link TARGET" a symlink
# (tests/fuzz/fuzz_report.c).
unpack() { # file dir
	python3 - "$1" "$2" <<'PY'
import os, sys
names = ["summary.json", "flushes.jsonl", "events.jsonl", "events.jsonl.1"]
parts = open(sys.argv[1], "rb").read().split(b"\0")
os.makedirs(sys.argv[2], exist_ok=True)
for name, part in zip(names, parts):
    path = os.path.join(sys.argv[2], name)
    if part == b"\x01fifo":
        os.mkfifo(path)
    elif part.startswith(b"\x01link ") and len(part) > 6:
        os.symlink(part[6:], path)
    elif part:
        open(path, "wb").write(part)
PY
}

render report_run tests/fixtures/report_run
render report_run_wall tests/fixtures/report_run_wall
render report_run_usdt tests/fixtures/report_run_usdt
# Unpacked under a fixed relative path: the reports print the directory.
runs=build/golden-runs
rm -rf "$runs"
trap 'rm -rf "$runs" $tmp_out' EXIT
for f in tests/fuzz/corpus/report/*; do
	name=$(basename "$f")
	unpack "$f" "$runs/$name"
	render "corpus-$name" "$runs/$name"
done
if [ $check = 1 ]; then
	if diff -r tests/fixtures/golden "$out"; then
		echo "golden: every output is byte-identical"
	else
		echo "golden: outputs differ from tests/fixtures/golden"
		exit 1
	fi
fi
