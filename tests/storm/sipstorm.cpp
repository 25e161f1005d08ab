// SPDX-License-Identifier: GPL-2.0
//
// sipstorm: hostile and broken SIP for the VM storm tests (t-storm, t-bounds,
// t-sipalg-unload). Userspace, linked with the core (core/*.cpp) so that it
// can say, per datagram, exactly what the module will count.
//
//   sipstorm udp   --src IP --to IP:PORT --count N [--seed S] [--flows F]
//                  [--base-port P] [--public IP] [--rate R] [--expect FILE] SEEDS...
//       N datagrams built from the seed messages (files, or directories of
//       them) by seeded mutation, sent with sendmmsg from F source ports
//       (P, P+1, ...) of IP, with DF on those that fit the 1500-byte MTU
//       (as phones send). Each is classified the way kmod/rewrite.c
//       sipalg_process() handles it (parse, plan under the NAT translation
//       IP -> --public that keeps the port, the 64 KiB and MTU limits,
//       apply), and the totals are written to FILE as JSON: what
//       `sipalg stats -j` must show. A datagram whose fate would depend on
//       the public media ports the module picks is not sent (counted).
//   sipstorm gen   (the same options) classify without sending
//   sipstorm tcp   --src IP --to IP:PORT --conns C [--msgs M] [--seed S] SEEDS...
//       C connections, each a stream of M mutated messages written in random
//       pieces; waits for the peer to close. Prints "tcp: sent ...".
//   sipstorm calls --src IP --to IP:PORT --count N [--first I] [--flows F]
//                  [--base-port P] [--rotate K] [--mix invite|register|both]
//                  [--media M] [--rate R] [--seconds S]
//       Valid INVITEs (M media streams each) and REGISTERs, every one with a
//       Call-ID and media ports of its own (numbered from I, so that runs
//       can continue one another; a REGISTER's contact is on its flow's own
//       source port, as a UDP phone's is). --rotate K: a flow moves to
//       a new ephemeral source port after K messages (--base-port ignored).
//   sipstorm sink  --bind IP:PORT [--tcp] [--count N] [--conns C] [--idle S]
//                  [--registrar]
//       Counts what arrives; prints "ready" once bound, then one line
//       "udp: received ..." / "tcp: received ..." at the end. --registrar
//       (UDP): answers each REGISTER 200 OK, listing its Contacts with the
//       Expires it asked for, as a registrar grants them.
//
// Only ever aimed at the test network inside the VM.
#include <sipalg/core.h>
#include <sipalg/decide.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<unsigned char>;

constexpr unsigned kMaxUdpPayload = 65507; // IPv4: 65535 - 20 - 8
constexpr unsigned kIpUdpHeaders = 28;
constexpr unsigned kMtu = 1500;

[[noreturn]] void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::fputs("sipstorm: ", stderr);
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

void sleep_for(double seconds) {
    if (seconds <= 0)
        return;
    timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
}

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
    g_stop = 1;
}

// ---- PRNG: xoshiro256**, seeded with splitmix64 ----

struct Rng {
    uint64_t s[4];
    explicit Rng(uint64_t seed) {
        for (auto &w : s) {
            seed += 0x9e3779b97f4a7c15ull;
            uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            w = z ^ (z >> 31);
        }
    }
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t next() {
        uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return r;
    }
    // 0..n-1 (0 when n is 0).
    uint32_t below(uint32_t n) { return (uint32_t)(((next() >> 32) * (uint64_t)n) >> 32); }
    bool chance(unsigned percent) { return below(100) < percent; }
    uint32_t range(uint32_t lo, uint32_t hi) { return lo + below(hi - lo + 1); }
    // Log-uniform in [lo, hi]: small sizes as often as large ones.
    uint32_t logsize(uint32_t lo, uint32_t hi) {
        unsigned bits_lo = 0, bits_hi = 0;
        while ((1u << bits_lo) < lo + 1)
            bits_lo++;
        while ((1u << bits_hi) < hi + 1)
            bits_hi++;
        unsigned b = range(bits_lo, bits_hi);
        uint32_t v = (1u << b) + below(1u << b);
        return std::clamp(v, lo, hi);
    }
};

// ---- options ----

struct Options {
    std::string mode;
    std::string src = "10.0.0.2";
    std::string to;
    std::string bind;
    std::string pub = "203.0.113.1";
    std::string expect;
    std::string mix = "both";
    uint64_t count = 10000;
    uint64_t first = 0;
    uint64_t seed = 1;
    unsigned flows = 8;
    unsigned base_port = 0; // 0: ephemeral
    unsigned conns = 0;
    unsigned msgs = 20;
    unsigned rotate = 0;
    unsigned media = 2;
    double rate = 0;
    double idle = 5;
    double seconds = 0;
    bool tcp = false;
    bool registrar = false;
    bool count_set = false;
    std::vector<std::string> paths;
};

unsigned long long number(const char *opt, const char *v) {
    char *end;
    errno = 0;
    unsigned long long n = std::strtoull(v, &end, 10);
    if (errno || end == v || *end)
        die("bad value '%s' for %s", v, opt);
    return n;
}

Options parse_options(int argc, char **argv) {
    if (argc < 2)
        die("usage: sipstorm udp|gen|tcp|calls|sink [options] [seed files or directories]");
    Options o;
    o.mode = argv[1];
    for (int i = 2; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--tcp") {
            o.tcp = true;
            continue;
        }
        if (a == "--registrar") {
            o.registrar = true;
            continue;
        }
        if (a.rfind("--", 0) != 0) {
            o.paths.push_back(a);
            continue;
        }
        if (i + 1 >= argc)
            die("%s needs a value", a.c_str());
        const char *v = argv[++i];
        if (a == "--src")
            o.src = v;
        else if (a == "--to")
            o.to = v;
        else if (a == "--bind")
            o.bind = v;
        else if (a == "--public")
            o.pub = v;
        else if (a == "--expect")
            o.expect = v;
        else if (a == "--mix")
            o.mix = v;
        else if (a == "--count")
            o.count = number(argv[i - 1], v), o.count_set = true;
        else if (a == "--first")
            o.first = number(argv[i - 1], v);
        else if (a == "--seed")
            o.seed = number(argv[i - 1], v);
        else if (a == "--flows")
            o.flows = (unsigned)number(argv[i - 1], v);
        else if (a == "--base-port")
            o.base_port = (unsigned)number(argv[i - 1], v);
        else if (a == "--conns")
            o.conns = (unsigned)number(argv[i - 1], v);
        else if (a == "--msgs")
            o.msgs = (unsigned)number(argv[i - 1], v);
        else if (a == "--rotate")
            o.rotate = (unsigned)number(argv[i - 1], v);
        else if (a == "--media")
            o.media = (unsigned)number(argv[i - 1], v);
        else if (a == "--rate")
            o.rate = std::atof(v);
        else if (a == "--idle")
            o.idle = std::atof(v);
        else if (a == "--seconds")
            o.seconds = std::atof(v);
        else
            die("unknown option %s", a.c_str());
    }
    if (o.flows < 1 || o.flows > 512)
        die("--flows must be 1..512");
    if (o.base_port && o.base_port + o.flows > 65536)
        die("--base-port + --flows goes past 65535");
    if (o.media > SIPALG_MAX_MEDIA)
        die("--media must be 0..%u", SIPALG_MAX_MEDIA);
    return o;
}

sockaddr_in sockaddr_of(const std::string &ip, unsigned port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1)
        die("bad IPv4 address '%s'", ip.c_str());
    return a;
}

