// TCP framing by Content-Length.
#include "core_messages.hpp"

using namespace coretest;

static int frame(const std::string &s, unsigned *len, int *reason = nullptr) {
    int r;
    return sipalg_frame(u(s), (unsigned)s.size(), len, reason ? reason : &r);
}

TEST_CASE("TCP stream: several messages, partial ones, keep-alives", "[frame]") {
    std::string inv = fanvil_invite(kFanvilInviteSdp);
    std::string stream = kFanvilRegister + "\r\n\r\n" + inv + "\r\n" + inv.substr(0, 300);
    unsigned len = 0, off = 0;
    REQUIRE(frame(stream, &len) == SIPALG_FRAME_COMPLETE);
    CHECK(len == kFanvilRegister.size());
    off += len;
    REQUIRE(frame(stream.substr(off), &len) == SIPALG_FRAME_COMPLETE);
    CHECK(len == 4);
    off += len;
    REQUIRE(frame(stream.substr(off), &len) == SIPALG_FRAME_COMPLETE);
    CHECK(len == inv.size());
    // The framed message parses as TCP.
    auto p = parse(stream.substr(off, len), SIPALG_TCP);
    CHECK(p.rc == SIPALG_OK);
    CHECK(p.msg->transport == SIPALG_TCP);
    off += len;
    REQUIRE(frame(stream.substr(off), &len) == SIPALG_FRAME_COMPLETE);
    CHECK(len == 2);
    off += len;
    CHECK(frame(stream.substr(off), &len) == SIPALG_FRAME_NEED_MORE);
    // Headers complete but the body is not.
    CHECK(frame(inv.substr(0, inv.size() - 1), &len) == SIPALG_FRAME_NEED_MORE);
    CHECK(frame("", &len) == SIPALG_FRAME_NEED_MORE);
    CHECK(frame("\r", &len) == SIPALG_FRAME_NEED_MORE);
}

TEST_CASE("TCP framing: compact l:, missing and bad Content-Length", "[frame]") {
    unsigned len = 0;
    int reason = 0;
    std::string compact = "MESSAGE sip:a@b SIP/2.0\r\nl: 3\r\n\r\nabcXYZ";
    REQUIRE(frame(compact, &len) == SIPALG_FRAME_COMPLETE);
    CHECK(len == compact.size() - 3);
    std::string none = "OPTIONS sip:a@b SIP/2.0\nCSeq: 1 OPTIONS\n\nNEXT";
    REQUIRE(frame(none, &len) == SIPALG_FRAME_COMPLETE);
    CHECK(len == none.size() - 4);
    CHECK(frame("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n", &len, &reason) ==
          SIPALG_FRAME_INVALID);
    CHECK(reason == SIPALG_R_BAD_CONTENT_LENGTH);
    CHECK(frame("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 1\r\n\r\nab", &len, &reason) ==
          SIPALG_FRAME_INVALID);
    CHECK(reason == SIPALG_R_DUP_HEADER);
    CHECK(frame("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 99999\r\n\r\n", &len, &reason) ==
          SIPALG_FRAME_INVALID);
    CHECK(reason == SIPALG_R_BAD_CONTENT_LENGTH);
    std::string huge = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 65000\r\n";
    huge += "X: " + std::string(1000, 'x') + "\r\n\r\n";
    CHECK(frame(huge, &len, &reason) == SIPALG_FRAME_INVALID);
    CHECK(reason == SIPALG_R_TOO_LONG);
    std::string endless(SIPALG_MAX_MSG_LEN + 10, 'a');
    CHECK(frame(endless, &len, &reason) == SIPALG_FRAME_INVALID);
    CHECK(reason == SIPALG_R_TOO_LONG);
}

