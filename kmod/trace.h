/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace records for `sipalg trace` (SIPALG_CMD_TRACE): what the packet
 * path did to each SIP message, sent to whoever listens on the "trace"
 * and "trace-full" groups. With nobody listening, sipalg_trace_want() is
 * the whole cost, once per packet.
 *
 * The packet path (rewrite.c) calls, with bottom halves disabled and per
 * message: sipalg_trace_begin() once the message is framed and parsed (or
 * known unparseable), sipalg_trace_plan() before the plan is applied, and
 * sipalg_trace_end() when the message is done. Between begin and end the
 * message is this CPU's current record: the pinholes its connection
 * opens and closes (events.c) are recorded into it.
 */
#ifndef SIPALG_TRACE_H
#define SIPALG_TRACE_H

#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_expect.h>

#include <sipalg/core.h>
#include <sipalg/uapi.h>

#include "config.h"

/* sipalg_trace_want(): which groups listen. */
#define SIPALG_TRACE_WANT 0x1		/* "trace" */
#define SIPALG_TRACE_WANT_FULL 0x2	/* "trace-full" */

/* Where a TCP message is; zero for UDP. */
struct sipalg_trace_pos {
	u32 seq;	/* the segment's sequence number as sent, host order */
	u32 msg_off;	/* offset in the segment's payload as it arrived */
	u32 msg_index;	/* messages framed before it in the segment */
};

int sipalg_trace_init(void);
void sipalg_trace_exit(void);

/* genl.c, once the family is registered / before it is unregistered. */
void sipalg_trace_start(const struct genl_family *family, unsigned int group,
			unsigned int full_group);
void sipalg_trace_stop(void);

/*
 * The groups with a listener in net (SIPALG_TRACE_WANT*), or 0; with
 * bottom halves disabled. A trace that just began may miss its first
 * jiffy (quiet.h).
 */
unsigned int sipalg_trace_want(struct net *net);

/*
 * A message begins: len bytes at msg as it arrived (NULL: not readable);
 * m is its parse result, NULL if it was not parsed (framing failed).
 */
void sipalg_trace_begin(struct nf_conn *ct, enum ip_conntrack_dir dir,
			unsigned int want, const struct sipalg_trace_pos *pos,
			const unsigned char *msg, unsigned int len,
			const struct sipalg_msg *m);

/* The plan about to be applied to msg (copies the bytes it replaces). */
void sipalg_trace_plan(const unsigned char *msg,
		       const struct sipalg_plan *plan);

/*
 * The message is done: outcome (enum sipalg_trace_outcome), reason (a
 * pass reason, for SIPALG_TRACE_PASSED), and the message as it left: len
 * bytes at msg (NULL: not readable). Sends the record and ends it.
 */
void sipalg_trace_end(struct sipalg_net *sn, int outcome, int reason,
		      const unsigned char *msg, unsigned int len);

/* events.c: ct opened (or closed) a pinhole; recorded if ct is current. */
void sipalg_trace_pinhole(const struct nf_conn *ct, bool opened,
			  struct nf_conntrack_expect *exp);

#endif /* SIPALG_TRACE_H */
