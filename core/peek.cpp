// SPDX-License-Identifier: GPL-2.0
//
// Peek: what the first bytes of a payload say before any of it is copied.
// A helped port also carries TLS (5061), STUN and CRLF keep-alives; the
// kernel path asks here first so that those cost a look at a few bytes, not
// a linear (and, under NAT, private) copy of the whole payload.
//
// The answers only ever claim what sipalg_parse() and sipalg_frame() would
// conclude from the same bytes: the unit tests and the fuzzer hold them to
// it. Deliberately self-contained (its own token test), so that it stays
// a few instructions whatever the parser's scanners become.
#include <sipalg/core.h>

namespace {

using u8 = unsigned char;

bool is_crlf(u8 c) {
    return c == '\r' || c == '\n';
}

// RFC 3261 token: alphanumerics and -.!%*_+`'~ (what a method name or
// "SIP/2.0" can start with).
bool is_token(u8 c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~':
        return true;
    default:
        return false;
    }
}

} // namespace

extern "C" int sipalg_peek(const unsigned char *head, unsigned int head_len, unsigned int len,
                           int transport, int *reason) {
    int dummy;
    if (!reason)
        reason = &dummy;
    *reason = SIPALG_OK;
    unsigned int want = len < SIPALG_PEEK_LEN ? len : SIPALG_PEEK_LEN;
    // Not enough to go on (or nothing at all): let the parser decide.
    if (!head || len == 0 || head_len < want ||
        (transport != SIPALG_UDP && transport != SIPALG_TCP))
        return SIPALG_PEEK_MAYBE_SIP;

    // RFC 5626 keep-alives, the whole payload: "\r\n\r\n" ping, "\r\n"
    // pong. On TCP a trailing CR may still be followed by its LF (the
    // framer waits for it), so only one ending in LF is done with.
    if (len <= 4) {
        unsigned int k = 0;
        while (k < len && is_crlf(head[k]))
            k++;
        if (k == len && (transport == SIPALG_UDP || head[len - 1] == '\n'))
            return SIPALG_PEEK_KEEPALIVE;
    }

    // A TCP segment may start anywhere in the stream (the rest of a
    // message split across segments, then whole ones the framer finds):
    // its first bytes say nothing about the rest. A datagram is one
    // message, and one that does not start with a token is not SIP (STUN's
    // first byte is 0 or 1, TLS's 0x16).
    if (transport == SIPALG_TCP || is_token(head[0]))
        return SIPALG_PEEK_MAYBE_SIP;
    *reason = SIPALG_R_NOT_SIP;
    return SIPALG_PEEK_NOT_SIP;
}

// A TLS record header (RFC 8446 5.1) of a handshake (22) in TLS 1.0-1.3's
// legacy versions (3.1-3.4; SSL 3.0's 3.0 too), of a plausible length,
// holding a ClientHello (1) or ServerHello (2): the way every TLS stream
// begins, and no SIP byte (0x16 is a control character).
extern "C" int sipalg_peek_tls(const unsigned char *head, unsigned int head_len) {
    if (!head || head_len < 6)
        return 0;
    unsigned int rec_len = (unsigned int)head[3] << 8 | head[4];
    return head[0] == 22 && head[1] == 3 && head[2] <= 4 && rec_len >= 4 &&
           rec_len <= 16384 + 2048 && (head[5] == 1 || head[5] == 2);
}
