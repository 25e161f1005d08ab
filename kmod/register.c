// SPDX-License-Identifier: GPL-2.0
/*
 * Registration pinholes: a way for the registrar to reach the phone's
 * registered contact, also from another source port than the one the
 * REGISTER went to (many registrars and proxies send INVITEs from a port of
 * their own), for as long as the registrar granted. The core decides from
 * the registrar's answer which bindings to open, refresh or remove
 * (sipalg_decide()); this file does it.
 *
 * The pinhole admits only the registrar's address, leads only to the
 * registering endpoint's own address, and gives the incoming connection
 * the sipalg helper, so the INVITE and its SDP are handled like any other.
 *
 * A pinhole never outlives the REGISTER's own connection (the kernel
 * removes a master's expectations with it), and that connection already
 * lets the registrar in from the address and port the REGISTER went to,
 * to the binding on the REGISTER's own source port. So with
 * registration-pinholes=when-needed such a binding gets none: one
 * expectation less per registered phone, which is what fills the table
 * of a router with tens of thousands of them.
 */
#include <linux/netfilter.h>
#include <net/netfilter/nf_conntrack.h>

#include <sipalg/uapi.h>

#include "counters.h"
#include "expect.h"
#include "helper.h"
#include "register.h"

void sipalg_register_apply(struct nf_conn *ct, enum ip_conntrack_dir dir,
			   const struct sipalg_msg *msg,
			   const struct sipalg_decision *dec,
			   struct sipalg_net *sn)
{
	const struct nf_conntrack_tuple *sent = &ct->tuplehash[dir].tuple;
	const struct nf_conntrack_tuple *reply = &ct->tuplehash[!dir].tuple;
	bool request = msg->kind == SIPALG_KIND_REQUEST;
	/*
	 * The registering endpoint sends the REGISTER and receives the
	 * answer: where it is, and where the registrar knows it.
	 */
	const union nf_inet_addr *endpoint = request ? &sent->src.u3 :
						       &reply->src.u3;
	const union nf_inet_addr *public = request ? &reply->dst.u3 :
						     &sent->dst.u3;
	const union nf_inet_addr *registrar = request ? &reply->src.u3 :
							&sent->src.u3;
	/* The same two ends, as ports (network order in the tuples). */
	u16 endpoint_port = ntohs(request ? sent->src.u.all :
					    reply->src.u.all);
	u16 public_port = ntohs(request ? reply->dst.u.all : sent->dst.u.all);
	const struct sipalg_config *cfg = rcu_dereference(sn->config);
	struct sipalg_pinhole p = {
		.class = SIPALG_EXPECT_SIGNALLING,
		.proto = nf_ct_protonum(ct),
		.src = registrar,
		.public = public,
		.private = endpoint,
	};
	unsigned int i;
	int err;

	for (i = 0; i < dec->n_regs; i++) {
		const struct sipalg_reg_action *a = &dec->regs[i];

		switch (a->op) {
		case SIPALG_REG_REMOVE_ALL:
			sipalg_expect_remove(ct, SIPALG_EXPECT_SIGNALLING,
					     NULL, 0);
			break;
		case SIPALG_REG_REMOVE:
			sipalg_expect_remove(ct, SIPALG_EXPECT_SIGNALLING,
					     public, a->public_port);
			break;
		case SIPALG_REG_OPEN:
			if (cfg->registration_pinholes ==
			    SIPALG_REG_PINHOLES_WHEN_NEEDED &&
			    a->port == endpoint_port &&
			    a->public_port == public_port) {
				/* One opened before the setting changed. */
				sipalg_expect_remove(ct,
						     SIPALG_EXPECT_SIGNALLING,
						     public, a->public_port);
				sipalg_count(sn,
					     SIPALG_CTR_REGISTRATIONS_ON_FLOW);
				break;
			}
			p.port = a->port;
			p.pub_port = a->public_port;
			p.seconds = min_t(u32, a->seconds, SIPALG_TIMEOUT_MAX);
			/*
			 * A refresh keeps the pinhole and gives it the new
			 * lifetime: it is never lost to a full table. Only a
			 * binding that changed is replaced.
			 */
			if (sipalg_expect_refresh(ct, &p)) {
				sipalg_count(sn, SIPALG_CTR_REGISTRATIONS);
				break;
			}
			sipalg_expect_remove(ct, SIPALG_EXPECT_SIGNALLING,
					     public, a->public_port);
			err = sipalg_expect_open(ct, &p, NULL);
			if (err)
				sipalg_count_refusal(sn, err);
			else
				sipalg_count(sn, SIPALG_CTR_REGISTRATIONS);
			break;
		}
	}
}
