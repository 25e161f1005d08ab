#!/usr/bin/python3
"""Print the top-level attributes of each ctnetlink EXP_NEW message in a
pcap taken on an nlmon device (t-ha.sh's HA_NLMON): on the active router the
kernel's events to conntrackd, on the backup conntrackd's create requests
(flags 0x605) and the kernel's events for what it created.

usage: nlattrs.py FILE.pcap"""
import struct, sys
names = {1: "MASTER", 2: "TUPLE", 3: "MASK", 4: "TIMEOUT", 5: "ID", 6: "HELP_NAME", 7: "ZONE",
         8: "FLAGS", 9: "CLASS", 10: "NAT", 11: "FN"}
data = open(sys.argv[1], "rb").read()
magic = struct.unpack("<I", data[:4])[0]
e = "<" if magic == 0xa1b2c3d4 else ">"
off = 24
while off + 16 <= len(data):
    _, _, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
    pkt = data[off + 16: off + 16 + incl]
    off += 16 + incl
    # nlmon: a 16-byte cooked header (SLL) may precede the message
    for start in (0, 16):
        if len(pkt) < start + 20:
            continue
        ln, typ, flags, seq, pid = struct.unpack("<IHHII", pkt[start:start + 16])
        if ln <= len(pkt) - start + 0 and (typ >> 8) == 2 and (typ & 0xff) == 0:
            p = start + 20
            attrs = []
            while p + 4 <= start + ln:
                alen, atyp = struct.unpack("<HH", pkt[p:p + 4])
                if alen < 4:
                    break
                val = pkt[p + 4:p + alen]
                a = names.get(atyp & 0x7fff, str(atyp))
                if a in ("CLASS", "FLAGS", "TIMEOUT"):
                    a += "=" + str(struct.unpack(">I", val[:4])[0])
                elif a in ("HELP_NAME", "FN"):
                    a += "=" + val.split(b"\0")[0].decode()
                attrs.append(a)
                p += (alen + 3) & ~3
            print("EXP_NEW flags=%#x:" % flags, " ".join(attrs))
            break
