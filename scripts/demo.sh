#!/bin/bash
# make demo: install what is missing, build, boot the VM and show a NATed
# SIP call before and after the ALG.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
make --no-print-directory all >/dev/null
exec scripts/vm-run.sh -t 300 'tests/vm/demo.sh'
