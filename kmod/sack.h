/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SIPALG_SACK_H
#define SIPALG_SACK_H

#include <linux/types.h>
#include <net/netfilter/nf_conntrack.h>

/*
 * A D-SACK, the block that holds it, and one more. The ACK carries no
 * timestamps option, so they fit in TCP's 40 bytes of options.
 */
#define SIPALG_SACK_BLOCKS 3

/* Bytes the router holds, numbered as their sender numbers them. */
struct sipalg_sack {
	u32 start[SIPALG_SACK_BLOCKS];
	u32 end[SIPALG_SACK_BLOCKS];
	unsigned int n;
	/*
	 * The receiver's acknowledgment, numbered so too, when known
	 * (split.c: conntrack's own may be off near the last rewrite).
	 */
	bool ack_known;
	u32 ack;
	/*
	 * sipalg acknowledges up to ack itself: the start of a message it
	 * holds, which it then owns (split.c, sipalg_split_take()). Sent
	 * with or without SACK blocks, and on connections without SACK.
	 */
	bool take;
};

/*
 * Held bytes sipalg acknowledged, to send on as they are: numbered as
 * their sender numbers them, in packets of mss bytes at most, with the
 * timestamps of the sender's last segment when it sends them.
 */
struct sipalg_sack_data {
	u32 seq;
	const unsigned char *data;
	unsigned int len;
	unsigned int mss;
	bool ts;
	u32 tsval, tsecr;
};

void sipalg_sack_add(struct sipalg_sack *sack, u32 start, u32 end);
bool sipalg_sack_send(struct net *net, struct nf_conn *ct,
		      enum ip_conntrack_dir dir, const struct sipalg_sack *sack);
/*
 * Send d's bytes of dir on to their receiver; not under a lock of
 * sipalg's. Returns the packets sent: 0 while the numbers are not known.
 */
unsigned int sipalg_sack_deliver(struct net *net, struct nf_conn *ct,
				 enum ip_conntrack_dir dir,
				 const struct sipalg_sack_data *d);

#endif
