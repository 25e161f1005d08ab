/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SIPALG_QUIET_H
#define SIPALG_QUIET_H

#include <linux/jiffies.h>
#include <net/net_namespace.h>

/*
 * "Nobody listened a moment ago", remembered per CPU for one jiffy: asking
 * generic netlink whether a group has a listener costs 100-150
 * instructions a message (RCU sections and calls); the trace's and the
 * events' question together were about 3% of what sipalg adds to a SIP
 * message, for an answer that is nearly always no. Only that answer is
 * kept: while someone listens every packet asks again, so a listener
 * misses at most the first jiffy after it joined (1-10 ms, the kernel's
 * HZ), and none after. Callers keep one per CPU (and per kind of
 * listener) and use it where they cannot be moved to another CPU.
 */
struct sipalg_quiet {
	unsigned long at;	/* jiffies when nobody listened */
	const struct net *net;	/* in which namespace; NULL: not known */
};

static inline bool sipalg_quiet_recently(const struct sipalg_quiet *q,
					 const struct net *net)
{
	return q->net == net && time_before_eq(jiffies, q->at);
}

/* The answer just asked: quiet or not. */
static inline void sipalg_quiet_note(struct sipalg_quiet *q,
				     const struct net *net, bool quiet)
{
	q->at = jiffies;
	q->net = quiet ? net : NULL;
}

#endif /* SIPALG_QUIET_H */
