#!/bin/sh
# The DKMS source tree of sipalg: the files kbuild needs
# (scripts/module-sources.sh) and dkms.conf with its version, copied (not
# linked) into DIR, normally /usr/src/sipalg-VERSION. `make dkms-source`
# runs it; so do the Debian package (sipalg-dkms) and `make dkms-check`.
#
# usage: dkms-source.sh DIR
set -eu
[ $# -eq 1 ] || { echo "usage: dkms-source.sh DIR" >&2; exit 2; }
dir=$1
cd "$(dirname "$0")/.."
version=$(cat VERSION)
for f in $(scripts/module-sources.sh); do
	install -D -m 644 "$f" "$dir/$f"
done
sed "s/#MODULE_VERSION#/$version/g" dkms.conf >"$dir/dkms.conf"
chmod 644 "$dir/dkms.conf"
echo "dkms-source: sipalg $version in $dir"
