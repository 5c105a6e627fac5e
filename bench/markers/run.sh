#!/bin/sh
# Markers: untraced against compiled out, traced against a function stage
# of the same body. Root (for the traced rows); run from the repository
# root after `make`:  sh bench/markers/run.sh [ITERATIONS]
set -eu
n=${1:-2000000}
b=$(mktemp -d)
trap 'rm -rf "$b"' EXIT
cc=${CC:-cc}
flags="-O2 -Iinclude -fcf-protection=none"
$cc $flags bench/markers/marker_bench.c -o "$b/markers"
$cc $flags -DBPFPROF_MARKERS_OFF bench/markers/marker_bench.c -o "$b/off"
$cc $flags -DAS_FUNCTION bench/markers/marker_bench.c -o "$b/function"
p=build/bpfprof
echo "ns per iteration (median of 7 rounds of $n):"
echo "  compiled out (BPFPROF_MARKERS_OFF): $("$b/off" "$n")"
echo "  markers, untraced:                  $("$b/markers" "$n")"
echo "  noinline function, untraced:        $("$b/function" "$n")"
# Traced: fewer iterations, each is a probe pair.
t=$((n / 20))
echo "  markers, traced (-m body, $t):      $($p -q --stages-only -m body -- "$b/markers" "$t")"
echo "  function, traced (-u bench_body):   $($p -q --stages-only -u bench_body -- "$b/function" "$t")"
