#!/usr/bin/python3
"""A tiny scriptable SIP user agent for the VM tests (Python stdlib only).

  sipua.py send  --bind IP:PORT --to IP:PORT
                 [--tcp [--mss N | --segments N] [--one-by-one]]
                 [--save FILE] [--reply-save FILE] [--set K=V ...] TEMPLATE...
      Fill TEMPLATE's {placeholders}, fix Content-Length, send it, save the
      exact bytes sent, wait for one reply and save it. Several templates
      go back to back in one write, or with --one-by-one each in a write of
      its own once the previous one's reply arrived. --mss sets TCP_MAXSEG
      before connecting: the kernel cuts every write into segments of at
      most N bytes less the TCP options (12 with timestamps); --segments
      picks the TCP_MAXSEG that cuts the first message into N segments.

  sipua.py serve --bind IP:PORT [--tcp [--mss N]] --count N --save-dir DIR
                 [--answer-sdp TEMPLATE] [--set K=V ...]
      Receive N messages; save each one exactly as received; answer
      requests with 200 OK (with an SDP answer to INVITE when given), each
      reply in one write (--mss: TCP_MAXSEG on the listening socket, so
      the kernel cuts the replies as send's --mss does).

  sipua.py rtp-send --bind IP:PORT --to IP:PORT [--count N]
  sipua.py rtp-recv --bind IP:PORT [--count N] [--timeout S]
      Send or count RTP-sized datagrams (pinhole tests). rtp-recv prints
      "received N from IP:PORT".

Addresses are IPv4 or [IPv6]:port. Every run is bounded in time.
"""
import os
import sys
import time

# The C modules under socket and signal, and no re: their Python wrappers
# build enums at import, which took a third of a second of each run under
# the VM's emulation (with -S, lib.sh's way, a run now starts in about as
# long as Python itself).
import _signal
import _socket as socket

CRLF = "\r\n"


def split_hostport(text):
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
        return host, int(port)
    host, _, port = text.rpartition(":")
    return host, int(port)


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def fill(template_path, values):
    with open(template_path, encoding="utf-8") as f:
        text = f.read()
    text = text.format(**{"transport": "UDP", "expires": "3600", **values})
    text = text.replace("\r\n", "\n").replace("\n", CRLF)
    head, sep, body = text.partition(CRLF + CRLF)
    if not sep:
        return (head.rstrip(CRLF) + CRLF + CRLF).encode()
    lines = head.split(CRLF)
    for k, line in enumerate(lines):
        if header_name(line) in ("content-length", "l"):
            lines[k] = f"{line.partition(':')[0].rstrip()}: {len(body.encode())}"
    return (CRLF.join(lines) + CRLF + CRLF + body).encode()


def header_name(line):
    """A header line's name, lowercase ("" if the line has no colon)."""
    name, colon, _ = line.partition(":")
    return name.rstrip().lower() if colon else ""


def values_from(pairs):
    values = {}
    for pair in pairs or []:
        key, _, value = pair.partition("=")
        values[key] = value
    return values


def open_socket(bind, tcp):
    host, port = split_hostport(bind)
    kind = socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM
    sock = socket.socket(family_of(host), kind)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def read_tcp_message(conn, pending):
    """Read one Content-Length framed SIP message from a TCP stream."""
    while True:
        end = pending.find(b"\r\n\r\n")
        if end >= 0:
            head = pending[:end].decode(errors="replace")
            total = end + 4 + content_length(head)
            if len(pending) >= total:
                return pending[:total], pending[total:]
        chunk = conn.recv(65536)
        if not chunk:
            return None, pending
        pending += chunk


def content_length(head):
    """The first Content-Length (or l) of a message's head that has digits."""
    for line in head.split("\n"):
        if header_name(line) in ("content-length", "l"):
            value = line.partition(":")[2].lstrip(" \t")
            digits = len(value) - len(value.lstrip("0123456789"))
            if digits:
                return int(value[:digits])
    return 0


def accept(sock):
    """socket.accept() for a _socket socket: the connection and its peer."""
    fd, peer = sock._accept()
    return socket.socket(sock.family, sock.type, sock.proto, fileno=fd), peer


def without_expires(params):
    """A binding's parameters without expires=N, and N (None if absent)."""
    kept, seconds = [], None
    for k, param in enumerate(params.split(";")):
        name, eq, value = param.partition("=")
        if k and eq and name.strip().lower() == "expires" and value.strip().isdigit():
            if seconds is None:
                seconds = int(value.strip())
            continue
        kept.append(param)
    return ";".join(kept), seconds


