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
 * chosen by the conntrack's address, and a packet that begins before
 * bytes that went on already (the correction point a later packet set, or
 * later bytes that went unchanged) passes with its length unchanged
 * (passed_tcp_reordered): its message leaks the private address, as with
 * no ALG, but the stream stays whole.
 */
#include <linux/hash.h>
#include <linux/spinlock.h>
#include <net/tcp.h>
#include <net/netfilter/nf_conntrack_seqadj.h>

#include "order.h"
#include "seqnum.h"
#include "split.h"

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
 * Did conntrack see dir's FIN (under ct->lock)? The first FIN of a
 * connection marks its direction; the second moves the state on to
 * LAST_ACK and later, and is the other direction's.
 */
static bool sipalg_order_fin_seen(const struct nf_conn *ct,
				  enum ip_conntrack_dir dir)
{
	const struct ip_ct_tcp *tcp = &ct->proto.tcp;

	if (tcp->seen[dir].flags & IP_CT_TCP_FLAG_CLOSE_INIT)
		return true;
	return (tcp->seen[!dir].flags & IP_CT_TCP_FLAG_CLOSE_INIT) &&
	       (tcp->state == TCP_CONNTRACK_LAST_ACK ||
		tcp->state == TCP_CONNTRACK_TIME_WAIT);
}

/*
 * Must the packet at seq (its sender's number; end: of its payload and FIN)
 * keep its length? A length change moves every byte after the packet, so
 * it is only right while none of them went on yet, or when it is the
 * change that set the direction's correction point, sent again (a
 * retransmission, a message rebuilt from what split.c kept: rewriting it
 * again keeps the stream as it was). Else it must keep its length:
 *  - behind a later packet's change (the correction point after it),
 *    which nf_ct_seqadj_set() would drop;
 *  - when the receiver acknowledged bytes past msg_seq, where the
 *    packet's first message that would change begins: that message went
 *    on before, unchanged in length (refused here, or passed for want of
 *    memory), and the packet sends it again, coalesced with what came
 *    after it or alone. Its change now would move bytes the receiver
 *    has, and acknowledged;
 *  - behind later bytes that went on unchanged in length (they set no
 *    correction point): a segment that overtook it before the router, or
 *    held bytes split.c gave up while the next segment went on. Its
 *    change would renumber bytes the receiver has already.
 * Which bytes went on: all that conntrack has seen of the sender (it saw
 * this packet too: end is its own). Not while split.c holds bytes of the
 * direction: conntrack saw those, which did not go on, and whether bytes
 * before them did (or are a gap still missing) is not known: the packet
 * is then rewritten, as where no correction point is after it.
 * Bytes conntrack saw that did not go on (dropped by split.c giving up,
 * or on their way from conntrack to here on another CPU) count as gone:
 * the packet keeps its length when it need not, a leak of its message,
 * never a misnumbered stream.
 * One exception: the sender's FIN went on ahead of the packet, which ends
 * where the FIN is (a reply and the close after it, reordered before the
 * router: went is end + 1, and conntrack saw the direction's FIN). The
 * receiver has no byte after the packet, only the FIN, which it keeps
 * out of order until the packet comes: the packet may change its length
 * if it grows and carries the FIN again, at its new end (*fin_moves).
 * The receiver then takes the FIN there and drops the one it held, which
 * the packet's bytes now cover; its acknowledgment of the new FIN is the
 * sender's FIN acknowledged, through the adjustment. Not if it shrinks:
 * the FIN it held would then be past the new end, and a receiver that
 * still reports it (a SACK block, which Linux sends once when it had
 * closed first) would name bytes the sender never sent, an acknowledgment
 * conntrack takes for invalid: it is not translated, and the router's own
 * stack answers it with a reset.
 * *point_change: for a packet at the correction point, the change the
 * point recorded, else 0. nf_ct_seqadj_set() drops any other change at
 * that point, so such a packet may change its length by that much in all
 * and no more: a later message in it that went on unchanged in length
 * (sent again coalesced with the change's message) keeps its length.
 * (Where its first copy had growing and shrinking changes, the total can
 * reach that much before its last change: the messages after keep their
 * length too, a leak, the length right.)
 */
bool sipalg_order_keeps_length(struct nf_conn *ct,
			       enum ip_conntrack_info ctinfo, u32 seq,
			       u32 msg_seq, u32 end, s32 *point_change,
			       bool *fin_moves)
{
	enum ip_conntrack_dir dir = CTINFO2DIR(ctinfo);
	struct nf_conn_seqadj *seqadj = nfct_seqadj(ct);
	bool moved = false, behind = false, at_point = false, acked, fin;
	s32 recorded = 0;
	u32 went, ack;

	spin_lock_bh(&ct->lock);
	if (seqadj) {
		struct nf_ct_seqadj *way = &seqadj->seq[dir];

		moved = way->offset_before != way->offset_after;
		behind = moved && after(way->correction_pos, seq);
		at_point = moved && way->correction_pos == seq;
		recorded = way->offset_after - way->offset_before;
	}
	went = ct->proto.tcp.seen[dir].td_end;
	fin = sipalg_order_fin_seen(ct, dir);
	/*
	 * (Conntrack's number, corrected as the adjustment numbers it; where
	 * that is ambiguous, the higher: the packet keeps its length, a leak,
	 * rather than renumber bytes the receiver has.)
	 */
	acked = sipalg_seqnum_conntrack_ack(ct, dir, true, &ack) &&
		after(ack, msg_seq);
	spin_unlock_bh(&ct->lock);
	*point_change = at_point ? recorded : 0;
	*fin_moves = false;
	if (behind || at_point)
		return behind;
	if (acked)
		return true;
	if (sipalg_split_holds(ct, dir))
		return false;
	if (fin && went == end + 1) {
		*fin_moves = true;
		return false;
	}
	return after(went, end);
}
