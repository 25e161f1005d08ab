// Header-name dispatch (one switch on the length, words compared with the
// case bit set): every name the parser knows in any case, and names one
// byte away from them, which must be treated as unknown headers.
#include "core_test_util.hpp"

using namespace coretest;

namespace {

// A minimal request with one extra header line.
std::string request_with(const std::string &extra) {
    return crlf("OPTIONS sip:b@192.0.2.9 SIP/2.0\n"
                "Via: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1\n"
                "From: <sip:a@192.0.2.7>;tag=1\n"
                "To: <sip:b@192.0.2.9>\n"
                "Call-ID: x\n"
                "CSeq: 1 OPTIONS\n" +
                extra + "\n\n");
}

// request_with(extra) parsed; returns the result and leaves the message
// in *m.
int parse_with(const std::string &extra, sipalg_msg *m) {
    const std::string msg = request_with(extra);
    return sipalg_parse(reinterpret_cast<const unsigned char *>(msg.data()), (unsigned)msg.size(),
                        SIPALG_UDP, m);
}

std::string with_case(const std::string &name, unsigned pattern) {
    std::string out = name;
    for (size_t k = 0; k < out.size(); k++)
        if ((pattern >> (k % 16)) & 1)
            out[k] = (char)std::toupper((unsigned char)out[k]);
    return out;
}

} // namespace

TEST_CASE("header names: known names in any case", "[parse][names]") {
    auto m = std::make_unique<sipalg_msg>();
    for (unsigned pattern : {0u, 0xffffu, 0x5555u, 0xaaaau, 0x1234u}) {
        INFO("case pattern " << pattern);
        REQUIRE(parse_with(with_case("content-length", pattern) + ": 0", m.get()) == SIPALG_OK);
        CHECK((m->flags & SIPALG_MSGF_CL));
        REQUIRE(parse_with(with_case("expires", pattern) + ": 60", m.get()) == SIPALG_OK);
        CHECK((m->flags & SIPALG_MSGF_EXPIRES));
        CHECK(m->expires == 60);
        REQUIRE(parse_with(with_case("contact", pattern) + ": <sip:a@192.0.2.7>", m.get()) ==
                SIPALG_OK);
        CHECK(m->n_contacts == 1);
        // A second From / To / Call-ID / CSeq is recognised as such.
        for (const char *dup : {"from", "to", "call-id", "cseq"})
            CHECK(parse_with(with_case(dup, pattern) + ": <sip:a@192.0.2.7>", m.get()) ==
                  SIPALG_R_DUP_HEADER);
        REQUIRE(parse_with(with_case("via", pattern) + ": SIP/2.0/UDP 192.0.2.8", m.get()) ==
                SIPALG_OK);
        REQUIRE(parse_with(with_case("content-type", pattern) + ": text/plain", m.get()) ==
                SIPALG_OK);
    }
}

TEST_CASE("header names: one byte off is an unknown header", "[parse][names]") {
    auto m = std::make_unique<sipalg_msg>();
    for (const char *known : {"to", "via", "from", "cseq", "call-id", "contact", "expires",
                              "content-type", "content-length"}) {
        const std::string name = known;
        for (size_t k = 0; k < name.size(); k++)
            for (char repl : {'x', '_', '-', '.', '1', '~'}) {
                std::string odd = name;
                if (odd[k] == repl)
                    continue;
                odd[k] = repl;
                INFO(odd);
                // As an unknown header, a malformed value is never looked at.
                REQUIRE(parse_with(odd + ": <<garbage \"", m.get()) == SIPALG_OK);
                CHECK(!(m->flags & (SIPALG_MSGF_CL | SIPALG_MSGF_EXPIRES)));
                CHECK(m->n_contacts == 0);
            }
        // Longer and shorter by one byte ("t" would be To's compact form).
        REQUIRE(parse_with(name + "s: <<garbage \"", m.get()) == SIPALG_OK);
        if (name.size() > 2)
            REQUIRE(parse_with(name.substr(0, name.size() - 1) + ": <<garbage \"", m.get()) ==
                    SIPALG_OK);
    }
}

