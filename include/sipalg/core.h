/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sipalg core: the C ABI of the freestanding SIP/SDP parser and rewrite
 * planner.
 *
 * This header is included by the kernel C shim (kmod/) and by C++ (the core
 * itself, the unit tests, the fuzzer, the benchmark and the CLI). It uses only
 * builtin types: no <stdint.h>, no kernel headers.
 *
 * Typical use by the shim, per packet (all state lives in caller-provided
 * structs; the core keeps no state between calls and is reentrant):
 *
 *   1. Frame. UDP: the whole datagram is one message. TCP: sipalg_frame()
 *      finds the first message boundary in a byte range (Content-Length
 *      based) and answers COMPLETE (with its length), NEED_MORE or INVALID.
 *   2. Parse. sipalg_parse() fills a struct sipalg_msg: start line, CSeq,
 *      Call-ID, Expires, Contacts, every IP-literal address occurrence in the
 *      headers that may need rewriting (refs[]), and the SDP session and
 *      media streams. It returns SIPALG_OK or a "pass unmodified" reason.
 *   3. Plan. sipalg_make_plan() takes the address translation in force (up to two
 *      mappings, the packet's source side and destination side) and optional
 *      per-media-stream port overrides (the public ports the shim chose for
 *      the RTP/RTCP pinholes), and produces an ordered list of
 *      non-overlapping edits, Content-Length fix included.
 *   4. Apply. Edits carry offsets into the ORIGINAL message and are sorted by
 *      offset, so a shim mangling the skb in place applies them from the last
 *      to the first (each edit then leaves the offsets of the earlier ones
 *      valid). sipalg_apply_in_place() applies a whole plan inside one
 *      buffer in a single pass.
 *
 * Any return other than SIPALG_OK means: leave the message unmodified and
 * count the reason (sipalg_reason_name() gives a short stable name). A
 * failing call always leaves an empty plan behind.
 *
 * What is rewritten: only what the endpoint on one side of the NAT wrote
 * about itself, and only by that side's mapping ("who wrote it"; RFC 3261
 * is the law). map[0] is the packet's source side (the sender's own
 * address), map[1] its destination side (where the packet really goes).
 *
 *                         request                  response
 *   sender, by map[0]     top Via, Contact, From,  Contact, To, SDP
 *                         SDP
 *   receiver, by map[1]   Request-URI, To          top Via, From; in a 2xx
 *                                                  to REGISTER also Contact
 *                                                  (exact address:port only)
 *
 *   - "top Via" is the first Via value of the first Via header (also in a
 *     comma list or a compact "v:"): its sent-by, received=, maddr= and
 *     rport=. Any other Via is never touched: those were written by the
 *     hops behind the requester, and a response must carry them back byte
 *     for byte (RFC 3261 8.2.6.2, 18.1.2: a client drops a response whose
 *     top Via it did not write). They may even name the very same private
 *     address:port as our phone (a far caller behind its own NAT).
 *   - A 2xx to REGISTER (CSeq method REGISTER, status 200-299) lists the
 *     registered bindings: the receiver's (the phone's) own binding comes
 *     back to it only when it is exactly map[1]'s from address and
 *     from_port; other bindings on the same public address belong to other
 *     phones behind the same NAT.
 *   - SDP: o=, c= (session and media level), a=rtcp address, and the m=
 *     and a=rtcp ports the caller overrides.
 *
 * How an occurrence matches its mapping (never a hold address, 0.0.0.0 or
 * ::, never a hostname):
 *   - SIP URI hosts (sip:, sips:) and Via sent-by carry a port (explicit,
 *     or the default: 5060 for sip:, 5061 for sips: and Via .../TLS). The
 *     map's from address with exactly from_port becomes to address and
 *     to_port; the from address with another port becomes the to address
 *     and keeps its port (a phone on TCP sends from an ephemeral port but
 *     names 5060). The REGISTER 2xx Contact above matches exactly only.
 *     When the new port equals the default and the URI had no port, none is
 *     added; a URI without port gets ":port" when the new port differs.
 *   - Via received= and maddr=, SDP o=, c= and a=rtcp address: address only.
 *     "IN IP4"/"IN IP6" is changed too when the family changes.
 *   - Via rport=N: when the Via's effective address (received= if present,
 *     else sent-by) is the from address and N is from_port, N becomes
 *     to_port.
 *   - m= port and a=rtcp port: only by the caller's media overrides, and only
 *     when that stream's connection address (media c=, else session c=) is
 *     the sender's; never port 0 (rejected stream), never on hold.
 *   - Content-Length: the digits of the value, when the body length changes
 *     (the header name and its form, e.g. compact "l:", are untouched).
 * Deliberately left alone: Route, Record-Route, Path, P-Asserted-Identity,
 * Refer-To, Replaces and any other header; Call-ID, branch, tags and all
 * other opaque tokens; hostnames (no DNS); a=candidate and other attributes;
 * multipart bodies (the SIP headers are still rewritten); URI maddr=.
 *
 * What the parser insists on (anything else is passed unmodified with a
 * reason; an ALG must not rewrite what it does not fully understand):
 *   - start line: exactly "METHOD SP Request-URI SP SIP/2.0" or
 *     "SIP/2.0 SP 3DIGIT SP reason"; no LWS, "<>" or headers ("?" after the
 *     userinfo) in the Request-URI; another version is BAD_VERSION;
 *   - Via, From, To, Call-ID and CSeq present; From, To, Call-ID, CSeq,
 *     Content-Length, Content-Type and Expires at most once; CSeq number
 *     below 2^31 and, in requests, its method equal to the request method;
 *   - Content-Length, when present, equal to the body length on UDP too (so
 *     RFC 4475's "extra trailing octets" datagram is passed, not trimmed);
 *   - the body is parsed as SDP when Content-Type is application/sdp, or when
 *     there is no Content-Type and it starts with "v="; any other body is
 *     left alone (SIPALG_MSGF_BODY_SKIP). Expires values saturate at 2^32-1.
 *
 * Line endings: CRLF and bare LF are accepted on input; edits only replace
 * address/port text, so line endings are preserved byte for byte.
 *
 * Reversibility: planning A->B and then B->A gives back the original bytes,
 * with two documented exceptions: a URI that had no port and got ":port"
 * (because the new port is not the default) keeps an explicit port on the
 * way back; and an IPv6 received= written in brackets that is translated to
 * IPv4 and back comes back without brackets (RFC 3261 grammar). Also, what
 * is rewritten comes back in the form the core writes (RFC 5952 IPv6,
 * "IP4"/"IP6", Content-Length digits without leading zeros); and an
 * occurrence of the from address whose port is not from_port but equals
 * to_port comes back with from_port (on the way back it is the translated
 * port).
 *
 * Memory: sizeof(struct sipalg_msg) is 2864 bytes and sizeof(struct
 * sipalg_plan) 1816 bytes on x86-64 (checked by the unit tests); keep them in
 * per-CPU scratch, not on the stack. No core function uses more than ~450
 * bytes of stack along any call chain (largest frame 288 bytes).
 */
#ifndef SIPALG_CORE_H
#define SIPALG_CORE_H

#ifdef __cplusplus
extern "C" {
#endif

#define SIPALG_CORE_VERSION "0.1.0"

/* ---- Fixed caps. Exceeding one is a reason code, never a partial plan. ---- */
#define SIPALG_MAX_MSG_LEN 65535u /* bytes of one SIP message (headers + body) */
#define SIPALG_MAX_HEADERS 128u   /* header fields (logical lines) per message */
#define SIPALG_MAX_REFS 48u       /* IP-literal address occurrences, SIP + SDP */
#define SIPALG_MAX_CONTACTS 16u   /* Contact values per message */
#define SIPALG_MAX_MEDIA 8u       /* m= lines per SDP */
#define SIPALG_MAX_EDITS 64u      /* edits per plan (Content-Length edit included) */
#define SIPALG_MAX_TEXT 1024u     /* bytes of replacement text per plan */

/* ---- Transport ---- */
#define SIPALG_UDP 0
#define SIPALG_TCP 1

/* ---- Results: SIPALG_OK or a "pass unmodified" reason ---- */
enum sipalg_reason {
    SIPALG_OK = 0,
    SIPALG_R_NOT_SIP,            /* does not start like a SIP message */
    SIPALG_R_TRUNCATED,          /* ends inside the start line or the headers */
    SIPALG_R_BAD_START_LINE,     /* malformed request/status line */
    SIPALG_R_BAD_VERSION,        /* not SIP/2.0 */
    SIPALG_R_BAD_HEADER,         /* malformed header field (quotes, <>, Via, URI...) */
    SIPALG_R_DUP_HEADER,         /* a single-valued header appears twice */
    SIPALG_R_MISSING_HEADER,     /* Via, From, To, Call-ID or CSeq missing */
    SIPALG_R_BAD_CSEQ,           /* malformed CSeq, >= 2^31, or method mismatch */
    SIPALG_R_TOO_MANY_HEADERS,   /* > SIPALG_MAX_HEADERS */
    SIPALG_R_BAD_CONTENT_LENGTH, /* malformed, or not equal to the body length */
    SIPALG_R_BAD_SDP,            /* malformed SDP line */
    SIPALG_R_TOO_MANY_MEDIA,     /* > SIPALG_MAX_MEDIA */
    SIPALG_R_TOO_MANY_ADDRS,     /* > SIPALG_MAX_REFS */
    SIPALG_R_TOO_MANY_CONTACTS,  /* > SIPALG_MAX_CONTACTS */
    SIPALG_R_TOO_MANY_EDITS,     /* > SIPALG_MAX_EDITS */
    SIPALG_R_TEXT_FULL,          /* > SIPALG_MAX_TEXT */
    SIPALG_R_TOO_LONG,           /* > SIPALG_MAX_MSG_LEN, before or after rewrite */
    SIPALG_R_BAD_ARG,            /* NULL pointer, bad transport, bad mapping */
    SIPALG_R_INTERNAL,           /* a core invariant failed (a bug) */
    SIPALG_R_COUNT
};

/* Short stable lowercase name ("ok", "not_sip", ...); "unknown" if out of range. */
const char *sipalg_reason_name(int reason);

/* ---- Addresses ---- */
struct sipalg_addr {
    unsigned char family; /* 0 = none/hostname, 4 = IPv4, 6 = IPv6 */
    unsigned char pad[3];
    unsigned char a[16]; /* network byte order; IPv4 uses a[0..3], rest zero */
};

/* Strict text parsers: IPv4 dotted quad (no leading zeros), RFC 4291 IPv6
 * (with "::" and embedded IPv4; no brackets, no zone). 1 on success. */
int sipalg_addr_parse(const unsigned char *s, unsigned int len, struct sipalg_addr *out);
/* IPv4 dotted, IPv6 RFC 5952 canonical (no brackets). Returns the length
 * written (<= 45) or 0 if cap is too small or family unknown. No NUL. */
unsigned int sipalg_addr_format(const struct sipalg_addr *a, unsigned char *out, unsigned int cap);

/* ---- Framing (TCP) ---- */
#define SIPALG_FRAME_COMPLETE 0
#define SIPALG_FRAME_NEED_MORE 1
#define SIPALG_FRAME_INVALID 2
/*
 * Find the first message in buf[0..len). COMPLETE: *msg_len is its length
 * (a run of CR/LF keep-alive bytes, up to 4, is a message of its own).
 * INVALID: *reason says why (bad/duplicate Content-Length, too long).
 * A missing Content-Length counts as 0 (RFC 3261 requires it on TCP).
 */
int sipalg_frame(const unsigned char *buf, unsigned int len, unsigned int *msg_len, int *reason);

/*
 * Does a TCP segment's payload buf[0..len) end inside a message? Frames it
 * from its start, message by message. COMPLETE: it ends at a boundary
 * (*tail_off = len). NEED_MORE: the message at *tail_off is unfinished and
 * begins like one (a status line, or a method, a space and, once the line
 * is whole, " SIP/2.0" at its end): the bytes from there are worth holding
 * until the rest of it comes. INVALID: the unfinished part is not framed
 * SIP (a segment that starts inside a message, a bad Content-Length): there
 * is nothing to hold, *tail_off is where framing stopped.
 * need (may be NULL), on NEED_MORE: the unfinished message's whole length
 * when its header block is complete (it ends past len - *tail_off), 0 while
 * the headers are still coming; 0 otherwise.
 */
int sipalg_frame_tail(const unsigned char *buf, unsigned int len, unsigned int *tail_off,
                      unsigned int *need);
/*
 * The same, and the lengths of the whole messages before *tail_off, in
 * order, as sipalg_frame() finds them one by one: lens[0..*n), the first
 * max of them (n may be NULL when max is 0). They stop before a run of
 * keep-alive CR/LFs that ends in a CR or at len: another packet that
 * holds the same bytes may end there, or carry more CR/LFs after them,
 * and frame that run otherwise. Then the lengths add up to less than
 * *tail_off. The module's split hook frames every segment so; handed to
 * the helper, they spare it framing the same messages again.
 */
int sipalg_frame_tail_lens(const unsigned char *buf, unsigned int len, unsigned int *tail_off,
                           unsigned int *need, unsigned int *lens, unsigned int max,
                           unsigned int *n);

/*
 * Could a TCP segment's payload buf[0..len) begin at a message boundary:
 * keep-alive CR/LFs, alone or before the start of a status or
 * request line (as above), or such a start?
 * 0 means it starts inside a message: in a stream that was at a boundary,
 * the bytes before it have not come yet (lost or reordered).
 */
int sipalg_frame_begins(const unsigned char *buf, unsigned int len);

/* ---- Parse result ---- */
struct sipalg_span {
    unsigned int off;
    unsigned int len;
};

#define SIPALG_KIND_REQUEST 1
#define SIPALG_KIND_RESPONSE 2
#define SIPALG_KIND_KEEPALIVE 3 /* CRLF ping/pong: nothing to do */

enum sipalg_method {
    SIPALG_M_NONE = 0,
    SIPALG_M_OTHER,
    SIPALG_M_INVITE,
    SIPALG_M_ACK,
    SIPALG_M_BYE,
    SIPALG_M_CANCEL,
    SIPALG_M_REGISTER,
    SIPALG_M_OPTIONS,
    SIPALG_M_PRACK,
    SIPALG_M_SUBSCRIBE,
    SIPALG_M_NOTIFY,
    SIPALG_M_PUBLISH,
    SIPALG_M_INFO,
    SIPALG_M_REFER,
    SIPALG_M_MESSAGE,
    SIPALG_M_UPDATE
};

/* Where an address occurrence is. */
enum sipalg_ref_kind {
    SIPALG_REF_RURI = 1,
    SIPALG_REF_VIA_SENTBY,
    SIPALG_REF_VIA_RECEIVED,
    SIPALG_REF_VIA_RPORT, /* port only: host_* unused, addr = Via's effective address */
    SIPALG_REF_VIA_MADDR,
    SIPALG_REF_CONTACT,
    SIPALG_REF_FROM,
    SIPALG_REF_TO,
    SIPALG_REF_SDP_O,
    SIPALG_REF_SDP_C,       /* session-level c= */
    SIPALG_REF_SDP_MEDIA_C, /* media-level c= */
    SIPALG_REF_SDP_RTCP     /* a=rtcp: address */
};

#define SIPALG_REFF_PORT 0x01     /* an explicit port (port_off/port_len) is present */
#define SIPALG_REFF_BRACKETS 0x02 /* host text is "[v6]" */
#define SIPALG_REFF_SIPS 0x04     /* sips: URI or TLS Via (default port 5061) */
#define SIPALG_REFF_TOP_VIA 0x08  /* Via refs: of the topmost Via value */

struct sipalg_ref {
    unsigned char kind;    /* enum sipalg_ref_kind */
    unsigned char flags;   /* SIPALG_REFF_* */
    unsigned short port;   /* explicit or default port (SIP kinds, rport); 0 for SDP */
    unsigned int host_off; /* address text, brackets included */
    unsigned int host_len;
    unsigned int port_off; /* port digits, when SIPALG_REFF_PORT */
    unsigned int port_len;
    unsigned int atype_off;  /* SDP: the "IP4"/"IP6" token (3 bytes); else 0 */
    struct sipalg_addr addr; /* always family 4 or 6 */
};

#define SIPALG_CONTACT_STAR 0x01
#define SIPALG_CONTACT_EXPIRES 0x02 /* expires= param present (value clamped to 2^32-1) */

struct sipalg_contact {
    unsigned short flags;
    signed short ref; /* index in refs[] of its host, -1 if not an IP literal */
    unsigned int expires;
    struct sipalg_span uri; /* the URI (without <>) */
};

enum sipalg_media_type {
    SIPALG_MEDIA_OTHER = 0,
    SIPALG_MEDIA_AUDIO,
    SIPALG_MEDIA_VIDEO,
    SIPALG_MEDIA_TEXT,
    SIPALG_MEDIA_APPLICATION,
    SIPALG_MEDIA_MESSAGE,
    SIPALG_MEDIA_IMAGE
};

enum sipalg_proto {
    SIPALG_PROTO_OTHER = 0,
    SIPALG_PROTO_RTP_AVP,
    SIPALG_PROTO_RTP_SAVP,
    SIPALG_PROTO_RTP_AVPF,
    SIPALG_PROTO_RTP_SAVPF,
    SIPALG_PROTO_UDPTL,
    SIPALG_PROTO_UDP,
    SIPALG_PROTO_TCP
};

enum sipalg_dir {
    SIPALG_DIR_SENDRECV = 0, /* also the default when no attribute is present */
    SIPALG_DIR_SENDONLY,
    SIPALG_DIR_RECVONLY,
    SIPALG_DIR_INACTIVE
};

#define SIPALG_MEDIAF_RTCP 0x01 /* a=rtcp: present (rtcp_port valid) */

struct sipalg_media {
    unsigned char type;        /* enum sipalg_media_type */
    unsigned char proto;       /* enum sipalg_proto */
    unsigned char dir;         /* enum sipalg_dir (media, else session, else sendrecv) */
    unsigned char flags;       /* SIPALG_MEDIAF_* */
    signed char c_ref;         /* refs[] index of media c=, -1 if none */
    signed char rtcp_ref;      /* refs[] index of a=rtcp address, -1 if none */
    unsigned short port;       /* m= port */
    unsigned short port_count; /* "/2" form, else 1 */
    unsigned short rtcp_port;  /* a=rtcp port, when SIPALG_MEDIAF_RTCP */
    unsigned int port_off;     /* m= port digits */
    unsigned int port_len;
    unsigned int rtcp_off; /* a=rtcp port digits */
    unsigned int rtcp_len;
    /* Effective connection address (media c=, else session c=); family 0 if none. */
    struct sipalg_addr addr;
};

#define SIPALG_MSGF_EXPIRES 0x0001   /* Expires header present (value clamped) */
#define SIPALG_MSGF_CL 0x0002        /* Content-Length present (cl_*) */
#define SIPALG_MSGF_SDP 0x0004       /* the body was parsed as SDP */
#define SIPALG_MSGF_BODY_SKIP 0x0008 /* a body that is not SDP (left alone) */

#define SIPALG_ERR_OFF_NONE 0xffffffffu /* sipalg_msg.err_off: no line to blame */

struct sipalg_msg {
    unsigned int len;        /* message length given to sipalg_parse */
    unsigned char transport; /* SIPALG_UDP / SIPALG_TCP */
    unsigned char kind;      /* SIPALG_KIND_* */
    unsigned char method;    /* request method, enum sipalg_method */
    unsigned char cseq_method;
    unsigned short status; /* response status code */
    unsigned short flags;  /* SIPALG_MSGF_* */
    unsigned int cseq;
    unsigned int expires;
    unsigned int cl_value; /* declared Content-Length */
    unsigned int cl_off;   /* its digits */
    unsigned int cl_len;
    unsigned int body_off; /* first body byte (== len if no body) */
    unsigned int body_len;
    struct sipalg_span method_text;
    struct sipalg_span ruri;
    struct sipalg_span call_id; /* the Call-ID value */
    struct sipalg_span to_uri;  /* the To URI, without <> (a REGISTER's address of record) */
    struct sipalg_span cseq_method_text;
    unsigned short n_headers;
    unsigned char n_refs;
    unsigned char n_contacts;
    unsigned char n_media;
    signed char sdp_o_ref;         /* refs[] index, -1 if none */
    signed char sdp_c_ref;         /* session c=, -1 if none */
    unsigned char sdp_dir;         /* session-level direction */
    struct sipalg_addr sdp_c_addr; /* session c= address (also hostnames: family 0) */
    /*
     * When sipalg_parse() fails: where the line it failed on starts (start
     * line, header or SDP line; an SDP line's offset is from the start of
     * the message, not of the body), so a trace can show the line. Folded
     * headers: the first line of the header. SIPALG_ERR_OFF_NONE when no
     * one line is to blame (a missing header, too long, bad arguments) and
     * whenever the parse succeeds.
     */
    unsigned int err_off;
    struct sipalg_ref refs[SIPALG_MAX_REFS];
    struct sipalg_contact contacts[SIPALG_MAX_CONTACTS];
    struct sipalg_media media[SIPALG_MAX_MEDIA];
};

/* The method of the transaction a message belongs to: a request's own, a
 * response's CSeq method. */
static inline unsigned char sipalg_msg_method(const struct sipalg_msg *msg) {
    return msg->kind == SIPALG_KIND_REQUEST ? msg->method : msg->cseq_method;
}

/*
 * Parse one message buf[0..len). transport: SIPALG_UDP or SIPALG_TCP (for TCP,
 * pass exactly one framed message). Content-Length, when present, must equal
 * the body length on both transports (a UDP datagram whose declared length
 * disagrees with its body is malformed: SIPALG_R_BAD_CONTENT_LENGTH). Without
 * a Content-Length the body is the rest of the buffer. Returns SIPALG_OK or a
 * reason. O(len), bounded stack.
 */
int sipalg_parse(const unsigned char *buf, unsigned int len, int transport, struct sipalg_msg *msg);

/* ---- Translation ---- */
#define SIPALG_MAP_ACTIVE 0x01
#define SIPALG_MAP_PORT 0x02 /* to_port differs from from_port */

/*
 * "address from, port from_port, becomes address to, port to_port". Both
 * ports are always set (the REGISTER 2xx Contact matches on from_port even
 * when NAT keeps the port); only with SIPALG_MAP_PORT is a port rewritten.
 */
struct sipalg_map {
    unsigned int flags;
    struct sipalg_addr from;
    struct sipalg_addr to;
    unsigned short from_port;
    unsigned short to_port;
};

struct sipalg_xlat {
    struct sipalg_map map[2]; /* [0] packet source side, [1] destination side */
};

/* Per media stream (index into msg->media): 0 = leave that port alone. */
struct sipalg_media_override {
    unsigned short rtp_port;
    unsigned short rtcp_port;
};

/* ---- Plan ---- */
struct sipalg_edit {
    unsigned int off;        /* in the original message */
    unsigned int len;        /* bytes replaced */
    unsigned short text_off; /* replacement in plan->text */
    unsigned short text_len;
};

#define SIPALG_PLANF_CL_FIXED 0x01 /* a Content-Length edit is part of the plan */

struct sipalg_plan {
    unsigned int n_edits;
    unsigned int text_used;
    unsigned int old_len;
    unsigned int new_len;                       /* message length after applying */
    unsigned int flags;                         /* SIPALG_PLANF_* */
    unsigned int new_cl;                        /* Content-Length value written, when CL_FIXED */
    struct sipalg_edit edits[SIPALG_MAX_EDITS]; /* sorted by off, non-overlapping */
    unsigned char text[SIPALG_MAX_TEXT];
};

/*
 * Plan the rewrite of buf (the same bytes msg was parsed from) under xlat.
 * ov may be NULL; n_ov entries apply to msg->media[0..n_ov). On any failure
 * plan->n_edits is 0. Returns SIPALG_OK or a reason.
 */
int sipalg_make_plan(const unsigned char *buf, const struct sipalg_msg *msg,
                     const struct sipalg_xlat *xlat, const struct sipalg_media_override *ov,
                     unsigned int n_ov, struct sipalg_plan *plan);

/*
 * Apply the plan in place: buf holds the len message bytes the plan was made
 * for and has room for cap (at least the larger of len and plan->new_len).
 * Returns the new length, or -1 (buffer untouched) if cap is too small or the
 * plan is inconsistent with len (edits unsorted, overlapping, outside the
 * message or their text outside plan->text).
 */
long sipalg_apply_in_place(unsigned char *buf, unsigned int cap, unsigned int len,
                           const struct sipalg_plan *plan);

/* ---- Module glue ---- */
const char *sipalg_core_version(void);
/* Parses and plans a built-in message; 0 if all is well, else the failing step. */
int sipalg_core_selftest(void);

/* ---- Peek: is it SIP at all? (core/peek.cpp) ---- */
#define SIPALG_PEEK_LEN 8u      /* bytes sipalg_peek() looks at, at most */
#define SIPALG_PEEK_MAYBE_SIP 0 /* frame and parse it */
#define SIPALG_PEEK_KEEPALIVE 1 /* a CRLF keep-alive, all of it: nothing to do */
#define SIPALG_PEEK_NOT_SIP 2   /* pass it, *reason says why */
/*
 * From the first bytes of a payload (head[0..head_len), head_len =
 * min(len, SIPALG_PEEK_LEN)) of len bytes in all, before any of it is
 * copied or made linear: TLS, STUN and other binary traffic, or a bare
 * keep-alive. Never NOT_SIP or KEEPALIVE for a payload that sipalg_parse()
 * (after sipalg_frame() on TCP) would accept as a message; NOT_SIP (UDP
 * only) gives the reason sipalg_parse() gives. A TCP segment may start
 * anywhere in its stream, so on TCP the answer is KEEPALIVE or MAYBE_SIP.
 *
 * sipalg_peek_tls(): does a TCP stream's first payload start with a TLS
 * handshake record (a stream that will never carry plain SIP)?
 */
int sipalg_peek(const unsigned char *head, unsigned int head_len, unsigned int len, int transport,
                int *reason);
int sipalg_peek_tls(const unsigned char *head, unsigned int head_len);

#ifdef __cplusplus
}
#endif

#endif /* SIPALG_CORE_H */
