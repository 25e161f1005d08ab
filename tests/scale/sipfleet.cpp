// SPDX-License-Identifier: GPL-2.0
//
// sipfleet: a fleet of SIP phones and the server they use, for the VM scale
// test (tests/vm/scale.sh, make scale). Userspace, plain C++ and epoll: one
// process holds tens of thousands of phones, each on an address of its own.
//
//   sipfleet phones --net A.B.C.D --count N --registrar IP:PORT
//                   [--callee IP:PORT] [--calls C] [--rtp-port P]
//                   [--window W] [--tries T] [--rate R] [--wait-start]
//       Phone i (0..N-1) is UDP socket A.B.C.D+i:5060. Each REGISTERs
//       (Contact sip:p<i>@its-address:5060, Expires 3600) and retransmits
//       (RFC 3261 timers: 0.5 s doubling up to 4 s, at most T sends) until a
//       200 OK, W transactions in flight at once. Then phones 0..C-1 call
//       the callee (default: the registrar): INVITE with SDP (c= its
//       address, m=audio P on a socket of its own; RTCP on P+1 implied),
//       retransmitted until a 200 OK, whose SDP names the callee's media
//       address; then ACK. Prints one line "ready ..." (with what failed),
//       then answers every INVITE 200 OK (counting them per phone, and
//       whether the Request-URI names the phone's own address) and counts
//       RTP per call. --wait-start: the sockets are opened first, then
//       "bound phones=N" is printed and nothing is sent before the command
//       "start"; once the registrations are done "registered: ..." is
//       printed and the calls wait for the command "call" (so that what
//       the sockets, the registrations and the calls cost can be told
//       apart).
//   sipfleet server --bind IP [--port 5060] [--ring-port 5070]
//                   [--media-base 20000] [--public IP] [--window W]
//                   [--tries T] [--rate R]
//       A registrar and a callee on IP:PORT: every REGISTER gets 200 OK
//       echoing its Contact with the Expires asked for, and the contact is
//       recorded (what the router made of it; with --public, whether it
//       names that address and the port the REGISTER came from). Every
//       INVITE gets 200 OK with SDP, a media socket of its own per call
//       (IP:media-base + 2k), and the media address of the offer is
//       recorded. The media sockets of the first --calls calls are opened
//       at the start.
//
//   Both read commands on stdin, one a line, and answer each with one line
//   that begins with the command's name:
//       ring          (server) an INVITE to every recorded contact from
//                     IP:ring-port (not the port the REGISTERs went to),
//                     retransmitted like the phones' (T sends at most), ACK
//                     to each 200 OK: "ring: contacts=N answered=N lost=N
//                     [first lost]"
//       rtp K         K RTP packets on every call (server: to the media
//                     address of the offer; phones: to the answer's), R
//                     packets a second: "rtp: calls=N sent=N"
//       dump PREFIX   (server) PREFIX.contacts: "p<i> IP:PORT" a line;
//                     PREFIX.calls: "p<i> IP:PORT" (the offer's media
//                     address): "dump: contacts=N calls=N"
//       status        the summary line, prefixed "status:"
//   SIGTERM, SIGINT or the end of stdin: the summary ("summary: ...",
//   key=value, then the first few phones or calls that got nothing) and exit.
//
// Only ever aimed at a test network (the VM's, or 127.0.0.0/8).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

[[noreturn]] void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::fputs("sipfleet: ", stderr);
    std::vfprintf(stderr, fmt, ap);
    std::fputc('\n', stderr);
    va_end(ap);
    std::exit(1);
}

double now() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
    g_stop = 1;
}

// ---- options ----

struct Options {
    std::string mode, net, registrar, callee, bind, pub;
    unsigned count = 0, calls = 0, window = 200, tries = 7, rate = 2000;
    unsigned port = 5060, ring_port = 5070, media_base = 20000, rtp_port = 40000;
    bool wait_start = false;
};

unsigned number(const char *s, const char *what) {
    char *end;
    unsigned long v = std::strtoul(s, &end, 10);
    if (!*s || *end || v > 100000000)
        die("bad %s: '%s'", what, s);
    return (unsigned)v;
}

Options parse_options(int argc, char **argv) {
    if (argc < 2)
        die("usage: sipfleet phones|server OPTIONS (see the source's header)");
    Options o;
    o.mode = argv[1];
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--wait-start") {
            o.wait_start = true;
            continue;
        }
        if (i + 1 >= argc)
            die("%s needs a value", a.c_str());
        const char *v = argv[++i];
        if (a == "--net")
            o.net = v;
        else if (a == "--count")
            o.count = number(v, a.c_str());
        else if (a == "--registrar")
            o.registrar = v;
        else if (a == "--callee")
            o.callee = v;
        else if (a == "--calls")
            o.calls = number(v, a.c_str());
        else if (a == "--bind")
            o.bind = v;
        else if (a == "--public")
            o.pub = v;
        else if (a == "--window")
            o.window = std::max(1u, number(v, a.c_str()));
        else if (a == "--tries")
            o.tries = std::max(1u, number(v, a.c_str()));
        else if (a == "--rate")
            o.rate = std::max(1u, number(v, a.c_str()));
        else if (a == "--port")
            o.port = number(v, a.c_str());
        else if (a == "--ring-port")
            o.ring_port = number(v, a.c_str());
        else if (a == "--media-base")
            o.media_base = number(v, a.c_str());
        else if (a == "--rtp-port")
            o.rtp_port = number(v, a.c_str());
        else
            die("unknown option %s", a.c_str());
    }
    return o;
}