TEST_CASE("methods: every known name, and one byte off or in lower case is another method",
          "[parse][names]") {
    const std::pair<const char *, int> methods[] = {
        {"INVITE", SIPALG_M_INVITE},     {"ACK", SIPALG_M_ACK},
        {"BYE", SIPALG_M_BYE},           {"CANCEL", SIPALG_M_CANCEL},
        {"REGISTER", SIPALG_M_REGISTER}, {"OPTIONS", SIPALG_M_OPTIONS},
        {"PRACK", SIPALG_M_PRACK},       {"SUBSCRIBE", SIPALG_M_SUBSCRIBE},
        {"NOTIFY", SIPALG_M_NOTIFY},     {"PUBLISH", SIPALG_M_PUBLISH},
        {"INFO", SIPALG_M_INFO},         {"REFER", SIPALG_M_REFER},
        {"MESSAGE", SIPALG_M_MESSAGE},   {"UPDATE", SIPALG_M_UPDATE},
    };
    auto m = std::make_unique<sipalg_msg>();
    auto parse = [&](const std::string &method) {
        const std::string msg = crlf(method +
                                     " sip:b@192.0.2.9 SIP/2.0\n"
                                     "Via: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1\n"
                                     "From: <sip:a@192.0.2.7>;tag=1\n"
                                     "To: <sip:b@192.0.2.9>\n"
                                     "Call-ID: x\n"
                                     "CSeq: 1 " +
                                     method + "\n\n");
        REQUIRE(sipalg_parse(reinterpret_cast<const unsigned char *>(msg.data()),
                             (unsigned)msg.size(), SIPALG_UDP, m.get()) == SIPALG_OK);
        CHECK(m->cseq_method == m->method);
        return (int)m->method;
    };
    for (const auto &[name, id] : methods) {
        const std::string known = name;
        INFO(known);
        CHECK(parse(known) == id);
        for (size_t k = 0; k < known.size(); k++) {
            std::string odd = known;
            odd[k] = (char)(odd[k] == 'X' ? 'Y' : 'X');
            INFO(odd);
            CHECK(parse(odd) == SIPALG_M_OTHER);
            odd = known;
            odd[k] = (char)std::tolower((unsigned char)odd[k]);
            CHECK(parse(odd) == SIPALG_M_OTHER);
        }
        CHECK(parse(known + "S") == SIPALG_M_OTHER);
        CHECK(parse(known.substr(1)) == SIPALG_M_OTHER);
    }
}

namespace {

// The parse of one header line in a minimal request, in a buffer of exactly
// its size (ASan sees a read past it), summarised so that two parses can be
// compared.
struct Outcome {
    int rc;
    unsigned flags, n_headers, n_refs, n_contacts, expires, cl_value;
    bool operator==(const Outcome &) const = default;
};

Outcome outcome_of(const std::string &line) {
    const std::string msg = request_with(line);
    std::unique_ptr<unsigned char[]> exact(new unsigned char[msg.size()]);
    std::memcpy(exact.get(), msg.data(), msg.size());
    auto m = std::make_unique<sipalg_msg>();
    const int rc = sipalg_parse(exact.get(), (unsigned)msg.size(), SIPALG_UDP, m.get());
    return {rc, m->flags, m->n_headers, m->n_refs, m->n_contacts, m->expires, m->cl_value};
}

std::string describe(const std::string &s) {
    std::string out;
    for (unsigned char c : s) {
        char hex[8];
        std::snprintf(hex, sizeof(hex), c < 0x20 || c >= 0x7f ? "\\x%02x" : "%c", c);
        out += hex;
    }
    return out;
}

} // namespace

