// SPDX-License-Identifier: GPL-2.0
/*
 * Media pinholes: conntrack expectations for the RTP and RTCP of the SDP
 * streams the core's decision lists, so that media can come back through a
 * NAT or a stateful firewall. Which streams, of which call, and whether
 * they replace earlier ones is the core's decision (sipalg_decide()); this
 * file finds public ports and opens or closes the expectations.
 *
 * A pinhole only ever leads to the endpoint that sent the SDP (the core
 * lists only streams naming the packet's own pre-NAT source), so SDP from
 * the WAN side can never open a path to a LAN host. Behind NAT the pinhole
 * is on the sender's public address, and the expected connection is
 * translated back to the private address and port the SDP named; when that
 * public port is taken by another pinhole, another one is chosen and the
 * SDP is rewritten to it.
 *
 * Who may send into a pinhole is the core's decision too (direct media):
 * the caller hands the sources in, and narrows the other side's pinholes
 * when this side's SDP names its media addresses.
 */
#include <linux/netfilter.h>
#include <linux/random.h>
#include <net/netfilter/nf_conntrack.h>

#include "budget.h"
#include "counters.h"
#include "expect.h"
#include "helper.h"
#include "media.h"

/* How many public port pairs to try when the SDP's own is taken. */
#define SIPALG_PORT_TRIES 64

/*
 * RTP and RTCP pinholes for one stream on public ports (rtp, rtp + gap);
 * RTCP multiplexed on RTP (rtcp 0) needs the one. Either all are opened or
 * none is: the room for both is reserved first. Returns 0, or -errno. For
 * a pair known to be missing: sipalg_expect_pair() looks first.
 */
static int sipalg_expect_pair_open(struct nf_conn *ct, unsigned int class,
				   const union nf_inet_addr *src,
				   const union nf_inet_addr *public,
				   const union nf_inet_addr *private,
				   u16 pub_rtp, u16 rtp, u16 rtcp, u32 seconds)
{
	struct sipalg_pinhole p = {
		.class = class,
		.proto = IPPROTO_UDP,
		.src = src,
		.public = public,
		.pub_port = pub_rtp,
		.private = private,
		.port = rtp,
		.seconds = seconds,
	};
	struct sipalg_budget_ticket t;
	int err;

	err = sipalg_expect_reserve(ct, class, rtcp ? 2 : 1, 0, &t);
	if (err)
		return err;
	err = sipalg_expect_open(ct, &p, &t);
	if (!err && rtcp) {
		p.pub_port = pub_rtp + (rtcp - rtp);
		p.port = rtcp;
		err = sipalg_expect_open(ct, &p, &t);
		if (err)
			sipalg_expect_remove(ct, class, public, pub_rtp);
	}
	sipalg_budget_cancel(&t);
	return err;
}

/*
 * The same, unless both are open already (a retransmission, a further
 * source named again): returns 1 then, else 0 or -errno.
 */
static int sipalg_expect_pair(struct nf_conn *ct, unsigned int class,
			      const union nf_inet_addr *src,
			      const union nf_inet_addr *public,
			      const union nf_inet_addr *private,
			      u16 pub_rtp, u16 rtp, u16 rtcp, u32 seconds)
{
	u16 pub_rtcp = rtcp ? pub_rtp + (rtcp - rtp) : pub_rtp;

	if (sipalg_expect_pair_exists(ct, class, src, public, private, pub_rtp,
				      rtp, pub_rtcp, rtcp ?: rtp))
		return 1;
	return sipalg_expect_pair_open(ct, class, src, public, private,
				       pub_rtp, rtp, rtcp, seconds);
}

/*
 * A public RTP port for rtp, chosen by step: the same parity, within
 * SIPALG_PORT_OFFSET_MAX of rtp, and rtp + gap as well within 1024..65535
 * (rtp itself if there is none).
 */
