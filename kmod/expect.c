// SPDX-License-Identifier: GPL-2.0
/*
 * What media and registration pinholes (conntrack expectations) share: the
 * translation of an expected connection, comparing the core's addresses
 * with conntrack's, and removing a connection's pinholes of one class.
 *
 * A removed or timed-out expectation may stay on its master's list, marked
 * dead, until the conntrack core collects it: every walk of that list here
 * and in media.c skips those (nf_ct_exp_is_expired).
 */
#include <linux/netfilter.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_nat.h>

#include <sipalg/core.h>

#include "sipalg.h"

/* Translate an expected connection to where the SIP message said. */
void sipalg_expected_to_saved(struct nf_conn *ct,
			      struct nf_conntrack_expect *exp)
{
	struct nf_nat_range2 range = {
		.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED,
		.min_addr = exp->saved_addr,
		.max_addr = exp->saved_addr,
		.min_proto = exp->saved_proto,
		.max_proto = exp->saved_proto,
	};

	nf_nat_setup_info(ct, &range, NF_NAT_MANIP_DST);
}

/*
 * This kernel keeps an expectation's end of life as a time stamp, set from
 * the class's policy when it is inserted; a registration pinhole lives for
 * the registration instead.
 */
static void sipalg_expect_set_lifetime(struct nf_conntrack_expect *exp,
				       u32 seconds)
{
	spin_lock_bh(&nf_conntrack_expect_lock);
	WRITE_ONCE(exp->timeout, nfct_time_stamp + seconds * HZ);
	spin_unlock_bh(&nf_conntrack_expect_lock);
}

/*
 * Open one pinhole of ct: protocol p->proto from p->src (NULL: any address,
 * any port) to public:pub_port, translated to private:port when they
 * differ. A signalling pinhole stays after use and gives the connections
 * it admits the sipalg helper. 0 or -errno (-EBUSY: taken).
 */
int sipalg_expect_open(struct nf_conn *ct, const struct sipalg_pinhole *p)
{
	struct nf_conntrack_expect *exp;
	__be16 dport = htons(p->pub_port);
	int err;

	exp = nf_ct_expect_alloc(ct);
	if (!exp)
		return -ENOMEM;
	nf_ct_expect_init(exp, p->class, nf_ct_l3num(ct), p->src, p->public,
			  p->proto, NULL, &dport);
	if (p->class == SIPALG_EXPECT_SIGNALLING) {
		exp->flags = NF_CT_EXPECT_PERMANENT;
		rcu_assign_pointer(exp->assign_helper,
				   sipalg_helper_for(nf_ct_l3num(ct), p->proto));
	}
	if (p->pub_port != p->port ||
	    !nf_inet_addr_cmp(p->public, p->private)) {
		exp->saved_addr = *p->private;
		exp->saved_proto.all = htons(p->port);
		exp->expectfn = sipalg_expected_to_saved;
	}
	err = nf_ct_expect_related(exp, 0);
	if (!err && p->seconds)
		sipalg_expect_set_lifetime(exp, p->seconds);
	if (!err)
		sipalg_event_pinhole(ct, SIPALG_EVENT_PINHOLE_OPEN, exp);
	nf_ct_expect_put(exp);
	return err;
}

/* Does a pinhole admit any source address? */
bool sipalg_expect_any_src(const struct nf_conntrack_expect *exp)
{
	return !exp->mask.src.u3.all[0] && !exp->mask.src.u3.all[3];
}

bool sipalg_addr_equals(const struct sipalg_addr *a,
			const union nf_inet_addr *u, u16 l3num)
{
	if (l3num == NFPROTO_IPV4)
		return a->family == 4 && !memcmp(a->a, &u->ip, 4);
	return a->family == 6 && !memcmp(a->a, u->ip6, 16);
}

/*
 * Remove ct's live pinholes of a class: all of them (public NULL) or the
 * one on public:port. Returns how many.
 */
unsigned int sipalg_expect_remove(struct nf_conn *ct, unsigned int class,
				  const union nf_inet_addr *public, u16 port)
{
	struct nf_conntrack_expect *found[SIPALG_MEDIA_EXPECT_MAX];
	struct nf_conn_help *help = nfct_help(ct);
	struct nf_conntrack_expect *exp;
	unsigned int n = 0, i;

	if (!help)
		return 0;
	/* Collect under the lock, remove after (removal takes it again). */
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode) {
		if (exp->class != class || nf_ct_exp_is_expired(exp))
			continue;
		if (public && (!nf_inet_addr_cmp(&exp->tuple.dst.u3, public) ||
			       ntohs(exp->tuple.dst.u.all) != port))
			continue;
		if (n == ARRAY_SIZE(found))
			break;
		refcount_inc(&exp->use);
		found[n++] = exp;
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);

	for (i = 0; i < n; i++) {
		nf_ct_unexpect_related(found[i]);
		sipalg_event_pinhole(ct, SIPALG_EVENT_PINHOLE_CLOSE, found[i]);
		nf_ct_expect_put(found[i]);
	}
	return n;
}
