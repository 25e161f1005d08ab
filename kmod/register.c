// SPDX-License-Identifier: GPL-2.0
/*
 * Registration pinholes: a REGISTER passing through opens a way for the
 * registrar to reach the phone's registered contact, also from another
 * source port than the one the REGISTER went to (many registrars and
 * proxies send INVITEs from a port of their own), for as long as the
 * registration lasts. A re-REGISTER renews it; Expires 0 removes it.
 *
 * The pinhole admits only the registrar's address, only to a contact that
 * is the REGISTER's own source address, and gives the incoming connection
 * the sipalg helper, so the INVITE and its SDP are handled like any other.
 */
#include <linux/netfilter.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_helper.h>

#include <sipalg/core.h>

#include "sipalg.h"

#define SIPALG_DEFAULT_EXPIRES 3600	/* RFC 3261 10.2.1.1 */

/* How long a contact is registered for: its expires=, Expires, or 3600. */
u32 sipalg_contact_expires(const struct sipalg_msg *msg,
			   const struct sipalg_contact *c)
{
	if (c->flags & SIPALG_CONTACT_EXPIRES)
		return c->expires;
	if (msg->flags & SIPALG_MSGF_EXPIRES)
		return msg->expires;
	return SIPALG_DEFAULT_EXPIRES;
}

void sipalg_register_track(struct nf_conn *ct, enum ip_conntrack_info ctinfo,
			   const struct sipalg_msg *msg, struct sipalg_net *sn)
{
	enum ip_conntrack_dir dir = CTINFO2DIR(ctinfo);
	const struct nf_conntrack_tuple *sent = &ct->tuplehash[dir].tuple;
	const struct nf_conntrack_tuple *reply = &ct->tuplehash[!dir].tuple;
	const union nf_inet_addr *private = &sent->src.u3;
	const union nf_inet_addr *public = &reply->dst.u3;
	struct sipalg_pinhole p = {
		.class = SIPALG_EXPECT_SIGNALLING,
		.proto = nf_ct_protonum(ct),
		.src = &reply->src.u3,		/* the registrar */
		.public = public,
		.private = private,
	};
	u16 l3num = nf_ct_l3num(ct);
	unsigned int i;

	for (i = 0; i < msg->n_contacts; i++) {
		const struct sipalg_contact *c = &msg->contacts[i];
		const struct sipalg_ref *ref;
		u32 expires;
		int err;

		if (c->flags & SIPALG_CONTACT_STAR) {
			/* "Contact: *" with Expires 0: unregister all. */
			sipalg_expect_remove(ct, SIPALG_EXPECT_SIGNALLING,
					     NULL, 0);
			continue;
		}
		if (c->ref < 0)
			continue;	/* a hostname: nothing to open */
		ref = &msg->refs[c->ref];
		if (!sipalg_addr_equals(&ref->addr, private, l3num))
			continue;	/* not the sender's own address */

		/*
		 * The contact as the registrar knows it: where NAT moved the
		 * connection's own port, the rewritten Contact says so too.
		 */
		p.port = ref->port;
		p.pub_port = ref->port;
		if (ref->port == ntohs(sent->src.u.all))
			p.pub_port = ntohs(reply->dst.u.all);
		expires = sipalg_contact_expires(msg, c);
		sipalg_expect_remove(ct, SIPALG_EXPECT_SIGNALLING, public,
				     p.pub_port);
		if (!expires)
			continue;
		p.seconds = min_t(u32, expires, SIPALG_TIMEOUT_MAX);
		err = sipalg_expect_open(ct, &p);
		sipalg_count(sn, err ? SIPALG_CTR_EXPECT_FAILED :
				       SIPALG_CTR_REGISTRATIONS);
	}
}
