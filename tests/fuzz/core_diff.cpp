// Differential oracle for changes to the core that must not change what it
// concludes: prints, for each input file and for deterministic mutations of
// it, a digest of everything the core's API returns (frame, peek, parse with
// every field of the message, plans under the fuzzer's translations).
// scripts/core-diff.sh builds this once against an older revision's core and
// once against the working tree's, and compares the two outputs line by line.
//
// usage: core_diff [-v] [-m MUTATIONS] FILE...
//   -v  print the whole record instead of its digest (to see a difference)
#include "xlats.hpp"

#include <sipalg/core.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

// The record is built as text: slow, but exact and easy to read with -v.
struct Record {
    std::string s;
    void put(const char *name, unsigned long long v) {
        s += name;
        s += '=';
        s += std::to_string(v);
        s += ' ';
    }
    void bytes(const char *name, const void *p, unsigned n) {
        static const char hex[] = "0123456789abcdef";
        s += name;
        s += '=';
        const unsigned char *b = static_cast<const unsigned char *>(p);
        for (unsigned k = 0; k < n; k++) {
            s += hex[b[k] >> 4];
            s += hex[b[k] & 15];
        }
        s += ' ';
    }
    void addr(const char *name, const sipalg_addr &a) {
        put(name, a.family);
        bytes("a", a.a, sizeof(a.a));
    }
    void span(const char *name, const sipalg_span &sp) {
        put(name, sp.off);
        put("len", sp.len);
    }
};

void dump_msg(Record &r, const sipalg_msg &m) {
    r.put("len", m.len);
    r.put("transport", m.transport);
    r.put("kind", m.kind);
    r.put("method", m.method);
    r.put("cseq_method", m.cseq_method);
    r.put("status", m.status);
    r.put("flags", m.flags);
    r.put("cseq", m.cseq);
    r.put("expires", m.expires);
    r.put("cl_value", m.cl_value);
    r.put("cl_off", m.cl_off);
    r.put("cl_len", m.cl_len);
    r.put("body_off", m.body_off);
    r.put("body_len", m.body_len);
    r.span("method_text", m.method_text);
    r.span("ruri", m.ruri);
    r.span("call_id", m.call_id);
    r.span("to_uri", m.to_uri);
    r.span("cseq_method_text", m.cseq_method_text);
    r.put("n_headers", m.n_headers);
    r.put("n_refs", m.n_refs);
    r.put("n_contacts", m.n_contacts);
    r.put("n_media", m.n_media);
    r.put("sdp_o_ref", (unsigned long long)(long long)m.sdp_o_ref);
    r.put("sdp_c_ref", (unsigned long long)(long long)m.sdp_c_ref);
    r.put("sdp_dir", m.sdp_dir);
    r.addr("sdp_c_addr", m.sdp_c_addr);
    r.put("err_off", m.err_off);
    for (unsigned i = 0; i < m.n_refs && i < SIPALG_MAX_REFS; i++) {
        const sipalg_ref &f = m.refs[i];
        r.put("ref.kind", f.kind);
        r.put("flags", f.flags);
        r.put("port", f.port);
        r.put("host_off", f.host_off);
        r.put("host_len", f.host_len);
        if (f.flags & SIPALG_REFF_PORT) {
            r.put("port_off", f.port_off);
            r.put("port_len", f.port_len);
        }
        r.put("atype_off", f.atype_off);
        r.addr("addr", f.addr);
    }
    for (unsigned i = 0; i < m.n_contacts && i < SIPALG_MAX_CONTACTS; i++) {
        const sipalg_contact &c = m.contacts[i];
        r.put("contact.flags", c.flags);
        r.put("ref", (unsigned long long)(long long)c.ref);
        r.put("expires", c.expires);
        r.span("uri", c.uri);
    }
    for (unsigned i = 0; i < m.n_media && i < SIPALG_MAX_MEDIA; i++) {
        const sipalg_media &md = m.media[i];
        r.put("media.type", md.type);
        r.put("proto", md.proto);
        r.put("dir", md.dir);
        r.put("flags", md.flags);
        r.put("c_ref", (unsigned long long)(long long)md.c_ref);
        r.put("rtcp_ref", (unsigned long long)(long long)md.rtcp_ref);
        r.put("port", md.port);
        r.put("port_count", md.port_count);
        r.put("port_off", md.port_off);
        r.put("port_len", md.port_len);
        if (md.flags & SIPALG_MEDIAF_RTCP) {
            r.put("rtcp_port", md.rtcp_port);
            r.put("rtcp_off", md.rtcp_off);
            r.put("rtcp_len", md.rtcp_len);
        }
        r.addr("addr", md.addr);
    }
}

