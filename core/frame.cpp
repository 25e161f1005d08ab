// SPDX-License-Identifier: GPL-2.0
//
// TCP framing: where does the first SIP message in a byte stream end?
// RFC 3261 18.3: the header block ends at the first empty line, and the body
// is exactly Content-Length bytes.
#include <sipalg/core/internal.hpp>

using namespace sipalg::core;

namespace {

// A "Content-Length:" / "l:" header line [i, le)? Then parse its value.
// Returns 0 = not CL, 1 = CL parsed into *v, -1 = malformed CL.
int content_length_line(const u8 *b, u32 i, u32 le, u32 *v) {
    // The name, "l" or "content-length" in any case, is known by its
    // first byte and one compare: most lines go no further. A longer
    // name has a token byte next, which the colon test below refuses.
    const u8 first = b[i] | 0x20;
    u32 ne;
    if (first == 'l')
        ne = i + 1;
    else if (first == 'c' && le - i >= 14 && SIPALG_IEQ(b + i, 14, "content-length"))
        ne = i + 14;
    else
        return 0;
    u32 c = ne;
    while (c < le && is_sp(b[c]))
        c++;
    if (c >= le || b[c] != ':')
        return 0;
    c++;
    while (c < le && is_sp(b[c]))
        c++;
    u32 e = parse_u32(b, c, le, v);
    if (e == c || *v > SIPALG_MAX_MSG_LEN)
        return -1;
    while (e < le && is_ws(b[e]))
        e++;
    return e == le ? 1 : -1;
}

// Could b[0..len) be the beginning of a SIP message: "SIP/2.0 " (as much
// of it as there is), or a method token and a space, its line ending in
// " SIP/2.0" once the line is whole? A segment that starts inside a message
// (a header's or the body's bytes) is not.
bool starts_like_message(const u8 *b, u32 len) {
    static const char status[] = "sip/2.0 "; // ieq() wants lower case
    u32 n = len < 8 ? len : 8;
    if (n > 0 && ieq(b, n, status, n))
        return true;
    u32 t = skip_token(b, 0, len);
    if (t == 0)
        return false;
    if (t == len)
        return true;
    if (b[t] != ' ')
        return false;
    u32 nl = find_lf(b, t, len);
    if (nl >= len)
        return true;
    u32 le = (b[nl - 1] == '\r') ? nl - 1 : nl;
    return le >= t + 8 && ends_in_sip_version(b, le);
}

// sipalg_frame(), and on NEED_MORE *need: the message's whole length once
// its header block is complete (which says it), else 0.
int frame_one(const u8 *buf, u32 len, u32 *msg_len, int *reason, u32 *need) {
    *reason = SIPALG_OK;
    *msg_len = 0;
    *need = 0;
    if (len == 0)
        return SIPALG_FRAME_NEED_MORE;
    if (buf[0] == '\r' || buf[0] == '\n') {
        // Keep-alive CRLFs between (or instead of) messages.
        u32 k = 0;
        while (k < len && k < 4 && (buf[k] == '\r' || buf[k] == '\n'))
            k++;
        if (k == len && buf[k - 1] == '\r')
            return SIPALG_FRAME_NEED_MORE;
        *msg_len = k;
        return SIPALG_FRAME_COMPLETE;
    }
    u32 lim = len < SIPALG_MAX_MSG_LEN ? len : SIPALG_MAX_MSG_LEN;
    u32 i = 0, cl = 0, hdr_end = 0;
    bool have_cl = false;
    for (;;) {
        u32 nl = find_lf(buf, i, lim);
        if (nl >= lim) {
            if (lim == SIPALG_MAX_MSG_LEN) {
                *reason = SIPALG_R_TOO_LONG;
                return SIPALG_FRAME_INVALID;
            }
            return SIPALG_FRAME_NEED_MORE;
        }
        u32 le = (nl > i && buf[nl - 1] == '\r') ? nl - 1 : nl;
        if (le == i) {
            if (i == 0) {
                *reason = SIPALG_R_BAD_START_LINE;
                return SIPALG_FRAME_INVALID;
            }
            hdr_end = nl + 1;
            break;
        }
        if (i > 0) {
            u32 v;
            int r = content_length_line(buf, i, le, &v);
            if (r < 0 || (r > 0 && have_cl)) {
                *reason = r < 0 ? SIPALG_R_BAD_CONTENT_LENGTH : SIPALG_R_DUP_HEADER;
                return SIPALG_FRAME_INVALID;
            }
            if (r > 0) {
                have_cl = true;
                cl = v;
            }
        }
        i = nl + 1;
    }
    unsigned long total = (unsigned long)hdr_end + cl;
    if (total > SIPALG_MAX_MSG_LEN) {
        *reason = SIPALG_R_TOO_LONG;
        return SIPALG_FRAME_INVALID;
    }
    if (total > len) {
        *need = (u32)total;
        return SIPALG_FRAME_NEED_MORE;
    }
    *msg_len = (u32)total;
    return SIPALG_FRAME_COMPLETE;
}

} // namespace