// ---- addresses and sockets ----

uint32_t ip_of(const std::string &s) {
    in_addr a;
    if (inet_pton(AF_INET, s.c_str(), &a) != 1)
        die("bad IPv4 address '%s'", s.c_str());
    return ntohl(a.s_addr);
}

std::string ip_str(uint32_t ip) {
    in_addr a{htonl(ip)};
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &a, buf, sizeof(buf));
    return buf;
}

sockaddr_in sockaddr_of(uint32_t ip, unsigned port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(ip);
    a.sin_port = htons((uint16_t)port);
    return a;
}

sockaddr_in hostport(const std::string &s) {
    size_t colon = s.rfind(':');
    if (colon == std::string::npos)
        die("want IP:PORT, got '%s'", s.c_str());
    return sockaddr_of(ip_of(s.substr(0, colon)), number(s.c_str() + colon + 1, "port"));
}

std::string str(const sockaddr_in &a) {
    return ip_str(ntohl(a.sin_addr.s_addr)) + ":" + std::to_string(ntohs(a.sin_port));
}

bool same(const sockaddr_in &a, const sockaddr_in &b) {
    return a.sin_addr.s_addr == b.sin_addr.s_addr && a.sin_port == b.sin_port;
}

int open_udp(uint32_t ip, unsigned port, int rcvbuf = 0) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s", std::strerror(errno));
    if (rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    sockaddr_in a = sockaddr_of(ip, port);
    if (bind(fd, (sockaddr *)&a, sizeof(a)))
        die("bind %s: %s", str(a).c_str(), std::strerror(errno));
    return fd;
}

// A datagram that cannot go now (a full queue) is retried by its
// transaction's timer, or counted as not sent.
bool send_to(int fd, const std::string &msg, const sockaddr_in &to) {
    for (int i = 0; i < 100; i++) {
        if (sendto(fd, msg.data(), msg.size(), 0, (const sockaddr *)&to, sizeof(to)) >= 0)
            return true;
        if (errno != EINTR && errno != EAGAIN && errno != ENOBUFS)
            return false;
        timespec ts{0, 1000000};
        nanosleep(&ts, nullptr);
    }
    return false;
}

void raise_nofile(unsigned want) {
    rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    if (r.rlim_cur >= want)
        return;
    r.rlim_cur = want;
    if (r.rlim_max < want)
        r.rlim_max = want;
    if (setrlimit(RLIMIT_NOFILE, &r))
        die("cannot raise RLIMIT_NOFILE to %u: %s", want, std::strerror(errno));
}

// ---- SIP text ----

bool iequal(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); i++)
        if (std::tolower((unsigned char)a[i]) != std::tolower((unsigned char)b[i]))
            return false;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// A received message: start line, headers (name, value), body.
struct Msg {
    std::string_view start, body;
    std::vector<std::pair<std::string_view, std::string_view>> headers;
    int code = 0; // a response's status code, 0 for a request

    bool parse(std::string_view text) {
        size_t end = text.find("\r\n\r\n");
        if (end == std::string_view::npos)
            return false;
        body = text.substr(end + 4);
        std::string_view head = text.substr(0, end + 2);
        size_t eol = head.find("\r\n");
        start = head.substr(0, eol);
        for (size_t at = eol + 2; at < head.size();) {
            size_t e = head.find("\r\n", at);
            std::string_view line = head.substr(at, e - at);
            at = e + 2;
            size_t colon = line.find(':');
            if (colon == std::string_view::npos)
                return false;
            headers.emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
        }
        if (start.substr(0, 8) == "SIP/2.0 ")
            code = std::atoi(std::string(start.substr(8, 3)).c_str());
        return true;
    }
    std::string_view get(std::string_view name, std::string_view compact = {}) const {
        for (auto &[n, v] : headers)
            if (iequal(n, name) || (!compact.empty() && iequal(n, compact)))
                return v;
        return {};
    }
    // Every header of that name, a line each, as received.
    std::string all(std::string_view name, std::string_view compact) const {
        std::string out;
        for (auto &[n, v] : headers)
            if (iequal(n, name) || iequal(n, compact))
                out.append(name).append(": ").append(v).append("\r\n");
        return out;
    }
    std::string method() const {
        if (code) {
            std::string_view cseq = get("CSeq");
            size_t sp = cseq.find(' ');
            return std::string(sp == std::string_view::npos ? "" : trim(cseq.substr(sp + 1)));
        }
        return std::string(start.substr(0, start.find(' ')));
    }
};

