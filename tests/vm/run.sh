#!/bin/bash
# Run the VM tests (inside the VM): every tests/vm/t-*.sh, or those named.
# Prints each test's progress as it goes and a closing
# "vm: N passed, N failed" line; exits non-zero if any failed.
cd "$(dirname "$0")" || exit 1
echo "vm: kernel $(uname -r)"
[ -f "../../build/kmod/$(uname -r)/sipalg.ko" ] || { echo "vm: no module for $(uname -r): make module KVER=$(uname -r)"; echo "vm: 0 passed, 1 failed"; exit 1; }
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(t-*.sh)
passed=0
failed=0
failures=()
for t in "${tests[@]}"; do
	name=${t%.sh}
	echo "=== $name"
	start=$(date +%s)
	if bash "$t"; then
		passed=$((passed + 1))
		echo "--- PASS $name ($(($(date +%s) - start))s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "--- FAIL $name ($(($(date +%s) - start))s)"
	fi
done
if dmesg | grep -qE 'WARNING:|BUG:|Oops|Call Trace'; then
	echo "--- FAIL kernel log shows a warning:"
	dmesg | grep -A20 -E 'WARNING:|BUG:|Oops' | head -40
	failed=$((failed + 1))
fi
[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
echo "vm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
