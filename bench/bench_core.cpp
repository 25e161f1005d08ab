// Benchmark of the core: parse + plan + apply per message. Prints figures
// only; asserts nothing about time. With "--profile CASE N" it runs one case
// N times without timing, for callgrind (scripts/core-profile.sh): timing
// on a shared host is noisy, instruction counts are not. The plan is applied in place, as the
// shim does in the skb, to a fresh copy of the message each time (the copy
// is part of the figure).
#include <sipalg/core.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace {

std::string crlf(const std::string &s) {
    std::string out;
    for (char c : s) {
        if (c == '\n')
            out += '\r';
        out += c;
    }
    return out;
}

std::string with_cl(const std::string &head, const std::string &body) {
    std::string h = head;
    h.replace(h.find("{CL}"), 4, std::to_string(body.size()));
    return h + body;
}

// ~1 KB INVITE with SDP, as a Yealink/Fanvil-style phone sends it.
std::string invite() {
    std::string body = crlf("v=0\n"
                            "o=- 20017 20017 IN IP4 192.168.0.31\n"
                            "s=SDP data\n"
                            "c=IN IP4 192.168.0.31\n"
                            "t=0 0\n"
                            "m=audio 11800 RTP/AVP 8 0 18 9 101\n"
                            "a=rtpmap:8 PCMA/8000\n"
                            "a=rtpmap:0 PCMU/8000\n"
                            "a=rtpmap:18 G729/8000\n"
                            "a=fmtp:18 annexb=no\n"
                            "a=rtpmap:9 G722/8000\n"
                            "a=rtpmap:101 telephone-event/8000\n"
                            "a=fmtp:101 0-15\n"
                            "a=rtcp:11801\n"
                            "a=ptime:20\n"
                            "a=sendrecv\n");
    std::string head = crlf(
        "INVITE sip:1002@sip.example.com:5060 SIP/2.0\n"
        "Via: SIP/2.0/UDP 192.168.0.31:5010;branch=z9hG4bK1841331866303606934;rport\n"
        "From: \"Reception 011\" <sip:1001@sip.example.com:5060>;tag=908623127\n"
        "To: <sip:1002@sip.example.com:5060>\n"
        "Call-ID: 1021667421783-273216449350@192.168.0.31\n"
        "CSeq: 2 INVITE\n"
        "Contact: <sip:1001@192.168.0.31:5010>\n"
        "Authorization: Digest username=\"1001\", realm=\"sip.example.com\", "
        "nonce=\"5f2b6a1c3d4e5f60718293a4b5c6d7e8\", uri=\"sip:1002@sip.example.com:5060\", "
        "response=\"0f1e2d3c4b5a69788796a5b4c3d2e1f0\", algorithm=MD5\n"
        "Max-Forwards: 70\n"
        "Supported: replaces, join, path, 100rel, timer\n"
        "User-Agent: Fanvil X3 1.3.384.1694\n"
        "P-Early-Media: supported\n"
        "Allow-Events: talk, hold, conference, refer, check-sync\n"
        "Allow: INVITE, ACK, OPTIONS, BYE, CANCEL, REFER, NOTIFY, INFO, PRACK, UPDATE, MESSAGE\n"
        "Content-Type: application/sdp\n"
        "Content-Length: {CL}\n"
        "\n");
    return with_cl(head, body);
}

std::string reg() {
    return crlf("REGISTER sip:sip.example.com SIP/2.0\n"
                "Via: SIP/2.0/UDP 192.168.0.31:5010;branch=z9hG4bK1076223587290572529;rport\n"
                "From: \"011\" <sip:011@sip.example.com:5060>;tag=2717716575\n"
                "To: \"011\" <sip:011@sip.example.com:5060>\n"
                "Call-ID: 20063242339186-62012442819438@192.168.0.31\n"
                "CSeq: 1 REGISTER\n"
                "Contact: <sip:011@192.168.0.31:5010>;expires=3600\n"
                "Max-Forwards: 70\n"
                "Expires: 3600\n"
                "Supported: path\n"
                "User-Agent: Fanvil X3 1.3.384.1694\n"
                "Allow: INVITE, ACK, OPTIONS, BYE, CANCEL, REFER, NOTIFY, INFO, PRACK, UPDATE\n"
                "Content-Length: 0\n"
                "\n");
}