sockaddr_in hostport(const std::string &text) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos)
        die("want IP:PORT, got '%s'", text.c_str());
    return sockaddr_of(text.substr(0, colon),
                       (unsigned)number("IP:PORT", text.c_str() + colon + 1));
}

sipalg_addr core_addr(const std::string &ip) {
    sipalg_addr a{};
    if (!sipalg_addr_parse((const unsigned char *)ip.data(), (unsigned)ip.size(), &a))
        die("bad address '%s'", ip.c_str());
    return a;
}

// ---- message text helpers ----

bool ieq(const unsigned char *p, size_t n, const char *s) {
    size_t k = std::strlen(s);
    if (n != k)
        return false;
    for (size_t i = 0; i < n; i++)
        if (std::tolower(p[i]) != std::tolower((unsigned char)s[i]))
            return false;
    return true;
}

// Where the body starts (after the first empty line), or size if none.
size_t body_start(const Bytes &b) {
    for (size_t i = 0; i + 1 < b.size(); i++) {
        if (b[i] != '\n')
            continue;
        if (b[i + 1] == '\n')
            return i + 2;
        if (b[i + 1] == '\r' && i + 2 < b.size() && b[i + 2] == '\n')
            return i + 3;
    }
    return b.size();
}

struct Span {
    size_t off, len;
};

// The value of the first header named name (or compact) in the header block.
bool find_header(const Bytes &b, const char *name, const char *compact, Span *value) {
    size_t end = body_start(b), i = 0;
    while (i < end && b[i] != '\n')
        i++;
    for (i++; i < end;) {
        size_t le = i;
        while (le < end && b[le] != '\n')
            le++;
        size_t ne = i;
        while (ne < le && b[ne] != ':' && b[ne] != ' ' && b[ne] != '\t')
            ne++;
        size_t c = ne;
        while (c < le && (b[c] == ' ' || b[c] == '\t'))
            c++;
        if (c < le && b[c] == ':' &&
            (ieq(&b[i], ne - i, name) || (compact && ieq(&b[i], ne - i, compact)))) {
            c++;
            while (c < le && (b[c] == ' ' || b[c] == '\t'))
                c++;
            size_t ve = le;
            if (ve > c && b[ve - 1] == '\r')
                ve--;
            *value = {c, ve - c};
            return true;
        }
        i = le + 1;
    }
    return false;
}

void replace(Bytes &b, Span s, const std::string &text) {
    b.erase(b.begin() + (long)s.off, b.begin() + (long)(s.off + s.len));
    b.insert(b.begin() + (long)s.off, text.begin(), text.end());
}

void insert_at(Bytes &b, size_t off, const std::string &text) {
    b.insert(b.begin() + (long)std::min(off, b.size()), text.begin(), text.end());
}

// Content-Length := the body's real length, if there is a Content-Length.
void fix_content_length(Bytes &b) {
    Span v;
    if (find_header(b, "content-length", "l", &v))
        replace(b, v, std::to_string(b.size() - body_start(b)));
}

bool content_length_exact(const Bytes &b) {
    Span v;
    if (!find_header(b, "content-length", "l", &v))
        return true;
    std::string s(b.begin() + (long)v.off, b.begin() + (long)(v.off + v.len));
    return s == std::to_string(b.size() - body_start(b));
}

// Offset just after the start line.
size_t after_first_line(const Bytes &b) {
    auto it = std::find(b.begin(), b.end(), '\n');
    return it == b.end() ? b.size() : (size_t)(it - b.begin()) + 1;
}

std::string read_file(const std::string &path) {
    FILE *f = std::fopen(path.c_str(), "rb");
    if (!f)
        die("cannot read %s: %s", path.c_str(), std::strerror(errno));
    std::string s;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
        s.append(buf, n);
    std::fclose(f);
    return s;
}

// ---- seeds ----

struct Seeds {
    std::vector<Bytes> msgs;
};

// tests/vm/msgs templates: {placeholders}, CRLF lines, exact Content-Length
// (what tests/vm/sipua.py fill does).
Bytes fill_template(std::string text, const Options &o) {
    std::string dst = o.to.substr(0, o.to.rfind(':'));
    const std::pair<const char *, std::string> values[] = {
        {"{phone}", o.src},
        {"{server}", dst},
        {"{sip_port}", "5060"},
        {"{rtp_port}", "40000"},
        {"{rtcp_port}", "40001"},
        {"{video_port}", "40002"},
        {"{server_rtp_port}", "50000"},
        {"{transport}", "UDP"},
        {"{expires}", "3600"},
    };
    for (const auto &[key, value] : values)
        for (size_t p; (p = text.find(key)) != std::string::npos;)
            text.replace(p, std::strlen(key), value);
    std::string crlf;
    for (size_t i = 0; i < text.size(); i++) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
            crlf += '\r';
        crlf += text[i];
    }
    Bytes b(crlf.begin(), crlf.end());
    if (body_start(b) == b.size() && b.size() >= 2 && b[b.size() - 1] == '\n' &&
        !(b.size() >= 4 && b[b.size() - 3] == '\n'))
        insert_at(b, b.size(), "\r\n");
    fix_content_length(b);
    return b;
}

bool private_v4(const unsigned char q[4]) {
    return q[0] == 10 || (q[0] == 172 && (q[1] & 0xf0) == 16) || (q[0] == 192 && q[1] == 168) ||
           (q[0] == 192 && q[1] == 0 && q[2] == 2) || q[0] == 127;
}

// The seed as if the storm's own source had sent it: every private or
// documentation IPv4 literal becomes src, so that the module rewrites it
// and opens pinholes for its SDP.
bool localize(Bytes &b, const std::string &src) {
    bool cl_ok = content_length_exact(b), changed = false;
    for (size_t i = 0; i < b.size(); i++) {
        // Not inside a longer number or an IPv6 address.
        if (!std::isdigit(b[i]) ||
            (i > 0 && (std::isdigit(b[i - 1]) || b[i - 1] == '.' || b[i - 1] == ':')))
            continue;
        size_t e = i;
        while (e < b.size() && (std::isdigit(b[e]) || b[e] == '.'))
            e++;
        sipalg_addr a{};
        if (!sipalg_addr_parse(&b[i], (unsigned)(e - i), &a) || a.family != 4 || !private_v4(a.a))
            continue;
        replace(b, {i, e - i}, src);
        i += src.size() - 1;
        changed = true;
    }
    if (changed && cl_ok)
        fix_content_length(b);
    return changed;
}

void load_path(const std::string &path, const Options &o, Seeds &seeds) {
    struct stat st;
    if (stat(path.c_str(), &st))
        die("cannot open %s: %s", path.c_str(), std::strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path.c_str());
        if (!d)
            die("cannot open %s: %s", path.c_str(), std::strerror(errno));
        std::vector<std::string> names;
        while (dirent *e = readdir(d))
            if (e->d_name[0] != '.')
                names.push_back(e->d_name);
        closedir(d);
        std::sort(names.begin(), names.end());
        for (const auto &n : names)
            load_path(path + "/" + n, o, seeds);
        return;
    }
    if (!S_ISREG(st.st_mode))
        return;
    std::string text = read_file(path);
    Bytes b = text.find("{phone}") != std::string::npos || text.find("{server") != std::string::npos
                  ? fill_template(text, o)
                  : Bytes(text.begin(), text.end());
    seeds.msgs.push_back(b);
    if (localize(b, o.src))
        seeds.msgs.push_back(b);
}

