#!/bin/bash
# An oops in the module must decode to file:line, in the C shim and in the
# C++ core alike (the core is compiled with line tables only, see Kbuild).
# Resolves a few bytes into one function of each with addr2line, as
# decode_stacktrace.sh would.
#
# usage: scripts/kmod-lines.sh BUILD_DIR   (where `make module` built)
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: kmod-lines.sh BUILD_DIR" >&2; exit 2; }
ko=$1/sipalg.ko
[ -f "$ko" ] || { echo "kmod-lines: no $ko: run make module first" >&2; exit 1; }

status=0
check() { # check FUNCTION SOURCE: FUNCTION+0x10 resolves to SOURCE:LINE
	local addr where
	addr=$(nm "$ko" | awk -v f="$1" '$3 == f && $2 ~ /^[Tt]$/ {if (!a) a = $1} END {print a}')
	[ -n "$addr" ] || { echo "kmod-lines: $1 not in $ko" >&2; status=1; return; }
	where=$(addr2line -e "$ko" "$(printf '0x%x' $((16#$addr + 0x10)))")
	if [[ $where =~ /$2:[0-9]+ ]]; then
		echo "kmod-lines: $1+0x10 -> ${where##*/}"
	else
		echo "kmod-lines: $1+0x10 resolves to '$where', not $2:LINE" >&2
		status=1
	fi
}
check sipalg_decide core/decide.cpp
check sipalg_help kmod/rewrite.c
exit $status
