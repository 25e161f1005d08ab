#!/usr/bin/python3
"""Check `sipalg trace -j` records against captures from both sides of the router.

  trace_check.py [--full] [--quiet] LAN.pcap WAN.pcap TRACE.jsonl

LAN.pcap and WAN.pcap are tcpdump captures (pcap, Ethernet, Linux cooked or
raw IP; IPv4 and IPv6, fragments reassembled) taken on the two sides of the
router while `sipalg trace -j` wrote TRACE.jsonl (one JSON object a line).

Every SIP message in the captures is rebuilt: a UDP datagram is one
message; a TCP stream is put together from sequence numbers and cut into
messages by Content-Length. Each record is matched to the message it
describes on the side it arrived from (TCP: its segment's sequence number
and the message's offset in that segment; UDP: the 5-tuple, then the start
line, Call-ID and CSeq, in order) and to the same message as it left on the
other side. Then, for each record:

  - each edit's `old` is the arrival bytes at its `offset`, and its `line`
    is the line that offset is on;
  - rewritten: applying the edits to the arrival bytes gives the departure
    bytes byte for byte, and undoing them on the departure bytes gives the
    arrival bytes;
  - passed, no_nat, unchanged (or edits not applied): the message left
    exactly as it arrived;
  - start line, Call-ID, CSeq, status, lengths and the reason's line are the
    message's; each `lines` entry is that line before and after;
  - with --full: `full` holds the message before and after.

And every captured message has exactly one record, and there is no record
for anything not captured. A TCP segment is framed as the helper frames it
(from the segment's start, message after message). A message split across
segments that sipalg held and joined (kmod/split.c; the records say where
one begins) gets one record, at its first byte's sequence number, offset 0:
its arrival bytes are the stream's (reassembled by sequence number,
duplicates dropped) from there for its length, it must leave as one packet
that starts with it, and the segments joined to it get no record of their
own (whatever follows it in the last one is framed after it, in the same
packet); a segment that sends some of it again before the ACK has it
rebuilt, whole, and traced again the same way (when the records say so),
else it passes as it came. One that sipalg gave up on gets one record where
it starts (passed: tcp_split) and the segment holding its rest one of its
own, which must be passed too.

Prints "trace_check: N/N messages byte for byte" and exits 0, or lists what
is wrong and exits 1. Python standard library only.
"""
import argparse
import collections
import ipaddress
import json
import re
import struct
import sys

MAX_TEXT = 256  # SIPALG_TRACE_TEXT_MAX: start line, reason line, each line
MAX_CALL_ID = 128  # SIPALG_TRACE_CALL_ID_MAX
MAX_MSG_LEN = 65535
# kmod/split.c keeps a joined message's bytes until 2 s (SIPALG_SPLIT_KEEP_ACKED)
# after the peer's ACK for its end passed, so that a retransmission crossing
# that ACK (a tail loss probe sent as the ACK came in) is still rebuilt; one
# a second later than that must pass as it came.
KEEP_ACKED = 3.0


# ---------------------------------------------------------------- captures

Packet = collections.namedtuple(
    "Packet", "ts n family proto src sport dst dport seq flags payload ack", defaults=(None,))


