#!/bin/bash
# Big-endian check of the core: builds the core's unit tests for MIPS
# (big-endian; Debian: g++-mips-linux-gnu, qemu-user) against the Catch2 v2
# single header and runs them under qemu-mips. The word-at-a-time scanners
# and header-name comparisons must give the same answers on both byte orders.
#
# Usage: scripts/core-be-check.sh [BUILD_DIR]   (from the repository root)
set -euo pipefail

out=${1:-build/core/be}
cxx=${MIPS_CXX:-mips-linux-gnu-g++}
for tool in "$cxx" qemu-mips; do
    command -v "$tool" >/dev/null || {
        echo "core-be-check: $tool not found (apt-get install g++-mips-linux-gnu qemu-user)" >&2
        exit 1
    }
done
mkdir -p "$out"
printf '#define CATCH_CONFIG_MAIN\n#include <catch2/catch.hpp>\n' >"$out/main.cpp"
flags=(-std=c++20 -O2 -w -Iinclude -Itests/unit "-DSIPALG_CORPUS_DIR=\"$PWD/tests/corpus\"")
objs=("$out/main.o")
"$cxx" -std=c++20 -O1 -c "$out/main.cpp" -o "$out/main.o" &
for f in core/*.cpp tests/unit/core_*.cpp; do
    o="$out/$(basename "$f" .cpp).o"
    "$cxx" "${flags[@]}" -c "$f" -o "$o" &
    objs+=("$o")
done
wait
"$cxx" -static "${objs[@]}" -o "$out/core_tests_be"
echo "byte order: $("$cxx" -dM -E - </dev/null | awk '/__BYTE_ORDER__ /{print $3}')"
qemu-mips "$out/core_tests_be"
