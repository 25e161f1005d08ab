"""Hold packets in a netfilter queue, then let them go one by one.

  nfqueue_hold.py QUEUE GAP_MS TIMEOUT GROUP...

Binds netfilter queue QUEUE (an nft rule "queue num QUEUE bypass" sends
packets to it) and prints "ready". For each GROUP, a count N: the next N
packets are kept until all N have come, then go on in the order they
came, GAP_MS milliseconds apart, and it prints "held N". After the last
group it exits (later packets pass the rule's "bypass" without a
listener). If a group is not whole within TIMEOUT seconds of the start,
those kept go on and it exits with status 1.

Between conntrack (prerouting) and the router's postrouting hooks, a
packet held here has been seen by conntrack while the hooks after it have
not seen it yet: as when another CPU is still on its way with it.

The netlink protocol (nfnetlink_queue) is spoken directly: Debian has no
Python binding for it.
"""
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET = 0
NFQNL_MSG_VERDICT = 1
NFQNL_MSG_CONFIG = 2
NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NF_ACCEPT = 1
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLMSG_ERROR = 2


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def message(sock, queue, kind, attrs, flags=NLM_F_REQUEST):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + attrs
    header = struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | kind,
                         flags, 0, 0)
    sock.send(header + body)


def config(sock, queue, attrs):
    message(sock, queue, NFQNL_MSG_CONFIG, attrs, NLM_F_REQUEST | NLM_F_ACK)
    data = sock.recv(65536)
    length, kind = struct.unpack_from("=IH", data)
    if kind == NLMSG_ERROR and struct.unpack_from("=i", data, 16)[0] != 0:
        sys.exit(f"nfqueue_hold: configuring queue {queue} failed: "
                 f"{-struct.unpack_from('=i', data, 16)[0]}")


def packet_ids(data):
    """The ids of the queued packets in one read."""
    off = 0
    while off + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, off)
        if length < 16:
            break
        if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
            a = off + 20
            while a + 4 <= off + length:
                alen, atype = struct.unpack_from("=HH", data, a)
                if alen < 4:
                    break
                if atype & 0x3FFF == NFQA_PACKET_HDR:
                    yield struct.unpack_from(">I", data, a + 4)[0]
                a += (alen + 3) & ~3
        off += (length + 3) & ~3


def main():
    queue, gap_ms, timeout = (int(a) for a in sys.argv[1:4])
    groups = [int(a) for a in sys.argv[4:]]
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.bind((0, 0))
    config(sock, queue, attr(NFQA_CFG_CMD, struct.pack("=BBH", NFQNL_CFG_CMD_BIND, 0, 0)))
    config(sock, queue, attr(NFQA_CFG_PARAMS, struct.pack(">IB", 0, NFQNL_COPY_META)))
    print("ready", flush=True)

    def accept(pid):
        message(sock, queue, NFQNL_MSG_VERDICT,
                attr(NFQA_VERDICT_HDR, struct.pack(">II", NF_ACCEPT, pid)))

    start = time.monotonic()
    kept = []
    while groups:
        left = start + timeout - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        for pid in packet_ids(data):
            if not groups:
                accept(pid)
                continue
            kept.append(pid)
            if len(kept) == groups[0]:
                for k, held in enumerate(kept):
                    if k:
                        time.sleep(gap_ms / 1000)
                    accept(held)
                print(f"held {len(kept)}", flush=True)
                kept = []
                groups.pop(0)
    for pid in kept:
        accept(pid)
    if groups:
        sys.exit(f"nfqueue_hold: {len(kept)} of {groups[0]} packets came")


if __name__ == "__main__":
    main()