// ---- mutation ----

const char *const kTokens[] = {
    "SIP/2.0",
    "SIP/2.0/UDP ",
    "SIP/2.0/TCP ",
    "\r\n",
    "\r\n\r\n",
    "\r\n ",
    "Via: ",
    "v: ",
    "From: ",
    "To: ",
    "Contact: ",
    "m: ",
    "Call-ID: ",
    "i: ",
    "CSeq: ",
    "Content-Length: ",
    "l: ",
    "Content-Type: application/sdp",
    "Expires: ",
    "sip:",
    "sips:",
    "<sip:",
    ">",
    ";tag=",
    ";branch=z9hG4bK",
    ";rport",
    ";rport=",
    ";received=",
    ";maddr=",
    ";expires=",
    "*",
    "\"",
    "@",
    ":5060",
    ":65535",
    ":99999",
    "[2001:db8::1]",
    "m=audio ",
    "c=IN IP4 ",
    "c=IN IP6 ",
    "a=rtcp:",
    "o=- 1 1 IN IP4 ",
    "v=0\r\n",
    " RTP/AVP 0\r\n",
    "INVITE ",
    "REGISTER ",
    "BYE ",
    "CANCEL ",
    "SIP/2.0 200 OK\r\n",
    "SIP/2.0 486 Busy Here\r\n",
    "4294967296",
    "2147483648",
    "-1",
    "0.0.0.0",
};

struct Ctx {
    const Seeds &seeds;
    std::string src;
};

void m_flip_bits(Bytes &b, Rng &r, const Ctx &) {
    for (unsigned n = r.range(1, 8); n && !b.empty(); n--)
        b[r.below((uint32_t)b.size())] ^= (unsigned char)(1u << r.below(8));
}

void m_set_bytes(Bytes &b, Rng &r, const Ctx &) {
    static const unsigned char kInteresting[] = {0,   '\r', '\n', ' ', '\t', ':',  ';',  ',',
                                                 '<', '>',  '"',  '@', '=',  '/',  '0',  '9',
                                                 '[', ']',  '.',  '%', 0x7f, 0x80, 0xff, '\\'};
    for (unsigned n = r.range(1, 6); n && !b.empty(); n--)
        b[r.below((uint32_t)b.size())] = kInteresting[r.below(sizeof(kInteresting))];
}

void m_truncate(Bytes &b, Rng &r, const Ctx &) {
    if (b.size() > 1)
        b.resize(r.below((uint32_t)b.size()));
}

std::vector<Span> lines_of(const Bytes &b) {
    std::vector<Span> lines;
    size_t i = 0;
    while (i < b.size()) {
        auto it = std::find(b.begin() + (long)i, b.end(), '\n');
        size_t e = it == b.end() ? b.size() : (size_t)(it - b.begin()) + 1;
        lines.push_back({i, e - i});
        i = e;
    }
    return lines;
}

void m_dup_line(Bytes &b, Rng &r, const Ctx &) {
    auto lines = lines_of(b);
    if (lines.empty())
        return;
    Span l = lines[r.below((uint32_t)lines.size())];
    unsigned copies = r.chance(4) ? r.range(100, 200) : r.range(1, 3);
    Bytes line(b.begin() + (long)l.off, b.begin() + (long)(l.off + l.len));
    for (unsigned k = 0; k < copies && b.size() + line.size() <= kMaxUdpPayload; k++)
        b.insert(b.begin() + (long)(l.off + l.len), line.begin(), line.end());
}

void m_remove_line(Bytes &b, Rng &r, const Ctx &) {
    auto lines = lines_of(b);
    if (lines.empty())
        return;
    Span l = lines[r.below((uint32_t)lines.size())];
    b.erase(b.begin() + (long)l.off, b.begin() + (long)(l.off + l.len));
}

void m_swap_lines(Bytes &b, Rng &r, const Ctx &) {
    auto lines = lines_of(b);
    if (lines.size() < 2)
        return;
    uint32_t i = r.below((uint32_t)lines.size()), j = r.below((uint32_t)lines.size());
    if (i == j)
        return;
    if (i > j)
        std::swap(i, j);
    Bytes out(b.begin(), b.begin() + (long)lines[i].off);
    out.insert(out.end(), b.begin() + (long)lines[j].off,
               b.begin() + (long)(lines[j].off + lines[j].len));
    out.insert(out.end(), b.begin() + (long)(lines[i].off + lines[i].len),
               b.begin() + (long)lines[j].off);
    out.insert(out.end(), b.begin() + (long)lines[i].off,
               b.begin() + (long)(lines[i].off + lines[i].len));
    out.insert(out.end(), b.begin() + (long)(lines[j].off + lines[j].len), b.end());
    b.swap(out);
}

void m_token(Bytes &b, Rng &r, const Ctx &c) {
    std::string t = kTokens[r.below(sizeof(kTokens) / sizeof(kTokens[0]))];
    if (r.chance(15))
        t = c.src;
    size_t pos = r.below((uint32_t)b.size() + 1);
    if (r.chance(40) && pos < b.size()) // overwrite rather than insert
        b.erase(b.begin() + (long)pos, b.begin() + (long)std::min(b.size(), pos + t.size()));
    insert_at(b, pos, t);
}

// Pad a message to about target bytes, in a header or at the end of the body.
void pad_to(Bytes &b, Rng &r, uint32_t target) {
    if (target <= b.size() + 32)
        return;
    size_t pad = target - b.size() - 16;
    std::string filler(pad, 'a');
    for (size_t k = 0; k < pad; k += 1 + r.below(64))
        filler[k] = (char)('a' + r.below(26));
    if (r.chance(50) || body_start(b) == b.size()) {
        insert_at(b, after_first_line(b), "X-Storm-Pad: " + filler + "\r\n");
    } else {
        insert_at(b, b.size(), "a=x-pad:" + filler + "\r\n");
    }
}

// Larger than the MTU (IP fragments), up to the largest UDP datagram.
void m_oversize(Bytes &b, Rng &r, const Ctx &) {
    pad_to(b, r, r.chance(5) ? r.range(65470, kMaxUdpPayload) : r.logsize(1500, 60000));
}

void m_garbage(Bytes &b, Rng &r, const Ctx &) {
    uint32_t n = r.logsize(0, 3000);
    b.resize(n);
    bool text = r.chance(50);
    for (auto &x : b)
        x = text ? (unsigned char)(r.chance(5) ? '\n' : 32 + r.below(95)) : (unsigned char)r.next();
}

// A Content-Length that lies (marked: not fixed afterwards).
void m_wrong_content_length(Bytes &b, Rng &r, const Ctx &) {
    Span v;
    long body = (long)(b.size() - body_start(b));
    static const char *const kBad[] = {"abc", "-1", "4294967296", "99999999", "", " 1 2", "0x10"};
    std::string text;
    switch (r.below(3)) {
    case 0:
        text = std::to_string(std::max(0L, body + (r.chance(50) ? 1 : -1) * (long)r.range(1, 10)));
        break;
    case 1:
        text = kBad[r.below(sizeof(kBad) / sizeof(kBad[0]))];
        break;
    default:
        insert_at(b, after_first_line(b), "Content-Length: " + std::to_string(body) + "\r\n");
        return;
    }
    if (find_header(b, "content-length", "l", &v))
        replace(b, v, text);
    else
        insert_at(b, after_first_line(b), "Content-Length: " + text + "\r\n");
}