TEST_CASE("TCP framing: which header names are Content-Length", "[frame]") {
    // The framer looks at a name's first byte, then compares the whole
    // name: every spelling the token rule allows, and the near misses.
    struct Case {
        const char *line;
        int length; // -1: not a Content-Length (no body)
    };
    const Case cases[] = {
        {"Content-Length: 5", 5},
        {"content-length:5", 5},
        {"CONTENT-LENGTH : 5", 5},
        {"cOnTeNt-LeNgTh\t: 5", 5},
        {"l: 5", 5},
        {"L:5", 5},
        {"L \t: 5", 5},
        {"Content-Lengths: 5", -1},
        {"Content-Length-X: 5", -1},
        {"Content-Lengt: 5", -1},
        {"Content_Length: 5", -1},
        {"Lx: 5", -1},
        {"L-: 5", -1},
        {"C: 5", -1},
        {"Call-ID: 5", -1},
        {"Content-Type: 5", -1},
        {"ml: 5", -1},
        {"XContent-Length: 5", -1},
        {"Content-Length", -1},
        {"l", -1},
        {"Content-Length x: 5", -1},
    };
    for (const Case &c : cases) {
        INFO(c.line);
        const std::string head =
            std::string("OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS\r\n") + c.line + "\r\n\r\n";
        unsigned len = 0;
        REQUIRE(frame(head + "abcdefgh", &len) == SIPALG_FRAME_COMPLETE);
        CHECK(len == head.size() + (c.length < 0 ? 0 : (unsigned)c.length));
    }
}

TEST_CASE("TCP: the whole valid corpus as one stream frames back exactly", "[frame][corpus]") {
    std::string stream;
    std::vector<size_t> lens;
    for (const auto &f : corpus("valid")) {
        stream += f.bytes;
        lens.push_back(f.bytes.size());
    }
    size_t off = 0, k = 0;
    while (off < stream.size()) {
        unsigned len = 0;
        int reason = -1;
        std::string rest = stream.substr(off);
        REQUIRE(sipalg_frame(u(rest), (unsigned)rest.size(), &len, &reason) ==
                SIPALG_FRAME_COMPLETE);
        // A lone "\r\n" pong followed by "\r\n\r\n" frames as up to 4 bytes:
        // keep-alive runs may merge, messages never do.
        if (rest[0] == '\r') {
            off += len;
            while (k < lens.size() && lens[k] <= 4 && len >= lens[k]) {
                len -= (unsigned)lens[k];
                k++;
            }
            continue;
        }
        REQUIRE(k < lens.size());
        CHECK(len == lens[k]);
        CHECK(parse(rest.substr(0, len), SIPALG_TCP).rc == SIPALG_OK);
        off += len;
        k++;
    }
    CHECK(k == lens.size());
}

static int tail(const std::string &s, unsigned *off, unsigned *need = nullptr) {
    return sipalg_frame_tail(u(s), (unsigned)s.size(), off, need);
}

TEST_CASE("TCP segment ends inside a message: where to hold from", "[frame]") {
    std::string inv = fanvil_invite(kFanvilInviteSdp);
    std::string reg = kFanvilRegister;
    unsigned off = 99;
    // Whole messages (and keep-alives): nothing to hold.
    CHECK(tail(reg + "\r\n\r\n" + inv, &off) == SIPALG_FRAME_COMPLETE);
    CHECK(off == reg.size() + 4 + inv.size());
    CHECK(tail("", &off) == SIPALG_FRAME_COMPLETE);
    CHECK(off == 0);
    // Every cut of an INVITE after a REGISTER holds from the INVITE.
    for (size_t cut = 1; cut < inv.size(); cut++) {
        INFO("cut " << cut);
        off = 0;
        REQUIRE(tail(reg + inv.substr(0, cut), &off) == SIPALG_FRAME_NEED_MORE);
        CHECK(off == reg.size());
        REQUIRE(tail(inv.substr(0, cut), &off) == SIPALG_FRAME_NEED_MORE);
        CHECK(off == 0);
    }
    // A response, cut anywhere in its status line.
    std::string ok = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
    for (size_t cut = 1; cut < ok.size(); cut++) {
        INFO("cut " << cut);
        CHECK(tail(ok.substr(0, cut), &off) == SIPALG_FRAME_NEED_MORE);
    }
    // A segment that starts inside a message is not held: body lines,
    // header lines, a request line's middle.
    size_t body = inv.find("\r\n\r\n") + 4;
    CHECK(tail(inv.substr(body, 40), &off) == SIPALG_FRAME_INVALID);
    CHECK(tail("Contact: <sip:011@192.168.0.10:5060>\r\nCSeq", &off) == SIPALG_FRAME_INVALID);
    CHECK(tail("TCP 192.168.0.10:5060;branch=z9\r\nMax-Forwards: 70\r\n", &off) ==
          SIPALG_FRAME_INVALID);
    CHECK(tail("v=0\r\no=- 1 1 IN IP4 192.168.0.10\r\n", &off) == SIPALG_FRAME_INVALID);
    CHECK(tail("\r\n\r\n" + inv.substr(body, 40), &off) == SIPALG_FRAME_INVALID);
    CHECK(off == 4);
    // A bad Content-Length after a whole message: not framed, nothing held.
    int r = tail(reg + "INVITE sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n", &off);
    CHECK(r == SIPALG_FRAME_INVALID);
    CHECK(off == reg.size());
    // A lone CR of a split keep-alive is not a message start.
    CHECK(tail(reg + "\r", &off) == SIPALG_FRAME_INVALID);
    CHECK(sipalg_frame_tail(nullptr, 0, &off, nullptr) == SIPALG_FRAME_INVALID);
}

