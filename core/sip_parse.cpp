// SPDX-License-Identifier: GPL-2.0
//
// SIP message parser: start line, header fields (folded lines, compact forms,
// comma-separated values), and the address occurrences that may need
// rewriting. One pass over the headers; the SDP body is handed to
// sdp_parse.cpp. No recursion, no allocation, every loop advances through the
// buffer, so the work is O(len).
#include <sipalg/core/internal.hpp>

namespace sipalg::core {
namespace {

// Method names are case-sensitive (RFC 3261 7.1). One switch on the
// length, then whole-word comparisons of exactly n bytes: a method is
// compared on every request and every CSeq.
template <Literal L> bool bytes_are(const u8 *p) {
    return literal_at<L, false>(p);
}

u8 method_id(const u8 *p, u32 n) {
    switch (n) {
    case 3:
        return bytes_are<"ACK">(p)   ? SIPALG_M_ACK
               : bytes_are<"BYE">(p) ? SIPALG_M_BYE
                                     : SIPALG_M_OTHER;
    case 4:
        return bytes_are<"INFO">(p) ? SIPALG_M_INFO : SIPALG_M_OTHER;
    case 5:
        return bytes_are<"PRACK">(p)   ? SIPALG_M_PRACK
               : bytes_are<"REFER">(p) ? SIPALG_M_REFER
                                       : SIPALG_M_OTHER;
    case 6:
        return bytes_are<"INVITE">(p)   ? SIPALG_M_INVITE
               : bytes_are<"CANCEL">(p) ? SIPALG_M_CANCEL
               : bytes_are<"NOTIFY">(p) ? SIPALG_M_NOTIFY
               : bytes_are<"UPDATE">(p) ? SIPALG_M_UPDATE
                                        : SIPALG_M_OTHER;
    case 7:
        return bytes_are<"OPTIONS">(p)   ? SIPALG_M_OPTIONS
               : bytes_are<"PUBLISH">(p) ? SIPALG_M_PUBLISH
               : bytes_are<"MESSAGE">(p) ? SIPALG_M_MESSAGE
                                         : SIPALG_M_OTHER;
    case 8:
        return bytes_are<"REGISTER">(p) ? SIPALG_M_REGISTER : SIPALG_M_OTHER;
    case 9:
        return bytes_are<"SUBSCRIBE">(p) ? SIPALG_M_SUBSCRIBE : SIPALG_M_OTHER;
    default:
        return SIPALG_M_OTHER;
    }
}

// Headers the parser cares about.
enum Hdr : u8 {
    H_OTHER,
    H_VIA,
    H_FROM,
    H_TO,
    H_CALL_ID,
    H_CSEQ,
    H_CONTACT,
    H_CONTENT_LENGTH,
    H_CONTENT_TYPE,
    H_EXPIRES,
};

// Case-insensitive comparison of a header name with a lowercase literal of
// the same length (exact for any bytes: literal_at() folds only letters).
template <Literal L> bool name_is(const u8 *p) {
    return literal_at<L, true>(p);
}

// One switch on the length, then at most two comparisons: each header name
// is looked at once, and the headers nobody needs (Allow, Supported,
// User-Agent, ...) mostly fall out on the length alone.
Hdr header_id(const u8 *p, u32 n) {
    const u8 c = p[0] | 0x20;
    switch (n) {
    case 1:
        switch (c) {
        case 'v':
            return H_VIA;
        case 'f':
            return H_FROM;
        case 't':
            return H_TO;
        case 'i':
            return H_CALL_ID;
        case 'm':
            return H_CONTACT;
        case 'l':
            return H_CONTENT_LENGTH;
        case 'c':
            return H_CONTENT_TYPE;
        default:
            return H_OTHER;
        }
    case 2:
        return name_is<"to">(p) ? H_TO : H_OTHER;
    case 3:
        return name_is<"via">(p) ? H_VIA : H_OTHER;
    case 4:
        if (c == 'f')
            return name_is<"from">(p) ? H_FROM : H_OTHER;
        return name_is<"cseq">(p) ? H_CSEQ : H_OTHER;
    case 7:
        if (c == 'e')
            return name_is<"expires">(p) ? H_EXPIRES : H_OTHER;
        if (c != 'c')
            return H_OTHER;
        if ((p[1] | 0x20) == 'a')
            return name_is<"call-id">(p) ? H_CALL_ID : H_OTHER;
        return name_is<"contact">(p) ? H_CONTACT : H_OTHER;
    case 12:
        return name_is<"content-type">(p) ? H_CONTENT_TYPE : H_OTHER;
    case 14:
        return name_is<"content-length">(p) ? H_CONTENT_LENGTH : H_OTHER;
    default:
        return H_OTHER;
    }
}

// The usual header names with their colon, compared as whole words: such a
// line needs no byte-by-byte token scan of its name. name_is() folds the
// case of the letters only, so the '-' and the ':' of a name not yet known
// to be made of tokens are compared exactly. Returns the colon's offset, or 0:
// not one of these names, or near the buffer's end (the byte scan decides).
// The names nobody parses (Max-Forwards, Allow, ...) are here because every
// request carries some of them.
SIPALG_ALWAYS_INLINE inline u32 known_name(const u8 *p, u32 avail, Hdr *h) {
    // A line may begin with any byte but LWS: a name is checked here too.
    if (avail >= 2 && p[1] == ':' && is_token(p[0])) { // compact form (RFC 3261 7.3.3)
        *h = header_id(p, 1);
        return 1;
    }
    if (avail < 16) // the longest name compared here is 15 bytes
        return 0;
    switch (p[0] | 0x20) {
    case 'v':
        if (name_is<"via:">(p))
            return *h = H_VIA, 3;
        return 0;
    case 'f':
        if (name_is<"from:">(p))
            return *h = H_FROM, 4;
        return 0;
    case 't':
        if (name_is<"to:">(p))
            return *h = H_TO, 2;
        return 0;
    case 'e':
        if (name_is<"expires:">(p))
            return *h = H_EXPIRES, 7;
        return 0;
    case 'a':
        if (name_is<"allow:">(p))
            return *h = H_OTHER, 5;
        return 0;
    case 's':
        if (name_is<"supported:">(p))
            return *h = H_OTHER, 9;
        return 0;
    case 'u':
        if (name_is<"user-agent:">(p))
            return *h = H_OTHER, 10;
        return 0;
    case 'm':
        if (name_is<"max-forwards:">(p))
            return *h = H_OTHER, 12;
        return 0;
    case 'c':
        break;
    default:
        return 0;
    }
    // The five names that begin with 'c', told apart by their second byte.
    switch (p[1] | 0x20) {
    case 'a':
        if (name_is<"call-id:">(p))
            return *h = H_CALL_ID, 7;
        return 0;
    case 's':
        if (name_is<"cseq:">(p))
            return *h = H_CSEQ, 4;
        return 0;
    case 'o':
        if (name_is<"contact:">(p))
            return *h = H_CONTACT, 7;
        if (name_is<"content-length:">(p))
            return *h = H_CONTENT_LENGTH, 14;
        if (name_is<"content-type:">(p))
            return *h = H_CONTENT_TYPE, 12;
        return 0;
    default:
        return 0;
    }
}

// Parse state that does not belong in the public struct.
struct State {
    const u8 *b;
    sipalg_msg *m;
    u16 vias, froms, tos, call_ids, cseqs, cls, ctypes, expires;
    bool ctype_sdp;
};

// Classify host text [hs, he) (brackets included for IPv6 references) and,
// when it is an IP literal, record a ref. *idx = ref index or -1.
SIPALG_ALWAYS_INLINE inline int host_ref(State &st, u8 kind, u32 hs, u32 he, int *idx) {
    const u8 *b = st.b;
    sipalg_addr a SIPALG_UNINIT;
    __builtin_memset(&a, 0, sizeof(a));
    u8 flags = 0;
    *idx = -1;
    if (he - hs >= 2 && b[hs] == '[' && b[he - 1] == ']') {
        if (!parse_ipv6(b + hs + 1, he - hs - 2, a.a))
            return SIPALG_R_BAD_HEADER;
        a.family = 6;
        flags = SIPALG_REFF_BRACKETS;
    } else if (!is_hex(b[hs]) && b[hs] != ':') {
        // Neither an IPv4 nor an IPv6 literal can start so: a hostname
        // (the usual case), never rewritten, and no parser needs to try it.
        return SIPALG_OK;
    } else if (is_digit(b[hs]) && parse_ipv4(b + hs, he - hs, a.a)) {
        a.family = 4;
    } else if (parse_ipv6(b + hs, he - hs, a.a)) {
        a.family = 6; // received= may hold a bare IPv6 address
    } else {
        return SIPALG_OK; // a hostname: never rewritten
    }
    int r = add_ref(st.m, kind);
    if (r < 0)
        return SIPALG_R_TOO_MANY_ADDRS;
    sipalg_ref &ref = st.m->refs[r];
    ref.flags = flags;
    ref.host_off = hs;
    ref.host_len = he - hs;
    ref.addr = a;
    *idx = r;
    return SIPALG_OK;
}

// End of host text starting at h: "[...]" or up to a delimiter.
// Returns end + 1 on an unterminated '['.
SIPALG_ALWAYS_INLINE inline u32 host_end(const u8 *b, u32 h, u32 end) {
    if (h < end && b[h] == '[') {
        u32 j = h + 1;
        while (j < end && b[j] != ']' && b[j] != ',' && !is_ws(b[j]))
            j++;
        return (j < end && b[j] == ']') ? j + 1 : end + 1;
    }
    return find_class(b, h, end, C_HOST_STOP);
}

enum Scheme : int { kOtherScheme, kSip, kSips };

// The scheme of the URI [us, ue), for every URI but those uri_scheme()
// finds starting with a lowercase "sip:": kSip, kSips, kOtherScheme, or -1
// when it is malformed (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
// ":").
int uri_scheme_slow(const u8 *b, u32 us, u32 ue) {
    u32 i = us;
    while (i < ue &&
           (is_alpha(b[i]) || is_digit(b[i]) || b[i] == '+' || b[i] == '-' || b[i] == '.'))
        i++;
    if (i == us || i >= ue || b[i] != ':' || !is_alpha(b[us]))
        return -1;
    if (SIPALG_IEQ(b + us, i - us, "sips"))
        return kSips;
    if (SIPALG_IEQ(b + us, i - us, "sip"))
        return kSip;
    return kOtherScheme;
}

// The scheme of the URI [us, ue), as uri_scheme_slow(). Nearly every URI
// starts "sip:", which one 4-byte comparison finds without a call.
SIPALG_ALWAYS_INLINE inline int uri_scheme(const u8 *b, u32 us, u32 ue) {
    if (ue - us >= 5 && literal_at<"sip:", false>(b + us))
        return kSip;
    return uri_scheme_slow(b, us, ue);
}

// Parse a URI [us, ue). sip:/sips: hosts that are IP literals become refs of
// the given kind; other schemes are accepted and ignored. *idx = ref or -1.
// Always inlined (four callers): with the module's flags a call costs an
// ftrace entry, a return thunk and six saved registers, ~30 instructions
// a URI; inlined, a REGISTER's parse takes ~120 fewer.
SIPALG_ALWAYS_INLINE inline int parse_uri(State &st, u8 kind, u32 us, u32 ue, int *idx) {
    const u8 *b = st.b;
    *idx = -1;
    int scheme = uri_scheme(b, us, ue);
    if (scheme < 0)
        return SIPALG_R_BAD_HEADER;
    if (scheme == kOtherScheme)
        return SIPALG_OK;
    const bool sips = scheme == kSips;
    const u32 i = us + (sips ? 4 : 3); // the ':'
    u32 rest = i + 1, h = rest;
    // userinfo never holds an unescaped '@', nor do URI params or headers.
    u32 at = find_byte(b, rest, ue, '@');
    if (at < ue)
        h = at + 1;
    u32 he = host_end(b, h, ue);
    if (he > ue || he == h)
        return SIPALG_R_BAD_HEADER;
    u32 ps = 0, pe = 0;
    bool has_port = false;
    u16 port = sips ? 5061 : 5060;
    if (he < ue && b[he] == ':') {
        ps = he + 1;
        if (!parse_port_run(b, ps, ue, &port, &pe))
            return SIPALG_R_BAD_HEADER;
        has_port = true;
    } else {
        pe = he;
    }
    if (pe < ue && b[pe] != ';' && b[pe] != '?')
        return SIPALG_R_BAD_HEADER;
    int rc = host_ref(st, kind, h, he, idx);
    if (rc != SIPALG_OK || *idx < 0)
        return rc;
    sipalg_ref &ref = st.m->refs[*idx];
    ref.port = port;
    if (sips)
        ref.flags |= SIPALG_REFF_SIPS;
    if (has_port) {
        ref.flags |= SIPALG_REFF_PORT;
        ref.port_off = ps;
        ref.port_len = pe - ps;
    }
    return SIPALG_OK;
}

// A generic parameter value starting at i: quoted string, or a run up to
// ';', ',' or white space. Returns its end, or end + 1 if a quote is open.
SIPALG_ALWAYS_INLINE inline u32 param_value_end(const u8 *b, u32 i, u32 end) {
    if (i < end && b[i] == '"')
        return skip_quoted(b, i, end);
    return find_class(b, i, end, C_PARAM_STOP);
}

struct Param {
    u32 ns, ne; // name
    u32 vs, ve; // value (vs == ve: none)
};

// Parse ";name[=value]" at i (b[i] == ';'). Returns the index after it, or
// end + 1 on malformed input.
// Always inlined, as are host_ref() and host_end(): the results passed
// through pointers then stay in registers (~5% of a REGISTER's parse).
SIPALG_ALWAYS_INLINE inline u32 parse_param(const u8 *b, u32 i, u32 end, Param *p) {
    i = skip_ws(b, i + 1, end);
    p->ns = i;
    i = skip_token(b, i, end);
    p->ne = i;
    if (p->ne == p->ns)
        return end + 1;
    i = skip_ws(b, i, end);
    p->vs = p->ve = i;
    if (i < end && b[i] == '=') {
        i = skip_ws(b, i + 1, end);
        p->vs = i;
        i = param_value_end(b, i, end);
        if (i > end || i == p->vs)
            return end + 1;
        p->ve = i;
    }
    return i;
}

// One Via header value list. The first value of the first Via header is
// the topmost Via, the only one the next hop may look at (RFC 3261 18.1.2,
// 18.2.2): its refs are marked so the planner can tell it from the others.
int parse_via(State &st, u32 i, u32 end) {
    const u8 *b = st.b;
    for (;;) {
        const u8 top = st.vias == 0 ? SIPALG_REFF_TOP_VIA : 0;
        // sent-protocol: name / version / transport, LWS allowed around '/'.
        u32 ts, te;
        i = skip_ws(b, i, end);
        // The usual "SIP/2.0/" as one word: the transport's scan is the
        // only one left (the loop would find the same two tokens).
        int k = 0;
        if (end - i > 8 && bytes_are<"SIP/2.0/">(b + i)) {
            i = skip_ws(b, i + 8, end);
            k = 2;
        }
        for (;; k++) {
            ts = i;
            i = skip_token(b, i, end);
            te = i;
            if (te == ts)
                return SIPALG_R_BAD_HEADER;
            if (k == 2)
                break;
            i = skip_ws(b, i, end);
            if (i >= end || b[i] != '/')
                return SIPALG_R_BAD_HEADER;
            i = skip_ws(b, i + 1, end);
        }
        bool tls = SIPALG_IEQ(b + ts, te - ts, "tls");
        // LWS must separate the transport from the sent-by: without it a
        // rewritten host could merge into the transport token.
        i = skip_ws(b, i, end);
        if (i == te)
            return SIPALG_R_BAD_HEADER;
        // sent-by
        u32 hs = i, he = host_end(b, i, end);
        if (he > end || he == hs)
            return SIPALG_R_BAD_HEADER;
        i = he;
        u16 port = tls ? 5061 : 5060;
        u32 ps = 0, pe = 0;
        bool has_port = false;
        if (i < end && b[i] == ':') {
            ps = i + 1;
            if (!parse_port_run(b, ps, end, &port, &pe))
                return SIPALG_R_BAD_HEADER;
            has_port = true;
            i = pe;
        }
        int sent_by = -1;
        int rc = host_ref(st, SIPALG_REF_VIA_SENTBY, hs, he, &sent_by);
        if (rc != SIPALG_OK)
            return rc;
        if (sent_by >= 0) {
            sipalg_ref &ref = st.m->refs[sent_by];
            ref.port = port;
            ref.flags |= top;
            if (tls)
                ref.flags |= SIPALG_REFF_SIPS;
            if (has_port) {
                ref.flags |= SIPALG_REFF_PORT;
                ref.port_off = ps;
                ref.port_len = pe - ps;
            }
        }
        // via-params
        int received = -1;
        u32 rport_s = 0, rport_e = 0;
        u16 rport = 0;
        for (;;) {
            i = skip_ws(b, i, end);
            if (i >= end || b[i] != ';')
                break;
            Param p SIPALG_UNINIT; // parse_param() fills it
            i = parse_param(b, i, end, &p);
            if (i > end)
                return SIPALG_R_BAD_HEADER;
            const u8 *n = b + p.ns;
            u32 nl = p.ne - p.ns;
            if (p.vs == p.ve)
                continue;
            int idx;
            if (SIPALG_IEQ(n, nl, "received")) {
                rc = host_ref(st, SIPALG_REF_VIA_RECEIVED, p.vs, p.ve, &idx);
                if (rc != SIPALG_OK)
                    return rc;
                if (idx >= 0) {
                    received = idx;
                    st.m->refs[idx].flags |= top;
                }
            } else if (SIPALG_IEQ(n, nl, "maddr")) {
                rc = host_ref(st, SIPALG_REF_VIA_MADDR, p.vs, p.ve, &idx);
                if (rc != SIPALG_OK)
                    return rc;
                if (idx >= 0)
                    st.m->refs[idx].flags |= top;
            } else if (SIPALG_IEQ(n, nl, "rport")) {
                if (parse_port(b, p.vs, p.ve, &rport)) {
                    rport_s = p.vs;
                    rport_e = p.ve;
                }
            }
        }
        // rport=N pairs with the address the server saw: received= if there,
        // else the sent-by.
        int eff = received >= 0 ? received : sent_by;
        if (rport_e > rport_s && eff >= 0) {
            sipalg_addr a = st.m->refs[eff].addr;
            int r = add_ref(st.m, SIPALG_REF_VIA_RPORT);
            if (r < 0)
                return SIPALG_R_TOO_MANY_ADDRS;
            sipalg_ref &ref = st.m->refs[r];
            ref.flags = SIPALG_REFF_PORT | top;
            ref.port = rport;
            ref.port_off = rport_s;
            ref.port_len = rport_e - rport_s;
            ref.host_off = rport_s;
            ref.addr = a;
        }
        st.vias++;
        if (i >= end)
            return SIPALG_OK;
        if (b[i] != ',')
            return SIPALG_R_BAD_HEADER;
        i++;
    }
}

// One name-addr / addr-spec value (From, To, one Contact value).
struct AddrValue {
    bool star;
    u32 us, ue; // URI
    bool has_expires;
    u32 expires;
};

// Parses the value starting at i; returns the index of the ',' that ends it
// or end, or end + 1 on malformed input.
// Always inlined (From, To, Contact), as check_version(): measured with
// callgrind, the calls cost more than the code they would share.
SIPALG_ALWAYS_INLINE inline u32 parse_addr_value(const u8 *b, u32 i, u32 end, bool allow_star,
                                                 AddrValue *v) {
    v->star = false;
    v->has_expires = false;
    v->expires = 0;
    i = skip_ws(b, i, end);
    if (i >= end)
        return end + 1;
    if (allow_star && b[i] == '*') {
        u32 j = skip_ws(b, i + 1, end);
        if (j >= end || b[j] == ',') {
            v->star = true;
            v->us = i;
            v->ue = i + 1;
            return j;
        }
    }
    u32 j = i;
    if (b[i] == '"') {
        j = skip_quoted(b, i, end);
        if (j > end)
            return end + 1;
        j = skip_ws(b, j, end);
        if (j >= end || b[j] != '<')
            return end + 1;
    } else {
        // Display name made of tokens, or an addr-spec: look for '<'.
        j = find_class(b, j, end, C_NAME_STOP);
        if (j < end && b[j] == '"')
            return end + 1;
    }
    u32 k;
    if (j < end && b[j] == '<') {
        v->us = j + 1;
        k = find_byte(b, j + 1, end, '>');
        if (k >= end)
            return end + 1;
        v->ue = k;
        k++;
    } else {
        // addr-spec: the URI cannot hold ';', ',' or white space (RFC 3261
        // 20: such URIs must be enclosed in <>), so params follow.
        v->us = i;
        k = i;
        while (k < end && b[k] != ';' && b[k] != ',' && !is_ws(b[k])) {
            if (b[k] == '?')
                return end + 1; // URI headers require <>
            k++;
        }
        v->ue = k;
    }
    if (v->ue == v->us)
        return end + 1;
    for (;;) {
        k = skip_ws(b, k, end);
        if (k >= end || b[k] != ';')
            break;
        Param p SIPALG_UNINIT; // parse_param() fills it
        k = parse_param(b, k, end, &p);
        if (k > end)
            return end + 1;
        if (p.ve > p.vs && SIPALG_IEQ(b + p.ns, p.ne - p.ns, "expires")) {
            u32 val;
            if (parse_u32(b, p.vs, p.ve, &val) == p.ve) {
                v->has_expires = true;
                v->expires = val;
            }
        }
    }
    if (k < end && b[k] != ',')
        return end + 1;
    return k;
}

int parse_contact(State &st, u32 i, u32 end) {
    sipalg_msg *m = st.m;
    for (;;) {
        AddrValue v SIPALG_UNINIT; // read only when parse_addr_value() succeeds
        i = parse_addr_value(st.b, i, end, true, &v);
        if (i > end)
            return SIPALG_R_BAD_HEADER;
        if (m->n_contacts >= SIPALG_MAX_CONTACTS)
            return SIPALG_R_TOO_MANY_CONTACTS;
        sipalg_contact &c = m->contacts[m->n_contacts++];
        c.flags = 0;
        c.ref = -1;
        c.expires = v.expires;
        c.uri.off = v.us;
        c.uri.len = v.ue - v.us;
        if (v.has_expires)
            c.flags |= SIPALG_CONTACT_EXPIRES;
        if (v.star) {
            c.flags |= SIPALG_CONTACT_STAR;
        } else {
            int idx;
            int rc = parse_uri(st, SIPALG_REF_CONTACT, v.us, v.ue, &idx);
            if (rc != SIPALG_OK)
                return rc;
            c.ref = (signed short)idx;
        }
        if (i >= end)
            return SIPALG_OK;
        i++; // ','
    }
}

int parse_from_to(State &st, u8 kind, u32 i, u32 end) {
    AddrValue v SIPALG_UNINIT; // read only when parse_addr_value() succeeds
    i = parse_addr_value(st.b, i, end, false, &v);
    if (i != end)
        return SIPALG_R_BAD_HEADER;
    if (kind == SIPALG_REF_TO) {
        st.m->to_uri.off = v.us;
        st.m->to_uri.len = v.ue - v.us;
    }
    int idx;
    return parse_uri(st, kind, v.us, v.ue, &idx);
}

int parse_cseq(State &st, u32 i, u32 end) {
    const u8 *b = st.b;
    sipalg_msg *m = st.m;
    u32 n;
    u32 j = parse_u32(b, i, end, &n);
    if (j == i || j - i > 10 || n > 0x7fffffffu)
        return SIPALG_R_BAD_CSEQ;
    u32 k = skip_ws(b, j, end);
    if (k == j)
        return SIPALG_R_BAD_CSEQ;
    u32 me = skip_token(b, k, end);
    if (me == k || me != end)
        return SIPALG_R_BAD_CSEQ;
    m->cseq = n;
    m->cseq_method_text.off = k;
    m->cseq_method_text.len = me - k;
    m->cseq_method = method_id(b + k, me - k);
    return SIPALG_OK;
}

int parse_header(State &st, Hdr h, u32 vs, u32 ve) {
    const u8 *b = st.b;
    sipalg_msg *m = st.m;
    switch (h) {
    case H_VIA:
        return parse_via(st, vs, ve);
    case H_CONTACT:
        return parse_contact(st, vs, ve);
    case H_FROM:
        if (st.froms++)
            return SIPALG_R_DUP_HEADER;
        return parse_from_to(st, SIPALG_REF_FROM, vs, ve);
    case H_TO:
        if (st.tos++)
            return SIPALG_R_DUP_HEADER;
        return parse_from_to(st, SIPALG_REF_TO, vs, ve);
    case H_CALL_ID:
        if (st.call_ids++)
            return SIPALG_R_DUP_HEADER;
        if (ve == vs)
            return SIPALG_R_BAD_HEADER;
        m->call_id.off = vs;
        m->call_id.len = ve - vs;
        return SIPALG_OK;
    case H_CSEQ:
        if (st.cseqs++)
            return SIPALG_R_DUP_HEADER;
        return parse_cseq(st, vs, ve);
    case H_CONTENT_LENGTH: {
        if (st.cls++)
            return SIPALG_R_DUP_HEADER;
        u32 v;
        if (ve == vs || parse_u32(b, vs, ve, &v) != ve || v > SIPALG_MAX_MSG_LEN)
            return SIPALG_R_BAD_CONTENT_LENGTH;
        m->flags |= SIPALG_MSGF_CL;
        m->cl_value = v;
        m->cl_off = vs;
        m->cl_len = ve - vs;
        return SIPALG_OK;
    }
    case H_CONTENT_TYPE: {
        if (st.ctypes++)
            return SIPALG_R_DUP_HEADER;
        constexpr u32 n = lit_len("application/sdp");
        st.ctype_sdp = ve - vs >= n && SIPALG_IEQ(b + vs, n, "application/sdp") &&
                       (ve - vs == n || b[vs + n] == ';' || is_ws(b[vs + n]));
        return SIPALG_OK;
    }
    case H_EXPIRES: {
        if (st.expires++)
            return SIPALG_R_DUP_HEADER;
        u32 v;
        // Non-numeric (RFC 2543 dates) is tolerated and simply not reported.
        if (ve > vs && parse_u32(b, vs, ve, &v) == ve) {
            m->flags |= SIPALG_MSGF_EXPIRES;
            m->expires = v;
        }
        return SIPALG_OK;
    }
    default:
        return SIPALG_OK;
    }
}

// "SIP/2.0" check for the version field [s, e).
SIPALG_ALWAYS_INLINE inline int check_version(const u8 *b, u32 s, u32 e) {
    if (e - s < 4 || !SIPALG_IEQ(b + s, 4, "sip/"))
        return SIPALG_R_NOT_SIP;
    if (e - s == 7 && __builtin_memcmp(b + s + 4, "2.0", 3) == 0)
        return SIPALG_OK;
    return SIPALG_R_BAD_VERSION;
}

int parse_start_line(State &st, u32 le) {
    const u8 *b = st.b;
    sipalg_msg *m = st.m;
    if (le >= 4 && SIPALG_IEQ(b, 4, "sip/")) {
        u32 sp = 7; // the usual "SIP/2.0 ": no scan, no version check
        if (le < 8 || !literal_at<"sip/2.0 ", true>(b)) {
            sp = 0;
            while (sp < le && b[sp] != ' ')
                sp++;
            int rc = check_version(b, 0, sp);
            if (rc != SIPALG_OK)
                return rc;
        }
        u32 cs = sp + 1, ce = cs;
        while (ce < le && is_digit(b[ce]))
            ce++;
        if (ce - cs != 3 || (ce < le && b[ce] != ' '))
            return SIPALG_R_BAD_START_LINE;
        u32 code = (b[cs] - '0') * 100 + (b[cs + 1] - '0') * 10 + (b[cs + 2] - '0');
        if (code < 100 || code > 699)
            return SIPALG_R_BAD_START_LINE;
        m->kind = SIPALG_KIND_RESPONSE;
        m->status = (u16)code;
        return SIPALG_OK;
    }
    u32 me = skip_token(b, 0, le);
    if (me == 0 || me >= le || b[me] != ' ')
        return SIPALG_R_NOT_SIP;
    // The version is the last field; everything between the first and the
    // last SP is the Request-URI, so stray spaces show up inside it. The
    // usual line ends " SIP/2.0" after the Request-URI: no scan back.
    u32 vs = le - 7;
    if (le <= me + 8 || !ends_in_sip_version(b, le)) {
        vs = le;
        while (vs > me + 1 && b[vs - 1] != ' ')
            vs--;
        if (vs == me + 1)
            return SIPALG_R_NOT_SIP;
        if (vs == le)
            return SIPALG_R_BAD_START_LINE; // trailing SP
        int rc = check_version(b, vs, le);
        if (rc != SIPALG_OK)
            return rc;
    }
    u32 us = me + 1, ue = vs - 1;
    if (ue == us)
        return SIPALG_R_BAD_START_LINE;
    // No LWS, no <> and no headers ('?' after the userinfo) in a Request-URI.
    // One pass: a '?' is fine only inside the userinfo, i.e. before an '@'.
    bool seen_at = false, question = false;
    for (u32 k = find_ruri_special(b, us, ue); k < ue; k = find_ruri_special(b, k + 1, ue)) {
        const u8 c = b[k];
        if (c == '<' || c == '>' || is_ws(c))
            return SIPALG_R_BAD_START_LINE;
        if (c == '@' && !seen_at) {
            seen_at = true;
            question = false;
        } else if (c == '?') {
            question = true;
        }
    }
    if (question)
        return SIPALG_R_BAD_START_LINE;
    m->kind = SIPALG_KIND_REQUEST;
    m->method_text.off = 0;
    m->method_text.len = me;
    m->method = method_id(b, me);
    m->ruri.off = us;
    m->ruri.len = ue - us;
    int idx;
    int rc = parse_uri(st, SIPALG_REF_RURI, us, ue, &idx);
    return rc == SIPALG_R_BAD_HEADER ? SIPALG_R_BAD_START_LINE : rc;
}

} // namespace
} // namespace sipalg::core