std::string ok200() {
    std::string body = crlf("v=0\n"
                            "o=FreeSWITCH 1700000000 1700000001 IN IP4 198.51.100.20\n"
                            "s=FreeSWITCH\n"
                            "c=IN IP4 198.51.100.20\n"
                            "t=0 0\n"
                            "m=audio 24672 RTP/AVP 8 101\n"
                            "a=rtpmap:8 PCMA/8000\n"
                            "a=rtpmap:101 telephone-event/8000\n"
                            "a=fmtp:101 0-16\n"
                            "a=ptime:20\n");
    std::string head =
        crlf("SIP/2.0 200 OK\n"
             "Via: SIP/2.0/UDP 212.19.6.166:5010;branch=z9hG4bK18413318;rport=5010;"
             "received=212.19.6.166\n"
             "From: \"Reception 011\" <sip:1001@sip.example.com:5060>;tag=908623127\n"
             "To: <sip:1002@sip.example.com:5060>;tag=N7m9jrBB1XrFF\n"
             "Call-ID: 1021667421783-273216449350@192.168.0.31\n"
             "CSeq: 2 INVITE\n"
             "Contact: <sip:1002@198.51.100.20:5060;transport=udp>\n"
             "User-Agent: FreeSWITCH\n"
             "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, UPDATE, REGISTER, REFER\n"
             "Supported: timer, path, replaces\n"
             "Content-Type: application/sdp\n"
             "Content-Length: {CL}\n"
             "\n");
    return with_cl(head, body);
}

sipalg_addr A(const char *s) {
    sipalg_addr a{};
    sipalg_addr_parse(reinterpret_cast<const unsigned char *>(s), std::strlen(s), &a);
    return a;
}

struct Scratch {
    sipalg_msg msg;
    sipalg_plan plan;
    unsigned char out[8192];
};

volatile long g_sink;

enum Stage { ALL, PARSE_ONLY };

void run(const char *name, const std::string &m, const sipalg_xlat &x, Stage stage = ALL) {
    static auto s = std::make_unique<Scratch>();
    const auto *buf = reinterpret_cast<const unsigned char *>(m.data());
    const unsigned len = (unsigned)m.size();
    sipalg_media_override ov[2] = {{40000, 40001}, {0, 0}};
    auto once = [&]() {
        if (sipalg_parse(buf, len, SIPALG_UDP, &s->msg) != SIPALG_OK)
            return -1L;
        if (stage == PARSE_ONLY)
            return (long)s->msg.n_refs;
        if (sipalg_make_plan(buf, &s->msg, &x, ov, 2, &s->plan) != SIPALG_OK)
            return -2L;
        std::memcpy(s->out, buf, len);
        return sipalg_apply_in_place(s->out, sizeof s->out, len, &s->plan);
    };
    long n = once();
    if (n < 0) {
        std::printf("%-24s FAILED (%ld)\n", name, n);
        return;
    }
    unsigned edits = s->plan.n_edits;
    // Calibrate to ~0.3 s per measurement, keep the best of 5.
    long iters = 1000;
    for (;;) {
        auto t0 = std::chrono::steady_clock::now();
        for (long i = 0; i < iters; i++)
            g_sink = g_sink + once();
        double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (dt > 0.05)
            break;
        iters *= 4;
    }
    iters *= 6;
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        auto t0 = std::chrono::steady_clock::now();
        for (long i = 0; i < iters; i++)
            g_sink = g_sink + once();
        double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (dt < best)
            best = dt;
    }
    double ns = best * 1e9 / (double)iters;
    double mbs = (double)len / ns * 1e3;
    std::printf("%-24s %5u bytes %3u edits %8.1f ns/msg %8.1f MB/s\n", name, len, edits, ns, mbs);
}

