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
        // The line to blame, if any, starts a line of the message.
        unsigned int e = p.msg->err_off;
        CHECK((e == SIPALG_ERR_OFF_NONE ||
               (e < f.bytes.size() && (e == 0 || f.bytes[e - 1] == '\n'))));
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

bool lower_via(const sipalg_ref &r) {
    return (r.kind == SIPALG_REF_VIA_SENTBY || r.kind == SIPALG_REF_VIA_RECEIVED ||
            r.kind == SIPALG_REF_VIA_RPORT || r.kind == SIPALG_REF_VIA_MADDR) &&
           !(r.flags & SIPALG_REFF_TOP_VIA);
}

// Would the same address-only mapping on both sides rewrite some field
// holding a? Every field belongs to one side but the Vias below the topmost
// (never rewritten) and the bindings in a 2xx to REGISTER (exact
// address:port only, which an address-only mapping never is).
bool rewritable(const sipalg_msg &m, const sipalg_addr &a) {
    bool reg_2xx =
        m.kind == SIPALG_KIND_RESPONSE && m.cseq_method == SIPALG_M_REGISTER && m.status / 100 == 2;
    for (unsigned i = 0; i < m.n_refs; i++) {
        const sipalg_ref &r = m.refs[i];
        if (fmt(r.addr) == fmt(a) && !lower_via(r) && !(reg_2xx && r.kind == SIPALG_REF_CONTACT))
            return true;
    }
    return false;
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
                sipalg_xlat x = xlat(m, m);
                auto fwd = rewrite(f.bytes, x);
                REQUIRE(fwd.plan_rc == SIPALG_OK);
                CHECK((fwd.plan->n_edits > 0) == rewritable(*p.msg, a));
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
            if (!(r.flags & SIPALG_REFF_PORT) || r.kind == SIPALG_REF_VIA_RPORT || lower_via(r) ||
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
            auto fwd = rewrite(f.bytes, xlat(mp, mp));
            REQUIRE(fwd.plan_rc == SIPALG_OK);
            CHECK(fwd.plan->n_edits > 0);
            CHECK(fwd.out.find(":" + std::to_string(mp.to_port)) != std::string::npos);
            auto back = rewrite(fwd.out, reverse(xlat(mp, mp)));
            CHECK(back.out == f.bytes);
            trips++;
            break;
        }
    }
    CHECK(trips >= 15);
}

