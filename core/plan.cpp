// SPDX-License-Identifier: GPL-2.0
//
// Rewrite planner: turns the parsed address occurrences of a message and the
// translation in force into a sorted list of non-overlapping edits, plus the
// Content-Length fix when the body length changes.
#include <sipalg/core/internal.hpp>

namespace sipalg::core {
namespace {

// Room for the longest address text (an IPv6 address with embedded IPv4,
// 45 bytes), rounded up to whole words so it is copied without a call.
constexpr u32 kAddrText = 48;

// A mapping's new address as text, formatted on first use: one message
// names the same address in up to a dozen places (Via, Contact, From, SDP).
struct AddrText {
    u8 len; // 0: not formatted yet
    u8 text[kAddrText];
};

struct Builder {
    const u8 *b;
    sipalg_plan *p;
    const sipalg_xlat *x;
    AddrText to_text[2]; // of x->map[0].to, x->map[1].to
};

// Replacement text is built in small stack buffers: the longest piece is
// "[" IPv6 "]:" port = 1 + 45 + 2 + 5 bytes.
constexpr u32 kPiece = 56;
static_assert(1 + kAddrText <= kPiece, "put_to_addr copies whole AddrText words");

// Always inlined (as put_to_addr()): the edit is built in registers.
SIPALG_ALWAYS_INLINE inline int add_edit(Builder &bd, u32 off, u32 len, const u8 *text, u32 tlen) {
    if (tlen == len && same_bytes(bd.b + off, (const char *)text, len))
        return SIPALG_OK; // nothing changes: no edit
    sipalg_plan *p = bd.p;
    if (p->n_edits >= SIPALG_MAX_EDITS)
        return SIPALG_R_TOO_MANY_EDITS;
    if (tlen > SIPALG_MAX_TEXT - p->text_used)
        return SIPALG_R_TEXT_FULL;
    sipalg_edit &e = p->edits[p->n_edits++];
    e.off = off;
    e.len = len;
    e.text_off = (u16)p->text_used;
    e.text_len = (u16)tlen;
    __builtin_memcpy(p->text + p->text_used, text, tlen);
    p->text_used += tlen;
    return SIPALG_OK;
}

// 0.0.0.0 or :: (a hold address). Word loads, not a byte loop: this runs
// for every address occurrence of every message.
bool unspecified(const sipalg_addr &a) {
    if (a.family == 4) {
        unsigned int v4;
        __builtin_memcpy(&v4, a.a, 4);
        return v4 == 0;
    }
    unsigned long long v6[2];
    __builtin_memcpy(v6, a.a, 16);
    return (v6[0] | v6[1]) == 0;
}

// Whose mapping may rewrite a ref: the endpoint that wrote it ("who wrote
// it", RFC 3261). The sender's fields go by map[0] (its own pre- and
// post-NAT address), the receiver's by map[1] (the address the sender wrote
// for its peer and where the packet really goes); anything else, above all
// every Via but the topmost, belongs to neither and is never touched.
enum Owner : u8 {
    kNobody,
    kSender,        // map[0]
    kReceiver,      // map[1]
    kReceiverExact, // map[1], exact address:port only
};

// A 2xx to REGISTER lists the registered bindings: its Contacts are the
// requester's, not the registrar's.
bool register_2xx(const sipalg_msg *msg) {
    return msg->kind == SIPALG_KIND_RESPONSE && msg->cseq_method == SIPALG_M_REGISTER &&
           msg->status >= 200 && msg->status <= 299;
}

Owner owner(const sipalg_msg *msg, const sipalg_ref &r) {
    bool request = msg->kind == SIPALG_KIND_REQUEST;
    switch (r.kind) {
    case SIPALG_REF_RURI:
        return request ? kReceiver : kNobody;
    case SIPALG_REF_VIA_SENTBY:
    case SIPALG_REF_VIA_RECEIVED:
    case SIPALG_REF_VIA_RPORT:
    case SIPALG_REF_VIA_MADDR:
        // A request's top Via is its sender's; a response carries the
        // requester's top Via back to it.
        if (!(r.flags & SIPALG_REFF_TOP_VIA))
            return kNobody;
        return request ? kSender : kReceiver;
    case SIPALG_REF_CONTACT:
        // Other bindings on the same public address belong to other phones
        // behind the same NAT: only the exact one is the receiver's.
        return register_2xx(msg) ? kReceiverExact : kSender;
    case SIPALG_REF_FROM:
        return request ? kSender : kReceiver;
    case SIPALG_REF_TO:
        return request ? kReceiver : kSender;
    default: // SDP: always the sender's own session
        return kSender;
    }
}

const sipalg_map *owner_map(const sipalg_xlat *x, Owner o) {
    return o == kNobody ? nullptr : &x->map[o == kSender ? 0 : 1];
}

// Does the address match the mapping's from side? Hold addresses never do.
// Always inlined: five calls a REGISTER, more for SDP.
SIPALG_ALWAYS_INLINE inline bool match_addr(const sipalg_map *m, const sipalg_addr &a) {
    if (!m || !(m->flags & SIPALG_MAP_ACTIVE) || a.family == 0 || unspecified(a))
        return false;
    return addr_equal(m->from, a);
}

// Writes m->to (m is one of bd.x->map), in brackets if asked.
SIPALG_ALWAYS_INLINE inline u32 put_to_addr(Builder &bd, const sipalg_map *m, bool brackets,
                                            u8 *out) {
    AddrText &t = bd.to_text[m == &bd.x->map[0] ? 0 : 1];
    if (t.len == 0)
        t.len = (u8)format_addr(m->to, t.text);
    u32 n = 0;
    if (brackets)
        out[n++] = '[';
    // Whole words up to the text's length: IPv4 text fits in two, and a
    // fixed-size copy is a few moves where a memcpy call is tens.
    for (u32 k = 0; k < t.len; k += 8)
        __builtin_memcpy(out + n + k, t.text + k, 8);
    n += t.len;
    if (brackets)
        out[n++] = ']';
    return n;
}

// Request-URI, Via sent-by, Contact, From, To: host and port. The from
// address with exactly from_port takes to_port; with any other port it
// keeps that port (unless only the exact binding may match).
int plan_uri_ref(Builder &bd, const sipalg_map *m, bool exact_only, const sipalg_ref &r) {
    if (!match_addr(m, r.addr))
        return SIPALG_OK;
    bool exact = r.port == m->from_port;
    if (exact_only && !exact)
        return SIPALG_OK;
    u8 text[kPiece] SIPALG_UNINIT;
    u32 n = put_to_addr(bd, m, m->to.family == 6, text);
    u32 len = r.host_len;
    if (exact && (m->flags & SIPALG_MAP_PORT) && m->to_port != r.port) {
        u16 dflt = (r.flags & SIPALG_REFF_SIPS) ? 5061 : 5060;
        if (r.flags & SIPALG_REFF_PORT)
            len = r.port_off + r.port_len - r.host_off; // host ":" port as one edit
        if ((r.flags & SIPALG_REFF_PORT) || m->to_port != dflt) {
            text[n++] = ':';
            n += format_port(m->to_port, text + n);
        }
    }
    return add_edit(bd, r.host_off, len, text, n);
}

// received=, maddr=, SDP o=/c=/a=rtcp address: address only.
int plan_addr_ref(Builder &bd, const sipalg_map *m, const sipalg_ref &r) {
    if (!match_addr(m, r.addr))
        return SIPALG_OK;
    u8 text[kPiece] SIPALG_UNINIT;
    bool brackets;
    if (r.kind == SIPALG_REF_VIA_MADDR)
        brackets = m->to.family == 6; // maddr is a URI host
    else if (r.kind == SIPALG_REF_VIA_RECEIVED)
        brackets = m->to.family == 6 && (r.flags & SIPALG_REFF_BRACKETS); // keep the style
    else
        brackets = false; // SDP
    u32 n = put_to_addr(bd, m, brackets, text);
    int rc = add_edit(bd, r.host_off, r.host_len, text, n);
    if (rc == SIPALG_OK && r.atype_off && m->to.family != r.addr.family)
        rc = add_edit(bd, r.atype_off, 3, (const u8 *)(m->to.family == 6 ? "IP6" : "IP4"), 3);
    return rc;
}

int plan_port(Builder &bd, u32 off, u32 len, u16 port) {
    u8 text[5] SIPALG_UNINIT;
    return add_edit(bd, off, len, text, format_port(port, text));
}

void sort_edits(sipalg_plan *p) {
    for (u32 i = 1; i < p->n_edits; i++) {
        sipalg_edit e = p->edits[i];
        u32 j = i;
        while (j > 0 && p->edits[j - 1].off > e.off) {
            p->edits[j] = p->edits[j - 1];
            j--;
        }
        p->edits[j] = e;
    }
}

int plan_all(Builder &bd, const sipalg_msg *msg, const sipalg_xlat *x,
             const sipalg_media_override *ov, u32 n_ov) {
    sipalg_plan *p = bd.p;
    int rc = SIPALG_OK;
    for (u32 i = 0; i < msg->n_refs && rc == SIPALG_OK; i++) {
        const sipalg_ref &r = msg->refs[i];
        Owner o = owner(msg, r);
        const sipalg_map *m = owner_map(x, o);
        switch (r.kind) {
        case SIPALG_REF_RURI:
        case SIPALG_REF_VIA_SENTBY:
        case SIPALG_REF_CONTACT:
        case SIPALG_REF_FROM:
        case SIPALG_REF_TO:
            rc = plan_uri_ref(bd, m, o == kReceiverExact, r);
            break;
        case SIPALG_REF_VIA_RPORT:
            if (match_addr(m, r.addr) && (m->flags & SIPALG_MAP_PORT) && r.port == m->from_port)
                rc = plan_port(bd, r.port_off, r.port_len, m->to_port);
            break;
        default:
            rc = plan_addr_ref(bd, m, r);
            break;
        }
    }
    // Media ports: only the shim's choices, only for streams at the
    // sender's own address, never a rejected (port 0) stream.
    if (ov) {
        u32 n = n_ov < msg->n_media ? n_ov : msg->n_media;
        for (u32 k = 0; k < n && rc == SIPALG_OK; k++) {
            const sipalg_media &md = msg->media[k];
            if (!match_addr(&x->map[0], md.addr) || md.port == 0)
                continue;
            if (ov[k].rtp_port)
                rc = plan_port(bd, md.port_off, md.port_len, ov[k].rtp_port);
            if (rc == SIPALG_OK && ov[k].rtcp_port && (md.flags & SIPALG_MEDIAF_RTCP) &&
                md.rtcp_port)
                rc = plan_port(bd, md.rtcp_off, md.rtcp_len, ov[k].rtcp_port);
        }
    }
    if (rc != SIPALG_OK)
        return rc;
    sort_edits(p);

    long delta = 0, body_delta = 0;
    for (u32 i = 0; i < p->n_edits; i++) {
        const sipalg_edit &e = p->edits[i];
        long d = (long)e.text_len - (long)e.len;
        delta += d;
        if (e.off >= msg->body_off)
            body_delta += d;
        if (e.len == 0 || e.off + e.len > msg->len ||
            (i + 1 < p->n_edits && e.off + e.len > p->edits[i + 1].off))
            return SIPALG_R_INTERNAL;
        if (e.off < msg->body_off && e.off + e.len > msg->body_off)
            return SIPALG_R_INTERNAL;
    }
    if (body_delta != 0 && (msg->flags & SIPALG_MSGF_CL)) {
        long cl = (long)msg->body_len + body_delta;
        if (cl < 0 || cl > (long)SIPALG_MAX_MSG_LEN)
            return SIPALG_R_TOO_LONG;
        u8 text[5] SIPALG_UNINIT;
        u32 n = format_port((u16)cl, text);
        u32 before = p->n_edits;
        rc = add_edit(bd, msg->cl_off, msg->cl_len, text, n);
        if (rc != SIPALG_OK)
            return rc;
        if (p->n_edits != before) {
            delta += (long)n - (long)msg->cl_len;
            sort_edits(p);
        }
        p->flags |= SIPALG_PLANF_CL_FIXED;
        p->new_cl = (u32)cl;
    }
    long nl = (long)msg->len + delta;
    if (nl > (long)SIPALG_MAX_MSG_LEN)
        return SIPALG_R_TOO_LONG;
    p->new_len = (u32)nl;
    return SIPALG_OK;
}

bool valid_map(const sipalg_map &m) {
    if (!(m.flags & SIPALG_MAP_ACTIVE))
        return true;
    return (m.from.family == 4 || m.from.family == 6) && (m.to.family == 4 || m.to.family == 6);
}

} // namespace
} // namespace sipalg::core

