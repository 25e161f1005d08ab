// Address text: strict parsing and canonical printing.
#include "core_test_util.hpp"

#include <sipalg/core/internal.hpp>

#include <cstdio>
#include <random>

using namespace coretest;

static bool parses(const char *s) {
    sipalg_addr a{};
    return sipalg_addr_parse(reinterpret_cast<const unsigned char *>(s), std::strlen(s), &a);
}

static std::string canon(const char *s) {
    return fmt(addr(s));
}

TEST_CASE("IPv4 dotted quad is strict", "[address]") {
    CHECK(canon("192.168.0.31") == "192.168.0.31");
    CHECK(canon("0.0.0.0") == "0.0.0.0");
    CHECK(canon("255.255.255.255") == "255.255.255.255");
    auto a = addr("203.0.113.1");
    CHECK(a.family == 4);
    CHECK(a.a[0] == 203);
    CHECK(a.a[3] == 1);
    for (const char *bad : {"256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "1..2.3",
                            "1.2.3.4.", ".1.2.3.4", "1.2.3.a", "", "1.2.3.4 ", "1234.1.1.1"})
        CHECK_FALSE(parses(bad));
}

TEST_CASE("IPv6 text per RFC 4291, printing per RFC 5952", "[address]") {
    CHECK(canon("2001:db8::1") == "2001:db8::1");
    CHECK(canon("2001:0DB8:0000:0000:0000:0000:0000:0001") == "2001:db8::1");
    CHECK(canon("::") == "::");
    CHECK(canon("::1") == "::1");
    CHECK(canon("1::") == "1::");
    CHECK(canon("2001:db8:0:0:1:0:0:1") == "2001:db8::1:0:0:1");    // first of equal runs
    CHECK(canon("2001:db8:0:1:1:1:1:1") == "2001:db8:0:1:1:1:1:1"); // no "::" for one group
    CHECK(canon("2001:db8:0:0:0:1:0:0") == "2001:db8::1:0:0");
    CHECK(canon("0:0:1:0:0:0:0:1") == "0:0:1::1"); // longest run wins
    CHECK(canon("::ffff:192.0.2.1") == "::ffff:192.0.2.1");
    CHECK(canon("::ffff:c000:0201") == "::ffff:192.0.2.1");
    CHECK(canon("64:ff9b::192.0.2.33") == "64:ff9b::c000:221");
    CHECK(canon("1:2:3:4:5:6:7:8") == "1:2:3:4:5:6:7:8");
    CHECK(canon("1:2:3:4:5:6:7::") == "1:2:3:4:5:6:7:0");
    CHECK(canon("::2:3:4:5:6:7:8") == "0:2:3:4:5:6:7:8");
    CHECK(canon("fe80::1:2:3:4") == "fe80::1:2:3:4");
    auto a = addr("2001:db8::1");
    CHECK(a.family == 6);
    CHECK(a.a[0] == 0x20);
    CHECK(a.a[15] == 1);
    for (const char *bad :
         {":", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::1", "::g",
          "1:2:3:4:5:6:7:8::", "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "[::1]", "::1%eth0", "1:", ":1",
          "2001:db8::1:"})
        CHECK_FALSE(parses(bad));
}

TEST_CASE("formatting needs room and a family", "[address]") {
    auto a = addr("2001:db8:1234:5678:9abc:def0:1234:5678");
    unsigned char buf[64];
    CHECK(sipalg_addr_format(&a, buf, 10) == 0);
    CHECK(sipalg_addr_format(&a, buf, sizeof buf) == 38);
    sipalg_addr none{};
    CHECK(sipalg_addr_format(&none, buf, sizeof buf) == 0);
}

TEST_CASE("reason names are stable", "[reason]") {
    CHECK(std::string(sipalg_reason_name(SIPALG_OK)) == "ok");
    CHECK(std::string(sipalg_reason_name(SIPALG_R_BAD_CONTENT_LENGTH)) == "bad_content_length");
    CHECK(std::string(sipalg_reason_name(SIPALG_R_INTERNAL)) == "internal");
    CHECK(std::string(sipalg_reason_name(-1)) == "unknown");
    CHECK(std::string(sipalg_reason_name(SIPALG_R_COUNT)) == "unknown");
    for (int r = 0; r < SIPALG_R_COUNT; r++)
        CHECK(std::string(sipalg_reason_name(r)) != "unknown");
}

TEST_CASE("self-test passes and version is set", "[selftest]") {
    CHECK(sipalg_core_selftest() == 0);
    CHECK(std::string(sipalg_core_version()) == SIPALG_CORE_VERSION);
}

