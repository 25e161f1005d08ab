// SPDX-License-Identifier: GPL-2.0
/*
 * Ask a TCP sender for a segment lost before the router, acknowledge
 * bytes that split.c holds to it, or send those on to their receiver.
 *
 * split.c holds the bytes of a message that came after a gap, and the
 * start of that message. The receiver has none of them, so it sends no
 * duplicate acknowledgment, and the sender learns of the loss only when
 * its retransmission timer fires; then it sends the first segment that is
 * not acknowledged, and nothing else until it is, which it never is while
 * sipalg holds it. So sipalg tells the sender what the receiver would
 * have, had it got the held bytes: a pure ACK of what the receiver really
 * acknowledged, with SACK blocks that split.c chose (sipalg_split_ask()).
 * The sender's fast recovery then sends again what is not SACKed, which
 * fills the gap.
 *
 * A SACK is not an acknowledgment: the sender keeps SACKed bytes until they
 * are acknowledged and sends them again if the receiver's ACKs never cover
 * them (RFC 2018, "reneging"), so when sipalg gives up the held bytes
 * nothing is lost. Only on connections that negotiated SACK.
 *
 * Once the sender's timer has sent a held message's start again, it
 * sends nothing more until that start is acknowledged; then sipalg
 * acknowledges it itself (take), as far as it holds it contiguously, and
 * owns those bytes: split.c sends them on, joined with the rest of the
 * message or as they are, and never drops them (sipalg_split_take()).
 *
 * The ACK is numbered as the sender sees the stream (the other way's
 * sequence adjustment applied) and untracked: conntrack, NAT and the
 * helpers leave it alone.
 *
 * When the rest of a message it acknowledged does not come in time,
 * sipalg sends those bytes on to the receiver itself, as they are
 * (sipalg_sack_deliver()): untracked too, numbered as the receiver sees
 * the stream, from the sender's address as the receiver knows it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/tcp.h>
#include <net/netfilter/nf_conntrack_seqadj.h>

#include "sack.h"

void sipalg_sack_add(struct sipalg_sack *sack, u32 start, u32 end)
{
	if (sack->n < SIPALG_SACK_BLOCKS && after(end, start)) {
		sack->start[sack->n] = start;
		sack->end[sack->n] = end;
		sack->n++;
	}
}

/* The receiver's side of the ACK, as the sender of dir's bytes sees it. */
struct sipalg_sack_numbers {
	u32 seq;
	u32 ack;
	u16 window;
};

/* Payload bytes of a packet of data sipalg sends on, at most. */
#define SIPALG_SACK_DATA_MAX 1200u

/* A packet sipalg builds: an ACK with SACK blocks, or data sent on. */
struct sipalg_sack_packet {
	struct sipalg_sack_numbers num;
	const struct sipalg_sack *sack;	/* its blocks, if any */
	bool ts;			/* a timestamps option: */
	u32 tsval, tsecr;
	const unsigned char *data;	/* payload */
	unsigned int len;
};

static bool sipalg_sack_numbers(struct nf_conn *ct, enum ip_conntrack_dir dir,
				const struct sipalg_sack *sack, u32 first,
				struct sipalg_sack_numbers *num)
{
	const struct ip_ct_tcp_state *own = &ct->proto.tcp.seen[dir];
	const struct ip_ct_tcp_state *peer = &ct->proto.tcp.seen[!dir];
	bool ok;

	spin_lock_bh(&ct->lock);
	ok = sack->ack_known &&
	     (own->flags & peer->flags & IP_CT_TCP_FLAG_SACK_PERM ?
	      /* (A block at or below the acknowledgment means nothing.) */
	      !sack->n || before(sack->ack, first) :
	      /* No blocks without SACK: only an acknowledgment of its own. */
	      sack->take && !sack->n);
	if (ok) {
		num->ack = sack->ack;
		num->seq = peer->td_end +
			   nf_ct_seq_offset(ct, !dir, peer->td_end);
		/*
		 * The largest window the receiver offered (conntrack keeps
		 * no other), never zero: that would stop the sender.
		 */
		num->window = min_t(u32, max_t(u32, peer->td_maxwin >>
						     peer->td_scale, 1),
				    0xffff);
	}
	spin_unlock_bh(&ct->lock);
	return ok;
}

/*
 * The TCP header's length, with its options if any (2 NOPs before each:
 * the SACK option's kind, length and blocks; the timestamps' 10 bytes).
 */
