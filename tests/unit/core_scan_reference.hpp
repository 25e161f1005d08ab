// What each word-at-a-time scanner of include/sipalg/core/scan.hpp must
// answer, as the plain byte loop it stands for. The unit tests
// (core_scan.cpp) compare the scanners with these on every small window;
// the fuzzer (tests/fuzz/fuzz_core.cpp) on the first bytes of every input.
#pragma once

#include <sipalg/core/scan.hpp>

#include <initializer_list>

namespace scanref {

using sipalg::core::u16;
using sipalg::core::u32;
using sipalg::core::u8;

inline u32 find(const u8 *b, u32 i, u32 end, u8 c) {
    while (i < end && b[i] != c)
        i++;
    return i;
}

inline u32 find2(const u8 *b, u32 i, u32 end, u8 c1, u8 c2) {
    while (i < end && b[i] != c1 && b[i] != c2)
        i++;
    return i;
}

inline bool ruri_special(u8 c) {
    return c < '!' || c == '<' || c == '>' || c == '@' || c == '?';
}

inline u32 find_ruri_special(const u8 *b, u32 i, u32 end) {
    while (i < end && !ruri_special(b[i]))
        i++;
    return i;
}

inline u32 skip_token(const u8 *b, u32 i, u32 end) {
    while (i < end && sipalg::core::is_token(b[i]))
        i++;
    return i;
}

inline u32 find_class(const u8 *b, u32 i, u32 end, u8 cls) {
    while (i < end && !sipalg::core::in_class(b[i], cls))
        i++;
    return i;
}

// The stop classes the parser passes to find_class().
constexpr u8 kStopClasses[] = {sipalg::core::C_HOST_STOP, sipalg::core::C_PARAM_STOP,
                               sipalg::core::C_NAME_STOP, sipalg::core::C_WS};

// The digit loop, saturating on every digit.
inline u32 parse_u32(const u8 *b, u32 i, u32 end, u32 *v) {
    unsigned long long acc = 0;
    while (i < end && b[i] >= '0' && b[i] <= '9') {
        acc = acc * 10 + (b[i] - '0');
        if (acc > 0xffffffffull)
            acc = 0x100000000ull;
        i++;
    }
    *v = acc > 0xffffffffull ? 0xffffffffu : (u32)acc;
    return i;
}

// b[i] is the opening quote: past the closing one, or end + 1.
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

// The digit run at i, then parse_port() on it.
inline bool port_run(const u8 *b, u32 i, u32 end, u16 *port, u32 *run_end) {
    u32 run = i;
    while (run < end && b[run] >= '0' && b[run] <= '9')
        run++;
    *run_end = run;
    return sipalg::core::parse_port(b, i, run, port);
}

// Every scanner against its byte loop on b[i, end). Returns the name of the
// first that disagrees, or nullptr.
inline const char *first_disagreeing(const u8 *b, u32 i, u32 end) {
    namespace c = sipalg::core;
    for (u8 x : {(u8)'\n', (u8)'"', i < end ? b[i] : (u8)'x'}) {
        if (c::find_byte(b, i, end, x) != find(b, i, end, x))
            return "find_byte";
        if (c::find_byte2(b, i, end, x, ',') != find2(b, i, end, x, ','))
            return "find_byte2";
    }
    if (c::find_lf(b, i, end) != find(b, i, end, '\n'))
        return "find_lf";
    if (c::find_ruri_special(b, i, end) != find_ruri_special(b, i, end))
        return "find_ruri_special";
    if (c::skip_token(b, i, end) != skip_token(b, i, end))
        return "skip_token";
    for (u8 cls : kStopClasses)
        if (c::find_class(b, i, end, cls) != find_class(b, i, end, cls))
            return "find_class";
    u32 got = 0, want = 0;
    if (c::parse_u32(b, i, end, &got) != parse_u32(b, i, end, &want) || got != want)
        return "parse_u32";
    u16 port = 0, want_port = 0;
    u32 run_end = 0, want_run_end = 0;
    const bool ok = c::parse_port_run(b, i, end, &port, &run_end);
    if (ok != port_run(b, i, end, &want_port, &want_run_end) || run_end != want_run_end ||
        (ok && port != want_port))
        return "parse_port_run";
    if (i < end && b[i] == '"' && c::skip_quoted(b, i, end) != skip_quoted(b, i, end))
        return "skip_quoted";
    return nullptr;
}

} // namespace scanref
