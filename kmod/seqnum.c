// SPDX-License-Identifier: GPL-2.0
/*
 * A TCP stream's numbers on either side of the router once rewrites have
 * changed its length. The kernel's sequence adjustment (nf_ct_seqadj)
 * keeps, per direction, one correction point in the sender's numbers and
 * the offsets before and after it; the receiver numbers the same bytes
 * with the offset added. Its acknowledgments and SACK edges come back in
 * the receiver's numbers, and the adjustment chooses the offset to take
 * off by comparing the receiver's number with the sender's point. Near
 * the point the two numberings overlap, so the mapping is not one to one:
 * these helpers turn numbers the way the adjustment will, and say which
 * number means what, for split.c (its SACKs and holds) and order.c (what
 * the receiver has).
 */
#include <net/tcp.h>

#include "seqnum.h"

/*
 * x, an acknowledgment or SACK edge of a direction's bytes numbered as
 * their receiver has them, numbered as their sender does: as the sequence
 * adjustment (way: that direction's) turns it at conntrack confirm.
 */
u32 sipalg_seqnum_to_sender(const struct nf_ct_seqadj *way, u32 x)
{
	return x - (after(x - way->offset_before, way->correction_pos) ?
		    way->offset_after : way->offset_before);
}

/*
 * The edge the sequence adjustment turns into x (numbered for the
 * sender), if any: what the receiver must say for its sender to read x.
 */
bool sipalg_seqnum_to_receiver(const struct nf_ct_seqadj *way, u32 x,
			       u32 *out)
{
	u32 edge = x + way->offset_after;

	if (sipalg_seqnum_to_sender(way, edge) != x) {
		edge = x + way->offset_before;
		if (sipalg_seqnum_to_sender(way, edge) != x)
			return false;
	}
	*out = edge;
	return true;
}

/*
 * Conntrack's highest acknowledgment of dir's bytes, numbered for their
 * sender. Conntrack takes the adjustment off too, but at the wrong side of
 * the correction point near it (it compares the receiver's number, not the
 * sender's, with the point): once the rewrites before have moved the
 * stream further than the last message is long, it is below the truth by
 * the last rewrite's change. So: of the receiver's numbers conntrack would
 * have turned into it, the one the adjustment turns into the lower number
 * (a SACK must not claim more than was acknowledged), or the higher (where
 * "acknowledged" makes a packet keep its length: a leak, not a
 * misnumbered stream), in *out. False when conntrack has seen no
 * acknowledgment yet. Called under ct's lock.
 */
bool sipalg_seqnum_conntrack_ack(struct nf_conn *ct, enum ip_conntrack_dir dir,
				 bool higher, u32 *out)
{
	const struct ip_ct_tcp_state *peer = &ct->proto.tcp.seen[!dir];
	const struct nf_conn_seqadj *seqadj = nfct_seqadj(ct);
	u32 ack = peer->td_maxack, raw, x, y;
	const struct nf_ct_seqadj *way;
	bool found = false;

	*out = ack;
	if (!(peer->flags & IP_CT_TCP_FLAG_MAXACK_SET))
		return false;
	if (!seqadj)
		return true;
	way = &seqadj->seq[dir];
	raw = ack + way->offset_before;
	if (!after(raw - 1, way->correction_pos)) {
		x = sipalg_seqnum_to_sender(way, raw);
		found = true;
	}
	raw = ack + way->offset_after;
	if (after(raw - 1, way->correction_pos)) {
		y = sipalg_seqnum_to_sender(way, raw);
		if (!found || (higher ? after(y, x) : before(y, x)))
			x = y;
		found = true;
	}
	if (found)
		*out = x;
	return true;
}
