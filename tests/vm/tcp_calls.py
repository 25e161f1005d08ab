#!/usr/bin/python3
"""Calls over one TCP connection, each INVITE cut into segments by a small MSS.

  tcp_calls.py --bind IP:PORT --to IP:PORT --mss N --calls N --save-dir DIR
               [--set K=V ...] INVITE_TEMPLATE BYE_TEMPLATE

For each call: the INVITE (its own Call-ID, tag and branch), its reply, the
BYE, its reply, one after the other on the same connection (TCP_MAXSEG set
before connecting, Nagle off, each message written at once so the kernel
cuts it). Saves every message as sent (DIR/NNN.sip) and every reply
(DIR/NNN-reply.sip); prints "calls N, longest M ms, median M ms".
Fails if a reply does not come within --timeout.
"""
import argparse
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sipua  # noqa: E402


def per_call(message, k):
    """The template's Call-ID number, tag and branches, made the call's own."""
    text = message.decode()
    for old, new in (("1589215404@", f"{1589215404 + k}@"),
                     ("tag=2032843561", f"tag={2032843561 + k}"),
                     ("z9hG4bK", f"z9hG4bK{k}x")):
        text = text.replace(old, new)
    return text.encode()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", required=True)
    p.add_argument("--to", required=True)
    p.add_argument("--mss", type=int, required=True)
    p.add_argument("--calls", type=int, required=True)
    p.add_argument("--save-dir", required=True)
    p.add_argument("--set", action="append")
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("invite")
    p.add_argument("bye")
    args = p.parse_args()
    values = sipua.values_from(args.set)
    invite = sipua.fill(args.invite, values)
    bye = sipua.fill(args.bye, values)
    os.makedirs(args.save_dir, exist_ok=True)

    host, port = sipua.split_hostport(args.bind)
    sock = socket.socket(sipua.family_of(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, args.mss)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.settimeout(args.timeout)
    sock.connect(sipua.split_hostport(args.to))
    pending = b""
    index = 0
    took = []
    for k in range(args.calls):
        start = time.monotonic()
        for template in (invite, bye):
            message = per_call(template, k)
            with open(os.path.join(args.save_dir, f"{index:03d}.sip"), "wb") as f:
                f.write(message)
            sock.sendall(message)
            try:
                reply, pending = sipua.read_tcp_message(sock, pending)
            except socket.timeout:
                reply = None
            if reply is None:
                print(f"tcp_calls: no reply to message {index}", file=sys.stderr)
                return 1
            with open(os.path.join(args.save_dir, f"{index:03d}-reply.sip"), "wb") as f:
                f.write(reply)
            index += 1
        took.append(time.monotonic() - start)
    sock.close()
    took.sort()
    print(f"calls {len(took)}, longest {took[-1] * 1000:.0f} ms, "
          f"median {took[len(took) // 2] * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