void m_many_headers(Bytes &b, Rng &r, const Ctx &c) {
    unsigned n = r.range(100, 200);
    std::string block;
    unsigned kind = r.below(4);
    for (unsigned i = 0; i < n; i++) {
        switch (kind) {
        case 0:
            block +=
                "X-Storm-" + std::to_string(i) + ": " + std::to_string(r.next() % 1000) + "\r\n";
            break;
        case 1:
            block +=
                "Via: SIP/2.0/UDP " + c.src + ":5060;branch=z9hG4bKs" + std::to_string(i) + "\r\n";
            break;
        case 2:
            block += "Contact: <sip:u" + std::to_string(i) + "@" + c.src + ":" +
                     std::to_string(1024 + i) + ">\r\n";
            break;
        default:
            block += "Record-Route: <sip:" + c.src + ";lr>\r\n";
            break;
        }
    }
    insert_at(b, after_first_line(b), block);
}

void m_many_media(Bytes &b, Rng &r, const Ctx &c) {
    unsigned n = r.range(1, 12);
    std::string block;
    for (unsigned i = 0; i < n; i++) {
        block += "m=audio " + std::to_string(r.range(1, 32000) * 2) + " RTP/AVP 0\r\n";
        if (r.chance(50))
            block += "c=IN IP4 " + c.src + "\r\n";
        if (r.chance(30))
            block += "a=rtcp:" + std::to_string(r.range(1024, 65535)) + " IN IP4 " + c.src + "\r\n";
    }
    insert_at(b, b.size(), block);
}

void m_many_addrs(Bytes &b, Rng &r, const Ctx &c) {
    unsigned n = r.range(8, 40);
    std::string block;
    for (unsigned i = 0; i < n; i++)
        block += "Via: SIP/2.0/UDP " + c.src + ":" + std::to_string(r.range(1, 65535)) +
                 ";branch=z9hG4bKa" + std::to_string(i) + ";received=" + c.src + "\r\n";
    insert_at(b, after_first_line(b), block);
}

// Another call: pinholes in another class of the flow.
void m_call_id(Bytes &b, Rng &r, const Ctx &c) {
    Span v;
    if (find_header(b, "call-id", "i", &v))
        replace(b, v, "storm" + std::to_string(r.next() % 1000000) + "@" + c.src);
}

void m_media_port(Bytes &b, Rng &r, const Ctx &) {
    auto lines = lines_of(b);
    std::vector<Span> m;
    for (auto l : lines)
        if (l.len > 8 && b[l.off] == 'm' && b[l.off + 1] == '=')
            m.push_back(l);
    if (m.empty())
        return;
    Span l = m[r.below((uint32_t)m.size())];
    size_t p = l.off, le = l.off + l.len;
    while (p < le && b[p] != ' ')
        p++;
    if (p >= le)
        return;
    size_t e = ++p;
    while (e < le && std::isdigit(b[e]))
        e++;
    static const unsigned kPorts[] = {0, 1, 1023, 65534, 65535, 65536, 99999};
    unsigned port = r.chance(30) ? kPorts[r.below(7)] : r.range(1024, 65535);
    replace(b, {p, e - p}, std::to_string(port));
}

void m_splice(Bytes &b, Rng &r, const Ctx &c) {
    const Bytes &o = c.seeds.msgs[r.below((uint32_t)c.seeds.msgs.size())];
    size_t cut = r.below((uint32_t)b.size() + 1), ocut = r.below((uint32_t)o.size() + 1);
    b.resize(cut);
    b.insert(b.end(), o.begin() + (long)ocut, o.end());
}

void m_keepalive(Bytes &b, Rng &r, const Ctx &) {
    static const char *const kAlive[] = {"",  "\r\n\r\n", "\r\n",    "\n", "\n\n", "\r\n\r\n\r\n",
                                         " ", "\r",       "\r\r\r\r"};
    std::string s = kAlive[r.below(sizeof(kAlive) / sizeof(kAlive[0]))];
    b.assign(s.begin(), s.end());
}

void m_whitespace(Bytes &b, Rng &r, const Ctx &) {
    if (r.chance(25)) { // bare LF line ends
        Bytes out;
        for (size_t i = 0; i < b.size(); i++)
            if (!(b[i] == '\r' && i + 1 < b.size() && b[i + 1] == '\n'))
                out.push_back(b[i]);
        b.swap(out);
        return;
    }
    for (unsigned n = r.range(1, 5); n; n--)
        insert_at(b, r.below((uint32_t)b.size() + 1), r.chance(50) ? " " : "\t");
}

void m_fold(Bytes &b, Rng &r, const Ctx &) {
    size_t end = body_start(b);
    if (end > 2)
        insert_at(b, r.range(1, (uint32_t)end - 1), r.chance(50) ? "\r\n " : "\r\n\t");
}

void m_case(Bytes &b, Rng &r, const Ctx &) {
    for (unsigned n = r.range(1, 10); n && !b.empty(); n--) {
        auto &x = b[r.below((uint32_t)b.size())];
        if (std::isalpha(x))
            x ^= 0x20;
    }
}

using Mutator = void (*)(Bytes &, Rng &, const Ctx &);
struct Weighted {
    Mutator fn;
    unsigned weight;
};
const Weighted kMutators[] = {
    {m_flip_bits, 10},   {m_set_bytes, 10},
    {m_truncate, 8},     {m_dup_line, 8},
    {m_remove_line, 6},  {m_swap_lines, 4},
    {m_token, 10},       {m_oversize, 1},
    {m_garbage, 3},      {m_wrong_content_length, 5},
    {m_many_headers, 2}, {m_many_media, 3},
    {m_many_addrs, 3},   {m_call_id, 10},
    {m_media_port, 6},   {m_splice, 4},
    {m_keepalive, 1},    {m_whitespace, 5},
    {m_fold, 3},         {m_case, 3},
};

Bytes mutate(const Seeds &seeds, Rng &r, const Ctx &c) {
    Bytes b = seeds.msgs[r.below((uint32_t)seeds.msgs.size())];
    if (r.below(1000) < 2) {
        // A message just under 64 KiB and nothing else wrong with it: its
        // rewrite may make the IP datagram too big (passed_too_big).
        // (Room left for the longer Content-Length: it stays sendable.)
        pad_to(b, r, r.range(65470, kMaxUdpPayload - 5));
        fix_content_length(b);
        return b;
    }
    unsigned total = 0;
    for (const auto &m : kMutators)
        total += m.weight;
    unsigned n = r.chance(20) ? 0 : r.range(1, 4);
    bool lying_length = false;
    for (unsigned k = 0; k < n; k++) {
        unsigned pick = r.below(total);
        for (const auto &m : kMutators) {
            if (pick < m.weight) {
                m.fn(b, r, c);
                lying_length = lying_length || m.fn == m_wrong_content_length;
                break;
            }
            pick -= m.weight;
        }
    }
    // Most senders get the length right: keep the parser going past it.
    if (!lying_length && r.chance(75))
        fix_content_length(b);
    if (b.size() > kMaxUdpPayload)
        b.resize(kMaxUdpPayload);
    return b;
}

// ---- what the module does with a datagram (kmod/rewrite.c) ----

// The kernel's reasons: the core's (1..SIPALG_R_COUNT-1), then the shim's
// own, in the order of enum sipalg_pass_reason in kmod/counters.h.
constexpr int kPassNomem = SIPALG_R_COUNT;
constexpr int kPassTcpSplit = SIPALG_R_COUNT + 1;
constexpr int kPassTooBig = SIPALG_R_COUNT + 2;
constexpr int kPassNoSeqadj = SIPALG_R_COUNT + 3;
constexpr int kPassTcpReordered = SIPALG_R_COUNT + 4; // TCP only: never a datagram
constexpr int kPassMax = SIPALG_R_COUNT + 5;

