// SPDX-License-Identifier: GPL-2.0
//
// Load-time self-test: one REGISTER through parse, plan and in-place apply
// (what the packet path runs), compared with the expected bytes. It proves
// the C++ objects were linked and run correctly inside the module (no
// missing runtime, no miscompiled table).
#include <sipalg/core/internal.hpp>

namespace {

constexpr char kIn[] = "REGISTER sip:pbx.example.com SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP 192.168.0.31:5010;branch=z9hG4bK1;rport\r\n"
                       "From: <sip:011@pbx.example.com>;tag=1\r\n"
                       "To: <sip:011@pbx.example.com>\r\n"
                       "Call-ID: 1@192.168.0.31\r\n"
                       "CSeq: 1 REGISTER\r\n"
                       "Contact: <sip:011@192.168.0.31:5010>\r\n"
                       "Content-Length: 0\r\n"
                       "\r\n";

constexpr char kOut[] = "REGISTER sip:pbx.example.com SIP/2.0\r\n"
                        "Via: SIP/2.0/UDP 203.0.113.1:6010;branch=z9hG4bK1;rport\r\n"
                        "From: <sip:011@pbx.example.com>;tag=1\r\n"
                        "To: <sip:011@pbx.example.com>\r\n"
                        "Call-ID: 1@192.168.0.31\r\n"
                        "CSeq: 1 REGISTER\r\n"
                        "Contact: <sip:011@203.0.113.1:6010>\r\n"
                        "Content-Length: 0\r\n"
                        "\r\n";

// Too big for the kernel stack; zero-initialised, so no constructor runs.
// Only module init calls the self-test, so there is no concurrency.
sipalg_msg g_msg;
sipalg_plan g_plan;
// The message is rewritten in place, as the shim does in the skb: room for
// it before and after.
unsigned char g_buf[sizeof(kIn) > sizeof(kOut) ? sizeof(kIn) : sizeof(kOut)];

} // namespace

extern "C" int sipalg_core_selftest(void) {
    const auto *in = (const unsigned char *)kIn;
    const unsigned int in_len = sizeof(kIn) - 1;
    if (sipalg_parse(in, in_len, SIPALG_UDP, &g_msg) != SIPALG_OK)
        return 1;
    if (g_msg.method != SIPALG_M_REGISTER || g_msg.cseq != 1 || g_msg.n_contacts != 1)
        return 2;
    sipalg_xlat x;
    __builtin_memset(&x, 0, sizeof(x));
    x.map[0].flags = SIPALG_MAP_ACTIVE | SIPALG_MAP_PORT;
    x.map[0].from.family = 4;
    x.map[0].to.family = 4;
    const unsigned char from[4] = {192, 168, 0, 31}, to[4] = {203, 0, 113, 1};
    __builtin_memcpy(x.map[0].from.a, from, 4);
    __builtin_memcpy(x.map[0].to.a, to, 4);
    x.map[0].from_port = 5010;
    x.map[0].to_port = 6010;
    if (sipalg_make_plan(in, &g_msg, &x, nullptr, 0, &g_plan) != SIPALG_OK)
        return 3;
    if (g_plan.n_edits != 2)
        return 4;
    __builtin_memcpy(g_buf, in, in_len);
    long n = sipalg_apply_in_place(g_buf, sizeof(g_buf), in_len, &g_plan);
    if (n != (long)(sizeof(kOut) - 1) || __builtin_memcmp(g_buf, kOut, n) != 0)
        return 5;
    return 0;
}
