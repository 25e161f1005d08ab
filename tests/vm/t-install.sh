#!/bin/bash
# Installing sipalg as an operator would, on the kernel this VM booted:
#  (a) dpkg -i the sipalg and sipalg-dkms packages (make deb) with no
#      sipalg, nf_nat or nf_conntrack loaded; dh-dkms's postinst adds the
#      module to DKMS and installs it under updates/dkms;
#  (b) modprobe sipalg loads nf_conntrack and nf_nat by itself, and the
#      modprobe.d hook applies /etc/sipalg/sipalg.conf on top of the
#      modprobe.d options;
#  (c) what boot does, systemd-modules-load reading /etc/modules-load.d/,
#      loads it with that configuration again, and so do nft (a ct helper
#      of type "sipalg") and the sipalg command (generic netlink lookup);
#      without the tool (package removed, conffiles kept) it still loads;
#  (d) dpkg --purge leaves no module, DKMS entry or /etc file behind;
#  (e) make install, the same checks, and make uninstall takes away
#      exactly what install added (tests/install-manifest.txt).
#
# The postinst does not compile here: compiling the module under QEMU TCG
# takes minutes (README), too long for make check on two kernels. It loads
# what dh-dkms's postinst loads when present,
# /usr/share/sipalg-dkms/sipalg-VERSION.dkms.tar.gz: the tarball `make
# dkms-check` made on the host by building the same dkms.conf and sources
# with DKMS for this kernel. So this test shows the packages' install and
# removal, DKMS's install of the module, loading and configuration; the
# DKMS build itself is shown by make dkms-check, and in the VM with
# T_INSTALL_COMPILE=1 (no tarball: the postinst builds, and the time is
# printed).
#
# The VM plays a router with one kernel and few modules. Both ways the
# postinst would also build for the newest installed kernel if it is not
# the one running (6.12 when 6.1 is booted here): the other kernels'
# /boot/config-* are masked while the test runs. Every install and removal
# runs depmod -a, which under TCG takes 80-90 s over Debian's whole module
# tree: /lib/modules/KERNEL/kernel is replaced, while the test runs, by the
# modules that sipalg and nft's ct helper need, and the module indexes are
# restored afterwards. dpkg's man-db trigger (the man page index, nothing
# of sipalg's) is off meanwhile.
. "$(dirname "$0")/lib.sh"

export DEBIAN_FRONTEND=noninteractive
kver=$(uname -r)
version=$(cat "$TOP/VERSION")
debs=("$TOP/build/deb/sipalg_${version}_"*.deb "$TOP/build/deb/sipalg-dkms_${version}_all.deb")
tarball=$TOP/build/dkms/tarball/$kver/sipalg-$version.dkms.tar.gz
tarball_root=/usr/share/sipalg-dkms
for f in "${debs[@]}"; do [ -f "$f" ] || fail "$f is missing: run make deb"; done
if [ -z "${T_INSTALL_COMPILE:-}" ]; then
	[ -f "$tarball" ] || fail "$tarball is missing: run make dkms-check"
fi

step_start=$(date +%s)
timing() { # timing WHAT: seconds since the previous call
	local now
	now=$(date +%s)
	say "time: $1 $((now - step_start))s"
	step_start=$now
}

masked=()
moddir=/lib/modules/$kver
mandb_off=""
tool_hidden=""
# Set once (d) and (e) have shown the packages purged and make install
# undone: the cleanup then need not purge and uninstall again (under TCG
# a dpkg run reads its whole database, a few seconds).
purged=""
uninstalled=""
install_cleanup() {
	local status=$?
	[ -z "$tool_hidden" ] || umount "$tool_hidden"
	rmmod sipalg 2>/dev/null
	[ -n "$purged" ] || dpkg --purge sipalg sipalg-dkms >/dev/null 2>&1
	[ -n "$uninstalled" ] || (cd "$TOP" && make --no-print-directory uninstall KVER="$kver" >/dev/null 2>&1)
	rm -rf "$tarball_root"
	local m
	for m in "${masked[@]}"; do umount "$m"; done
	[ -z "$mandb_off" ] || touch "$mandb_off"
	# The whole module tree and its indexes, as the next tests expect them.
	if [ -d "$WORK/modules-index" ]; then
		cp -a "$WORK/modules-index/." "$moddir/"
	fi
	(exit $status)
	cleanup
}
trap install_cleanup EXIT

