// SPDX-License-Identifier: GPL-2.0
/*
 * A helped conntrack and its pinholes as netlink attributes
 * (include/sipalg/uapi.h), for the dumps and for the events alike.
 */
#include <linux/socket.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_helper.h>

#include <sipalg/uapi.h>

#include "expect.h"
#include "helper.h"
#include "nlattr.h"

static int sipalg_put_tuple(struct sk_buff *msg, int type, u16 l3num,
			    const union nf_inet_addr *src,
			    const union nf_inet_addr *dst, __be16 sport,
			    __be16 dport)
{
	int alen = l3num == NFPROTO_IPV4 ? 4 : 16;
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest)
		return -EMSGSIZE;
	if ((src && nla_put(msg, SIPALG_A_TUPLE_SRC, alen, src)) ||
	    nla_put(msg, SIPALG_A_TUPLE_DST, alen, dst) ||
	    (src && nla_put_u16(msg, SIPALG_A_TUPLE_SPORT, ntohs(sport))) ||
	    nla_put_u16(msg, SIPALG_A_TUPLE_DPORT, ntohs(dport)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int sipalg_put_ct_tuple(struct sk_buff *msg, int type,
			       const struct nf_conntrack_tuple *t)
{
	return sipalg_put_tuple(msg, type, t->src.l3num, &t->src.u3,
				&t->dst.u3, t->src.u.all, t->dst.u.all);
}

int sipalg_put_pinhole(struct sk_buff *msg, int type,
		       const struct nf_conntrack_expect *exp)
{
	bool any_src = sipalg_expect_any_src(exp);
	s32 left = (s32)(exp->timeout - nfct_time_stamp);
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest ||
	    nla_put_u8(msg, SIPALG_A_PINHOLE_CLASS,
		       exp->class >= SIPALG_EXPECT_MEDIA ?
		       SIPALG_PINHOLE_MEDIA : SIPALG_PINHOLE_SIGNALLING) ||
	    sipalg_put_tuple(msg, SIPALG_A_PINHOLE_TUPLE, exp->tuple.src.l3num,
			     any_src ? NULL : &exp->tuple.src.u3,
			     &exp->tuple.dst.u3, 0, exp->tuple.dst.u.all) ||
	    nla_put_u32(msg, SIPALG_A_PINHOLE_TIMEOUT,
			left > 0 ? left / HZ : 0))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* A tuple nest as sipalg_put_tuple() writes it, with or without source. */
static size_t sipalg_tuple_size(u16 l3num, bool src)
{
	size_t alen = l3num == NFPROTO_IPV4 ? 4 : 16;

	return nla_total_size(0) + nla_total_size(alen) +
	       nla_total_size(sizeof(u16)) +
	       (src ? nla_total_size(alen) + nla_total_size(sizeof(u16)) : 0);
}

size_t sipalg_pinhole_size(const struct nf_conntrack_expect *exp)
{
	return nla_total_size(0) + nla_total_size(sizeof(u8)) +
	       sipalg_tuple_size(exp->tuple.src.l3num,
				 !sipalg_expect_any_src(exp)) +
	       nla_total_size(sizeof(u32));
}

static int sipalg_put_pinholes(struct sk_buff *msg, struct nf_conn *ct)
{
	struct nf_conn_help *help = nfct_help(ct);
	struct nf_conntrack_expect *exp;
	int err = 0;

	if (!help)
		return 0;
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode) {
		/* Removed or timed out, but not collected yet. */
		if (nf_ct_exp_is_expired(exp))
			continue;
		err = sipalg_put_pinhole(msg, SIPALG_A_CONN_PINHOLE, exp);
		if (err)
			break;
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	return err;
}

/* Seconds left; an unconfirmed conntrack (first packet) holds it relative. */
static u32 sipalg_ct_seconds_left(const struct nf_conn *ct)
{
	if (!nf_ct_is_confirmed(ct))
		return READ_ONCE(ct->timeout) / HZ;
	return nf_ct_expires(ct) / HZ;
}

/* A CONN nest begun with what every form of it has: family, proto, tuples. */
static struct nlattr *sipalg_put_conn_tuples(struct sk_buff *msg,
					     const struct nf_conn *ct)
{
	struct nlattr *nest = nla_nest_start(msg, SIPALG_A_CONN);

	if (!nest ||
	    nla_put_u8(msg, SIPALG_A_CONN_FAMILY,
		       nf_ct_l3num(ct) == NFPROTO_IPV4 ? AF_INET : AF_INET6) ||
	    nla_put_u8(msg, SIPALG_A_CONN_PROTO, nf_ct_protonum(ct)) ||
	    sipalg_put_ct_tuple(msg, SIPALG_A_CONN_ORIG,
				&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple) ||
	    sipalg_put_ct_tuple(msg, SIPALG_A_CONN_REPLY,
				&ct->tuplehash[IP_CT_DIR_REPLY].tuple))
		return NULL;
	return nest;
}

struct nlattr *sipalg_put_conn_start(struct sk_buff *msg, struct nf_conn *ct)
{
	struct nlattr *nest = sipalg_put_conn_tuples(msg, ct);

	if (!nest ||
	    nla_put_u32(msg, SIPALG_A_CONN_TIMEOUT, sipalg_ct_seconds_left(ct)) ||
	    nla_put_u8(msg, SIPALG_A_CONN_NAT, !!(ct->status & IPS_NAT_MASK)) ||
	    sipalg_put_pinholes(msg, ct))
		return NULL;
	return nest;
}

int sipalg_put_conn_brief(struct sk_buff *msg, const struct nf_conn *ct)
{
	struct nlattr *nest = sipalg_put_conn_tuples(msg, ct);

	if (!nest ||
	    nla_put_u8(msg, SIPALG_A_CONN_NAT, !!(ct->status & IPS_NAT_MASK)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

size_t sipalg_conn_brief_size(const struct nf_conn *ct)
{
	return nla_total_size(0) + 3 * nla_total_size(sizeof(u8)) +
	       2 * sipalg_tuple_size(nf_ct_l3num(ct), true);
}
