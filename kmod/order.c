// SPDX-License-Identifier: GPL-2.0
/*
 * The order in which one TCP connection's packets are rewritten.
 *
 * A rewrite that changes a TCP packet's length moves every later byte of
 * the stream, and the kernel's sequence adjustment (nf_ct_seqadj) records
 * that as one correction point per direction, which only moves forward.
 * When a connection's packets reach the router on two CPUs (veths, taps,
 * a NIC without RSS), a later packet can be rewritten first: the earlier
 * packet's length change is then dropped by nf_ct_seqadj_set(), every
 * byte after it is misnumbered, and the receiver's stream is no longer
 * the sender's (the kernel's own helper breaks such streams the same way).
 *
 * So a connection's TCP packets are helped one at a time, under a lock
 * chosen by the conntrack's address, and a packet that begins before the
 * correction point a later packet set passes with its length unchanged
 * (passed_tcp_reordered): its message leaks the private address, as with
 * no ALG, but the stream stays whole.
 */
#include <linux/hash.h>
#include <linux/spinlock.h>
#include <net/tcp.h>
#include <net/netfilter/nf_conntrack_seqadj.h>

#include "order.h"

#define SIPALG_ORDER_LOCK_BITS 8

/* Connections share a lock only by their hash: no state per connection. */
static spinlock_t sipalg_order_locks[1 << SIPALG_ORDER_LOCK_BITS] = {
	[0 ...(1 << SIPALG_ORDER_LOCK_BITS) - 1] =
		__SPIN_LOCK_UNLOCKED(sipalg_order_locks),
};

spinlock_t *sipalg_order_lock(const struct nf_conn *ct)
{
	return &sipalg_order_locks[hash_ptr(ct, SIPALG_ORDER_LOCK_BITS)];
}

/*
 * Would nf_ct_seqadj_set() drop a length change of the packet at seq? It
 * does when a later packet already set the direction's correction point.
 * A packet at the point itself is one sent again (a retransmission, a
 * message rebuilt from what split.c kept): its rewrite is the one that set
 * the point, and rewriting it again keeps the stream as it was.
 */
bool sipalg_order_behind(struct nf_conn *ct, enum ip_conntrack_info ctinfo,
			 __be32 seq)
{
	struct nf_conn_seqadj *seqadj = nfct_seqadj(ct);
	struct nf_ct_seqadj *way;
	bool behind;

	if (!seqadj)
		return false;
	spin_lock_bh(&ct->lock);
	way = &seqadj->seq[CTINFO2DIR(ctinfo)];
	behind = way->offset_before != way->offset_after &&
		 after(way->correction_pos, ntohl(seq));
	spin_unlock_bh(&ct->lock);
	return behind;
}
