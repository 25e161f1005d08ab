// SPDX-License-Identifier: GPL-2.0
//
// Byte-level scanning helpers shared by the core's parsers. Freestanding:
// no standard library, only builtins. Everything is inline and bounded by the
// span it is given. Most scanners the parser calls per field are always
// inlined. Which ones was measured with the module's own code generation
// (make bench-core-profile): GCC's choice moves with the size of unrelated
// code in the callers, by up to 3% of a parse either way, and forcing
// every one inline (find_lf() too) cost ~1.5%.
#pragma once

#include <sipalg/core.h>

// A local the code fills before it reads it. The kernel zeroes every
// local at function entry (-ftrivial-auto-var-init=zero in Debian's
// kernels, and the module's C++ is built with the kernel's flags), which
// for the parser's and planner's structs and text buffers is work done on
// every message for nothing; this opts them out, as the kernel's own
// __uninitialized does. Only for a local no path reads before writing.
#ifdef __has_attribute
#if __has_attribute(uninitialized)
#define SIPALG_UNINIT __attribute__((uninitialized))
#endif
#endif
#ifndef SIPALG_UNINIT
#define SIPALG_UNINIT
#endif

// Where the core forces a function inline: what the kernel's flags make of
// a call (an ftrace entry, a return thunk, saved registers) was measured
// to cost more than the body. The branch-coverage build of the unit tests
// (make unit-coverage) defines SIPALG_COVERAGE and builds with -fno-inline,
// so that each scanner is one function whose branches are counted together,
// not one copy per call site.
#ifdef SIPALG_COVERAGE
#define SIPALG_ALWAYS_INLINE
#else
#define SIPALG_ALWAYS_INLINE __attribute__((always_inline))
#endif

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

// Case-insensitive comparison of p[0..n) with a lowercase string of n
// bytes known only at run time (SIPALG_IEQ below is for literals).
inline bool ieq(const u8 *p, u32 n, const char *lit, u32 lit_n) {
    if (n != lit_n)
        return false;
    for (u32 i = 0; i < n; i++)
        if (lower(p[i]) != (u8)lit[i])
            return false;
    return true;
}

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
SIPALG_ALWAYS_INLINE inline u32 skip_ws(const u8 *b, u32 i, u32 end) {
    while (i < end && is_ws(b[i]))
        i++;
    return i;
}

// Index of the first byte in [i, end) outside (in_cls true) or inside
// (in_cls false) the class cls, or end. Unrolled by four with one bound
// check per four bytes: header names, hosts and parameter values are 3-20
// bytes, and a byte loop's bound check costs as much as its class lookup.
// A pointer steps, not an index: with an index, GCC computed i + 1, i + 2
// and i + 3 before each test (5 instructions a byte, now 3).
template <bool in_cls>
SIPALG_ALWAYS_INLINE inline u32 skip_class(const u8 *b, u32 i, u32 end, u8 cls) {
    auto stops = [cls](u8 c) { return (bool)(kChars.v[c] & cls) != in_cls; };
    // One compare per step: i <= end - 4 (false when i > end).
    const u32 last4 = end >= 4 ? end - 4 : 0;
    if (end >= 4 && i <= last4) {
        const u8 *p = b + i, *const last = b + last4;
        do {
            if (stops(p[0]))
                return (u32)(p - b);
            if (stops(p[1]))
                return (u32)(p - b) + 1;
            if (stops(p[2]))
                return (u32)(p - b) + 2;
            if (stops(p[3]))
                return (u32)(p - b) + 3;
            p += 4;
        } while (p <= last);
        i = (u32)(p - b);
    }
    while (i < end && !stops(b[i]))
        i++;
    return i;
}

SIPALG_ALWAYS_INLINE inline u32 skip_token(const u8 *b, u32 i, u32 end) {
    return skip_class<true>(b, i, end, C_TOKEN);
}

// Index of the first byte of class cls in [i, end), or end.
SIPALG_ALWAYS_INLINE inline u32 find_class(const u8 *b, u32 i, u32 end, u8 cls) {
    return skip_class<false>(b, i, end, cls);
}

} // namespace sipalg::core

