// The translations the fuzzer plans under (tests/fuzz/fuzz_core.cpp), also
// used by core_diff.cpp: the seed corpus is full of these addresses, so
// mutated messages keep matching them.
#pragma once

#include <sipalg/core.h>

#include <cstdlib>
#include <cstring>

namespace fuzz_xlats {

inline sipalg_addr A(const char *s) {
    sipalg_addr a{};
    if (!sipalg_addr_parse(reinterpret_cast<const unsigned char *>(s), std::strlen(s), &a))
        std::abort();
    return a;
}

inline sipalg_map M(const char *from, int fp, const char *to, int tp) {
    sipalg_map m{};
    m.flags = SIPALG_MAP_ACTIVE | (fp >= 0 ? SIPALG_MAP_PORT : 0);
    m.from = A(from);
    m.to = A(to);
    m.from_port = fp >= 0 ? fp : 0;
    m.to_port = tp >= 0 ? tp : 0;
    return m;
}

constexpr unsigned kCount = 6;

inline sipalg_xlat pick_xlat(unsigned sel) {
    sipalg_xlat x{};
    switch (sel % kCount) {
    case 0:
        x.map[0] = M("192.168.0.31", 5010, "212.19.6.166", 5010);
        break;
    case 1:
        x.map[0] = M("10.0.0.1", -1, "203.0.113.250", -1);
        x.map[1] = M("203.0.113.1", 5060, "192.168.0.31", 5010);
        break;
    case 2:
        x.map[0] = M("192.168.0.31", 5060, "2001:db8:ffff::2", 5062);
        break;
    case 3:
        x.map[0] = M("2001:db8::1", -1, "192.0.2.1", -1);
        break;
    case 4:
        x.map[0] = M("10.1.1.2", 5060, "203.0.113.250", 65535);
        x.map[1] = M("192.0.2.1", -1, "10.1.1.2", -1);
        break;
    default:
        x.map[0] = M("127.0.0.1", 5060, "1.2.3.4", 5060);
        break;
    }
    return x;
}

} // namespace fuzz_xlats
