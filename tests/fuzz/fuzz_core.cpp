// libFuzzer target: frame + parse + plan + in-place apply (the shim's way),
// with the core's invariants checked on every input.
//
// Each input is parsed as a UDP datagram and, after framing, as a TCP
// message, then planned under six translations that use the addresses the
// seed corpus is full of, so that mutated messages keep matching them.
#include "../unit/core_scan_reference.hpp"
#include "xlats.hpp"

#include <sipalg/core.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace {

using fuzz_xlats::pick_xlat;

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);     \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)

constexpr unsigned kGuard = 16;

struct Scratch {
    sipalg_msg msg, msg2;
    sipalg_plan plan;
    // The message is copied here and rewritten in place; kGuard bytes past
    // the capacity given to the core must stay untouched.
    unsigned char out[SIPALG_MAX_MSG_LEN + SIPALG_MAX_TEXT + kGuard];
};

void check_plan(const unsigned char *buf, unsigned len, const sipalg_msg &m, const sipalg_plan &p) {
    FUZZ_CHECK(p.n_edits <= SIPALG_MAX_EDITS);
    FUZZ_CHECK(p.text_used <= SIPALG_MAX_TEXT);
    unsigned prev_end = 0;
    long delta = 0;
    for (unsigned i = 0; i < p.n_edits; i++) {
        const sipalg_edit &e = p.edits[i];
        FUZZ_CHECK(e.off >= prev_end);
        FUZZ_CHECK(e.len > 0);
        FUZZ_CHECK(e.off + e.len <= len);
        FUZZ_CHECK(e.text_off + e.text_len <= p.text_used);
        // Nothing in the Call-ID header value is touched.
        FUZZ_CHECK(m.call_id.len == 0 || e.off + e.len <= m.call_id.off ||
                   e.off >= m.call_id.off + m.call_id.len);
        // Replacement text never holds a line break.
        for (unsigned k = 0; k < e.text_len; k++)
            FUZZ_CHECK(p.text[e.text_off + k] != '\r' && p.text[e.text_off + k] != '\n');
        for (unsigned k = 0; k < e.len; k++)
            FUZZ_CHECK(buf[e.off + k] != '\r' && buf[e.off + k] != '\n');
        prev_end = e.off + e.len;
        delta += (long)e.text_len - e.len;
    }
    FUZZ_CHECK((long)p.new_len == (long)len + delta);
}

// Apply the plan in place in s->out, with just the room the message needs
// before and after, and check the result edit by edit against the input:
// every kept byte where the plan says, every replacement text after it.
void apply_and_check(Scratch *s, const unsigned char *buf, unsigned len) {
    const sipalg_plan &p = s->plan;
    const unsigned cap = len > p.new_len ? len : p.new_len;
    std::memcpy(s->out, buf, len);
    std::memset(s->out + cap, 0xA5, kGuard);
    // One byte too few: refused, nothing written.
    if (cap > 0) {
        FUZZ_CHECK(sipalg_apply_in_place(s->out, cap - 1, len, &p) == -1);
        FUZZ_CHECK(std::memcmp(s->out, buf, len) == 0);
    }
    FUZZ_CHECK(sipalg_apply_in_place(s->out, cap, len, &p) == (long)p.new_len);
    for (unsigned k = 0; k < kGuard; k++)
        FUZZ_CHECK(s->out[cap + k] == 0xA5);
    unsigned from = 0, to = 0;
    for (unsigned i = 0; i < p.n_edits; i++) {
        const sipalg_edit &e = p.edits[i];
        FUZZ_CHECK(std::memcmp(s->out + to, buf + from, e.off - from) == 0);
        to += e.off - from;
        FUZZ_CHECK(std::memcmp(s->out + to, p.text + e.text_off, e.text_len) == 0);
        to += e.text_len;
        from = e.off + e.len;
    }
    FUZZ_CHECK(std::memcmp(s->out + to, buf + from, len - from) == 0);
    FUZZ_CHECK(to + (len - from) == p.new_len);
}

