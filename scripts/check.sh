#!/bin/bash
# make check: install what is missing, build, run the unit tests (plain and
# under ASan+UBSan, and their branch coverage of the core's scanners), the
# core's kernel-freestanding check and fuzz smoke run, the packaging checks
# (staged install, DKMS builds, Debian packages and lintian), then boot
# the VM and run the VM tests, once for each kernel. Prints progress as it
# goes and ends with one
# "check: N passed, N failed" line.
#
# usage: check.sh [KERNEL_RELEASE...]   (default: scripts/kernels.sh all)
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
failures=()
log_dir=build/check
mkdir -p "$log_dir"
# The steps that compile (the build, the unit tests' binaries) run make
# with one job per CPU; the packaging steps' own makes (kbuild under DKMS,
# dpkg-buildpackage) set their jobs themselves.
jobs=-j$(nproc)

# Each step's heading, and at its end its name and how long it took.
step_name=""
step_start=0
step() {
	step_name=${1%% (*}
	step_start=$(date +%s)
	printf '\n##### %s\n' "$*"
}
step_end() { printf '##### %s: %s (%ss)\n' "$step_name" "$1" "$(($(date +%s) - step_start))"; }
record() { # record NAME STATUS PASSED FAILED
	passed=$((passed + $3))
	failed=$((failed + $4))
	if [ "$2" -ne 0 ] && [ "$4" -eq 0 ]; then
		failed=$((failed + 1)) # the step failed without a count of its own
	fi
	[ "$2" -eq 0 ] && [ "$4" -eq 0 ] || failures+=("$1")
	if [ "$2" -eq 0 ] && [ "$4" -eq 0 ]; then step_end "done"; else step_end FAILED; fi
}

# Run a make target that runs a Catch2 binary (built with $jobs); count
# its test cases.
catch2_step() {
	local name=$1 target=$2 out="$log_dir/$1.log" status
	step "$name (make $jobs $target)"
	make --no-print-directory "$jobs" "$target" 2>&1 | tee "$out"
	status=${PIPESTATUS[0]}
	local summary ok=0 bad=0
	summary=$(grep -E '^(All tests passed|test cases:)' "$out" | tail -n 1)
	if [[ $summary =~ in\ ([0-9]+)\ test\ case ]]; then
		ok=${BASH_REMATCH[1]}
	elif [[ $summary =~ test\ cases:\ +([0-9]+)\ \|\ +([0-9]+)\ passed\ \|\ +([0-9]+)\ failed ]]; then
		ok=${BASH_REMATCH[2]}
		bad=${BASH_REMATCH[3]}
	fi
	record "$name" "$status" "$ok" "$bad"
}

# Run a make target (with its arguments) that is one test by itself.
single_step() {
	local name=$1 status
	shift
	step "$name (make $*)"
	make --no-print-directory "$@" 2>&1 | tee "$log_dir/$name.log"
	status=${PIPESTATUS[0]}
	if [ "$status" -eq 0 ]; then record "$name" 0 1 0; else record "$name" 1 0 1; fi
}

start=$(date +%s)
step "dependencies (scripts/deps.sh)"
if ! scripts/deps.sh; then
	echo "check: cannot install the dependencies"
	echo "check: 0 passed, 1 failed"
	exit 1
fi
step_end "done"

kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || mapfile -t kernels < <(scripts/kernels.sh all)
if [ ${#kernels[@]} -eq 0 ]; then
	echo "check: no kernel to test on"
	echo "check: 0 passed, 1 failed"
	exit 1
fi
echo "check: kernels: ${kernels[*]}"

for kver in "${kernels[@]}"; do
	step "build for $kver (make $jobs all KVER=$kver)"
	if ! make --no-print-directory "$jobs" all KVER="$kver"; then
		echo "check: the build for $kver failed"
		echo "check: 0 passed, 1 failed"
		exit 1
	fi
	step_end "done"
done

single_step lint lint
# -o module: the build step above has just built each kernel's module (a
# failed build ends the check), so the checks of its objects need not run
# kbuild again only to find it up to date (4-12 s each).
for kver in "${kernels[@]}"; do
	single_step "kmod-calls-$kver" -o module kmod-calls KVER="$kver"
	single_step "kmod-lines-$kver" -o module kmod-lines KVER="$kver"
done
# The phase profile's module (make profile-vm PROFILE_PHASES=1) must
# build too; on the first kernel only, for the check's time.
single_step module-phases "$jobs" module-phases KVER="${kernels[0]}"
catch2_step unit unit
catch2_step unit-asan unit-asan
single_step unit-coverage "$jobs" unit-coverage
catch2_step cli-unit cli-unit
catch2_step cli-unit-asan cli-unit-asan
single_step core-freestanding "$jobs" core-freestanding
single_step fuzz-smoke fuzz-smoke
single_step trace-check-test trace-check-test
# Packaging, before the VM tests: t-install installs the .debs and loads
# the DKMS tarballs dkms-check leaves in build/.
single_step install-check install-check
single_step dkms-check dkms-check DKMS_KERNELS="${kernels[*]}"
single_step deb deb
single_step deb-lint deb-lint

# The whole VM suite takes ~13 minutes per kernel under QEMU TCG; to keep
# make check under 40 minutes on a fresh machine, the first kernel runs it
# all and the others a smoke subset: what touches the kernel APIs that
# differ between versions (loading and parameters, the hooks, expectations
# and their NAT, TCP sequence adjustment, split TCP messages joined into
# GSO packets, held across the gaps of a lossy link (conntrack's TCP
# state, the router's own ACKs) and in 64 KB packets of a back-to-back
# stream, IPv6, generic netlink and its privileged multicast groups
# (t-trace), unload under traffic, the storm) and installing the
# packages. t-sipalg-tcp-reorder's exact orders (3 minutes) run on the
# first kernel only; on the others t-sipalg-tcp-loss, whose lossy links
# make the router hold across gaps, ask and rebuild too, in a fifth of the
# time. `make check KVER=...` runs the whole suite on the kernel it names.
smoke="t-module-load.sh t-attach.sh t-cli.sh t-install.sh t-sipalg-media.sh
	t-sipalg-tcp.sh t-sipalg-tcp-split.sh t-sipalg-tcp-loss.sh t-sipalg-tcp-stream.sh t-sipalg-ipv6.sh t-sipalg-unload.sh
	t-storm.sh t-trace.sh t-sipalg-notsip.sh"
first=1
for kver in "${kernels[@]}"; do
	if [ $first -eq 1 ]; then
		tests="" what="the whole suite"
	else
		tests=$(echo $smoke) what="smoke subset"
	fi
	first=0
	step "VM tests on $kver, $what (KVER=$kver scripts/vm-run.sh tests/vm/run.sh $tests)"
	log="$log_dir/vm-$kver.log"
	# The timeout only catches a hung VM: the whole suite takes ~17 minutes
	# on a quiet host, and more than 2000 s when the host is busy.
	KVER=$kver scripts/vm-run.sh -t 3600 "tests/vm/run.sh $tests" 2>&1 | tee "$log"
	status=${PIPESTATUS[0]}
	vm_ok=0
	vm_bad=0
	if [[ $(grep -E '^vm: [0-9]+ passed' "$log" | tail -n 1) =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		vm_ok=${BASH_REMATCH[1]}
		vm_bad=${BASH_REMATCH[2]}
	fi
	echo "check: VM tests on $kver: $vm_ok passed, $vm_bad failed"
	record "vm-$kver" "$status" "$vm_ok" "$vm_bad"
done

echo
echo "check: took $(($(date +%s) - start))s; logs in $log_dir/"
[ ${#failures[@]} -eq 0 ] || echo "check: failed steps: ${failures[*]}"
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