// "sip:user@host:port..." -> user, host, port (5060 when none).
bool parse_uri(std::string_view v, std::string *user, uint32_t *ip, unsigned *port) {
    size_t s = v.find("sip:");
    if (s == std::string_view::npos)
        return false;
    v.remove_prefix(s + 4);
    size_t at = v.find('@');
    if (at == std::string_view::npos)
        return false;
    *user = std::string(v.substr(0, at));
    v.remove_prefix(at + 1);
    size_t end = v.find_first_of(":;>? ");
    std::string host(v.substr(0, end));
    in_addr a;
    if (inet_pton(AF_INET, host.c_str(), &a) != 1)
        return false;
    *ip = ntohl(a.s_addr);
    *port = 5060;
    if (end != std::string_view::npos && v[end] == ':')
        *port = (unsigned)std::atoi(std::string(v.substr(end + 1, 5)).c_str());
    return true;
}

// The phone index of "p<i>", or -1.
long phone_of(const std::string &user) {
    if (user.size() < 2 || user[0] != 'p')
        return -1;
    char *end;
    long i = std::strtol(user.c_str() + 1, &end, 10);
    return *end ? -1 : i;
}

// An SDP's first c= address and m=audio port.
bool parse_sdp(std::string_view body, sockaddr_in *media) {
    uint32_t ip = 0;
    unsigned port = 0;
    for (size_t at = 0; at < body.size();) {
        size_t e = body.find('\n', at);
        std::string line(trim(body.substr(at, e == std::string_view::npos ? e : e - at)));
        at = e == std::string_view::npos ? body.size() : e + 1;
        if (line.rfind("c=IN IP4 ", 0) == 0 && !ip)
            ip = ip_of(line.substr(9));
        else if (line.rfind("m=audio ", 0) == 0 && !port)
            port = (unsigned)std::atoi(line.c_str() + 8);
    }
    *media = sockaddr_of(ip, port);
    return ip && port;
}

std::string with_body(const std::string &head, const std::string &body, bool sdp) {
    return head + (sdp ? "Content-Type: application/sdp\r\n" : "") +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string sdp(uint32_t ip, unsigned port, unsigned id) {
    std::string a = ip_str(ip);
    return "v=0\r\no=- " + std::to_string(id) + " 1 IN IP4 " + a + "\r\ns=-\r\nc=IN IP4 " + a +
           "\r\nt=0 0\r\nm=audio " + std::to_string(port) +
           " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
}

// A 2xx to a request: its Vias, From, To (with our tag), Call-ID and CSeq.
std::string reply_200(const Msg &req, const std::string &tag, const std::string &contact,
                      const std::string &extra, const std::string &body) {
    std::string to(req.get("To", "t"));
    if (to.find(";tag=") == std::string::npos)
        to += ";tag=" + tag;
    std::string head = "SIP/2.0 200 OK\r\n" + req.all("Via", "v") +
                       "From: " + std::string(req.get("From", "f")) + "\r\nTo: " + to +
                       "\r\nCall-ID: " + std::string(req.get("Call-ID", "i")) +
                       "\r\nCSeq: " + std::string(req.get("CSeq")) + "\r\n" + contact + extra;
    return with_body(head, body, !body.empty());
}

std::string rtp_packet(uint32_t ssrc, uint16_t seq) {
    std::string p(172, '\0');
    p[0] = (char)0x80;
    p[2] = (char)(seq >> 8);
    p[3] = (char)seq;
    for (int i = 0; i < 4; i++)
        p[8 + i] = (char)(ssrc >> (24 - 8 * i));
    return p;
}

// ---- transactions: a window of them in flight, retransmitted ----

// Items 0..n-1, started in order with at most `window` in flight; each is
// sent again at 0.5, 1, 2, 4, 4... s (RFC 3261 T1 doubling up to T2) until
// done() or `tries` sends, then it is given up.
struct Retrier {
    struct Item {
        unsigned id;
        double next, interval;
        unsigned sent;
    };
    std::vector<unsigned> queue;
    size_t queued = 0;
    std::vector<Item> flight;
    unsigned window, tries;
    std::vector<unsigned> given_up;

    Retrier(unsigned w, unsigned t) : window(w), tries(t) {}
    bool idle() const { return queued == queue.size() && flight.empty(); }
    template <class Send, class Done> void tick(Send send, Done done) {
        double t = now();
        for (size_t i = 0; i < flight.size();) {
            Item &it = flight[i];
            if (done(it.id)) {
                flight[i] = flight.back();
                flight.pop_back();
                continue;
            }
            if (it.next <= t) {
                if (it.sent >= tries) {
                    given_up.push_back(it.id);
                    flight[i] = flight.back();
                    flight.pop_back();
                    continue;
                }
                send(it.id);
                it.sent++;
                it.next = t + it.interval;
                it.interval = std::min(it.interval * 2, 4.0);
            }
            i++;
        }
        while (flight.size() < window && queued < queue.size()) {
            unsigned id = queue[queued++];
            send(id);
            flight.push_back({id, t + 0.5, 1.0, 1});
        }
    }
};

// Sends at most `rate` datagrams a second, spread over the ticks.
struct Pacer {
    unsigned rate;
    double start = 0;
    uint64_t sent = 0;
    uint64_t allowed() {
        double t = now();
        if (!start)
            start = t;
        uint64_t may = (uint64_t)((t - start) * rate) + 1;
        return may > sent ? may - sent : 0;
    }
};

// ---- the event loop both modes share ----

struct Loop {
    int ep;
    Loop() : ep(epoll_create1(EPOLL_CLOEXEC)) {
        if (ep < 0)
            die("epoll_create1: %s", std::strerror(errno));
    }
    void add(int fd, uint64_t tag) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = tag;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
            die("epoll_ctl: %s", std::strerror(errno));
    }
    // Waits up to 10 ms; calls on(tag) for every readable descriptor.
    template <class F> void wait(F on) {
        epoll_event evs[256];
        int n = epoll_wait(ep, evs, 256, 10);
        for (int i = 0; i < n; i++)
            on(evs[i].data.u64);
    }
};

