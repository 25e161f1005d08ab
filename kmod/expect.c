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
		nf_ct_expect_put(found[i]);
	}
	return n;
}
