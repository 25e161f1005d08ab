// SPDX-License-Identifier: GPL-2.0
//
// SDP (RFC 8866) body parser: the lines an ALG needs (o=, c=, m=, a=rtcp,
// direction attributes). Other lines are checked only for the "x=" shape.
#include <sipalg/core/internal.hpp>

namespace sipalg::core {
namespace {

constexpr u8 kDirUnset = 0xff;

// Next SP-separated field in [*i, le). False when there is none.
// Always inlined (as parse_conn()): its four results then stay in registers.
SIPALG_ALWAYS_INLINE inline bool next_field(const u8 *b, u32 *i, u32 le, u32 *fs, u32 *fe) {
    u32 k = *i;
    while (k < le && b[k] == ' ')
        k++;
    *fs = k;
    k = find_byte(b, k, le, ' ');
    *fe = k;
    *i = k;
    return *fe > *fs;
}

// "IN IP4 " or "IN IP6 " (any case) at b[i], single spaces, and a byte
// after it: nearly every c=, o= and a=rtcp address looks like this, and one
// 8-byte comparison replaces three field scans. Returns 4, 6 or 0 (take the
// general path).
u8 fast_in_ip(const u8 *b, u32 i, u32 le) {
    if (le - i < 8)
        return 0;
    // load_word() puts b[i] in the lowest byte on either byte order, and
    // the constants are built from text the same way.
    const u64 w = load_word(b + i);
    // Lower-case the four letters by setting their 0x20 bit: of the bytes
    // that can stand there, only 'I'/'i', 'N'/'n', 'P'/'p' then compare
    // equal to the letter. Bytes 0..4 in memory order: 'i' 'n' ' ' 'i' 'p'.
    constexpr u64 kLetters = word_of("\x20\x20\0\x20\x20", 5);
    constexpr u64 kFirstFive = word_of("\xff\xff\xff\xff\xff", 5);
    constexpr u64 kInIp = word_of("in ip", 5);
    static_assert(kLetters == 0x0000002020002020ull && kInIp == 0x0000007069206e69ull);
    const u64 prefix = (w | kLetters) & kFirstFive;
    if (prefix != kInIp || b[i + 6] != ' ' || b[i + 7] == ' ')
        return 0;
    return b[i + 5] == '4' ? 4 : b[i + 5] == '6' ? 6 : 0;
}

// "<nettype> <addrtype> <address>" starting at i. Records a ref when the
// address is an IP literal of the announced family. *idx = ref or -1.
SIPALG_ALWAYS_INLINE inline int parse_conn(const u8 *b, u32 i, u32 le, u8 kind, sipalg_msg *m,
                                           int *idx) {
    u32 ts, as, e;
    u8 family;
    *idx = -1;
    while (i < le && b[i] == ' ') // as the general path's first field scan
        i++;
    if (u8 f = fast_in_ip(b, i, le)) {
        family = f;
        ts = i + 3;
        as = i + 7;
        // The address ends at ' ' (a further field) or, for c= multicast
        // ("224.2.1.1/127/3"), at '/'.
        e = find_byte2(b, as, le, ' ', '/');
    } else {
        u32 ns, ne, te, ae;
        if (!next_field(b, &i, le, &ns, &ne) || !next_field(b, &i, le, &ts, &te) ||
            !next_field(b, &i, le, &as, &ae))
            return SIPALG_R_BAD_SDP;
        if (!SIPALG_IEQ(b + ns, ne - ns, "in"))
            return SIPALG_OK;
        e = as;
        while (e < ae && b[e] != '/')
            e++;
        family = SIPALG_IEQ(b + ts, te - ts, "ip4")   ? 4
                 : SIPALG_IEQ(b + ts, te - ts, "ip6") ? 6
                                                      : 0;
    }
    sipalg_addr a SIPALG_UNINIT;
    __builtin_memset(&a, 0, sizeof(a));
    if (family == 4 && parse_ipv4(b + as, e - as, a.a))
        a.family = 4;
    else if (family == 6 && parse_ipv6(b + as, e - as, a.a))
        a.family = 6;
    else
        return SIPALG_OK; // FQDN or unknown type: left alone
    int r = add_ref(m, kind);
    if (r < 0)
        return SIPALG_R_TOO_MANY_ADDRS;
    sipalg_ref &ref = m->refs[r];
    ref.host_off = as;
    ref.host_len = e - as;
    ref.atype_off = ts;
    ref.addr = a;
    *idx = r;
    return SIPALG_OK;
}

u8 media_type(const u8 *p, u32 n) {
    if (SIPALG_IEQ(p, n, "audio"))
        return SIPALG_MEDIA_AUDIO;
    if (SIPALG_IEQ(p, n, "video"))
        return SIPALG_MEDIA_VIDEO;
    if (SIPALG_IEQ(p, n, "text"))
        return SIPALG_MEDIA_TEXT;
    if (SIPALG_IEQ(p, n, "application"))
        return SIPALG_MEDIA_APPLICATION;
    if (SIPALG_IEQ(p, n, "message"))
        return SIPALG_MEDIA_MESSAGE;
    if (SIPALG_IEQ(p, n, "image"))
        return SIPALG_MEDIA_IMAGE;
    return SIPALG_MEDIA_OTHER;
}

u8 media_proto(const u8 *p, u32 n) {
    // DTLS-SRTP profiles (RFC 5764) are reported as their RTP profile.
    if (n > 8 && SIPALG_IEQ(p, 8, "udp/tls/")) {
        p += 8;
        n -= 8;
    }
    if (SIPALG_IEQ(p, n, "rtp/avp"))
        return SIPALG_PROTO_RTP_AVP;
    if (SIPALG_IEQ(p, n, "rtp/savp"))
        return SIPALG_PROTO_RTP_SAVP;
    if (SIPALG_IEQ(p, n, "rtp/avpf"))
        return SIPALG_PROTO_RTP_AVPF;
    if (SIPALG_IEQ(p, n, "rtp/savpf"))
        return SIPALG_PROTO_RTP_SAVPF;
    if (SIPALG_IEQ(p, n, "udptl"))
        return SIPALG_PROTO_UDPTL;
    if (SIPALG_IEQ(p, n, "udp"))
        return SIPALG_PROTO_UDP;
    if (n >= 3 && SIPALG_IEQ(p, 3, "tcp"))
        return SIPALG_PROTO_TCP;
    return SIPALG_PROTO_OTHER;
}

int parse_m(const u8 *b, u32 i, u32 le, sipalg_msg *m) {
    if (m->n_media >= SIPALG_MAX_MEDIA)
        return SIPALG_R_TOO_MANY_MEDIA;
    u32 ts, te, ps, pe, rs, re;
    if (!next_field(b, &i, le, &ts, &te) || !next_field(b, &i, le, &ps, &pe) ||
        !next_field(b, &i, le, &rs, &re))
        return SIPALG_R_BAD_SDP;
    u32 slash = ps;
    while (slash < pe && b[slash] != '/')
        slash++;
    u16 port, count = 1;
    if (!parse_port(b, ps, slash, &port))
        return SIPALG_R_BAD_SDP;
    if (slash < pe && (!parse_port(b, slash + 1, pe, &count) || count == 0))
        return SIPALG_R_BAD_SDP;
    sipalg_media &md = m->media[m->n_media++];
    __builtin_memset(&md, 0, sizeof(md));
    md.type = media_type(b + ts, te - ts);
    md.proto = media_proto(b + rs, re - rs);
    md.dir = kDirUnset;
    md.c_ref = md.rtcp_ref = -1;
    md.port = port;
    md.port_count = count;
    md.port_off = ps;
    md.port_len = slash - ps;
    return SIPALG_OK;
}

// a=rtcp:<port> [<nettype> <addrtype> <address>] (RFC 3605).
int parse_rtcp(const u8 *b, u32 i, u32 le, sipalg_msg *m, sipalg_media &md) {
    u32 ps = i, pe = i;
    while (pe < le && is_digit(b[pe]))
        pe++;
    u16 port;
    if (!parse_port(b, ps, pe, &port) || (pe < le && b[pe] != ' '))
        return SIPALG_R_BAD_SDP;
    md.flags |= SIPALG_MEDIAF_RTCP;
    md.rtcp_port = port;
    md.rtcp_off = ps;
    md.rtcp_len = pe - ps;
    u32 k = pe;
    while (k < le && b[k] == ' ')
        k++;
    if (k >= le)
        return SIPALG_OK;
    int idx;
    int rc = parse_conn(b, k, le, SIPALG_REF_SDP_RTCP, m, &idx);
    md.rtcp_ref = (signed char)idx;
    return rc;
}

// The direction an 8-byte attribute names, or kDirUnset. Case-sensitive
// (RFC 8866 6.7): one word compared with four constants.
u8 direction(const u8 *p) {
    const u64 w = load_word(p);
    constexpr u64 kSendrecv = word_of("sendrecv", 8), kSendonly = word_of("sendonly", 8),
                  kRecvonly = word_of("recvonly", 8), kInactive = word_of("inactive", 8);
    if (w == kSendrecv)
        return SIPALG_DIR_SENDRECV;
    if (w == kSendonly)
        return SIPALG_DIR_SENDONLY;
    if (w == kRecvonly)
        return SIPALG_DIR_RECVONLY;
    if (w == kInactive)
        return SIPALG_DIR_INACTIVE;
    return kDirUnset;
}

// The media section being parsed (the last m= line), or null at session
// level.
sipalg_media *current_media(sipalg_msg *m) {
    return m->n_media ? &m->media[m->n_media - 1] : nullptr;
}

} // namespace

int parse_sdp(const u8 *b, u32 off, u32 len, sipalg_msg *m) {
    u32 end = off + len, i = off;
    bool first = true;
    u8 session_dir = SIPALG_DIR_SENDRECV;
    int rc = SIPALG_OK;
    while (i < end) {
        u32 nl = find_lf(b, i, end);
        u32 le = (nl > i && b[nl - 1] == '\r') ? nl - 1 : nl;
        u32 next = nl < end ? nl + 1 : end;
        if (le == i) { // blank line (often a stray trailing CRLF)
            i = next;
            continue;
        }
        if (le - i < 2 || b[i + 1] != '=' || !is_alpha(b[i]) || (first && b[i] != 'v'))
            return fail_at(m, i, SIPALG_R_BAD_SDP);
        first = false;
        u32 vs = i + 2;
        int idx;
        switch (b[i]) {
        case 'o': {
            // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <addr>
            u32 k = vs, fs, fe;
            for (int f = 0; f < 3; f++)
                if (!next_field(b, &k, le, &fs, &fe))
                    return fail_at(m, i, SIPALG_R_BAD_SDP);
            rc = parse_conn(b, k, le, SIPALG_REF_SDP_O, m, &idx);
            m->sdp_o_ref = (signed char)idx;
            break;
        }
        case 'c': {
            sipalg_media *md = current_media(m);
            if (md) {
                rc = parse_conn(b, vs, le, SIPALG_REF_SDP_MEDIA_C, m, &idx);
                md->c_ref = (signed char)idx;
            } else {
                rc = parse_conn(b, vs, le, SIPALG_REF_SDP_C, m, &idx);
                m->sdp_c_ref = (signed char)idx;
                if (idx >= 0)
                    m->sdp_c_addr = m->refs[idx].addr;
                else
                    __builtin_memset(&m->sdp_c_addr, 0, sizeof(m->sdp_c_addr));
            }
            break;
        }
        case 'm':
            rc = parse_m(b, vs, le, m);
            break;
        case 'a': {
            // Only a=rtcp:<...> and the four 8-letter direction flags matter.
            // rtpmap, fmtp and the like fail the first test on the length
            // or the first four bytes, compared as one word.
            constexpr u32 kRtcp = (u32)word_of("rtcp", 4);
            if (le - vs > 5 && (u32)load_word4(b + vs) == kRtcp && b[vs + 4] == ':') {
                sipalg_media *md = current_media(m);
                if (md) // session-level a=rtcp is meaningless; ignore it
                    rc = parse_rtcp(b, vs + 5, le, m, *md);
            } else if (le - vs == 8) {
                u8 d = direction(b + vs);
                if (d != kDirUnset) {
                    if (sipalg_media *md = current_media(m))
                        md->dir = d;
                    else
                        session_dir = d;
                }
            }
            break;
        }
        default:
            break;
        }
        if (rc != SIPALG_OK)
            return fail_at(m, i, rc);
        i = next;
    }
    if (first)
        return fail_at(m, off, SIPALG_R_BAD_SDP); // only blank lines
    m->sdp_dir = session_dir;
    for (u32 k = 0; k < m->n_media; k++) {
        sipalg_media &md = m->media[k];
        if (md.dir == kDirUnset)
            md.dir = session_dir;
        if (md.c_ref >= 0)
            md.addr = m->refs[md.c_ref].addr;
        else
            md.addr = m->sdp_c_addr;
    }
    return SIPALG_OK;
}

} // namespace sipalg::core
