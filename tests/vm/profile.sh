# Inside the VM: where the router's per-packet time goes with sipalg loaded.
# The bench's flood (lan -> wan through the NAT router, one flow) runs for
# a while and the function_graph tracer times, for a second in the middle
# of it, the kernel functions that copy or reallocate the packet for the
# helper (and sipalg's own, asked for with *:mod:sipalg, though on
# Debian's 6.1 none of them showed up in the output): calls, total and
# average time per call, children included, over both CPUs. perf's
# cpu-clock sampling lands almost only in the idle loop under QEMU TCG
# (93% native_safe_halt while the flood kept a vCPU busy), and Debian's
# kernels have no function profiler. The tracer is set up before the
# flood: patching code a vCPU runs flat out hung a TCG guest. Its own cost
# inflates every figure: compare runs of this script with each other
# (SIPALG_KO= an older build), not with the bench.
# Figures only: nothing here passes or fails.
#
# usage: profile.sh [SECONDS] [MESSAGES...]   (default 4, REGISTER INVITE TLS)
. "$(dirname "$0")/lib.sh"

seconds=${1:-4}
shift
messages=("$@")
[ ${#messages[@]} -gt 0 ] || messages=(REGISTER INVITE TLS)
flood="$TOP/build/bench/udpflood"
sink="$TOP/build/bench/udpsink"
[ -x "$flood" ] && [ -x "$sink" ] || fail "bench tools not built (make bench builds them)"
T=/sys/kernel/tracing
[ -e $T/available_tracers ] || mount -t tracefs nodev $T || fail "no tracefs"
grep -qw function_graph $T/available_tracers || fail "no function_graph tracer"
# Kernel functions worth seeing beside sipalg's own (those this kernel has).
KFUNCS="nf_confirm nf_conntrack_in skb_ensure_writable pskb_expand_head __pskb_pull_tail
	nf_ct_expect_related_report nf_ct_expect_alloc __nf_ct_refresh_acct
	nf_ct_seqadj_set"

# Sum the durations in the tracer's output by function (a leaf's on its
# line, a caller's on its closing brace, named with funcgraph-tail).
graph_sum() {
	/usr/bin/python3 -c '
import collections, re, sys
n = collections.Counter(); t = collections.Counter()
pat = re.compile(r"([0-9.]+) us +\| +(?:\} /\* (\S+) \*/|(\S+)\(\);)")
for line in sys.stdin:
    m = pat.search(line)
    if m:
        f = m.group(2) or m.group(3)
        n[f] += 1; t[f] += float(m.group(1))
print("%-44s %9s %12s %9s" % ("function", "calls", "total us", "avg us"))
for f, v in sorted(t.items(), key=lambda x: -x[1])[:45]:
    print("%-44s %9d %12.1f %9.3f" % (f, n[f], v, v / n[f]))'
}

values=(--set server=$SERVER --set phone=$PHONE --set sip_port=5060 --set rtp_port=40000)
$SIPUA fill "${values[@]}" "$VM_DIR/msgs/register.sip" >"$WORK/REGISTER"
$SIPUA fill "${values[@]}" "$VM_DIR/msgs/invite-800.sip" >"$WORK/INVITE"

# A TLS-looking TCP stream to 5061 (a helped port by default): a
# ClientHello record header, then random bytes as fast as TCP goes.
tls_stream() {
	in_wan python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5061)); s.listen(1); print("ready", flush=True)
c, _ = s.accept(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
print("received", n)' >"$WORK/tls-sink.log" 2>&1 &
	wait_ready "$WORK/tls-sink.log"
	in_lan python3 -c '
import os, socket, time
s = socket.create_connection(("'$SERVER'", 5061))
s.sendall(bytes([0x16, 3, 1, 2, 0, 1, 0, 1, 0xfc, 3, 3]) + os.urandom(501))
junk = os.urandom(65536); end = time.time() + '$((seconds + 2))'
while time.time() < end: s.sendall(junk)
s.close()' &
}

# SIPALG_KO: another build of the module (the one before a change).
ko=${SIPALG_KO:-$ko}
topology_up
insmod "$ko" || fail "insmod $ko"
echo "module: $ko"
echo "sipalg profile: function_graph for 1 s of ${seconds}s in a one-flow flood, kernel $(uname -r)"
for message in "${messages[@]}"; do
	in_rtr conntrack -F >/dev/null 2>&1
	# The tracer goes in before the flood: patching the code it times
	# while a vCPU runs it flat out hung a TCG guest (soft lockup).
	echo 0 >$T/tracing_on
	echo nop >$T/current_tracer
	echo 4096 >$T/buffer_size_kb
	echo '*:mod:sipalg' >$T/set_ftrace_filter
	for f in $KFUNCS; do echo "$f" >>$T/set_ftrace_filter 2>/dev/null; done
	echo function_graph >$T/current_tracer
	# The tracer's own options exist while it is the current one.
	echo funcgraph-tail >$T/trace_options
	echo >$T/trace
	if [ "$message" = TLS ]; then
		tls_stream
	else
		in_wan "$sink" $SERVER 5060 "$((seconds + 2))" >"$WORK/sink.log" &
		wait_ready "$WORK/sink.log"
		in_lan "$flood" $PHONE $SERVER 5060 "$WORK/$message" "$((seconds + 2))" 1 >/dev/null &
	fi
	sleep 1
	echo 1 >$T/tracing_on
	sleep 1
	echo 0 >$T/tracing_on
	wait
	[ "$message" = TLS ] && cat "$WORK/tls-sink.log"
	[ "$message" = TLS ] || grep received "$WORK/sink.log"
	echo "--- $message: by total time, children included (function_graph, 1 s)"
	graph_sum <$T/trace
	echo nop >$T/current_tracer
	echo >$T/trace
	echo >$T/set_ftrace_filter
	echo "--- $message: sipalg counters"
	in_rtr "$TOP/cli/sipalg" stats 2>/dev/null | grep -vE ' 0$' | head -30
done
rmmod sipalg
