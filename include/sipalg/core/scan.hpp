// SPDX-License-Identifier: GPL-2.0
//
// Byte-level scanning helpers shared by the core's parsers. Freestanding:
// no standard library, only builtins. Everything is inline and bounded by the
// span it is given.
#pragma once

#include <sipalg/core.h>

namespace sipalg::core {

using u8 = unsigned char;
using u16 = unsigned short;
using u32 = unsigned int;

// Character classes, built at compile time so a lookup is one load.
enum : u8 {
    C_DIGIT = 0x01,
    C_HEX = 0x02,
    C_ALPHA = 0x04,
    C_TOKEN = 0x08, // RFC 3261 token characters
    C_WS = 0x10,    // SP, HT, CR, LF: linear white space inside a header value
    // Stop sets of the hot scanning loops, so each byte costs one lookup:
    C_HOST_STOP = 0x20,  // ends a URI host: ':' ';' '?' '>' ',' and LWS
    C_PARAM_STOP = 0x40, // ends a parameter value: ';' ',' and LWS
    C_NAME_STOP = 0x80,  // ends a display-name scan: '<' ',' '"'
};

struct CharTable {
    u8 v[256];
};

constexpr CharTable make_char_table() {
    CharTable t{};
    for (int c = '0'; c <= '9'; c++)
        t.v[c] |= C_DIGIT | C_HEX | C_TOKEN;
    for (int c = 'a'; c <= 'z'; c++)
        t.v[c] |= C_ALPHA | C_TOKEN;
    for (int c = 'A'; c <= 'Z'; c++)
        t.v[c] |= C_ALPHA | C_TOKEN;
    for (int c = 'a'; c <= 'f'; c++)
        t.v[c] |= C_HEX;
    for (int c = 'A'; c <= 'F'; c++)
        t.v[c] |= C_HEX;
    const char *tok = "-.!%*_+`'~";
    for (int i = 0; tok[i]; i++)
        t.v[(u8)tok[i]] |= C_TOKEN;
    const char *ws = " \t\r\n";
    for (int i = 0; ws[i]; i++)
        t.v[(u8)ws[i]] |= C_WS | C_HOST_STOP | C_PARAM_STOP;
    const char *host_stop = ":;?>,";
    for (int i = 0; host_stop[i]; i++)
        t.v[(u8)host_stop[i]] |= C_HOST_STOP;
    t.v[(u8)';'] |= C_PARAM_STOP;
    t.v[(u8)','] |= C_PARAM_STOP;
    t.v[(u8)'<'] |= C_NAME_STOP;
    t.v[(u8)','] |= C_NAME_STOP;
    t.v[(u8)'"'] |= C_NAME_STOP;
    return t;
}

inline constexpr CharTable kChars = make_char_table();

inline bool is_digit(u8 c) {
    return kChars.v[c] & C_DIGIT;
}
inline bool is_hex(u8 c) {
    return kChars.v[c] & C_HEX;
}
inline bool is_alpha(u8 c) {
    return kChars.v[c] & C_ALPHA;
}
inline bool is_token(u8 c) {
    return kChars.v[c] & C_TOKEN;
}
inline bool is_ws(u8 c) {
    return kChars.v[c] & C_WS;
}
inline bool is_sp(u8 c) {
    return c == ' ' || c == '\t';
}
inline bool in_class(u8 c, u8 cls) {
    return kChars.v[c] & cls;
}
// ASCII lower case by table: one load, no branch (case-insensitive header
// and parameter names are compared on every message).
struct LowerTable {
    u8 v[256];
};

constexpr LowerTable make_lower_table() {
    LowerTable t{};
    for (int c = 0; c < 256; c++)
        t.v[c] = (u8)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    return t;
}

inline constexpr LowerTable kLower = make_lower_table();

inline u8 lower(u8 c) {
    return kLower.v[c];
}
inline u32 hex_val(u8 c) {
    return c <= '9' ? (u32)(c - '0') : (u32)(lower(c) - 'a' + 10);
}

// Length of a string literal, at compile time.
template <u32 N> constexpr u32 lit_len(const char (&)[N]) {
    return N - 1;
}

// Case-insensitive comparison of p[0..n) with a lowercase literal.
inline bool ieq(const u8 *p, u32 n, const char *lit, u32 lit_n) {
    if (n != lit_n)
        return false;
    for (u32 i = 0; i < n; i++)
        if (lower(p[i]) != (u8)lit[i])
            return false;
    return true;
}
#define SIPALG_IEQ(p, n, lit) ::sipalg::core::ieq((p), (n), lit, sizeof(lit) - 1)

// Byte comparison without a library call (these strings are a few bytes
// long; a memcmp call costs more than the comparison).
inline bool same_bytes(const u8 *a, const char *b, u32 n) {
    for (u32 i = 0; i < n; i++)
        if (a[i] != (u8)b[i])
            return false;
    return true;
}

// Exact comparison with a literal.
inline bool eq(const u8 *p, u32 n, const char *lit, u32 lit_n) {
    return n == lit_n && same_bytes(p, lit, n);
}
#define SIPALG_EQ(p, n, lit) ::sipalg::core::eq((p), (n), lit, sizeof(lit) - 1)

// Skip linear white space (SP, HT, CR, LF) in [i, end).
inline u32 skip_ws(const u8 *b, u32 i, u32 end) {
    while (i < end && is_ws(b[i]))
        i++;
    return i;
}

// Four bytes per step while they are all token characters: header names,
// methods and Via transports are 3-14 bytes, so the byte loop's per-step
// bound check and branch cost as much as the class lookups.
inline u32 skip_token(const u8 *b, u32 i, u32 end) {
    while (i < end && end - i >= 4) {
        const u8 all =
            kChars.v[b[i]] & kChars.v[b[i + 1]] & kChars.v[b[i + 2]] & kChars.v[b[i + 3]];
        if (!(all & C_TOKEN))
            break;
        i += 4;
    }
    while (i < end && is_token(b[i]))
        i++;
    return i;
}

// Skip a quoted string starting at b[i] == '"'. Returns the index after the
// closing quote, or end + 1 when it is unterminated.
inline u32 skip_quoted(const u8 *b, u32 i, u32 end) {
    i++;
    while (i < end) {
        if (b[i] == '\\') {
            i += 2;
            continue;
        }
        if (b[i] == '"')
            return i + 1;
        i++;
    }
    return end + 1;
}

// Parse decimal digits [i, end) into *v, saturating at 0xffffffff. Returns the
// index after the last digit (== i when there is no digit).
inline u32 parse_u32(const u8 *b, u32 i, u32 end, u32 *v) {
    unsigned long long acc = 0;
    while (i < end && is_digit(b[i])) {
        acc = acc * 10 + (b[i] - '0');
        if (acc > 0xffffffffull)
            acc = 0x100000000ull; // saturate, keep scanning the digits
        i++;
    }
    *v = acc > 0xffffffffull ? 0xffffffffu : (u32)acc;
    return i;
}

// A port: 1 to 5 digits, value <= 65535, exactly covering [i, end).
inline bool parse_port(const u8 *b, u32 i, u32 end, u16 *port) {
    if (end <= i || end - i > 5)
        return false;
    u32 v = 0;
    if (parse_u32(b, i, end, &v) != end || v > 65535)
        return false;
    *port = (u16)v;
    return true;
}

} // namespace sipalg::core

