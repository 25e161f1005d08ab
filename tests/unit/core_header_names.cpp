// Header-name dispatch (one switch on the length, words compared with the
// case bit set): every name the parser knows in any case, and names one
// byte away from them, which must be treated as unknown headers.
#include "core_test_util.hpp"

using namespace coretest;

namespace {

// A minimal request with one extra header line; returns the parse result
// and leaves the message in *m.
int parse_with(const std::string &extra, sipalg_msg *m) {
    const std::string msg = crlf("OPTIONS sip:b@192.0.2.9 SIP/2.0\n"
                                 "Via: SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1\n"
                                 "From: <sip:a@192.0.2.7>;tag=1\n"
                                 "To: <sip:b@192.0.2.9>\n"
                                 "Call-ID: x\n"
                                 "CSeq: 1 OPTIONS\n" +
                                 extra + "\n\n");
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