using namespace sipalg::core;

extern "C" int sipalg_parse(const unsigned char *buf, unsigned int len, int transport,
                            sipalg_msg *msg) {
    if (!msg)
        return SIPALG_R_BAD_ARG;
    // Only the scalar part is cleared: the arrays are valid up to their counts.
    __builtin_memset(msg, 0, __builtin_offsetof(sipalg_msg, refs));
    msg->sdp_o_ref = msg->sdp_c_ref = -1;
    msg->err_off = SIPALG_ERR_OFF_NONE;
    msg->len = len;
    msg->body_off = len;
    if (!buf || (transport != SIPALG_UDP && transport != SIPALG_TCP))
        return SIPALG_R_BAD_ARG;
    msg->transport = (u8)transport;
    if (len == 0)
        return SIPALG_R_TRUNCATED;
    if (len > SIPALG_MAX_MSG_LEN)
        return SIPALG_R_TOO_LONG;

    // RFC 5626 keep-alives: "\r\n\r\n" ping, "\r\n" pong (bare LFs tolerated).
    if (len <= 4) {
        u32 k = 0;
        while (k < len && (buf[k] == '\r' || buf[k] == '\n'))
            k++;
        if (k == len) {
            msg->kind = SIPALG_KIND_KEEPALIVE;
            return SIPALG_OK;
        }
    }
    if (!is_token(buf[0]))
        return fail_at(msg, 0, SIPALG_R_NOT_SIP);

    State st SIPALG_UNINIT;
    __builtin_memset(&st, 0, sizeof(st));
    st.b = buf;
    st.m = msg;

    u32 eol = find_lf(buf, 0, len);
    if (eol >= len)
        return fail_at(msg, 0, SIPALG_R_TRUNCATED);
    u32 le = (eol > 0 && buf[eol - 1] == '\r') ? eol - 1 : eol;
    int rc = parse_start_line(st, le);
    if (rc != SIPALG_OK)
        return fail_at(msg, 0, rc);

    // Where the last header, the CSeq and the Content-Length start: the
    // lines to blame for failures found only after the header loop.
    u32 last = 0, cseq_line = 0, cl_line = 0;
    u32 n_headers = 0; // in a register; msg->n_headers is set on the way out
    auto fail = [&](u32 off, int why) {
        msg->n_headers = (u16)n_headers;
        return fail_at(msg, off, why);
    };
    u32 i = eol + 1;
    u32 body;
    for (;;) {
        if (i >= len)
            return fail(last, SIPALG_R_TRUNCATED);
        // A header name starts with a token byte; one lookup lets the usual
        // line past the end-of-headers and continuation tests.
        if (!is_token(buf[i])) {
            if (buf[i] == '\n') {
                body = i + 1;
                break;
            }
            if (buf[i] == '\r') {
                if (i + 1 >= len)
                    return fail(i, SIPALG_R_TRUNCATED);
                if (buf[i + 1] == '\n') {
                    body = i + 2;
                    break;
                }
                return fail(i, SIPALG_R_BAD_HEADER);
            }
            if (is_sp(buf[i])) // continuation with nothing to continue
                return fail(i, SIPALG_R_BAD_HEADER);
        }
        if (++n_headers > SIPALG_MAX_HEADERS)
            return fail(i, SIPALG_R_TOO_MANY_HEADERS);
        // The name first: no token byte is a line break, so the name ends
        // before the line does, and the LF scan starts after the colon.
        Hdr h = H_OTHER;
        u32 c = known_name(buf + i, len - i, &h);
        bool named = c != 0;
        if (named) {
            c += i;
        } else {
            const u32 ne = skip_token(buf, i, len);
            c = ne;
            if (c < len && buf[c] != ':') // "Name : value" is allowed, rare
                while (c < len && is_sp(buf[c]))
                    c++;
            named = ne != i && c < len && buf[c] == ':';
            if (named)
                h = header_id(buf + i, ne - i);
        }
        // The logical header ends at the first LF not followed by SP/HT.
        u32 nl = find_lf(buf, named ? c + 1 : i, len);
        while (nl + 1 < len && is_sp(buf[nl + 1])) // (nl + 1 < len implies nl < len)
            nl = find_lf(buf, nl + 1, len);
        if (nl >= len)
            return fail(i, SIPALG_R_TRUNCATED);
        if (!named)
            return fail(i, SIPALG_R_BAD_HEADER);
        if (h != H_OTHER) {
            const u32 hend = (nl > i && buf[nl - 1] == '\r') ? nl - 1 : nl;
            u32 vs = skip_ws(buf, c + 1, hend);
            u32 ve = hend;
            while (ve > vs && is_ws(buf[ve - 1]))
                ve--;
            rc = parse_header(st, h, vs, ve);
            if (rc != SIPALG_OK)
                return fail(i, rc);
            if (h == H_CSEQ)
                cseq_line = i;
            else if (h == H_CONTENT_LENGTH)
                cl_line = i;
        }
        last = i;
        i = nl + 1;
    }
    msg->n_headers = (u16)n_headers;

    if (!st.vias || !st.froms || !st.tos || !st.call_ids || !st.cseqs)
        return SIPALG_R_MISSING_HEADER;
    if (msg->kind == SIPALG_KIND_REQUEST &&
        (msg->cseq_method_text.len != msg->method_text.len ||
         __builtin_memcmp(buf + msg->cseq_method_text.off, buf, msg->method_text.len) != 0))
        return fail_at(msg, cseq_line, SIPALG_R_BAD_CSEQ);

    msg->body_off = body;
    msg->body_len = len - body;
    // Strict on both transports: a TCP message is framed by its own
    // Content-Length, and a UDP datagram that disagrees with its declared
    // length is damaged or crafted; either way it is not rewritten.
    if ((msg->flags & SIPALG_MSGF_CL) && msg->cl_value != msg->body_len)
        return fail_at(msg, cl_line, SIPALG_R_BAD_CONTENT_LENGTH);
    if (msg->body_len == 0)
        return SIPALG_OK;
    bool sdp = st.ctype_sdp ||
               (!st.ctypes && msg->body_len >= 2 && buf[body] == 'v' && buf[body + 1] == '=');
    if (!sdp) {
        msg->flags |= SIPALG_MSGF_BODY_SKIP;
        return SIPALG_OK;
    }
    msg->flags |= SIPALG_MSGF_SDP;
    return parse_sdp(buf, body, msg->body_len, msg);
}