# Unload MODULE and, first, every module using it; a netns of an earlier
# test may still be going away, holding conntrack: retry for a while.
unload() {
	local m=$1 holder _
	[ -d "/sys/module/$m" ] || return 0
	for holder in /sys/module/"$m"/holders/*; do
		[ -e "$holder" ] && unload "$(basename "$holder")"
	done
	for _ in $(seq 50); do
		rmmod "$m" 2>/dev/null && return 0
		sleep 0.2
	done
	fail "cannot unload $m: $(grep "^$m " /proc/modules)"
}
loaded() { grep -q "^$1 " /proc/modules; }

# sipalg print in the initial namespace must be WANT (a file).
expect_print() {
	local want=$1 what=$2
	"$cli" print >"$WORK/print.txt" 2>&1 || fail "$what: $cli print failed: $(cat "$WORK/print.txt")"
	diff -u "$want" "$WORK/print.txt" || fail "$what: sipalg print differs from the saved configuration (- want, + got)"
	say "ok: $what: sipalg print shows the saved configuration and the modprobe.d options"
}

# The operator's configuration, before the module is loaded: parameters in
# modprobe.d (the initial values), runtime settings in sipalg.conf.
configure() {
	cat >>/etc/modprobe.d/sipalg.conf <<-'EOF'
		options sipalg sip_direct_media=0 max_sessions=1024 registration_pinholes=0
	EOF
	cat >/etc/sipalg/sipalg.conf <<-'EOF'
		# written by t-install
		set ports=5060,5070
		set sip-timeout=10m pinholes-per-host=128
	EOF
}
cat >"$WORK/want-print.txt" <<-'EOF'
	                  ports: 5060,5070
	       sip-direct-media: no
	            sip-timeout: 10m
	               disabled: no
	      pinholes-per-host: 128
	pinholes-per-connection: 48
	         pinholes-hosts: none
	  registration-pinholes: when-needed
EOF
check_loaded() { # check_loaded WHAT: sipalg and what it needs are loaded, configured
	local what=$1 m
	for m in sipalg nf_nat nf_conntrack; do
		loaded "$m" || fail "$what: $m is not loaded"
	done
	[ "$(cat /sys/module/sipalg/parameters/max_sessions)" = 1024 ] ||
		fail "$what: max_sessions is $(cat /sys/module/sipalg/parameters/max_sessions), not modprobe.d's 1024"
	expect_print "$WORK/want-print.txt" "$what"
}
# What boot runs, with the module unloaded first.
boot_load() { # boot_load WHAT
	rmmod sipalg
	/lib/systemd/systemd-modules-load >"$WORK/modules-load.log" 2>&1 ||
		fail "$1: systemd-modules-load failed: $(cat "$WORK/modules-load.log")"
	check_loaded "$1: systemd-modules-load (boot)"
}
# The files make install may touch, one path a line.
file_list() { find /etc /usr/local "/lib/modules/$kver" -xdev \( -type f -o -type l \) | sort; }

# ---- a clean start ----
unload nf_conntrack
unload nf_nat
unload sipalg
for m in sipalg nf_nat nf_conntrack; do
	loaded "$m" && fail "$m is still loaded"
done
modinfo sipalg >/dev/null 2>&1 && fail "a sipalg module is already installed: $(modinfo -F filename sipalg)"
say "ok: no sipalg, nf_nat, nf_conntrack loaded (lsmod), none installed"
for c in /boot/config-*; do
	[ "$c" = "/boot/config-$kver" ] && continue
	mount --bind /dev/null "$c" && masked+=("$c")
done
# dpkg's man-db trigger rebuilds the man page index (slow under TCG, and
# nothing of sipalg's): off while the test runs.
if [ -e /var/lib/man-db/auto-update ]; then
	rm /var/lib/man-db/auto-update
	mandb_off=/var/lib/man-db/auto-update
fi
# A router's module tree: only what sipalg, nft's ct helper and their
# dependencies need, so that each depmod -a takes a second, not a minute.
mkdir -p "$WORK/modules-index" "$WORK/kernel"
cp -a "$moddir"/modules.* "$WORK/modules-index/"
modprobe --show-depends -a nf_conntrack nf_nat nf_tables nft_ct | awk '$1 == "insmod" { print $2 }' |
	sort -u >"$WORK/slim-modules.txt"
while read -r path; do
	rel=${path#"$moddir"/kernel/}
	mkdir -p "$WORK/kernel/$(dirname "$rel")"
	cp "$path" "$WORK/kernel/$rel"
done <"$WORK/slim-modules.txt"
mount --bind "$WORK/kernel" "$moddir/kernel" && masked+=("$moddir/kernel")
depmod -a "$kver" || fail "depmod on the module subset failed"
say "ok: the module tree is the $(wc -l <"$WORK/slim-modules.txt") modules needed: $(xargs -n1 basename <"$WORK/slim-modules.txt" | tr '\n' ' ')"

# ---- (a) the packages ----
if [ -z "${T_INSTALL_COMPILE:-}" ]; then
	mkdir -p "$tarball_root"
	cp "$tarball" "$tarball_root/"
fi
timing "preparing"
dpkg -i "${debs[@]}" >"$WORK/dpkg-i.log" 2>&1 || fail "dpkg -i failed:
$(sed 's/^/    | /' "$WORK/dpkg-i.log")"
timing "dpkg -i (with the postinst's DKMS $([ -n "${T_INSTALL_COMPILE:-}" ] && echo build || echo load) and install)"
sed 's/^/    | /' "$WORK/dpkg-i.log" | grep -vE 'debconf|^    \| \(Reading database'
loaded sipalg && fail "installing the packages loaded the module"
file=$(modinfo -F filename sipalg 2>/dev/null) || fail "modinfo sipalg: no module installed for $kver"
case $file in
"/lib/modules/$kver/updates/dkms/sipalg.ko"*) ;;
*) fail "the module is $file, not DKMS's /lib/modules/$kver/updates/dkms/sipalg.ko" ;;
esac
[ "$(modinfo -F version sipalg)" = "$version" ] || fail "the installed module's version is not $version"
dkms status -m sipalg 2>/dev/null | grep -q "sipalg/$version, $kver, .*: installed" || fail "dkms status: $(dkms status -m sipalg)"
cli=/usr/sbin/sipalg
[ -x "$cli" ] || fail "the package did not install $cli"
say "ok: dpkg -i: $file (version $version, dkms: installed); the module is not loaded yet"

# ---- (b) modprobe ----
configure
modprobe sipalg || fail "modprobe sipalg failed"
check_loaded "modprobe sipalg"
# A bad saved configuration: modprobe says where and fails, nothing of the
# file is applied, the module stays loaded with its parameters.
rmmod sipalg
cp /etc/sipalg/sipalg.conf "$WORK/good.conf"
printf 'set ports=5080\nset sip-timeout=5s\n' >/etc/sipalg/sipalg.conf
modprobe sipalg 2>"$WORK/bad.err" && fail "modprobe sipalg succeeded with a bad /etc/sipalg/sipalg.conf"
expect_in "$WORK/bad.err" "/etc/sipalg/sipalg.conf:2: bad value '5s' for sip-timeout" \
	"a bad sipalg.conf: modprobe fails and names the line"
loaded sipalg || fail "the module did not stay loaded after a bad sipalg.conf"
"$cli" print -j >"$WORK/bad.json"
grep -q '"ports":\[5060,5061\]' "$WORK/bad.json" || fail "a bad sipalg.conf changed something: $(cat "$WORK/bad.json")"
say "ok: a bad sipalg.conf applies nothing; the module stays loaded with its parameters"
rmmod sipalg
cp "$WORK/good.conf" /etc/sipalg/sipalg.conf
modprobe sipalg || fail "modprobe sipalg failed"
check_loaded "modprobe sipalg again"
timing "modprobe"

# ---- (c) what boot runs, and loading on demand ----
boot_load "packages"
rmmod sipalg
nft add table inet t_install
nft add ct helper inet t_install sip '{ type "sipalg" protocol udp; }' ||
	fail "nft could not create a ct helper of type sipalg"
nft delete table inet t_install
check_loaded "nft ct helper type \"sipalg\" (request_module)"
rmmod sipalg
"$cli" print >/dev/null 2>&1 || fail "sipalg print did not load the module: $("$cli" print 2>&1)"
check_loaded "sipalg print (generic netlink family lookup)"
# Without the tool (its package removed, the conffiles kept) the hook
# skips the import and the module loads with the modprobe.d options.
rmmod sipalg
mount --bind /dev/null "$cli" && tool_hidden=$cli
modprobe sipalg || fail "without the sipalg tool, modprobe sipalg fails"
umount "$cli" && tool_hidden=""
[ "$(cat /sys/module/sipalg/parameters/sip_direct_media)" = N ] ||
	fail "without the tool, the modprobe.d options were not applied"
"$cli" print -j >"$WORK/notool.json"
grep -q '"ports":\[5060,5061\]' "$WORK/notool.json" || fail "without the tool, sipalg.conf was applied: $(cat "$WORK/notool.json")"
say "ok: without the tool, modprobe sipalg loads the module with the modprobe.d options alone"
timing "reload by boot, nft and the CLI; without the tool"

# ---- (d) removal ----
rmmod sipalg
dpkg --purge sipalg sipalg-dkms >"$WORK/dpkg-purge.log" 2>&1 || fail "dpkg --purge failed: $(cat "$WORK/dpkg-purge.log")"
modinfo sipalg >/dev/null 2>&1 && fail "dpkg --purge left a module: $(modinfo -F filename sipalg)"
ls /lib/modules/*/updates/dkms/sipalg.ko* >/dev/null 2>&1 && fail "dpkg --purge left $(ls /lib/modules/*/updates/dkms/sipalg.ko*)"
[ -z "$(dkms status -m sipalg 2>/dev/null)" ] || fail "dkms still knows sipalg: $(dkms status -m sipalg)"
[ ! -e "/usr/src/sipalg-$version" ] || fail "dpkg --purge left /usr/src/sipalg-$version"
for f in /etc/sipalg /etc/modprobe.d/sipalg.conf /etc/modules-load.d/sipalg.conf; do
	[ ! -e "$f" ] || fail "dpkg --purge left $f"
done
modprobe sipalg 2>/dev/null && fail "modprobe sipalg still works after dpkg --purge"
say "ok: dpkg --purge: modinfo sipalg fails, nothing in updates/dkms, DKMS and /usr/src clean, no /etc file left"
purged=1
rm -rf "$tarball_root"
timing "dpkg --purge"

# ---- (e) make install, make uninstall ----
file_list >"$WORK/files-before.txt"
timing "listing the files"
(cd "$TOP" && make --no-print-directory install KVER="$kver") >"$WORK/make-install.log" 2>&1 ||
	fail "make install failed: $(cat "$WORK/make-install.log")"
timing "make install"
file_list >"$WORK/files-installed.txt"
cli=/usr/local/sbin/sipalg
grep -v '^#' "$TOP/tests/install-manifest.txt" | sed "s|@PREFIX@|usr/local|; s|@KVER@|$kver|; s|^|/|" |
	sort >"$WORK/files-want.txt"
comm -13 "$WORK/files-before.txt" "$WORK/files-installed.txt" >"$WORK/files-added.txt"
diff -u "$WORK/files-want.txt" "$WORK/files-added.txt" ||
	fail "make install added other files than tests/install-manifest.txt (- want, + added)"
say "ok: make install added exactly the $(wc -l <"$WORK/files-want.txt") files of the manifest"
[ "$(modinfo -F filename sipalg)" = "/lib/modules/$kver/updates/sipalg.ko" ] ||
	fail "after make install modinfo finds $(modinfo -F filename sipalg 2>&1)"
configure
modprobe sipalg || fail "modprobe sipalg after make install failed"
check_loaded "make install, modprobe sipalg"
boot_load "make install"
rmmod sipalg
# The operator's changes go back, so that the lists compare.
cp "$TOP/packaging/etc/sipalg/sipalg.conf" /etc/sipalg/sipalg.conf
timing "modprobe, boot load after make install"
(cd "$TOP" && make --no-print-directory uninstall KVER="$kver") >"$WORK/make-uninstall.log" 2>&1 ||
	fail "make uninstall failed: $(cat "$WORK/make-uninstall.log")"
file_list >"$WORK/files-after.txt"
diff -u "$WORK/files-before.txt" "$WORK/files-after.txt" || fail "make uninstall did not restore the file list (- before install, + after uninstall)"
[ ! -e /etc/sipalg ] || fail "make uninstall left /etc/sipalg"
modinfo sipalg >/dev/null 2>&1 && fail "make uninstall left a module: $(modinfo -F filename sipalg)"
say "ok: make uninstall removed every file make install added; modinfo sipalg fails"
uninstalled=1
timing "make uninstall, listing the files"
