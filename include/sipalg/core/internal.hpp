// SPDX-License-Identifier: GPL-2.0
//
// Interfaces between the core's translation units (not part of the C ABI).
#pragma once

#include <sipalg/core/scan.hpp>

namespace sipalg::core {

// Append a ref to msg->refs. Returns its index, or -1 when the cap is hit.
inline int add_ref(sipalg_msg *msg, u8 kind) {
    if (msg->n_refs >= SIPALG_MAX_REFS)
        return -1;
    sipalg_ref *r = &msg->refs[msg->n_refs];
    __builtin_memset(r, 0, sizeof(*r));
    r->kind = kind;
    return msg->n_refs++;
}

// A parse failure rc on the line that starts at line_off (msg->err_off).
inline int fail_at(sipalg_msg *msg, u32 line_off, int rc) {
    msg->err_off = line_off;
    return rc;
}

// Does a request line b[0, le) end in " SIP/2.0" (the letters in any
// case, as RFC 3261 7.1 allows)? le >= 8. The framer's test of where a
// message starts and the parser's fast path for the usual start line.
SIPALG_ALWAYS_INLINE inline bool ends_in_sip_version(const u8 *b, u32 le) {
    return b[le - 8] == ' ' && literal_at<"sip/2.0", true>(b + le - 7);
}

// Parse the SDP body buf[off, off+len) into msg (sdp fields, media, refs).
// On failure, msg->err_off is the failing line (offset in buf).
int parse_sdp(const u8 *buf, u32 off, u32 len, sipalg_msg *msg);

// Address text helpers (address.cpp).
bool parse_ipv4(const u8 *s, u32 n, u8 out[4]);
bool parse_ipv6(const u8 *s, u32 n, u8 out[16]);
// Inline: the planner and the decisions compare a message's addresses
// with the NAT's, several per message, and a call costs more than this.
inline bool addr_equal(const sipalg_addr &a, const sipalg_addr &b) {
    if (a.family != b.family || a.family == 0)
        return false;
    // Fixed-size loads instead of a memcmp call; IPv4 compares only a[0..3]
    // (callers may leave the rest of the array uninitialised).
    if (a.family == 4) {
        unsigned int x, y;
        __builtin_memcpy(&x, a.a, 4);
        __builtin_memcpy(&y, b.a, 4);
        return x == y;
    }
    unsigned long long x[2], y[2];
    __builtin_memcpy(x, a.a, 16);
    __builtin_memcpy(y, b.a, 16);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}
// Writes a's canonical text (IPv4 dotted, IPv6 per RFC 5952) to out, which
// has room for 45 bytes (it may write past the text, within them); returns
// its length, 0 for no address. Without the bounce buffer of
// sipalg_addr_format(), for the planner's deep call chain.
u32 format_addr(const sipalg_addr &a, u8 *out);
// Writes a port in decimal; returns the number of bytes (1..5).
u32 format_port(u16 port, u8 *out);

} // namespace sipalg::core
