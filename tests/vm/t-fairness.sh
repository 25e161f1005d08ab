#!/bin/bash
# Fairness: one inside host cannot starve the others of pinholes. On a
# small router (nf_conntrack_expect_max 1024), a phone that is in a call
# (answered, no media yet) floods from 40 more SIP connections, 60
# unanswered INVITEs on each, every one with a Call-ID and media ports of
# its own, at full speed. Its pinholes stay within its budgets
# (pinholes-per-host 96, pinholes-per-connection 48) and the refusals are
# counted as the host's; its answered call keeps its pinholes; a call from
# another phone right after has media both ways; the flood's pinholes age
# out within Timer B (32 s, not the 3-minute media timeout), and then the
# flooding phone itself calls with media both ways. On one connection the
# per-connection budget and the per-call caps hold and an answered call's
# class is never taken by the flood, and a host with a budget of its own
# (pinholes-hosts) gets it instead of pinholes-per-host. Nothing is left
# after the flows end:
# no expectation, no ledger entry, no slab object.
. "$(dirname "$0")/lib.sh"

CLI="$TOP/cli/sipalg"
STORM="$TOP/build/storm/sipstorm"
PER_HOST=96
PER_CONN=48
MEDIA_MAX=32
EXPECT_MAX=1024
[ -x "$STORM" ] || fail "$STORM is not built (make vm-tools)"

expect_max0=""
restore() {
	local status=$?
	[ -z "$expect_max0" ] || sysctl -qw net.netfilter.nf_conntrack_expect_max="$expect_max0"
	(exit $status) # cleanup exits with the test's status
	cleanup
}
trap restore EXIT

stat() { sipalg_stat rtr "$@"; }

# call_setup DIR IP SIP_PORT: REGISTER and INVITE from IP:SIP_PORT (media
# on IP:40000) to the server, which answers; no media yet. Sets PUB to the
# public RTP port the rewritten SDP names.
call_setup() {
	local dir=$1 ip=$2 sport=$3 srv
	local values=(--set server=$SERVER --set phone="$ip" --set sip_port="$sport"
		--set rtp_port=40000 --set server_rtp_port=50000)
	mkdir -p "$dir"
	in_wan $SIPUA serve --bind $SERVER:5060 --count 2 --save-dir "$dir/wan" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${values[@]}" >"$dir/server.log" 2>&1 &
	srv=$!
	wait_ready "$dir/server.log"
	in_lan $SIPUA send --bind "$ip:$sport" --to $SERVER:5060 "${values[@]}" \
		"$VM_DIR/msgs/register.sip" >/dev/null || fail "REGISTER got no reply ($dir)"
	in_lan $SIPUA send --bind "$ip:$sport" --to $SERVER:5060 "${values[@]}" \
		"$VM_DIR/msgs/invite.sip" >/dev/null || fail "INVITE got no reply ($dir)"
	wait "$srv" || fail "the server did not get REGISTER and INVITE ($dir): $(cat "$dir/server.log")"
	grep -q "^c=IN IP4 $ROUTER_WAN" "$dir/wan/001.sip" || fail "INVITE not rewritten ($dir)"
	PUB=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$dir/wan/001.sip" | tr -d '\r')
	[ -n "$PUB" ] || fail "no m=audio in the INVITE ($dir)"
}

# media_both_ways DIR IP PUB: RTP from the server in through the pinhole on
# public port PUB to IP:40000, then from the phone back to the server.
MEDIA_SEQ=0
media_both_ways() {
	local dir=$1 ip=$2 pub=$3 from=$((51000 + 2 * MEDIA_SEQ))
	MEDIA_SEQ=$((MEDIA_SEQ + 1))
	rtp_through lan "$dir/rtp-in.log" "$ip:40000" wan "$SERVER:$from" "$ROUTER_WAN:$pub" >/dev/null
	grep -q "received 20 from $SERVER:$from" "$dir/rtp-in.log" ||
		fail "RTP to public port $pub did not reach $ip ($dir): $(cat "$dir/rtp-in.log")"
	rtp_through wan "$dir/rtp-out.log" "$SERVER:$from" lan "$ip:40000" "$SERVER:$from" >/dev/null
	grep -q "received 20 from $ROUTER_WAN:$pub" "$dir/rtp-out.log" ||
		fail "RTP from $ip did not reach the server from $ROUTER_WAN:$pub ($dir): $(cat "$dir/rtp-out.log")"
}