// Plan, check, apply, reparse and check again, under one translation.
void plan_and_check(Scratch *s, const unsigned char *buf, unsigned len, int transport,
                    const sipalg_xlat &x, unsigned ov_sel) {
    const sipalg_msg &m = s->msg;
    sipalg_media_override ov[SIPALG_MAX_MEDIA];
    for (unsigned k = 0; k < SIPALG_MAX_MEDIA; k++)
        ov[k] = {(unsigned short)((ov_sel & 1) ? 40000 + 2 * k : 0),
                 (unsigned short)((ov_sel & 2) ? 40001 + 2 * k : 0)};
    int rc = sipalg_make_plan(buf, &m, &x, ov, SIPALG_MAX_MEDIA, &s->plan);
    FUZZ_CHECK(rc >= 0 && rc < SIPALG_R_COUNT && rc != SIPALG_R_INTERNAL);
    if (rc != SIPALG_OK) {
        FUZZ_CHECK(s->plan.n_edits == 0);
        return;
    }
    check_plan(buf, len, m, s->plan);
    apply_and_check(s, buf, len);
    const long n = s->plan.new_len;

    // The output must still be a message we understand, with an exact
    // Content-Length when the plan fixed it, and the same Call-ID bytes.
    int rc2 = sipalg_parse(s->out, (unsigned)n, transport, &s->msg2);
    if (rc2 == SIPALG_R_TOO_LONG)
        return;
    if (rc2 != SIPALG_OK)
        std::fprintf(stderr, "reparse: %s\n", sipalg_reason_name(rc2));
    FUZZ_CHECK(rc2 == SIPALG_OK);
    const sipalg_msg &m2 = s->msg2;
    if (s->plan.flags & SIPALG_PLANF_CL_FIXED) {
        FUZZ_CHECK(m2.cl_value == m2.body_len);
        FUZZ_CHECK(m2.cl_value == s->plan.new_cl);
    }
    FUZZ_CHECK(m2.call_id.len == m.call_id.len);
    FUZZ_CHECK(std::memcmp(s->out + m2.call_id.off, buf + m.call_id.off, m.call_id.len) == 0);
    FUZZ_CHECK(m2.n_media == m.n_media);
    FUZZ_CHECK(m2.n_contacts == m.n_contacts);
    FUZZ_CHECK(m2.kind == m.kind && m2.cseq == m.cseq);
}

void parse_and_check(Scratch *s, const unsigned char *buf, unsigned len, int transport) {
    int rc = sipalg_parse(buf, len, transport, &s->msg);
    FUZZ_CHECK(rc >= 0 && rc < SIPALG_R_COUNT);
    FUZZ_CHECK(std::strcmp(sipalg_reason_name(rc), "unknown") != 0);
    const sipalg_msg &m = s->msg;
    // A trace shows the line err_off names: it must be a line's start.
    FUZZ_CHECK(
        m.err_off == SIPALG_ERR_OFF_NONE ||
        (rc != SIPALG_OK && m.err_off < len && (m.err_off == 0 || buf[m.err_off - 1] == '\n')));
    if (rc != SIPALG_OK)
        return;
    FUZZ_CHECK(m.n_refs <= SIPALG_MAX_REFS && m.n_media <= SIPALG_MAX_MEDIA &&
               m.n_contacts <= SIPALG_MAX_CONTACTS);
    FUZZ_CHECK(m.kind == SIPALG_KIND_KEEPALIVE || m.body_off + m.body_len == len);
    for (unsigned i = 0; i < m.n_refs; i++) {
        const sipalg_ref &r = m.refs[i];
        FUZZ_CHECK(r.addr.family == 4 || r.addr.family == 6);
        FUZZ_CHECK(r.host_off + r.host_len <= len);
        FUZZ_CHECK(!(r.flags & SIPALG_REFF_PORT) || r.port_off + r.port_len <= len);
    }
    // Every translation the corpus addresses can meet, with and without
    // media overrides.
    for (unsigned sel = 0; sel < fuzz_xlats::kCount; sel++)
        plan_and_check(s, buf, len, transport, pick_xlat(sel), sel);
}

// sipalg_peek() answers from the first bytes only what the full path would
// conclude: a keep-alive is one to the parser (and, TCP, a whole frame of
// its own), and a datagram it calls not SIP the parser fails with the same
// reason. The TLS test never claims a SIP message.
void peek_check(Scratch *s, const unsigned char *data, unsigned len) {
    unsigned head = len < SIPALG_PEEK_LEN ? len : SIPALG_PEEK_LEN;
    for (int transport : {SIPALG_UDP, SIPALG_TCP}) {
        int why = -1;
        int v = sipalg_peek(data, head, len, transport, &why);
        FUZZ_CHECK(v == SIPALG_PEEK_MAYBE_SIP || v == SIPALG_PEEK_KEEPALIVE ||
                   v == SIPALG_PEEK_NOT_SIP);
        FUZZ_CHECK((v == SIPALG_PEEK_NOT_SIP) == (why != SIPALG_OK));
        if (v == SIPALG_PEEK_MAYBE_SIP)
            continue;
        unsigned mlen = len;
        if (transport == SIPALG_TCP) {
            FUZZ_CHECK(v == SIPALG_PEEK_KEEPALIVE);
            int fr_reason = 0;
            FUZZ_CHECK(sipalg_frame(data, len, &mlen, &fr_reason) == SIPALG_FRAME_COMPLETE);
            FUZZ_CHECK(mlen == len);
        }
        int rc = sipalg_parse(data, mlen, transport, &s->msg2);
        if (v == SIPALG_PEEK_KEEPALIVE)
            FUZZ_CHECK(rc == SIPALG_OK && s->msg2.kind == SIPALG_KIND_KEEPALIVE);
        else
            FUZZ_CHECK(rc == why);
    }
    if (sipalg_peek_tls(data, head)) {
        unsigned mlen = 0;
        int fr_reason = 0;
        FUZZ_CHECK(sipalg_parse(data, len, SIPALG_UDP, &s->msg2) != SIPALG_OK);
        if (sipalg_frame(data, len, &mlen, &fr_reason) == SIPALG_FRAME_COMPLETE)
            FUZZ_CHECK(sipalg_parse(data, mlen, SIPALG_TCP, &s->msg2) != SIPALG_OK);
    }
}

} // namespace