std::string pass_name(int reason) {
    switch (reason) {
    case kPassNomem:
        return "passed_nomem";
    case kPassTcpSplit:
        return "passed_tcp_split";
    case kPassTooBig:
        return "passed_too_big";
    case kPassNoSeqadj:
        return "passed_no_seqadj";
    case kPassTcpReordered:
        return "passed_tcp_reordered";
    default:
        return std::string("passed_") + sipalg_reason_name(reason);
    }
}

struct Totals {
    uint64_t sent = 0, bytes = 0, send_failed = 0;
    uint64_t empty = 0, keepalive = 0, messages = 0;
    uint64_t rewritten = 0, unchanged = 0, either = 0; // either: depends on pinhole ports
    uint64_t ambiguous_skipped = 0, fragmented = 0, largest = 0;
    uint64_t passed[kPassMax] = {};
};

enum Verdict { kEmpty, kKeepalive, kPassed, kRewritten, kUnchanged, kEither, kAmbiguous };

struct Outcome {
    Verdict verdict;
    int reason;   // kPassed: the reason; else 0
    bool message; // counted under "messages"
};

struct Classifier {
    sipalg_xlat xlat{};
    sipalg_addr priv{};
    sipalg_view view{};
    std::unique_ptr<sipalg_msg> msg = std::make_unique<sipalg_msg>();
    std::unique_ptr<sipalg_plan> plan = std::make_unique<sipalg_plan>();
    Bytes scratch;

    Classifier(const std::string &src, const std::string &pub, const std::string &dst) {
        priv = core_addr(src);
        // The phone sends from the inside: kmod/xlat.c sipalg_view_for().
        view.from_inside = 1;
        view.sender = priv;
        view.sender_public = core_addr(pub);
        view.receiver = view.receiver_real = core_addr(dst);
        // NAT keeps the port: an address-only mapping (kmod/xlat.c).
        xlat.map[0].flags = SIPALG_MAP_ACTIVE;
        xlat.map[0].from = priv;
        xlat.map[0].to = core_addr(pub);
    }

    // Rewritten (0), unchanged (-1), or the reason it passes.
    int plan_result(const Bytes &b, const sipalg_media_override *ov, unsigned n_ov) {
        int rc = sipalg_make_plan(b.data(), msg.get(), &xlat, ov, n_ov, plan.get());
        if (rc != SIPALG_OK)
            return rc;
        if (!plan->n_edits)
            return -1;
        // sipalg_skb_grow(): the IP datagram may not pass 64 KiB, nor the
        // MTU when it has DF: the sender's stack (IP_PMTUDISC_WANT, the
        // default) sets DF on every datagram that fits the MTU and sends
        // larger ones in fragments without it.
        unsigned limit = kIpUdpHeaders + plan->old_len <= kMtu ? kMtu : 65535;
        if (plan->new_len > plan->old_len && kIpUdpHeaders + plan->new_len > limit)
            return kPassTooBig;
        scratch.assign(b.begin(), b.end());
        scratch.resize(std::max(plan->old_len, plan->new_len));
        if (sipalg_apply_in_place(scratch.data(), (unsigned)scratch.size(), plan->old_len,
                                  plan.get()) < 0)
            return SIPALG_R_INTERNAL;
        return 0;
    }

    // A port of base's digit count, of parity's parity, that is not old.
    static uint16_t other_port(uint16_t base, uint16_t parity, uint16_t old) {
        uint16_t p = (uint16_t)(base + (parity & 1));
        return p == old ? (uint16_t)(p + 2) : p;
    }

    Outcome classify(const Bytes &b) {
        if (b.empty())
            return {kEmpty, 0, false};
        int rc = sipalg_parse(b.data(), (unsigned)b.size(), SIPALG_UDP, msg.get());
        if (rc != SIPALG_OK)
            return {kPassed, rc, false};
        if (msg->kind == SIPALG_KIND_KEEPALIVE)
            return {kKeepalive, 0, false};

        // What the module does with the message is the core's decision
        // (sipalg_decide(), as kmod/rewrite.c calls it): media overrides
        // only for the streams it opens. Which streams those are does not
        // depend on the connection's dialog state (an ending or a failure
        // opens nothing whatever the state; SDP elsewhere opens its
        // streams), so a fresh state per message predicts them exactly.
        // Which public ports the module picks depends on the pinholes
        // already open, so plan under every choice it could make.
        sipalg_dialogs dialogs{};
        sipalg_decision dec{};
        if (sipalg_decide(b.data(), msg.get(), &view, &dialogs, &dec) != SIPALG_OK)
            die("sipalg_decide refused a parsed message");
        bool opens = dec.actions & SIPALG_DO_OPEN_MEDIA;
        sipalg_media_override none[SIPALG_MAX_MEDIA] = {};
        unsigned n_ov = opens ? msg->n_media : 0;
        bool candidate[SIPALG_MAX_MEDIA] = {};
        bool muxed[SIPALG_MAX_MEDIA] = {};
        bool any = false;
        for (unsigned i = 0; opens && i < dec.n_streams; i++) {
            candidate[dec.streams[i].media] = any = true;
            muxed[dec.streams[i].media] = dec.streams[i].rtcp_port == 0;
        }
        int base = plan_result(b, n_ov ? none : nullptr, n_ov);
        if (!any) {
            if (base > 0)
                return {kPassed, base, true};
            return {base == 0 ? kRewritten : kUnchanged, 0, true};
        }
        // The module's public ports are 1024..65535: 4 or 5 digits. Try
        // none, all 4-digit, all 5-digit, and only the shrinking ones.
        int results[4];
        results[0] = base;
        for (int mode = 1; mode < 4; mode++) {
            sipalg_media_override ov[SIPALG_MAX_MEDIA] = {};
            for (unsigned i = 0; i < n_ov; i++) {
                const sipalg_media &m = msg->media[i];
                if (!candidate[i])
                    continue;
                bool five = m.port >= 10000, rtcp_five = m.rtcp_port >= 10000;
                uint16_t lo = 1024, hi = 65000;
                if (mode == 1 || (mode == 3 && five))
                    ov[i].rtp_port = other_port(lo, m.port, m.port);
                else if (mode == 2)
                    ov[i].rtp_port = other_port(hi, m.port, m.port);
                if ((m.flags & SIPALG_MEDIAF_RTCP) && muxed[i]) {
                    ov[i].rtcp_port = ov[i].rtp_port; // RTCP on the RTP port
                } else if (m.flags & SIPALG_MEDIAF_RTCP) {
                    if (mode == 1 || (mode == 3 && rtcp_five))
                        ov[i].rtcp_port = other_port(lo, (uint16_t)(m.port + 1), m.rtcp_port);
                    else if (mode == 2)
                        ov[i].rtcp_port = other_port(hi, (uint16_t)(m.port + 1), m.rtcp_port);
                }
            }
            results[mode] = plan_result(b, ov, n_ov);
        }
        bool same_pass = true, same_all = true;
        for (int mode = 1; mode < 4; mode++) {
            same_pass = same_pass && (results[mode] > 0) == (base > 0) &&
                        (base <= 0 || results[mode] == base);
            same_all = same_all && results[mode] == base;
        }
        if (!same_pass)
            return {kAmbiguous, 0, true};
        if (base > 0)
            return {kPassed, base, true};
        if (!same_all)
            return {kEither, 0, true};
        return {base == 0 ? kRewritten : kUnchanged, 0, true};
    }
};