// One case, n times, no clock: the profile divides the counts by n.
int profile(const char *name, const std::string &m, const sipalg_xlat &x, long n) {
    static auto s = std::make_unique<Scratch>();
    const auto *buf = reinterpret_cast<const unsigned char *>(m.data());
    const unsigned len = (unsigned)m.size();
    sipalg_media_override ov[2] = {{40000, 40001}, {0, 0}};
    for (long i = 0; i < n; i++) {
        if (sipalg_parse(buf, len, SIPALG_UDP, &s->msg) != SIPALG_OK ||
            sipalg_make_plan(buf, &s->msg, &x, ov, 2, &s->plan) != SIPALG_OK) {
            std::fprintf(stderr, "%s: FAILED\n", name);
            return 1;
        }
        std::memcpy(s->out, buf, len);
        g_sink = g_sink + sipalg_apply_in_place(s->out, sizeof s->out, len, &s->plan);
    }
    std::printf("%s: %u bytes, %ld runs\n", name, len, n);
    return 0;
}

// A TCP packet's framing, n times: ten INVITEs back to back and the first
// half of another. sipalg_frame_tail() finds where the last one begins, as
// the split hook asks of a segment, and sipalg_frame() frames each whole
// one, as the helper does before parsing it.
int profile_stream(long n) {
    const std::string one = invite();
    std::string packet;
    for (int k = 0; k < 10; k++)
        packet += one;
    packet += one.substr(0, one.size() / 2);
    const auto *buf = reinterpret_cast<const unsigned char *>(packet.data());
    const unsigned len = (unsigned)packet.size();
    for (long i = 0; i < n; i++) {
        unsigned tail = 0, need = 0, msg_len = 0;
        if (sipalg_frame_tail(buf, len, &tail, &need) != SIPALG_FRAME_NEED_MORE ||
            tail != 10 * one.size()) {
            std::fprintf(stderr, "stream: FAILED\n");
            return 1;
        }
        for (unsigned off = 0; off < tail; off += msg_len)
            if (sipalg_frame(buf + off, tail - off, &msg_len, nullptr) != SIPALG_FRAME_COMPLETE)
                return 1;
        g_sink = g_sink + need;
    }
    std::printf("TCP packet framing (10 INVITEs and half of one): %u bytes, %ld runs\n", len, n);
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    sipalg_xlat out{};
    out.map[0].flags = SIPALG_MAP_ACTIVE | SIPALG_MAP_PORT;
    out.map[0].from = A("192.168.0.31");
    out.map[0].from_port = 5010;
    out.map[0].to = A("212.19.6.166");
    out.map[0].to_port = 5010;
    sipalg_xlat in{};
    in.map[1].flags = SIPALG_MAP_ACTIVE | SIPALG_MAP_PORT;
    in.map[1].from = A("212.19.6.166");
    in.map[1].from_port = 5010;
    in.map[1].to = A("192.168.0.31");
    in.map[1].to_port = 5010;

    if (argc == 4 && std::strcmp(argv[1], "--profile") == 0) {
        const long n = std::atol(argv[3]);
        if (std::strcmp(argv[2], "invite") == 0)
            return profile("INVITE+SDP (SNAT out)", invite(), out, n);
        if (std::strcmp(argv[2], "register") == 0)
            return profile("REGISTER (SNAT out)", reg(), out, n);
        if (std::strcmp(argv[2], "ok200") == 0)
            return profile("200 OK+SDP (reply in)", ok200(), in, n);
        if (std::strcmp(argv[2], "stream") == 0)
            return profile_stream(n);
        std::fprintf(stderr, "usage: bench_core [--profile invite|register|ok200|stream N]\n");
        return 2;
    }

    std::printf("sipalg core %s: parse + plan + apply, best of 5\n", sipalg_core_version());
    run("INVITE+SDP (SNAT out)", invite(), out);
    run("REGISTER (SNAT out)", reg(), out);
    run("200 OK+SDP (reply in)", ok200(), in);
    sipalg_xlat none{};
    run("INVITE+SDP (no match)", invite(), none);
    run("INVITE+SDP (parse only)", invite(), none, PARSE_ONLY);
    run("REGISTER (parse only)", reg(), none, PARSE_ONLY);
    return 0;
}
