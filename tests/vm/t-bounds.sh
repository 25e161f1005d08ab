#!/bin/bash
# Resource bounds: a flood of valid REGISTERs and INVITEs (tests/storm/
# sipstorm calls), each with a Call-ID and media ports of its own, answered
# by a registrar that grants every binding, first over 4 signalling flows,
# then over thousands, all from one host with the per-host and
# per-connection budgets off (t-fairness tests those). The pinholes
# (conntrack expectations) of one SIP connection stay within sipalg's caps
# (kmod/helper.h: signalling 8, each of the 3 media classes 32; the newest
# request is refused), all of them within
# net.netfilter.nf_conntrack_expect_max (refusals counted as
# pinholes_refused_table), and the media limits are really reached, not
# just respected; a connection's registration, refreshed a
# thousand times, stays one pinhole (a UDP phone's one binding is on its own
# port: the registrar's 2xx listing it replaces the pinhole in place); the helper keeps nothing else per
# call or registration (a fixed-size area per connection). The maxima
# measured while the flood runs are printed. Everything goes with the
# flows, and the module leaves no expectation object behind.
. "$(dirname "$0")/lib.sh"

CLI="$TOP/cli/sipalg"
STORM="$TOP/build/storm/sipstorm"
SIG_MAX=8
MEDIA_MAX=32
MEDIA_CLASSES=3
PER_CT_MAX=$((SIG_MAX + MEDIA_CLASSES * MEDIA_MAX))
SIG_PER_FLOW=1 # one binding per UDP flow, refreshed in place
PER_CT_FLOOD=$((SIG_PER_FLOW + MEDIA_CLASSES * MEDIA_MAX))
[ -x "$STORM" ] || fail "$STORM is not built (make vm-tools)"

# One look at the router's expectations: "total per-connection-max
# signalling-max media-class-max connections" (per connection: by master).
sample() {
	expectations | awk '
	{
		m = ""; c = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^master-src=/) m = $i " " $(i + 1) " " $(i + 2) " " $(i + 3)
			if ($i ~ /^class=/) c = substr($i, 7)
		}
		total++
		if (!(m in per)) masters++
		per[m]++
		cls[m "/" c]++
		kind[m "/" c] = c
	}
	END {
		for (k in per) if (per[k] > pm) pm = per[k]
		for (k in cls) {
			if (kind[k] == 0 && cls[k] > sm) sm = cls[k]
			if (kind[k] > 0 && cls[k] > mm) mm = cls[k]
		}
		print total + 0, pm + 0, sm + 0, mm + 0, masters + 0
	}'
}

# flood NAME CHUNKS SIZE CALLS-OPTIONS...: the flood, in CHUNKS bursts of
# SIZE requests each, with a look at the expectations after every burst;
# sets T P S M N to the maxima. (A listing taken while expectations come
# and go is not a snapshot: conntrack dumps the table in several parts, and
# one evicted early and its replacement added later can both be in it.)
flood() {
	local name=$1 chunks=$2 size=$3 c t p s m n
	shift 3
	T=0 P=0 S=0 M=0 N=0
	: >"$WORK/$name.log"
	for c in $(seq 0 $((chunks - 1))); do
		in_lan "$STORM" calls --src $PHONE2 --to $PEER:5060 --media 2 \
			--first $((c * size)) --count "$size" "$@" \
			>>"$WORK/$name.log" 2>&1 || fail "the flood failed: $(cat "$WORK/$name.log")"
		read -r t p s m n < <(sample)
		[ "$t" -gt $T ] && T=$t
		[ "$p" -gt $P ] && P=$p
		[ "$s" -gt $S ] && S=$s
		[ "$m" -gt $M ] && M=$m
		[ "$n" -gt $N ] && N=$n
	done
	awk '{ sent += $3; inv += substr($4, 2); reg += $9 } END {
		printf "    %d requests: %d INVITE with 2 media streams, %d REGISTER\n", sent, inv, reg }' \
		"$WORK/$name.log"
}

stat() { sipalg_stat rtr "$@"; }

