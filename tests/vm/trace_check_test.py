#!/usr/bin/python3
"""Offline test of trace_check.py: no VM, no kernel.

Builds the captures a router running sipalg would give (Ethernet pcaps of
the LAN and WAN sides: UDP over IPv4 rewritten both ways, an INVITE whose
SDP and Content-Length change, TCP with two messages in one segment and a
third in the next (sequence numbers moved on the WAN side as seqadj does),
a TCP message split across two segments that passed (tcp_split), one held
across three (a duplicate among them) and joined, then rebuilt when some of
it comes again, IPv6 routed without NAT, a
datagram with a bad Content-Length, IPv4 fragments) and the trace records
`sipalg trace -j` should print for them, computed independently here. The
right trace must pass, with and without --full; each of a list of wrong
traces and doctored captures must fail, naming what is wrong.

  python3 tests/vm/trace_check_test.py        (exit 0: all cases as expected)
"""
import copy
import json
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "trace_check.py")

PHONE, ROUTER, SERVER = "192.168.0.10", "203.0.113.1", "203.0.113.10"
PHONE6, SERVER6 = "2001:db8:1::10", "2001:db8:2::10"


# ------------------------------------------------------------ pcap writing

class Pcap:
    def __init__(self):
        self.frames = []
        self.ip_id = 1

    def add(self, ts, l3, version):
        eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02" + (
            b"\x08\x00" if version == 4 else b"\x86\xdd")
        self.frames.append((ts, eth + l3))

    def ip(self, ts, src, dst, proto, l4, frag_at=None):
        if ":" in src:
            hdr = struct.pack(">IHBB", 6 << 28, len(l4), proto, 64)
            self.add(ts, hdr + socket.inet_pton(socket.AF_INET6, src)
                     + socket.inet_pton(socket.AF_INET6, dst) + l4, 6)
            return
        self.ip_id += 1
        pieces = [(0, l4)] if frag_at is None else [(0, l4[:frag_at]), (frag_at, l4[frag_at:])]
        for i, (off, part) in enumerate(pieces):
            more = 0x2000 if i + 1 < len(pieces) else 0
            hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(part), self.ip_id,
                              more | (off // 8), 64, proto, 0,
                              socket.inet_aton(src), socket.inet_aton(dst))
            self.add(ts, hdr + part, 4)

    def udp(self, ts, src, sport, dst, dport, payload, frag_at=None):
        self.ip(ts, src, dst, 17, struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload,
                frag_at)

    def tcp(self, ts, src, sport, dst, dport, seq, flags, payload=b"", ack=0):
        self.ip(ts, src, dst, 6, struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack,
                                            5 << 4, flags, 65535, 0, 0) + payload)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for ts, data in sorted(self.frames, key=lambda x: x[0]):
                f.write(struct.pack("<IIII", int(ts), int(ts % 1 * 1e6), len(data), len(data)))
                f.write(data)


# ------------------------------------------------- messages and their trace

def sip(text):
    text = text.strip("\n").replace("\n", "\r\n")
    head, _, body = text.partition("\r\n\r\n")
    head = re.sub(r"(?im)^(Content-Length|l)\s*:.*$",
                  lambda m: f"{m.group(1)}: {len(body.encode())}", head)
    return (head + "\r\n\r\n" + body).encode()


REGISTER = sip(f"""
REGISTER sip:{SERVER} SIP/2.0
Via: SIP/2.0/UDP {PHONE}:5060;branch=z9hG4bK1;rport
From: <sip:011@{SERVER}>;tag=1
To: <sip:011@{SERVER}>
Call-ID: reg-1@{PHONE}
CSeq: 1 REGISTER
Contact: <sip:011@{PHONE}:5060>
Content-Length: 0
""")

INVITE = sip(f"""
INVITE sip:*43@{SERVER} SIP/2.0
Via: SIP/2.0/UDP {PHONE}:5060;branch=z9hG4bK2;rport
From: <sip:011@{SERVER}>;tag=2
To: <sip:*43@{SERVER}>
i: call-2@{PHONE}
CSeq: 2 INVITE
m: <sip:011@{PHONE}:5060>
Content-Type: application/sdp
l: 0

v=0
o=- 1 1 IN IP4 {PHONE}
s=-
c=IN IP4 {PHONE}
t=0 0
m=audio 40000 RTP/AVP 0
""")