static unsigned int sipalg_sack_tcp_len(const struct sipalg_sack_packet *p)
{
	unsigned int n = p->sack ? p->sack->n : 0;

	return sizeof(struct tcphdr) + (n ? 4 + 8 * n : 0) +
	       (p->ts ? TCPOLEN_TSTAMP_ALIGNED : 0);
}

/*
 * An skb for an IP packet of len bytes to dst (its reference taken over,
 * released if there is no memory), with room for the link header.
 */
static struct sk_buff *sipalg_sack_skb(struct dst_entry *dst, __be16 proto,
				       unsigned int len)
{
	struct sk_buff *skb = alloc_skb(LL_MAX_HEADER + len, GFP_ATOMIC);

	if (!skb) {
		dst_release(dst);
		return NULL;
	}
	skb_reserve(skb, LL_MAX_HEADER);
	skb_dst_set(skb, dst);
	skb->protocol = proto;
	skb_reset_network_header(skb);
	return skb;
}

/* The TCP header, its options and payload, after the IP header. */
static struct tcphdr *sipalg_sack_tcp(struct sk_buff *skb,
				      const struct nf_conntrack_tuple *t,
				      const struct sipalg_sack_packet *p)
{
	unsigned int len = sipalg_sack_tcp_len(p), n, i;
	struct tcphdr *th;
	__be32 *opt;

	skb_reset_transport_header(skb);
	th = skb_put_zero(skb, len);
	/* From the tuple's destination to its source. */
	th->source = t->dst.u.tcp.port;
	th->dest = t->src.u.tcp.port;
	th->seq = htonl(p->num.seq);
	th->ack_seq = htonl(p->num.ack);
	th->doff = len / 4;
	th->ack = 1;
	th->psh = !!p->len;
	th->window = htons(p->num.window);
	opt = (__be32 *)(th + 1);
	if (p->ts) {
		*opt++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
			       (TCPOPT_TIMESTAMP << 8) | TCPOLEN_TIMESTAMP);
		*opt++ = htonl(p->tsval);
		*opt++ = htonl(p->tsecr);
	}
	n = p->sack ? p->sack->n : 0;
	if (n)
		*opt++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
			       (TCPOPT_SACK << 8) | (TCPOLEN_SACK_BASE + 8 * n));
	for (i = 0; i < n; i++) {
		*opt++ = htonl(p->sack->start[i]);
		*opt++ = htonl(p->sack->end[i]);
	}
	if (p->len)
		skb_put_data(skb, p->data, p->len);
	return th;
}

static void sipalg_sack_send4(struct net *net,
			      const struct nf_conntrack_tuple *t,
			      const struct sipalg_sack_packet *p)
{
	struct flowi4 fl4 = {
		.daddr = t->src.u3.ip,
		.saddr = t->dst.u3.ip,
		.flowi4_proto = IPPROTO_TCP,
		/* The far end's address, not the router's. */
		.flowi4_flags = FLOWI_FLAG_ANYSRC,
		.fl4_sport = t->dst.u.tcp.port,
		.fl4_dport = t->src.u.tcp.port,
	};
	unsigned int len = sizeof(struct iphdr) + sipalg_sack_tcp_len(p) +
			   p->len;
	struct sk_buff *skb;
	struct tcphdr *th;
	struct iphdr *iph;
	struct rtable *rt;

	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return;
	skb = sipalg_sack_skb(&rt->dst, htons(ETH_P_IP), len);
	if (!skb)
		return;
	iph = skb_put_zero(skb, sizeof(*iph));
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tot_len = htons(len);
	iph->frag_off = htons(IP_DF);
	iph->ttl = ip4_dst_hoplimit(&rt->dst);
	iph->protocol = IPPROTO_TCP;
	iph->saddr = fl4.saddr;
	iph->daddr = fl4.daddr;
	ip_send_check(iph);
	th = sipalg_sack_tcp(skb, t, p);
	th->check = tcp_v4_check(len - sizeof(*iph), iph->saddr, iph->daddr,
				 csum_partial(th, len - sizeof(*iph), 0));
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
	ip_local_out(net, NULL, skb);
}

