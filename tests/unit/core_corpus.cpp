// The message corpus (tests/corpus): vendor messages, RFC 3665 flows and
// RFC 4475 torture messages written from the RFC's descriptions.
//   valid/*.sip            must parse (UDP) and survive the properties below
//   invalid/<reason>-*.sip must be refused with exactly that reason
#include "core_test_util.hpp"

#include <set>

using namespace coretest;

TEST_CASE("corpus: valid messages are understood", "[corpus]") {
    auto files = corpus("valid");
    REQUIRE(files.size() >= 40);
    for (const auto &f : files) {
        INFO(f.name);
        auto p = parse(f.bytes);
        CHECK(sipalg_reason_name(p.rc) == std::string("ok"));
    }
}

TEST_CASE("corpus: invalid messages are refused with the expected reason", "[corpus]") {
    auto files = corpus("invalid");
    REQUIRE(files.size() >= 25);
    for (const auto &f : files) {
        INFO(f.name);
        std::string want = f.name.substr(0, f.name.find('-'));
        auto p = parse(f.bytes);
        CHECK(sipalg_reason_name(p.rc) == want);
        // Whatever the plan would be, there is no plan for them.
        CHECK(p.rc != SIPALG_OK);
    }
}

namespace {

// Text of a ref's address as it appears in the message, brackets stripped.
std::string ref_text(const std::string &msg, const sipalg_ref &r) {
    std::string t = msg.substr(r.host_off, r.host_len);
    if (!t.empty() && t.front() == '[')
        t = t.substr(1, t.size() - 2);
    return t;
}

sipalg_addr replacement(const sipalg_addr &a, int family, int n) {
    std::string s =
        family == 4 ? "198.18.7." + std::to_string(n) : "2001:db8:ffff::" + std::to_string(n);
    (void)a;
    return addr(s.c_str());
}

} // namespace

TEST_CASE("corpus: A->B then B->A restores every byte; invariants hold", "[corpus][property]") {
    int round_trips = 0;
    for (const auto &f : corpus("valid")) {
        INFO(f.name);
        auto p = parse(f.bytes);
        REQUIRE(p.rc == SIPALG_OK);
        // Addresses that are written canonically everywhere they appear.
        std::vector<sipalg_addr> addrs;
        std::set<std::string> bad;
        for (unsigned i = 0; i < p.msg->n_refs; i++) {
            const sipalg_ref &r = p.msg->refs[i];
            if (r.kind == SIPALG_REF_VIA_RPORT)
                continue;
            if (ref_text(f.bytes, r) != fmt(r.addr))
                bad.insert(fmt(r.addr));
        }
        for (unsigned i = 0; i < p.msg->n_refs; i++) {
            const sipalg_ref &r = p.msg->refs[i];
            if (bad.count(fmt(r.addr)) ||
                std::any_of(addrs.begin(), addrs.end(),
                            [&](const sipalg_addr &a) { return fmt(a) == fmt(r.addr); }))
                continue;
            addrs.push_back(r.addr);
        }
        int n = 1;
        for (const sipalg_addr &a : addrs) {
            if (fmt(a) == "0.0.0.0" || fmt(a) == "::")
                continue;
            for (int fam : {4, 6}) {
                sipalg_map m{};
                m.flags = SIPALG_MAP_ACTIVE;
                m.from = a;
                m.to = replacement(a, fam, n++);
                sipalg_xlat x = xlat(m);
                auto fwd = rewrite(f.bytes, x);
                REQUIRE(fwd.plan_rc == SIPALG_OK);
                CHECK(fwd.plan->n_edits > 0);
                auto again = parse(fwd.out);
                REQUIRE(again.rc == SIPALG_OK);
                if (again.msg->flags & SIPALG_MSGF_CL)
                    CHECK(again.msg->cl_value == again.msg->body_len);
                CHECK(span(fwd.out, again.msg->call_id) == span(f.bytes, p.msg->call_id));
                auto back = rewrite(fwd.out, reverse(x));
                REQUIRE(back.plan_rc == SIPALG_OK);
                // Known exception: a bracketed IPv6 received= that goes
                // through IPv4 comes back unbracketed (RFC 3261 grammar).
                bool lossy = false;
                for (unsigned i = 0; i < p.msg->n_refs; i++)
                    lossy |= p.msg->refs[i].kind == SIPALG_REF_VIA_RECEIVED &&
                             (p.msg->refs[i].flags & SIPALG_REFF_BRACKETS) && fam != a.family;
                if (!lossy)
                    CHECK(back.out == f.bytes);
                round_trips++;
            }
        }
        // A translation of an address that is not there changes nothing.
        auto none = rewrite(f.bytes, xlat(map("198.51.100.222", -1, "198.18.0.1", -1)));
        CHECK(none.plan_rc == SIPALG_OK);
        CHECK(none.plan->n_edits == 0);
    }
    CHECK(round_trips >= 60);
}