def header(msg, name, compact=None):
    names = [name.lower()] + ([compact] if compact else [])
    for line in msg.split("\r\n")[1:]:
        if not line:
            break
        key, _, value = line.partition(":")
        if key.strip().lower() in names:
            yield key.strip(), value.strip()


def registered_bindings(text):
    """The REGISTER's Contacts with the expires= a registrar grants them."""
    expires = next((v for _, v in header(text, "expires")), "3600")
    for key, value in header(text, "contact", "m"):
        if value == "*":
            continue
        for binding in value.split(","):
            binding = binding.strip()
            params = binding.split(">", 1)
            rest, own = without_expires(params[-1])
            seconds = own if own is not None else int(expires)
            if seconds == 0:
                continue
            if own is not None:
                binding = binding[:binding.rfind(">") + 1] + rest
            yield key, f"{binding};expires={seconds}"


REASONS = {403: "Forbidden", 481: "Call/Transaction Does Not Exist",
           486: "Busy Here", 488: "Not Acceptable Here", 491: "Request Pending",
           500: "Server Internal Error"}


def transaction_headers(text):
    """What a response copies from its request (RFC 3261 8.2.6.2)."""
    lines = []
    for name, compact in (("via", "v"), ("from", "f"), ("to", "t"),
                          ("call-id", "i"), ("cseq", None)):
        for key, value in header(text, name, compact):
            if name == "to" and ";tag=" not in value:
                value += ";tag=srv1"
            lines.append(f"{key}: {value}")
    return lines


def make_reply(request, answer_sdp, values, challenge=False, status=None):
    text = request.decode(errors="replace")
    method = text.split(" ", 1)[0]
    # A registrar asking for digest credentials first (RFC 3261 22.4).
    unauthorized = (challenge and method == "REGISTER"
                    and not list(header(text, "authorization")))
    if status:
        # A refusal: the request's identifying headers and nothing else.
        lines = [f"SIP/2.0 {status} {REASONS.get(status, 'Refused')}"]
        lines += transaction_headers(text)
        lines.append("Content-Length: 0")
        return (CRLF.join(lines) + CRLF + CRLF).encode()
    lines = ["SIP/2.0 401 Unauthorized" if unauthorized else "SIP/2.0 200 OK"]
    lines += transaction_headers(text)
    if unauthorized:
        lines.append('WWW-Authenticate: Digest realm="sipalg.test", '
                     'nonce="5f1e8a2b9c", algorithm=MD5, qop="auth"')
    elif method == "REGISTER":
        # A registrar lists the bindings it now holds, each with the time
        # it granted (RFC 3261 10.3 step 8); none once they are removed.
        for _, value in registered_bindings(text):
            lines.append(f"Contact: {value}")
    else:
        lines.append(f"Contact: <sip:server@{values.get('server', '203.0.113.10')}>")
    body = ""
    if method == "INVITE" and answer_sdp:
        with open(answer_sdp, encoding="utf-8") as f:
            body = f.read().format(**values).replace("\r\n", "\n").replace("\n", CRLF)
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body.encode())}")
    return (CRLF.join(lines) + CRLF + CRLF + body).encode()


def cmd_send(args):
    # Several templates: sent back to back (over TCP, in one segment).
    parts = [fill(t, values_from(args.set)) for t in args.template]
    message = b"".join(parts)
    if args.split_after:
        args.split = len(b"".join(parts[:args.split_after]))
    sock = open_socket(args.bind, args.tcp)
    sock.settimeout(args.timeout)
    host, port = split_hostport(args.to)
    if args.save:
        with open(args.save, "wb") as f:
            f.write(message)
    if args.tcp:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if args.segments:
            # ceil(length / N) bytes a segment, plus the 12 bytes of
            # timestamp option Linux puts in every segment by default.
            args.mss = -(-len(parts[0]) // args.segments) + 12
        if args.mss:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, args.mss)
        sock.connect((host, port))
        reply, pending = None, b""
        if args.one_by_one:
            # Each message in a write of its own, after the previous reply.
            for part in parts:
                sock.sendall(part)
                reply, pending = read_tcp_message(sock, pending)
                if reply is None:
                    break
        elif args.split:
            # Two segments, the second after a pause.
            sock.sendall(message[:args.split])
            time.sleep(args.split_pause)
            sock.sendall(message[args.split:])
        else:
            sock.sendall(message)
        if not args.one_by_one:
            for _ in range(len(args.template)):
                reply, pending = read_tcp_message(sock, pending)
    else:
        sock.sendto(message, (host, port))
        try:
            reply, _ = sock.recvfrom(65536)
        except socket.timeout:
            reply = None
    if reply is None:
        print("sipua: no reply", file=sys.stderr)
        return 1
    if args.reply_save:
        with open(args.reply_save, "wb") as f:
            f.write(reply)
    print(reply.split(b"\r\n", 1)[0].decode(errors="replace"))
    return 0


