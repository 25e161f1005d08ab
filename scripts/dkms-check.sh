#!/bin/bash
# make dkms-check: DKMS builds sipalg.ko from its source tree (dkms.conf,
# make dkms-source) for each kernel named, in a throw-away DKMS tree under
# build/dkms/ (--sourcetree, --dkmstree, --installtree, and signing keys of
# its own), so that neither the system's DKMS tree (/var/lib/dkms) nor
# /lib/modules changes; it fails if either did. Each built module must
# carry the version of VERSION and the kernel's vermagic. Then, per
# kernel, it packs the result as a DKMS tarball (source and that kernel's
# binary: build/dkms/tarball/KERNEL/sipalg-VERSION.dkms.tar.gz) and checks
# that `dkms ldtarball` + `dkms install` of it into a fresh throw-away tree
# puts the module in updates/dkms/. tests/vm/t-install.sh hands that
# tarball to the sipalg-dkms package's postinst, which loads it instead of
# compiling in the (slow) VM. One tarball per kernel: Debian 12's dkms
# 3.0.10 packs and loads only the first kernel of a tarball of several
# (a `local -r` inside the loops of mktarball and ldtarball).
#
# usage: dkms-check.sh KERNEL_RELEASE...   (make dkms-check: scripts/kernels.sh all)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: dkms-check.sh KERNEL_RELEASE..." >&2; exit 2; }

version=$(cat VERSION)
top=$(pwd)
root=$top/build/dkms
rm -rf "$root"
mkdir -p "$root/src" "$root/tree" "$root/install"
marker=$root/started
touch "$marker"
sleep 1 # a file written in the same second as the marker would not be -newer

# Signing (the kernels have CONFIG_MODULE_SIG) with a key made for this tree,
# not the system's /var/lib/dkms/mok.key.
export mok_signing_key=$root/mok.key mok_certificate=$root/mok.pub
trees=(--sourcetree "$root/src" --dkmstree "$root/tree" --installtree "$root/install")

scripts/dkms-source.sh "$root/src/sipalg-$version"
dkms add -m sipalg -v "$version" "${trees[@]}"

status=0
built=()
for kver in "$@"; do
	scripts/kernels.sh check "$kver"
	start=$(date +%s)
	if ! dkms build -m sipalg -v "$version" -k "$kver" "${trees[@]}"; then
		echo "dkms-check: the DKMS build for $kver failed:"
		tail -n 30 "$root/tree/sipalg/$version/build/make.log" 2>/dev/null || true
		status=1
		continue
	fi
	ko=$(ls "$root/tree/sipalg/$version/$kver/"*/module/sipalg.ko* 2>/dev/null | head -n 1)
	[ -n "$ko" ] || { echo "dkms-check: no sipalg.ko in the DKMS tree for $kver"; status=1; continue; }
	got_version=$(modinfo -F version "$ko")
	vermagic=$(modinfo -F vermagic "$ko")
	if [ "$got_version" != "$version" ]; then
		echo "dkms-check: $ko has version '$got_version', want '$version' (VERSION)"
		status=1
	elif [ "${vermagic%% *}" != "$kver" ]; then
		echo "dkms-check: $ko has vermagic '$vermagic', want $kver"
		status=1
	else
		echo "dkms-check: built sipalg $version for $kver in $(($(date +%s) - start))s ($ko)"
		built+=("$kver")
	fi
done
dkms status -m sipalg "${trees[@]}"

# The tarballs, each loaded and installed again into a tree of its own.
for kver in "${built[@]}"; do
	tarball=$root/tarball/$kver/sipalg-$version.dkms.tar.gz
	mkdir -p "$(dirname "$tarball")"
	dkms mktarball -m sipalg -v "$version" -k "$kver" --archive "$tarball" "${trees[@]}" >/dev/null
	load=$root/load/$kver
	mkdir -p "$load/src" "$load/tree" "$load/install/$kver"
	loaded=(--sourcetree "$load/src" --dkmstree "$load/tree" --installtree "$load/install")
	if dkms ldtarball --archive "$tarball" "${loaded[@]}" >"$load/ldtarball.log" 2>&1 &&
		dkms install -m sipalg -v "$version" -k "$kver" --no-depmod "${loaded[@]}" >"$load/install.log" 2>&1 &&
		ls "$load/install/$kver/updates/dkms/sipalg.ko"* >/dev/null 2>&1; then
		echo "dkms-check: $tarball loads and installs (updates/dkms/)"
	else
		echo "dkms-check: $tarball does not load and install:"
		cat "$load/ldtarball.log" "$load/install.log" 2>/dev/null
		status=1
	fi
done

changed=$(find /var/lib/dkms /lib/modules -newer "$marker" 2>/dev/null | head -n 5)
if [ -n "$changed" ]; then
	echo "dkms-check: the system's DKMS tree or /lib/modules changed during the check:"
	echo "$changed"
	status=1
fi
[ $status -eq 0 ] && echo "dkms-check: sipalg $version builds with DKMS for: $*"
exit $status
