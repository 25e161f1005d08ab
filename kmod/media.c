// SPDX-License-Identifier: GPL-2.0
/*
 * Media pinholes: conntrack expectations for the RTP and RTCP of every SDP
 * media stream, so that media can come back through a NAT or a stateful
 * firewall.
 *
 * A pinhole only ever leads to the endpoint that sent the SDP: a stream is
 * opened only when its address is the packet's own (pre-NAT) source
 * address, and the pinhole goes to that address. SDP from the WAN side can
 * therefore never open a path to a LAN host. Behind NAT the pinhole is on
 * the sender's public address, and the expected connection is translated
 * back to the private address and port the SDP named; when that public port
 * is taken by another pinhole, another one is chosen and the SDP is
 * rewritten to it.
 */
#include <linux/netfilter.h>
#include <linux/random.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_helper.h>

#include <sipalg/core.h>

#include "sipalg.h"

/* How many public port pairs to try when the SDP's own is taken. */
#define SIPALG_PORT_TRIES 64

/*
 * Is exp a live pinhole of the class on public:pub_port, open to src
 * (NULL: anyone), leading to private:port?
 */
static bool sipalg_expect_is(const struct nf_conntrack_expect *exp,
			     unsigned int class, const union nf_inet_addr *src,
			     const union nf_inet_addr *public, u16 pub_port,
			     const union nf_inet_addr *private, u16 port)
{
	bool translated = exp->expectfn == sipalg_expected_to_saved;
	const union nf_inet_addr *to;
	__be16 to_port;

	if (exp->class != class || nf_ct_exp_is_expired(exp) ||
	    ntohs(exp->tuple.dst.u.udp.port) != pub_port ||
	    !nf_inet_addr_cmp(&exp->tuple.dst.u3, public) ||
	    sipalg_expect_any_src(exp) != !src ||
	    (src && !nf_inet_addr_cmp(&exp->tuple.src.u3, src)))
		return false;
	/* Where the pinhole leads: translated, or its own tuple. */
	to = translated ? &exp->saved_addr : &exp->tuple.dst.u3;
	to_port = translated ? exp->saved_proto.udp.port :
			       exp->tuple.dst.u.udp.port;
	return nf_inet_addr_cmp(to, private) && ntohs(to_port) == port;
}

/*
 * Are the stream's RTP and RTCP pinholes there already? Retransmitted and
 * repeated SDP then costs one look at the connection's few pinholes
 * instead of replacing them.
 */
static bool sipalg_pair_exists(struct nf_conn *ct, unsigned int class,
			       const union nf_inet_addr *src,
			       const union nf_inet_addr *public,
			       const union nf_inet_addr *private,
			       u16 pub_rtp, u16 rtp, u16 pub_rtcp, u16 rtcp)
{
	struct nf_conn_help *help = nfct_help(ct);
	struct nf_conntrack_expect *exp;
	bool have_rtp = false, have_rtcp = false;

	if (!help)
		return false;
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode) {
		have_rtp = have_rtp ||
			   sipalg_expect_is(exp, class, src, public, pub_rtp,
					    private, rtp);
		have_rtcp = have_rtcp ||
			    sipalg_expect_is(exp, class, src, public, pub_rtcp,
					     private, rtcp);
		if (have_rtp && have_rtcp)
			break;
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	return have_rtp && have_rtcp;
}

/*
 * The public port of ct's live pinhole leading to private:port, or 0: a
 * retransmitted or repeated SDP must get the same public port as before.
 */
static u16 sipalg_media_known_port(struct nf_conn *ct, unsigned int class,
				   const union nf_inet_addr *private, u16 port)
{
	struct nf_conn_help *help = nfct_help(ct);
	struct nf_conntrack_expect *exp;
	u16 found = 0;

	if (!help)
		return 0;
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode) {
		if (exp->class == class && !nf_ct_exp_is_expired(exp) &&
		    exp->expectfn == sipalg_expected_to_saved &&
		    nf_inet_addr_cmp(&exp->saved_addr, private) &&
		    ntohs(exp->saved_proto.udp.port) == port) {
			found = ntohs(exp->tuple.dst.u.udp.port);
			break;
		}
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	return found;
}

/*
 * RTP and RTCP pinholes for one stream on public ports (rtp, rtp + gap).
 * Either both are opened or neither is. Returns 1 if they were open
 * already, 0 if opened now, or -errno.
 */