// The whole input is the message: the seed corpus is real SIP.
extern "C" int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    static Scratch *s = new Scratch;
    if (size > SIPALG_MAX_MSG_LEN + 1)
        return 0;
    unsigned len = (unsigned)size;
    parse_and_check(s, data, len, SIPALG_UDP);
    peek_check(s, data, len);

    // TCP: frame first, then parse the framed message.
    unsigned mlen = 0;
    int reason = 0;
    int fr = sipalg_frame(data, len, &mlen, &reason);
    if (fr == SIPALG_FRAME_COMPLETE) {
        FUZZ_CHECK(mlen > 0 && mlen <= len);
        parse_and_check(s, data, mlen, SIPALG_TCP);
    } else {
        FUZZ_CHECK(fr == SIPALG_FRAME_NEED_MORE || fr == SIPALG_FRAME_INVALID);
        FUZZ_CHECK(fr != SIPALG_FRAME_INVALID || reason != SIPALG_OK);
    }

    // Where a segment would be held: at a boundary the framing agrees on.
    unsigned tail_off = len + 1, need = 1;
    int tr = sipalg_frame_tail(data, len, &tail_off, &need);
    FUZZ_CHECK(tail_off <= len);
    // The same with the lengths of the messages before tail_off: they add
    // up to it, each as sipalg_frame() finds it there.
    {
        unsigned lens[8], n = 99, off2 = len + 1, need2 = 1, at = 0;
        int tr2 = sipalg_frame_tail_lens(data, len, &off2, &need2, lens, 8, &n);
        FUZZ_CHECK(tr2 == tr && off2 == tail_off && need2 == need && n <= 8);
        for (unsigned k = 0; k < n; k++) {
            unsigned one = 0;
            int why = 0;
            FUZZ_CHECK(sipalg_frame(data + at, len - at, &one, &why) == SIPALG_FRAME_COMPLETE &&
                       one == lens[k]);
            at += lens[k];
        }
        FUZZ_CHECK(at <= tail_off);
        // Fewer than all: they stop before a keep-alive run that ends in
        // a CR or at len.
        if (n < 8 && at < tail_off) {
            unsigned one = 0;
            int why = 0;
            FUZZ_CHECK(data[at] == '\r' || data[at] == '\n');
            FUZZ_CHECK(sipalg_frame(data + at, len - at, &one, &why) == SIPALG_FRAME_COMPLETE);
            FUZZ_CHECK(data[at + one - 1] == '\r' || at + one == len);
        }
    }
    FUZZ_CHECK(tr != SIPALG_FRAME_COMPLETE || tail_off == len);
    FUZZ_CHECK(tr == SIPALG_FRAME_COMPLETE || tail_off < len);
    // The length said of the unfinished message: more than is there, no
    // more than a message may have; none for anything else.
    FUZZ_CHECK(tr == SIPALG_FRAME_NEED_MORE || need == 0);
    FUZZ_CHECK(need == 0 || (need > len - tail_off && need <= SIPALG_MAX_MSG_LEN));
    if (tail_off == 0 && len > 0)
        FUZZ_CHECK(tr == fr || (fr == SIPALG_FRAME_NEED_MORE && tr == SIPALG_FRAME_INVALID));
    // An unfinished message worth holding begins like one.
    if (tr == SIPALG_FRAME_NEED_MORE)
        FUZZ_CHECK(sipalg_frame_begins(data + tail_off, len - tail_off) == 1);
    int begins = sipalg_frame_begins(data, len);
    FUZZ_CHECK(begins == 0 || (begins == 1 && len > 0));

    // The word-at-a-time scanners against their byte loops, from a start
    // in the input's last 16 bytes (len % 17 before its end: inputs of
    // every length take every alignment of the tail) to its end.
    // libFuzzer's copy of the input ends where the input does, so ASan
    // sees any word read past it. The unit tests take every window of
    // small buffers; this, whatever bytes the fuzzer finds.
    const unsigned from = len - len % 17;
    if (const char *which = scanref::first_disagreeing(data, from, len)) {
        std::fprintf(stderr, "scanner %s disagrees with its byte loop on %u..%u\n", which, from,
                     len);
        std::abort();
    }
    return 0;
}