BYE = sip(f"""
BYE sip:server@{SERVER} SIP/2.0
Via: SIP/2.0/TCP {PHONE}:5060;branch=z9hG4bK3;rport
From: <sip:011@{SERVER}>;tag=2
To: <sip:*43@{SERVER}>;tag=srv1
Call-ID: call-2@{PHONE}
CSeq: 3 BYE
Content-Length: 0
""")

BAD_CL = REGISTER.replace(b"Content-Length: 0", b"Content-Length: 30").replace(b"reg-1", b"bad-1")


def reply_to(request, status=200):
    lines = request.split(b"\r\n")
    keep = [ln for ln in lines[1:] if re.match(rb"(?i)(via|v|from|f|to|t|call-id|i|cseq):", ln)]
    return b"\r\n".join([b"SIP/2.0 %d OK" % status] + keep + [b"Content-Length: 0", b"", b""])


def nat_edits(msg, old_addr, new_addr):
    """The edits a NAT helper makes: every old_addr, and Content-Length."""
    old, new = old_addr.encode(), new_addr.encode()
    edits = [(m.start(), old, new) for m in re.finditer(re.escape(old), msg)]
    head_end = msg.index(b"\r\n\r\n") + 4
    body_delta = sum(len(n) - len(o) for off, o, n in edits if off >= head_end)
    if body_delta:
        m = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", msg)
        edits.append((m.start(1), m.group(1), str(int(m.group(1)) + body_delta).encode()))
    return sorted(edits)


def apply(msg, edits):
    out, pos = b"", 0
    for off, old, new in edits:
        out += msg[pos:off] + new
        pos = off + len(old)
    return out + msg[pos:]


def line_of(msg, off):
    return msg[:off].count(b"\n") + 1


def lines(msg):
    return [ln.rstrip(b"\r") for ln in msg.split(b"\n")]


def tup(src, sport, dst, dport):
    return {"src": src, "dst": dst, "sport": sport, "dport": dport}


def record(conn, direction, out, arrived, edits=(), outcome="rewritten", reason=None,
           reason_line=None, tcp=None, full=False):
    left = apply(arrived, edits) if outcome == "rewritten" else arrived
    start = lines(arrived)[0]
    call_id = re.search(rb"(?im)^(?:call-id|i)[ \t]*:[ \t]*(.*?)\r?$", arrived)
    cseq = re.search(rb"(?im)^cseq[ \t]*:[ \t]*(\d+) (\S+)", arrived)
    status = re.match(rb"SIP/2\.0 (\d+)", arrived)
    parsed = reason is None or reason == "no_seqadj"
    shown = left if outcome == "rewritten" else arrived
    edited = sorted({line_of(arrived, off) for off, _, _ in edits})
    return {
        "connection": conn, "direction": direction, "out": out,
        "start_line": start.decode(),
        "call_id": call_id.group(1).decode() if parsed and call_id else None,
        "cseq": int(cseq.group(1)) if parsed and cseq else None,
        "cseq_method": cseq.group(2).decode() if parsed and cseq else None,
        "status": int(status.group(1)) if parsed and status else None,
        "outcome": outcome, "reason": reason, "reason_line": reason_line,
        "reason_text": lines(arrived)[reason_line - 1].decode() if reason_line else None,
        "length": {"before": len(arrived), "after": len(left)},
        "tcp": tcp, "applied": outcome == "rewritten",
        "edits": [{"offset": off, "old": o.decode(), "new": n.decode(), "line": line_of(arrived, off)}
                  for off, o, n in edits],
        "lines": [{"line": n, "before": lines(arrived)[n - 1].decode(),
                   "after": lines(shown)[n - 1].decode(), "cut": False, "inconsistent": False}
                  for n in edited],
        "lines_omitted": 0, "pinholes": [], "pinholes_omitted": 0,
        "full": {"before": arrived.decode(), "after": left.decode(), "length": len(left),
                 "truncated": False} if full else None,
    }


def conn(proto, family, orig, reply, nat=True):
    return {"proto": proto, "family": family, "original": orig, "reply": reply, "nat": nat}


# --------------------------------------------------------------- the world

