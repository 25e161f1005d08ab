#!/bin/bash
# The call graph between the module's files, from the objects' symbol
# tables (nm): "A -> B" when kmod/A.o uses a function or object that
# kmod/B.o defines. Fails if any file calls into a file that calls back
# into it, directly or around a longer cycle, or if a packet-path file
# includes the control plane's header (genl.h). Run after `make module`.
#
# usage: scripts/kmod-calls.sh [-q] BUILD_DIR   (-q: no graph, only the
#        verdict; BUILD_DIR: where `make module` built, build/kmod/$KVER)
set -euo pipefail

quiet=0
[ "${1:-}" = -q ] && { quiet=1; shift; }
[ $# -eq 1 ] || { echo "usage: kmod-calls.sh [-q] BUILD_DIR" >&2; exit 2; }
cd "$1"
objs=(kmod/*.o)
[ -e "${objs[0]}" ] || { echo "kmod-calls: no $1/kmod/*.o: run make module first" >&2; exit 1; }

declare -A owner
for o in "${objs[@]}"; do
	f=$(basename "$o" .o)
	while read -r sym; do owner[$sym]=$f; done < <(nm --defined-only "$o" | awk '$2 ~ /^[TDBR]$/ {print $3}')
done
# The C++ core is one node: its objects are all core/*.o.
for o in core/*.o; do
	[ -e "$o" ] || continue
	while read -r sym; do owner[$sym]=core; done < <(nm --defined-only "$o" | awk '$2 ~ /^[TDBR]$/ {print $3}')
done

edges=$(for o in "${objs[@]}"; do
	f=$(basename "$o" .o)
	nm --undefined-only "$o" | awk '{print $2}' | while read -r sym; do
		to=${owner[$sym]:-}
		if [ -n "$to" ] && [ "$to" != "$f" ]; then echo "$f $to"; fi
	done
done | sort -u)

if [ $quiet -eq 0 ]; then
	echo "kmod call graph (file -> files it calls):"
	awk '{a[$1] = a[$1] " " $2} END {for (f in a) print "  " f " ->" a[f]}' <<<"$edges" | sort
fi

status=0
# tsort reports a cycle on stderr and exits non-zero.
if ! cycle=$(tsort <<<"$edges" 2>&1 >/dev/null); then
	echo "kmod-calls: cycle between files:" >&2
	echo "$cycle" >&2
	status=1
fi
# The packet path: everything the helper callback reaches. Only main.c
# (init/exit) may include the control plane's header.
bad=$(grep -l '#include "genl.h"' kmod/*.c | grep -vE 'kmod/(main|genl)\.c' || true)
if [ -n "$bad" ]; then
	echo "kmod-calls: files other than main.c include genl.h: $bad" >&2
	status=1
fi
callers=$(awk '$2 == "genl" {print $1}' <<<"$edges" | sort -u | tr '\n' ' ')
if [ -n "$callers" ] && [ "$callers" != "main " ]; then
	echo "kmod-calls: only main calls into genl; also: $callers" >&2
	status=1
fi
[ $status -eq 0 ] && echo "kmod-calls: no cycles; only main calls into genl"
exit $status