constexpr uint64_t kStdin = ~0ull;

// Reads stdin's complete lines (non-blocking); false at its end.
bool read_commands(std::string &pending, std::vector<std::string> &lines) {
    char buf[1024];
    for (;;) {
        ssize_t n = read(0, buf, sizeof(buf));
        if (n > 0) {
            pending.append(buf, (size_t)n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        return false;
    }
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
        lines.push_back(pending.substr(0, nl));
        pending.erase(0, nl + 1);
    }
    return true;
}

// Commands come from a pipe or a terminal; stdin that epoll cannot watch
// (/dev/null, a file) gives none.
void setup_stdin(Loop &loop) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kStdin;
    if (epoll_ctl(loop.ep, EPOLL_CTL_ADD, 0, &ev) == 0)
        fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
}

// Up to 5 ids of a list, for the summary.
std::string first_few(const std::vector<unsigned> &ids, const char *prefix) {
    std::string s;
    for (size_t i = 0; i < ids.size() && i < 5; i++)
        s += std::string(i ? "," : "") + prefix + std::to_string(ids[i]);
    return s.empty() ? "-" : s;
}

// ---- phones ----

struct Phone {
    int fd = -1, mfd = -1;
    bool registered = false, reg_failed = false, answered = false, acked = false;
    bool call_failed = false;
    unsigned rings = 0, ruri_inside = 0, rtp_rx = 0;
    sockaddr_in media{}; // the callee's, from its answer
    std::string to_tag;  // the To of the callee's 200 OK, for the ACK
};

struct Fleet {
    Options o;
    uint32_t base;
    sockaddr_in registrar, callee;
    std::vector<Phone> p;
    Loop loop;
    uint64_t rx = 0, bad = 0, rtp_tx = 0;
    Retrier reg, inv;
    std::vector<unsigned> rtp_todo;
    unsigned rtp_left = 0;
    size_t rtp_next = 0;
    Pacer pacer;
    bool ready = false;

    explicit Fleet(const Options &opt)
        : o(opt), base(ip_of(opt.net)), registrar(hostport(opt.registrar)),
          callee(hostport(opt.callee.empty() ? opt.registrar : opt.callee)), p(opt.count),
          reg(opt.window, opt.tries), inv(opt.window, opt.tries), pacer{opt.rate} {}

    uint32_t addr(unsigned i) const { return base + i; }
    std::string user(unsigned i) const { return "p" + std::to_string(i); }

    std::string register_msg(unsigned i) {
        std::string a = ip_str(addr(i)), r = str(registrar), id = std::to_string(i);
        return with_body("REGISTER sip:" + r + " SIP/2.0\r\nVia: SIP/2.0/UDP " + a +
                             ":5060;branch=z9hG4bK-r" + id + ";rport\r\nMax-Forwards: 70\r\n" +
                             "From: <sip:" + user(i) + "@" + r + ">;tag=r" + id +
                             "\r\nTo: <sip:" + user(i) + "@" + r + ">\r\nCall-ID: reg-" + id + "@" +
                             a + "\r\nCSeq: 1 REGISTER\r\nContact: <sip:" + user(i) + "@" + a +
                             ":5060>\r\nExpires: 3600\r\n",
                         "", false);
    }
    std::string invite_head(unsigned i, const char *method, const std::string &to_tag) {
        std::string a = ip_str(addr(i)), c = str(callee), id = std::to_string(i);
        return std::string(method) + " sip:callee@" + c + " SIP/2.0\r\nVia: SIP/2.0/UDP " + a +
               ":5060;branch=z9hG4bK-" + (method[0] == 'A' ? "a" : "c") + id +
               ";rport\r\nMax-Forwards: 70\r\nFrom: <sip:" + user(i) + "@" + str(registrar) +
               ">;tag=c" + id + "\r\nTo: <sip:callee@" + c + ">" + to_tag + "\r\nCall-ID: call-" +
               id + "@" + a + "\r\nCSeq: 1 " + method + "\r\nContact: <sip:" + user(i) + "@" + a +
               ":5060>\r\n";
    }
    void send_invite(unsigned i) {
        send_to(p[i].fd, with_body(invite_head(i, "INVITE", ""), sdp(addr(i), o.rtp_port, i), true),
                callee);
    }
    void send_ack(unsigned i) {
        send_to(p[i].fd, with_body(invite_head(i, "ACK", p[i].to_tag), "", false), callee);
    }

