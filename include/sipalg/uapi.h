/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * sipalg's generic netlink interface, shared by the module and the CLI.
 * Valid C and C++; it needs only <linux/types.h> for the attribute types.
 *
 * Family SIPALG_GENL_NAME, version SIPALG_GENL_VERSION. Everything is per
 * network namespace (the caller's). Reading needs no privilege; changing
 * needs CAP_NET_ADMIN in the namespace's user namespace.
 *
 * SIPALG_CMD_GET_CONFIG   request: no attributes.
 *                         reply:   PORTS, SIP_TIMEOUT, DIRECT_MEDIA, DISABLED,
 *                                  MAX_PORTS, TIMEOUT_MIN, TIMEOUT_MAX,
 *                                  PINHOLES_PER_HOST, PINHOLES_PER_CONN,
 *                                  PINHOLES_HOSTS, REGISTRATION_PINHOLES.
 * SIPALG_CMD_SET_CONFIG   request: any subset of PORTS, SIP_TIMEOUT,
 *                                  DIRECT_MEDIA, DISABLED, PINHOLES_PER_HOST,
 *                                  PINHOLES_PER_CONN, PINHOLES_HOSTS,
 *                                  REGISTRATION_PINHOLES. The new
 *                                  config is
 *                                  validated whole before anything changes; a
 *                                  rejection names the attribute in extack.
 *                         reply:   none (ack).
 * SIPALG_CMD_GET_STATS    request: no attributes.
 *                         reply:   STATS: a nest of STAT nests, each with
 *                                  STAT_NAME (string, stable) and STAT_VALUE.
 * SIPALG_CMD_RESET_STATS  request: no attributes; all counters to zero.
 * SIPALG_CMD_GET_CONNS    dump: one message per conntrack entry that sipalg
 *                         helps, see SIPALG_A_CONN_*.
 * SIPALG_CMD_EVENT        multicast on group SIPALG_GENL_MCGRP: EVENT_TYPE,
 *                         CONN (without its sessions) and, as they apply,
 *                         EVENT_REASON, EVENT_CALL_ID, EVENT_PINHOLE.
 * SIPALG_CMD_TRACE        multicast on group SIPALG_GENL_MCGRP_TRACE (and,
 *                         with TRACE_FULL, on SIPALG_GENL_MCGRP_TRACE_FULL):
 *                         one per SIP message the helper handled: CONN
 *                         (without pinholes or sessions) and TRACE. Both
 *                         groups need CAP_NET_ADMIN to join: a record holds
 *                         SIP headers (phone numbers, credentials).
 */
#ifndef SIPALG_UAPI_H
#define SIPALG_UAPI_H

#include <linux/types.h>

#define SIPALG_GENL_NAME "sipalg"
#define SIPALG_GENL_VERSION 1
#define SIPALG_GENL_MCGRP "events"
#define SIPALG_GENL_MCGRP_TRACE "trace"
#define SIPALG_GENL_MCGRP_TRACE_FULL "trace-full"

/* Bounds of a trace record. */
#define SIPALG_TRACE_TEXT_MAX 256	/* start line, reason line, each LINE */
#define SIPALG_TRACE_CALL_ID_MAX 128
#define SIPALG_TRACE_FULL_MAX 8192	/* TRACE_FULL: the message as it left */
#define SIPALG_TRACE_RECORD_MAX 16384	/* LINEs stop before a record passes it */

/* Limits of the configuration, also reported by GET_CONFIG. */
#define SIPALG_MAX_PORTS 8
#define SIPALG_TIMEOUT_MIN 10     /* seconds */
#define SIPALG_TIMEOUT_MAX 86400  /* seconds */
/* Pinhole budgets; 0 turns one off. */
#define SIPALG_PER_HOST_MIN 4
#define SIPALG_PER_HOST_MAX 1000000
#define SIPALG_PER_CONN_MIN 2
#define SIPALG_PER_CONN_MAX 104   /* signalling 8 + 3 call slots x 32 media */
#define SIPALG_MAX_HOST_BUDGETS 8 /* inside hosts with a budget of their own */

/* Which registered bindings get a pinhole from the registrar. */
enum sipalg_reg_pinholes {
	/*
	 * Only those the registration's own flow does not reach: the
	 * registrar must send its requests from the address and port the
	 * REGISTER went to (one expectation less per registered phone).
	 */
	SIPALG_REG_PINHOLES_WHEN_NEEDED,
	SIPALG_REG_PINHOLES_ALWAYS,	/* every binding (the default) */
};

/*
 * An inside host with a budget of its own instead of PINHOLES_PER_HOST (a
 * PBX or a SIP gateway behind DNAT). PINHOLES_HOSTS is an array of these.
 */
struct sipalg_host_budget {
	__u8 family;	/* AF_INET or AF_INET6 */
	__u8 pad[3];	/* 0 */
	__u32 pinholes;	/* 0 (no limit) or PER_HOST_MIN..PER_HOST_MAX */
	__u8 addr[16];	/* network order; IPv4 in the first 4, the rest 0 */
};

enum sipalg_cmd {
	SIPALG_CMD_UNSPEC,
	SIPALG_CMD_GET_CONFIG,
	SIPALG_CMD_SET_CONFIG,
	SIPALG_CMD_GET_STATS,
	SIPALG_CMD_RESET_STATS,
	SIPALG_CMD_GET_CONNS,
	SIPALG_CMD_EVENT,
	SIPALG_CMD_TRACE,
	__SIPALG_CMD_MAX,
};

#define SIPALG_CMD_MAX (__SIPALG_CMD_MAX - 1)

enum sipalg_attr {
	SIPALG_A_UNSPEC,
	SIPALG_A_PORTS,		/* binary: 1..8 distinct __u16, host order, 1..65535 */
	SIPALG_A_SIP_TIMEOUT,	/* u32: seconds, TIMEOUT_MIN..TIMEOUT_MAX */
	SIPALG_A_DIRECT_MEDIA,	/* u8: 0 or 1 */
	SIPALG_A_DISABLED,	/* u8: 0 or 1 */
	SIPALG_A_MAX_PORTS,	/* u32, read only */
	SIPALG_A_TIMEOUT_MIN,	/* u32, read only */
	SIPALG_A_TIMEOUT_MAX,	/* u32, read only */
	SIPALG_A_STATS,		/* nest of SIPALG_A_STAT */
	SIPALG_A_STAT,		/* nest: STAT_NAME, STAT_VALUE */
	SIPALG_A_STAT_NAME,	/* string */
	SIPALG_A_STAT_VALUE,	/* u64 */
	SIPALG_A_CONN,		/* nest of SIPALG_A_CONN_* (dump and events) */
	SIPALG_A_EVENT_TYPE,	/* u8: enum sipalg_event */
	SIPALG_A_PAD,
	SIPALG_A_EVENT_REASON,	/* string: why a message passed unmodified */
	SIPALG_A_EVENT_CALL_ID,	/* string: the Call-ID (at most 128 bytes) */
	SIPALG_A_EVENT_PINHOLE,	/* nest of SIPALG_A_PINHOLE_*: opened/closed */
	SIPALG_A_PINHOLES_PER_HOST, /* u32: live pinholes an inside host may
				     * hold, 0 (no limit) or PER_HOST_MIN..MAX
				     */
	SIPALG_A_PINHOLES_PER_CONN, /* u32: ... one connection, 0 (only the
				     * per-call caps) or PER_CONN_MIN..MAX
				     */
	SIPALG_A_PINHOLES_HOSTS, /* binary: 0..MAX_HOST_BUDGETS struct
				  * sipalg_host_budget, distinct addresses
				  */
	SIPALG_A_REGISTRATION_PINHOLES, /* u8: SIPALG_REG_PINHOLES_* */
	SIPALG_A_TRACE,		/* nest of SIPALG_A_TRACE_* (CMD_TRACE) */
	__SIPALG_A_MAX,
};

#define SIPALG_A_MAX (__SIPALG_A_MAX - 1)

/* One conntrack entry and what sipalg knows of it. */
enum sipalg_conn_attr {
	SIPALG_A_CONN_UNSPEC,
	SIPALG_A_CONN_FAMILY,	/* u8: AF_INET or AF_INET6 */
	SIPALG_A_CONN_PROTO,	/* u8: IPPROTO_UDP or IPPROTO_TCP */
	SIPALG_A_CONN_ORIG,	/* nest of SIPALG_A_TUPLE_*: as the sender sent */
	SIPALG_A_CONN_REPLY,	/* nest of SIPALG_A_TUPLE_*: as the reply comes */
	SIPALG_A_CONN_TIMEOUT,	/* u32: seconds left */
	SIPALG_A_CONN_NAT,	/* u8: 1 if translated */
	SIPALG_A_CONN_PINHOLE,	/* nest of SIPALG_A_PINHOLE_*, repeated */
	SIPALG_A_CONN_SESSION,	/* nest of SIPALG_A_SESSION_*, repeated (dump) */
	SIPALG_A_CONN_SESSIONS_OMITTED, /* u32: sessions beyond the dump's cap */
	SIPALG_A_CONN_PINHOLES,	/* u32: its live pinholes (dump) */
	SIPALG_A_CONN_HOST,	/* binary: the inside host its pinholes count
				 * for, 4 or 16 bytes (dump)
				 */
	SIPALG_A_CONN_HOST_PINHOLES, /* u32: that host's live pinholes (dump) */
	__SIPALG_A_CONN_MAX,
};

#define SIPALG_A_CONN_MAX (__SIPALG_A_CONN_MAX - 1)

enum sipalg_tuple_attr {
	SIPALG_A_TUPLE_UNSPEC,
	SIPALG_A_TUPLE_SRC,	/* binary: 4 or 16 bytes, network order */
	SIPALG_A_TUPLE_DST,	/* binary: 4 or 16 bytes, network order */
	SIPALG_A_TUPLE_SPORT,	/* u16, host order */
	SIPALG_A_TUPLE_DPORT,	/* u16, host order */
	__SIPALG_A_TUPLE_MAX,
};

#define SIPALG_A_TUPLE_MAX (__SIPALG_A_TUPLE_MAX - 1)

/* A pinhole (conntrack expectation) opened by sipalg. */
enum sipalg_pinhole_attr {
	SIPALG_A_PINHOLE_UNSPEC,
	SIPALG_A_PINHOLE_CLASS,	/* u8: enum sipalg_pinhole_class */
	SIPALG_A_PINHOLE_TUPLE,	/* nest of SIPALG_A_TUPLE_*; SRC absent = any */
	SIPALG_A_PINHOLE_TIMEOUT, /* u32: seconds left */
	__SIPALG_A_PINHOLE_MAX,
};

#define SIPALG_A_PINHOLE_MAX (__SIPALG_A_PINHOLE_MAX - 1)

/*
 * A registration or a call seen on the connection (SIP state, kept for
 * display in a bounded table; see the max_sessions module parameter).
 */
enum sipalg_session_attr {
	SIPALG_A_SESSION_UNSPEC,
	SIPALG_A_SESSION_KIND,	/* u8: enum sipalg_session_kind */
	SIPALG_A_SESSION_ID,	/* string: the AOR (To URI) or the Call-ID */
	SIPALG_A_SESSION_STATE,	/* u8: enum sipalg_session_state */
	SIPALG_A_SESSION_OUTGOING, /* u8: 1 if begun from the inside (the
				    * translated side; without NAT, the side
				    * that opened the connection)
				    */
	SIPALG_A_SESSION_AGE,	/* u32: seconds in this state */
	SIPALG_A_SESSION_EXPIRES, /* u32: registrations: seconds left */
	__SIPALG_A_SESSION_MAX,
};

#define SIPALG_A_SESSION_MAX (__SIPALG_A_SESSION_MAX - 1)

enum sipalg_session_kind {
	SIPALG_SESSION_REGISTRATION = 1,
	SIPALG_SESSION_CALL,
};

enum sipalg_session_state {
	SIPALG_STATE_REGISTERING = 1,	/* REGISTER sent, no 2xx yet */
	SIPALG_STATE_REGISTERED,	/* 2xx seen; EXPIRES says how long */
	SIPALG_STATE_CALLING,		/* INVITE sent */
	SIPALG_STATE_RINGING,		/* 101..199 seen */
	SIPALG_STATE_ESTABLISHED,	/* 2xx seen */
	SIPALG_STATE_HELD,		/* the last SDP holds every stream */
};

enum sipalg_pinhole_class {
	SIPALG_PINHOLE_SIGNALLING,
	SIPALG_PINHOLE_MEDIA,
};

enum sipalg_event {
	SIPALG_EVENT_UNSPEC,
	SIPALG_EVENT_REGISTER,		/* a REGISTER passed */
	SIPALG_EVENT_CALL_SETUP,	/* INVITE with SDP: media pinholes opened */
	SIPALG_EVENT_CALL_END,		/* BYE, CANCEL or failure: pinholes closed */
	SIPALG_EVENT_MALFORMED,		/* a message passed unmodified, not understood */
	SIPALG_EVENT_PINHOLE_OPEN,	/* EVENT_PINHOLE was opened */
	SIPALG_EVENT_PINHOLE_CLOSE,	/* EVENT_PINHOLE was closed by a message */
};

/*
 * A trace record: what the helper did to one SIP message. Offsets are in
 * bytes from the start of the message (its first byte of the start line),
 * as it arrived; lines are numbered from 1 (the start line).
 */
enum sipalg_trace_attr {
	SIPALG_A_TRACE_UNSPEC,
	SIPALG_A_TRACE_DIR,	/* u8: 0 original, 1 reply (conntrack direction) */
	SIPALG_A_TRACE_OUTCOME,	/* u8: enum sipalg_trace_outcome */
	SIPALG_A_TRACE_REASON,	/* string: why it passed (stats' passed_* name) */
	SIPALG_A_TRACE_REASON_LINE, /* u32: the line the parse failed on */
	SIPALG_A_TRACE_REASON_TEXT, /* binary: that line, at most TEXT_MAX */
	SIPALG_A_TRACE_START_LINE, /* binary: as it arrived, at most TEXT_MAX */
	SIPALG_A_TRACE_CALL_ID,	/* binary: at most CALL_ID_MAX */
	SIPALG_A_TRACE_CSEQ,	/* u32 */
	SIPALG_A_TRACE_CSEQ_METHOD, /* binary: the CSeq method, at most 32 */
	SIPALG_A_TRACE_STATUS,	/* u16: responses only */
	SIPALG_A_TRACE_OLD_LEN,	/* u32: message length as it arrived */
	SIPALG_A_TRACE_NEW_LEN,	/* u32: ... as it left */
	SIPALG_A_TRACE_SEQ,	/* u32: TCP: the segment's sequence number as
				 * the sender sent it (host order)
				 */
	SIPALG_A_TRACE_MSG_OFF,	/* u32: TCP: the message's offset in that
				 * segment's payload as it arrived
				 */
	SIPALG_A_TRACE_MSG_INDEX, /* u32: TCP: 0 for a segment's first message
				   * (keep-alives, which get no record, count)
				   */
	SIPALG_A_TRACE_APPLIED,	/* flag: the edits were made; absent, they were
				 * planned only (the message passed unmodified,
				 * e.g. too_big) and the LINEs are as it arrived
				 */
	SIPALG_A_TRACE_EDIT,	/* nest of EDIT attributes, repeated, in
				 * message order; never omitted
				 */
	SIPALG_A_TRACE_LINE,	/* nest of LINE attributes, repeated: each
				 * line with an edit, as it left; a line cut
				 * into several windows has one LINE each
				 */
	SIPALG_A_TRACE_LINES_OMITTED, /* u32: such LINEs left out: a record
				       * without FULL stays within RECORD_MAX
				       */
	SIPALG_A_TRACE_PINHOLE_OPENED, /* nest of SIPALG_A_PINHOLE_*, repeated */
	SIPALG_A_TRACE_PINHOLE_CLOSED, /* nest of SIPALG_A_PINHOLE_*, repeated */
	SIPALG_A_TRACE_PINHOLES_OMITTED, /* u32 */
	SIPALG_A_TRACE_FULL,	/* binary: trace-full group only: the message as
				 * it left, at most FULL_MAX bytes
				 */
	SIPALG_A_TRACE_FULL_LEN, /* u32: its whole length */
	SIPALG_A_TRACE_PAD,
	__SIPALG_A_TRACE_MAX,
};

#define SIPALG_A_TRACE_MAX (__SIPALG_A_TRACE_MAX - 1)

enum sipalg_trace_outcome {
	SIPALG_TRACE_REWRITTEN = 1,	/* edited (EDITs, APPLIED) */
	SIPALG_TRACE_UNCHANGED,		/* NATed, but nothing to change */
	SIPALG_TRACE_NO_NAT,		/* not translated: looked at, not edited */
	SIPALG_TRACE_PASSED,		/* left alone: see REASON */
};

/* One edit: OLD bytes at OFF (as it arrived) became NEW. */
enum sipalg_trace_edit_attr {
	SIPALG_A_TRACE_EDIT_UNSPEC,
	SIPALG_A_TRACE_EDIT_OFF,  /* u32: offset in the message as it arrived */
	SIPALG_A_TRACE_EDIT_OLD,  /* binary: the bytes replaced (may be empty) */
	SIPALG_A_TRACE_EDIT_NEW,  /* binary: what replaced them (may be empty) */
	SIPALG_A_TRACE_EDIT_LINE, /* u32: the line it is on */
	__SIPALG_A_TRACE_EDIT_MAX,
};

#define SIPALG_A_TRACE_EDIT_MAX (__SIPALG_A_TRACE_EDIT_MAX - 1)

/* A line holding edits, as it left (with APPLIED; else as it arrived). */
enum sipalg_trace_line_attr {
	SIPALG_A_TRACE_LINE_UNSPEC,
	SIPALG_A_TRACE_LINE_NO,	  /* u32 */
	SIPALG_A_TRACE_LINE_OFF,  /* u32: offset of TEXT's first byte in the
				   * message as it left (as it arrived without
				   * APPLIED)
				   */
	SIPALG_A_TRACE_LINE_TEXT, /* binary: the line without CRLF, or a window
				   * of at most TEXT_MAX bytes holding its edits
				   * (or some of them: the windows of one line
				   * do not overlap and hold each edit whole)
				   */
	SIPALG_A_TRACE_LINE_CUT,  /* flag: TEXT is a window, not the whole line */
	__SIPALG_A_TRACE_LINE_MAX,
};

#define SIPALG_A_TRACE_LINE_MAX (__SIPALG_A_TRACE_LINE_MAX - 1)

#endif /* SIPALG_UAPI_H */