extern "C" int sipalg_frame(const unsigned char *buf, unsigned int len, unsigned int *msg_len,
                            int *reason) {
    int dummy;
    u32 need;
    if (!reason)
        reason = &dummy;
    if (!buf || !msg_len) {
        *reason = SIPALG_R_BAD_ARG;
        return SIPALG_FRAME_INVALID;
    }
    return frame_one(buf, len, msg_len, reason, &need);
}

extern "C" int sipalg_frame_tail_lens(const unsigned char *buf, unsigned int len,
                                      unsigned int *tail_off, unsigned int *need,
                                      unsigned int *lens, unsigned int max, unsigned int *n) {
    unsigned int dummy, count = 0;
    if (!need)
        need = &dummy;
    if (!n)
        n = &count;
    *need = 0;
    *n = 0;
    if (!buf || !tail_off)
        return SIPALG_FRAME_INVALID;
    u32 off = 0;
    while (off < len) {
        u32 msg_len, msg_need;
        int reason;
        int r = frame_one(buf + off, len - off, &msg_len, &reason, &msg_need);
        if (r == SIPALG_FRAME_COMPLETE) {
            // A run of keep-alive CR/LFs that ends in a CR or at the end of
            // buf may frame otherwise in another packet (one that ends
            // there, or joins more CR/LFs to it): the lengths stop before.
            const u8 first = buf[off], last = buf[off + msg_len - 1];
            if ((first == '\r' || first == '\n') && (last == '\r' || off + msg_len == len))
                max = 0;
            if (*n < max)
                lens[(*n)++] = msg_len;
            off += msg_len;
            continue;
        }
        *tail_off = off;
        if (r == SIPALG_FRAME_NEED_MORE && starts_like_message(buf + off, len - off)) {
            *need = msg_need;
            return SIPALG_FRAME_NEED_MORE;
        }
        return SIPALG_FRAME_INVALID;
    }
    *tail_off = len;
    return SIPALG_FRAME_COMPLETE;
}

extern "C" int sipalg_frame_tail(const unsigned char *buf, unsigned int len, unsigned int *tail_off,
                                 unsigned int *need) {
    return sipalg_frame_tail_lens(buf, len, tail_off, need, nullptr, 0, nullptr);
}

extern "C" int sipalg_frame_begins(const unsigned char *buf, unsigned int len) {
    if (!buf || len == 0)
        return 0;
    // Keep-alive CR/LFs (any number: several may come together), then
    // nothing or a message; a line's end inside a message is followed by
    // a header or body line.
    u32 k = 0;
    while (k < len && (buf[k] == '\r' || buf[k] == '\n'))
        k++;
    return k == len || starts_like_message(buf + k, len - k) ? 1 : 0;
}
