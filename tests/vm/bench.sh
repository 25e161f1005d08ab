#!/bin/bash
# make bench, inside the VM: SIP datagrams per second forwarded lan -> wan
# through the NAT router with no helper, with the kernel's nf_conntrack_sip/
# nf_nat_sip, and with sipalg, for a REGISTER and an ~800-byte INVITE with
# SDP, on one flow (retransmissions) and on many flows (a new conntrack per
# datagram). Modes alternate round by round; the medians and their ratios
# are printed. Then the cost of `sipalg trace`: sipalg with a trace -j
# listener on the router, with a --full one, and with one in another
# namespace (lan: it gets nothing, but the kernel cannot tell, see
# Known limits), each as ns per message over plain sipalg measured in the
# same rounds (1e9/pps(trace) - 1e9/pps(sipalg)), and the records the
# kernel could not deliver (trace_lost, summed over the rounds). Figures
# only: nothing here passes or fails on speed.
#
# usage: bench.sh [ROUNDS] [SECONDS]
. "$(dirname "$0")/lib.sh"

rounds=${1:-5}
seconds=${2:-3}
flood="$TOP/build/bench/udpflood"
sink="$TOP/build/bench/udpsink"
[ -x "$flood" ] && [ -x "$sink" ] || fail "bench tools not built (make bench builds them)"

values=(--set server=$SERVER --set phone=$PHONE --set sip_port=5060 --set rtp_port=40000)
$SIPUA fill "${values[@]}" "$VM_DIR/msgs/register.sip" >"$WORK/REGISTER"
$SIPUA fill "${values[@]}" "$VM_DIR/msgs/invite-800.sip" >"$WORK/INVITE"

mode_none() {
	[ -f "$WORK/bench.trace-pid" ] && bench_trace_stop
	in_rtr nft delete table inet kernel_sip 2>/dev/null
	grep -q '^sipalg ' /proc/modules && rmmod sipalg
	return 0
}
mode_kernel() { mode_none; use_kernel_helper; }
mode_sipalg() { mode_none; insmod "$ko"; }
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

# run MESSAGE FLOWS: prints datagrams per second received on the WAN side.
run() {
	local message=$1 flows=$2 log="$WORK/sink.log" count secs
	in_rtr conntrack -F >/dev/null 2>&1
	in_wan "$sink" $SERVER 5060 "$seconds" >"$log" &
	wait_ready "$log"
	in_lan "$flood" $PHONE $SERVER 5060 "$WORK/$message" "$((seconds + 2))" \
		"$flows" >/dev/null
	wait
	read -r count secs < <(sed -n 's/^received \([0-9]*\) in \([0-9.]*\) seconds/\1 \2/p' "$log")
	echo "$count $secs" | awk '{ printf "%.0f\n", ($2 > 0) ? $1 / $2 : 0 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

topology_up
modprobe nf_conntrack_sip
modprobe nf_nat_sip
echo "sipalg VM benchmark: $rounds rounds x ${seconds}s, modes alternating each round"
echo "(datagrams per second forwarded lan -> wan through the NAT router, QEMU TCG, 2 vCPUs)"
printf '\n%-10s %-6s %10s %10s %10s   %s\n' message flows none kernel sipalg "sipalg/none kernel/none sipalg/kernel"
for message in REGISTER INVITE; do
	for flows in 1 1000; do
		: >"$WORK/none.txt" >"$WORK/kernel.txt" >"$WORK/sipalg.txt"
		for round in $(seq "$rounds"); do
			for mode in none kernel sipalg; do
				"mode_$mode"
				run "$message" "$flows" >>"$WORK/$mode.txt"
			done
		done
		none=$(median <"$WORK/none.txt")
		kernel=$(median <"$WORK/kernel.txt")
		sipalg=$(median <"$WORK/sipalg.txt")
		awk -v m="$message" -v f="$flows" -v n="$none" -v k="$kernel" -v s="$sipalg" 'BEGIN {
			printf "%-10s %-6s %10d %10d %10d   %11.2f %11.2f %13.2f\n", m, f, n, k, s,
				n ? s / n : 0, n ? k / n : 0, k ? s / k : 0 }'
		echo "    rounds: none $(tr '\n' ' ' <"$WORK/none.txt")| kernel $(tr '\n' ' ' <"$WORK/kernel.txt")| sipalg $(tr '\n' ' ' <"$WORK/sipalg.txt")"
	done
done

# sipalg trace: the same floods, sipalg alone and with each listener.
echo
echo "sipalg trace: ns per message over plain sipalg (1e9/pps(trace) - 1e9/pps(sipalg)); lost = trace_lost over all rounds"
printf '\n%-10s %-6s %10s %10s %10s %10s   %8s %8s %8s   %s\n' message flows sipalg trace \
	trace-full other-ns "ns:trace" "ns:full" "ns:other" "lost: trace full other"
trace_modes=(sipalg trace trace_full trace_other)
for message in REGISTER INVITE; do
	for flows in 1 1000; do
		for mode in "${trace_modes[@]}"; do
			: >"$WORK/$mode.txt"
			echo 0 >"$WORK/$mode.lost"
		done
		for round in $(seq "$rounds"); do
			for mode in "${trace_modes[@]}"; do
				"mode_$mode"
				run "$message" "$flows" >>"$WORK/$mode.txt"
				lost=$(sipalg_stat rtr trace_lost)
				echo $(($(cat "$WORK/$mode.lost") + lost)) >"$WORK/$mode.lost"
			done
		done
		awk -v m="$message" -v f="$flows" -v s="$(median <"$WORK/sipalg.txt")" \
			-v t="$(median <"$WORK/trace.txt")" -v u="$(median <"$WORK/trace_full.txt")" \
			-v o="$(median <"$WORK/trace_other.txt")" -v lt="$(cat "$WORK/trace.lost")" \
			-v lu="$(cat "$WORK/trace_full.lost")" -v lo="$(cat "$WORK/trace_other.lost")" '
			function ns(p) { return (p > 0 && s > 0) ? 1e9 / p - 1e9 / s : 0 }
			BEGIN { printf "%-10s %-6s %10d %10d %10d %10d   %8.0f %8.0f %8.0f   %d %d %d\n",
				m, f, s, t, u, o, ns(t), ns(u), ns(o), lt, lu, lo }'
		echo "    rounds: sipalg $(tr '\n' ' ' <"$WORK/sipalg.txt")| trace $(tr '\n' ' ' <"$WORK/trace.txt")| full $(tr '\n' ' ' <"$WORK/trace_full.txt")| other $(tr '\n' ' ' <"$WORK/trace_other.txt")"
	done
done
mode_none