static u16 sipalg_remap_port(u16 rtp, u16 gap, u32 step)
{
	int low = max_t(int, 1024, rtp - SIPALG_PORT_OFFSET_MAX);
	int high = min_t(int, 65535 - gap, rtp + SIPALG_PORT_OFFSET_MAX);

	low += (low ^ rtp) & 1;
	if (high < low)
		return rtp;
	return low + 2 * (step % ((high - low) / 2 + 1));
}

/*
 * A stream's pinholes on the first free public pair: its RTP port, or
 * -errno.
 */
static int sipalg_stream_open(struct nf_conn *ct, unsigned int class,
			      const union nf_inet_addr *src,
			      const union nf_inet_addr *public,
			      const union nf_inet_addr *private, bool nat,
			      const struct sipalg_stream_pinhole *s,
			      u32 seconds, bool *created)
{
	/* The gap is kept between the public ports too. */
	u16 gap = s->rtcp_port ? s->rtcp_port - s->rtp_port : 0;
	unsigned int try;
	int err = -EBUSY;
	bool looked;
	u32 step = 0;
	u16 pub;

	/*
	 * The port this stream already has (a retransmitted offer: done),
	 * else the SDP's own, so that nothing needs rewriting; then other
	 * pairs when NAT lets us choose.
	 */
	if (sipalg_expect_stream_lookup(ct, class, src, public, private, nat,
					s->rtp_port, s->rtcp_port, &pub)) {
		*created = false;
		return pub;
	}
	/*
	 * A port from the lookup is one it has just looked for this very
	 * pair on (same class, source, addresses and ports) and not found
	 * it: the first try opens it without a second walk of the pinholes
	 * under the global lock. Another CPU may open the same pair in
	 * between, as it may between any look and the open (the kernel then
	 * replaces the twin): no new case. Under NAT with no port found the
	 * SDP's own was not looked at, nor are other ports: those look first.
	 */
	looked = pub;
	if (!pub)
		pub = s->rtp_port;
	for (try = 0; try < (nat ? SIPALG_PORT_TRIES : 1); try++) {
		if (try == 0 && looked)
			err = sipalg_expect_pair_open(ct, class, src, public,
						      private, pub,
						      s->rtp_port,
						      s->rtcp_port, seconds);
		else
			err = sipalg_expect_pair(ct, class, src, public,
						 private, pub, s->rtp_port,
						 s->rtcp_port, seconds);
		if (err >= 0) {
			*created = err == 0;
			return pub;
		}
		if (err != -EBUSY && err != -EALREADY)
			return err;
		/*
		 * Taken: go on from a random pair (keeping the port's parity),
		 * so that many phones offering the same port do not all walk
		 * the same crowded range; within SIPALG_PORT_OFFSET_MAX of the
		 * SDP's own (a standby router learns the offset: expect.c).
		 */
		if (try == 0)
			step = get_random_u32();
		pub = sipalg_remap_port(s->rtp_port, gap, step + try);
	}
	return err;
}

/*
 * The pinholes for the further sources of a stream already open for the
 * first, on the same public ports; how many were created.
 */
static unsigned int sipalg_stream_more(struct nf_conn *ct, unsigned int class,
				       const struct sipalg_sources *srcs,
				       const union nf_inet_addr *public,
				       const union nf_inet_addr *private,
				       u16 pub, const struct sipalg_stream_pinhole *s,
				       u32 seconds, struct sipalg_net *sn)
{
	unsigned int k, created = 0;
	int err;

	for (k = 1; k < srcs->n; k++) {
		err = sipalg_expect_pair(ct, class, &srcs->addr[k], public,
					 private, pub, s->rtp_port,
					 s->rtcp_port, seconds);
		if (!err)
			created += s->rtcp_port ? 2 : 1;
		else if (err < 0)
			sipalg_count_refusal(sn, err);
	}
	return created;
}