namespace sipalg::core {

// Index of the first byte equal to c in [i, end), or end. Eight bytes at a
// time: lines, URIs and values are 20-80 bytes, and these scans dominate the
// parse. (General registers only, as the kernel build requires.)
inline u32 find_byte(const u8 *b, u32 i, u32 end, u8 c) {
    constexpr unsigned long long ones = 0x0101010101010101ull;
    constexpr unsigned long long highs = 0x8080808080808080ull;
    const unsigned long long pattern = ones * c;
    while (end - i >= 8) {
        unsigned long long w;
        __builtin_memcpy(&w, b + i, 8);
        unsigned long long x = w ^ pattern;
        // The lowest flagged byte is exact (borrows only run upwards).
        unsigned long long hit = (x - ones) & ~x & highs;
        if (hit)
            return i + ((u32)__builtin_ctzll(hit) >> 3);
        i += 8;
    }
    while (i < end && b[i] != c)
        i++;
    return i;
}

// Word-at-a-time helpers. A byte of x is zero exactly where the word
// matched; zero_bytes() flags the lowest zero byte of x exactly (a borrow
// only runs upwards, so a false flag can only sit above a true one).
constexpr unsigned long long kOnes = 0x0101010101010101ull;
constexpr unsigned long long kHighs = 0x8080808080808080ull;

inline unsigned long long zero_bytes(unsigned long long x) {
    return (x - kOnes) & ~x & kHighs;
}

// Index of the first byte equal to c1 or c2 in [i, end), or end. Used where
// a field ends at either of two bytes (an SDP address at ' ' or '/').
inline u32 find_byte2(const u8 *b, u32 i, u32 end, u8 c1, u8 c2) {
    const unsigned long long p1 = kOnes * c1, p2 = kOnes * c2;
    while (i < end && end - i >= 8) {
        unsigned long long w;
        __builtin_memcpy(&w, b + i, 8);
        // Each mask's lowest flag is exact, so the lowest flag of the two
        // together is the first byte matching either.
        const unsigned long long hit = zero_bytes(w ^ p1) | zero_bytes(w ^ p2);
        if (hit)
            return i + ((u32)__builtin_ctzll(hit) >> 3);
        i += 8;
    }
    while (i < end && b[i] != c1 && b[i] != c2)
        i++;
    return i;
}

inline u32 find_lf(const u8 *b, u32 i, u32 end) {
    return find_byte(b, i, end, '\n');
}

} // namespace sipalg::core
