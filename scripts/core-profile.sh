#!/bin/bash
# Instructions per message, per function, of the core's parse + plan + apply
# (callgrind on bench_core --profile). Timing on a shared 2-CPU host swings
# by +-40%; instruction counts repeat to the instruction, so compare these.
#
# Usage: scripts/core-profile.sh BENCH_BINARY [RUNS]
# Prints, for each benchmark message, the inclusive instructions per message
# of the three API calls and of every core function that the compiler kept
# out of line (inlined helpers are counted in their caller).
set -euo pipefail

bin=$1
runs=${2:-2000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for case in invite register ok200 stream; do
    valgrind --tool=callgrind --callgrind-out-file="$out/$case.cg" \
        "$bin" --profile "$case" "$runs" 2>/dev/null | head -1
    # Inclusive counts; keep the core's own functions (sipalg_* API and the
    # sipalg::core namespace), divided by the number of runs.
    callgrind_annotate --inclusive=yes --threshold=100 "$out/$case.cg" 2>/dev/null |
        awk -v runs="$runs" '
            /^ *[0-9,]+ / && /bench_core(_kcode)?\]$/ {
                n = $1; gsub(",", "", n)
                line = $0; sub(/^ *[0-9,]+ *(\([ 0-9.%]+\))? */, "", line)
                sub(/^\?\?\?:/, "", line)              # unknown source file
                sub(/ \[[^]]*\]$/, "", line)          # the binary
                gsub(/sipalg::core::|\(anonymous namespace\)::/, "", line)
                sub(/\(.*$/, "", line)                 # the parameter list
                if (line ~ /^(profile|profile_stream|main|_start|\(below main\))$/) next
                if (line == "" || line ~ /^(0x|std::|invite$|reg$|ok200$|crlf$|with_cl$|A$)/) next
                per = n / runs
                if (per < 20) next
                printf "  %8.0f  %s\n", per, line
            }'
    echo
done