    void on_sip(unsigned i, std::string_view text, const sockaddr_in &from) {
        Msg m;
        if (!m.parse(text)) {
            bad++;
            return;
        }
        std::string method = m.method();
        Phone &ph = p[i];
        if (m.code) {
            if (m.code < 200)
                return;
            if (method == "REGISTER") {
                (m.code == 200 ? ph.registered : ph.reg_failed) = true;
            } else if (method == "INVITE") {
                if (m.code != 200 || !parse_sdp(m.body, &ph.media)) {
                    ph.call_failed = true;
                    return;
                }
                std::string_view to = m.get("To", "t");
                size_t tag = to.find(";tag=");
                ph.to_tag = tag == std::string_view::npos ? "" : std::string(to.substr(tag));
                ph.answered = true;
                send_ack(i); // again for each retransmitted 200 OK
            }
            return;
        }
        if (method == "INVITE") {
            std::string u;
            uint32_t ip;
            unsigned port;
            std::string_view ruri = m.start.substr(7);
            if (parse_uri(ruri, &u, &ip, &port) && ip == addr(i) && port == 5060)
                ph.ruri_inside++;
            ph.rings++;
            std::string contact = "Contact: <sip:" + user(i) + "@" + ip_str(addr(i)) + ":5060>\r\n";
            send_to(ph.fd, reply_200(m, "a" + std::to_string(i), contact, "", ""), from);
        } else if (method == "BYE") {
            send_to(ph.fd, reply_200(m, "b", "", "", ""), from);
        }
    }

    unsigned count_if(bool Phone::*flag, unsigned n) const {
        unsigned c = 0;
        for (unsigned i = 0; i < n; i++)
            c += p[i].*flag;
        return c;
    }
    std::string summary() const {
        unsigned rung = 0, rings = 0, ruri = 0, rtp_calls = 0, calls = std::min(o.calls, o.count);
        uint64_t rtp = 0;
        std::vector<unsigned> unreg, unanswered, silent, unrung;
        for (unsigned i = 0; i < o.count; i++) {
            rung += p[i].rings > 0;
            rings += p[i].rings;
            ruri += p[i].ruri_inside;
            if (!p[i].registered)
                unreg.push_back(i);
            if (!p[i].rings)
                unrung.push_back(i);
            if (i < calls) {
                if (!p[i].answered)
                    unanswered.push_back(i);
                rtp += p[i].rtp_rx;
                rtp_calls += p[i].rtp_rx > 0;
                if (!p[i].rtp_rx)
                    silent.push_back(i);
            }
        }
        char buf[1024];
        std::snprintf(
            buf, sizeof(buf),
            "phones=%u registered=%u reg_failed=%u calls=%u answered=%u call_failed=%u "
            "rung_phones=%u rings=%u ruri_inside=%u rtp_sent=%llu rtp_received=%llu "
            "calls_with_rtp=%u bad=%llu unregistered=%s unanswered=%s unrung=%s no_rtp=%s",
            o.count, count_if(&Phone::registered, o.count), count_if(&Phone::reg_failed, o.count),
            calls, count_if(&Phone::answered, calls), count_if(&Phone::call_failed, calls), rung,
            rings, ruri, (unsigned long long)rtp_tx, (unsigned long long)rtp, rtp_calls,
            (unsigned long long)bad, first_few(unreg, "p").c_str(),
            first_few(unanswered, "p").c_str(), first_few(unrung, "p").c_str(),
            first_few(silent, "p").c_str());
        return buf;
    }

    void command(const std::string &line) {
        if (line.rfind("rtp ", 0) == 0) {
            rtp_left = number(line.c_str() + 4, "rtp count");
            rtp_todo.clear();
            for (unsigned i = 0; i < std::min(o.calls, o.count); i++)
                if (p[i].answered)
                    rtp_todo.push_back(i);
            rtp_next = 0;
            if (rtp_todo.empty() || !rtp_left) {
                rtp_left = 0;
                std::printf("rtp: calls=0 sent=0\n");
            }
        } else if (line == "status") {
            std::printf("status: %s\n", summary().c_str());
        } else if (!line.empty()) {
            std::printf("error: unknown command '%s'\n", line.c_str());
        }
    }

    // RTP in rounds: a packet on each call, then the next round.
    void rtp_tick() {
        if (!rtp_left)
            return;
        for (uint64_t may = pacer.allowed(); may && rtp_left; may--) {
            unsigned i = rtp_todo[rtp_next];
            uint16_t seq = (uint16_t)rtp_left;
            if (send_to(p[i].mfd, rtp_packet(0x10000000u + i, seq), p[i].media))
                rtp_tx++;
            pacer.sent++;
            if (++rtp_next == rtp_todo.size()) {
                rtp_next = 0;
                if (--rtp_left == 0)
                    std::printf("rtp: calls=%zu sent=%llu\n", rtp_todo.size(),
                                (unsigned long long)rtp_tx);
            }
        }
    }