// The usual names are recognised with their colon as whole words, and only
// when that fails by a scan of the name. "Name : value" always takes the
// scan, so it is the reference: every name, with every byte of it replaced
// by every value (the ones that alias a letter, '-' or ':' once the case
// bit is set among them), must be taken the same way both ways.
TEST_CASE("header names: the word compare agrees with the byte scan", "[parse][names]") {
    const char *names[] = {"via",
                           "from",
                           "to",
                           "call-id",
                           "cseq",
                           "contact",
                           "expires",
                           "content-type",
                           "content-length",
                           "allow",
                           "supported",
                           "user-agent",
                           "max-forwards",
                           "v",
                           "f",
                           "t",
                           "i",
                           "m",
                           "l",
                           "c",
                           "x"};
    // A value each known header accepts, so that a recognised name shows in
    // the outcome (a second Via adds a ref, Contact a contact, ...).
    auto value_for = [](const std::string &name) -> std::string {
        const char k = (char)std::tolower((unsigned char)name[0]);
        if (name.size() > 2 && k == 'c' && std::tolower((unsigned char)name[2]) == 'n')
            return name.size() == 14 ? "0" : name.size() == 7 ? "<sip:a@192.0.2.7>" : "x/y";
        return "7";
    };
    unsigned compared = 0;
    for (const char *known : names) {
        const std::string name = known;
        const std::string value = value_for(name);
        for (size_t k = 0; k < name.size(); k++)
            for (int c = 0; c < 256; c++) {
                if (c == '\r' || c == '\n' || c == ' ' || c == '\t' || c == ':')
                    continue; // these change the line's structure, not its name
                std::string odd = name;
                odd[k] = (char)c;
                INFO(describe(odd));
                const Outcome word = outcome_of(odd + ": " + value);
                Outcome scan = outcome_of(odd + " : " + value);
                CHECK(word == scan);
                compared++;
            }
        // The names themselves, in upper case too, and with a longer name.
        for (const std::string &n : {name, with_case(name, 0xffff), name + "s"}) {
            INFO(n);
            CHECK(outcome_of(n + ": " + value) == outcome_of(n + " : " + value));
        }
    }
    CHECK(compared > 20000);
}

TEST_CASE("header names: a name near the buffer's end is scanned, never read past",
          "[parse][names]") {
    // Messages cut inside or just after their last header's name: the word
    // compare needs 16 bytes, the scan takes over, and both say truncated.
    for (const char *name : {"Content-Length", "Max-Forwards", "Via", "v", "User-Agent"}) {
        const std::string full = crlf("OPTIONS sip:b@192.0.2.9 SIP/2.0\n") + name + ": 0";
        for (size_t cut = full.size() - std::strlen(name) - 3; cut <= full.size(); cut++) {
            const std::string part = full.substr(0, cut);
            std::unique_ptr<unsigned char[]> exact(new unsigned char[part.size()]);
            std::memcpy(exact.get(), part.data(), part.size());
            auto m = std::make_unique<sipalg_msg>();
            INFO(describe(part));
            CHECK(sipalg_parse(exact.get(), (unsigned)part.size(), SIPALG_UDP, m.get()) ==
                  SIPALG_R_TRUNCATED);
        }
    }
}

// "SIP/2.0/" is compared as one word; LWS around the slashes (allowed) and
// other spellings take the token scan, with the same outcome.
TEST_CASE("Via sent-protocol: the usual spelling and its variants", "[parse][names]") {
    const Outcome usual = outcome_of("Via: SIP/2.0/TCP 192.0.2.8:5070");
    REQUIRE(usual.rc == SIPALG_OK);
    CHECK(usual.n_refs == outcome_of("Via: SIP / 2.0 / TCP 192.0.2.8:5070").n_refs);
    for (const char *variant : {"SIP/2.0/ TCP", "SIP/2.0 /TCP", "sip/2.0/tcp", "SIP /2.0/TCP",
                                "SIP/2.0/\r\n TCP", "SIP/2.0/TCP"}) {
        INFO(describe(variant));
        CHECK(outcome_of(std::string("Via: ") + variant + " 192.0.2.8:5070") == usual);
    }
    for (const char *bad :
         {"SIP/2.0/", "SIP/2.0/ ", "SIP/2.0//TCP", "SIP/2.0/@TCP", "SIP/2.0TCP"}) {
        INFO(describe(bad));
        CHECK(outcome_of(std::string("Via: ") + bad + " 192.0.2.8:5070").rc == SIPALG_R_BAD_HEADER);
    }
    // The word is exactly 8 bytes: a Via value that ends right after it.
    CHECK(outcome_of("Via: SIP/2.0/").rc == SIPALG_R_BAD_HEADER);
    CHECK(outcome_of("Via: SIP/2.0/U").rc == SIPALG_R_BAD_HEADER);
}
