#!/bin/bash
# make bench, inside the VM: what each helper costs the NAT router, as
# datagrams (or bytes) per second forwarded lan -> wan with no helper, with
# the kernel's nf_conntrack_sip/nf_nat_sip and with sipalg. Figures only:
# nothing here passes or fails on speed. The tables (BENCH_ONLY picks some,
# by the names in brackets):
#
#   [sip]    a REGISTER and an ~800-byte INVITE with SDP, on one flow
#            (retransmissions) and on 1000 flows (a new conntrack per
#            datagram), none / kernel / sipalg
#   [other]  bytes that are not SIP through a helped port: a TLS-like TCP
#            stream to 5061 (throughput), STUN binding requests and CRLF
#            keep-alives to UDP 5060, none / sipalg
#   [tcp]    the ~800-byte INVITE written back to back on one TCP
#            connection to 5060: with the default MSS and with the phone's
#            TCP_MAXSEG 536 (every message in 2 or more segments), offloads
#            off on the veths, and with offloads on (64 KB GSO packets),
#            from the phone and from one whose address is shorter than the
#            router's (every message grows; a 64 KB packet has no room):
#            messages per second, none / kernel / sipalg, how many whole
#            messages the server got and how many name the phone, and
#            sipalg's split counters (held, joined, given up)
#   [calls]  re-INVITEs of one call on a connection that carries 1, 8 or 32
#            answered calls with their pinholes, none / sipalg
#   [conns]  a REGISTER flood spread over 10,000 live flows (created before
#            the clock starts), none / sipalg
#   [trace]  the cost of `sipalg trace`: sipalg alone and with a listener on
#            the router, a --full one, and one in another namespace (lan:
#            it gets nothing, but the kernel cannot tell, see Known limits)
#
# The host is noisy, so every table is measured in rounds, each round
# running every mode once, in an order rotated round by round (no mode
# always first). A ratio is taken within each round, from that round's own
# measurements, and the table prints the median of the rounds' ratios with
# their spread (min..max) beside the medians of the rates; costs in ns per
# message are 1e9/pps(mode) - 1e9/pps(base), also per round.
#
# usage: bench.sh [ROUNDS] [SECONDS]   (BENCH_ONLY="sip other ...")
. "$(dirname "$0")/lib.sh"

rounds=${1:-3}
seconds=${2:-2}
only=${BENCH_ONLY:-sip other tcp calls conns trace}
tools="$TOP/build/bench"
for tool in udpflood udpsink tlsflood tcpsink udpask sipstream; do
	[ -x "$tools/$tool" ] || fail "bench tool $tool not built (make bench builds them)"
done
# 10,000 flows are 10,000 sockets.
ulimit -n 65536

values=(--set server=$SERVER --set phone=$PHONE --set sip_port=5060 --set rtp_port=40000)
$SIPUA fill "${values[@]}" "$VM_DIR/msgs/register.sip" >"$WORK/REGISTER"
$SIPUA fill "${values[@]}" "$VM_DIR/msgs/invite-800.sip" >"$WORK/INVITE"
# The [tcp] table's phone with an address shorter than the router's.
SHORT_PHONE=10.0.0.5
$SIPUA fill "${values[@]}" --set phone=$SHORT_PHONE "$VM_DIR/msgs/invite-800.sip" >"$WORK/INVITE-short"
# A STUN binding request (RFC 5389: type 1, no attributes, the magic
# cookie, a transaction id) and a keep-alive (RFC 5626 4.4.1: CRLF CRLF).
printf '\x00\x01\x00\x00\x21\x12\xa4\x42bench-stun-1' >"$WORK/STUN"
printf '\r\n\r\n' >"$WORK/CRLF"

want() { case " $only " in *" $1 "*) return 0 ;; esac; return 1; }
progress() { printf '  [%s] %s\n' "$(date +%T)" "$*"; }

