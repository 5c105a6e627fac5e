#!/bin/bash
# Rebuilds the committed seed binaries of the symbols harness from
# tests/fuzz/seeds/ (small on purpose: libFuzzer mutates every byte).
#   tests/fuzz/make_seeds.sh
set -euo pipefail
cd "$(dirname "$0")"
s=seeds out=corpus/symbols
mkdir -p "$out"
f="-Os -fno-asynchronous-unwind-tables -fno-stack-protector -Wl,--build-id=none -Wl,-z,norelro
	-Wl,-z,noseparate-code -nostdlib"
cc $f -static -no-pie "$s/prog.c" -o "$out/exe_static"
cc $f -static -no-pie -fcf-protection=full "$s/prog.c" -o "$out/exe_static_cet"
strip --strip-all "$out/exe_static_cet" -o "$out/exe_stripped"
cc $f -fPIE -pie "$s/prog.c" -o "$out/exe_pie"
c++ $f -shared -fPIC "$s/lib.cc" -o "$out/libcxx.so"
cc $f -shared -fPIC -Wl,--version-script="$s/vers.map" "$s/vers.c" -o "$out/libvers.so"
strip --strip-all "$out/libvers.so" -o "$out/libvers_stripped.so"
