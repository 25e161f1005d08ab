#!/bin/bash
# make check: install what is missing, build, run the unit tests (plain and
# under ASan+UBSan), the core's kernel-freestanding check and fuzz smoke
# run, then boot the VM and run the VM tests. Prints progress as it goes and
# ends with one "check: N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
failures=()
log_dir=build/check
mkdir -p "$log_dir"

step() { printf '\n##### %s\n' "$*"; }
record() { # record NAME STATUS PASSED FAILED
	passed=$((passed + $3))
	failed=$((failed + $4))
	if [ "$2" -ne 0 ] && [ "$4" -eq 0 ]; then
		failed=$((failed + 1)) # the step failed without a count of its own
	fi
	[ "$2" -eq 0 ] && [ "$4" -eq 0 ] || failures+=("$1")
}

# Run a make target that runs a Catch2 binary; count its test cases.
catch2_step() {
	local name=$1 target=$2 out="$log_dir/$1.log" status
	step "$name (make $target)"
	make --no-print-directory "$target" 2>&1 | tee "$out"
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

# Run a make target that is one test by itself.
single_step() {
	local name=$1 target=$2 status
	step "$name (make $target)"
	make --no-print-directory "$target" 2>&1 | tee "$log_dir/$name.log"
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

step "build (make)"
if ! make --no-print-directory all; then
	echo "check: the build failed"
	echo "check: 0 passed, 1 failed"
	exit 1
fi

single_step lint lint
single_step kmod-calls kmod-calls
catch2_step unit unit
catch2_step unit-asan unit-asan
catch2_step cli-unit cli-unit
catch2_step cli-unit-asan cli-unit-asan
single_step core-freestanding core-freestanding
single_step fuzz-smoke fuzz-smoke

step "VM tests (scripts/vm-run.sh tests/vm/run.sh)"
scripts/vm-run.sh -t 2000 'tests/vm/run.sh' 2>&1 | tee "$log_dir/vm.log"
status=${PIPESTATUS[0]}
vm_ok=0
vm_bad=0
if [[ $(grep -E '^vm: [0-9]+ passed' "$log_dir/vm.log" | tail -n 1) =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
	vm_ok=${BASH_REMATCH[1]}
	vm_bad=${BASH_REMATCH[2]}
fi
record vm "$status" "$vm_ok" "$vm_bad"

echo
echo "check: took $(($(date +%s) - start))s; logs in $log_dir/"
[ ${#failures[@]} -eq 0 ] || echo "check: failed steps: ${failures[*]}"
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
