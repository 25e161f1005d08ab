// SPDX-License-Identifier: GPL-2.0
//
// IP address text: strict parsing (IPv4 dotted quad, RFC 4291 IPv6) and
// canonical printing (IPv4 dotted, IPv6 per RFC 5952).
#include <sipalg/core/internal.hpp>

namespace sipalg::core {

// Strict: exactly four decimal parts 0..255 without leading zeros, so that
// "010.1.1.1" (octal to some parsers) is a hostname to us, never an address.
bool parse_ipv4(const u8 *s, u32 n, u8 out[4]) {
    if (n < 7 || n > 15)
        return false;
    // A zero-padded copy: the byte after the text is a 0, which is neither
    // a digit nor a dot, so the parts are read without a bound test per
    // byte. Two fixed-size copies that may overlap fill it (no loop).
    u8 t[16] = {};
    if (n >= 8) {
        __builtin_memcpy(t, s, 8);
        __builtin_memcpy(t + n - 8, s + n - 8, 8);
    } else {
        __builtin_memcpy(t, s, 4);
        __builtin_memcpy(t + 3, s + 3, 4);
    }
    const u8 *p = t;
    for (int part = 0;; part++) {
        // One to three digits; a second digit after a leading zero makes
        // it octal-looking, which is refused. p[1] and p[2] are read only
        // after a digit, so never past t[n].
        u32 v = (u32)p[0] - '0';
        if (v > 9)
            return false;
        u32 d = (u32)p[1] - '0';
        if (d > 9) {
            p += 1;
        } else {
            if (v == 0)
                return false;
            v = v * 10 + d;
            d = (u32)p[2] - '0';
            if (d > 9) {
                p += 2;
            } else {
                v = v * 10 + d;
                if (v > 255)
                    return false;
                p += 3;
            }
        }
        out[part] = (u8)v;
        if (part == 3)
            return p == t + n;
        if (*p != '.')
            return false;
        p++;
    }
}

bool parse_ipv6(const u8 *s, u32 n, u8 out[16]) {
    u16 g[8];
    int ng = 0, gap = -1; // gap: group index where "::" stands
    u32 i = 0;
    if (n < 2)
        return false;
    if (s[0] == ':') {
        if (s[1] != ':')
            return false;
        gap = 0;
        i = 2;
    }
    while (i < n) {
        u32 start = i, v = 0;
        while (i < n && is_hex(s[i]) && i - start < 5) {
            v = (v << 4) | hex_val(s[i]);
            i++;
        }
        if (i < n && s[i] == '.') {
            // Embedded IPv4 in the last 32 bits.
            if (ng > 6 || !parse_ipv4(s + start, n - start, out))
                return false;
            g[ng++] = (u16)((out[0] << 8) | out[1]);
            g[ng++] = (u16)((out[2] << 8) | out[3]);
            i = n;
            break;
        }
        if (i == start || i - start > 4 || ng == 8)
            return false;
        g[ng++] = (u16)v;
        if (i == n)
            break;
        if (s[i] != ':')
            return false;
        i++;
        if (i < n && s[i] == ':') {
            if (gap >= 0)
                return false;
            gap = ng;
            i++;
        } else if (i == n) {
            return false; // a single trailing ':'
        }
    }
    if (gap < 0 ? ng != 8 : ng > 7)
        return false;
    int fill = 8 - ng, o = 0;
    for (int k = 0; k < ng; k++) {
        if (k == gap)
            for (int z = 0; z < fill; z++, o++)
                out[2 * o] = out[2 * o + 1] = 0;
        out[2 * o] = (u8)(g[k] >> 8);
        out[2 * o + 1] = (u8)g[k];
        o++;
    }
    while (o < 8) { // "::" at the end (or everything is "::")
        out[2 * o] = out[2 * o + 1] = 0;
        o++;
    }
    return true;
}

u32 format_port(u16 port, u8 *out) {
    // The digit count first, then the digits straight into place from the
    // right: no reversal pass (media ports and Content-Length on every plan).
    u32 v = port;
    const u32 n = v >= 10000 ? 5 : v >= 1000 ? 4 : v >= 100 ? 3 : v >= 10 ? 2 : 1;
    for (u32 k = n; k > 1; k--) {
        out[k - 1] = (u8)('0' + v % 10);
        v /= 10;
    }
    out[0] = (u8)('0' + v);
    return n;
}

// "0." to "255.": each byte value's decimal digits and a dot, as four
// bytes to copy at once, and how many of them count. A part of a dotted
// quad is then one 4-byte move and an add, where dividing by 100 and 10
// took ~30 instructions (an address is printed on every plan that
// rewrites one).
struct DecimalDot {
    u8 text[256][4];
    u8 len[256];
};

constexpr DecimalDot make_decimal_dot() {
    DecimalDot t{};
    for (u32 v = 0; v < 256; v++) {
        u32 n = 0;
        if (v >= 100)
            t.text[v][n++] = (u8)('0' + v / 100);
        if (v >= 10)
            t.text[v][n++] = (u8)('0' + v / 10 % 10);
        t.text[v][n++] = (u8)('0' + v % 10);
        t.text[v][n++] = '.';
        t.len[v] = (u8)n;
    }
    return t;
}

constexpr DecimalDot kDecimalDot = make_decimal_dot();

// Writes up to 16 bytes at out (each part's four, the last one's past the
// text's end), and returns the text's length, at most 15.
static u32 format_ipv4(const u8 *a, u8 *out) {
    u32 n = 0;
    for (int i = 0; i < 4; i++) {
        __builtin_memcpy(out + n, kDecimalDot.text[a[i]], 4);
        n += kDecimalDot.len[a[i]];
    }
    return n - 1; // the last part's dot is not the address's
}

static u32 format_ipv6(const u8 *a, u8 *out) {
    u16 g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (u16)((a[2 * i] << 8) | a[2 * i + 1]);
    // RFC 5952 4.2: compress the longest run (>= 2) of zero groups, the
    // first one on a tie.
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j;
    }
    // RFC 5952 5: IPv4-mapped addresses use the mixed notation.
    bool mapped = best == 0 && best_len == 5 && g[5] == 0xffff;
    u32 n = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            out[n++] = ':';
            if (i == 0)
                out[n++] = ':';
            i += best_len - 1;
            continue;
        }
        if (mapped && i == 6) {
            n += format_ipv4(a + 12, out + n);
            break;
        }
        static constexpr char hex[] = "0123456789abcdef";
        bool started = false;
        for (int sh = 12; sh >= 0; sh -= 4) {
            u32 d = (g[i] >> sh) & 0xf;
            if (d || started || sh == 0) {
                out[n++] = (u8)hex[d];
                started = true;
            }
        }
        if (i != 7)
            out[n++] = ':';
    }
    return n;
}

u32 format_addr(const sipalg_addr &a, u8 *out) {
    if (a.family == 4)
        return format_ipv4(a.a, out);
    if (a.family == 6)
        return format_ipv6(a.a, out);
    return 0;
}

} // namespace sipalg::core

using namespace sipalg::core;

extern "C" int sipalg_addr_parse(const unsigned char *s, unsigned int len, sipalg_addr *out) {
    if (!s || !out)
        return 0;
    sipalg_addr a;
    __builtin_memset(&a, 0, sizeof(a));
    if (parse_ipv4(s, len, a.a))
        a.family = 4;
    else if (parse_ipv6(s, len, a.a))
        a.family = 6;
    else
        return 0;
    *out = a;
    return 1;
}

extern "C" unsigned int sipalg_addr_format(const sipalg_addr *a, unsigned char *out,
                                           unsigned int cap) {
    u8 tmp[48];
    if (!a || !out)
        return 0;
    const u32 n = format_addr(*a, tmp);
    if (n == 0 || n > cap)
        return 0;
    __builtin_memcpy(out, tmp, n);
    return n;
}
