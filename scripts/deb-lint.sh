#!/bin/bash
# make deb-lint: lintian on what make deb built (the .changes: source
# package, both .debs and the debug symbols), showing every tag down to
# info and pedantic ones, and failing on any of them. A tag that is right
# to stay is overridden in debian/*.lintian-overrides, with the reason.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
changes=$(ls build/deb/sipalg_*.changes 2>/dev/null | head -n 1)
[ -n "$changes" ] || { echo "deb-lint: no build/deb/sipalg_*.changes: run make deb first" >&2; exit 1; }
# lintian warns that it runs as root; that line is no finding.
lintian --info --display-info --pedantic --fail-on error,warning,info,pedantic "$changes" 2>&1 |
	grep -v 'running with root privileges is not recommended'
if [ "${PIPESTATUS[0]}" -ne 0 ]; then
	echo "deb-lint: lintian found the tags above in $changes" >&2
	exit 1
fi
echo "deb-lint: lintian clean ($changes, down to pedantic; overrides in debian/*.lintian-overrides)"