def cmd_serve(args):
    values = values_from(args.set)
    os.makedirs(args.save_dir, exist_ok=True)
    sock = open_socket(args.bind, args.tcp)
    sock.settimeout(args.timeout)
    conn, pending = None, b""
    if args.tcp:
        if args.mss:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, args.mss)
        sock.listen(4)
    print("ready", flush=True)
    for index in range(args.count):
        try:
            if args.tcp:
                if conn is None:
                    conn, peer = accept(sock)
                    conn.settimeout(args.timeout)
                    if args.mss:  # each reply's last segment without delay
                        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                message, pending = read_tcp_message(conn, pending)
                if message is None:
                    break
            else:
                message, peer = sock.recvfrom(65536)
        except socket.timeout:
            print(f"sipua: timed out after {index} messages", file=sys.stderr)
            return 1
        with open(os.path.join(args.save_dir, f"{index:03d}.sip"), "wb") as f:
            f.write(message)
        with open(os.path.join(args.save_dir, f"{index:03d}.peer"), "w") as f:
            f.write(f"{peer[0]}:{peer[1]}\n")
        if not args.no_reply and not message.startswith(b"SIP/2.0") and message.strip():
            reply = make_reply(message, args.answer_sdp, values, args.challenge,
                               args.status)
            with open(os.path.join(args.save_dir, f"{index:03d}-reply.sip"), "wb") as f:
                f.write(reply)
            if args.tcp:
                conn.sendall(reply)
            else:
                sock.sendto(reply, peer)
    return 0


def cmd_raw(args):
    """Send each file's bytes, untouched, as one datagram; no reply."""
    sock = open_socket(args.bind, False)
    host, port = split_hostport(args.to)
    for path in args.files:
        with open(path, "rb") as f:
            sock.sendto(f.read(), (host, port))
        time.sleep(0.02)
    print(f"sent {len(args.files)}")
    return 0


def cmd_fill(args):
    """Print a filled template, exactly as send would send it."""
    sys.stdout.buffer.write(fill(args.template, values_from(args.set)))
    return 0


def cmd_flood(args):
    """Send a filled template over and over, from rotating source ports."""
    message = fill(args.template, values_from(args.set))
    host, port = split_hostport(args.bind)
    to_host, to_port = split_hostport(args.to)
    socks = []
    for i in range(args.flows):
        sock = socket.socket(family_of(host), socket.SOCK_DGRAM)
        sock.bind((host, port if args.flows == 1 else 0))
        socks.append(sock)
    # --unique-call-id: every message its own call ("<n>-" before the
    # Call-ID's value), as from many phones or a hostile one.
    head, sep, tail = message.partition(b"\r\nCall-ID: ")
    print("ready", flush=True)
    deadline = time.monotonic() + args.seconds
    sent = 0
    while sent < args.count and time.monotonic() < deadline:
        if args.unique_call_id and sep:
            message = head + sep + str(sent).encode() + b"-" + tail
        try:
            socks[sent % len(socks)].sendto(message, (to_host, to_port))
        except OSError:
            pass  # e.g. the router namespace just went away
        sent += 1
    print(f"sent {sent}")
    return 0


def cmd_rtp_send(args):
    sock = open_socket(args.bind, False)
    host, port = split_hostport(args.to)
    payload = b"\x80\x00" + bytes(170)
    for _ in range(args.count):
        sock.sendto(payload, (host, port))
        time.sleep(0.01)
    return 0


def cmd_rtp_recv(args):
    """Count datagrams until COUNT arrived, SIGTERM, or TIMEOUT seconds."""
    sock = open_socket(args.bind, False)
    sock.settimeout(0.2)
    state = {"received": 0, "peer": None, "stop": False}

    def stop(_signum, _frame):
        state["stop"] = True

    _signal.signal(_signal.SIGTERM, stop)
    print("ready", flush=True)
    deadline = time.monotonic() + args.timeout
    while (state["received"] < args.count and not state["stop"]
           and time.monotonic() < deadline):
        try:
            _, state["peer"] = sock.recvfrom(2048)
            state["received"] += 1
        except (socket.timeout, InterruptedError):
            pass
    peer = state["peer"]
    where = f"{peer[0]}:{peer[1]}" if peer else "nobody"
    print(f"received {state['received']} from {where}", flush=True)
    return 0