// sipalg_frame_tail_lens() against sipalg_frame_tail() and sipalg_frame()
// called message by message, as the helper would: the same tail and need,
// and the lengths, the first max of them.
static void check_lens(const std::string &s, unsigned max) {
    unsigned off = 0, need = 0, off2 = 1, need2 = 1, n = 99;
    std::vector<unsigned> lens(max + 1, 12345);
    int r = tail(s, &off, &need);
    int r2 = sipalg_frame_tail_lens(u(s), (unsigned)s.size(), &off2, &need2, lens.data(), max, &n);
    CHECK(r2 == r);
    CHECK(off2 == off);
    CHECK(need2 == need);
    std::vector<unsigned> want;
    for (unsigned at = 0; at < off;) {
        unsigned len = 0;
        std::string rest = s.substr(at);
        REQUIRE(frame(rest, &len) == SIPALG_FRAME_COMPLETE);
        want.push_back(len);
        at += len;
    }
    REQUIRE(n <= std::min<size_t>(want.size(), max));
    unsigned at = 0;
    for (unsigned k = 0; k < n; k++) {
        CHECK(lens[k] == want[k]);
        at += lens[k];
    }
    // Fewer: they stop before a keep-alive run that ends in a CR or at
    // the end of the bytes (another packet may frame it otherwise).
    if (n < std::min<size_t>(want.size(), max)) {
        REQUIRE((s[at] == '\r' || s[at] == '\n'));
        CHECK((s[at + want[n] - 1] == '\r' || at + want[n] == s.size()));
    }
    CHECK(lens[max] == 12345); // nothing written past max
}

TEST_CASE("TCP segment: the lengths of its whole messages, handed on", "[frame]") {
    std::string inv = fanvil_invite(kFanvilInviteSdp);
    std::string reg = kFanvilRegister;
    std::string whole = reg + "\r\n\r\n" + inv + "\r\n" + reg + inv + inv;
    for (unsigned max : {0u, 1u, 2u, 3u, 6u, 64u}) {
        INFO("max " << max);
        check_lens(whole, max);
        check_lens("", max);
        // Cut anywhere: the lengths of the messages before the cut.
        for (size_t cut = 1; cut < whole.size(); cut += 7) {
            INFO("cut " << cut);
            check_lens(whole.substr(0, cut), max);
        }
        // Not framed after a whole message (a bad Content-Length).
        check_lens(reg + "INVITE sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n", max);
        // Keep-alive runs: a lone CR before a message, CR/LFs at the end.
        check_lens(reg + "\r" + inv, max);
        check_lens(reg + "\r\n\r\n\r\n" + inv + "\r\n", max);
    }
    // The lengths stop before those runs, whatever the room.
    unsigned lens[8], off = 0, n = 99;
    std::string cr = reg + "\r" + inv;
    CHECK(sipalg_frame_tail_lens(u(cr), (unsigned)cr.size(), &off, nullptr, lens, 8, &n) ==
          SIPALG_FRAME_COMPLETE);
    CHECK(off == cr.size());
    CHECK(n == 1);
    std::string end = reg + "\r\n";
    CHECK(sipalg_frame_tail_lens(u(end), (unsigned)end.size(), &off, nullptr, lens, 8, &n) ==
          SIPALG_FRAME_COMPLETE);
    CHECK(n == 1);
    CHECK(sipalg_frame_tail_lens(u(reg), (unsigned)reg.size(), &off, nullptr, nullptr, 0,
                                 nullptr) == SIPALG_FRAME_COMPLETE);
    CHECK(sipalg_frame_tail_lens(nullptr, 0, &off, nullptr, nullptr, 0, &n) ==
          SIPALG_FRAME_INVALID);
    CHECK(n == 0);
}