void count(Totals &t, const Outcome &o, size_t len) {
    t.sent++;
    t.bytes += len;
    t.largest = std::max<uint64_t>(t.largest, len);
    if (len + kIpUdpHeaders > kMtu)
        t.fragmented++;
    if (o.message)
        t.messages++;
    switch (o.verdict) {
    case kEmpty:
        t.empty++;
        break;
    case kKeepalive:
        t.keepalive++;
        break;
    case kPassed:
        t.passed[o.reason]++;
        break;
    case kRewritten:
        t.rewritten++;
        break;
    case kUnchanged:
        t.unchanged++;
        break;
    default:
        t.either++;
        break;
    }
}

void write_totals(const Totals &t, const std::string &path, const char *extra) {
    std::string j = "{";
    auto put = [&](const std::string &k, uint64_t v) {
        if (j.size() > 1)
            j += ",";
        j += "\"" + k + "\":" + std::to_string(v);
    };
    put("sent", t.sent);
    put("bytes", t.bytes);
    put("send_failed", t.send_failed);
    put("fragmented", t.fragmented);
    put("largest", t.largest);
    put("empty", t.empty);
    put("keepalive", t.keepalive);
    put("messages", t.messages);
    put("rewritten", t.rewritten);
    put("unchanged", t.unchanged);
    put("rewritten_or_unchanged", t.either);
    put("ambiguous_skipped", t.ambiguous_skipped);
    for (int r = 1; r < kPassMax; r++)
        put(pass_name(r), t.passed[r]);
    j += extra;
    j += "}\n";
    if (path.empty())
        return;
    FILE *f = std::fopen(path.c_str(), "w");
    if (!f || std::fputs(j.c_str(), f) < 0 || std::fclose(f))
        die("cannot write %s", path.c_str());
}

void print_totals(const Totals &t, double seconds) {
    uint64_t passed = 0;
    for (int r = 1; r < kPassMax; r++)
        passed += t.passed[r];
    std::printf("sent %llu datagrams, %llu bytes in %.1f s (%llu over the MTU, largest %llu; "
                "%llu send errors)\n",
                (unsigned long long)t.sent, (unsigned long long)t.bytes, seconds,
                (unsigned long long)t.fragmented, (unsigned long long)t.largest,
                (unsigned long long)t.send_failed);
    std::printf("expect messages %llu (rewritten %llu, unchanged %llu, either %llu), "
                "passed %llu, keep-alives %llu, empty %llu; %llu ambiguous not sent\n",
                (unsigned long long)t.messages, (unsigned long long)t.rewritten,
                (unsigned long long)t.unchanged, (unsigned long long)t.either,
                (unsigned long long)passed, (unsigned long long)t.keepalive,
                (unsigned long long)t.empty, (unsigned long long)t.ambiguous_skipped);
    for (int r = 1; r < kPassMax; r++)
        if (t.passed[r])
            std::printf("expect %s %llu\n", pass_name(r).c_str(), (unsigned long long)t.passed[r]);
    std::fflush(stdout);
}

Seeds load_seeds(const Options &o) {
    Seeds seeds;
    for (const auto &p : o.paths)
        load_path(p, o, seeds);
    if (seeds.msgs.empty())
        die("no seed messages: name files or directories");
    return seeds;
}

// One datagram the module's outcome for which does not depend on anything
// but its bytes.
Bytes next_datagram(const Seeds &seeds, Rng &r, const Ctx &c, Classifier &cl, Totals &t,
                    Outcome *out) {
    for (;;) {
        Bytes b = mutate(seeds, r, c);
        Outcome o = cl.classify(b);
        if (o.verdict == kAmbiguous) {
            t.ambiguous_skipped++;
            continue;
        }
        *out = o;
        return b;
    }
}

// Sleep so that the rate holds (0: no limit).
void pace(double start, uint64_t done, double rate) {
    if (rate > 0)
        sleep_for(start + (double)done / rate - now());
}

int open_udp(const std::string &src, unsigned port) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        die("socket: %s", std::strerror(errno));
    // Path MTU discovery as phones do (IP_PMTUDISC_WANT, the default):
    // DF on datagrams that fit the MTU, fragments for larger ones.
    int one = 1, sndbuf = 4 << 20, pmtu = IP_PMTUDISC_WANT;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
    sockaddr_in a = sockaddr_of(src, port);
    if (bind(fd, (sockaddr *)&a, sizeof(a)))
        die("bind %s:%u: %s", src.c_str(), port, std::strerror(errno));
    return fd;
}

// Send batch[0..n) on fd; returns how many went out (the rest failed).
unsigned send_batch(int fd, const sockaddr_in &to, std::vector<Bytes> &batch, unsigned n,
                    std::vector<bool> &ok) {
    std::vector<mmsghdr> msgs(n);
    std::vector<iovec> iov(n);
    for (unsigned i = 0; i < n; i++) {
        iov[i] = {batch[i].data(), batch[i].size()};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_name = (void *)&to;
        msgs[i].msg_hdr.msg_namelen = sizeof(to);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        ok[i] = false;
    }
    unsigned off = 0, sent = 0, retries = 0;
    while (off < n) {
        int r = sendmmsg(fd, &msgs[off], n - off, 0);
        if (r > 0) {
            for (int k = 0; k < r; k++)
                ok[off + k] = true;
            off += (unsigned)r;
            sent += (unsigned)r;
            retries = 0;
        } else if ((errno == EINTR || errno == ENOBUFS || errno == EAGAIN) && retries++ < 1000) {
            sleep_for(0.001);
        } else {
            // This one cannot be sent: not counted, but said.
            std::fprintf(stderr, "sipstorm: a datagram of %zu bytes was not sent: %s\n",
                         batch[off].size(), std::strerror(errno));
            off++;
        }
    }
    return sent;
}

int cmd_udp(const Options &o, bool send) {
    if (o.to.empty() && send)
        die("udp needs --to IP:PORT");
    Seeds seeds = load_seeds(o);
    Rng r(o.seed);
    Ctx c{seeds, o.src};
    // The registrar's address only matters to registrations, not to what
    // is predicted; "gen" has none.
    Classifier cl(o.src, o.pub, o.to.empty() ? "192.0.2.1" : o.to.substr(0, o.to.rfind(':')));
    Totals t;
    std::vector<int> socks;
    sockaddr_in to{};
    if (send) {
        to = hostport(o.to);
        for (unsigned f = 0; f < o.flows; f++)
            socks.push_back(open_udp(o.src, o.base_port ? o.base_port + f : 0));
    }
    constexpr unsigned kBatch = 16;
    std::vector<Bytes> batch(kBatch);
    std::vector<Outcome> outcome(kBatch);
    std::vector<bool> ok(kBatch);
    double start = now();
    unsigned flow = 0;
    while (t.sent + t.send_failed < o.count && !g_stop) {
        unsigned n = (unsigned)std::min<uint64_t>(kBatch, o.count - t.sent - t.send_failed);
        for (unsigned i = 0; i < n; i++)
            batch[i] = next_datagram(seeds, r, c, cl, t, &outcome[i]);
        if (send) {
            send_batch(socks[flow], to, batch, n, ok);
            flow = (flow + 1) % o.flows;
        } else {
            std::fill(ok.begin(), ok.end(), true);
        }
        for (unsigned i = 0; i < n; i++) {
            if (ok[i])
                count(t, outcome[i], batch[i].size());
            else
                t.send_failed++;
        }
        if (send)
            pace(start, t.sent, o.rate);
    }
    double secs = now() - start;
    print_totals(t, secs);
    char extra[64];
    std::snprintf(extra, sizeof(extra), ",\"seconds\":%.1f", secs);
    write_totals(t, o.expect, extra);
    for (int fd : socks)
        close(fd);
    return 0;
}