def read_pcap(path):
    """(timestamp, link type, frame) for each record of a pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{path}: not a pcap file (too short)")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError(f"{path}: not a pcap file (pcapng? use tcpdump -w)")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if incl < orig:
            raise ValueError(f"{path}: a packet was cut to {incl} of {orig} bytes (tcpdump -s 0)")
        yield sec + frac / (1e9 if nano else 1e6), linktype, frame


def ip_payload(linktype, frame):
    """(ethertype-ish version, IP packet) of a link-layer frame, or None."""
    if linktype == 1:  # Ethernet
        etype, rest = struct.unpack(">H", frame[12:14])[0], frame[14:]
        while etype in (0x8100, 0x88A8) and len(rest) >= 4:
            etype, rest = struct.unpack(">H", rest[2:4])[0], rest[4:]
    elif linktype == 113:  # Linux cooked (SLL)
        etype, rest = struct.unpack(">H", frame[14:16])[0], frame[16:]
    elif linktype == 276:  # Linux cooked v2 (SLL2)
        etype, rest = struct.unpack(">H", frame[0:2])[0], frame[20:]
    elif linktype in (12, 101, 228, 229):  # raw IP
        rest = frame
        etype = 0x86DD if rest[:1] and rest[0] >> 4 == 6 else 0x0800
    else:
        raise ValueError(f"link type {linktype} not supported")
    if etype == 0x0800:
        return 4, rest
    if etype == 0x86DD:
        return 6, rest
    return None


class Reassembler:
    """IPv4 and IPv6 fragments put back together (whole datagrams only)."""

    def __init__(self):
        self.pending = {}

    def add(self, key, offset, more, data, header):
        frags = self.pending.setdefault(key, {"parts": {}, "total": None, "header": None})
        frags["parts"][offset] = data
        if offset == 0:
            frags["header"] = header
        if not more:
            frags["total"] = offset + len(data)
        if frags["total"] is None or frags["header"] is None:
            return None
        buf = bytearray(frags["total"])
        have = 0
        for start, part in sorted(frags["parts"].items()):
            if start > have:
                return None
            buf[start:start + len(part)] = part
            have = max(have, start + len(part))
        if have < frags["total"]:
            return None
        del self.pending[key]
        return frags["header"], bytes(buf)


def transport_of(version, ip, reasm):
    """(family, proto, src, dst, l4 bytes) of an IP packet, or None."""
    if version == 4:
        if len(ip) < 20:
            return None
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        proto = ip[9]
        src, dst = ipaddress.IPv4Address(ip[12:16]), ipaddress.IPv4Address(ip[16:20])
        ident, frag = struct.unpack(">HH", ip[4:8])
        l4 = ip[ihl:total]
        if frag & 0x3FFF:
            done = reasm.add((4, src, dst, ident, proto), (frag & 0x1FFF) * 8,
                             bool(frag & 0x2000), l4, None if frag & 0x1FFF else b"")
            if done is None:
                return None
            l4 = done[1]
        return 4, proto, src, dst, l4
    if len(ip) < 40:
        return None
    plen = struct.unpack(">H", ip[4:6])[0]
    nxt = ip[6]
    src, dst = ipaddress.IPv6Address(ip[8:24]), ipaddress.IPv6Address(ip[24:40])
    rest = ip[40:40 + plen]
    while nxt in (0, 43, 60, 44):
        if nxt == 44:
            nh, _, offm, ident = struct.unpack(">BBHI", rest[:8])
            done = reasm.add((6, src, dst, ident, nh), offm & 0xFFF8, bool(offm & 1),
                             rest[8:], None if offm & 0xFFF8 else b"")
            if done is None:
                return None
            nxt, rest = nh, done[1]
            continue
        nxt, length = rest[0], (rest[1] + 1) * 8
        rest = rest[length:]
    return 6, nxt, src, dst, rest


def read_packets(path):
    """The UDP and TCP packets of a capture, in capture order."""
    reasm = Reassembler()
    packets = []
    for n, (ts, linktype, frame) in enumerate(read_pcap(path)):
        got = ip_payload(linktype, frame)
        if not got:
            continue
        got = transport_of(got[0], got[1], reasm)
        if not got:
            continue
        family, proto, src, dst, l4 = got
        if proto == 17 and len(l4) >= 8:
            sport, dport, length = struct.unpack(">HHH", l4[:6])
            packets.append(Packet(ts, n, family, "udp", src, sport, dst, dport, None, 0,
                                  l4[8:length]))
        elif proto == 6 and len(l4) >= 20:
            sport, dport, seq = struct.unpack(">HHI", l4[:8])
            hlen = (l4[12] >> 4) * 4
            ack = struct.unpack(">I", l4[8:12])[0]
            packets.append(Packet(ts, n, family, "tcp", src, sport, dst, dport, seq,
                                  l4[13], l4[hlen:], ack))
    return packets


# ------------------------------------------------------------ SIP framing

def frame(buf):
    """The helper's TCP framing (core/frame.cpp) over buf: ("complete",
    length) | ("keepalive", length) | ("need_more", None) | ("invalid", reason)."""
    if not buf:
        return "need_more", None
    if buf[:1] in (b"\r", b"\n"):
        # Keep-alive CRLFs between (or instead of) messages: no record,
        # but they count in a segment's message index.
        k = 0
        while k < len(buf) and k < 4 and buf[k:k + 1] in (b"\r", b"\n"):
            k += 1
        if k == len(buf) and buf[k - 1:k] == b"\r":
            return "need_more", None
        return "keepalive", k
    i, have_cl, cl = 0, False, 0
    while True:
        nl = buf.find(b"\n", i)
        if nl < 0:
            return ("invalid", "too_long") if len(buf) >= MAX_MSG_LEN else ("need_more", None)
        le = nl - 1 if nl > i and buf[nl - 1:nl] == b"\r" else nl
        if le == i:
            if i == 0:
                return "invalid", "bad_start_line"
            hdr_end = nl + 1
            break
        if i > 0:
            m = re.match(rb"(?i)(content-length|l)[ \t]*:[ \t]*(.*)$", buf[i:le])
            if m:
                value = m.group(2).rstrip(b" \t")
                if not value.isdigit() or int(value) > MAX_MSG_LEN:
                    return "invalid", "bad_content_length"
                if have_cl:
                    return "invalid", "dup_header"
                have_cl, cl = True, int(value)
        i = nl + 1
    total = hdr_end + cl
    if total > MAX_MSG_LEN:
        return "invalid", "too_long"
    if total > len(buf):
        return "need_more", None
    return "complete", total


def keepalive(payload):
    return 0 < len(payload) <= 4 and not payload.strip(b"\r\n")


def lines_of(msg):
    """The message's lines without their line ends, numbered from 1."""
    return [line[:-1] if line.endswith(b"\r") else line for line in msg.split(b"\n")]