// Every input of the corpus (valid/, invalid/, the fuzzer's regressions in
// regress/ and its minimized corpus in fuzz/) that parses meets translations
// derived from its own addresses, so that they are actually rewritten: the
// mapping's "from" is the message's first Via sent-by, its first IP-literal
// address, its first rport= (with the address it pairs with) and its SDP c=
// address, in either slot (the other one holds an active mapping that
// matches nothing), address-only or exact-port (with a port change), to the
// same family or the other one. Messages are taken as the fuzzer takes them:
// the whole input as UDP, its first framed message as TCP. For each mapping:
//   - the plan is made, or refused for a cap (text, edits, length) only;
//   - where the mapping's side wrote the address (core.h: "who wrote it"),
//     it is rewritten (the plan is not empty); where only the other side or
//     a Via below the top one holds it, nothing changes at all;
//   - every edit replaces exactly one occurrence the mapping should rewrite
//     (host, host:port, rport digits, SDP "IP4"/"IP6") or the Content-Length
//     digits: nothing else changes;
//   - the output, applied in place, parses again, with the same occurrences
//     in the same order, the rewritten ones holding the new address (and
//     port) and the others their old text;
//   - planning the reverse mapping on the output gives back the input, but
//     for the exceptions in core.h's "Reversibility": ":port" added to a URI
//     that had none; an IPv6 received= in brackets that went through IPv4
//     comes back without them; what the core writes in its own form
//     (addresses, "IP4"/"IP6", Content-Length digits). Each is counted.
namespace {

bool hold(const sipalg_addr &a) {
    return std::all_of(a.a, a.a + 16, [](unsigned char c) { return c == 0; });
}

bool same_addr(const sipalg_addr &a, const sipalg_addr &b) {
    return a.family == b.family && std::memcmp(a.a, b.a, 16) == 0;
}

// URI hosts and Via sent-by: matched on address and port.
bool uri_kind(unsigned kind) {
    return kind == SIPALG_REF_RURI || kind == SIPALG_REF_VIA_SENTBY || kind == SIPALG_REF_CONTACT ||
           kind == SIPALG_REF_FROM || kind == SIPALG_REF_TO;
}

bool sdp_kind(unsigned kind) {
    return kind == SIPALG_REF_SDP_O || kind == SIPALG_REF_SDP_C || kind == SIPALG_REF_SDP_MEDIA_C ||
           kind == SIPALG_REF_SDP_RTCP;
}

bool via_kind(unsigned kind) {
    return kind == SIPALG_REF_VIA_SENTBY || kind == SIPALG_REF_VIA_RECEIVED ||
           kind == SIPALG_REF_VIA_RPORT || kind == SIPALG_REF_VIA_MADDR;
}

// core.h's rewrite rules, restated: the mapping that rewrites r, if any.
// Who wrote it: the sender's fields go by map[0], the receiver's by map[1],
// Vias below the top one by neither; a 2xx to REGISTER's Contacts are the
// receiver's, exact address:port only.
const sipalg_map *hit(const sipalg_msg &msg, const sipalg_xlat &x, const sipalg_ref &r) {
    if (hold(r.addr))
        return nullptr;
    const bool request = msg.kind == SIPALG_KIND_REQUEST;
    const bool reg_2xx =
        !request && msg.cseq_method == SIPALG_M_REGISTER && msg.status >= 200 && msg.status <= 299;
    int slot = 0; // SDP, and what the sender wrote about itself
    if (via_kind(r.kind)) {
        if (!(r.flags & SIPALG_REFF_TOP_VIA))
            return nullptr;
        slot = request ? 0 : 1;
    } else if (r.kind == SIPALG_REF_RURI || r.kind == SIPALG_REF_TO) {
        slot = request ? 1 : 0;
    } else if (r.kind == SIPALG_REF_FROM) {
        slot = request ? 0 : 1;
    } else if (r.kind == SIPALG_REF_CONTACT) {
        slot = reg_2xx ? 1 : 0;
    }
    const sipalg_map &m = x.map[slot];
    if (!(m.flags & SIPALG_MAP_ACTIVE) || !same_addr(m.from, r.addr))
        return nullptr;
    const bool exact = r.port == m.from_port;
    if (r.kind == SIPALG_REF_CONTACT && reg_2xx && !exact)
        return nullptr;
    if (r.kind == SIPALG_REF_VIA_RPORT && !(exact && (m.flags & SIPALG_MAP_PORT)))
        return nullptr; // only the translated port changes
    return &m;
}

// Does the rewrite of r under mp (its hit) change its port? Only exactly
// from_port does; any other port is kept.
bool port_change(const sipalg_map *mp, const sipalg_ref &r) {
    return mp && (mp->flags & SIPALG_MAP_PORT) && r.port == mp->from_port && mp->to_port != r.port;
}

// Address text of a ref, brackets stripped.
std::string host_text(const std::string &msg, const sipalg_ref &r) {
    std::string t = msg.substr(r.host_off, r.host_len);
    if (t.size() >= 2 && t.front() == '[')
        t = t.substr(1, t.size() - 2);
    return t;
}

bool bracketed(const std::string &msg, const sipalg_ref &r) {
    return r.host_len >= 2 && msg[r.host_off] == '[';
}

// The ref an rport= ref takes its address from: the received= of its Via
// if it has one, else its sent-by (the parser records them before it).
unsigned effective(const sipalg_msg &m, unsigned rport) {
    for (unsigned i = rport; i-- > 0;)
        if (m.refs[i].kind == SIPALG_REF_VIA_RECEIVED || m.refs[i].kind == SIPALG_REF_VIA_SENTBY)
            return i;
    FAIL("rport= without a sent-by");
    return 0;
}

struct Edit {
    unsigned off, len;
    std::string text;
};

// in with non-overlapping edits applied.
std::string patched(const std::string &in, std::vector<Edit> edits) {
    std::sort(edits.begin(), edits.end(),
              [](const Edit &a, const Edit &b) { return a.off < b.off; });
    std::string out;
    size_t pos = 0;
    for (const Edit &e : edits) {
        REQUIRE(e.off >= pos);
        out.append(in, pos, e.off - pos);
        out += e.text;
        pos = e.off + e.len;
    }
    out.append(in, pos, std::string::npos);
    return out;
}

struct Seed {
    sipalg_addr addr;
    bool uri;            // a URI host or sent-by: it has a port to map
    unsigned short port; // explicit or default
};

std::vector<Seed> seeds(const sipalg_msg &m) {
    std::vector<Seed> out;
    auto add = [&](int i) {
        if (i < 0 || i >= m.n_refs)
            return;
        const sipalg_ref &r = m.refs[i];
        if (r.kind == SIPALG_REF_VIA_RPORT || hold(r.addr))
            return;
        for (const Seed &s : out)
            if (same_addr(s.addr, r.addr) && s.port == r.port)
                return;
        out.push_back({r.addr, uri_kind(r.kind), r.port});
    };
    for (int i = 0; i < m.n_refs; i++)
        if (m.refs[i].kind == SIPALG_REF_VIA_SENTBY && !hold(m.refs[i].addr)) {
            add(i); // the first Via whose sent-by is an IP literal
            break;
        }
    for (int i = 0; i < m.n_refs; i++)
        if (m.refs[i].kind != SIPALG_REF_VIA_RPORT && !hold(m.refs[i].addr)) {
            add(i); // the first IP literal
            break;
        }
    for (int i = 0; i < m.n_refs; i++)
        if (m.refs[i].kind == SIPALG_REF_VIA_RPORT && !hold(m.refs[i].addr)) {
            // The first rport=N, with the address it pairs with (received=,
            // else sent-by): where the server saw the request come from.
            const sipalg_ref &r = m.refs[i];
            if (std::none_of(out.begin(), out.end(), [&](const Seed &s) {
                    return same_addr(s.addr, r.addr) && s.port == r.port;
                }))
                out.push_back({r.addr, true, r.port});
            break;
        }
    int c = m.sdp_c_ref;
    for (unsigned k = 0; c < 0 && k < m.n_media; k++)
        c = m.media[k].c_ref;
    add(c); // the SDP connection address
    return out;
}

// An address of the family that occurs nowhere in the message, as an
// occurrence or as text; IPv6 ones long, so that messages grow.
sipalg_addr fresh_addr(const std::string &msg, const sipalg_msg &m, int family, int &n) {
    for (;;) {
        n++;
        std::string t =
            family == 4 ? "198.18." + std::to_string(n / 200) + "." + std::to_string(1 + n % 200)
                        : "2001:db8:ffff:abcd:1234:5678:9abc:" + std::to_string(n);
        sipalg_addr a = addr(t.c_str());
        if (msg.find(fmt(a)) != std::string::npos)
            continue;
        if (std::none_of(m.refs, m.refs + m.n_refs,
                         [&](const sipalg_ref &r) { return same_addr(r.addr, a); }))
            return a;
    }
}

enum class Outcome { refused, not_rewritten, not_reparsed, rewritten };

struct Tally {
    int mappings = 0, refused = 0, rewritten = 0, exact = 0, port_added = 0, unbracketed = 0,
        canonical = 0, unowned = 0;
};

// One mapping on one message: plan, apply in place, re-parse, reverse.
Outcome check_one(const std::string &in, const sipalg_msg &m, const sipalg_xlat &x, int transport,
                  Tally &t) {
    t.mappings++;
    auto fwd = rewrite(in, x, {}, transport);
    REQUIRE(fwd.parse_rc == SIPALG_OK);
    if (fwd.plan_rc == SIPALG_R_TEXT_FULL || fwd.plan_rc == SIPALG_R_TOO_MANY_EDITS ||
        fwd.plan_rc == SIPALG_R_TOO_LONG) {
        CHECK(fwd.plan->n_edits == 0);
        CHECK(fwd.out == in);
        t.refused++;
        return Outcome::refused;
    }
    CHECK(sipalg_reason_name(fwd.plan_rc) == std::string("ok"));
    const sipalg_plan &plan = *fwd.plan;
    if (fwd.plan_rc != SIPALG_OK)
        return Outcome::not_rewritten;

    // Where the edits should be, and what the reverse should give back.
    std::vector<std::pair<unsigned, unsigned>> want;
    std::vector<Edit> back_fix;
    bool port_added = false, unbracketed = false, canonical = false;
    for (unsigned i = 0; i < m.n_refs; i++) {
        const sipalg_ref &r = m.refs[i];
        const sipalg_map *mp = hit(m, x, r);
        if (!mp)
            continue;
        const bool ported = port_change(mp, r);
        if (r.kind == SIPALG_REF_VIA_RPORT) {
            if (ported)
                want.push_back({r.port_off, r.port_len});
            continue;
        }
        if (uri_kind(r.kind) && ported && (r.flags & SIPALG_REFF_PORT))
            want.push_back({r.host_off, r.port_off + r.port_len - r.host_off}); // host:port
        else
            want.push_back({r.host_off, r.host_len});
        const bool family_change = mp->to.family != r.addr.family;
        const char *atype = r.addr.family == 4 ? "IP4" : "IP6";
        if (r.atype_off && family_change)
            want.push_back({r.atype_off, 3});
        // What the core writes on the way back, where it is not the input.
        std::string back = fmt(r.addr);
        canonical |= back != host_text(in, r);
        bool brackets = bracketed(in, r);
        if (r.kind == SIPALG_REF_VIA_RECEIVED && family_change && brackets) {
            brackets = false; // documented exception
            unbracketed = true;
        }
        if (brackets)
            back = "[" + back + "]";
        if (uri_kind(r.kind) && ported && !(r.flags & SIPALG_REFF_PORT)) {
            back += ":" + std::to_string(r.port); // documented exception
            port_added = true;
        }
        if (back != in.substr(r.host_off, r.host_len))
            back_fix.push_back({r.host_off, r.host_len, back});
        if (r.atype_off && family_change && in.compare(r.atype_off, 3, atype) != 0) {
            back_fix.push_back({r.atype_off, 3, atype});
            canonical = true;
        }
    }
    // A mapping that meets only what its side did not write (a lower Via,
    // the other side's fields) changes nothing.
    if (want.empty()) {
        CHECK(plan.n_edits == 0);
        CHECK(fwd.out == in);
        t.unowned++;
        return Outcome::not_rewritten;
    }
    CHECK(plan.n_edits > 0);
    // The output parses, with the same occurrences, rewritten where they
    // should be.
    auto again = parse(fwd.out, transport);
    CHECK(sipalg_reason_name(again.rc) == std::string("ok"));
    if (again.rc != SIPALG_OK)
        return Outcome::not_reparsed;
    const sipalg_msg &m2 = *again.msg;
    CHECK(m2.kind == m.kind);
    CHECK(m2.cseq == m.cseq);
    CHECK(span(fwd.out, m2.call_id) == span(in, m.call_id));
    CHECK(m2.n_contacts == m.n_contacts);
    CHECK(m2.n_media == m.n_media);
    if (m2.flags & SIPALG_MSGF_CL)
        CHECK(m2.cl_value == m2.body_len);
    CHECK(m2.n_refs == m.n_refs);
    // Exactly the edits wanted, the Content-Length digits included when the
    // body length changed: nothing else is touched.
    if ((m.flags & SIPALG_MSGF_CL) && m2.body_len != m.body_len) {
        want.push_back({m.cl_off, m.cl_len});
        const std::string cl = std::to_string(m.body_len);
        if (in.compare(m.cl_off, m.cl_len, cl) != 0) {
            back_fix.push_back({m.cl_off, m.cl_len, cl}); // e.g. leading zeros
            canonical = true;
        }
    }
    std::vector<std::pair<unsigned, unsigned>> got;
    for (unsigned i = 0; i < plan.n_edits; i++)
        got.push_back({plan.edits[i].off, plan.edits[i].len});
    std::sort(want.begin(), want.end());
    CHECK(got == want);
    for (unsigned i = 0; i < m.n_refs && i < m2.n_refs; i++) {
        const sipalg_ref &r = m.refs[i], &r2 = m2.refs[i];
        INFO("ref " << i << " kind " << (int)r.kind << " \"" << in.substr(r.host_off, r.host_len)
                    << "\"");
        CHECK(r2.kind == r.kind);
        const sipalg_map *mp = hit(m, x, r);
        if (uri_kind(r.kind) || r.kind == SIPALG_REF_VIA_RPORT)
            CHECK(r2.port == (port_change(mp, r) ? mp->to_port : r.port));
        if (r.kind == SIPALG_REF_VIA_RPORT) {
            // Its address: that of the Via's received= or sent-by.
            const sipalg_ref &eff = m.refs[effective(m, i)];
            const sipalg_map *emp = hit(m, x, eff);
            CHECK(fmt(r2.addr) == fmt(emp ? emp->to : eff.addr));
            continue;
        }
        if (!mp) {
            CHECK(fwd.out.substr(r2.host_off, r2.host_len) == in.substr(r.host_off, r.host_len));
            continue;
        }
        CHECK(fmt(r2.addr) == fmt(mp->to));
        CHECK(host_text(fwd.out, r2) == fmt(mp->to));
        // RFC 3261: an IPv6 URI host is bracketed; SDP never brackets.
        if (uri_kind(r.kind) || r.kind == SIPALG_REF_VIA_MADDR)
            CHECK(bracketed(fwd.out, r2) == (mp->to.family == 6));
        if (r.kind == SIPALG_REF_VIA_RECEIVED) // IPv6 keeps its style
            CHECK(bracketed(fwd.out, r2) == (mp->to.family == 6 && bracketed(in, r)));
        if (sdp_kind(r.kind))
            CHECK(!bracketed(fwd.out, r2));
    }

    // And back.
    auto back = rewrite(fwd.out, reverse(x), {}, transport);
    CHECK(back.plan_rc == SIPALG_OK);
    CHECK(back.out == patched(in, back_fix));
    t.rewritten++;
    t.exact += back.out == in;
    t.port_added += port_added;
    t.unbracketed += unbracketed;
    t.canonical += canonical;
    return Outcome::rewritten;
}

struct Counts {
    int inputs = 0, valid = 0, with_ip = 0, rewritten = 0, reparsed = 0;
};

// Every derived mapping on one message. Returns false if it holds no
// address to derive one from.
bool check_message(const std::string &in, int transport, bool &rewritten, bool &reparsed,
                   Tally &t) {
    auto p = parse(in, transport);
    REQUIRE(p.rc == SIPALG_OK);
    const sipalg_msg &m = *p.msg;
    const std::vector<Seed> from = seeds(m);
    if (from.empty())
        return false;
    // The other slot: active, matching nothing here nor in the output.
    sipalg_map decoy{};
    if (in.find("198.51.100.22") == std::string::npos)
        decoy = map("198.51.100.222", -1, "198.51.100.223", -1);
    int fresh = 0;
    for (const Seed &s : from)
        for (int slot : {0, 1})
            for (bool by_port : {false, true})
                for (bool other_family : {false, true}) {
                    if (by_port && !s.uri)
                        continue;
                    const int fam = (s.addr.family == 4) != other_family ? 4 : 6;
                    sipalg_map mp{};
                    mp.flags = SIPALG_MAP_ACTIVE | (by_port ? SIPALG_MAP_PORT : 0);
                    mp.from = s.addr;
                    mp.to = fresh_addr(in, m, fam, fresh);
                    if (by_port) {
                        mp.from_port = s.port;
                        mp.to_port = (unsigned short)(s.port == 65535 ? 1 : s.port + 1);
                    }
                    sipalg_xlat x{};
                    x.map[slot] = mp;
                    x.map[1 - slot] = decoy;
                    INFO((transport == SIPALG_TCP ? "TCP" : "UDP")
                         << " map[" << slot << "] " << fmt(mp.from) << ":" << mp.from_port << " -> "
                         << fmt(mp.to) << ":" << mp.to_port << (by_port ? "" : " (address only)"));
                    switch (check_one(in, m, x, transport, t)) {
                    case Outcome::rewritten:
                        rewritten = true;
                        break;
                    case Outcome::not_reparsed:
                        rewritten = true;
                        reparsed = false;
                        break;
                    default:
                        break;
                    }
                }
    return true;
}

} // namespace