# Module parameters and `sipalg set` arguments for the tables that need
# more than the defaults.
ko_params=()
sipalg_set=()
mode_none() {
	[ -f "$WORK/bench.trace-pid" ] && bench_trace_stop
	in_rtr nft delete table inet kernel_sip 2>/dev/null
	grep -q '^sipalg ' /proc/modules && rmmod sipalg
	return 0
}
mode_kernel() { mode_none; use_kernel_helper; }
mode_sipalg() {
	mode_none
	insmod "$ko" "${ko_params[@]}"
	[ ${#sipalg_set[@]} -eq 0 ] || in_rtr "$TOP/cli/sipalg" set "${sipalg_set[@]}" >/dev/null
}
# Unlike trace_stop, no complaint if the listener says it lost records:
# trace_lost counts them.
bench_trace_stop() {
	local _
	kill -INT "$(cat "$WORK/bench.trace-pid")"
	for _ in $(seq 100); do
		[ -s "$WORK/bench.rc" ] && break
		sleep 0.1
	done
	rm -f "$WORK/bench.trace-pid"
}
# A listener that prints every record (to /dev/null: the CLI's decoding
# and printing are part of the cost, as on a real router).
mode_trace() { mode_sipalg; TRACE_OUT=/dev/null trace_start bench rtr -j; }
mode_trace_full() { mode_sipalg; TRACE_OUT=/dev/null trace_start bench rtr -j --full; }
mode_trace_other() { mode_sipalg; TRACE_OUT=/dev/null trace_start bench lan -j; }

# rate LOG: the sink's "received N in S seconds" as N per second.
rate() {
	sed -n 's/^received \([0-9]*\) in \([0-9.]*\) seconds/\1 \2/p' "$1" |
		awk '{ printf "%.0f\n", ($2 > 0) ? $1 / $2 : 0 }'
}

# flood MESSAGE FLOWS [BATCH PORT]: datagrams per second received on the
# WAN side while udpflood sends MESSAGE on FLOWS flows (on the conntracks
# there are: the caller flushes them or sets them up).
# A flood that gets nothing through at all (seen once in ~100 runs, most
# likely when wait_ready found the last sink's "ready" in a log not yet
# truncated, and the flood began before the sink listened) is sent again
# once, and said so, rather than count as a rate of 0.
flood() {
	local message=$1 flows=$2 log="$WORK/sink.log" pps try
	for try in 1 2; do
		rm -f "$log" # else wait_ready may see the last sink's "ready"
		in_wan "$tools/udpsink" $SERVER 5060 "$seconds" >"$log" &
		wait_ready "$log"
		in_lan "$tools/udpflood" $PHONE $SERVER 5060 "$WORK/$message" "$((seconds + 1))" \
			"$flows" "${@:3}" >/dev/null
		wait
		pps=$(rate "$log")
		[ "${pps:-0}" -gt 0 ] && break
		progress "($current: $message x $flows got nothing through (try $try): $(cat "$log"))" >&2
	done
	echo "$pps"
}
run() {
	in_rtr conntrack -F >/dev/null 2>&1
	flood "$@"
}

# run_trace MESSAGE FLOWS: run, and add the records the kernel could not
# deliver to the current mode's count.
run_trace() {
	run "$1" "$2"
	echo $(($(cat "$WORK/$current.lost") + $(sipalg_stat rtr trace_lost))) >"$WORK/$current.lost"
}

# run_tls: KiB per second of a TLS-like stream to port 5061.
run_tls() {
	local log="$WORK/tcpsink.log"
	in_rtr conntrack -F >/dev/null 2>&1
	rm -f "$log" # else wait_ready may see the last sink's "ready"
	in_wan "$tools/tcpsink" $SERVER 5061 "$seconds" >"$log" &
	wait_ready "$log"
	in_lan "$tools/tlsflood" $PHONE $SERVER 5061 "$((seconds + 1))" >/dev/null
	wait
	rate "$log" | awk '{ printf "%.0f\n", $1 / 1024 }'
}

# The veths' TSO and GRO (the tcp table turns them off, the other tables
# keep the defaults): offloads_save records them, offloads_set off|on sets
# both (on: as recorded).
VETHS=(lan:lan0 wan:wan0 rtr:rtr-lan rtr:rtr-wan)
offloads_save() {
	local ns_dev
	for ns_dev in "${VETHS[@]}"; do
		ip netns exec "${ns_dev%%:*}" ethtool -k "${ns_dev#*:}" |
			awk '/^tcp-segmentation-offload:/ { tso = $2 }
			     /^generic-receive-offload:/ { gro = $2 }
			     END { print "tso", tso, "gro", gro }' >"$WORK/offloads.${ns_dev#*:}"
	done
}
offloads_set() {
	local ns_dev dev args
	for ns_dev in "${VETHS[@]}"; do
		dev=${ns_dev#*:}
		if [ "$1" = off ]; then
			args=(tso off gro off)
		else
			read -ra args <"$WORK/offloads.$dev"
		fi
		ip netns exec "${ns_dev%%:*}" ethtool -K "$dev" "${args[@]}" >/dev/null ||
			fail "ethtool -K $dev ${args[*]} failed"
	done
}

# run_stream [MSS]: messages per second the server gets of the INVITE
# written back to back on one TCP connection to port 5060 (sipstream,
# with TCP_MAXSEG MSS when given): bytes received per second over the
# mean length of the whole messages received (tcpsink frames the whole
# stream; a rewritten INVITE is shorter than the phone's). Adds, per
# mode, how many messages came whole, how many still name the phone's
# address and whether the stream stopped being whole messages to
# $WORK/$current.private, and sipalg's counters to $WORK/stream.counters.
# The sink's log goes first: the background job opens it for writing
# only when it starts, and wait_ready, meanwhile, would find the last
# sink's "ready" in it (most likely why one stream's connect was
# refused). A stream that gets nothing through all the same is sent
# again once, and said so, as in flood.
run_stream() {
	local log="$WORK/tcpsink.log" count len private broken c p b try
	local phone=${STREAM_PHONE:-$PHONE} invite=${STREAM_INVITE:-$WORK/INVITE}
	for try in 1 2; do
		in_rtr conntrack -F >/dev/null 2>&1
		rm -f "$log"
		in_wan "$tools/tcpsink" $SERVER 5060 "$seconds" "$phone" >"$log" &
		wait_ready "$log"
		in_lan "$tools/sipstream" "$phone" $SERVER 5060 "$invite" "$((seconds + 1))" "$@" >/dev/null
		wait
		[ "$(rate "$log")" -gt 0 ] && break
		progress "($current: the INVITE stream got nothing through (try $try): $(cat "$log"))" >&2
	done
	read -r count len private broken < <(sed -n 's/^messages //p' "$log")
	read -r c p b <"$WORK/$current.private"
	echo "$((c + ${count:-0})) $((p + ${private:-0})) $((b + ${broken:-1}))" >"$WORK/$current.private"
	if grep -q '^sipalg ' /proc/modules; then
		in_rtr "$TOP/cli/sipalg" stats -j >"$WORK/stream.stats.json"
		/usr/bin/python3 - "$WORK/stream.stats.json" "$WORK/stream.counters" <<-'PY'
		import json, sys
		now, path = json.load(open(sys.argv[1])), sys.argv[2]
		try:
		    total = json.load(open(path))
		except (OSError, ValueError):
		    total = {}
		for key, value in now.items():
		    # tcp_split_bytes and its cap are gauges, not counters.
		    if key in ("messages", "rewritten") or ("tcp_split" in key and
		                                             not key.startswith("tcp_split_bytes")):
		        total[key] = total.get(key, 0) + value
		json.dump(total, open(path, "w"))
		PY
	fi
	rate "$log" | awk -v len="$len" '{ printf "%.0f\n", (len > 0) ? $1 / len : 0 }'
}

# run_calls N: N calls on the phone's one UDP connection (port 5060), each
# with a Call-ID and media port of its own, answered by the server with SDP
# (so each has pinholes for both sides' media), then the last call's
# re-INVITE (same SDP) flooded on that connection. The last call: it holds
# a call slot for sure (see the calls table).
run_calls() {
	local n=$1 i files=()
	in_rtr conntrack -F >/dev/null 2>&1
	for i in $(seq "$n"); do
		files+=("$WORK/call-$i.sip")
	done
	in_wan $SIPUA serve --bind $SERVER:5060 --count "$n" --save-dir "$WORK/calls-wan" \
		--answer-sdp "$VM_DIR/msgs/answer.sdp" "${CALL_VALUES[@]}" >"$WORK/calls.log" 2>&1 &
	wait_ready "$WORK/calls.log"
	in_lan "$tools/udpask" $PHONE 5060 $SERVER 5060 "${files[@]}" >/dev/null ||
		fail "not every INVITE of $n calls was answered: $(cat "$WORK/calls.log")"
	wait
	if grep -q '^sipalg ' /proc/modules; then
		sipalg_stat rtr pinholes call_slots_reused >"$WORK/calls-$n.state"
	fi
	flood "REINVITE-$n" 1
}
# call-I.sip: the INVITE of call I; REINVITE-I: its re-INVITE (media
# ports of five digits all: the Content-Length stays right).
if want calls; then
	$SIPUA fill "${values[@]}" "$VM_DIR/msgs/invite.sip" >"$WORK/call.sip"
	$SIPUA fill "${values[@]}" "$VM_DIR/msgs/reinvite.sip" >"$WORK/reinvite.sip"
	for i in $(seq 32); do
		edit=("s/^Call-ID: [^\r]*/Call-ID: bench-call-$i@$PHONE/"
			"s/^m=audio 40000 /m=audio $((40000 + 2 * i)) /")
		sed -e "${edit[0]}" -e "${edit[1]}" "$WORK/call.sip" >"$WORK/call-$i.sip"
		sed -e "${edit[0]}" -e "${edit[1]}" "$WORK/reinvite.sip" >"$WORK/REINVITE-$i"
	done
fi

# run_conns N: N flows (source ports 20000...) created with one REGISTER
# each before the sink starts, then REGISTERs sent round-robin over them,
# one per flow in turn.
run_conns() {
	in_rtr conntrack -F >/dev/null 2>&1
	in_lan "$tools/udpflood" $PHONE $SERVER 5060 "$WORK/REGISTER" 0 "$1" 1 20000 >/dev/null
	flood REGISTER "$1" 1 20000
}

# measure "MODES" COMMAND...: $rounds rounds; in each, every mode is set up
# (mode_MODE) and COMMAND run, its output appended to $WORK/MODE.txt (one
# line per round). Round r starts with mode r (mod the number of modes).
# COMMAND finds the mode in $current.
current=
measure() {
	local modes i round mode
	read -ra modes <<<"$1"
	shift
	for mode in "${modes[@]}"; do
		: >"$WORK/$mode.txt"
	done
	for round in $(seq "$rounds"); do
		for i in $(seq 0 $((${#modes[@]} - 1))); do
			mode=${modes[$(((round - 1 + i) % ${#modes[@]}))]}
			current=$mode
			"mode_$mode"
			"$@" >>"$WORK/$mode.txt"
		done
	done
	mode_none
}

median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.0f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# spread FORMAT: "median (min..max)" of the numbers on stdin.
spread() {
	sort -g | awk -v f="$1" '{ v[NR] = $1 }
		END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf f " (" f ".." f ")", m, v[1], v[NR] }'
}
# ratio A B: the rounds' A/B, as median (min..max).
ratio() {
	paste "$WORK/$1.txt" "$WORK/$2.txt" | awk '{ print ($2 > 0) ? $1 / $2 : 0 }' | spread %.2f
}
# cost A B: the rounds' ns per message of A over B, 1e9/A - 1e9/B.
cost() {
	paste "$WORK/$1.txt" "$WORK/$2.txt" |
		awk '{ print ($1 > 0 && $2 > 0) ? 1e9 / $1 - 1e9 / $2 : 0 }' | spread %.0f
}
rounds_of() {
	local mode line=""
	for mode in "$@"; do
		line="$line${line:+ | }$mode $(paste -sd ' ' "$WORK/$mode.txt")"
	done
	echo "    rounds: $line"
}

topology_up
modprobe nf_conntrack_sip
modprobe nf_nat_sip
echo "sipalg VM benchmark: $rounds rounds x ${seconds}s, the modes' order rotated each round"
# vm-run.sh -i says so on the kernel command line.
icount=$(sed -n 's/.*sipalg\.icount=\([^ ]*\).*/\1/p' /proc/cmdline)
if [ -n "$icount" ]; then
	clock="icount shift=$icount: guest time counts instructions"
else
	clock="real time: the host's load counts"
fi
echo "(forwarded lan -> wan through the NAT router, QEMU TCG, $(nproc) vCPUs; $clock)"
echo "ratios and ns/msg: median of the rounds' own (min..max over the rounds)"

if want sip; then
	echo
	echo "== SIP: datagrams per second (medians), and each round's ratios =="
	for message in REGISTER INVITE; do
		for flows in 1 1000; do
			progress "$message x $flows flows: $rounds rounds of none, kernel, sipalg"
			measure "none kernel sipalg" run "$message" "$flows"
			printf '%-10s %-6s %8s %8s %8s   %-18s %-18s %-18s\n' "$message" "$flows" \
				"$(median <"$WORK/none.txt")" "$(median <"$WORK/kernel.txt")" \
				"$(median <"$WORK/sipalg.txt")" "$(ratio sipalg none)" "$(ratio kernel none)" \
				"$(ratio sipalg kernel)" >>"$WORK/table"
			rounds_of none kernel sipalg >>"$WORK/table"
		done
	done
	printf '\n%-10s %-6s %8s %8s %8s   %-18s %-18s %-18s\n' message flows none kernel sipalg \
		sipalg/none kernel/none sipalg/kernel | sed 's/ *$//'
	sed "s/ *$//" "$WORK/table"
	rm "$WORK/table"
fi

if want other; then
	echo
	echo "== Not SIP through helped ports: TLS-like TCP stream to 5061 (KB/s), STUN and CRLF to UDP 5060 (datagrams/s) =="
	progress "TLS-like stream to 5061: $rounds rounds of none, sipalg"
	measure "none sipalg" run_tls
	printf '%-10s %10s %10s   %-18s\n' "TLS 5061" "$(median <"$WORK/none.txt")" \
		"$(median <"$WORK/sipalg.txt")" "$(ratio sipalg none)" >>"$WORK/table"
	rounds_of none sipalg >>"$WORK/table"
	for message in STUN CRLF; do
		progress "$message datagrams to 5060: $rounds rounds of none, sipalg"
		measure "none sipalg" run "$message" 1
		printf '%-10s %10s %10s   %-18s\n' "$message" "$(median <"$WORK/none.txt")" \
			"$(median <"$WORK/sipalg.txt")" "$(ratio sipalg none)" >>"$WORK/table"
		rounds_of none sipalg >>"$WORK/table"
	done
	printf '\n%-10s %10s %10s   %-18s\n' stream none sipalg sipalg/none | sed 's/ *$//'
	sed "s/ *$//" "$WORK/table"
	rm "$WORK/table"
fi

if want tcp; then
	echo
	echo "== SIP over TCP: the INVITE written back to back on one connection to 5060, messages per second (medians), and each round's ratios =="
	echo "(messages/s = bytes received/s over the mean length of the messages the server got; the server frames the whole stream)"
	offloads_save
	# MSS 1460 and 536: offloads off on the veths, each segment a packet
	# of its own. GSO: offloads as they come (the phone's TSO hands the
	# router packets of up to 64 KB, each beginning and ending inside a
	# message), the router's receive steered to one CPU as a NIC's
	# receive queue would (t-sipalg-tcp-stream says why).
	# (The shorter phone: a second prefix on the LAN, masqueraded too.)
	short_phone_net $SHORT_PHONE
	for stream in 1460 536 gso grow; do
		STREAM_PHONE=$PHONE STREAM_INVITE=$WORK/INVITE
		if [ "$stream" = gso ] || [ "$stream" = grow ]; then
			name="INVITE stream, GSO"
			offloads_set on
			router_rps_cpus 1
		else
			name="INVITE stream, MSS $stream"
			offloads_set off
		fi
		if [ "$stream" = grow ]; then
			name="INVITE stream, GSO, grows"
			STREAM_PHONE=$SHORT_PHONE STREAM_INVITE=$WORK/INVITE-short
		fi
		progress "$name: $rounds rounds of none, kernel, sipalg"
		rm -f "$WORK/stream.counters"
		for mode in none kernel sipalg; do
			echo "0 0 0" >"$WORK/$mode.private"
		done
		# 1460: the default (no TCP_MAXSEG).
		if [ "$stream" = 536 ]; then
			measure "none kernel sipalg" run_stream "$stream"
		else
			measure "none kernel sipalg" run_stream
		fi
		read -r n0 p0 b0 <"$WORK/none.private"
		read -r n1 p1 b1 <"$WORK/kernel.private"
		read -r n2 p2 b2 <"$WORK/sipalg.private"
		{
			printf '%-24s %8s %8s %8s   %-18s %-18s %-18s\n' "$name" \
				"$(median <"$WORK/none.txt")" "$(median <"$WORK/kernel.txt")" \
				"$(median <"$WORK/sipalg.txt")" "$(ratio sipalg none)" "$(ratio kernel none)" \
				"$(ratio sipalg kernel)"
			rounds_of none kernel sipalg
			echo "    ns/msg over none: kernel $(cost kernel none) | sipalg $(cost sipalg none)"
			echo "    whole messages that name the phone, summed over the rounds: none $p0/$n0 | kernel $p1/$n1 | sipalg $p2/$n2"
			echo "    rounds whose stream stopped being whole messages: none $b0 | kernel $b1 | sipalg $b2 (of $rounds)"
			/usr/bin/python3 - "$WORK/stream.counters" <<-'PY'
			import json, sys
			c = json.load(open(sys.argv[1]))
			keys = ["messages", "rewritten"] + sorted(k for k in c if k.startswith("tcp_split")) + ["passed_tcp_split"]
			print("    sipalg, summed over the rounds:", " ".join(f"{k} {c.get(k, 0)}" for k in keys
			      if c.get(k, 0) or k in ("messages", "rewritten", "tcp_split_held", "tcp_split_joined", "passed_tcp_split")))
			PY
		} >>"$WORK/table"
		[ "$stream" = 1460 ] || [ "$stream" = 536 ] || router_rps_cpus 0
	done
	offloads_set on
	printf '\n%-24s %8s %8s %8s   %-18s %-18s %-18s\n' stream none kernel sipalg \
		sipalg/none kernel/none sipalg/kernel | sed 's/ *$//'
	sed "s/ *$//" "$WORK/table"
	rm "$WORK/table"
fi

if want calls; then
	echo
	echo "== Calls on one connection: re-INVITE of one call, datagrams per second, and sipalg's ns per message =="
	# A connection keeps 3 call slots (SIPALG_CALL_SLOTS); more calls
	# share them (call_slots_reused), their pinholes stay. The budgets
	# would refuse pinholes beyond 48 per connection and 96 per host:
	# off for this table.
	sipalg_set=(pinholes-per-connection=0 pinholes-per-host=0)
	for calls in 1 8 32; do
		progress "$calls calls, then their re-INVITE: $rounds rounds of none, sipalg"
		measure "none sipalg" run_calls "$calls"
		read -r pinholes reused <"$WORK/calls-$calls.state"
		printf '%-6s %8s %8s   %-18s %-18s %8s %8s\n' "$calls" "$(median <"$WORK/none.txt")" \
			"$(median <"$WORK/sipalg.txt")" "$(ratio sipalg none)" "$(cost sipalg none)" \
			"$pinholes" "$reused" >>"$WORK/table"
		rounds_of none sipalg >>"$WORK/table"
	done
	sipalg_set=()
	printf '\n%-6s %8s %8s   %-18s %-18s %8s %8s\n' calls none sipalg sipalg/none "ns/msg" \
		pinholes reused | sed 's/ *$//'
	sed "s/ *$//" "$WORK/table"
	rm "$WORK/table"
fi

if want conns; then
	echo
	echo "== Many connections: REGISTERs round-robin over live flows, datagrams per second, and sipalg's ns per message =="
	# Every flow is a session: room for them all.
	ko_params=(max_sessions=32768)
	for flows in 1 10000; do
		progress "$flows flows: $rounds rounds of none, sipalg"
		measure "none sipalg" run_conns "$flows"
		printf '%-6s %8s %8s   %-18s %-18s\n' "$flows" "$(median <"$WORK/none.txt")" \
			"$(median <"$WORK/sipalg.txt")" "$(ratio sipalg none)" "$(cost sipalg none)" >>"$WORK/table"
		rounds_of none sipalg >>"$WORK/table"
	done
	ko_params=()
	printf '\n%-6s %8s %8s   %-18s %-18s\n' flows none sipalg sipalg/none "ns/msg" | sed 's/ *$//'
	sed "s/ *$//" "$WORK/table"
	rm "$WORK/table"
fi

if want trace; then
	echo
	echo "== sipalg trace: ns per message over plain sipalg (1e9/pps(trace) - 1e9/pps(sipalg)); lost = trace_lost over all rounds =="
	for message in REGISTER INVITE; do
		for flows in 1 1000; do
			progress "$message x $flows flows: $rounds rounds of sipalg, trace, trace --full, other-ns trace"
			for mode in sipalg trace trace_full trace_other; do
				echo 0 >"$WORK/$mode.lost"
			done
			measure "sipalg trace trace_full trace_other" run_trace "$message" "$flows"
			printf '%-10s %-6s %8s %8s %8s %8s   %-16s %-16s %-16s   %s %s %s\n' "$message" "$flows" \
				"$(median <"$WORK/sipalg.txt")" "$(median <"$WORK/trace.txt")" \
				"$(median <"$WORK/trace_full.txt")" "$(median <"$WORK/trace_other.txt")" \
				"$(cost trace sipalg)" "$(cost trace_full sipalg)" "$(cost trace_other sipalg)" \
				"$(cat "$WORK/trace.lost")" "$(cat "$WORK/trace_full.lost")" \
				"$(cat "$WORK/trace_other.lost")" >>"$WORK/table"
			rounds_of sipalg trace trace_full trace_other >>"$WORK/table"
		done
	done
	printf '\n%-10s %-6s %8s %8s %8s %8s   %-16s %-16s %-16s   %s\n' message flows sipalg trace \
		full other-ns "ns:trace" "ns:full" "ns:other" "lost: trace full other" | sed 's/ *$//'
	sed "s/ *$//" "$WORK/table"
	rm "$WORK/table"
fi
mode_none