def header_values(msg, names):
    head = msg.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    out = []
    for line in lines_of(head)[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() in names:
            out.append(value.strip())
    return out


def summary_of(msg):
    """(start line, Call-ID, CSeq number, CSeq method, status) of a message."""
    start = lines_of(msg)[0]
    call_id = next(iter(header_values(msg, (b"call-id", b"i"))), None)
    cseq = next(iter(header_values(msg, (b"cseq",))), b"").split()
    number = int(cseq[0]) if cseq and cseq[0].isdigit() else None
    method = cseq[1] if len(cseq) > 1 else None
    m = re.match(rb"SIP/2\.0 (\d{3}) ", start)
    return start, call_id, number, method, int(m.group(1)) if m else None


# --------------------------------------------------------------- messages

Message = collections.namedtuple("Message", "side flow index data ts seq off kind")
# kind: "udp"; TCP: "message" (a whole message from a segment), "joined" (a
# whole message held across segments and joined: seq is its first byte's,
# off 0; "rebuilt": the same, again, when some of it was sent again),
# "split" (a message that starts in this segment and does not end
# there), "fragment" (framed from a segment's start that is not a message's
# start), "invalid" (the framing failed: the rest of the segment).


class Side:
    """One capture: its UDP messages and TCP streams, by flow."""

    def __init__(self, name, path):
        self.name = name
        self.packets = read_packets(path)
        self.first_seen = {}
        self.udp = collections.defaultdict(list)       # flow -> [Message]
        self.segments = collections.defaultdict(list)  # flow -> [Packet]
        self.streams = {}                               # flow -> (base, bytes)
        self.stream_msgs = {}                           # flow -> [(start, len)]
        self.whole_seen = {}                            # flow -> {start} seen whole
        self.problems = []
        for p in self.packets:
            flow = (p.proto, p.src, p.sport, p.dst, p.dport)
            self.first_seen.setdefault(flow, p.ts)
            if p.proto == "udp":
                if p.payload and not keepalive(p.payload):
                    msgs = self.udp[flow]
                    msgs.append(Message(name, flow, len(msgs), p.payload, p.ts, None, 0, "udp"))
            else:
                self.segments[flow].append(p)
        for flow, segs in self.segments.items():
            self.build_stream(flow, segs)

    def build_stream(self, flow, segs):
        syn = [p for p in segs if p.flags & 0x02]
        data = [p for p in segs if p.payload]
        if not data:
            return
        base = (syn[0].seq + 1) & 0xFFFFFFFF if syn else data[0].seq
        buf = bytearray()
        have = bytearray()
        for p in data:
            rel = (p.seq - base) & 0xFFFFFFFF
            if rel >= 1 << 31:
                self.problems.append(f"{self.name}: {fmt_flow(flow)}: data before the stream's start")
                continue
            end = rel + len(p.payload)
            if end > len(buf):
                buf.extend(bytes(end - len(buf)))
                have.extend(bytes(end - len(have)))
            for i, b in enumerate(p.payload):
                if have[rel + i] and buf[rel + i] != b:
                    self.problems.append(
                        f"{self.name}: {fmt_flow(flow)}: a retransmission differs at stream byte {rel + i}")
                    break
            buf[rel:end] = p.payload
            have[rel:end] = b"\x01" * len(p.payload)
        if 0 in have:
            self.problems.append(f"{self.name}: {fmt_flow(flow)}: a hole at stream byte {have.index(0)}")
        stream = bytes(buf)
        self.streams[flow] = (base, stream)
        msgs, off = [], 0
        while off < len(stream):
            state, length = frame(stream[off:])
            if state == "keepalive":
                off += length
                continue
            if state != "complete":
                msgs.append((off, len(stream) - off))
                if state == "need_more":
                    self.problems.append(f"{self.name}: {fmt_flow(flow)}: the stream ends inside a message")
                break
            msgs.append((off, length))
            off += length
        self.stream_msgs[flow] = msgs

    def tcp_expected(self, flow, joined=None):
        """What the helper frames in each segment of flow, as Messages.

        joined: sequence numbers at which, say the records, a message split
        across segments begins that sipalg held and joined (kmod/split.c),
        and how many records each has.
        Such a message, where a segment leaves it unfinished, is taken out
        of the stream; the next segments are joined to it (duplicates of
        the held bytes dropped) until it is whole, and the helper frames the
        joined packet, which starts at the message's first byte: one
        "joined" message (seq: its first byte's, offset 0), then whatever
        else the last segment brought. A segment that sends bytes of a
        joined message again while sipalg keeps it (until shortly after the
        peer acknowledged its end: here, up to KEEP_ACKED seconds after this
        capture saw that acknowledgement) may have sipalg rebuild it: the
        helper sees the whole message again from its first byte ("rebuilt"),
        and what follows it in that segment; when the records have no
        record more for it, or it was acknowledged long before, the segment
        went on as it came, framed from its start (as any segment)."""
        joined = joined if joined is not None else collections.Counter()
        base, stream = self.streams[flow]
        starts = {start: length for start, length in self.stream_msgs[flow]}
        out = []
        held = held_end = None  # stream offsets: where the held bytes begin, end
        done_joined = {}  # stream offsets: where each joined message begins -> ends
        traced = collections.Counter()  # its start -> how many times expected
        whole_seen = self.whole_seen[flow] = set()  # stream offsets of messages seen whole
        for p in self.segments[flow]:
            if not p.payload:
                continue
            rel = (p.seq - base) & 0xFFFFFFFF
            payload, seq, first = p.payload, p.seq, None
            done = None if held is not None else next(
                (j for j in done_joined if j < rel + len(p.payload) and rel < done_joined[j]), None)
            if done is not None and (self.acked(flow, base + done_joined[done], p.ts - KEEP_ACKED) or
                                     joined[(base + done) & 0xFFFFFFFF] <= traced[done]):
                done = None
            if done is not None:
                # Bytes of a joined message sent again: sipalg rebuilds it
                # whole, from its first byte, and the helper sees it again.
                end = max(rel + len(p.payload), done_joined[done])
                payload, seq, first = stream[done:end], (base + done) & 0xFFFFFFFF, done
                rel = done
            elif held is not None:
                end = rel + len(p.payload)
                if end <= held_end:
                    continue  # a duplicate of held bytes: dropped
                if rel > held_end:
                    self.problems.append(f"{self.name}: {fmt_flow(flow)}: a gap after the held "
                                         f"message at stream byte {held}")
                    held = None
                else:
                    payload, seq, first = stream[held:end], (base + held) & 0xFFFFFFFF, held
                    rel, held = first, None
            off = index = 0  # index: the message's in its segment
            while off < len(payload):
                state, length = frame(payload[off:])
                at = rel + off
                if state == "keepalive":
                    off += length
                    index += 1
                    continue
                if state == "complete":
                    kind = "message" if starts.get(at) == length else "fragment"
                    if kind == "message":
                        whole_seen.add(at)
                    if kind == "message" and at == first:
                        kind = "joined" if done is None else "rebuilt"
                        done_joined[at] = at + length
                        traced[at] += 1
                    out.append(Message(self.name, flow, index, payload[off:off + length], p.ts,
                                       seq, off, kind))
                    off += length
                    index += 1
                    continue
                if state == "need_more" and at in starts and (base + at) & 0xFFFFFFFF in joined:
                    # Held: out of the stream until the rest comes.
                    held, held_end = at, rel + len(payload)
                    break
                if state == "need_more":
                    kind = "split" if at in starts else "fragment"
                else:
                    kind = "invalid"
                out.append(Message(self.name, flow, index, payload[off:], p.ts, seq, off, kind))
                break
        if held is not None:
            self.problems.append(f"{self.name}: {fmt_flow(flow)}: the stream ends with a held "
                                 f"message unfinished (stream byte {held})")
        return out

    def acked(self, flow, seq, before):
        """Did this capture see the other direction acknowledge flow's bytes
        up to seq (absolute), before time before?"""
        return any(q.ts < before and q.flags & 0x10 and q.ack is not None
                   and ((q.ack - seq) & 0xFFFFFFFF) < 1 << 31
                   for q in self.segments.get(inverse(flow), []))

    def in_one_packet(self, flow, start, length):
        """Is there a segment of flow that begins at stream byte start and
        holds length bytes or more?"""
        base = self.streams[flow][0]
        return any(((p.seq - base) & 0xFFFFFFFF) == start and len(p.payload) >= length
                   for p in self.segments.get(flow, []))

    def stream_message_at(self, flow, rel):
        """Index and (start, length) of the stream message holding byte rel."""
        for i, (start, length) in enumerate(self.stream_msgs.get(flow, [])):
            if start <= rel < start + length:
                return i, start, length
        return None


def fmt_flow(flow):
    proto, src, sport, dst, dport = flow

    def hp(a, p):
        return f"[{a}]:{p}" if a.version == 6 else f"{a}:{p}"
    return f"{proto} {hp(src, sport)} -> {hp(dst, dport)}"


def flow_of(proto, tup):
    return (proto, ipaddress.ip_address(tup["src"]), int(tup["sport"]),
            ipaddress.ip_address(tup["dst"]), int(tup["dport"]))


def inverse(flow):
    proto, src, sport, dst, dport = flow
    return (proto, dst, dport, src, sport)


def text(value):
    """A JSON string of the trace as bytes (the CLI writes UTF-8)."""
    return None if value is None else value.encode("utf-8", "surrogateescape")


def clip(data):
    return data[:MAX_TEXT]


# ----------------------------------------------------------------- checks

class Checker:
    def __init__(self, lan, wan, records, full):
        self.sides = {"lan": lan, "wan": wan}
        self.records = records
        self.full = full
        self.errors = []
        self.outcomes = collections.Counter()
        self.kinds = collections.Counter()
        self.ok = 0
        self.expected_total = 0

    def error(self, where, what):
        self.errors.append(f"{where}: {what}")

    # Which side did a flow arrive on? The one it is seen on; when it is
    # seen on both (not translated), the one where it was seen first.
    def arrival_side(self, flow, departure):
        seen = [s for s in self.sides.values() if flow in s.first_seen]
        if len(seen) == 2 and flow == departure:
            seen.sort(key=lambda s: s.first_seen[flow])
            return seen[0], seen[1]
        if len(seen) != 1:
            return None, None
        other = self.sides["wan" if seen[0].name == "lan" else "lan"]
        return seen[0], other

    def run(self):
        # Every message the helper must have seen, on the side it came from.
        expected = {}   # (side, flow) -> [Message]
        arrival_flows = {}
        for rec_no, rec in enumerate(self.records, 1):
            try:
                conn = rec["connection"]
                proto = conn["proto"]
                orig = flow_of(proto, conn["original"])
                reply = flow_of(proto, conn["reply"])
            except (KeyError, TypeError, ValueError) as e:
                self.error(f"record {rec_no}", f"no usable connection ({e!r})")
                continue
            if rec.get("direction") == "original":
                arr, dep = orig, inverse(reply)
            elif rec.get("direction") == "reply":
                arr, dep = reply, inverse(orig)
            else:
                self.error(f"record {rec_no}", f"direction {rec.get('direction')!r}")
                continue
            if rec.get("out") is not None:
                try:
                    out = flow_of(proto, rec["out"])
                except (KeyError, TypeError, ValueError) as e:
                    out = None
                    self.error(f"record {rec_no}", f"bad out tuple ({e!r})")
                if out is not None and out != dep:
                    self.error(f"record {rec_no}",
                               f"out {fmt_flow(out)}, but the other direction's tuple gives {fmt_flow(dep)}")
            a_side, d_side = self.arrival_side(arr, dep)
            if a_side is None:
                self.error(f"record {rec_no}", f"{fmt_flow(arr)} is in neither capture (or in both, translated)")
                continue
            rec["_arr"], rec["_dep"], rec["_a"], rec["_d"] = arr, dep, a_side, d_side
            arrival_flows[(a_side.name, arr)] = (a_side, d_side, dep)
        # Flows with traffic but no record at all still need their records.
        for side in self.sides.values():
            other = self.sides["wan" if side.name == "lan" else "lan"]
            for flow in list(side.udp) + list(side.streams):
                if any(flow == f for (_, f) in arrival_flows):
                    continue
                if any(flow == d for (_, _, d) in arrival_flows.values()):
                    continue  # the departure side of a flow with records
                if flow in other.first_seen and other.first_seen[flow] < side.first_seen[flow]:
                    continue  # not translated and arrived on the other side
                arrival_flows[(side.name, flow)] = (side, other, None)
        # Where the records say a joined message begins (kmod/split.c): any
        # TCP record but the piece of one sipalg did not hold (tcp_split).
        joined = collections.defaultdict(collections.Counter)
        for rec in self.records:
            tcp = rec.get("tcp")
            if "_arr" in rec and isinstance(tcp, dict) and rec.get("reason") != "tcp_split" \
                    and isinstance(tcp.get("seq"), int) and isinstance(tcp.get("msg_off"), int):
                joined[(rec["_a"].name, rec["_arr"])][(tcp["seq"] + tcp["msg_off"]) & 0xFFFFFFFF] += 1
        for (name, flow), (a_side, _, _) in arrival_flows.items():
            if flow[0] == "udp":
                expected[(name, flow)] = list(a_side.udp.get(flow, []))
            elif flow in a_side.streams:
                expected[(name, flow)] = a_side.tcp_expected(flow, joined[(name, flow)])
            else:
                expected[(name, flow)] = []
            self.expected_total += len(expected[(name, flow)])
        for side in self.sides.values():
            for problem in side.problems:
                self.error("capture", problem)

        matched = {k: [None] * len(v) for k, v in expected.items()}
        for rec_no, rec in enumerate(self.records, 1):
            if "_arr" not in rec:
                continue
            key = (rec["_a"].name, rec["_arr"])
            msgs = expected[key]
            where = f"record {rec_no} ({fmt_flow(rec['_arr'])}, {rec.get('start_line')!r})"
            i = self.match(rec, msgs, matched[key], where)
            if i is None:
                continue
            matched[key][i] = rec_no
            if self.check(rec, msgs[i], where):
                self.ok += 1
        for key, msgs in expected.items():
            for msg, rec_no in zip(msgs, matched[key]):
                if rec_no is None:
                    at = f" seq {msg.seq} offset {msg.off}" if msg.seq is not None else ""
                    self.error(f"{key[0]}.pcap",
                               f"no record for {fmt_flow(msg.flow)}{at}: {lines_of(msg.data)[0][:80]!r}")
        return not self.errors

    def match(self, rec, msgs, taken, where):
        tcp = rec.get("tcp")
        if rec["_arr"][0] == "tcp":
            if not isinstance(tcp, dict):
                self.error(where, "a TCP message without tcp {seq, msg_off}")
                return None
            for i, msg in enumerate(msgs):
                if taken[i] is None and msg.seq == tcp.get("seq") and msg.off == tcp.get("msg_off"):
                    return i
            self.error(where, f"extra record: no TCP message at seq {tcp.get('seq')} offset "
                       f"{tcp.get('msg_off')} in {rec['_a'].name}.pcap (or already traced)")
            return None
        if tcp is not None:
            self.error(where, f"tcp should be null for UDP, is {tcp!r}")
        want = (text(rec.get("start_line")), text(rec.get("call_id")), rec.get("cseq"))
        for i, msg in enumerate(msgs):
            if taken[i] is not None:
                continue
            start, call_id, cseq, _, _ = summary_of(msg.data)
            if clip(start) == want[0] and (want[1] is None or want[1] == (call_id or b"")[:MAX_CALL_ID]) \
                    and (want[2] is None or want[2] == cseq):
                return i
        self.error(where, f"extra record: no untraced datagram with that start line, Call-ID "
                   f"{rec.get('call_id')!r} and CSeq {rec.get('cseq')!r} in {rec['_a'].name}.pcap")
        return None

    def departure(self, rec, msg, where):
        """The departure bytes of what msg's record describes, or None."""
        a, d, arr, dep = rec["_a"], rec["_d"], rec["_arr"], rec["_dep"]
        if arr[0] == "udp":
            msgs = d.udp.get(dep, [])
            if msg.index >= len(msgs):
                self.error(where, f"datagram {msg.index + 1} of {fmt_flow(arr)} never left on "
                           f"{fmt_flow(dep)} ({d.name}.pcap has {len(msgs)})")
                return None
            return msgs[msg.index].data
        base = a.streams[arr][0]
        rel = ((msg.seq - base) & 0xFFFFFFFF) + msg.off
        at = a.stream_message_at(arr, rel)
        dmsgs = d.stream_msgs.get(dep, [])
        if at is None or at[0] >= len(dmsgs):
            self.error(where, f"stream message at byte {rel} of {fmt_flow(arr)} not found on "
                       f"{fmt_flow(dep)} in {d.name}.pcap")
            return None
        start, length = dmsgs[at[0]]
        if msg.kind in ("joined", "rebuilt") and not d.in_one_packet(dep, start, length):
            self.error(where, f"the joined message (stream bytes {start}-{start + length} of "
                       f"{fmt_flow(dep)}) did not leave as one packet that starts with it "
                       f"({d.name}.pcap)")
        return d.streams[dep][1][start:start + length]

    def check(self, rec, msg, where):
        n_errors = len(self.errors)
        arrived = msg.data
        left = self.departure(rec, msg, where)
        if left is None:
            return False
        outcome = rec.get("outcome")
        self.outcomes[outcome] += 1
        self.kinds[msg.kind] += 1
        conn = rec["connection"]
        fam = {4: "ipv4", 6: "ipv6"}[msg.flow[1].version]
        if conn.get("family") != fam:
            self.error(where, f"family {conn.get('family')!r}, the packets are {fam}")
        if outcome not in ("rewritten", "unchanged", "no_nat", "passed"):
            self.error(where, f"outcome {outcome!r}")
        edits = rec.get("edits") or []
        applied = bool(rec.get("applied"))

        if msg.kind in ("fragment", "invalid", "split"):
            # Not a whole message: it must have passed, and the whole
            # stream message(s) it is part of left untouched.
            if outcome != "passed":
                self.error(where, f"a {msg.kind} TCP piece (seq {msg.seq} offset {msg.off}) is "
                           f"{outcome}, not passed")
            if msg.kind == "split" and rec.get("reason") != "tcp_split":
                self.error(where, f"a message split across segments passed as {rec.get('reason')!r}, "
                           "not tcp_split")
            if applied:
                self.error(where, "applied is true for a message that passed")
            a = rec["_a"]
            base = a.streams[msg.flow][0]
            rel = ((msg.seq - base) & 0xFFFFFFFF) + msg.off
            whole = a.stream_msgs[msg.flow][a.stream_message_at(msg.flow, rel)[0]]
            whole_bytes = a.streams[msg.flow][1][whole[0]:whole[0] + whole[1]]
            if whole[0] in a.whole_seen.get(msg.flow, ()):
                # Bytes of a message the helper saw whole (and may have
                # rewritten) sent again, e.g. a joined one after its end
                # was acknowledged: they went on as they came, at the place
                # seqadj gives them, after every edit.
                at = rel - whole[0] + len(left) - len(whole_bytes)
                if left[at:at + len(arrived)] != arrived:
                    self.error(where, f"a piece of a message seen whole sent again (stream bytes "
                               f"{rel}-{rel + len(arrived)}) is not what left at its place:\n"
                               + diff(arrived, left[at:at + len(arrived)]))
            elif whole_bytes != left:
                self.error(where, f"the {msg.kind} piece passed, but its message changed on the way:\n"
                           + diff(whole_bytes, left))
            self.check_start(rec, arrived, where)
            return len(self.errors) == n_errors

        self.check_start(rec, arrived, where)
        self.check_headers(rec, arrived, where)
        length = rec.get("length") or {}
        if length.get("before") != len(arrived):
            self.error(where, f"length.before {length.get('before')}, arrived with {len(arrived)} bytes")
        tcp = rec.get("tcp")
        if msg.kind in ("message", "joined", "rebuilt") and isinstance(tcp, dict) \
                and tcp.get("index") != msg.index:
            # index: how many messages (keep-alives too) came before it in its segment
            self.error(where, f"tcp.index {tcp.get('index')}, it is message {msg.index} of its segment")

        # The edits, against the bytes as they arrived.
        last_end = -1
        for k, e in enumerate(edits):
            off, old, new = e.get("offset"), text(e.get("old")), text(e.get("new"))
            if not isinstance(off, int) or old is None or new is None:
                self.error(where, f"edit {k + 1} malformed: {e!r}")
                return False
            if off < last_end:
                self.error(where, f"edit {k + 1} at {off} overlaps or precedes the one before (ends {last_end})")
            last_end = off + len(old)
            if arrived[off:off + len(old)] != old:
                self.error(where, f"edit {k + 1}: old {old!r} at offset {off}, but the message has "
                           f"{arrived[off:off + len(old)]!r} there")
            line = arrived[:off].count(b"\n") + 1
            if e.get("line") != line:
                self.error(where, f"edit {k + 1} at offset {off}: line {e.get('line')}, it is on line {line}")
            if b"\r" in old + new or b"\n" in old + new:
                self.error(where, f"edit {k + 1} touches a line end: {old!r} -> {new!r}")

        if outcome == "rewritten":
            if not applied or not edits:
                self.error(where, f"rewritten with applied={applied} and {len(edits)} edits")
            forward = apply_edits(arrived, edits)
            if forward != left:
                self.error(where, "the edits applied to the arrival bytes are not what left:\n"
                           + diff(forward, left))
            back = undo_edits(left, edits)
            if back != arrived:
                self.error(where, "the edits undone on the departure bytes are not what arrived:\n"
                           + diff(back, arrived))
            if length.get("after") != len(left):
                self.error(where, f"length.after {length.get('after')}, left with {len(left)} bytes")
        else:
            if applied:
                self.error(where, f"{outcome} but applied is true")
            if outcome in ("unchanged", "no_nat") and edits:
                self.error(where, f"{outcome} with {len(edits)} edits")
            if outcome == "passed" and not rec.get("reason"):
                self.error(where, "passed without a reason")
            if arrived != left:
                self.error(where, f"{outcome}, yet the message changed on the way:\n" + diff(arrived, left))
        if outcome != "passed" and rec.get("reason") is not None:
            self.error(where, f"{outcome} with a reason {rec.get('reason')!r}")

        # The reason's line.
        rline = rec.get("reason_line")
        if rline is not None:
            lines = lines_of(arrived)
            if not isinstance(rline, int) or not 1 <= rline <= len(lines):
                self.error(where, f"reason_line {rline!r}; the message has {len(lines)} lines")
            elif text(rec.get("reason_text")) != clip(lines[rline - 1]):
                self.error(where, f"reason_text {rec.get('reason_text')!r} is not line {rline}: "
                           f"{clip(lines[rline - 1])!r}")

        self.check_lines(rec, arrived, left if applied else arrived, edits, where)
        self.check_full(rec, arrived, left, where)
        return len(self.errors) == n_errors

    def check_start(self, rec, arrived, where):
        start = clip(lines_of(arrived)[0])
        if text(rec.get("start_line")) != start:
            self.error(where, f"start_line {rec.get('start_line')!r}, the message starts {start!r}")

    def check_headers(self, rec, arrived, where):
        _, call_id, cseq, method, status = summary_of(arrived)
        real = {"call_id": call_id[:MAX_CALL_ID] if call_id is not None else None,
                "cseq": cseq, "cseq_method": method, "status": status}
        for key, value in real.items():
            got = rec.get(key)
            if isinstance(got, str):
                got = text(got)
            # A message that did not parse may leave any of them out.
            if got is None and rec.get("outcome") == "passed":
                continue
            if got != value:
                self.error(where, f"{key} {rec.get(key)!r}, the message has {value!r}")

    def check_lines(self, rec, arrived, shown, edits, where):
        before_lines, after_lines = lines_of(arrived), lines_of(shown)
        edited = sorted({e.get("line") for e in edits})
        entries = rec.get("lines") or []
        omitted = rec.get("lines_omitted") or 0
        shown_lines = sorted({entry.get("line") for entry in entries})
        # Each edited line shown (a cut line may come as several windows),
        # unless some were left out to keep the record small.
        if shown_lines != edited if not omitted else len(entries) + omitted < len(edited):
            self.error(where, f"lines {shown_lines} shown + {omitted} omitted, but edits are on "
                       f"lines {edited}")
        for entry in entries:
            n = entry.get("line")
            if n not in edited:
                self.error(where, f"line {n} shown, but no edit is on it")
                continue
            if entry.get("inconsistent"):
                self.error(where, f"line {n}: the CLI found the trace inconsistent")
            for key, lines in (("before", before_lines), ("after", after_lines)):
                got, real = text(entry.get(key)), lines[n - 1] if n <= len(lines) else b""
                if entry.get("cut") and got is not None and len(got) <= MAX_TEXT:
                    good = got in real
                else:
                    good = got == real
                if not good:
                    self.error(where, f"line {n} {key}: {got!r}, the message has {real!r}")

    def check_full(self, rec, arrived, left, where):
        full = rec.get("full")
        if not self.full:
            if full is not None:
                self.error(where, "full present without --full")
            return
        if not isinstance(full, dict):
            self.error(where, "no full message (--full)")
            return
        after, before = text(full.get("after")), text(full.get("before"))
        truncated = bool(full.get("truncated"))
        if full.get("length") != len(left):
            self.error(where, f"full.length {full.get('length')}, left with {len(left)} bytes")
        if truncated:
            if not after or not left.startswith(after) or len(after) >= len(left):
                self.error(where, "full.after (truncated) is not a beginning of what left")
            return
        if after != left:
            self.error(where, "full.after is not the message as it left:\n" + diff(after or b"", left))
        if before != arrived:
            self.error(where, "full.before is not the message as it arrived:\n" + diff(before or b"", arrived))


def apply_edits(data, edits):
    out, pos = bytearray(), 0
    for e in edits:
        off, old, new = e["offset"], text(e["old"]), text(e["new"])
        out += data[pos:off] + new
        pos = off + len(old)
    return bytes(out + data[pos:])


def undo_edits(data, edits):
    """Put each edit's old bytes back where its new bytes landed."""
    out, pos, delta = bytearray(), 0, 0
    for e in edits:
        off, old, new = e["offset"], text(e["old"]), text(e["new"])
        at = off + delta
        if data[at:at + len(new)] != new:
            return b"<new bytes " + new + b" not found at departure offset " + str(at).encode() + b">"
        out += data[pos:at] + old
        pos = at + len(new)
        delta += len(new) - len(old)
    return bytes(out + data[pos:])


def diff(got, want):
    """The first differing line of two messages, to show in a failure."""
    a, b = lines_of(got), lines_of(want)
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else b"<none>"
        y = b[i] if i < len(b) else b"<none>"
        if x != y:
            return f"      line {i + 1}: {x!r}\n      wanted:  {y!r}"
    return f"      same lines, lengths {len(got)} and {len(want)}"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="the trace ran with --full")
    parser.add_argument("--quiet", action="store_true", help="only the summary or the errors")
    parser.add_argument("lan")
    parser.add_argument("wan")
    parser.add_argument("trace")
    args = parser.parse_args()
    records = []
    with open(args.trace, encoding="utf-8", errors="surrogateescape") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                print(f"trace_check: FAIL: {args.trace} line {n} is not JSON: {e}")
                return 1
    try:
        checker = Checker(Side("lan", args.lan), Side("wan", args.wan), records, args.full)
    except (OSError, ValueError) as e:
        print(f"trace_check: FAIL: {e}")
        return 1
    good = checker.run()
    if not args.quiet or not good:
        for err in checker.errors:
            print(f"trace_check: FAIL: {err}")
    kinds = ", ".join(f"{v} {k}" for k, v in sorted(checker.outcomes.items()))
    tcp = [f"{v} {k}" for k, v in sorted(checker.kinds.items()) if k != "udp"]
    extra = f"; tcp pieces: {', '.join(tcp)}" if tcp else ""
    print(f"trace_check: {checker.ok}/{checker.expected_total} messages byte for byte "
          f"({len(records)} records: {kinds or 'none'}{extra})")
    return 0 if good and checker.ok == checker.expected_total else 1


if __name__ == "__main__":
    sys.exit(main())
