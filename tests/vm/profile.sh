# Inside the VM (make profile-vm): where the router's per-packet time goes
# with sipalg loaded. The bench's flood (lan -> wan through the NAT
# router, one flow) runs for a while and the function_graph tracer times,
# for a second in the middle of it, sipalg's own functions (*:mod:sipalg,
# the core's included) and the kernel functions that copy or reallocate
# the packet for the helper: calls, total and self time per function.
# Under icount (make profile-vm) the times are guest time, 8 ns per guest
# instruction at shift 3, which host load cannot move. perf's cpu-clock
# sampling lands almost only in the idle loop under QEMU TCG (93%
# native_safe_halt while the flood kept a vCPU busy), and Debian's
# kernels have no function profiler. The tracer is set up before the
# flood: patching code a vCPU runs flat out hung a TCG guest. Its own cost
# (about a microsecond per traced call) inflates every figure: compare
# runs of this script with each other (SIPALG_KO= an older build), not
# with the bench.
# Figures only: nothing here passes or fails.
#
# usage: profile.sh [SECONDS] [MESSAGES...]   (default 4, REGISTER INVITE TLS)
# REGISTER and INVITE are UDP floods; TCP is the bench's INVITE written
# back to back on one TCP connection (messages cut anywhere by segments,
# so most are held and joined); TCPSEG the same with the veths' offloads
# off (segments of one MTU, one or two messages each, as the bench's
# "MSS 1460" row; the offloads stay off for the messages after it); TLS a
# TLS-looking stream to 5061.
# PROFILE_FUNCS: the functions to trace instead of all of sipalg's, e.g.
# the phases of a message only, so that fewer traced calls inflate them.
# PROFILE_PHASES=1 (make profile-vm PROFILE_PHASES=1): no tracer; SIPALG_KO
# is a module built with the phase profile (kmod/phase.h), loaded afresh
# for each message, and the instructions of each phase of the helper and
# of sipalg's hooks, per packet, are what it counted (under icount: its
# clock counts instructions) when it unloads.
. "$(dirname "$0")/lib.sh"