using namespace sipalg::core;

extern "C" int sipalg_make_plan(const unsigned char *buf, const sipalg_msg *msg,
                                const sipalg_xlat *xlat, const sipalg_media_override *ov,
                                unsigned int n_ov, sipalg_plan *plan) {
    if (!plan)
        return SIPALG_R_BAD_ARG;
    plan->n_edits = 0;
    plan->text_used = 0;
    plan->flags = 0;
    plan->new_cl = 0;
    plan->old_len = plan->new_len = msg ? msg->len : 0;
    if (!buf || !msg || !xlat || !valid_map(xlat->map[0]) || !valid_map(xlat->map[1]))
        return SIPALG_R_BAD_ARG;
    if (msg->kind == SIPALG_KIND_KEEPALIVE)
        return SIPALG_OK;
    if (msg->kind != SIPALG_KIND_REQUEST && msg->kind != SIPALG_KIND_RESPONSE)
        return SIPALG_R_BAD_ARG;
    Builder bd SIPALG_UNINIT; // to_text[] is formatted on first use
    bd.b = buf;
    bd.p = plan;
    bd.x = xlat;
    bd.to_text[0].len = bd.to_text[1].len = 0;
    int rc = plan_all(bd, msg, xlat, ov, n_ov);
    if (rc != SIPALG_OK) {
        plan->n_edits = 0;
        plan->text_used = 0;
        plan->flags = 0;
        plan->new_cl = 0;
        plan->new_len = msg->len;
    }
    return rc;
}