void sipalg_media_open(struct nf_conn *ct, enum ip_conntrack_dir dir,
		       const struct sipalg_msg *msg,
		       const struct sipalg_decision *dec,
		       const struct sipalg_sources *srcs,
		       struct sipalg_media_override *ov,
		       struct sipalg_media_opened *opened,
		       struct sipalg_net *sn)
{
	unsigned int class = sipalg_media_class(dec->slot);
	const struct nf_conntrack_tuple *sent = &ct->tuplehash[dir].tuple;
	const struct nf_conntrack_tuple *reply = &ct->tuplehash[!dir].tuple;
	/* The sender as seen from the other side: its public address. */
	const union nf_inet_addr *public = &reply->dst.u3;
	const union nf_inet_addr *private = &sent->src.u3;
	const union nf_inet_addr *src = srcs->n ? &srcs->addr[0] : NULL;
	bool nat = !nf_inet_addr_cmp(public, private);
	unsigned int i;

	memset(ov, 0, SIPALG_MAX_MEDIA * sizeof(*ov));
	sipalg_count_add(sn, SIPALG_CTR_MEDIA_NOT_SENDER, dec->n_not_sender);
	sipalg_count_add(sn, SIPALG_CTR_EXPECT_FAILED, dec->n_bad_rtcp);
	for (i = 0; i < dec->n_streams; i++) {
		const struct sipalg_stream_pinhole *s = &dec->streams[i];
		const struct sipalg_media *m = &msg->media[s->media];
		bool created = false;
		u16 pub, pub_rtcp;
		int ret;

		ret = sipalg_stream_open(ct, class, src, public, private, nat,
					 s, dec->media_seconds, &created);
		if (ret <= 0) {
			sipalg_count_refusal(sn, ret ?: -EINVAL);
			continue;
		}
		pub = ret;
		pub_rtcp = s->rtcp_port ? pub + (s->rtcp_port - s->rtp_port) :
					  pub;
		if (created) {
			opened->port[opened->n++] = pub;
			if (s->rtcp_port)
				opened->port[opened->n++] = pub_rtcp;
			sipalg_count_add(sn, SIPALG_CTR_EXPECT_CREATED,
					 s->rtcp_port ? 2 : 1);
		}
		sipalg_count_add(sn, SIPALG_CTR_EXPECT_CREATED,
				 sipalg_stream_more(ct, class, srcs, public,
						    private, pub, s,
						    dec->media_seconds, sn));
		if (pub != s->rtp_port) {
			ov[s->media].rtp_port = pub;
			if (m->flags & SIPALG_MEDIAF_RTCP)
				ov[s->media].rtcp_port = pub_rtcp;
		}
	}
}

/* Does the pinhole group on one public port admit exactly srcs? */
static bool sipalg_group_admits(const struct sipalg_expect_info *list,
				unsigned int n, u16 pub_port,
				const struct sipalg_sources *srcs)
{
	unsigned int i, k, members = 0;

	for (i = 0; i < n; i++) {
		if (list[i].pub_port != pub_port)
			continue;
		members++;
		if (list[i].any_src != !srcs->n)
			return false;
		for (k = 0; k < srcs->n; k++)
			if (nf_inet_addr_cmp(&list[i].src, &srcs->addr[k]))
				break;
		if (srcs->n && k == srcs->n)
			return false;
	}
	return members == (srcs->n ?: 1);
}

void sipalg_media_set_others(struct nf_conn *ct, enum ip_conntrack_dir dir,
			     const struct sipalg_decision *dec,
			     const struct sipalg_sources *srcs,
			     struct sipalg_expect_info *list,
			     struct sipalg_net *sn)
{
	unsigned int class = sipalg_media_class(dec->slot);
	/* The sender's own pinholes lead to it; the others' elsewhere. */
	const union nf_inet_addr *own = &ct->tuplehash[dir].tuple.src.u3;
	unsigned int n, i, j, k;