seconds=${1:-4}
shift
messages=("$@")
[ ${#messages[@]} -gt 0 ] || messages=(REGISTER INVITE TLS)
flood="$TOP/build/bench/udpflood"
sink="$TOP/build/bench/udpsink"
stream="$TOP/build/bench/sipstream"
tcpsink="$TOP/build/bench/tcpsink"
for tool in "$flood" "$sink" "$stream" "$tcpsink"; do
	[ -x "$tool" ] || fail "bench tools not built (make bench builds them)"
done
T=/sys/kernel/tracing
[ -e $T/available_tracers ] || mount -t tracefs nodev $T || fail "no tracefs"
grep -qw function_graph $T/available_tracers || fail "no function_graph tracer"
# Kernel functions worth seeing beside sipalg's own (those this kernel has).
KFUNCS="nf_confirm nf_conntrack_in skb_ensure_writable pskb_expand_head __pskb_pull_tail
	nf_ct_expect_related_report nf_ct_expect_alloc __nf_ct_refresh_acct
	nf_ct_seqadj_set skb_copy_bits __kmalloc kfree nf_ct_seq_adjust"

# Sum the tracer's output by function: calls, total time (children
# included) and self time (total less the traced children's), from the
# nesting of the graph. A leaf's duration is on its line, a caller's on
# its closing brace (named, with funcgraph-tail). Module functions carry
# a " [module]" suffix, and the core's C++ names are demangled when
# c++filt is there. Each traced call also costs the tracer's own entry
# and exit: the cheapest leaf's average shows that floor, and it is in
# its caller's self time.
graph_sum() {
	/usr/bin/python3 -c '
import collections, re, shutil, subprocess, sys
calls = collections.Counter(); total = collections.Counter(); own = collections.Counter()
line_re = re.compile(r"^\s*(\d+)\)\s*(?:[+!#*@$]\s*)?([0-9.]+ us)?\s*\|\s*(.*)$")
name_re = re.compile(r"^(?:\} /\* (.+?) \*/|(.+?)\(\) \{|(.+?)\(\);)$")
stacks = collections.defaultdict(list)  # per CPU: [name, children time]
for line in sys.stdin:
    m = line_re.match(line)
    if not m:
        continue
    cpu, dur, body = m.group(1), m.group(2), m.group(3).strip()
    n = name_re.match(body)
    if not n:
        continue
    st = stacks[cpu]
    if n.group(2):  # entry of a caller
        st.append([n.group(2), 0.0])
        continue
    f = n.group(1) or n.group(3)
    if dur is None:
        continue
    d = float(dur.split()[0])
    kids = 0.0
    if n.group(1):  # a caller returns
        while st and st[-1][0] != f:
            st.pop()  # lost its closing brace (buffer start)
        if not st:
            continue
        kids = st.pop()[1]
    calls[f] += 1; total[f] += d; own[f] += d - kids
    if st:
        st[-1][1] += d
def short(name):
    return re.sub(r" \[\w+\]$", "", name)
names = list(total)
plain = [short(x) for x in names]
if shutil.which("c++filt"):
    out = subprocess.run(["c++filt"], input="\n".join(plain), capture_output=True, text=True).stdout.split("\n")
    plain = [re.sub(r"\(.*", "", o.replace("(anonymous namespace)::", "")).replace("sipalg::core::", "") or p for o, p in zip(out, plain)]
label = dict(zip(names, plain))
print("%-34s %8s %11s %9s %11s %9s" % ("function", "calls", "total us", "avg us", "self us", "self avg"))
for f in sorted(names, key=lambda x: -own[x])[:40]:
    print("%-34s %8d %11.1f %9.3f %11.1f %9.3f" % (label[f][:34], calls[f], total[f], total[f] / calls[f], own[f], own[f] / calls[f]))'
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

# The phase profile's report (dmesg, "sipalg: phase NAME ends N ns X":
# ns per end, a mark's own cost taken off) as instructions per phase and
# per helped packet. Under icount shift S the guest's clock counts 2^S ns
# per instruction; in real time the figures stay ns.
phase_table() {
	local shift unit
	shift=$(sed -n 's/.*sipalg\.icount=\([0-9]*\).*/\1/p' /proc/cmdline)
	unit="instructions"
	[ -n "$shift" ] || unit="ns"
	dmesg | /usr/bin/python3 -c '
import re, sys
per = float(sys.argv[1]); unit = sys.argv[2]
rows = [(m.group(1), int(m.group(2)), int(m.group(3)))
        for m in re.finditer(r"sipalg: phase (\w+) ends (\d+) ns (\d+)", sys.stdin.read())]
packets = dict((n, e) for n, e, _ in rows).get("entry", 0) or 1
print("%-12s %9s %10s %12s %12s   (%s)" % ("phase", "ends", "per packet", "per end", "per packet", unit))
helper = 0.0
for name, ends, ns in rows:
    if name == "mark":
        print("%-12s %9d %10s %12.0f %12s   (the cost of a mark, taken off the others)" % (name, ends, "", ns / per, ""))
        continue
    each = ns / per; pkt = each * ends / packets
    if not name.endswith("_hook"):
        helper += pkt
    print("%-12s %9d %10.2f %12.0f %12.0f" % (name, ends, ends / packets, each, pkt))
print("%-12s %9s %10s %12s %12.0f   %s per helped packet, the helper" % ("sum", "", "", "", helper, unit))
' "$((1 << ${shift:-0}))" "$unit"
}

# SIPALG_KO: another build of the module (the one before a change).
ko=${SIPALG_KO:-$ko}
phases=${PROFILE_PHASES:-}
topology_up
echo "module: $ko"
if [ -n "$phases" ]; then
	echo "sipalg profile: phases, ${seconds}s of a one-flow flood per message, kernel $(uname -r)"
else
	insmod "$ko" || fail "insmod $ko"
	echo "sipalg profile: function_graph for 1 s of ${seconds}s in a one-flow flood, kernel $(uname -r)"
fi
# The tracer goes in before the flood: patching the code it times while a
# vCPU runs it flat out hung a TCG guest (soft lockup).
tracer_setup() {
	echo 0 >$T/tracing_on
	echo nop >$T/current_tracer
	echo 4096 >$T/buffer_size_kb
	if [ -n "${PROFILE_FUNCS:-}" ]; then
		echo >$T/set_ftrace_filter
		for f in $PROFILE_FUNCS; do echo "$f" >>$T/set_ftrace_filter || fail "cannot trace $f"; done
	else
		echo '*:mod:sipalg' >$T/set_ftrace_filter
		for f in $KFUNCS; do echo "$f" >>$T/set_ftrace_filter 2>/dev/null; done
	fi
	echo function_graph >$T/current_tracer
	# The tracer's own options exist while it is the current one.
	echo funcgraph-tail >$T/trace_options
	echo >$T/trace
}

tracer_report() {
	echo "--- $1: by total time, children included (function_graph, 1 s)"
	graph_sum <$T/trace
	echo nop >$T/current_tracer
	echo >$T/trace
	echo >$T/set_ftrace_filter
}

for message in "${messages[@]}"; do
	[ -z "$phases" ] || insmod "$ko" || fail "insmod $ko"
	in_rtr conntrack -F >/dev/null 2>&1
	[ -n "$phases" ] || tracer_setup
	if [ "$message" = TLS ]; then
		tls_stream
	elif [ "$message" = TCP ] || [ "$message" = TCPSEG ]; then
		[ "$message" = TCP ] || offloads_off
		rm -f "$WORK/sink.log"
		in_wan "$tcpsink" $SERVER 5060 "$((seconds + 2))" $PHONE >"$WORK/sink.log" &
		wait_ready "$WORK/sink.log"
		in_lan "$stream" $PHONE $SERVER 5060 "$WORK/INVITE" "$((seconds + 2))" >/dev/null &
	else
		rm -f "$WORK/sink.log"
		in_wan "$sink" $SERVER 5060 "$((seconds + 2))" >"$WORK/sink.log" &
		wait_ready "$WORK/sink.log"
		in_lan "$flood" $PHONE $SERVER 5060 "$WORK/$message" "$((seconds + 2))" 1 >/dev/null &
	fi
	if [ -z "$phases" ]; then
		sleep 1
		echo 1 >$T/tracing_on
		sleep 1
		echo 0 >$T/tracing_on
	fi
	wait
	[ "$message" = TLS ] && cat "$WORK/tls-sink.log"
	[ "$message" = TLS ] || grep received "$WORK/sink.log"
	[ -n "$phases" ] || tracer_report "$message"
	echo "--- $message: sipalg counters"
	in_rtr "$TOP/cli/sipalg" stats 2>/dev/null | grep -vE ' 0$' | head -30
	if [ -n "$phases" ]; then
		dmesg -c >/dev/null
		rmmod sipalg || fail "rmmod sipalg"
		echo "--- $message: phases (the whole flood, module loaded to unloaded)"
		phase_table
	fi
done
[ -n "$phases" ] || rmmod sipalg