    int run() {
        unsigned calls = std::min(o.calls, o.count);
        raise_nofile(o.count + calls + 64);
        for (unsigned i = 0; i < o.count; i++) {
            p[i].fd = open_udp(addr(i), 5060);
            loop.add(p[i].fd, (uint64_t)i << 1);
            reg.queue.push_back(i);
        }
        for (unsigned i = 0; i < calls; i++) {
            p[i].mfd = open_udp(addr(i), o.rtp_port);
            loop.add(p[i].mfd, ((uint64_t)i << 1) | 1);
        }
        setup_stdin(loop);
        std::string pending;
        static char buf[65536];
        bool started = !o.wait_start, calls_started = false, call_go = !o.wait_start;
        if (!started)
            std::printf("bound phones=%u media=%u\n", o.count, calls);
        double start = now(), registered_at = 0, calls_at = 0;
        while (!g_stop) {
            std::vector<std::string> cmds;
            bool eof = false;
            loop.wait([&](uint64_t tag) {
                if (tag == kStdin) {
                    eof = !read_commands(pending, cmds);
                    return;
                }
                unsigned i = (unsigned)(tag >> 1);
                int fd = tag & 1 ? p[i].mfd : p[i].fd;
                for (;;) {
                    sockaddr_in from{};
                    socklen_t len = sizeof(from);
                    ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (sockaddr *)&from, &len);
                    if (n < 0)
                        break;
                    rx++;
                    if (tag & 1)
                        p[i].rtp_rx++;
                    else
                        on_sip(i, std::string_view(buf, (size_t)n), from);
                }
            });
            if (eof)
                break;
            if (!started) {
                started = std::find(cmds.begin(), cmds.end(), "start") != cmds.end();
                start = now();
                continue;
            }
            reg.tick([&](unsigned i) { send_to(p[i].fd, register_msg(i), registrar); },
                     [&](unsigned i) { return p[i].registered || p[i].reg_failed; });
            if (reg.idle() && !registered_at) {
                registered_at = now();
                if (o.wait_start)
                    std::printf("registered: seconds=%.1f %s\n", registered_at - start,
                                summary().c_str());
            }
            if (!call_go)
                call_go = std::find(cmds.begin(), cmds.end(), "call") != cmds.end();
            if (registered_at && call_go && !calls_started) {
                calls_started = true;
                calls_at = now();
                for (unsigned i = 0; i < calls; i++)
                    if (p[i].registered)
                        inv.queue.push_back(i);
            }
            if (calls_started)
                inv.tick([&](unsigned i) { send_invite(i); },
                         [&](unsigned i) { return p[i].answered || p[i].call_failed; });
            if (calls_started && inv.idle() && !ready) {
                ready = true;
                std::printf("ready register_seconds=%.1f call_seconds=%.1f %s\n",
                            registered_at - start, now() - calls_at, summary().c_str());
            }
            if (ready) {
                for (auto &c : cmds)
                    command(c);
                rtp_tick();
            }
        }
        std::printf("summary: %s\n", summary().c_str());
        return 0;
    }
};

// ---- the server: registrar, callee, ringer ----

struct Contact {
    bool seen = false;
    sockaddr_in contact{}, source{};
    unsigned registers = 0;
};

struct Call {
    long phone;
    int fd;
    unsigned port;
    sockaddr_in media{}; // the offer's
    std::string answer;
    unsigned rtp_rx = 0, rtp_wrong_source = 0;
};

struct Server {
    Options o;
    uint32_t ip, pub;
    int sip, ring;
    Loop loop;
    std::vector<Contact> contacts;
    std::vector<Call> calls;
    std::unordered_map<std::string, size_t> call_by_id;
    std::vector<int> media_fds; // opened at the start, for the first calls
    uint64_t registers = 0, invites = 0, acks = 0, bad = 0, rtp_tx = 0, offers_public = 0;
    // ring
    Retrier ringer;
    std::vector<unsigned> ring_ok; // per phone: 200 OKs to the ring
    bool ringing = false;
    std::vector<std::string> ring_to_tag;
    // rtp
    unsigned rtp_left = 0;
    size_t rtp_next = 0;
    Pacer pacer;

    explicit Server(const Options &opt)
        : o(opt), ip(ip_of(opt.bind)), pub(opt.pub.empty() ? 0 : ip_of(opt.pub)),
          sip(open_udp(ip, opt.port, 32 << 20)), ring(open_udp(ip, opt.ring_port, 32 << 20)),
          ringer(opt.window, opt.tries), pacer{opt.rate} {
        loop.add(sip, 0);
        loop.add(ring, 1);
        for (unsigned k = 0; k < opt.calls; k++) {
            media_fds.push_back(open_udp(ip, opt.media_base + 2 * k));
            loop.add(media_fds.back(), 2 + k);
        }
    }

    unsigned contact_count(unsigned *public_ok, unsigned *match_source) const {
        unsigned n = 0;
        *public_ok = *match_source = 0;
        for (auto &c : contacts) {
            if (!c.seen)
                continue;
            n++;
            *public_ok += pub && ntohl(c.contact.sin_addr.s_addr) == pub;
            *match_source += same(c.contact, c.source);
        }
        return n;
    }

    void on_register(const Msg &m, const sockaddr_in &from) {
        registers++;
        std::string user;
        uint32_t cip;
        unsigned cport;
        std::string_view contact = m.get("Contact", "m");
        std::string_view expires = m.get("Expires");
        std::string exp = expires.empty() ? "3600" : std::string(expires);
        long i = -1;
        if (parse_uri(contact, &user, &cip, &cport))
            i = phone_of(user);
        if (i < 0 || i > 10000000) {
            bad++;
            return;
        }
        if ((size_t)i >= contacts.size())
            contacts.resize((size_t)i + 1);
        Contact &c = contacts[(size_t)i];
        c.seen = exp != "0";
        c.contact = sockaddr_of(cip, cport);
        c.source = from;
        c.registers++;
        std::string line = "Contact: " + std::string(contact) + ";expires=" + exp + "\r\n";
        send_to(sip, reply_200(m, "reg", line, "", ""), from);
    }

