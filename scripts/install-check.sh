#!/bin/bash
# make install-check: `make install` into a staging directory (DESTDIR,
# PREFIX=/usr) puts exactly the expected files there, and `make uninstall`
# takes them away again, on the host without touching the system. Also:
# module, CLI and man page carry VERSION; the modprobe.d hook names the
# installed sipalg and modprobe reads it as one install command; an existing /etc/sipalg/sipalg.conf is never
# overwritten and a changed one survives uninstall; without a built module
# install refuses (saying to run make first) and installs nothing.
# Needs `make` (module for KVER, and the CLI) first.
set -euo pipefail
cd "$(dirname "$0")/.."

kver=${KVER:-$(scripts/kernels.sh default)}
version=$(cat VERSION)
stage=build/install-check
rm -rf "$stage"
mkdir -p "$stage"
stage=$(cd "$stage" && pwd)
failures=0
fail() {
	echo "install-check: FAIL: $*"
	failures=$((failures + 1))
}
ok() { echo "install-check: ok: $*"; }
files() { (cd "$stage/root" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort); }
run_make() { make --no-print-directory DESTDIR="$stage/root" PREFIX=/usr KVER="$kver" "$@" >>"$stage/make.log" 2>&1; }

# What install must put there and nothing else: the spec.
grep -v '^#' tests/install-manifest.txt | sed "s|@PREFIX@|usr|; s|@KVER@|$kver|" | sort >"$stage/want"

run_make install || { cat "$stage/make.log"; echo "install-check: make install failed"; exit 1; }
files >"$stage/got"
if diff -u "$stage/want" "$stage/got"; then
	ok "make install DESTDIR=... PREFIX=/usr installs exactly: $(tr '\n' ' ' <"$stage/want")"
else
	fail "make install installs other files than expected (diff above: - expected, + installed)"
fi
[ ! -e "$stage/root/lib/modules/$kver/modules.dep" ] || fail "depmod ran on a staged install"
cmp -s "build/kmod/$kver/sipalg.ko" "$stage/root/lib/modules/$kver/updates/sipalg.ko" ||
	fail "the installed module is not build/kmod/$kver/sipalg.ko"
[ "$(modinfo -F version "$stage/root/lib/modules/$kver/updates/sipalg.ko")" = "$version" ] ||
	fail "the installed module's version is not $version (VERSION)"
[ -x "$stage/root/usr/sbin/sipalg" ] || fail "usr/sbin/sipalg is not executable"
# One version everywhere: VERSION, the module (above), the CLI, the man page.
[ "$("$stage/root/usr/sbin/sipalg" -V)" = "sipalg $version" ] ||
	fail "sipalg -V says '$("$stage/root/usr/sbin/sipalg" -V)', not 'sipalg $version' (VERSION)"
grep -q "^\.TH SIPALG 8 .* \"sipalg $version\"" "$stage/root/usr/share/man/man8/sipalg.8" ||
	fail "the man page's .TH line does not name sipalg $version (VERSION)"

# The hook: one install command, running the sipalg that was installed.
hook=$(modprobe -C "$stage/root/etc/modprobe.d" -c | grep '^install sipalg ' || true)
case $hook in
*"/sbin/modprobe --ignore-install sipalg \$CMDLINE_OPTS && "*"/usr/sbin/sipalg import /etc/sipalg/sipalg.conf"*)
	ok "modprobe reads the hook as: $hook" ;;
*) fail "modprobe -c does not show the expected install command for sipalg, but: '$hook'" ;;
esac
grep -qx sipalg "$stage/root/etc/modules-load.d/sipalg.conf" || fail "modules-load.d/sipalg.conf does not name sipalg"

# The saved configuration is the operator's: kept by install and uninstall.
echo 'set ports=5060,5070' >>"$stage/root/etc/sipalg/sipalg.conf"
cp "$stage/root/etc/sipalg/sipalg.conf" "$stage/saved.conf"
run_make install
if cmp -s "$stage/saved.conf" "$stage/root/etc/sipalg/sipalg.conf"; then
	ok "install again keeps a changed etc/sipalg/sipalg.conf"
else
	fail "install again overwrote etc/sipalg/sipalg.conf"
fi
run_make uninstall
got=$(files | tr '\n' ' ')
if [ "$got" = "etc/sipalg/sipalg.conf " ]; then
	ok "uninstall removes everything but a changed sipalg.conf"
else
	fail "after uninstall with a changed sipalg.conf, want only etc/sipalg/sipalg.conf left, got: $got"
fi
run_make install
cp packaging/etc/sipalg/sipalg.conf "$stage/root/etc/sipalg/sipalg.conf"
run_make uninstall
got=$(files | tr '\n' ' ')
if [ -z "$got" ] && [ ! -d "$stage/root/etc/sipalg" ]; then
	ok "uninstall with the shipped sipalg.conf removes every file and etc/sipalg/"
else
	fail "after uninstall, left behind: ${got:-the directory etc/sipalg}"
fi

# Nothing built for this kernel: refuse, install nothing.
rm -rf "$stage/root"
if run_make install KVER=0.0.0-not-built; then
	fail "make install succeeded without a built module"
elif ! grep -q 'is not built: run make first' "$stage/make.log"; then
	fail "make install without a module did not say to run make first"
elif [ -n "$(files 2>/dev/null)" ]; then
	fail "make install without a module installed: $(files | tr '\n' ' ')"
else
	ok "without a built module make install says to run make first and installs nothing"
fi

[ $failures -eq 0 ] || { echo "install-check: $failures failed; make output in $stage/make.log"; exit 1; }
echo "install-check: passed"
