/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SIP over TCP: a message split across segments is held until the rest of
 * it comes, then sent on whole, so that the helper rewrites all of it.
 */
#ifndef SIPALG_SPLIT_H
#define SIPALG_SPLIT_H

#include <net/netfilter/nf_conntrack.h>

/* The hooks (every namespace) and the sweep of held bytes. */
int sipalg_split_init(void);
/* Unhooks, then frees everything held (before the helpers go). */
void sipalg_split_exit(void);
/*
 * For the helper: a TCP packet (dir's, of ct) has no room left in an IP
 * length for one of its messages to grow into. The packet's last whole
 * messages, at data (len bytes, the first at the sender's seq), are held,
 * to go out in front of the sender's next segment as the messages of a
 * joined packet do; the helper ends the packet before them, and the
 * room they leave is the growth's. mss: the sender's segment size, 0 if
 * unknown. 0 if held, else the counter that says why not, or a negative
 * errno when there is nothing to count (not whole messages, split.c
 * holds something else, unloading).
 */
int sipalg_split_hold_rest(struct nf_conn *ct, enum ip_conntrack_dir dir,
			   const unsigned char *data, unsigned int len,
			   u32 seq, unsigned int mss);
/*
 * For the helper: the lengths of the whole messages the hook framed at
 * the start of this packet (dir's, of ct; seq: its first byte's, the
 * sender's), in order, when the hook framed them on this CPU: *n of them,
 * else 0 (the helper frames them itself). Once a packet, with bottom
 * halves off; the lengths hold until this CPU's hook frames its next
 * packet, which cannot happen while the helper runs.
 */
const unsigned int *sipalg_split_framed(const struct sk_buff *skb,
					const struct nf_conn *ct,
					enum ip_conntrack_dir dir, u32 seq,
					unsigned int *n);
/* For order.c: does split.c hold bytes of dir's stream (taken out of it)? */
bool sipalg_split_holds(struct nf_conn *ct, enum ip_conntrack_dir dir);
/* Bytes held and kept now (with the per-connection state), and the cap. */
unsigned long sipalg_split_bytes_now(void);
unsigned long sipalg_split_bytes_max(void);

#endif /* SIPALG_SPLIT_H */
