#!/bin/bash
# Does the working tree's core conclude exactly what REV's core concludes?
# Builds tests/fuzz/core_diff.cpp against both cores and compares their
# digests of frame, peek, parse (every field) and plan for every corpus
# input and MUTATIONS deterministic mutations of each. For changes meant to
# change nothing the core decides (speed work): the fuzzer checks
# invariants, this checks sameness.
#
# usage: scripts/core-diff.sh [REV] [MUTATIONS]   (default: HEAD, 300)
# Extra inputs: CORE_DIFF_INPUTS="dir..." (e.g. build/core/fuzz/corpus).
set -euo pipefail
cd "$(dirname "$0")/.."

rev=${1:-HEAD}
mutations=${2:-300}
out=build/core/diff
rm -rf "$out"
mkdir -p "$out/old"
git archive "$rev" core include | tar -x -C "$out/old"

build() { # build DIR BINARY
	g++ -std=c++20 -O2 -Wall -Wextra -Werror -I"$1/include" tests/fuzz/core_diff.cpp \
		"$1"/core/*.cpp -o "$2"
}
build "$out/old" "$out/core_diff.old" &
build . "$out/core_diff.new"
wait $!

mapfile -t inputs < <(find tests/corpus ${CORE_DIFF_INPUTS:-} -type f | sort)
echo "core-diff: $rev against the working tree, ${#inputs[@]} inputs x $((mutations + 1))"
printf '%s\0' "${inputs[@]}" | xargs -0 -n 64 "$out/core_diff.old" -m "$mutations" >"$out/old.txt" &
printf '%s\0' "${inputs[@]}" | xargs -0 -n 64 "$out/core_diff.new" -m "$mutations" >"$out/new.txt"
wait $!
total=$(wc -l <"$out/new.txt")
if ! cmp -s "$out/old.txt" "$out/new.txt"; then
	diff "$out/old.txt" "$out/new.txt" >"$out/diff.txt" || true
	grep '^>' "$out/diff.txt" | head -n 5 >&2 || true
	echo "core-diff: $(grep -c '^>' "$out/diff.txt") of $total cases differ;" \
		"see one with: $out/core_diff.old -v -m N FILE vs $out/core_diff.new" >&2
	exit 1
fi
echo "core-diff: $total cases, all the same"