namespace sipalg::core {

// Word-at-a-time scanning (general registers only, as the kernel build
// requires): lines, URIs and values are 20-80 bytes, and these scans
// dominate the parse.
//
// A byte of x is zero exactly where the word matched; zero_bytes() flags
// the lowest zero byte of x exactly (a borrow only runs upwards, so a false
// flag can only sit above a true one).
using u64 = unsigned long long;
constexpr u64 kOnes = 0x0101010101010101ull;
constexpr u64 kHighs = 0x8080808080808080ull;

inline u64 zero_bytes(u64 x) {
    return (x - kOnes) & ~x & kHighs;
}

// The eight bytes at p as a word whose lowest byte is p[0], on either byte
// order: the scanners find the first match with ctz (the lowest byte), and
// shift a tail word right to drop the bytes before i. Big-endian targets
// (MIPS, PowerPC routers) pay one byte swap per word.
inline u64 load_word(const u8 *p) {
    u64 w;
    __builtin_memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#elif __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "sipalg core: unknown byte order"
#endif
    return w;
}

// The four bytes at p as load_word() would give them (p[0] lowest).
inline u32 load_word4(const u8 *p) {
    u32 w;
    __builtin_memcpy(&w, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap32(w);
#endif
    return w;
}

// The 1-7 bytes from b[i] to end as load_word() gives them (end - i < 8,
// end >= 8, end no later than the buffer's end), never reading at or past
// end: the buffer's last word [end - 8, end) shifted right past the bytes
// before i, so zeros come in above end.
SIPALG_ALWAYS_INLINE inline u64 tail_word(const u8 *b, u32 i, u32 end) {
    return load_word(b + end - 8) >> ((8 - (end - i)) * 8);
}

// The word load_word() returns for the bytes of s[0..n) (n <= 8; missing
// bytes zero), at compile time: word constants built from text, so they
// match load_word() on either byte order.
constexpr u64 word_of(const char *s, u32 n) {
    u64 w = 0;
    for (u32 k = 0; k < n; k++)
        w |= (u64)(u8)s[k] << (8 * k);
    return w;
}

// A string literal as a template argument (literal_at<"via:">), with the
// bits a case-insensitive comparison ignores in it, 0x20 at each lowercase
// letter, both fixed at compile time.
template <u32 N> struct Literal {
    char text[N];
    char fold[N];
    consteval Literal(const char (&s)[N]) : text{}, fold{} {
        for (u32 k = 0; k < N; k++) {
            text[k] = s[k];
            fold[k] = (s[k] >= 'a' && s[k] <= 'z') ? 0x20 : 0;
        }
    }
    consteval u32 len() const { return N - 1; }
    consteval bool has_upper() const {
        for (u32 k = 0; k < N; k++)
            if (text[k] >= 'A' && text[k] <= 'Z')
                return true;
        return false;
    }
};

// p[0..n) against the literal L of n bytes, 2 <= n <= 16, as two
// overlapping pieces (its first and its last min(n, 8) bytes, 4 or 2 for
// shorter ones) compared as words, not byte by byte. With fold_case (L
// lower case) the 0x20 bit is set in p's bytes where L has a letter, so
// each letter matches in either case and every other byte exactly: the
// same answer as comparing lower() of each byte, for any input. Each
// piece is loaded into an integer of exactly its size from both sides,
// so the answer is the same on either byte order. Reads p[0..n) only.
template <Literal L, bool fold_case> SIPALG_ALWAYS_INLINE inline bool literal_at(const u8 *p) {
    constexpr u32 n = L.len();
    static_assert(n >= 2 && n <= 16, "literal_at compares 2..16 bytes");
    static_assert(!fold_case || !L.has_upper(), "a case-insensitive literal is lower case");
    constexpr u32 piece = n >= 8 ? 8 : n >= 4 ? 4 : 2;
    using Word = decltype([] {
        if constexpr (piece == 8)
            return 0ull;
        else if constexpr (piece == 4)
            return 0u;
        else
            return (u16)0;
    }());
    static_assert(sizeof(Word) == piece);
    auto at = [](const void *q) {
        Word w;
        __builtin_memcpy(&w, q, piece);
        return w;
    };
    const Word fold_first = fold_case ? at(L.fold) : 0;
    const Word fold_last = fold_case ? at(L.fold + n - piece) : 0;
    // Both pieces in one test, without a branch between them.
    return (((at(p) | fold_first) ^ at(L.text)) |
            ((at(p + n - piece) | fold_last) ^ at(L.text + n - piece))) == 0;
}

// Case-insensitive: is p[0..n) the lowercase literal L?
template <Literal L> SIPALG_ALWAYS_INLINE inline bool ieq_literal(const u8 *p, u32 n) {
    return n == L.len() && literal_at<L, true>(p);
}
#define SIPALG_IEQ(p, n, lit) ::sipalg::core::ieq_literal<lit>((p), (n))

// Index of the first byte in [i, end) that flags(word) flags, or end.
// flags(w) sets the high bit of bytes of w that match; its lowest flag must
// be exact (higher ones may be false, as zero_bytes() gives them).
//
// Precondition: b[0, end) is readable (b is the start of the buffer). The
// scan never reads at or past end: the kernel's buffer ends exactly there.
// A tail of 1-7 bytes is read as the last word before end, [end - 8, end),
// shifted right past the bytes before i; only flags on the real bytes (the
// low ones after the shift) count, and a false flag among them can only sit
// above a true one.
template <typename Flags>
SIPALG_ALWAYS_INLINE inline u32 find_first(const u8 *b, u32 i, u32 end, Flags flags) {
    if (i >= end)
        return i;
    if (end - i >= 8) {
        // A pointer steps, against the last whole word's start: one
        // compare a word, where end - i >= 8 took three.
        const u8 *p = b + i, *const last = b + end - 8;
        do {
            const u64 h = flags(load_word(p));
            if (h)
                return (u32)(p - b) + ((u32)__builtin_ctzll(h) >> 3);
            p += 8;
        } while (p <= last);
        i = (u32)(p - b);
    }
    if (i == end)
        return end;
    const u32 left = end - i; // 1..7
    if (end >= 8) {
        const u64 real = (1ull << (left * 8)) - 1; // the low `left` bytes
        const u64 h = flags(tail_word(b, i, end)) & real;
        return h ? i + ((u32)__builtin_ctzll(h) >> 3) : end;
    }
    // A buffer shorter than a word: byte by byte (the byte's own flag, in
    // the lowest position, is exact).
    while (i < end && !(flags((u64)b[i]) & 0x80))
        i++;
    return i;
}

// Index of the first byte equal to c in [i, end), or end.
SIPALG_ALWAYS_INLINE inline u32 find_byte(const u8 *b, u32 i, u32 end, u8 c) {
    const u64 pattern = kOnes * c;
    return find_first(b, i, end, [pattern](u64 w) { return zero_bytes(w ^ pattern); });
}

// Index of the first byte equal to c1 or c2 in [i, end), or end. Used where
// a field ends at either of two bytes (an SDP address at ' ' or '/'). Each
// mask's lowest flag is exact, so the lowest of both together is too.
SIPALG_ALWAYS_INLINE inline u32 find_byte2(const u8 *b, u32 i, u32 end, u8 c1, u8 c2) {
    const u64 p1 = kOnes * c1, p2 = kOnes * c2;
    return find_first(b, i, end,
                      [p1, p2](u64 w) { return zero_bytes(w ^ p1) | zero_bytes(w ^ p2); });
}

inline u32 find_lf(const u8 *b, u32 i, u32 end) {
    return find_byte(b, i, end, '\n');
}

// Index of the first byte in [i, end) a Request-URI check must look at:
// every byte below '!' (LWS among them), '<', '>', '@' and '?'; or end. A
// Request-URI is 20-60 bytes, most with none of these but one '@'. Each
// part's lowest flag is exact (the borrow of "below '!'" only runs upwards,
// from a flagged byte, as in zero_bytes()), so the lowest of all is too.
SIPALG_ALWAYS_INLINE inline u32 find_ruri_special(const u8 *b, u32 i, u32 end) {
    return find_first(b, i, end, [](u64 w) {
        return ((w - kOnes * '!') & ~w & kHighs) | zero_bytes(w ^ (kOnes * '<')) |
               zero_bytes(w ^ (kOnes * '>')) | zero_bytes(w ^ (kOnes * '@')) |
               zero_bytes(w ^ (kOnes * '?'));
    });
}

// Skip a quoted string starting at b[i] == '"'. Returns the index after the
// closing quote, or end + 1 when it is unterminated. Always inlined: a
// display name's call cost ~15 of its ~50 instructions.
SIPALG_ALWAYS_INLINE inline u32 skip_quoted(const u8 *b, u32 i, u32 end) {
    i++;
    for (;;) {
        // Word at a time to the next quote or escape (display names and
        // digest parameters are 5-40 bytes).
        i = find_byte2(b, i, end, '"', '\\');
        if (i >= end)
            return end + 1;
        if (b[i] == '"')
            return i + 1;
        i += 2; // the escaped byte
    }
}

// Parse decimal digits [i, end) into *v, saturating at 0xffffffff. Returns the
// index after the last digit (== i when there is no digit).
SIPALG_ALWAYS_INLINE inline u32 parse_u32(const u8 *b, u32 i, u32 end, u32 *v) {
    // A run of up to 7 digits (ports, lengths, CSeq numbers, expiries) from
    // one word: the digits found and their value without a loop, ~25
    // instructions where the digit loop took ~10 a digit. Near the end the
    // word has zeros above it (tail_word()), and a zero is no digit.
    if (i < end && end >= 8) {
        const u64 w = end - i >= 8 ? load_word(b + i) : tail_word(b, i, end);
        // High bit of each byte outside '0'..'9': at or above 0x80, at or
        // above ':' (+0x46 carries into the high bit), below '0' (-'0'
        // borrows). Only a flagged byte carries or borrows into the byte
        // above it, so the lowest flag is exact.
        const u64 digits = w - kOnes * '0';
        const u64 stops = (w | (w + kOnes * 0x46) | digits) & kHighs;
        if (stops) {
            const u32 n = (u32)__builtin_ctzll(stops) >> 3; // 0..7 digits
            if (n == 0) {
                *v = 0;
                return i;
            }
            // The n digit values at the top of the word, the first digit
            // lowest: "00001234" read left to right. Then pairs, fours and
            // the eight combined, each step a multiply and a shift.
            u64 d = digits << (8 * (8 - n));
            d = (d * 10 + (d >> 8)) & 0x00ff00ff00ff00ffull;
            d = (d * 100 + (d >> 16)) & 0x0000ffff0000ffffull;
            d = (d * 10000 + (d >> 32)) & 0xffffffffull;
            *v = (u32)d;
            return i + n;
        }
        // Eight digits or more: the loop below.
    }
    // Nine digits cannot overflow 32 bits: no saturation test per digit
    // for the usual 1-5 digit port, length or CSeq number.
    u32 acc = 0, d;
    const u32 fast_end = i < end && end - i > 9 ? i + 9 : end;
    while (i < fast_end && (d = (u32)b[i] - '0') <= 9) {
        acc = acc * 10 + d;
        i++;
    }
    if (i < fast_end || i >= end || !is_digit(b[i])) {
        *v = acc;
        return i;
    }
    unsigned long long wide = acc;
    while (i < end && is_digit(b[i])) {
        wide = wide * 10 + (b[i] - '0');
        if (wide > 0xffffffffull)
            wide = 0x100000000ull; // saturate, keep scanning the digits
        i++;
    }
    *v = wide > 0xffffffffull ? 0xffffffffu : (u32)wide;
    return i;
}

// A port at b[i]: the run of digits there, 1 to 5 of them, value <= 65535.
// Returns the index after the digits (*end_out), false when it is no port.
// One pass over the digits, where scanning the run and then parse_port()
// would take two.
SIPALG_ALWAYS_INLINE inline bool parse_port_run(const u8 *b, u32 i, u32 end, u16 *port,
                                                u32 *end_out) {
    u32 v;
    const u32 e = parse_u32(b, i, end, &v);
    *end_out = e;
    if (e == i || e - i > 5 || v > 65535)
        return false;
    *port = (u16)v;
    return true;
}

// A port: 1 to 5 digits, value <= 65535, exactly covering [i, end).
SIPALG_ALWAYS_INLINE inline bool parse_port(const u8 *b, u32 i, u32 end, u16 *port) {
    if (end <= i || end - i > 5)
        return false;
    u32 v = 0;
    if (parse_u32(b, i, end, &v) != end || v > 65535)
        return false;
    *port = (u16)v;
    return true;
}

} // namespace sipalg::core