def build(full):
    """(lan pcap, wan pcap, records) of one run through a NAT router."""
    lan, wan = Pcap(), Pcap()
    recs = []
    t = [1000.0]

    def tick():
        t[0] += 0.01
        return t[0]

    # UDP: REGISTER out and its 200 back; INVITE (compact headers, SDP) and
    # its 200 back; the INVITE in two IPv4 fragments on the WAN side.
    u = conn("udp", "ipv4", tup(PHONE, 5060, SERVER, 5060), tup(SERVER, 5060, ROUTER, 5060))
    out_o, out_r = tup(ROUTER, 5060, SERVER, 5060), tup(SERVER, 5060, PHONE, 5060)
    for req, frag in ((REGISTER, None), (INVITE, 96)):
        e = nat_edits(req, PHONE, ROUTER)
        lan.udp(tick(), PHONE, 5060, SERVER, 5060, req)
        wan.udp(tick(), ROUTER, 5060, SERVER, 5060, apply(req, e), frag_at=frag)
        recs.append(record(u, "original", out_o, req, e, full=full))
        rep = reply_to(apply(req, e))
        e = nat_edits(rep, ROUTER, PHONE)
        wan.udp(tick(), SERVER, 5060, ROUTER, 5060, rep)
        lan.udp(tick(), SERVER, 5060, PHONE, 5060, apply(rep, e))
        recs.append(record(u, "reply", out_r, rep, e, full=full))
    # A bad Content-Length: passed, at the Content-Length line.
    lan.udp(tick(), PHONE, 5060, SERVER, 5060, BAD_CL)
    wan.udp(tick(), ROUTER, 5060, SERVER, 5060, BAD_CL)
    n = next(i for i, ln in enumerate(lines(BAD_CL), 1) if ln.startswith(b"Content-Length"))
    recs.append(record(u, "original", out_o, BAD_CL, outcome="passed",
                       reason="bad_content_length", reason_line=n, full=full))

    # TCP: REGISTER + INVITE in one segment, BYE in the next; a 200 back
    # for each. seqadj moves the WAN side's sequence numbers.
    c = conn("tcp", "ipv4", tup(PHONE, 5070, SERVER, 5060), tup(SERVER, 5060, ROUTER, 5070))
    o_out, r_out = tup(ROUTER, 5070, SERVER, 5060), tup(SERVER, 5060, PHONE, 5070)
    isn_c, isn_s = 0xFFFFFF00, 7000  # the client's wraps around 2^32
    lan.tcp(tick(), PHONE, 5070, SERVER, 5060, isn_c, 0x02)
    wan.tcp(tick(), ROUTER, 5070, SERVER, 5060, isn_c, 0x02)
    wan.tcp(tick(), SERVER, 5060, ROUTER, 5070, isn_s, 0x12)
    lan.tcp(tick(), SERVER, 5060, PHONE, 5070, isn_s, 0x12)
    c_seq, c_delta, s_seq, s_delta = isn_c + 1, 0, isn_s + 1, 0
    reg, inv, bye = (m.replace(b"UDP", b"TCP") for m in (REGISTER, INVITE, BYE))
    for segment in ((reg, inv), (b"\r\n\r\n", bye)):  # a keep-alive: no record, index 1
        arrived, left, off = b"", b"", 0
        for index, m in enumerate(segment):
            if not m.strip():
                arrived, left, off = arrived + m, left + m, off + len(m)
                continue
            e = nat_edits(m, PHONE, ROUTER)
            recs.append(record(c, "original", o_out, m, e, full=full,
                               tcp={"seq": c_seq & 0xFFFFFFFF, "msg_off": off, "index": index}))
            arrived, left, off = arrived + m, left + apply(m, e), off + len(m)
        lan.tcp(tick(), PHONE, 5070, SERVER, 5060, c_seq, 0x18, arrived)
        wan.tcp(tick(), ROUTER, 5070, SERVER, 5060, c_seq + c_delta, 0x18, left)
        c_seq, c_delta = c_seq + len(arrived), c_delta + len(left) - len(arrived)
        for m in filter(bytes.strip, segment):
            rep = reply_to(apply(m, nat_edits(m, PHONE, ROUTER)))
            e = nat_edits(rep, ROUTER, PHONE)
            recs.append(record(c, "reply", r_out, rep, e, full=full,
                               tcp={"seq": s_seq, "msg_off": 0, "index": 0}))
            wan.tcp(tick(), SERVER, 5060, ROUTER, 5070, s_seq, 0x18, rep)
            lan.tcp(tick(), SERVER, 5060, PHONE, 5070, s_seq + s_delta, 0x18, apply(rep, e))
            s_seq, s_delta = s_seq + len(rep), s_delta + len(apply(rep, e)) - len(rep)

    # TCP: an INVITE split after 200 bytes: passed (tcp_split), and the
    # segment with its rest passed too; both sides byte for byte.
    c2 = conn("tcp", "ipv4", tup(PHONE, 5071, SERVER, 5060), tup(SERVER, 5060, ROUTER, 5071))
    o2 = tup(ROUTER, 5071, SERVER, 5060)
    lan.tcp(tick(), PHONE, 5071, SERVER, 5060, 500, 0x02)
    wan.tcp(tick(), ROUTER, 5071, SERVER, 5060, 500, 0x02)
    for seq, piece, reason in ((501, inv[:200], "tcp_split"), (701, inv[200:], "bad_start_line")):
        lan.tcp(tick(), PHONE, 5071, SERVER, 5060, seq, 0x18, piece)
        wan.tcp(tick(), ROUTER, 5071, SERVER, 5060, seq, 0x18, piece)
        r = record(c2, "original", o2, piece, outcome="passed", reason=reason,
                   tcp={"seq": seq, "msg_off": 0, "index": 0}, full=full)
        r["full"] = None
        recs.append(r)

    # TCP: REGISTER and the start of an INVITE in one segment, more of it
    # in the next (sent twice: the duplicate of held bytes is dropped), its
    # end and a BYE in the third. sipalg holds the INVITE's bytes, joins
    # the rest to them and sends the INVITE whole, the BYE after it in the
    # same packet: one record for it, at its first byte, offset 0 (an edit
    # crosses the second segment's end).
    c3 = conn("tcp", "ipv4", tup(PHONE, 5072, SERVER, 5060), tup(SERVER, 5060, ROUTER, 5072))
    o3 = tup(ROUTER, 5072, SERVER, 5060)
    lan.tcp(tick(), PHONE, 5072, SERVER, 5060, 9000, 0x02)
    wan.tcp(tick(), ROUTER, 5072, SERVER, 5060, 9000, 0x02)
    e_reg, e_inv, e_bye = (nat_edits(m, PHONE, ROUTER) for m in (reg, inv, bye))
    seq_inv = 9001 + len(reg)
    for seq, piece in ((9001, reg + inv[:150]), (seq_inv + 150, inv[150:300]),
                       (seq_inv + 150, inv[150:300]), (seq_inv + 300, inv[300:] + bye)):
        lan.tcp(tick(), PHONE, 5072, SERVER, 5060, seq, 0x18, piece)
    wan.tcp(tick(), ROUTER, 5072, SERVER, 5060, 9001, 0x18, apply(reg, e_reg))
    wan.tcp(tick(), ROUTER, 5072, SERVER, 5060, 9001 + len(apply(reg, e_reg)), 0x18,
            apply(inv, e_inv) + apply(bye, e_bye))
    recs.append(record(c3, "original", o3, reg, e_reg, full=full,
                       tcp={"seq": 9001, "msg_off": 0, "index": 0}))
    recs.append(record(c3, "original", o3, inv, e_inv, full=full,
                       tcp={"seq": seq_inv, "msg_off": 0, "index": 0}))
    recs.append(record(c3, "original", o3, bye, e_bye, full=full,
                       tcp={"seq": seq_inv, "msg_off": len(inv), "index": 1}))
    # Some of the INVITE sent again before the server acknowledged it:
    # rebuilt whole and traced again. Then the server acknowledges all,
    # and the BYE's end sent again passes as it came (not_sip), after
    # the edits' place on the WAN.
    lan.tcp(tick(), PHONE, 5072, SERVER, 5060, seq_inv + 150, 0x18, inv[150:300])
    wan_inv = 9001 + len(apply(reg, e_reg))
    wan.tcp(tick(), ROUTER, 5072, SERVER, 5060, wan_inv, 0x18, apply(inv, e_inv))
    recs.append(record(c3, "original", o3, inv, e_inv, full=full,
                       tcp={"seq": seq_inv, "msg_off": 0, "index": 0}))
    wan_end = wan_inv + len(apply(inv, e_inv)) + len(apply(bye, e_bye))
    wan.tcp(tick(), SERVER, 5060, ROUTER, 5072, 20001, 0x10, ack=wan_end)
    lan.tcp(tick(), SERVER, 5060, PHONE, 5072, 20001, 0x10, ack=seq_inv + len(inv) + len(bye))
    # A tail loss probe of the phone's, sent as that ACK came in (the
    # capture has it 1 ms later): sipalg still keeps the INVITE (until 2 s
    # after the ACK passed it), so it is rebuilt and traced once more.
    lan.tcp(t[0] + 0.001, PHONE, 5072, SERVER, 5060, seq_inv + 150, 0x18, inv[150:300])
    lan.probe = len(lan.frames) - 1
    wan.tcp(t[0] + 0.002, ROUTER, 5072, SERVER, 5060, wan_inv, 0x18, apply(inv, e_inv))
    recs.append(record(c3, "original", o3, inv, e_inv, full=full,
                       tcp={"seq": seq_inv, "msg_off": 0, "index": 0}))
    lan.tcp(tick(), PHONE, 5072, SERVER, 5060, seq_inv + len(inv) + len(bye) - 30, 0x18, bye[-30:])
    wan.tcp(tick(), ROUTER, 5072, SERVER, 5060, wan_end - 30, 0x18, bye[-30:])
    r = record(c3, "original", o3, bye[-30:], outcome="passed", reason="not_sip",
               tcp={"seq": seq_inv + len(inv) + len(bye) - 30, "msg_off": 0, "index": 0})
    r["full"] = None
    recs.append(r)

    # IPv6, routed: looked at, not translated.
    c6 = conn("udp", "ipv6", tup(PHONE6, 5060, SERVER6, 5060), tup(SERVER6, 5060, PHONE6, 5060), nat=False)
    inv6 = INVITE.replace(PHONE.encode(), f"[{PHONE6}]".encode()).replace(SERVER.encode(), f"[{SERVER6}]".encode())
    lan.udp(tick(), PHONE6, 5060, SERVER6, 5060, inv6)
    wan.udp(tick(), PHONE6, 5060, SERVER6, 5060, inv6)
    recs.append(record(c6, "original", tup(PHONE6, 5060, SERVER6, 5060), inv6, outcome="no_nat", full=full))
    rep6 = reply_to(inv6)
    wan.udp(tick(), SERVER6, 5060, PHONE6, 5060, rep6)
    lan.udp(tick(), SERVER6, 5060, PHONE6, 5060, rep6)
    recs.append(record(c6, "reply", tup(SERVER6, 5060, PHONE6, 5060), rep6, outcome="no_nat", full=full))
    return lan, wan, recs


