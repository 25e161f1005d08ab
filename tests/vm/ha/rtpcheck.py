#!/usr/bin/python3
"""RTP through the router in one process (t-ha.sh): what lib.sh's
rtp_through does with two sipua.py processes, a receiver and a sender, for
a third of the time (each Python start costs about a second in the VM).

  rtpcheck.py RECV_NS RECV_IP:PORT SEND_NS SEND_IP:PORT DEST_IP:PORT [COUNT]

Opens the receiving socket in network namespace RECV_NS and the sending
one in SEND_NS (a socket stays in the namespace it was made in), sends
COUNT (20) RTP-sized datagrams 10 ms apart to DEST, then counts what
arrived until 0.5 s after the last one. Prints "received N from IP:PORT",
like sipua.py rtp-recv.
"""
import ctypes
import os
import socket
import sys
import time

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def enter(ns):
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {ns}: {os.strerror(err)}")
    finally:
        os.close(fd)


def udp(bind):
    host, _, port = bind.rpartition(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, int(port)))
    return sock


def main():
    recv_ns, recv_at, send_ns, send_from, dest = sys.argv[1:6]
    count = int(sys.argv[6]) if len(sys.argv) > 6 else 20
    enter(recv_ns)
    rx = udp(recv_at)
    enter(send_ns)
    tx = udp(send_from)
    host, _, port = dest.rpartition(":")
    payload = b"\x80\x00" + bytes(170)
    for _ in range(count):
        tx.sendto(payload, (host, int(port)))
        time.sleep(0.01)
    received, peer = 0, None
    deadline = time.monotonic() + 0.5
    while received < count:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        rx.settimeout(left)
        try:
            _, peer = rx.recvfrom(2048)
            received += 1
        except socket.timeout:
            break
    where = f"{peer[0]}:{peer[1]}" if peer else "nobody"
    print(f"received {received} from {where}")


if __name__ == "__main__":
    main()