TEST_CASE("corpus: with media overrides, round trip restores the ports", "[corpus][property]") {
    for (const auto &f : corpus("valid")) {
        auto p = parse(f.bytes);
        REQUIRE(p.rc == SIPALG_OK);
        if (!p.msg->n_media || p.msg->media[0].addr.family != 4 ||
            fmt(p.msg->media[0].addr) == "0.0.0.0")
            continue;
        INFO(f.name);
        const sipalg_msg &m = *p.msg;
        sipalg_map mp{};
        mp.flags = SIPALG_MAP_ACTIVE;
        mp.from = m.media[0].addr;
        mp.to = addr("198.18.9.9");
        std::vector<sipalg_media_override> ov, back_ov;
        for (unsigned k = 0; k < m.n_media; k++) {
            ov.push_back({(unsigned short)(30000 + 2 * k), (unsigned short)(30001 + 2 * k)});
            back_ov.push_back(
                {m.media[k].port,
                 (unsigned short)((m.media[k].flags & SIPALG_MEDIAF_RTCP) ? m.media[k].rtcp_port
                                                                          : 0)});
        }
        auto fwd = rewrite(f.bytes, xlat(mp), ov);
        REQUIRE(fwd.plan_rc == SIPALG_OK);
        auto again = parse(fwd.out);
        REQUIRE(again.rc == SIPALG_OK);
        for (unsigned k = 0; k < m.n_media; k++) {
            bool translated = fmt(m.media[k].addr) == fmt(mp.from) && m.media[k].port != 0;
            unsigned want = translated ? 30000 + 2 * k : m.media[k].port;
            CHECK(again.msg->media[k].port == want);
        }
        auto back = rewrite(fwd.out, reverse(xlat(mp)), back_ov);
        CHECK(back.out == f.bytes);
    }
}

TEST_CASE("corpus: host:port mappings with a port change round-trip", "[corpus][property]") {
    int trips = 0;
    for (const auto &f : corpus("valid")) {
        auto p = parse(f.bytes);
        REQUIRE(p.rc == SIPALG_OK);
        const sipalg_msg &m = *p.msg;
        for (unsigned i = 0; i < m.n_refs; i++) {
            const sipalg_ref &r = m.refs[i];
            if (!(r.flags & SIPALG_REFF_PORT) || r.kind == SIPALG_REF_VIA_RPORT ||
                ref_text(f.bytes, r) != fmt(r.addr))
                continue;
            // A port-less URI of the same address whose default is this port
            // would gain an explicit port: not byte-reversible by design.
            bool ambiguous = false;
            for (unsigned j = 0; j < m.n_refs; j++)
                ambiguous |= fmt(m.refs[j].addr) == fmt(r.addr) &&
                             !(m.refs[j].flags & SIPALG_REFF_PORT) && m.refs[j].port == r.port;
            if (ambiguous)
                continue;
            INFO(f.name << " " << fmt(r.addr) << ":" << r.port);
            sipalg_map mp{};
            mp.flags = SIPALG_MAP_ACTIVE | SIPALG_MAP_PORT;
            mp.from = r.addr;
            mp.from_port = r.port;
            mp.to = addr(r.addr.family == 4 ? "198.18.3.3" : "2001:db8:ffff::33");
            mp.to_port = (unsigned short)(r.port == 65535 ? 1 : r.port + 1);
            auto fwd = rewrite(f.bytes, xlat(mp));
            REQUIRE(fwd.plan_rc == SIPALG_OK);
            CHECK(fwd.plan->n_edits > 0);
            CHECK(fwd.out.find(":" + std::to_string(mp.to_port)) != std::string::npos);
            auto back = rewrite(fwd.out, reverse(xlat(mp)));
            CHECK(back.out == f.bytes);
            trips++;
            break;
        }
    }
    CHECK(trips >= 15);
}

// Inputs the fuzzer once broke (regress/) and the inputs of its long runs
// that reach new code (fuzz/, a minimized libFuzzer corpus): whatever they
// parse as, rewriting them must keep them parseable.
TEST_CASE("corpus: fuzzer regressions and corpus", "[corpus][regress]") {
    const sipalg_xlat xs[] = {
        xlat(map("192.168.0.31", 5010, "212.19.6.166", 5010)),
        xlat(map("2001:db8::1", -1, "192.0.2.1", -1)),
        xlat(map("192.168.0.31", 5060, "2001:db8:ffff::2", 5062)),
    };
    auto files = corpus("regress");
    for (auto &f : corpus("fuzz"))
        files.push_back(std::move(f));
    for (const auto &f : files) {
        INFO(f.name);
        auto p = parse(f.bytes);
        if (p.rc != SIPALG_OK)
            continue;
        for (const auto &x : xs) {
            auto r = rewrite(f.bytes, x);
            if (r.plan_rc == SIPALG_OK)
                CHECK(parse(r.out).rc == SIPALG_OK);
        }
    }
}
