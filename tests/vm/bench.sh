#!/bin/bash
# make bench, inside the VM: SIP datagrams per second forwarded lan -> wan
# through the NAT router with no helper, with the kernel's nf_conntrack_sip/
# nf_nat_sip, and with sipalg, for a REGISTER and an ~800-byte INVITE with
# SDP, on one flow (retransmissions) and on many flows (a new conntrack per
# datagram). Modes alternate round by round; the medians and their ratios
# are printed. Figures only: nothing here passes or fails on speed.
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
	in_rtr nft delete table inet kernel_sip 2>/dev/null
	grep -q '^sipalg ' /proc/modules && rmmod sipalg
	return 0
}
mode_kernel() { mode_none; use_kernel_helper; }
mode_sipalg() { mode_none; insmod "$ko"; }

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
mode_none