// ---- TCP: mutated streams ----

bool write_all(int fd, const unsigned char *p, size_t n) {
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

int cmd_tcp(const Options &o) {
    if (o.to.empty() || !o.conns)
        die("tcp needs --to IP:PORT and --conns N");
    Seeds seeds = load_seeds(o);
    Rng r(o.seed);
    Ctx c{seeds, o.src};
    sockaddr_in to = hostport(o.to), from = sockaddr_of(o.src, 0);
    uint64_t bytes = 0, messages = 0, ok = 0, failed = 0, writes = 0;
    double start = now();
    for (unsigned k = 0; k < o.conns && !g_stop; k++) {
        // The stream: mostly framable messages, sometimes garbage or a
        // length that runs past the end.
        Bytes stream;
        unsigned n = r.range(1, o.msgs);
        for (unsigned i = 0; i < n; i++) {
            Bytes m = mutate(seeds, r, c);
            if (m.size() > 60000)
                m.resize(60000);
            stream.insert(stream.end(), m.begin(), m.end());
        }
        messages += n;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        timeval tv = {10, 0};
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (fd < 0 || bind(fd, (sockaddr *)&from, sizeof(from)) ||
            connect(fd, (sockaddr *)&to, sizeof(to))) {
            std::fprintf(stderr, "sipstorm: tcp connection %u: %s\n", k, std::strerror(errno));
            failed++;
            if (fd >= 0)
                close(fd);
            continue;
        }
        bool good = true;
        for (size_t off = 0; off < stream.size() && good;) {
            size_t piece = r.chance(30) ? stream.size() - off
                                        : std::min<size_t>(stream.size() - off, r.logsize(1, 4096));
            good = write_all(fd, &stream[off], piece);
            off += piece;
            writes++;
            if (r.chance(20))
                sleep_for(0.0005 * r.range(1, 4)); // let a segment go out alone
        }
        shutdown(fd, SHUT_WR);
        char buf[4096];
        ssize_t got;
        while ((got = read(fd, buf, sizeof(buf))) > 0) {
        }
        int err = got < 0 ? errno : 0;
        if (got < 0)
            good = false; // the peer did not close in time
        sockaddr_in local{};
        socklen_t len = sizeof(local);
        getsockname(fd, (sockaddr *)&local, &len);
        if (good) {
            ok++;
            bytes += stream.size();
        } else {
            failed++;
            std::fprintf(stderr,
                         "sipstorm: tcp connection %u from port %u (%zu bytes) did not complete: "
                         "%s\n",
                         k, ntohs(local.sin_port), stream.size(),
                         err ? std::strerror(err) : "write failed");
            if (getenv("SIPSTORM_KEEP"))
                sleep_for(30); // leave the connection for a look
        }
        close(fd);
    }
    std::printf("tcp: sent %llu bytes, %llu messages in %llu writes on %llu connections "
                "(%llu failed) in %.1f s\n",
                (unsigned long long)bytes, (unsigned long long)messages, (unsigned long long)writes,
                (unsigned long long)ok, (unsigned long long)failed, now() - start);
    if (!o.expect.empty()) {
        FILE *f = std::fopen(o.expect.c_str(), "w");
        if (!f)
            die("cannot write %s", o.expect.c_str());
        std::fprintf(f, "{\"bytes\":%llu,\"messages\":%llu,\"connections\":%llu,\"failed\":%llu}\n",
                     (unsigned long long)bytes, (unsigned long long)messages,
                     (unsigned long long)ok, (unsigned long long)failed);
        std::fclose(f);
    }
    return failed ? 1 : 0;
}

// ---- calls: valid INVITEs and REGISTERs, each a call of its own ----

std::string with_length(const std::string &head, const std::string &body) {
    return head + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

int cmd_calls(const Options &o) {
    if (o.to.empty())
        die("calls needs --to IP:PORT");
    sockaddr_in to = hostport(o.to);
    std::string dst = o.to.substr(0, o.to.rfind(':'));
    std::vector<int> socks;
    std::vector<unsigned> used(o.flows, 0);
    std::vector<unsigned> sport(o.flows, 0);
    auto reopen = [&](unsigned f) {
        if (socks[f] >= 0)
            close(socks[f]);
        socks[f] = open_udp(o.src, o.base_port && !o.rotate ? o.base_port + f : 0);
        sockaddr_in a{};
        socklen_t len = sizeof(a);
        getsockname(socks[f], (sockaddr *)&a, &len);
        sport[f] = ntohs(a.sin_port);
        used[f] = 0;
    };
    socks.assign(o.flows, -1);
    for (unsigned f = 0; f < o.flows; f++)
        reopen(f);
    auto msg = std::make_unique<sipalg_msg>();
    uint64_t invites = 0, registers = 0, flows_used = o.flows;
    double start = now();
    uint64_t i = o.first, end = o.first + o.count;
    for (; i < end && !g_stop; i++) {
        if (o.seconds > 0 && now() - start > o.seconds)
            break;
        unsigned f = (unsigned)(i % o.flows);
        if (o.rotate && used[f] >= o.rotate) {
            reopen(f);
            flows_used++;
        }
        used[f]++;
        // Both kinds on every flow: they alternate round by round.
        bool invite = o.mix == "invite" || (o.mix == "both" && (i / o.flows) % 2 == 0);
        std::string id = std::to_string(o.seed) + "-" + std::to_string(i);
        std::string via = "Via: SIP/2.0/UDP " + o.src + ":" + std::to_string(sport[f]) +
                          ";branch=z9hG4bK" + id + ";rport\r\n";
        std::string text;
        if (invite) {
            std::string body = "v=0\r\no=- " + std::to_string(i) + " 1 IN IP4 " + o.src +
                               "\r\ns=-\r\nc=IN IP4 " + o.src + "\r\nt=0 0\r\n";
            for (unsigned k = 0; k < o.media; k++)
                body += std::string(k % 2 ? "m=video " : "m=audio ") +
                        std::to_string(10000 + ((i * o.media + k) * 2) % 50000) + " RTP/AVP 0\r\n";
            text = with_length(
                "INVITE sip:storm@" + dst + " SIP/2.0\r\n" + via + "From: <sip:caller@" + dst +
                    ">;tag=" + id + "\r\nTo: <sip:storm@" + dst + ">\r\nCall-ID: call-" + id + "@" +
                    o.src + "\r\nCSeq: 1 INVITE\r\nContact: <sip:caller@" + o.src + ":" +
                    std::to_string(sport[f]) + ">\r\nContent-Type: application/sdp\r\n",
                body);
            invites++;
        } else {
            std::string user = "u" + id;
            text = with_length("REGISTER sip:" + dst + " SIP/2.0\r\n" + via + "From: <sip:" + user +
                                   "@" + dst + ">;tag=" + id + "\r\nTo: <sip:" + user + "@" + dst +
                                   ">\r\nCall-ID: reg-" + id + "@" + o.src +
                                   "\r\nCSeq: 1 REGISTER\r\nContact: <sip:" + user + "@" + o.src +
                                   ":" + std::to_string(sport[f]) + ">\r\nExpires: 3600\r\n",
                               "");
            registers++;
        }
        int rc = sipalg_parse((const unsigned char *)text.data(), (unsigned)text.size(), SIPALG_UDP,
                              msg.get());
        if (rc != SIPALG_OK)
            die("calls: built an invalid message (%s):\n%s", sipalg_reason_name(rc), text.c_str());
        while (sendto(socks[f], text.data(), text.size(), 0, (sockaddr *)&to, sizeof(to)) < 0) {
            if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR && errno != ECONNREFUSED &&
                errno != EPERM)
                die("sendto: %s", std::strerror(errno));
            if (errno == EPERM || errno == ECONNREFUSED)
                break;
            sleep_for(0.001);
        }
        pace(start, i + 1 - o.first, o.rate);
    }
    std::printf("calls: sent %llu (%llu INVITE with %u media, %llu REGISTER) on %llu flows in "
                "%.1f s\n",
                (unsigned long long)(i - o.first), (unsigned long long)invites, o.media,
                (unsigned long long)registers, (unsigned long long)flows_used, now() - start);
    for (int fd : socks)
        close(fd);
    return 0;
}

// ---- sinks ----

// A registrar's 200 OK to a REGISTER (RFC 3261 10.3): the request's Via,
// From, To (with a tag), Call-ID and CSeq, and its bindings with the time
// granted. Empty if msg is not a REGISTER.
std::string registrar_reply(const unsigned char *buf, unsigned len) {
    std::string text((const char *)buf, len);
    if (text.rfind("REGISTER ", 0) != 0)
        return {};
    std::string expires = "3600", out = "SIP/2.0 200 OK\r\n", contacts;
    size_t end = text.find("\r\n\r\n");
    for (size_t at = text.find("\r\n") + 2; at < end;) {
        size_t eol = text.find("\r\n", at);
        std::string line = text.substr(at, eol - at);
        at = eol + 2;
        std::string name = line.substr(0, line.find(':'));
        for (char &ch : name)
            ch = (char)std::tolower((unsigned char)ch);
        if (name == "via" || name == "from" || name == "call-id" || name == "cseq")
            out += line + "\r\n";
        else if (name == "to")
            out += line + ";tag=reg\r\n";
        else if (name == "contact")
            contacts += line;
        else if (name == "expires")
            expires = line.substr(line.find(':') + 1);
    }
    while (!expires.empty() && expires[0] == ' ')
        expires.erase(0, 1);
    if (!contacts.empty() && expires != "0")
        out += contacts + ";expires=" + expires + "\r\n";
    return out + "Content-Length: 0\r\n\r\n";
}

int cmd_sink_udp(const Options &o) {
    sockaddr_in a = hostport(o.bind);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int rcvbuf = 64 << 20;
    timeval tick = {0, 100000};
    // As root, past net.core.rmem_max (not per namespace).
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick));
    if (bind(fd, (sockaddr *)&a, sizeof(a)))
        die("bind %s: %s", o.bind.c_str(), std::strerror(errno));
    constexpr unsigned kBatch = 16;
    static unsigned char bufs[kBatch][65536];
    mmsghdr msgs[kBatch] = {};
    iovec iov[kBatch];
    sockaddr_in peers[kBatch];
    std::set<uint32_t> sources;
    uint64_t received = 0, bytes = 0;
    std::printf("ready\n");
    std::fflush(stdout);
    double opened = now(), last = 0;
    while (!g_stop) {
        for (unsigned i = 0; i < kBatch; i++) {
            iov[i] = {bufs[i], sizeof(bufs[i])};
            msgs[i].msg_hdr = {};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = &peers[i];
            msgs[i].msg_hdr.msg_namelen = sizeof(peers[i]);
        }
        int n = recvmmsg(fd, msgs, kBatch, 0, nullptr);
        if (n > 0) {
            last = now();
            for (int i = 0; i < n; i++) {
                bytes += msgs[i].msg_len;
                sources.insert(ntohl(peers[i].sin_addr.s_addr) ^ ntohs(peers[i].sin_port));
                std::string reply = o.registrar ? registrar_reply(bufs[i], msgs[i].msg_len) : "";
                if (!reply.empty())
                    sendto(fd, reply.data(), reply.size(), 0, (sockaddr *)&peers[i],
                           sizeof(peers[i]));
            }
            received += (unsigned)n;
            if (o.count_set && received >= o.count)
                break;
            continue;
        }
        double t = now();
        if ((last && t - last > o.idle) || (!last && t - opened > 60))
            break;
    }
    std::printf("udp: received %llu datagrams, %llu bytes, from %zu sources\n",
                (unsigned long long)received, (unsigned long long)bytes, sources.size());
    return 0;
}