    void on_invite(const Msg &m, const sockaddr_in &from) {
        invites++;
        std::string id(m.get("Call-ID", "i"));
        auto it = call_by_id.find(id);
        if (it == call_by_id.end()) {
            std::string user;
            uint32_t fip;
            unsigned fport;
            Call c{};
            c.phone = parse_uri(m.get("From", "f"), &user, &fip, &fport) ? phone_of(user) : -1;
            if (!parse_sdp(m.body, &c.media)) {
                bad++;
                return;
            }
            offers_public += pub && ntohl(c.media.sin_addr.s_addr) == pub;
            c.port = o.media_base + 2 * (unsigned)calls.size();
            if (calls.size() < media_fds.size()) {
                c.fd = media_fds[calls.size()];
            } else {
                c.fd = open_udp(ip, c.port);
                loop.add(c.fd, 2 + calls.size());
            }
            std::string contact =
                "Contact: <sip:callee@" + ip_str(ip) + ":" + std::to_string(o.port) + ">\r\n";
            c.answer = reply_200(m, "s" + std::to_string(calls.size()), contact, "",
                                 sdp(ip, c.port, (unsigned)calls.size()));
            it = call_by_id.emplace(id, calls.size()).first;
            calls.push_back(std::move(c));
        }
        send_to(sip, calls[it->second].answer, from);
    }

    std::string ring_head(unsigned i, const char *method) {
        const Contact &c = contacts[i];
        std::string s = ip_str(ip) + ":" + std::to_string(o.ring_port), id = std::to_string(i);
        return std::string(method) + " sip:p" + id + "@" + str(c.contact) +
               " SIP/2.0\r\nVia: SIP/2.0/UDP " + s + ";branch=z9hG4bK-" +
               (method[0] == 'A' ? "ga" : "g") + id + "\r\nMax-Forwards: 70\r\n" +
               "From: <sip:ring@" + ip_str(ip) + ">;tag=g" + id + "\r\nTo: <sip:p" + id + "@" +
               ip_str(ip) + ">" + ring_to_tag[i] + "\r\nCall-ID: ring-" + id + "@" + ip_str(ip) +
               "\r\nCSeq: 1 " + method + "\r\nContact: <sip:ring@" + s +
               ">\r\nContent-Length: 0\r\n\r\n";
    }

    void on_ring_reply(const Msg &m) {
        if (m.code != 200 || m.method() != "INVITE")
            return;
        std::string_view id = m.get("Call-ID", "i");
        if (id.substr(0, 5) != "ring-")
            return;
        unsigned i = (unsigned)std::atoi(std::string(id.substr(5)).c_str());
        if (i >= contacts.size() || !contacts[i].seen)
            return;
        std::string_view to = m.get("To", "t");
        size_t tag = to.find(";tag=");
        ring_to_tag[i] = tag == std::string_view::npos ? "" : std::string(to.substr(tag));
        ring_ok[i]++;
        send_to(ring, ring_head(i, "ACK"), contacts[i].contact);
    }

    void command(const std::string &line) {
        if (line == "ring") {
            ring_ok.assign(contacts.size(), 0);
            ring_to_tag.assign(contacts.size(), "");
            ringer = Retrier(o.window, o.tries);
            for (unsigned i = 0; i < contacts.size(); i++)
                if (contacts[i].seen)
                    ringer.queue.push_back(i);
            ringing = true;
        } else if (line.rfind("rtp ", 0) == 0) {
            rtp_left = number(line.c_str() + 4, "rtp count");
            rtp_next = 0;
            if (calls.empty() || !rtp_left) {
                rtp_left = 0;
                std::printf("rtp: calls=0 sent=0\n");
            }
        } else if (line.rfind("dump ", 0) == 0) {
            std::string prefix = line.substr(5);
            FILE *f = std::fopen((prefix + ".contacts").c_str(), "w");
            FILE *g = std::fopen((prefix + ".calls").c_str(), "w");
            if (!f || !g)
                die("cannot write %s.*", prefix.c_str());
            unsigned n = 0;
            for (size_t i = 0; i < contacts.size(); i++)
                if (contacts[i].seen) {
                    std::fprintf(f, "p%zu %s\n", i, str(contacts[i].contact).c_str());
                    n++;
                }
            for (auto &c : calls)
                std::fprintf(g, "p%ld %s\n", c.phone, str(c.media).c_str());
            std::fclose(f);
            std::fclose(g);
            std::printf("dump: contacts=%u calls=%zu\n", n, calls.size());
        } else if (line == "status") {
            std::printf("status: %s\n", summary().c_str());
        } else if (!line.empty()) {
            std::printf("error: unknown command '%s'\n", line.c_str());
        }
    }

