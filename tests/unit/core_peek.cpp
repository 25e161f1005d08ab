// sipalg_peek(): the first bytes of a payload, before the kernel copies it.
#include "core_messages.hpp"

using namespace coretest;

namespace {

int peek(const std::string &s, int transport, int *reason = nullptr) {
    int r = -1;
    unsigned head = s.size() < SIPALG_PEEK_LEN ? (unsigned)s.size() : SIPALG_PEEK_LEN;
    int v = sipalg_peek(u(s), head, (unsigned)s.size(), transport, &r);
    if (reason)
        *reason = r;
    CHECK((v == SIPALG_PEEK_NOT_SIP) == (r != SIPALG_OK));
    return v;
}

// What the full path says of the same payload: frame (TCP) and parse.
int full_path(const std::string &s, int transport, unsigned char *kind) {
    unsigned len = (unsigned)s.size();
    if (transport == SIPALG_TCP) {
        int why = 0;
        if (sipalg_frame(u(s), len, &len, &why) != SIPALG_FRAME_COMPLETE)
            return -1;
    }
    auto p = parse(s.substr(0, len), transport);
    *kind = p.msg->kind;
    return p.rc;
}

const std::string kStunBinding("\x00\x01\x00\x00\x21\x12\xa4\x42"
                               "abcdefghijkl",
                               20);
const std::string kTlsHello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);

} // namespace

TEST_CASE("peek: keep-alives are done with, as the parser says", "[peek]") {
    for (const char *ka : {"\r\n\r\n", "\r\n", "\n", "\n\n", "\r\n\n", "\r"}) {
        std::string s(ka);
        unsigned char kind = 0;
        CHECK(peek(s, SIPALG_UDP) == SIPALG_PEEK_KEEPALIVE);
        CHECK(full_path(s, SIPALG_UDP, &kind) == SIPALG_OK);
        CHECK(kind == SIPALG_KIND_KEEPALIVE);
        // TCP: a trailing CR waits for its LF (the framer needs more).
        if (s.back() == '\r') {
            CHECK(peek(s, SIPALG_TCP) == SIPALG_PEEK_MAYBE_SIP);
            CHECK(full_path(s, SIPALG_TCP, &kind) == -1);
        } else {
            CHECK(peek(s, SIPALG_TCP) == SIPALG_PEEK_KEEPALIVE);
            CHECK(full_path(s, SIPALG_TCP, &kind) == SIPALG_OK);
            CHECK(kind == SIPALG_KIND_KEEPALIVE);
        }
    }
    // More than one keep-alive's worth, or one before a message: parse it.
    CHECK(peek("\r\n\r\n\r\n", SIPALG_TCP) == SIPALG_PEEK_MAYBE_SIP);
    CHECK(peek("\r\n\r\n" + kFanvilRegister, SIPALG_TCP) == SIPALG_PEEK_MAYBE_SIP);
    CHECK(peek("\r\nX", SIPALG_TCP) == SIPALG_PEEK_MAYBE_SIP);
}

TEST_CASE("peek: STUN, TLS and binary datagrams are not SIP, with the parser's reason", "[peek]") {
    for (const std::string &s :
         {kStunBinding, kTlsHello, std::string("\x80\x00", 2), std::string("\r\n\r\nINVITE"),
          std::string(" INVITE"), std::string("\x01", 1)}) {
        int why = 0;
        unsigned char kind = 0;
        CHECK(peek(s, SIPALG_UDP, &why) == SIPALG_PEEK_NOT_SIP);
        CHECK(why == SIPALG_R_NOT_SIP);
        CHECK(full_path(s, SIPALG_UDP, &kind) == why);
        // A TCP segment may be the middle of a stream: the framer decides.
        CHECK(peek(s, SIPALG_TCP) == SIPALG_PEEK_MAYBE_SIP);
    }
}

TEST_CASE("peek: SIP, and what only starts like it, goes to the parser", "[peek]") {
    for (const std::string &s :
         {kFanvilRegister, fanvil_invite(kFanvilInviteSdp), std::string("SIP/2.0 200 OK\r\n"),
          std::string("I"), std::string("x\r\n\r\n"), std::string("~")}) {
        CHECK(peek(s, SIPALG_UDP) == SIPALG_PEEK_MAYBE_SIP);
        CHECK(peek(s, SIPALG_TCP) == SIPALG_PEEK_MAYBE_SIP);
    }
    // Every token byte may start a method: never judged from it.
    for (int c = 0; c < 256; c++) {
        std::string s(1, (char)c);
        s += "NVITE sip:a@b SIP/2.0\r\n";
        int why = 0;
        if (peek(s, SIPALG_UDP, &why) == SIPALG_PEEK_NOT_SIP) {
            unsigned char kind = 0;
            CHECK(full_path(s, SIPALG_UDP, &kind) == why);
        }
    }
}

TEST_CASE("peek: short heads and bad arguments leave it to the parser", "[peek]") {
    int why = -1;
    auto b = u(kStunBinding);
    CHECK(sipalg_peek(b, 3, 20, SIPALG_UDP, &why) == SIPALG_PEEK_MAYBE_SIP);
    CHECK(why == SIPALG_OK);
    CHECK(sipalg_peek(nullptr, 0, 20, SIPALG_UDP, &why) == SIPALG_PEEK_MAYBE_SIP);
    CHECK(sipalg_peek(b, 8, 0, SIPALG_UDP, &why) == SIPALG_PEEK_MAYBE_SIP);
    CHECK(sipalg_peek(b, 8, 20, 7, &why) == SIPALG_PEEK_MAYBE_SIP);
    CHECK(sipalg_peek(b, 8, 20, SIPALG_UDP, nullptr) == SIPALG_PEEK_NOT_SIP);
    // A head of exactly the payload when it is shorter than SIPALG_PEEK_LEN.
    CHECK(sipalg_peek(b, 2, 2, SIPALG_UDP, &why) == SIPALG_PEEK_NOT_SIP);
}

TEST_CASE("peek: a TLS stream begins with a handshake record", "[peek]") {
    auto tls = [](const std::string &s) {
        return sipalg_peek_tls(u(s),
                               s.size() < SIPALG_PEEK_LEN ? (unsigned)s.size() : SIPALG_PEEK_LEN);
    };
    CHECK(tls(kTlsHello));
    CHECK(tls(std::string("\x16\x03\x03\x00\x7a\x02", 6))); // ServerHello
    CHECK(tls(std::string("\x16\x03\x00\x00\x04\x01", 6))); // SSL 3.0, shortest
    CHECK(tls(std::string("\x16\x03\x04\x48\x00\x01", 6))); // longest record
    CHECK_FALSE(tls(std::string("\x16\x03\x05\x02\x00\x01", 6)));
    CHECK_FALSE(tls(std::string("\x16\x02\x01\x02\x00\x01", 6)));
    CHECK_FALSE(tls(std::string("\x17\x03\x03\x02\x00\x01", 6))); // application data
    CHECK_FALSE(tls(std::string("\x16\x03\x01\x48\x01\x01", 6))); // too long
    CHECK_FALSE(tls(std::string("\x16\x03\x01\x00\x03\x01", 6))); // too short
    CHECK_FALSE(tls(std::string("\x16\x03\x01\x02\x00\x0b", 6))); // not a hello
    CHECK_FALSE(tls(std::string("\x16\x03\x01\x02\x00", 5)));
    CHECK_FALSE(tls(kFanvilRegister));
    CHECK_FALSE(tls(kStunBinding));
    CHECK_FALSE(sipalg_peek_tls(nullptr, 8));
}