namespace {

// The dotted quad as RFC 3986's dec-octet without leading zeros, parsed
// the slow way: the reference for the parser's unrolled, padded one.
bool naive_ipv4(const std::string &s, unsigned char out[4]) {
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        size_t j = i;
        while (j < s.size() && j - i < 4 && s[j] >= '0' && s[j] <= '9')
            j++;
        if (j == i || j - i > 3 || (j - i > 1 && s[i] == '0'))
            return false;
        const int v = std::stoi(s.substr(i, j - i));
        if (v > 255)
            return false;
        out[part] = (unsigned char)v;
        i = j;
        if (part < 3) {
            if (i >= s.size() || s[i] != '.')
                return false;
            i++;
        }
    }
    return i == s.size();
}

} // namespace

TEST_CASE("IPv4: every length 0..16 against a reference, ending at the buffer's end", "[address]") {
    // Digits, dots and a near miss, in random strings of every length; each
    // string in a heap block of exactly its size, so ASan sees any read
    // past its end (the parser copies up to 16 bytes with two word loads).
    std::mt19937 rng(4242);
    const char alphabet[] = "0123456789..../";
    unsigned accepted = 0;
    for (int round = 0; round < 200000; round++) {
        const size_t n = rng() % 17;
        std::string s;
        for (size_t k = 0; k < n; k++)
            s += alphabet[rng() % (sizeof alphabet - 1)];
        if (round % 4 == 0 && n >= 7) { // a valid-looking quad, often out of range
            s = std::to_string(rng() % 300) + "." + std::to_string(rng() % 300) + "." +
                std::to_string(rng() % 300) + "." + std::to_string(rng() % 300);
        }
        auto block = std::make_unique<unsigned char[]>(s.size() ? s.size() : 1);
        std::memcpy(block.get(), s.data(), s.size());
        unsigned char want[4] = {}, got[4] = {};
        const bool ok = naive_ipv4(s, want);
        sipalg_addr a{};
        INFO("'" << s << "'");
        REQUIRE((sipalg_addr_parse(block.get(), (unsigned)s.size(), &a) && a.family == 4) == ok);
        if (ok) {
            std::memcpy(got, a.a, 4);
            REQUIRE(std::memcmp(got, want, 4) == 0);
            accepted++;
        }
    }
    CHECK(accepted > 1000); // the test saw both answers
}

TEST_CASE("IPv4 printing: every byte value in every part, as dotted decimal", "[address]") {
    // The printer copies each part's digits and a dot from a table; the
    // reference is snprintf. Also as the last 32 bits of an IPv4-mapped
    // IPv6 address, which is printed in the mixed notation.
    for (int part = 0; part < 4; part++)
        for (int v = 0; v < 256; v++) {
            unsigned char q[4] = {10, 0, 113, 255};
            q[part] = (unsigned char)v;
            char want[32];
            std::snprintf(want, sizeof want, "%u.%u.%u.%u", q[0], q[1], q[2], q[3]);
            sipalg_addr a{};
            a.family = 4;
            std::memcpy(a.a, q, 4);
            unsigned char text[64];
            std::memset(text, 'x', sizeof text);
            const unsigned n = sipalg_addr_format(&a, text, sizeof text);
            INFO(want);
            REQUIRE(std::string((const char *)text, n) == want);
            REQUIRE(text[n] == 'x'); // sipalg_addr_format copies only the text
            sipalg_addr m{};
            m.family = 6;
            m.a[10] = m.a[11] = 0xff;
            std::memcpy(m.a + 12, q, 4);
            const unsigned mn = sipalg_addr_format(&m, text, sizeof text);
            REQUIRE(std::string((const char *)text, mn) == std::string("::ffff:") + want);
        }
}

TEST_CASE("addr_equal: the same family and bytes; no address matches nothing", "[address]") {
    using sipalg::core::addr_equal;
    const sipalg_addr a = addr("192.0.2.7"), b = addr("192.0.2.8"), a6 = addr("2001:db8::7");
    CHECK(addr_equal(a, addr("192.0.2.7")));
    CHECK_FALSE(addr_equal(a, b));
    CHECK(addr_equal(a6, addr("2001:db8::7")));
    CHECK_FALSE(addr_equal(a6, addr("2001:db8::8")));
    CHECK_FALSE(addr_equal(a, a6));
    // Family 0 is a hostname or nothing: it never matches, not even itself,
    // so a message's hostname is never taken for the NAT's address.
    sipalg_addr none{};
    CHECK_FALSE(addr_equal(none, none));
}