    void ring_tick() {
        if (!ringing)
            return;
        ringer.tick([&](unsigned i) { send_to(ring, ring_head(i, "INVITE"), contacts[i].contact); },
                    [&](unsigned i) { return ring_ok[i] > 0; });
        if (!ringer.idle())
            return;
        ringing = false;
        unsigned answered = 0;
        std::vector<unsigned> lost;
        for (unsigned i : ringer.queue) {
            answered += ring_ok[i] > 0;
            if (!ring_ok[i])
                lost.push_back(i);
        }
        std::string first;
        for (size_t k = 0; k < lost.size() && k < 5; k++)
            first += " p" + std::to_string(lost[k]) + "@" + str(contacts[lost[k]].contact);
        std::printf("ring: contacts=%zu answered=%u lost=%zu%s\n", ringer.queue.size(), answered,
                    lost.size(), first.c_str());
    }

    void rtp_tick() {
        if (!rtp_left)
            return;
        for (uint64_t may = pacer.allowed(); may && rtp_left; may--) {
            Call &c = calls[rtp_next];
            if (send_to(c.fd, rtp_packet(0x20000000u + (unsigned)rtp_next, (uint16_t)rtp_left),
                        c.media))
                rtp_tx++;
            pacer.sent++;
            if (++rtp_next == calls.size()) {
                rtp_next = 0;
                if (--rtp_left == 0)
                    std::printf("rtp: calls=%zu sent=%llu\n", calls.size(),
                                (unsigned long long)rtp_tx);
            }
        }
    }

    std::string summary() const {
        unsigned public_ok, match, n = contact_count(&public_ok, &match), rtp_calls = 0;
        uint64_t rtp = 0, wrong = 0;
        std::vector<unsigned> silent;
        for (size_t k = 0; k < calls.size(); k++) {
            rtp += calls[k].rtp_rx;
            wrong += calls[k].rtp_wrong_source;
            rtp_calls += calls[k].rtp_rx > 0;
            if (!calls[k].rtp_rx)
                silent.push_back((unsigned)calls[k].phone);
        }
        unsigned rung = 0;
        for (unsigned v : ring_ok)
            rung += v > 0;
        char buf[1024];
        std::snprintf(buf, sizeof(buf),
                      "registers=%llu contacts=%u contacts_public=%u contacts_match_source=%u "
                      "invites=%llu calls=%zu offers_public=%llu acks=%llu rung_answered=%u "
                      "rtp_sent=%llu rtp_received=%llu rtp_wrong_source=%llu calls_with_rtp=%u "
                      "bad=%llu no_rtp=%s",
                      (unsigned long long)registers, n, public_ok, match,
                      (unsigned long long)invites, calls.size(), (unsigned long long)offers_public,
                      (unsigned long long)acks, rung, (unsigned long long)rtp_tx,
                      (unsigned long long)rtp, (unsigned long long)wrong, rtp_calls,
                      (unsigned long long)bad, first_few(silent, "p").c_str());
        return buf;
    }

    void on_sip(int fd, std::string_view text, const sockaddr_in &from) {
        Msg m;
        if (!m.parse(text)) {
            bad++;
            return;
        }
        if (fd == ring) {
            if (m.code)
                on_ring_reply(m);
            return;
        }
        if (m.code)
            return;
        std::string method = m.method();
        if (method == "REGISTER")
            on_register(m, from);
        else if (method == "INVITE")
            on_invite(m, from);
        else if (method == "ACK")
            acks++;
        else if (method == "BYE")
            send_to(sip, reply_200(m, "b", "", "", ""), from);
    }

    int run() {
        setup_stdin(loop);
        std::printf("ready\n");
        std::string pending;
        static char buf[65536];
        while (!g_stop) {
            std::vector<std::string> cmds;
            bool eof = false;
            loop.wait([&](uint64_t tag) {
                if (tag == kStdin) {
                    eof = !read_commands(pending, cmds);
                    return;
                }
                int fd = tag == 0                     ? sip
                         : tag == 1                   ? ring
                         : tag - 2 < media_fds.size() ? media_fds[tag - 2]
                                                      : calls[tag - 2].fd;
                for (;;) {
                    sockaddr_in from{};
                    socklen_t len = sizeof(from);
                    ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (sockaddr *)&from, &len);
                    if (n < 0)
                        break;
                    if (tag >= 2 && tag - 2 >= calls.size())
                        continue; // not a call's yet
                    if (tag >= 2) {
                        Call &c = calls[tag - 2];
                        c.rtp_rx++;
                        // The phone's RTP leaves the router from the public
                        // address its offer named, if the pinhole is whole.
                        c.rtp_wrong_source += !same(from, c.media);
                    } else {
                        on_sip(fd, std::string_view(buf, (size_t)n), from);
                    }
                }
            });
            for (auto &c : cmds)
                command(c);
            if (eof)
                break;
            ring_tick();
            rtp_tick();
        }
        std::printf("summary: %s\n", summary().c_str());
        return 0;
    }
};

} // namespace

int main(int argc, char **argv) {
    Options o = parse_options(argc, argv);
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, nullptr, _IOLBF, 0);
    if (o.mode == "phones") {
        if (o.net.empty() || !o.count || o.registrar.empty())
            die("phones needs --net, --count and --registrar");
        return Fleet(o).run();
    }
    if (o.mode == "server") {
        if (o.bind.empty())
            die("server needs --bind IP");
        raise_nofile(o.calls + 1024);
        return Server(o).run();
    }
    die("unknown mode '%s' (phones, server)", o.mode.c_str());
}