static int sipalg_expect_pair(struct nf_conn *ct, unsigned int class,
			      const union nf_inet_addr *src,
			      const union nf_inet_addr *public,
			      const union nf_inet_addr *private,
			      u16 pub_rtp, u16 rtp, u16 rtcp)
{
	struct sipalg_pinhole p = {
		.class = class,
		.proto = IPPROTO_UDP,
		.src = src,
		.public = public,
		.pub_port = pub_rtp,
		.private = private,
		.port = rtp,
	};
	u16 pub_rtcp = pub_rtp + (rtcp - rtp);
	int err;

	if (sipalg_pair_exists(ct, class, src, public, private, pub_rtp, rtp,
			       pub_rtcp, rtcp))
		return 1;
	err = sipalg_expect_open(ct, &p);
	if (err)
		return err;
	p.pub_port = pub_rtcp;
	p.port = rtcp;
	err = sipalg_expect_open(ct, &p);
	if (err)
		sipalg_expect_remove(ct, class, public, pub_rtp);
	return err;
}

void sipalg_media_open(struct nf_conn *ct, enum ip_conntrack_info ctinfo,
		       const unsigned char *buf, const struct sipalg_msg *msg,
		       const struct sipalg_config *cfg,
		       struct sipalg_media_override *ov, struct sipalg_net *sn)
{
	unsigned int class = sipalg_call_class(ct, buf + msg->call_id.off,
					       msg->call_id.len, true);
	enum ip_conntrack_dir dir = CTINFO2DIR(ctinfo);
	const struct nf_conntrack_tuple *sent = &ct->tuplehash[dir].tuple;
	const struct nf_conntrack_tuple *reply = &ct->tuplehash[!dir].tuple;
	/* The sender as seen from the other side: its public address. */
	const union nf_inet_addr *public = &reply->dst.u3;
	const union nf_inet_addr *private = &sent->src.u3;
	/* Without direct media, only the signalling peer may send media. */
	const union nf_inet_addr *src = cfg->direct_media ? NULL : &reply->src.u3;
	bool nat = !nf_inet_addr_cmp(public, private);
	u16 l3num = nf_ct_l3num(ct);
	unsigned int i, try;

	for (i = 0; i < msg->n_media; i++) {
		const struct sipalg_media *m = &msg->media[i];
		u16 rtcp, gap, pub;
		int err = -EBUSY;

		ov[i].rtp_port = 0;
		ov[i].rtcp_port = 0;
		if (!m->port || m->proto == SIPALG_PROTO_TCP)
			continue;	/* rejected stream, or not UDP media */
		if (!sipalg_addr_equals(&m->addr, private, l3num)) {
			/* Hold (0.0.0.0), or an address not the sender's. */
			sipalg_count(sn, SIPALG_CTR_MEDIA_NOT_SENDER);
			continue;
		}
		rtcp = (m->flags & SIPALG_MEDIAF_RTCP) ? m->rtcp_port :
							 m->port + 1;
		if (rtcp == m->port || rtcp == 0) {
			sipalg_count(sn, SIPALG_CTR_EXPECT_FAILED);
			continue;
		}
		gap = rtcp - m->port;	/* kept between the public ports too */

		/*
		 * The port this stream already has, else the SDP's own, so
		 * that nothing needs rewriting; then other pairs when NAT
		 * lets us choose.
		 */
		pub = nat ? sipalg_media_known_port(ct, class, private,
						    m->port) : 0;
		if (!pub)
			pub = m->port;
		for (try = 0; try < (nat ? SIPALG_PORT_TRIES : 1); try++) {
			err = sipalg_expect_pair(ct, class, src, public,
						 private, pub, m->port, rtcp);
			if (err != -EBUSY && err != -EALREADY)
				break;
			err = -EBUSY;
			/*
			 * Taken: go on from a random pair (keeping the port's
			 * parity), so that many phones offering the same
			 * port do not all walk the same crowded range.
			 */
			if (try == 0)
				pub = 1024 + 2 * get_random_u32_below(32000) +
				      (m->port & 1);
			else
				pub += 2;
			if (pub < 1024 || (u16)(pub + gap) < 1024)
				pub = 1024 + (pub & 1);
		}
		if (err < 0) {
			sipalg_count(sn, SIPALG_CTR_EXPECT_FAILED);
			continue;
		}
		if (err == 0)
			sipalg_count_add(sn, SIPALG_CTR_EXPECT_CREATED, 2);
		if (pub != m->port) {
			ov[i].rtp_port = pub;
			if (m->flags & SIPALG_MEDIAF_RTCP)
				ov[i].rtcp_port = pub + gap;
		}
	}
}

/* The call of msg ended: close its media pinholes, and only its own. */
void sipalg_media_close(struct nf_conn *ct, const unsigned char *buf,
			const struct sipalg_msg *msg, struct sipalg_net *sn)
{
	unsigned int class = sipalg_call_class(ct, buf + msg->call_id.off,
					       msg->call_id.len, false);

	if (!class)
		return;		/* no pinholes of this call */
	sipalg_count_add(sn, SIPALG_CTR_EXPECT_REMOVED,
			 sipalg_expect_remove(ct, class, NULL, 0));
	sipalg_call_forget(ct, class);
}
