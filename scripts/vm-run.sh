#!/bin/bash
# Run one shell command inside a throw-away QEMU VM that boots Debian's
# packaged kernel with the host's root file system mounted read-only (and a
# tmpfs overlay on top), no network device, and a writable share for the
# result. Prints the command's output as it runs and exits with its status.
#
# usage: vm-run.sh [-t SECONDS] [-m MiB] [-w] [-i SHIFT] 'shell command'
#   -t  give up after SECONDS (default 600) and say the VM timed out
#   -m  guest memory in MiB (default 2048)
#   -w  tolerate kernel WARNs (by default a WARN panics the VM and fails)
#   -i  guest time from instructions (QEMU -icount shift=SHIFT,sleep=off;
#       also $VM_ICOUNT): each instruction takes 2^SHIFT ns of the guest's
#       clock and an idle guest skips ahead, so what the guest measures
#       (e.g. datagrams per second) counts instructions, whatever the load
#       of the host. The guest then has one vCPU (with icount TCG runs
#       every vCPU in one host thread anyway, and with two the guest did
#       not get through its boot here in 3 minutes), and a guest second
#       may take more or less than a second.
#
# The VM boots kernel $KVER when set, else `scripts/kernels.sh default`.
# The command runs as root in the guest with the caller's working directory.
# The guest's /tmp is its own; files meant for the host go under
# $SIPALG_VM_SHARE (exported to the command), which is kept on the host.
# The VM console is saved as build/vm/console.log.
# $VM_KERNEL_ARGS is added to the guest kernel's command line, e.g.
# VM_KERNEL_ARGS=slub_debug=FZPU to have the slab allocator check every
# object's red zones and poison (a use after free or an overrun then
# reports at once, naming the cache, instead of corrupting a freelist).
set -euo pipefail

timeout_s=600
memory=2048
panic_on_warn=1
icount=${VM_ICOUNT:-}
while getopts "t:m:wi:" opt; do
	case $opt in
	t) timeout_s=$OPTARG ;;
	m) memory=$OPTARG ;;
	w) panic_on_warn=0 ;;
	i) icount=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: vm-run.sh [-t SECONDS] [-m MiB] [-w] [-i SHIFT] 'command'" >&2; exit 2; }

scripts=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$scripts")
vmdir="$top/build/vm"
mkdir -p "$vmdir"

# The kernel to boot: $KVER (make exports it), else Debian 12's default.
release=${KVER:-$("$scripts/kernels.sh" default)}
"$scripts/kernels.sh" check "$release"
echo "vm-run: booting kernel $release" >&2
initramfs="$vmdir/initramfs-$release.cpio.gz"
if [ ! -f "$initramfs" ] || [ "$scripts/vm-initramfs.sh" -nt "$initramfs" ] ||
	[ "$scripts/vm-stage1-init" -nt "$initramfs" ]; then
	"$scripts/vm-initramfs.sh" "$release" "$initramfs"
fi

share=$(mktemp -d "$vmdir/run.XXXXXX")
# What a failed test left in $SIPALG_VM_SHARE/failed (tests/vm/lib.sh) is
# kept in build/vm/failed/ for reading afterwards.
keep_failed() {
	if [ -d "$share/failed" ]; then
		mkdir -p "$vmdir/failed"
		mv "$share/failed"/* "$vmdir/failed/" 2>/dev/null || true
		echo "vm-run: the failed tests' work directories are in $vmdir/failed/" >&2
	fi
	rm -rf "$share"
}
trap keep_failed EXIT
pwd >"$share/cwd"
printf 'export SIPALG_VM_SHARE=%q\n%s\n' "$share" "$1" >"$share/command"

console="$vmdir/console.log"
cmdline="console=ttyS0 quiet oops=panic panic=-1 panic_on_warn=$panic_on_warn"
# slab_nomerge: nf_conntrack_expect keeps a slab cache of its own, so that
# the tests can count expectation objects (leaks) in /proc/slabinfo.
cmdline="$cmdline softlockup_panic=1 slab_nomerge sipalg.stage2=$scripts/vm-stage2-init"
cmdline="$cmdline sipalg.share=$share${icount:+ sipalg.icount=$icount}"
cmdline="$cmdline${VM_KERNEL_ARGS:+ $VM_KERNEL_ARGS}"

accel=(-accel tcg -smp 2)
if [ -n "$icount" ]; then
	case $icount in
	[0-9] | 10 | auto) ;;
	*) echo "vm-run: -i wants a shift of 0..10 (ns per instruction 2^SHIFT) or auto" >&2; exit 2 ;;
	esac
	# icount needs the single-threaded TCG: say so rather than rely on
	# QEMU picking it. The guest's clock (RTC too) is the virtual one.
	accel=(-accel "tcg,thread=single" -icount "shift=$icount,sleep=off" -rtc clock=vm -smp 1)
	echo "vm-run: guest time from instructions (-icount shift=$icount,sleep=off)" >&2
fi

# sed -u: the console reaches the caller line by line as the VM prints it,
# also when the caller's output is a pipe or a file (CI).
status=0
timeout --foreground -k 5 "$timeout_s" \
	qemu-system-x86_64 "${accel[@]}" -cpu max -m "$memory" \
	-nic none -no-reboot -display none -monitor none -serial stdio \
	-kernel "/boot/vmlinuz-$release" -initrd "$initramfs" -append "$cmdline" \
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
	-virtfs "local,path=$share,mount_tag=hostshare,security_model=none,multidevs=remap" \
	</dev/null 2>&1 | sed -u 's/\r$//' | tee "$console" || status=$?

if [ -f "$share/rc" ]; then
	exit "$(cat "$share/rc")"
fi
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
	echo "vm-run: the VM timed out after ${timeout_s}s; console saved in $console" >&2
	exit 124
fi
if grep -qE 'Kernel panic|Oops|BUG:|WARNING:|soft lockup' "$console"; then
	echo "vm-run: the VM kernel crashed; console saved in $console:" >&2
	grep -m 5 -E 'Kernel panic|Oops|BUG:|WARNING:|soft lockup' "$console" >&2
	exit 125
fi
echo "vm-run: the VM stopped without running the command (qemu status $status); console saved in $console" >&2
exit 125