# One look at the expectations: "total host connection-max" for the
# pinholes whose master is from $1 (per connection: by master).
sample() {
	expectations | awk -v host="$1" '
	{
		m = ""
		for (i = 1; i <= NF; i++)
			if ($i ~ /^master-src=/) m = $i " " $(i + 1) " " $(i + 2) " " $(i + 3)
		total++
		if (m ~ ("^master-src=" host " ")) { mine++; per[m]++ }
	}
	END {
		for (k in per) if (per[k] > pm) pm = per[k]
		print total + 0, mine + 0, pm + 0
	}'
}
flood_left() { expectations | grep -c "master-dst=$PEER " || true; }
# The state the pinholes take: objects in use of the slabs that hold them.
slabs() {
	awk '$1 == "nf_conntrack_expect" || $1 == "sipalg_hole" || $1 == "sipalg_host" {
		printf "%s%s %d x %d B", sep, $1, $2, $4; sep = ", " }' /proc/slabinfo
}

topology_up
# (conntrack is loaded by now: the topology's NAT rules need it)
expect_max0=$(cat /proc/sys/net/netfilter/nf_conntrack_expect_max)
sysctl -qw net.netfilter.nf_conntrack_expect_max=$EXPECT_MAX
slab0=$(expect_slab_objects)
insmod "$ko" || fail "insmod failed"
read -r host conn < <(in_rtr "$CLI" print -j |
	$PY -c 'import json, sys; d = json.load(sys.stdin); print(d["pinholes_per_host"], d["pinholes_per_connection"])')
[ "$host $conn" = "$PER_HOST $PER_CONN" ] || fail "default budgets $host per host, $conn per connection"
say "ok: default budgets: $PER_HOST per host, $PER_CONN per connection; nf_conntrack_expect_max $EXPECT_MAX"

# ---- the flooding phone's own call, answered, no media yet ----
call_setup "$WORK/protected" $PHONE2 5060
protected=$PUB

# ---- the flood: 40 connections x 60 unanswered INVITEs ----
in_wan "$STORM" sink --bind $PEER:5060 --idle 600 >"$WORK/sink.log" 2>&1 &
sink=$!
wait_ready "$WORK/sink.log"
flood_start=$(date +%s)
in_lan "$STORM" calls --src $PHONE2 --to $PEER:5060 --flows 40 --base-port 30000 \
	--count 2400 --mix invite --media 2 >"$WORK/flood.log" 2>&1 &
flood=$!
T=0 H=0 C=0
while kill -0 $flood 2>/dev/null; do
	read -r t h c < <(sample $PHONE2)
	[ "$t" -gt $T ] && T=$t
	[ "$h" -gt $H ] && H=$h
	[ "$c" -gt $C ] && C=$c
	sleep 0.5
done
wait $flood || fail "the flood failed: $(cat "$WORK/flood.log")"
flood_end=$(date +%s)
# When the flood's last pinhole goes, watched while the calls below run.
left0=$(flood_left)
(
	while [ "$(flood_left)" -gt 0 ]; do sleep 1; done
	date +%s >"$WORK/aged"
) &
poller=$!
read -r t h c < <(sample $PHONE2)
[ "$t" -gt $T ] && T=$t
[ "$h" -gt $H ] && H=$h
[ "$c" -gt $C ] && C=$c
read -r hmax refused_host refused_conn refused_table < <(stat pinholes_host_max \
	pinholes_refused_host pinholes_refused_connection pinholes_refused_table)
say "ok: $(cat "$WORK/flood.log")"
say "    most pinholes at once: $T in all, $H of $PHONE2, $C on one connection;" \
	"largest host now $hmax; refused: host $refused_host, connection $refused_conn, table $refused_table"
[ "$H" -le $PER_HOST ] && [ "$hmax" -le $PER_HOST ] || fail "$PHONE2 held $H pinholes (budget $PER_HOST)"
[ "$C" -le $PER_CONN ] || fail "a connection held $C pinholes (budget $PER_CONN)"
[ "$T" -le $EXPECT_MAX ] || fail "$T pinholes, nf_conntrack_expect_max is $EXPECT_MAX"
[ "$refused_host" -gt 0 ] || fail "the flood was never refused by the host budget"
[ "$refused_table" -eq 0 ] || fail "$refused_table requests refused by a full table"
[ "$H" -ge $((PER_HOST - 4)) ] || fail "the host budget was never reached ($H of $PER_HOST)"
say "ok: the flooding host stayed within its budgets and the table never filled"
say "    slabs in use: $(slabs)"

