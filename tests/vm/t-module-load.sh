#!/bin/bash
# sipalg.ko loads, its C++ core runs its self-test, and it unloads again
# with nothing in dmesg worse than the out-of-tree/unsigned taint notice.
. "$(dirname "$0")/lib.sh"

[ -f "$ko" ] || fail "$ko is not built"
# insmod does not load what the module needs; modprobe would.
modprobe -a $(modinfo -F depends "$ko" | tr , ' ') || fail "cannot load the module's dependencies"
dmesg -C
insmod "$ko" || fail "insmod failed"
grep -q '^sipalg ' /proc/modules || fail "sipalg not in /proc/modules"
dmesg >"$WORK/dmesg-load.txt"
expect_in "$WORK/dmesg-load.txt" "sipalg: loaded, core" "the C++ core self-test ran in the kernel"
rmmod sipalg || fail "rmmod failed"
grep -q '^sipalg ' /proc/modules && fail "sipalg still loaded"
dmesg >"$WORK/dmesg.txt"
expect_in "$WORK/dmesg.txt" "sipalg: unloaded" "module unloaded"
if grep -vE 'loading out-of-tree module taints kernel|module verification failed' "$WORK/dmesg.txt" |
	grep -qiE 'warn|error|bug|oops|call trace|taint'; then
	fail "unexpected kernel messages:
$(sed 's/^/    | /' "$WORK/dmesg.txt")"
fi
say "ok: dmesg clean"
# Taint: O (out-of-tree, 4096) and E (unsigned, 8192) are expected; no more.
taint=$(cat /proc/sys/kernel/tainted)
[ $((taint & ~(4096 | 8192))) -eq 0 ] || fail "kernel tainted $taint"
say "ok: taint $taint (out-of-tree/unsigned only)"
