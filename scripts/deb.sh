#!/bin/bash
# make deb: the Debian packages sipalg (the CLI and its /etc files) and
# sipalg-dkms (the module's source for DKMS), built with debhelper from a
# copy of the files git tracks (as found in the work tree), so that
# nothing untracked or built ends up in them. The version is VERSION's:
# debian/changelog is written here, not kept in git. Results (.deb, .dsc,
# source tarball, .changes, .buildinfo) and the build log go to build/deb/.
#
# usage: deb.sh
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(cat VERSION)
out=build/deb
src=$out/sipalg-$version
rm -rf "$out"
mkdir -p "$src"

# Tracked files that exist (a file deleted but not yet committed is skipped).
git ls-files -z | while IFS= read -r -d '' f; do
	[ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$src"

# The changelog's date is the last commit's, so that the same tree gives
# the same packages.
when=$(date -R -d "@$(git log -1 --format=%ct)")
cat >"$src/debian/changelog" <<-EOF
	sipalg ($version) unstable; urgency=medium

	  * Built by make deb from $(git describe --always --dirty).

	 -- sipalg developers <sipalg@example.org>  $when
EOF

start=$(date +%s)
if ! (cd "$src" && dpkg-buildpackage -us -uc -j"$(nproc)") >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log"
	echo "deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
fi
rm -rf "$src"
echo "deb: built in $(($(date +%s) - start))s:"
ls -1 "$out"/*.deb "$out"/*.changes