# ---- right after: another phone's call, and the flooder's answered call ----
call_setup "$WORK/other" $PHONE 5060
media_both_ways "$WORK/other" $PHONE "$PUB"
say "ok: a call from $PHONE right after the flood: media both ways (public port $PUB)"
media_both_ways "$WORK/protected" $PHONE2 "$protected"
say "ok: the flooding phone's answered call kept its pinholes: media both ways (public port $protected)"

# ---- the flood's offers age out within Timer B ----
[ "$left0" -gt 0 ] || fail "no flood pinhole right after the flood"
while [ ! -s "$WORK/aged" ]; do
	[ $(($(date +%s) - flood_end)) -le 60 ] ||
		fail "$(flood_left) flood pinholes left $(($(date +%s) - flood_end)) s after the flood:
$(expectations | grep "master-dst=$PEER " | head -5)"
	sleep 1
done
wait $poller
aged=$(($(cat "$WORK/aged") - flood_start))
# Opened as the flood began (the budget was full at once), so they go
# about 32 s after that: not sooner (nothing else removed them), not 180 s
# (the slack is the watcher's: conntrack -L in the emulated VM is slow).
[ $aged -ge 25 ] && [ $aged -le 42 ] ||
	fail "the flood's pinholes took $aged s to age out, want 25..42 (Timer B 32 s)"
say "ok: the flood's $left0 unanswered offer pinholes aged out ${aged} s after it began" \
	"($((flood_end - flood_start)) s long; Timer B 32 s, not 180 s)"
call_setup "$WORK/flooder" $PHONE2 5064
media_both_ways "$WORK/flooder" $PHONE2 "$PUB"
say "ok: then a call from the flooding phone itself: media both ways (public port $PUB)"
kill $sink 2>/dev/null
wait $sink 2>/dev/null

# ---- one connection: an answered call, then a flood on the same flow ----
# The flooding phone has no host limit of its own (pinholes-hosts), while
# every other host gets a tiny one: only the connection's budget holds it.
in_rtr "$CLI" set pinholes-per-host=4 pinholes-hosts=$PHONE2:0 || fail "set pinholes-hosts failed"
in_rtr "$CLI" stats --reset
call_setup "$WORK/answered" $PHONE2 5062
answered=$PUB
in_wan "$STORM" sink --bind $SERVER:5060 --idle 600 >"$WORK/sink2.log" 2>&1 &
wait_ready "$WORK/sink2.log"
in_lan "$STORM" calls --src $PHONE2 --to $SERVER:5060 --flows 1 --base-port 5062 \
	--count 60 --mix invite --media 2 >"$WORK/flood2.log" 2>&1 || fail "the flood failed: $(cat "$WORK/flood2.log")"
mine=$(expectations | grep "master-src=$PHONE2 master-dst=$SERVER sport=5062 ")
n=$(grep -c . <<<"$mine")
per_class=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^class=/) c[$i]++ } END { for (k in c) if (c[k] > m) m = c[k]; print m + 0 }' <<<"$mine")
read -r refused_conn refused_host < <(stat pinholes_refused_connection pinholes_refused_host)
say "ok: 60 INVITEs on one answered connection: $n pinholes, at most $per_class in a class," \
	"$refused_conn refused by the connection's budget, $refused_host by the host's"
[ "$n" -le $PER_CONN ] || fail "the connection held $n pinholes (budget $PER_CONN)"
[ "$n" -ge $((PER_CONN - 2)) ] && [ "$refused_host" -eq 0 ] ||
	fail "$PHONE2's own budget (none) was not used: $n pinholes, $refused_host refused by the host budget (4)"
[ "$per_class" -le $MEDIA_MAX ] || fail "a class held $per_class pinholes (cap $MEDIA_MAX)"
[ "$refused_conn" -gt 0 ] || fail "the connection's budget was never reached"
media_both_ways "$WORK/answered" $PHONE2 "$answered"
say "ok: the connection's answered call kept its pinholes: media both ways (public port $answered)"

# ---- nothing left ----
ledger_emptied "$slab0"