def run(lan, wan, recs, full=False):
    with tempfile.TemporaryDirectory() as d:
        lan.write(os.path.join(d, "lan.pcap"))
        wan.write(os.path.join(d, "wan.pcap"))
        with open(os.path.join(d, "trace.json"), "w") as f:
            for r in recs:
                f.write(json.dumps(r) + "\n")
        args = [sys.executable, CHECK] + (["--full"] if full else []) + [
            os.path.join(d, n) for n in ("lan.pcap", "wan.pcap", "trace.json")]
        p = subprocess.run(args, capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr


def first(recs, pred):
    return next(r for r in recs if pred(r))


def rewritten(r):
    return r["outcome"] == "rewritten"


def tcp_second(r):
    return (r["tcp"] or {}).get("msg_off", 0) > 0


def mutations():
    """(name, text the failure must show, function(lan, wan, recs))."""
    def edit(pred, key, value, which=0):
        def f(lan, wan, recs):
            first(recs, pred)["edits"][which][key] = value
        return f

    def wan_byte(lan, wan, recs):
        # The WAN INVITE's tag changed on the way: not in the trace.
        for i, (ts, data) in enumerate(wan.frames):
            if b"tag=2" in data and b"INVITE" in data:
                wan.frames[i] = (ts, data.replace(b"tag=2", b"tag=9", 1))
                return

    def remove(pred):
        def f(lan, wan, recs):
            recs.remove(first(recs, pred))
        return f

    def dup(pred):
        def f(lan, wan, recs):
            recs.append(copy.deepcopy(first(recs, pred)))
        return f

    def setkey(pred, *path):
        def f(lan, wan, recs):
            r = first(recs, pred)
            for k in path[:-2]:
                r = r[k]
            r[path[-2]] = path[-1]
        return f

    def joined(r):
        return r["tcp"] and r["connection"]["original"]["sport"] == 5072 \
            and r["start_line"].startswith("INVITE")

    def rebuilt_after_ack(lan, wan, recs):
        # A third INVITE record: the BYE's end, sent again after the ACK,
        # cannot have had it rebuilt.
        recs.append(copy.deepcopy(first(recs, joined)))

    def rebuilt_long_after_ack(lan, wan, recs):
        # The probe seen 5 s after the ACK: sipalg had let the INVITE go.
        ts, data = lan.frames[lan.probe]
        lan.frames[lan.probe] = (ts + 5, data)

    def resent_changed(lan, wan, recs):
        # The BYE's end sent again left changed on the WAN.
        i = max(i for i, (_, d) in enumerate(wan.frames)
                if d.endswith(b"\r\n\r\n") and len(d) == 14 + 40 + 30)
        ts, data = wan.frames[i]
        wan.frames[i] = (ts, data[:-10] + b"X" + data[-9:])

    def joined_wan_cut(lan, wan, recs):
        # The joined INVITE left in two packets, not one (and so did its
        # rebuilt copy).
        for i in [i for i, (_, d) in enumerate(wan.frames)
                  if d[14 + 20:14 + 22] == struct.pack(">H", 5072) and b"INVITE sip" in d]:
            ts, data = wan.frames[i]
            seq = struct.unpack(">I", data[14 + 24:14 + 28])[0]
            payload = data[14 + 40:]
            wan.frames[i] = (-1, b"")
            wan.tcp(ts, ROUTER, 5072, SERVER, 5060, seq, 0x18, payload[:100])
            wan.tcp(ts + 0.001, ROUTER, 5072, SERVER, 5060, seq + 100, 0x18, payload[100:])
        wan.frames[:] = [f for f in wan.frames if f[1]]

    def joined_lan_byte(lan, wan, recs):
        # A byte of the held INVITE's second segment (both copies) is not
        # what the trace says arrived.
        for i, (ts, data) in enumerate(lan.frames):
            if b"application/sdp" in data and b"INVITE sip" not in data:
                lan.frames[i] = (ts, data.replace(b"application/sdp", b"Application/sdp"))

    def joined_split_too(lan, wan, recs):
        # A record for the held piece as if it had passed (tcp_split).
        r = copy.deepcopy(first(recs, joined))
        r.update(outcome="passed", reason="tcp_split", applied=False, edits=[], lines=[])
        recs.append(r)

    return [
        ("joined: an edit's old bytes wrong (in the held second segment)", "edit 4: old",
         edit(joined, "old", "200", 3)),
        ("joined: the record at the segment's seq and offset", "extra record",
         lambda lan, wan, recs: first(recs, joined)["tcp"].update(seq=9001, msg_off=263)),
        ("joined: left in two packets", "did not leave as one packet", joined_wan_cut),
        ("joined: a byte of a held segment differs", "are not what left", joined_lan_byte),
        ("joined: its record missing", "no record for", remove(joined)),
        ("joined: not rebuilt when some of it came again", "no record for",
         lambda lan, wan, recs: recs.remove([r for r in recs if joined(r)][1])),
        ("joined: rebuilt after the ACK", "extra record", rebuilt_after_ack),
        ("joined: rebuilt 5 s after the ACK", "extra record", rebuilt_long_after_ack),
        ("joined: a piece sent again after the ACK changed", "is not what left at its place",
         resent_changed),
        ("joined: a tcp_split record for the held piece too", "extra record", joined_split_too),
        ("joined: the BYE after it at offset 0", "extra record",
         setkey(lambda r: r["tcp"] and r["start_line"].startswith("BYE")
                and r["connection"]["original"]["sport"] == 5072, "tcp", "msg_off", 0)),
        ("wrong old bytes", "old b'192.168.0.11'", edit(rewritten, "old", "192.168.0.11")),
        ("offset off by one", "but the message has", edit(rewritten, "offset", 41)),
        ("wrong line", "it is on line 2", edit(rewritten, "line", 3)),
        ("wrong new bytes", "are not what left", edit(rewritten, "new", "203.0.113.2")),
        ("an edit left out", "are not what left",
         lambda lan, wan, recs: first(recs, rewritten)["edits"].pop()),
        ("a record missing", "no record for", remove(tcp_second)),
        ("a record twice", "extra record", dup(lambda r: r["direction"] == "reply")),
        ("rewritten said unchanged", "changed on the way",
         lambda lan, wan, recs: first(recs, rewritten).update(outcome="unchanged", edits=[],
                                                               lines=[], applied=False)),
        ("msg_off wrong", "extra record", setkey(tcp_second, "tcp", "msg_off", 10)),
        ("TCP seq wrong", "extra record", setkey(tcp_second, "tcp", "seq", 12345)),
        ("tcp index wrong", "tcp.index", setkey(tcp_second, "tcp", "index", 0)),
        ("line after wrong", "line 2 after",
         lambda lan, wan, recs: first(recs, rewritten)["lines"][0].update(
             after="Via: SIP/2.0/UDP 203.0.113.1:5061;branch=z9hG4bK1;rport")),
        ("a line left out", "omitted, but edits are on",
         lambda lan, wan, recs: first(recs, rewritten)["lines"].pop()),
        ("BYE after a keep-alive: index 0", "tcp.index",
         setkey(lambda r: r["start_line"].startswith("BYE"), "tcp", "index", 0)),
        ("reason line wrong", "is not line",
         setkey(lambda r: r["reason"] == "bad_content_length", "reason_line", 7)),
        ("split not passed", "not passed",
         setkey(lambda r: r["reason"] == "tcp_split", "outcome", "unchanged")),
        ("UDP start line wrong", "extra record", setkey(rewritten, "start_line", "REGISTER sip:x SIP/2.0")),
        ("TCP start line wrong", "start_line", setkey(tcp_second, "start_line", "INVITE sip:x SIP/2.0")),
        ("Call-ID wrong", "extra record", setkey(rewritten, "call_id", "nope")),
        ("length wrong", "length.before", setkey(rewritten, "length", "before", 1)),
        ("out tuple wrong", "the other direction",
         setkey(rewritten, "out", {"src": ROUTER, "dst": SERVER, "sport": 5099, "dport": 5060})),
        ("a byte changed on the WAN", "are not what left", wan_byte),
        ("a WAN datagram lost", "never left", lambda lan, wan, recs: wan.frames.pop(
            next(i for i, (_, d) in enumerate(wan.frames) if b"REGISTER" in d and b"reg-1" in d))),
    ]


def main():
    failures = 0
    for full in (False, True):
        code, out = run(*build(full), full=full)
        tag = " --full" if full else ""
        if code != 0 or "byte for byte" not in out:
            print(f"FAIL: the right trace{tag} does not pass:\n{out}")
            failures += 1
        else:
            print(f"ok: the right trace{tag} passes: {out.strip().splitlines()[-1]}")
    lan, wan, recs = build(True)
    recs[0]["full"]["after"] = recs[0]["full"]["after"].replace("203.0.113.1", "203.0.113.2", 1)
    code, out = run(lan, wan, recs, full=True)
    if code == 0 or "full.after" not in out:
        print(f"FAIL: a wrong full.after passes:\n{out}")
        failures += 1
    else:
        print("ok: fails as it must: full.after wrong")
    code, out = run(*build(False), full=True)
    if code == 0 or "no full message" not in out:
        print(f"FAIL: --full without full passes:\n{out}")
        failures += 1
    else:
        print("ok: fails as it must: --full but no full message")
    for name, want, mutate in mutations():
        lan, wan, recs = build(False)
        mutate(lan, wan, recs)
        code, out = run(lan, wan, recs)
        if code == 0 or want not in out:
            print(f"FAIL: '{name}' should fail with '{want}':\n{out}")
            failures += 1
        else:
            print(f"ok: fails as it must: {name}")
    print(f"trace_check_test: {'all good' if not failures else f'{failures} FAILED'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