# Each command: its function, its options (name: kind, default; kinds
# "str", "int", "float", "flag", "append", and "need" for a required
# string) and its positional arguments (name, and whether it takes one or
# more). Parsed by hand: under the VM's emulation, building argparse's
# parsers took 0.3 s of each run's 0.8, and the tests run this tool
# hundreds of times.
TCP_OPTIONS = {"tcp": ("flag", False), "mss": ("int", 0)}
COMMANDS = {
    "send": (cmd_send, {
        "bind": ("need", None), "to": ("need", None), **TCP_OPTIONS,
        "save": ("str", None), "reply-save": ("str", None), "set": ("append", None),
        "timeout": ("float", 5.0),
        # TCP: the first SPLIT bytes, or the first SPLIT_AFTER whole
        # messages, in a segment of their own, SPLIT_PAUSE s before the
        # rest; SEGMENTS: the TCP_MAXSEG that cuts the first message into
        # that many segments; ONE_BY_ONE: each template in a write of its
        # own, after the previous reply.
        "split": ("int", 0), "split-after": ("int", 0), "split-pause": ("float", 0.3),
        "segments": ("int", 0), "one-by-one": ("flag", False),
    }, ("template", True)),
    "serve": (cmd_serve, {
        "bind": ("need", None), **TCP_OPTIONS, "count": ("int", 1),
        "save-dir": ("need", None), "answer-sdp": ("str", None), "set": ("append", None),
        "timeout": ("float", 20.0),
        # NO_REPLY: only save what arrives; STATUS: refuse every request
        # with this final status; CHALLENGE: answer a REGISTER without
        # credentials with 401.
        "no-reply": ("flag", False), "status": ("int", None), "challenge": ("flag", False),
    }, None),
    "raw": (cmd_raw, {"bind": ("need", None), "to": ("need", None)}, ("files", True)),
    "fill": (cmd_fill, {"set": ("append", None)}, ("template", False)),
    "flood": (cmd_flood, {
        "bind": ("need", None), "to": ("need", None), "count": ("int", 100000),
        "seconds": ("float", 10.0), "flows": ("int", 1), "unique-call-id": ("flag", False),
        "set": ("append", None),
    }, ("template", False)),
    "rtp-send": (cmd_rtp_send, {
        "bind": ("need", None), "to": ("need", None), "count": ("int", 20)}, None),
    "rtp-recv": (cmd_rtp_recv, {
        "bind": ("need", None), "count": ("int", 20), "timeout": ("float", 30.0)}, None),
}


class Args:
    """The parsed command line, one attribute per option ('-' as '_')."""


def usage_error(text):
    print(f"sipua: {text}", file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if argv else 2)
    if argv[0] not in COMMANDS:
        usage_error(f"unknown command {argv[0]!r}; allowed: {', '.join(COMMANDS)}")
    args = Args()
    args.func, options, positional = COMMANDS[argv[0]]
    for name, (kind, default) in options.items():
        setattr(args, name.replace("-", "_"), default)
    given, rest = set(), []
    words = iter(argv[1:])
    for word in words:
        if not word.startswith("--"):
            rest.append(word)
            continue
        name, eq, value = word[2:].partition("=")
        if name not in options:
            usage_error(f"{argv[0]}: unknown option --{name}; allowed: "
                        + " ".join("--" + o for o in options))
        kind = options[name][0]
        attr = name.replace("-", "_")
        given.add(name)
        if kind == "flag":
            setattr(args, attr, True)
            continue
        if not eq:
            value = next(words, None)
            if value is None:
                usage_error(f"{argv[0]}: --{name} needs a value")
        try:
            if kind == "int":
                value = int(value)
            elif kind == "float":
                value = float(value)
        except ValueError:
            usage_error(f"{argv[0]}: --{name} {value!r} is not a number")
        if kind == "append":
            value = (getattr(args, attr) or []) + [value]
        setattr(args, attr, value)
    missing = [o for o, (kind, _) in options.items() if kind == "need" and o not in given]
    if missing:
        usage_error(f"{argv[0]}: needs --{', --'.join(missing)}")
    if positional is None:
        if rest:
            usage_error(f"{argv[0]}: takes no arguments, got {' '.join(rest)}")
    else:
        name, many = positional
        if not rest or (len(rest) > 1 and not many):
            usage_error(f"{argv[0]}: needs {'one or more' if many else 'one'} {name}")
        setattr(args, name, rest if many else rest[0])
    return args


def main():
    args = parse_args(sys.argv[1:])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