TEST_CASE("TCP segment ends inside a message: how long it will be", "[frame]") {
    std::string inv = fanvil_invite(kFanvilInviteSdp);
    std::string reg = kFanvilRegister;
    size_t headers = inv.find("\r\n\r\n") + 4;
    REQUIRE(headers < inv.size());
    unsigned off = 0, need = 99;
    // Known once the empty line has come: the header block plus the
    // Content-Length; unknown (0) before, at every cut.
    for (size_t cut = 1; cut < inv.size(); cut++) {
        INFO("cut " << cut);
        REQUIRE(tail(reg + inv.substr(0, cut), &off, &need) == SIPALG_FRAME_NEED_MORE);
        CHECK(off == reg.size());
        CHECK(need == (cut >= headers ? inv.size() : 0));
    }
    // A Content-Length that says more than will ever come: known as said.
    std::string big = "INVITE sip:a@b SIP/2.0\r\nContent-Length: 40000\r\n\r\nv=0\r\n";
    CHECK(tail(big, &off, &need) == SIPALG_FRAME_NEED_MORE);
    CHECK(need == big.size() - 5 + 40000);
    // ... and one past the longest message is not framed at all.
    CHECK(tail("INVITE sip:a@b SIP/2.0\r\nContent-Length: 70000\r\n\r\n", &off, &need) ==
          SIPALG_FRAME_INVALID);
    CHECK(need == 0);
    // Whole messages, or none to hold: 0.
    need = 99;
    CHECK(tail(reg + inv, &off, &need) == SIPALG_FRAME_COMPLETE);
    CHECK(need == 0);
    need = 99;
    CHECK(tail(inv.substr(headers, 40), &off, &need) == SIPALG_FRAME_INVALID);
    CHECK(need == 0);
}

TEST_CASE("TCP segment begins at a message boundary or inside one", "[frame]") {
    std::string inv = fanvil_invite(kFanvilInviteSdp);
    std::string ok = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 192.168.0.10:5060\r\n"
                     "Content-Length: 0\r\n\r\n";
    auto begins = [](const std::string &s) {
        return sipalg_frame_begins(u(s), (unsigned)s.size()) == 1;
    };
    CHECK(begins(inv));
    CHECK(begins(ok));
    CHECK(begins("\r\n"));
    CHECK(begins("\n"));
    CHECK(begins("INV")); // too short to tell: could be
    CHECK(!begins(""));
    CHECK(sipalg_frame_begins(nullptr, 5) == 0);
    CHECK(begins("\r\n\r\n" + inv));
    CHECK(begins("\r\n\r\n\r\n\r\n\r\n" + inv)); // keep-alives that came together
    CHECK(begins("\r\n\r\n\r\n"));
    CHECK(!begins("\r\nVia: SIP/2.0/TCP 192.168.0.10:5060\r\n"));
    CHECK(!begins("\na=sendrecv\r\n"));
    CHECK(!begins("\r\n\r\nv=0\r\n"));
    // Every later start is inside a message, but for the CR/LFs that end
    // it (a keep-alive looks the same) and the request line itself: cut
    // in its method, or in the last word of its URI, it still reads as one.
    size_t method = inv.find(' '), line = inv.find('\r');
    for (const std::string *m : {&inv, &ok}) {
        for (size_t cut = 1; cut < m->size(); cut++) {
            INFO("cut " << cut << ": " << m->substr(cut, 20));
            bool end = m->find_first_not_of("\r\n", cut) == std::string::npos;
            if (m == &inv && cut < method)
                CHECK(begins(m->substr(cut)));
            else if (m != &inv || cut > line)
                CHECK(begins(m->substr(cut)) == end);
        }
    }
}