static void sipalg_sack_send6(struct net *net,
			      const struct nf_conntrack_tuple *t,
			      const struct sipalg_sack_packet *p)
{
	struct flowi6 fl6 = {
		.daddr = t->src.u3.in6,
		.saddr = t->dst.u3.in6,
		.flowi6_proto = IPPROTO_TCP,
		.fl6_sport = t->dst.u.tcp.port,
		.fl6_dport = t->src.u.tcp.port,
	};
	unsigned int tcp_len = sipalg_sack_tcp_len(p) + p->len;
	struct dst_entry *dst;
	struct ipv6hdr *ip6h;
	struct sk_buff *skb;
	struct tcphdr *th;

	dst = ip6_route_output(net, NULL, &fl6);
	if (dst->error) {
		dst_release(dst);
		return;
	}
	skb = sipalg_sack_skb(dst, htons(ETH_P_IPV6), sizeof(*ip6h) + tcp_len);
	if (!skb)
		return;
	ip6h = skb_put_zero(skb, sizeof(*ip6h));
	ip6h->version = 6;
	ip6h->payload_len = htons(tcp_len);
	ip6h->nexthdr = IPPROTO_TCP;
	ip6h->hop_limit = ip6_dst_hoplimit(dst);
	ip6h->saddr = fl6.saddr;
	ip6h->daddr = fl6.daddr;
	th = sipalg_sack_tcp(skb, t, p);
	th->check = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, tcp_len,
				    IPPROTO_TCP, csum_partial(th, tcp_len, 0));
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
	ip6_local_out(net, NULL, skb);
}

/*
 * Tell the sender of dir's bytes that the receiver has sack's blocks, or
 * that sipalg has its bytes up to sack->ack (take). Not under a lock of
 * sipalg's: the ACK goes out through netfilter's hooks. Returns whether
 * it went (the connection negotiated SACK, or it takes without blocks).
 */
static void sipalg_sack_out(struct net *net, const struct nf_conn *ct,
			    const struct nf_conntrack_tuple *t,
			    const struct sipalg_sack_packet *p)
{
	if (nf_ct_l3num(ct) == NFPROTO_IPV4)
		sipalg_sack_send4(net, t, p);
	else
		sipalg_sack_send6(net, t, p);
}

bool sipalg_sack_send(struct net *net, struct nf_conn *ct,
		      enum ip_conntrack_dir dir, const struct sipalg_sack *sack)
{
	struct sipalg_sack_packet p = { .sack = sack };
	u32 first;
	unsigned int i;

	if (!sack->n && !sack->take)
		return false;
	first = sack->n ? sack->start[0] : sack->ack + 1;
	for (i = 1; i < sack->n; i++)
		if (before(sack->start[i], first))
			first = sack->start[i];
	if (!sipalg_sack_numbers(ct, dir, sack, first, &p.num))
		return false;
	/* From the receiver (the tuple's destination) to the sender. */
	sipalg_sack_out(net, ct, &ct->tuplehash[dir].tuple, &p);
	return true;
}

/*
 * The sender's side of data sent on, as the receiver of dir's bytes sees
 * it: seq (the sender's number) moved as the sequence adjustment moves a
 * packet that begins there, the sender's highest acknowledgment and
 * largest window (conntrack's, numbered as the receiver numbers). False
 * while conntrack saw no acknowledgment from the sender.
 */
static bool sipalg_sack_data_numbers(struct nf_conn *ct,
				     enum ip_conntrack_dir dir, u32 seq,
				     struct sipalg_sack_numbers *num)
{
	const struct ip_ct_tcp_state *own = &ct->proto.tcp.seen[dir];
	bool ok;

	spin_lock_bh(&ct->lock);
	ok = own->flags & IP_CT_TCP_FLAG_MAXACK_SET;
	if (ok) {
		num->seq = seq + nf_ct_seq_offset(ct, dir, seq);
		num->ack = own->td_maxack;
		num->window = min_t(u32, max_t(u32, own->td_maxwin >>
						     own->td_scale, 1),
				    0xffff);
	}
	spin_unlock_bh(&ct->lock);
	return ok;
}

unsigned int sipalg_sack_deliver(struct net *net, struct nf_conn *ct,
				 enum ip_conntrack_dir dir,
				 const struct sipalg_sack_data *d)
{
	struct sipalg_sack_packet p = {
		.ts = d->ts, .tsval = d->tsval, .tsecr = d->tsecr,
	};
	/*
	 * (Held segments may have been merged on the way in, GRO: no more
	 * than fits any IPv6 path, 1280 bytes, with the headers.)
	 */
	unsigned int off, n = 0, mss = min(d->mss, SIPALG_SACK_DATA_MAX);

	if (!mss || !sipalg_sack_data_numbers(ct, dir, d->seq, &p.num))
		return 0;
	for (off = 0; off < d->len; off += p.len, n++) {
		p.data = d->data + off;
		p.len = min(d->len - off, mss);
		/* From the sender (the reply tuple's destination). */
		sipalg_sack_out(net, ct, &ct->tuplehash[!dir].tuple, &p);
		p.num.seq += p.len;
	}
	return n;
}