topology_up
expect_max=$(cat /proc/sys/net/netfilter/nf_conntrack_expect_max)
slab0=$(expect_slab_objects)
insmod "$ko" || fail "insmod failed"
# One host floods: its budgets would stop it long before the limits here.
in_rtr "$CLI" set pinholes-per-host=0 pinholes-per-connection=0 || fail "set the budgets off failed"
# A registrar: its 200 OKs, listing each REGISTER's binding, are what open
# the registration pinholes.
in_wan "$STORM" sink --bind $PEER:5060 --idle 300 --registrar >"$WORK/sink.log" 2>&1 &
wait_ready "$WORK/sink.log"

# ---- a few signalling flows, thousands of calls and registrations ----
flood few 6 300 --flows 4 --base-port 30000
read -r opened failed regs < <(stat pinholes_opened pinholes_failed registration_pinholes)
say "ok: 4 flows: most pinholes at once: $T in all, $P on one connection (limit $PER_CT_MAX)," \
	"signalling $S (limit $SIG_MAX), one media class $M (limit $MEDIA_MAX)"
say "    (pinholes opened $opened, registration pinholes $regs, failed $failed)"
[ "$S" -le $SIG_MAX ] && [ "$M" -le $MEDIA_MAX ] && [ "$P" -le $PER_CT_MAX ] &&
	[ "$T" -le "$expect_max" ] || fail "a limit was exceeded: $(expectations | tail -20)"
# The limits were reached (the flood asked for far more), so they hold.
read -r t p s m n < <(sample)
[ "$s" -eq $SIG_PER_FLOW ] && [ "$m" -eq $MEDIA_MAX ] && [ "$p" -eq $PER_CT_FLOOD ] && [ "$n" -eq 4 ] ||
	fail "after the flood: $t pinholes on $n connections, per connection $p, signalling $s," \
		"media class $m: want signalling $SIG_PER_FLOW (the registration refreshed in place)" \
		"and the media limits reached"
say "ok: each of the 4 connections holds exactly $PER_CT_FLOOD pinholes after 1800 requests:" \
	"its registration once, each media class at its limit"
in_rtr conntrack -D -s $PHONE2 >/dev/null 2>&1
[ -z "$(expectations)" ] || fail "pinholes left after deleting their flows: $(expectations | head)"

# ---- thousands of flows: the global limit ----
in_rtr "$CLI" stats --reset
flood many 6 1000 --flows 16 --rotate 4
read -r opened failed table < <(stat pinholes_opened pinholes_failed pinholes_refused_table)
slab_peak=$(expect_slab_objects)
say "ok: 1500 flows: most pinholes at once: $T (nf_conntrack_expect_max $expect_max) on $N" \
	"connections, $P on one connection; expectation objects $slab_peak"
say "    (pinholes opened $opened, refused at the limit $failed, of them by the full table $table)"
[ "$T" -le "$expect_max" ] && [ "$P" -le $PER_CT_MAX ] && [ "$S" -le $SIG_MAX ] &&
	[ "$M" -le $MEDIA_MAX ] || fail "a limit was exceeded"
[ "$failed" -gt 0 ] && [ "$table" -gt 0 ] ||
	fail "the flood never reached nf_conntrack_expect_max ($T of $expect_max)"

in_rtr conntrack -D -s $PHONE2 >/dev/null 2>&1
[ -z "$(expectations)" ] || fail "pinholes left after deleting their flows: $(expectations | head)"
say "ok: all pinholes gone with their flows"

call_and_media "$WORK/call"
say "ok: a call after the floods works"
dmesg | grep -E 'WARNING|BUG|Oops|soft lockup|hung_task|refcount|general protection' &&
	fail "kernel complained"
in_rtr conntrack -F >/dev/null 2>&1
rmmod sipalg || fail "rmmod failed"
slab=$(expect_slab_objects "$slab0")
[ "$slab" -le "$slab0" ] || fail "nf_conntrack_expect objects: $slab0 before, $slab after unloading"
say "ok: module unloads; nf_conntrack_expect objects $slab0 before, $slab after"