int cmd_sink_tcp(const Options &o) {
    sockaddr_in a = hostport(o.bind);
    int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(lfd, (sockaddr *)&a, sizeof(a)) || listen(lfd, 64))
        die("listen %s: %s", o.bind.c_str(), std::strerror(errno));
    std::printf("ready\n");
    std::fflush(stdout);
    std::vector<pollfd> fds{{lfd, POLLIN, 0}};
    uint64_t bytes = 0, accepted = 0, closed = 0, reset = 0;
    double opened = now(), last = 0;
    static unsigned char buf[65536];
    while (!g_stop && !(o.conns && closed + reset >= o.conns)) {
        int n = poll(fds.data(), fds.size(), 100);
        double t = now();
        if (n <= 0) {
            if ((last && t - last > o.idle) || (!last && t - opened > 60))
                break;
            continue;
        }
        last = t;
        for (size_t i = 1; i < fds.size(); i++) {
            if (!fds[i].revents)
                continue;
            ssize_t got = read(fds[i].fd, buf, sizeof(buf));
            if (got > 0) {
                bytes += (uint64_t)got;
                continue;
            }
            if (got < 0 && errno == EINTR)
                continue;
            (got == 0 ? closed : reset)++;
            close(fds[i].fd); // EOF: close ours, the sender is waiting for it
            fds[i].fd = -1;
        }
        fds.erase(
            std::remove_if(fds.begin() + 1, fds.end(), [](const pollfd &p) { return p.fd < 0; }),
            fds.end());
        if (fds[0].revents & POLLIN) {
            int c = accept(lfd, nullptr, nullptr);
            if (c >= 0) {
                fds.push_back({c, POLLIN, 0});
                accepted++;
            }
        }
    }
    std::printf("tcp: received %llu bytes on %llu connections (%llu closed cleanly, %llu reset, "
                "%zu open)\n",
                (unsigned long long)bytes, (unsigned long long)accepted, (unsigned long long)closed,
                (unsigned long long)reset, fds.size() - 1);
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    Options o = parse_options(argc, argv);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, nullptr, _IOLBF, 0);
    if (o.mode == "udp")
        return cmd_udp(o, true);
    if (o.mode == "gen")
        return cmd_udp(o, false);
    if (o.mode == "tcp")
        return cmd_tcp(o);
    if (o.mode == "calls")
        return cmd_calls(o);
    if (o.mode == "sink") {
        if (o.bind.empty())
            die("sink needs --bind IP:PORT");
        return o.tcp ? cmd_sink_tcp(o) : cmd_sink_udp(o);
    }
    die("unknown command '%s' (udp, gen, tcp, calls, sink)", o.mode.c_str());
}
