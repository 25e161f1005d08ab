// Helpers for the core's unit tests (userspace only).
#pragma once

#if __has_include(<catch2/catch_test_macros.hpp>)
#include <catch2/catch_test_macros.hpp>
#else
#include <catch2/catch.hpp>
#endif

#include <sipalg/core.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace coretest {

// Test messages are written with "\n"; SIP wants CRLF.
inline std::string crlf(const std::string &s) {
    std::string out;
    out.reserve(s.size() + s.size() / 20);
    for (char c : s) {
        if (c == '\n')
            out += '\r';
        out += c;
    }
    return out;
}

// Replace "{CL}" with the length of what follows the first empty line.
inline std::string with_cl(std::string s) {
    auto pos = s.find("{CL}");
    if (pos == std::string::npos)
        return s;
    s.replace(pos, 4, "");
    auto body = s.find("\r\n\r\n");
    size_t blen = body == std::string::npos ? 0 : s.size() - (body + 4);
    if (body == std::string::npos) {
        body = s.find("\n\n");
        blen = body == std::string::npos ? 0 : s.size() - (body + 2);
    }
    auto n = std::to_string(blen);
    s.insert(pos, n);
    // The inserted digits shift nothing in the body, so blen stays right.
    return s;
}

inline const unsigned char *u(const std::string &s) {
    return reinterpret_cast<const unsigned char *>(s.data());
}

inline sipalg_addr addr(const char *text) {
    sipalg_addr a{};
    REQUIRE(
        sipalg_addr_parse(reinterpret_cast<const unsigned char *>(text), std::strlen(text), &a));
    return a;
}

inline std::string fmt(const sipalg_addr &a) {
    unsigned char buf[64];
    unsigned n = sipalg_addr_format(&a, buf, sizeof buf);
    return std::string(reinterpret_cast<char *>(buf), n);
}

// port < 0: a mapping without ports (address only).
inline sipalg_map map(const char *from, int from_port, const char *to, int to_port) {
    sipalg_map m{};
    m.flags = SIPALG_MAP_ACTIVE | (from_port >= 0 ? SIPALG_MAP_PORT : 0);
    m.from = addr(from);
    m.to = addr(to);
    m.from_port = from_port >= 0 ? (unsigned short)from_port : 0;
    m.to_port = to_port >= 0 ? (unsigned short)to_port : 0;
    return m;
}

inline sipalg_xlat xlat(const sipalg_map &a) {
    sipalg_xlat x{};
    x.map[0] = a;
    return x;
}

inline sipalg_xlat xlat(const sipalg_map &a, const sipalg_map &b) {
    sipalg_xlat x{};
    x.map[0] = a;
    x.map[1] = b;
    return x;
}

inline sipalg_xlat reverse(const sipalg_xlat &x) {
    sipalg_xlat r = x;
    for (auto &m : r.map) {
        std::swap(m.from, m.to);
        std::swap(m.from_port, m.to_port);
    }
    return r;
}

inline std::string span(const std::string &s, sipalg_span sp) {
    return s.substr(sp.off, sp.len);
}

struct Parsed {
    std::unique_ptr<sipalg_msg> msg = std::make_unique<sipalg_msg>();
    int rc = -1;
};

inline Parsed parse(const std::string &s, int transport = SIPALG_UDP) {
    Parsed p;
    p.rc = sipalg_parse(u(s), (unsigned)s.size(), transport, p.msg.get());
    return p;
}

// Edits sorted, non-overlapping, inside the message, text inside the text
// buffer, none touching the Call-ID value.
inline void check_plan(const std::string &in, const sipalg_msg &m, const sipalg_plan &p) {
    REQUIRE(p.n_edits <= SIPALG_MAX_EDITS);
    REQUIRE(p.text_used <= SIPALG_MAX_TEXT);
    unsigned prev_end = 0;
    for (unsigned i = 0; i < p.n_edits; i++) {
        const auto &e = p.edits[i];
        REQUIRE(e.off >= prev_end);
        REQUIRE(e.off + e.len <= in.size());
        REQUIRE(e.text_off + e.text_len <= p.text_used);
        if (m.call_id.len) {
            bool disjoint =
                e.off + e.len <= m.call_id.off || e.off >= m.call_id.off + m.call_id.len;
            REQUIRE(disjoint);
        }
        prev_end = e.off + e.len;
    }
}

// The obviously correct way to apply a plan, the oracle for the core's
// in-place applier: copy the message, edit by edit. The plan must be valid
// (sorted, non-overlapping, inside the message and the text: check_plan).
inline std::string apply_reference(const std::string &in, const sipalg_plan &p) {
    std::string out;
    size_t pos = 0;
    for (unsigned i = 0; i < p.n_edits; i++) {
        const sipalg_edit &e = p.edits[i];
        out.append(in, pos, e.off - pos);
        out.append(reinterpret_cast<const char *>(p.text) + e.text_off, e.text_len);
        pos = e.off + e.len;
    }
    out.append(in, pos, std::string::npos);
    return out;
}

struct Rewrite {
    int parse_rc = -1, plan_rc = -1;
    std::unique_ptr<sipalg_msg> msg = std::make_unique<sipalg_msg>();
    std::unique_ptr<sipalg_plan> plan = std::make_unique<sipalg_plan>();
    std::string out;
};

inline Rewrite rewrite(const std::string &in, const sipalg_xlat &x,
                       const std::vector<sipalg_media_override> &ov = {},
                       int transport = SIPALG_UDP) {
    Rewrite r;
    r.parse_rc = sipalg_parse(u(in), (unsigned)in.size(), transport, r.msg.get());
    if (r.parse_rc != SIPALG_OK) {
        r.out = in;
        return r;
    }
    r.plan_rc = sipalg_make_plan(u(in), r.msg.get(), &x, ov.empty() ? nullptr : ov.data(),
                                 (unsigned)ov.size(), r.plan.get());
    check_plan(in, *r.msg, *r.plan);
    // Applied the kernel's way, in place, in a buffer just big enough for
    // the message before and after (ASan sees a write past it), and checked
    // against the reference.
    const size_t cap = std::max<size_t>({in.size(), r.plan->new_len, 1});
    std::unique_ptr<unsigned char[]> buf(new unsigned char[cap]);
    std::memcpy(buf.get(), in.data(), in.size());
    long n = sipalg_apply_in_place(buf.get(), (unsigned)cap, (unsigned)in.size(), r.plan.get());
    REQUIRE(n >= 0);
    REQUIRE((unsigned long)n == r.plan->new_len);
    r.out.assign(reinterpret_cast<char *>(buf.get()), (size_t)n);
    REQUIRE(r.out == apply_reference(in, *r.plan));
    return r;
}

struct CorpusFile {
    std::string name;
    std::string bytes;
};

inline std::vector<CorpusFile> corpus(const std::string &sub) {
    std::vector<CorpusFile> files;
    std::filesystem::path dir = std::filesystem::path(SIPALG_CORPUS_DIR) / sub;
    for (const auto &ent : std::filesystem::directory_iterator(dir)) {
        if (!ent.is_regular_file())
            continue;
        std::ifstream f(ent.path(), std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        files.push_back({ent.path().filename().string(), ss.str()});
    }
    std::sort(files.begin(), files.end(),
              [](const CorpusFile &a, const CorpusFile &b) { return a.name < b.name; });
    return files;
}

} // namespace coretest
