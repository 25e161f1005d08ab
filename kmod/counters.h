/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU counters of one network namespace, summed when read, and the
 * reasons a message passes unmodified.
 */
#ifndef SIPALG_COUNTERS_H
#define SIPALG_COUNTERS_H

#include <linux/errno.h>
#include <linux/percpu.h>
#include <linux/types.h>

#include <sipalg/core.h>

#include "config.h"

enum sipalg_counter {
	SIPALG_CTR_ATTACHED,		/* conntracks given the helper */
	SIPALG_CTR_ATTACH_FAILED,	/* ... that could not get it (memory) */
	SIPALG_CTR_PACKETS,		/* packets seen by the helper */
	SIPALG_CTR_TIMEOUT_REFRESHED,	/* UDP signalling timeouts set */
	SIPALG_CTR_MESSAGES,		/* SIP messages understood */
	SIPALG_CTR_REWRITTEN,		/* ... and rewritten */
	SIPALG_CTR_UNCHANGED,		/* ... under NAT with nothing to rewrite */
	SIPALG_CTR_EDITS,		/* edits applied */
	SIPALG_CTR_BYTES_GROWN,
	SIPALG_CTR_BYTES_SHRUNK,
	SIPALG_CTR_EXPECT_CREATED,	/* media pinholes opened */
	SIPALG_CTR_EXPECT_REMOVED,	/* ... closed by a call's end or a new answer */
	SIPALG_CTR_EXPECT_FAILED,	/* ... that could not be opened */
	SIPALG_CTR_MEDIA_NOT_SENDER,	/* SDP streams naming another address */
	SIPALG_CTR_REGISTRATIONS,	/* registration pinholes opened/renewed */
	SIPALG_CTR_SESSIONS_EVICTED,	/* sessions table full: oldest reused */
	SIPALG_CTR_CALL_SLOTS_REUSED,	/* a call took another's pinhole class */
	/* Requests (a stream's pair, a binding, a narrowed group) refused: */
	SIPALG_CTR_REFUSED_HOST,	/* ... by the inside host's budget */
	SIPALG_CTR_REFUSED_CONN,	/* ... by the connection's (or a call's) */
	SIPALG_CTR_REFUSED_TABLE,	/* ... the table or the ledger is full */
	SIPALG_CTR_REGISTRATIONS_ON_FLOW, /* bindings left to their own flow */
	SIPALG_CTR_TRACE_SENT,		/* trace records sent (each group's copy) */
	SIPALG_CTR_TRACE_LOST,		/* ... not built (memory) or not delivered */
	SIPALG_CTR_TCP_FIN_MOVED,	/* FINs that overtook a message: sent at its end */
	/* TCP messages split across segments (split.c): */
	SIPALG_CTR_SPLIT_HELD,		/* ... whose start was held for the rest */
	SIPALG_CTR_SPLIT_JOINED,	/* ... sent on whole, in one packet */
	SIPALG_CTR_SPLIT_CUT,		/* packets whose last messages were held to make room */
	SIPALG_CTR_SPLIT_REBUILT,	/* retransmissions of one rebuilt whole */
	SIPALG_CTR_SPLIT_DSACK_NARROWED, /* the receiver's reports of those narrowed */
	SIPALG_CTR_SPLIT_DUPLICATES,	/* duplicates of held bytes dropped */
	SIPALG_CTR_SPLIT_NETWORK_COPIES, /* copies the network made, dropped */
	SIPALG_CTR_SPLIT_OUT_OF_ORDER,	/* bytes after a gap held for it */
	SIPALG_CTR_SPLIT_ASKED,		/* SACKs sent for what a gap misses */
	SIPALG_CTR_SPLIT_END_FOUND,	/* ends of messages given up, as they passed */
	SIPALG_CTR_SPLIT_ACKED,		/* ACKs of held bytes, sent by sipalg itself */
	SIPALG_CTR_SPLIT_KEPT_BACK,	/* segments dropped: held bytes it ACKed go first */
	SIPALG_CTR_SPLIT_SENT_ON,	/* held bytes it ACKed, sent on by sipalg itself */
	/* Held messages given up (their bytes pass when sent again): */
	SIPALG_CTR_SPLIT_GAVE_UP_GAP,	/* ... data after a second gap came */
	SIPALG_CTR_SPLIT_GAVE_UP_NO_GAP, /* ... the receiver had what they waited for */
	SIPALG_CTR_SPLIT_GAVE_UP_RESENT, /* ... the sender sent them again */
	SIPALG_CTR_SPLIT_GAVE_UP_OVERTAKEN, /* later bytes went on before */
	SIPALG_CTR_SPLIT_GAVE_UP_TOO_BIG, /* ... longer than split_max_message */
	SIPALG_CTR_SPLIT_GAVE_UP_FULL,	/* ... all held bytes at split_max_bytes */
	SIPALG_CTR_SPLIT_GAVE_UP_HOST_FULL, /* ... the inside host's share */
	SIPALG_CTR_SPLIT_GAVE_UP_TIMEOUT, /* ... the rest did not come in time */
	SIPALG_CTR_SPLIT_GAVE_UP_CLOSED, /* ... FIN or RST */
	SIPALG_CTR_SPLIT_GAVE_UP_INVALID, /* ... the joined bytes are not SIP */
	SIPALG_CTR_SPLIT_GAVE_UP_NOMEM,
	SIPALG_CTR_MAX
};

