// The word-at-a-time scanners of include/sipalg/core/scan.hpp against naive
// byte loops: every start alignment (0..7) of the buffer and of the scan,
// buffers of 0..24 bytes, a match at each position, in the last word and in
// the tail, no match, and bytes chosen to provoke the false flags of the
// zero-byte test (c ^ 0x01 right after a match, c ^ 0x80).
//
// Each buffer is its own heap block that ends exactly at the buffer's end,
// as the kernel's skb data does, so under ASan any read past the end fails.
#include "core_test_util.hpp"

#include "core_scan_reference.hpp"

#include <sipalg/core/scan.hpp>

#include <random>

namespace {

using sipalg::core::u32;
using sipalg::core::u8;

// A buffer of len bytes starting `align` bytes into a block that ends where
// the buffer ends.
struct Buffer {
    std::unique_ptr<u8[]> block;
    u8 *b;
    Buffer(u32 align, u32 len) : block(new u8[align + len]), b(block.get() + align) {}
};

// find_class with every stop class the parser uses.
void check_find_class(const u8 *b, u32 i, u32 end) {
    using namespace sipalg::core;
    for (u8 cls : scanref::kStopClasses)
        REQUIRE(find_class(b, i, end, cls) == scanref::find_class(b, i, end, cls));
}

constexpr u32 kMaxLen = 24;

// Calls check(b, i, end) for every alignment, length 0..kMaxLen, start and
// end, with the buffer filled by fill(b, len).
template <typename Fill, typename Check> void every_window(Fill fill, Check check) {
    for (u32 align = 0; align < 8; align++)
        for (u32 len = 0; len <= kMaxLen; len++) {
            Buffer buf(align, len);
            fill(buf.b, len);
            for (u32 i = 0; i <= len; i++)
                for (u32 end = i; end <= len; end++)
                    check(buf.b, i, end);
        }
}

// Also scans with end < i, which the scanners must leave at i untouched.
void check_find(const u8 *b, u32 i, u32 end, u8 c, u8 c2) {
    using namespace sipalg::core;
    INFO("i=" << i << " end=" << end);
    REQUIRE(find_byte(b, i, end, c) == scanref::find(b, i, end, c));
    REQUIRE(find_byte2(b, i, end, c, c2) == scanref::find2(b, i, end, c, c2));
    REQUIRE(find_byte2(b, i, end, c2, c) == scanref::find2(b, i, end, c, c2));
    REQUIRE(skip_token(b, i, end) == scanref::skip_token(b, i, end));
    check_find_class(b, i, end);
    if (c == '\n')
        REQUIRE(find_lf(b, i, end) == scanref::find(b, i, end, '\n'));
}

// An INVITE whose SDP has the session-level connection line c_line.
std::string invite_with_c_line(const char *c_line) {
    using coretest::crlf;
    const std::string body = crlf(std::string("v=0\no=- 1 1 IN IP4 192.0.2.7\ns=-\n") + c_line +
                                  "\nt=0 0\nm=audio 4000 RTP/AVP 0\n");
    return crlf("INVITE sip:b@192.0.2.9 SIP/2.0\n"
                "Via: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1\n"
                "From: <sip:a@192.0.2.7>;tag=1\n"
                "To: <sip:b@192.0.2.9>\n"
                "Call-ID: x\n"
                "CSeq: 1 INVITE\n"
                "Content-Type: application/sdp\n"
                "Content-Length: ") +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

} // namespace

TEST_CASE("scanners: no match at any alignment and length", "[scan]") {
    for (u8 c : {(u8)'\n', (u8)' ', (u8)0x00, (u8)0xff, (u8)0x80}) {
        // Bytes one bit away from c: the near misses of the zero-byte test.
        const u8 near = (u8)(c ^ 0x01), high = (u8)(c ^ 0x80);
        every_window(
            [&](u8 *b, u32 len) {
                for (u32 k = 0; k < len; k++)
                    b[k] = k % 3 == 0 ? near : k % 3 == 1 ? high : (u8)'a';
            },
            [&](const u8 *b, u32 i, u32 end) {
                check_find(b, i, end, c, (u8)(c ^ 0x02));
                REQUIRE(sipalg::core::find_byte(b, i, end, c) == end);
            });
    }
}

TEST_CASE("scanners: a single match at every position", "[scan]") {
    for (u8 c : {(u8)'\n', (u8)':', (u8)0x00, (u8)0xff}) {
        for (u32 pos = 0; pos < kMaxLen; pos++) {
            every_window(
                [&](u8 *b, u32 len) {
                    for (u32 k = 0; k < len; k++)
                        b[k] = (u8)(c ^ 0x01); // every byte a near miss
                    if (pos < len)
                        b[pos] = c;
                },
                [&](const u8 *b, u32 i, u32 end) {
                    check_find(b, i, end, c, (u8)'/');
                    const u32 want = pos >= i && pos < end ? pos : end;
                    REQUIRE(sipalg::core::find_byte(b, i, end, c) == want);
                });
        }
    }
}

TEST_CASE("scanners: a match before the start is not found", "[scan]") {
    // The tail is read as the last word of the buffer, which may hold a
    // match (and the false flag it causes on a c ^ 0x01 byte) before i.
    const u8 c = '\n';
    for (u32 pos = 0; pos < kMaxLen; pos++)
        every_window(
            [&](u8 *b, u32 len) {
                for (u32 k = 0; k < len; k++)
                    b[k] = k == pos ? c : (u8)(c ^ 0x01);
            },
            [&](const u8 *b, u32 i, u32 end) {
                if (pos < i)
                    REQUIRE(sipalg::core::find_byte(b, i, end, c) == end);
                check_find(b, i, end, c, (u8)' ');
            });
}

TEST_CASE("scanners: two bytes, either first", "[scan]") {
    for (u32 p1 = 0; p1 < 16; p1++)
        for (u32 p2 = 0; p2 < 16; p2++)
            every_window(
                [&](u8 *b, u32 len) {
                    for (u32 k = 0; k < len; k++)
                        b[k] = (u8)('/' ^ 0x01);
                    if (p1 < len)
                        b[p1] = ' ';
                    if (p2 < len)
                        b[p2] = '/';
                },
                [&](const u8 *b, u32 i, u32 end) { check_find(b, i, end, ' ', '/'); });
}

TEST_CASE("scanners: random bytes near the searched ones", "[scan]") {
    std::mt19937 rng(12345);
    const u8 alphabet[] = {'\n', '\n' ^ 0x01, '\n' ^ 0x80, ' ',  ' ' ^ 0x01, ':', 'A', '~',
                           0x00, 0xff,        0x80,        0x7f, '"',        '-', '@'};
    for (int round = 0; round < 40; round++)
        every_window(
            [&](u8 *b, u32 len) {
                for (u32 k = 0; k < len; k++)
                    b[k] = alphabet[rng() % sizeof alphabet];
            },
            [&](const u8 *b, u32 i, u32 end) { check_find(b, i, end, '\n', ' '); });
}

TEST_CASE("find_class: a stop byte at every position of the 4-byte steps", "[scan]") {
    for (u8 stop : {(u8)':', (u8)';', (u8)'?', (u8)'>', (u8)',', (u8)' ', (u8)'\t', (u8)'\r',
                    (u8)'\n', (u8)'<', (u8)'"'})
        for (u32 pos = 0; pos < kMaxLen; pos++)
            every_window(
                [&](u8 *b, u32 len) {
                    for (u32 k = 0; k < len; k++)
                        b[k] = "a1.-[]@=/"[k % 9]; // in no stop class
                    if (pos < len)
                        b[pos] = stop;
                },
                [&](const u8 *b, u32 i, u32 end) { check_find_class(b, i, end); });
}

TEST_CASE("skip_token: a non-token byte at every position of the 4-byte steps", "[scan]") {
    for (u8 stop : {(u8)' ', (u8)':', (u8)'@', (u8)0x00, (u8)0x80, (u8)'"'})
        for (u32 pos = 0; pos < kMaxLen; pos++)
            every_window(
                [&](u8 *b, u32 len) {
                    for (u32 k = 0; k < len; k++)
                        b[k] = "aZ9-.!%*_+`'~"[k % 13];
                    if (pos < len)
                        b[pos] = stop;
                },
                [&](const u8 *b, u32 i, u32 end) {
                    const u32 want = pos >= i && pos < end ? pos : end;
                    REQUIRE(sipalg::core::skip_token(b, i, end) == want);
                });
}

TEST_CASE("find_ruri_special: every byte value at every position", "[scan]") {
    // Fillers next to the flagged bytes: '!' (one above the "below '!'"
    // test, where a borrow from the byte before would flag it), the
    // flagged bytes' near misses, and bytes at and above 0x80.
    const u8 fillers[] = {'!', '=', '<' ^ 0x01, '@' ^ 0x01, 0x80, 0xa0, 0xff, 'a'};
    for (u32 v = 0; v < 256; v++)
        for (u32 pos = 0; pos < kMaxLen; pos += v % 3 + 1)
            every_window(
                [&](u8 *b, u32 len) {
                    for (u32 k = 0; k < len; k++)
                        b[k] = fillers[(k + v) % sizeof fillers];
                    if (pos < len)
                        b[pos] = (u8)v;
                },
                [&](const u8 *b, u32 i, u32 end) {
                    INFO("v=" << v << " pos=" << pos << " i=" << i << " end=" << end);
                    REQUIRE(sipalg::core::find_ruri_special(b, i, end) ==
                            scanref::find_ruri_special(b, i, end));
                });
}

TEST_CASE("scanners: a start past the end stays put", "[scan]") {
    Buffer buf(0, 16);
    std::memset(buf.b, '\n', 16);
    CHECK(sipalg::core::find_byte(buf.b, 9, 8, '\n') == 9);
    CHECK(sipalg::core::find_byte2(buf.b, 9, 8, '\n', ' ') == 9);
    CHECK(sipalg::core::skip_token(buf.b, 9, 8) == 9);
    CHECK(sipalg::core::find_ruri_special(buf.b, 9, 8) == 9);
}

TEST_CASE("SDP connection fields: the fast and the general path agree", "[scan][sdp]") {
    // Same address, written as the fast path takes it and in the shapes
    // that must fall back to the field scans.
    const char *lines[] = {
        "c=IN IP4 192.0.2.7",   "c=in ip4 192.0.2.7",        "c=In Ip4 192.0.2.7",
        "c=IN  IP4 192.0.2.7",  "c=IN IP4  192.0.2.7",       "c= IN IP4 192.0.2.7",
        "c=IN IP4 192.0.2.7 x", "c=IN IP4 192.0.2.7/127",    "c=IN IP4 192.0.2.7/127/3",
        "c=IN IP6 2001:db8::7", "c=IN IP6 ::ffff:192.0.2.7",
    };
    for (const char *c_line : lines) {
        INFO(c_line);
        const std::string msg = invite_with_c_line(c_line);
        auto m = std::make_unique<sipalg_msg>();
        REQUIRE(sipalg_parse(reinterpret_cast<const unsigned char *>(msg.data()),
                             (unsigned)msg.size(), SIPALG_UDP, m.get()) == SIPALG_OK);
        REQUIRE(m->sdp_c_ref >= 0);
        const sipalg_ref &r = m->refs[m->sdp_c_ref];
        const std::string host = msg.substr(r.host_off, r.host_len);
        CHECK((host == "192.0.2.7" || host == "2001:db8::7" || host == "::ffff:192.0.2.7"));
        CHECK((msg.compare(r.atype_off, 3, "IP4") == 0 || msg.compare(r.atype_off, 3, "Ip4") == 0 ||
               msg.compare(r.atype_off, 3, "ip4") == 0 || msg.compare(r.atype_off, 3, "IP6") == 0));
    }
}

TEST_CASE("SDP connection fields the fast path leaves to the general one", "[scan][sdp]") {
    // Looks like "IN IP4 " for seven bytes and is another address type;
    // another network type; too few fields.
    struct Case {
        const char *c_line;
        int rc;
        bool ref;
    } cases[] = {
        {"c=IN IP5 192.0.2.7", SIPALG_OK, false},
        {"c=IN IP6 192.0.2.7", SIPALG_OK, false},
        {"c=ATM NSAP 47.0005.80ffe1", SIPALG_OK, false},
        {"c=TN RFC2543 +1-617-555-0000", SIPALG_OK, false},
        {"c=IN IP4", SIPALG_R_BAD_SDP, false},
        {"c=IN", SIPALG_R_BAD_SDP, false},
        {"c=IN  IP4 192.0.2.7", SIPALG_OK, true},
    };
    for (const Case &k : cases) {
        INFO(k.c_line);
        const std::string msg = invite_with_c_line(k.c_line);
        auto m = std::make_unique<sipalg_msg>();
        REQUIRE(sipalg_parse(reinterpret_cast<const unsigned char *>(msg.data()),
                             (unsigned)msg.size(), SIPALG_UDP, m.get()) == k.rc);
        if (k.rc == SIPALG_OK)
            CHECK((m->sdp_c_ref >= 0) == k.ref);
    }
}

TEST_CASE("parse_u32: digits of every length, saturating, at buffer ends", "[scan]") {
    std::mt19937 rng(777);
    const char digits[] = "0123456789";
    for (int round = 0; round < 400; round++)
        every_window(
            [&](u8 *b, u32 len) {
                // Mostly digits, sometimes a stop byte, some all-9 runs.
                // The stops include the bytes next to '0'..'9' and those
                // whose carry or borrow would reach the byte above in the
                // word-at-a-time path (0x00, 0xba, 0xff).
                const u8 stops[] = {' ', '/', ':', 0x00, 0x7f, 0x80, 0xba, 0xc6, 0xff};
                for (u32 k = 0; k < len; k++) {
                    const u32 r = rng() % 16;
                    b[k] = r == 0           ? stops[rng() % sizeof stops]
                           : r == 1         ? (u8)'/'
                           : round % 4 == 0 ? (u8)'9'
                                            : (u8)digits[r % 10];
                }
            },
            [&](const u8 *b, u32 i, u32 end) {
                u32 want = 0, got = 0;
                const u32 want_end = scanref::parse_u32(b, i, end, &want);
                REQUIRE(sipalg::core::parse_u32(b, i, end, &got) == want_end);
                REQUIRE(got == want);
            });
    u32 v = 7;
    const u8 nine[] = "4294967295";
    CHECK(sipalg::core::parse_u32(nine, 0, 10, &v) == 10);
    CHECK(v == 4294967295u);
    const u8 over[] = "4294967296";
    CHECK(sipalg::core::parse_u32(over, 0, 10, &v) == 10);
    CHECK(v == 4294967295u);
    CHECK(sipalg::core::parse_u32(over, 5, 3, &v) == 5); // start past the end
    CHECK(v == 0);
}

TEST_CASE("parse_port_run: the digit run scanned once, as scan-then-parse_port", "[scan]") {
    std::mt19937 rng(4242);
    const char alphabet[] = "0123456789;:>";
    for (int round = 0; round < 100; round++)
        every_window(
            [&](u8 *b, u32 len) {
                for (u32 k = 0; k < len; k++)
                    b[k] = (u8)alphabet[rng() % (round % 2 ? 10 : 13)];
            },
            [&](const u8 *b, u32 i, u32 end) {
                sipalg::core::u16 want = 0, got = 0;
                u32 run = 0, got_end = 0;
                const bool want_ok = scanref::port_run(b, i, end, &want, &run);
                REQUIRE(sipalg::core::parse_port_run(b, i, end, &got, &got_end) == want_ok);
                REQUIRE(got_end == run);
                if (want_ok)
                    REQUIRE(got == want);
            });
}

TEST_CASE("skip_quoted: quotes and escapes at every position", "[scan]") {
    std::mt19937 rng(99);
    const u8 alphabet[] = {'"', '\\', 'a', ' ', '"' ^ 0x01, '\\' ^ 0x01, 0x80};
    for (int round = 0; round < 100; round++)
        every_window(
            [&](u8 *b, u32 len) {
                for (u32 k = 0; k < len; k++)
                    b[k] = alphabet[rng() % (round % 3 ? 7 : 3)];
            },
            [&](const u8 *b, u32 i, u32 end) {
                if (i < end) // the scan starts on the opening quote
                    REQUIRE(sipalg::core::skip_quoted(b, i, end) ==
                            scanref::skip_quoted(b, i, end));
            });
}

TEST_CASE("load_word: the first byte is the lowest on either byte order", "[scan][endian]") {
    using namespace sipalg::core;
    // The scanners' ctz and tail shift rely on this; on a big-endian target
    // load_word() swaps the bytes of the word it reads.
    for (u32 align = 0; align < 8; align++) {
        Buffer buf(align, 8);
        for (u32 k = 0; k < 8; k++)
            buf.b[k] = (u8)(0x11 * (k + 1));
        const u64 w = load_word(buf.b);
        for (u32 k = 0; k < 8; k++)
            REQUIRE((u8)(w >> (8 * k)) == buf.b[k]);
    }
    // word_of() builds a constant the way load_word() reads text.
    static_assert(word_of("ab", 2) == 0x6261ull);
    Buffer buf(3, 8);
    std::memcpy(buf.b, "in ip4 x", 8);
    CHECK(load_word(buf.b) == word_of("in ip4 x", 8));
    CHECK((load_word(buf.b) & 0xffffffffffull) == word_of("in ip", 5));
    // load_word4() is the low half of load_word(), at any alignment.
    for (u32 align = 0; align < 8; align++) {
        Buffer b4(align, 4);
        std::memcpy(b4.b, "rtcp", 4);
        CHECK(load_word4(b4.b) == (u32)word_of("rtcp", 4));
    }
}

// literal_at<L, fold>(p) against a byte loop: lower() of each byte equal to
// the literal's (fold) or each byte equal (no fold), with each byte value at
// each position of a copy of the literal in lower, upper and mixed case, at
// every alignment, in a block that ends where the literal does.
template <sipalg::core::Literal L> void check_literal() {
    using namespace sipalg::core;
    constexpr u32 n = L.len();
    auto naive = [](const u8 *p, bool fold) {
        for (u32 k = 0; k < n; k++)
            if ((fold ? lower(p[k]) : p[k]) != (u8)L.text[k])
                return false;
        return true;
    };
    for (u32 align = 0; align < 8; align++)
        for (int variant = 0; variant < 3; variant++) {
            Buffer buf(align, n);
            for (u32 k = 0; k < n; k++) {
                const u8 c = (u8)L.text[k];
                const bool up = variant == 1 || (variant == 2 && k % 2);
                buf.b[k] = up && c >= 'a' && c <= 'z' ? (u8)(c - 32) : c;
            }
            for (u32 pos = 0; pos < n; pos++) {
                const u8 keep = buf.b[pos];
                for (u32 v = 0; v < 256; v++) {
                    buf.b[pos] = (u8)v;
                    INFO("literal=" << L.text << " align=" << align << " pos=" << pos
                                    << " v=" << v);
                    REQUIRE(literal_at<L, false>(buf.b) == naive(buf.b, false));
                    if constexpr (!L.has_upper()) { // case-insensitive: lowercase only
                        REQUIRE(literal_at<L, true>(buf.b) == naive(buf.b, true));
                        REQUIRE(ieq_literal<L>(buf.b, n) == naive(buf.b, true));
                    }
                }
                buf.b[pos] = keep;
            }
            REQUIRE(literal_at<L, false>(buf.b) == naive(buf.b, false));
            if constexpr (!L.has_upper()) {
                REQUIRE(ieq_literal<L>(buf.b, n));
                // Another length never matches, whatever the bytes.
                REQUIRE_FALSE(ieq_literal<L>(buf.b, n - 1));
                REQUIRE_FALSE(ieq_literal<L>(buf.b, n + 1));
            }
        }
}

TEST_CASE("literal_at: letters in either case, every other byte exactly", "[scan]") {
    // Lengths 2..16 (pieces of 2, 4 and 8 bytes, overlapping or not), with
    // non-letters whose byte without 0x20 is a control byte ('-' 0x0d,
    // ':' 0x1a, '/' 0x0f, '.', digits), and a case-sensitive literal with
    // capitals (the method and "SIP/2.0/" comparisons).
    check_literal<"in">();
    check_literal<"ip4">();
    check_literal<"to:">();
    check_literal<"sip/">();
    check_literal<"rport">();
    check_literal<"udp/tls/">();
    check_literal<"expires">();
    check_literal<"received">();
    check_literal<"sip/2.0">();
    check_literal<"SIP/2.0/">();
    check_literal<"call-id:">();
    check_literal<"supported:">();
    check_literal<"max-forwards:">();
    check_literal<"content-length">();
    check_literal<"application/sdp">();
    check_literal<"content-length:">();
    check_literal<"a1b2-c3d4:e5f6.g">();
}

TEST_CASE("ieq and eq: the length first, then every byte", "[scan]") {
    using namespace sipalg::core;
    const u8 text[] = "Sip/2.0 ";
    CHECK(ieq(text, 8, "sip/2.0 ", 8));
    CHECK_FALSE(ieq(text, 7, "sip/2.0 ", 8)); // a prefix is not the string
    CHECK_FALSE(ieq(text, 8, "sip/2.1 ", 8));
    CHECK_FALSE(eq(text, 8, "sip/2.0 ", 8)); // exact: the S differs
    CHECK(eq(text, 3, "Sip", 3));
    CHECK_FALSE(eq(text, 3, "Sip/", 4));
}
