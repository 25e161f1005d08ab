#!/bin/bash
# make install / make uninstall: put the built module and command line tool
# where the system finds them, with the configuration files that make the
# setup survive a reboot (scripts/install-check.sh checks the file list).
# Installs only what `make` built, and never builds: run as root after
# building as yourself.
#
# usage: install.sh install|uninstall [module] [cli]   (default: both)
#
#   module  $DESTDIR/lib/modules/$KVER/updates/sipalg.ko, then depmod -a
#           $KVER (not when DESTDIR is set: a staged tree is not the
#           system's)
#   cli     $DESTDIR$SBINDIR/sipalg, the man page and bash completion under
#           $DESTDIR$PREFIX/share, and under $DESTDIR/etc:
#           modprobe.d/sipalg.conf (parameters, and the install hook that
#           applies the saved configuration whenever the module loads),
#           modules-load.d/sipalg.conf (load at boot) and sipalg/sipalg.conf
#           (the saved configuration: never overwritten; kept by uninstall
#           when it differs from the shipped one)
#
# Environment (the Makefile passes them): KVER, KOBJ (the module's build
# directory), DESTDIR, PREFIX (/usr/local), SBINDIR ($PREFIX/sbin).
set -euo pipefail
cd "$(dirname "$0")/.."

action=${1:-}
shift || true
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(module cli)

DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
SBINDIR=${SBINDIR:-$PREFIX/sbin}
mandir=$PREFIX/share/man/man8
compdir=$PREFIX/share/bash-completion/completions
conf=/etc/sipalg/sipalg.conf
shipped_conf=packaging/etc/sipalg/sipalg.conf

say() { echo "install: $*"; }
need_built() {
	[ -f "$1" ] || {
		echo "install: $1 is not built: run make first (make KVER=$KVER), then make install" >&2
		exit 1
	}
}
put() { # put MODE SOURCE TARGET
	install -D -m "$2" "$1" "$DESTDIR$3"
	say "$DESTDIR$3"
}
drop() { # drop TARGET
	if [ -e "$DESTDIR$1" ]; then
		rm -f "$DESTDIR$1"
		say "removed $DESTDIR$1"
	fi
}
depmod_system() {
	if [ -z "$DESTDIR" ]; then
		depmod -a "$KVER"
		say "depmod -a $KVER"
	fi
}

install_module() {
	local moddir=/lib/modules/${KVER:?KVER is not set}/updates
	put "$KOBJ/sipalg.ko" 644 "$moddir/sipalg.ko"
	depmod_system
}
uninstall_module() {
	local moddir=/lib/modules/${KVER:?KVER is not set}/updates
	if [ -e "$DESTDIR$moddir/sipalg.ko" ]; then
		drop "$moddir/sipalg.ko"
		depmod_system
	fi
	if grep -q '^sipalg ' /proc/modules 2>/dev/null && [ -z "$DESTDIR" ]; then
		say "sipalg is still loaded (rmmod sipalg to unload it)"
	fi
}

install_cli() {
	put cli/sipalg 755 "$SBINDIR/sipalg"
	put cli/sipalg.8 644 "$mandir/sipalg.8"
	put cli/sipalg.bash-completion 644 "$compdir/sipalg"
	local hook
	hook=$(mktemp)
	sed "s|@SBINDIR@|$SBINDIR|g" packaging/etc/modprobe.d/sipalg.conf.in >"$hook"
	put "$hook" 644 /etc/modprobe.d/sipalg.conf
	rm -f "$hook"
	put packaging/etc/modules-load.d/sipalg.conf 644 /etc/modules-load.d/sipalg.conf
	if [ -e "$DESTDIR$conf" ]; then
		say "kept $DESTDIR$conf (the saved configuration)"
	else
		put "$shipped_conf" 644 "$conf"
	fi
}
uninstall_cli() {
	drop "$SBINDIR/sipalg"
	drop "$mandir/sipalg.8"
	drop "$compdir/sipalg"
	drop /etc/modprobe.d/sipalg.conf
	drop /etc/modules-load.d/sipalg.conf
	if [ -e "$DESTDIR$conf" ] && ! cmp -s "$shipped_conf" "$DESTDIR$conf"; then
		say "kept $DESTDIR$conf: it is not the shipped one (your saved configuration)"
	else
		drop "$conf"
		rmdir "$DESTDIR/etc/sipalg" 2>/dev/null || true
	fi
}

case $action in
install)
	for part in "${parts[@]}"; do
		case $part in
		module) need_built "${KOBJ:?KOBJ is not set}/sipalg.ko" ;;
		cli) need_built cli/sipalg ;;
		*) echo "install: unknown part '$part'" >&2; exit 2 ;;
		esac
	done
	for part in "${parts[@]}"; do "install_$part"; done
	;;
uninstall)
	for part in "${parts[@]}"; do
		case $part in
		module | cli) "uninstall_$part" ;;
		*) echo "install: unknown part '$part'" >&2; exit 2 ;;
		esac
	done
	;;
*)
	echo "usage: install.sh install|uninstall [module] [cli]" >&2
	exit 2
	;;
esac
