// SPDX-License-Identifier: GPL-2.0
/*
 * The address translation in force for one packet, from its conntrack.
 *
 * tuplehash[dir] is the packet as its sender addressed it (before NAT);
 * tuplehash[!dir] is the reply tuple, whose destination is where the sender
 * appears after source NAT and whose source is where the packet really goes
 * after destination NAT. So inside the SIP message, the sender's own address
 * becomes reply.dst and the address it wrote for its peer becomes reply.src.
 * Which fields each may rewrite is the core's rule (include/sipalg/core.h):
 * map[0] only what the sender wrote about itself, map[1] only what it
 * wrote about the receiver.
 */
#include <linux/jiffies.h>
#include <net/netfilter/nf_conntrack.h>

#include "xlat.h"

/*
 * Inlined, as sipalg_map_set(): six calls a message otherwise (the helper's
 * view and its NAT maps are made for every message).
 */
static __always_inline void sipalg_addr_from(struct sipalg_addr *out,
					     const union nf_inet_addr *in,
					     u16 l3num)
{
	memset(out, 0, sizeof(*out));
	if (l3num == NFPROTO_IPV4) {
		out->family = 4;
		memcpy(out->a, &in->ip, 4);
	} else {
		out->family = 6;
		memcpy(out->a, in->ip6, 16);
	}
}

/*
 * "from becomes to", ports always set: the core rewrites an occurrence of
 * the from address with exactly from_port to to_port, and one with any
 * other port to the to address keeping its port (a phone sending from an
 * ephemeral TCP port still names its listening port in Via and Contact).
 * A registrar's list of bindings matches on from_port exactly, so it is
 * needed also when NAT keeps the port.
 */
static __always_inline void sipalg_map_set(struct sipalg_map *map, u16 l3num,
					   const union nf_inet_addr *from,
					   __be16 from_port,
					   const union nf_inet_addr *to,
					   __be16 to_port)
{
	if (nf_inet_addr_cmp(from, to) && from_port == to_port) {
		memset(map, 0, sizeof(*map));
		return;
	}
	/* Every field written: the addresses clear their own rest. */
	sipalg_addr_from(&map->from, from, l3num);
	sipalg_addr_from(&map->to, to, l3num);
	map->from_port = ntohs(from_port);
	map->to_port = ntohs(to_port);
	map->flags = SIPALG_MAP_ACTIVE;
	if (from_port != to_port)
		map->flags |= SIPALG_MAP_PORT;
}

/* Returns false when NAT changes nothing for this packet. */
bool sipalg_xlat_for(struct sipalg_xlat *xlat, const struct nf_conn *ct,
		     enum ip_conntrack_dir dir)
{
	const struct nf_conntrack_tuple *sent = &ct->tuplehash[dir].tuple;
	const struct nf_conntrack_tuple *reply = &ct->tuplehash[!dir].tuple;
	u16 l3num = nf_ct_l3num(ct);

	sipalg_map_set(&xlat->map[0], l3num, &sent->src.u3, sent->src.u.all,
		       &reply->dst.u3, reply->dst.u.all);
	sipalg_map_set(&xlat->map[1], l3num, &sent->dst.u3, sent->dst.u.all,
		       &reply->src.u3, reply->src.u.all);
	return (xlat->map[0].flags | xlat->map[1].flags) & SIPALG_MAP_ACTIVE;
}

bool sipalg_addr_equals(const struct sipalg_addr *a,
			const union nf_inet_addr *u, u16 l3num)
{
	if (l3num == NFPROTO_IPV4)
		return a->family == 4 && !memcmp(a->a, &u->ip, 4);
	return a->family == 6 && !memcmp(a->a, u->ip6, 16);
}

bool sipalg_addr_to(union nf_inet_addr *out, const struct sipalg_addr *a,
		    u16 l3num)
{
	memset(out, 0, sizeof(*out));
	if (a->family != (l3num == NFPROTO_IPV4 ? 4 : 6))
		return false;
	memcpy(out, a->a, a->family == 4 ? 4 : 16);
	return true;
}

/*
 * The inside of a connection is its translated side: the original sender
 * under source NAT (a phone calling out), the reply's sender when only the
 * destination is translated (a connection let in by a pinhole, a PBX
 * behind DNAT); without NAT, the side that began it.
 */
bool sipalg_from_inside(const struct nf_conn *ct, enum ip_conntrack_dir dir)
{
	bool inside_replies = (ct->status & IPS_DST_NAT) &&
			      !(ct->status & IPS_SRC_NAT);

	return dir == (inside_replies ? IP_CT_DIR_REPLY : IP_CT_DIR_ORIGINAL);
}

void sipalg_view_for(struct sipalg_view *view, const struct nf_conn *ct,
		     enum ip_conntrack_dir dir, bool direct_media)
{
	const struct nf_conntrack_tuple *sent = &ct->tuplehash[dir].tuple;
	const struct nf_conntrack_tuple *reply = &ct->tuplehash[!dir].tuple;
	u16 l3num = nf_ct_l3num(ct);

	/* Every field written: the addresses clear their own rest. */
	view->from_inside = sipalg_from_inside(ct, dir);
	view->direct_media = direct_media;
	view->pad[0] = 0;
	view->pad[1] = 0;
	view->now = (u32)jiffies;
	sipalg_addr_from(&view->sender, &sent->src.u3, l3num);
	sipalg_addr_from(&view->sender_public, &reply->dst.u3, l3num);
	view->sender_port = ntohs(sent->src.u.all);
	view->sender_public_port = ntohs(reply->dst.u.all);
	sipalg_addr_from(&view->receiver, &sent->dst.u3, l3num);
	sipalg_addr_from(&view->receiver_real, &reply->src.u3, l3num);
	view->receiver_port = ntohs(sent->dst.u.all);
	view->receiver_real_port = ntohs(reply->src.u.all);
}