TEST_CASE("corpus: every input is rewritten under mappings of its own addresses",
          "[corpus][regress][property]") {
    Counts total;
    Tally t;
    for (const char *sub : {"valid", "invalid", "regress", "fuzz"}) {
        Counts n;
        for (const auto &f : corpus(sub)) {
            INFO(sub << "/" << f.name);
            n.inputs++;
            // As the fuzzer takes it: the whole input as a UDP datagram, and
            // the first framed message as TCP.
            std::vector<std::pair<int, std::string>> msgs;
            if (parse(f.bytes).rc == SIPALG_OK)
                msgs.push_back({SIPALG_UDP, f.bytes});
            unsigned len = 0;
            int reason = 0;
            if (sipalg_frame(u(f.bytes), (unsigned)f.bytes.size(), &len, &reason) ==
                    SIPALG_FRAME_COMPLETE &&
                parse(f.bytes.substr(0, len), SIPALG_TCP).rc == SIPALG_OK)
                msgs.push_back({SIPALG_TCP, f.bytes.substr(0, len)});
            if (msgs.empty())
                continue;
            n.valid++;
            bool with_ip = false, rewritten = false, reparsed = true;
            for (const auto &[transport, msg] : msgs)
                with_ip |= check_message(msg, transport, rewritten, reparsed, t);
            n.with_ip += with_ip;
            n.rewritten += rewritten;
            n.reparsed += rewritten && reparsed;
        }
        std::printf("corpus %-7s: %3d inputs, %3d valid, %3d with an IP literal, %3d rewritten, "
                    "%3d re-parsed\n",
                    sub, n.inputs, n.valid, n.with_ip, n.rewritten, n.reparsed);
        total.inputs += n.inputs;
        total.valid += n.valid;
        total.with_ip += n.with_ip;
        total.rewritten += n.rewritten;
        total.reparsed += n.reparsed;
    }
    std::printf("corpus total  : %3d inputs, %3d valid, %3d with an IP literal, %3d rewritten, "
                "%3d re-parsed\n"
                "corpus mappings: %d tried, %d rewritten, %d refused (caps), %d meeting only "
                "fields of the other side or lower Vias (nothing changed); reversed: %d byte "
                "for byte, %d with a port added, %d with received= unbracketed, %d with text "
                "the core writes in its own form\n",
                total.inputs, total.valid, total.with_ip, total.rewritten, total.reparsed,
                t.mappings, t.rewritten, t.refused, t.unowned, t.exact, t.port_added, t.unbracketed,
                t.canonical);
    std::fflush(stdout);
    // The floor. A valid input holding an address is parsed (as UDP and/or
    // TCP) and planned under mappings of its own addresses, so all of them
    // should be rewritten and re-parsed; allow 20% for caps (text, edits,
    // length). If the mappings stopped hitting, or the output stopped
    // parsing, the counts fall below it. The corpus must be there too.
    CHECK(total.inputs >= 250);
    CHECK(total.with_ip >= 50);
    CHECK(total.reparsed * 10 >= total.with_ip * 8);
    CHECK(t.rewritten * 10 >= (t.mappings - t.unowned) * 8);
}