	n = sipalg_expect_list_others(ct, class, own, list,
				      SIPALG_MEDIA_EXPECT_MAX);
	for (i = 0; i < n; i++) {
		struct sipalg_pinhole p = {
			.class = class,
			.proto = IPPROTO_UDP,
			.public = &list[i].public,
			.pub_port = list[i].pub_port,
			.private = &list[i].private,
			.port = list[i].port,
			.seconds = list[i].seconds,
		};
		struct sipalg_budget_ticket t;
		unsigned int members = 0;
		int err;

		/* Each public port once: the first of its group stands for it. */
		for (j = 0; j < i && list[j].pub_port != list[i].pub_port; j++)
			;
		if (j < i || sipalg_group_admits(list, n, list[i].pub_port, srcs))
			continue;
		for (j = i; j < n; j++)
			members += list[j].pub_port == list[i].pub_port;
		/*
		 * Room for the new group first, its old members counted as
		 * going: with none, the group stays as it is (wider, still
		 * working) rather than lose its pinhole.
		 */
		err = sipalg_expect_reserve(ct, class, srcs->n ?: 1, members, &t);
		if (err) {
			sipalg_count_refusal(sn, err);
			continue;
		}
		sipalg_count_add(sn, SIPALG_CTR_EXPECT_REMOVED,
				 sipalg_expect_remove(ct, class, p.public,
						      p.pub_port));
		for (k = 0; k < (srcs->n ?: 1); k++) {
			p.src = srcs->n ? &srcs->addr[k] : NULL;
			err = sipalg_expect_open(ct, &p, &t);
			if (err)
				sipalg_count_refusal(sn, err);
			else
				sipalg_count(sn, SIPALG_CTR_EXPECT_CREATED);
		}
		sipalg_budget_cancel(&t);
	}
}

/* The call is answered or alerting: its pinholes wait for the media. */
void sipalg_media_extend(struct nf_conn *ct, int slot)
{
	sipalg_expect_extend(ct, sipalg_media_class(slot),
			     SIPALG_MEDIA_SECONDS);
}

/*
 * The message that opened them passes unmodified: its SDP still names the
 * private address, so its pinholes would only mislead.
 */
void sipalg_media_undo(struct nf_conn *ct, enum ip_conntrack_dir dir,
		       const struct sipalg_decision *dec,
		       const struct sipalg_media_opened *opened,
		       struct sipalg_net *sn)
{
	const union nf_inet_addr *public = &ct->tuplehash[!dir].tuple.dst.u3;
	unsigned int i, n = 0;

	for (i = 0; i < opened->n; i++)
		n += sipalg_expect_remove(ct, sipalg_media_class(dec->slot),
					  public, opened->port[i]);
	sipalg_count_add(sn, SIPALG_CTR_EXPECT_REMOVED, n);
}

/* An answer: the sender's other pinholes of the call are superseded. */
void sipalg_media_replace(struct nf_conn *ct, enum ip_conntrack_dir dir,
			  const struct sipalg_decision *dec,
			  struct sipalg_net *sn)
{
	const union nf_inet_addr *private = &ct->tuplehash[dir].tuple.src.u3;
	u16 keep[2 * SIPALG_MAX_MEDIA];
	unsigned int i, n = 0;

	for (i = 0; i < dec->n_streams; i++) {
		keep[n++] = dec->streams[i].rtp_port;
		if (dec->streams[i].rtcp_port)
			keep[n++] = dec->streams[i].rtcp_port;
	}
	sipalg_count_add(sn, SIPALG_CTR_EXPECT_REMOVED,
			 sipalg_expect_remove_others(ct,
						     sipalg_media_class(dec->slot),
						     private, keep, n));
}

/* The call is over: close its media pinholes, and only its own. */
void sipalg_media_close(struct nf_conn *ct, int slot, struct sipalg_net *sn)
{
	sipalg_count_add(sn, SIPALG_CTR_EXPECT_REMOVED,
			 sipalg_expect_remove(ct, sipalg_media_class(slot),
					      NULL, 0));
}