/*
 * Why a message passed unmodified: the core's reasons (enum sipalg_reason,
 * SIPALG_OK unused) followed by the shim's own.
 */
enum sipalg_pass_reason {
	SIPALG_PASS_NOMEM = SIPALG_R_COUNT,	/* skb could not be made writable */
	SIPALG_PASS_TCP_SPLIT,		/* TCP message continues in a later segment */
	SIPALG_PASS_TOO_BIG,		/* rewrite would exceed 64 KiB or the MTU */
	SIPALG_PASS_NO_SEQADJ,		/* TCP length change, no seqadj extension */
	SIPALG_PASS_TCP_REORDERED,	/* TCP length change behind a later one's */
	SIPALG_PASS_MAX
};

struct sipalg_counters {
	u64 value[SIPALG_CTR_MAX];
	u64 passed[SIPALG_PASS_MAX];
};

static inline void sipalg_count(struct sipalg_net *sn, enum sipalg_counter c)
{
	this_cpu_inc(sn->counters->value[c]);
}

static inline void sipalg_count_add(struct sipalg_net *sn,
				    enum sipalg_counter c, u64 n)
{
	this_cpu_add(sn->counters->value[c], n);
}

static inline void sipalg_count_pass(struct sipalg_net *sn, int reason)
{
	if (reason > 0 && reason < SIPALG_PASS_MAX)
		this_cpu_inc(sn->counters->passed[reason]);
}

/*
 * A pinhole request failed: count it as failed, and a refusal by its
 * reason (the errors of sipalg_expect_open()).
 */
static inline void sipalg_count_refusal(struct sipalg_net *sn, int err)
{
	sipalg_count(sn, SIPALG_CTR_EXPECT_FAILED);
	if (err == -EDQUOT)
		sipalg_count(sn, SIPALG_CTR_REFUSED_HOST);
	else if (err == -ENOSPC)
		sipalg_count(sn, SIPALG_CTR_REFUSED_CONN);
	else if (err == -ENOBUFS || err == -EMFILE)
		sipalg_count(sn, SIPALG_CTR_REFUSED_TABLE);
}

/* Stable names, as `sipalg stats` shows them. */
const char *sipalg_counter_name(enum sipalg_counter c);
const char *sipalg_pass_reason_name(int reason);

/* The namespace's counters summed over all CPUs. */
void sipalg_counters_sum(struct sipalg_net *sn, struct sipalg_counters *sum);
void sipalg_counters_reset(struct sipalg_net *sn);

#endif /* SIPALG_COUNTERS_H */