void dump_parse(Record &r, const unsigned char *buf, unsigned len, int transport) {
    static sipalg_msg m;
    static sipalg_plan p;
    int rc = sipalg_parse(buf, len, transport, &m);
    r.put("parse", (unsigned long long)rc);
    dump_msg(r, m);
    if (rc != SIPALG_OK)
        return;
    for (unsigned sel = 0; sel < fuzz_xlats::kCount; sel++) {
        sipalg_media_override ov[SIPALG_MAX_MEDIA];
        for (unsigned k = 0; k < SIPALG_MAX_MEDIA; k++)
            ov[k] = {(unsigned short)((sel & 1) ? 40000 + 2 * k : 0),
                     (unsigned short)((sel & 2) ? 40001 + 2 * k : 0)};
        const sipalg_xlat x = fuzz_xlats::pick_xlat(sel);
        int prc = sipalg_make_plan(buf, &m, &x, ov, SIPALG_MAX_MEDIA, &p);
        r.put("plan", (unsigned long long)prc);
        r.put("n_edits", p.n_edits);
        if (prc != SIPALG_OK)
            continue;
        r.put("new_len", p.new_len);
        r.put("flags", p.flags);
        r.put("new_cl", p.new_cl);
        for (unsigned i = 0; i < p.n_edits; i++) {
            const sipalg_edit &e = p.edits[i];
            r.put("off", e.off);
            r.put("len", e.len);
            r.bytes("text", p.text + e.text_off, e.text_len);
        }
    }
}

void dump_all(Record &r, const unsigned char *buf, unsigned len) {
    dump_parse(r, buf, len, SIPALG_UDP);
    unsigned mlen = 0;
    int reason = 0;
    int fr = sipalg_frame(buf, len, &mlen, &reason);
    r.put("frame", (unsigned long long)fr);
    r.put("mlen", mlen);
    r.put("reason", (unsigned long long)reason);
    if (fr == SIPALG_FRAME_COMPLETE)
        dump_parse(r, buf, mlen, SIPALG_TCP);
    unsigned head = len < SIPALG_PEEK_LEN ? len : SIPALG_PEEK_LEN;
    for (int transport : {SIPALG_UDP, SIPALG_TCP}) {
        int why = -1;
        r.put("peek", (unsigned long long)sipalg_peek(buf, head, len, transport, &why));
        r.put("why", (unsigned long long)why);
    }
    r.put("tls", (unsigned long long)sipalg_peek_tls(buf, head));
}

unsigned long long fnv(const std::string &s) {
    unsigned long long h = 14695981039346656037ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

// Deterministic mutations: the bytes the parsers branch on, put where they
// are likely to matter (every position of short inputs, spread otherwise).
const char *const kTokens[] = {"\r\n",
                               "\n",
                               " ",
                               "\t",
                               ":",
                               ";",
                               ",",
                               "<",
                               ">",
                               "\"",
                               "\\",
                               "@",
                               "[",
                               "]",
                               "/",
                               "=",
                               "?",
                               "*",
                               "0",
                               "9",
                               ".",
                               "::",
                               "\r\n ",
                               "sip:",
                               "SIP/2.0",
                               "v=0\r\n",
                               "IN IP4 ",
                               "192.168.0.31",
                               "[2001:db8::1]",
                               "5060"};

struct Rng {
    unsigned long long x;
    unsigned next(unsigned n) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return n ? (unsigned)(x % n) : 0;
    }
};

std::string mutate(const std::string &in, unsigned seed) {
    Rng rng{0x9e3779b97f4a7c15ull ^ (seed * 0x100000001b3ull) ^ in.size()};
    rng.next(1);
    std::string s = in;
    const unsigned rounds = 1 + rng.next(3);
    for (unsigned k = 0; k < rounds; k++) {
        const unsigned pos = rng.next((unsigned)s.size() + 1);
        switch (rng.next(5)) {
        case 0: // insert a token
            s.insert(pos, kTokens[rng.next(sizeof(kTokens) / sizeof(kTokens[0]))]);
            break;
        case 1: // delete a few bytes
            if (pos < s.size())
                s.erase(pos, 1 + rng.next(4));
            break;
        case 2: // replace a byte
            if (pos < s.size())
                s[pos] = (char)rng.next(256);
            break;
        case 3: // truncate
            s.resize(pos);
            break;
        default: // flip case
            if (pos < s.size())
                s[pos] = (char)(s[pos] ^ 0x20);
            break;
        }
    }
    return s;
}

} // namespace

int main(int argc, char **argv) {
    bool verbose = false;
    unsigned mutations = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!std::strcmp(argv[i], "-v"))
            verbose = true;
        else if (!std::strcmp(argv[i], "-m") && i + 1 < argc)
            mutations = (unsigned)std::strtoul(argv[++i], nullptr, 10);
        else {
            std::fprintf(stderr, "usage: core_diff [-v] [-m MUTATIONS] FILE...\n");
            return 2;
        }
    }
    for (; i < argc; i++) {
        FILE *f = std::fopen(argv[i], "rb");
        if (!f) {
            std::perror(argv[i]);
            return 1;
        }
        std::string in;
        char chunk[4096];
        size_t n;
        while ((n = std::fread(chunk, 1, sizeof(chunk), f)) > 0)
            in.append(chunk, n);
        std::fclose(f);
        for (unsigned k = 0; k <= mutations; k++) {
            const std::string s = k ? mutate(in, k) : in;
            if (s.size() > SIPALG_MAX_MSG_LEN + 1)
                continue;
            Record r;
            dump_all(r, reinterpret_cast<const unsigned char *>(s.data()), (unsigned)s.size());
            if (verbose)
                std::printf("%s#%u %s\n", argv[i], k, r.s.c_str());
            else
                std::printf("%s#%u %016llx\n", argv[i], k, fnv(r.s));
        }
    }
    return 0;
}
