#!/bin/bash
# Bytes that are not SIP, on helped ports, pass byte for byte and are only
# counted: a STUN binding request and a CRLF keep-alive on UDP 5060, and a
# TLS-looking TCP stream on 5061 whose later segment holds a REGISTER naming
# the phone's private address (a stream that began with a TLS handshake is
# never parsed, so that is not rewritten). The same REGISTER alone on a
# fresh 5061 connection is rewritten: the check means something. While
# `sipalg trace` listens, each payload counted as not SIP has its record and
# a keep-alive none.
. "$(dirname "$0")/lib.sh"

# Receivers on the server: every UDP datagram on 5060 into udp.N, every TCP
# connection on 5061 into tcp.N, until killed.
serve_raw() {
	in_wan $PY - "$WORK" $SERVER <<-'PY' >"$WORK/raw.log" 2>&1 &
	import os, select, socket, sys
	work, addr = sys.argv[1], sys.argv[2]
	u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((addr, 5060))
	t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	t.bind((addr, 5061)); t.listen(4)
	print("ready", flush=True)
	nu = nt = 0
	while True:
	    r, _, _ = select.select([u, t], [], [])
	    if u in r:
	        d, _ = u.recvfrom(65536)
	        open(os.path.join(work, "udp.%d" % nu), "wb").write(d); nu += 1
	    if t in r:
	        c, _ = t.accept(); data = b""
	        while True:
	            b = c.recv(65536)
	            if not b: break
	            data += b
	        c.close()
	        open(os.path.join(work, "tcp.%d" % nt), "wb").write(data); nt += 1
	PY
	RAW_PID=$!
	wait_ready "$WORK/raw.log"
}

# send_raw WHAT: from the phone; the bytes sent go to $WORK/sent-WHAT.
send_raw() {
	in_lan $PY - "$1" "$WORK" $PHONE $SERVER <<-'PY' || fail "send $1"
	import os, socket, sys, time
	what, work, phone, server = sys.argv[1:]
	stun = bytes.fromhex("000100002112a442") + bytes(range(12))
	hello = bytes([0x16, 3, 1, 1, 0, 1, 0, 0, 0xfc, 3, 3]) + bytes(range(245))
	register = open(os.path.join(work, "register.sip"), "rb").read()
	if what in ("stun", "crlf"):
	    data = stun if what == "stun" else b"\r\n\r\n"
	    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((phone, 5060))
	    s.sendto(data, (server, 5060))
	else:
	    # Each piece its own segment (no Nagle, a pause in between).
	    pieces = [hello, register, bytes(range(256)) * 4] if what == "tls" else [register]
	    s = socket.socket(); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
	    s.bind((phone, 0)); s.connect((server, 5061))
	    for p in pieces:
	        s.sendall(p); time.sleep(0.2)
	    data = b"".join(pieces)
	s.close()
	open(os.path.join(work, "sent-" + what), "wb").write(data)
	PY
	sleep 0.3
}

same_bytes() {
	cmp -s "$WORK/sent-$1" "$2" || fail "$1: the bytes changed on the way ($(cmp "$WORK/sent-$1" "$2" 2>&1))"
	say "ok: $1 passed byte for byte"
}

stats() { sipalg_stat rtr packets messages rewritten passed_not_sip passed_tcp_split; }
# delta BEFORE AFTER INDEX: how much counter INDEX (0-based, as in stats) moved.
delta() { local a=($1) b=($2); echo $((b[$3] - a[$3])); }

$SIPUA fill "${CALL_VALUES[@]}" --set transport=TCP "$VM_DIR/msgs/register.sip" >"$WORK/register.sip"
grep -q "$PHONE" "$WORK/register.sip" || fail "the REGISTER names no private address"

topology_up
insmod "$ko" || fail "insmod failed"
serve_raw

before=$(stats)
send_raw stun
send_raw crlf
send_raw tls
after=$(stats)
same_bytes stun "$WORK/udp.0"
same_bytes crlf "$WORK/udp.1"
same_bytes tls "$WORK/tcp.0"
[ "$(delta "$before" "$after" 1)" = 0 ] && [ "$(delta "$before" "$after" 2)" = 0 ] ||
	fail "not SIP, yet messages/rewritten moved: $before -> $after"
# STUN, and each of the TLS stream's three data segments.
[ "$(delta "$before" "$after" 3)" -ge 4 ] && [ "$(delta "$before" "$after" 4)" = 0 ] ||
	fail "passed_not_sip/tcp_split: $before -> $after (packets messages rewritten not_sip tcp_split)"
say "ok: counted as not_sip ($(delta "$before" "$after" 3)), nothing parsed or rewritten, the keep-alive not at all"

before=$(stats)
send_raw plain
after=$(stats)
cmp -s "$WORK/sent-plain" "$WORK/tcp.1" && fail "the control REGISTER on 5061 was not rewritten"
[ "$(delta "$before" "$after" 2)" = 1 ] || fail "the control REGISTER: $before -> $after"
say "ok: the same REGISTER on a plain 5061 connection is rewritten"

trace_start notsip rtr -j
before=$(stats)
send_raw stun
send_raw crlf
send_raw tls
after=$(stats)
trace_stop notsip
same_bytes stun "$WORK/udp.2"
same_bytes crlf "$WORK/udp.3"
same_bytes tls "$WORK/tcp.2"
records=$(grep -c . "$WORK/notsip.out")
not_sip=$(grep -c '"not_sip"' "$WORK/notsip.out")
[ "$records" = "$(delta "$before" "$after" 3)" ] && [ "$not_sip" = "$records" ] ||
	fail "traced: $records records, $not_sip not_sip, counted $(delta "$before" "$after" 3):
$(cat "$WORK/notsip.out")"
say "ok: traced, one not_sip record for each payload counted, none for the keep-alive"

kill "$RAW_PID" 2>/dev/null
exit 0
