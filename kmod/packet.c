// SPDX-License-Identifier: GPL-2.0
/*
 * Lengths and checksums of a packet whose payload sipalg changed: the
 * rewrite (rewrite.c) and a split message joined into one packet
 * (split.c); and GSO for a TCP packet that became longer than its MTU.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <linux/netfilter.h>

#include "packet.h"

/*
 * The L4 checksum after the payload changed. A checksum the device or the
 * stack will complete (CHECKSUM_PARTIAL) only needs the length in its
 * pseudo-header sum updated; otherwise the packet is turned into one, so the
 * payload is summed once on output (or by the NIC), not here.
 */
static void sipalg_l4_csum(struct sk_buff *skb, unsigned int protoff,
			   u16 l3num, u8 protonum, __sum16 *check,
			   unsigned int l4_len, unsigned int old_l4_len)
{
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		inet_proto_csum_replace2(check, skb, htons(old_l4_len),
					 htons(l4_len), true);
		return;
	}
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_headroom(skb) + protoff;
	skb->csum_offset = (unsigned char *)check - (skb->data + protoff);
	if (l3num == NFPROTO_IPV4) {
		const struct iphdr *iph = ip_hdr(skb);

		*check = ~csum_tcpudp_magic(iph->saddr, iph->daddr, l4_len,
					    protonum, 0);
	} else {
		const struct ipv6hdr *ip6h = ipv6_hdr(skb);

		*check = ~csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, l4_len,
					  protonum, 0);
	}
}

bool sipalg_packet_too_long(const struct sk_buff *skb, u16 l3num)
{
	unsigned int len = skb->len - skb_network_offset(skb);

	if (l3num == NFPROTO_IPV6)
		len -= sizeof(struct ipv6hdr);
	return len > 65535;
}

void sipalg_packet_gso(struct sk_buff *skb, unsigned int dataoff, u16 l3num,
		       unsigned int mtu, unsigned int mss)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);

	if (skb_is_gso(skb) || skb->len <= mtu || mtu <= dataoff)
		return;
	if (!mss || mss > mtu - dataoff)
		mss = mtu - dataoff;
	shinfo->gso_size = mss;
	shinfo->gso_type = l3num == NFPROTO_IPV4 ? SKB_GSO_TCPV4 :
						   SKB_GSO_TCPV6;
}

void sipalg_packet_fix(struct sk_buff *skb, unsigned int protoff, u16 l3num,
		       u8 protonum, unsigned int old_l4_len)
{
	unsigned int l4_len = skb->len - protoff;

	if (l3num == NFPROTO_IPV4) {
		ip_hdr(skb)->tot_len = htons(skb->len);
		ip_send_check(ip_hdr(skb));
	} else {
		ipv6_hdr(skb)->payload_len =
			htons(skb->len - sizeof(struct ipv6hdr));
	}

	if (protonum == IPPROTO_UDP) {
		struct udphdr *uh = (struct udphdr *)(skb->data + protoff);

		uh->len = htons(l4_len);
		/* IPv4 UDP without a checksum stays without one. */
		if (!uh->check && skb->ip_summed != CHECKSUM_PARTIAL)
			return;
		sipalg_l4_csum(skb, protoff, l3num, IPPROTO_UDP, &uh->check,
			       l4_len, old_l4_len);
	} else {
		struct tcphdr *th = (struct tcphdr *)(skb->data + protoff);
		unsigned int payload = l4_len - th->doff * 4;
		struct skb_shared_info *shinfo = skb_shinfo(skb);

		sipalg_l4_csum(skb, protoff, l3num, IPPROTO_TCP, &th->check,
			       l4_len, old_l4_len);
		/* The stack cuts a GSO packet into gso_size pieces. */
		if (skb_is_gso(skb))
			shinfo->gso_segs = DIV_ROUND_UP(payload,
							shinfo->gso_size);
	}
}
