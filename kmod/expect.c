// SPDX-License-Identifier: GPL-2.0
/*
 * What media and registration pinholes (conntrack expectations) share: the
 * translation of an expected connection, comparing the core's addresses
 * with conntrack's, and removing a connection's pinholes of one class.
 *
 * A timed-out expectation stays on its master's list, and in the table's
 * count, until something collects it: every walk of that list here and in
 * media.c skips those (nf_ct_exp_is_expired), and removing a pinhole here
 * unlinks it and the master's expired ones at once, so that their room in
 * nf_conntrack_expect_max comes back with no wait for the conntrack core.
 *
 * Budgets. Before a pinhole opens, the connection's own limits (per class,
 * and pinholes-per-connection) and its inside host's budget (budget.c) are
 * checked: when one is reached the new request is refused, and never is an
 * older pinhole evicted for it (the kernel's own per-class limit, which
 * would evict the oldest, is set above ours: helper.c). A full table
 * (-EMFILE) gets one sweep of the namespace's expired expectations per
 * second before the request is refused.
 *
 * Standby routers. conntrackd (ExpectationSync) recreates a pinhole on
 * the standby with its tuple, mask, flags and master, but without its
 * class, its translation or the name of its NAT function: the library it
 * builds requests with (libnetfilter_conntrack, up to 1.1.x) puts none of
 * them in. A sipalg pinhole admits any source port (its mask has none), so
 * the source port of its tuple matches nothing; it carries what the
 * standby needs instead (the note): for a registration pinhole (class 0,
 * permanent) the private port, for a media pinhole its class in the top 2
 * bits and the private port's offset from the public one in the low 14
 * (media.c keeps a remapped port that close). On the standby, pinholes of
 * a conntrack ctnetlink made are adopted (sipalg_expect_adopt()): given
 * their class back and, when they lead to the master's inside host
 * through its public address, the translation; a registration pinhole
 * also the helper it gives. A connection one of them admits before that
 * is handled as it arrives (sipalg_expect_arrival()).
 */
#include <linux/netfilter.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_nat.h>

#include "budget.h"
#include "config.h"
#include "events.h"
#include "expect.h"
#include "helper.h"

/* Translate an expected connection to where the SIP message said. */
static void sipalg_expected_to_saved(struct nf_conn *ct,
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
 * The translation by name: ctnetlink dumps an expectation's NAT function
 * by this name and finds it again by it when conntrackd creates the
 * expectation on a standby router (sync.c).
 */
/* The note (above): what the tuple's source port says. */
#define SIPALG_NOTE_CLASS_SHIFT 14
#define SIPALG_NOTE_OFFSET_MASK ((1U << SIPALG_NOTE_CLASS_SHIFT) - 1)

static __be16 sipalg_expect_note(const struct sipalg_pinhole *p)
{
	BUILD_BUG_ON(SIPALG_EXPECT_CLASS_MAX >> (16 - SIPALG_NOTE_CLASS_SHIFT));
	BUILD_BUG_ON(2 * SIPALG_PORT_OFFSET_MAX >= SIPALG_NOTE_OFFSET_MASK);
	if (p->class == SIPALG_EXPECT_SIGNALLING)
		return htons(p->port);
	return htons(p->class << SIPALG_NOTE_CLASS_SHIFT |
		     ((p->port - p->pub_port) & SIPALG_NOTE_OFFSET_MASK));
}

/* The note's class and private port; the class 0 for none. */
static unsigned int sipalg_expect_noted(const struct nf_conntrack_expect *exp,
					u16 *port)
{
	u16 note = ntohs(exp->tuple.src.u.all);
	u16 pub = ntohs(exp->tuple.dst.u.all);

	if (exp->flags & NF_CT_EXPECT_PERMANENT) {
		*port = note ?: pub;
		return SIPALG_EXPECT_SIGNALLING;
	}
	*port = pub + sign_extend32(note & SIPALG_NOTE_OFFSET_MASK,
				    SIPALG_NOTE_CLASS_SHIFT - 1);
	return note >> SIPALG_NOTE_CLASS_SHIFT;
}

/*
 * A connection's inside host, and the public address it is known by:
 * the original sender and its source NAT, unless the connection came in
 * (through a pinhole, or destination NAT to a server inside).
 */
static void sipalg_inside_of(const struct nf_conn *ct,
			     union nf_inet_addr *inside,
			     union nf_inet_addr *public)
{
	const struct nf_conntrack_tuple *orig =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	const struct nf_conntrack_tuple *reply =
		&ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	bool in = ct->master || ((ct->status & IPS_DST_NAT) &&
				 !(ct->status & IPS_SRC_NAT));

	*inside = in ? reply->src.u3 : orig->src.u3;
	*public = in ? orig->dst.u3 : reply->dst.u3;
}

void sipalg_expect_adopt(struct nf_conn *master)
{
	struct nf_conn_help *help = nfct_help(master);
	union nf_inet_addr inside, public;
	struct nf_conntrack_expect *exp;
	u32 until = nfct_time_stamp + SIPALG_MEDIA_SECONDS * HZ;
	unsigned int class;
	u16 port;

	if (!help)
		return;
	sipalg_inside_of(master, &inside, &public);
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode) {
		/* Translated (its own, or adopted), or gone. */
		if (exp->expectfn || nf_ct_exp_is_expired(exp))
			continue;
		class = sipalg_expect_noted(exp, &port);
		if (class == SIPALG_EXPECT_SIGNALLING) {
			if (!(exp->flags & NF_CT_EXPECT_PERMANENT))
				continue;
			rcu_assign_pointer(exp->assign_helper,
					   sipalg_helper_for(nf_ct_l3num(master),
							     exp->tuple.dst.protonum));
		} else if (!exp->class && class <= SIPALG_EXPECT_CLASS_MAX) {
			/* The kernel counts pinholes per class. */
			help->expecting[exp->class]--;
			help->expecting[class]++;
			exp->class = class;
			/* It got the class 0 policy's lifetime. */
			if ((s32)(READ_ONCE(exp->timeout) - until) > 0)
				WRITE_ONCE(exp->timeout, until);
		}
		if (!nf_inet_addr_cmp(&exp->tuple.dst.u3, &public) ||
		    (nf_inet_addr_cmp(&inside, &public) &&
		     port == ntohs(exp->tuple.dst.u.all)))
			continue;
		exp->saved_addr = inside;
		exp->saved_proto.all = htons(port);
		WRITE_ONCE(exp->expectfn, sipalg_expected_to_saved);
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
}

bool sipalg_expect_arrival(struct nf_conn *ct)
{
	const struct nf_conntrack_tuple *t =
		&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	struct nf_conn_help *help = nfct_help(ct->master);
	struct nf_nat_range2 range = {
		.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED,
	};
	union nf_inet_addr inside, public;
	struct nf_conntrack_expect *exp;
	bool registration = false, translated = false;

	sipalg_expect_adopt(ct->master);
	if (!help)
		return false;
	/* A registration pinhole stays listed: it says where it leads. */
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode) {
		if (exp->class == SIPALG_EXPECT_SIGNALLING &&
		    (exp->flags & NF_CT_EXPECT_PERMANENT) &&
		    !nf_ct_exp_is_expired(exp) &&
		    nf_ct_tuple_mask_cmp(t, &exp->tuple, &exp->mask)) {
			registration = true;
			translated = exp->expectfn == sipalg_expected_to_saved;
			range.min_addr = exp->saved_addr;
			range.min_proto = exp->saved_proto;
			break;
		}
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	if (nf_nat_initialized(ct, NF_NAT_MANIP_DST))
		return registration;
	if (!translated) {
		/*
		 * A media pinhole is gone once used: lead to the inside host
		 * on the same port, as it does unless its port was remapped.
		 */
		sipalg_inside_of(ct->master, &inside, &public);
		if (!nf_inet_addr_cmp(&t->dst.u3, &public) ||
		    nf_inet_addr_cmp(&inside, &public))
			return registration;
		range.min_addr = inside;
		range.min_proto.all = t->dst.u.all;
	}
	range.max_addr = range.min_addr;
	range.max_proto = range.min_proto;
	nf_nat_setup_info(ct, &range, NF_NAT_MANIP_DST);
	return registration;
}

static struct nf_ct_helper_expectfn sipalg_expectfn = {
	.name = "sipalg",
	.expectfn = sipalg_expected_to_saved,
};

void sipalg_expect_init(void)
{
	nf_ct_helper_expectfn_register(&sipalg_expectfn);
}

void sipalg_expect_exit(void)
{
	nf_ct_helper_expectfn_unregister(&sipalg_expectfn);
	/* Readers that found it by name (conntrackd's) are done... */
	synchronize_rcu();
	/* ... and no pinhole is left that would call it after unload. */
	nf_ct_helper_expectfn_destroy(&sipalg_expectfn);
}

/*
 * This kernel keeps an expectation's end of life as a time stamp, set from
 * the class's policy when it is inserted; a registration pinhole lives for
 * the registration instead, an offer's until its transaction times out.
 */
static void sipalg_expect_set_lifetime(struct nf_conntrack_expect *exp,
				       u32 seconds)
{
	spin_lock_bh(&nf_conntrack_expect_lock);
	WRITE_ONCE(exp->timeout, nfct_time_stamp + seconds * HZ);
	spin_unlock_bh(&nf_conntrack_expect_lock);
}

unsigned int sipalg_expect_count_live(struct nf_conn *ct,
				      unsigned int *per_class)
{
	struct nf_conn_help *help = nfct_help(ct);
	struct nf_conntrack_expect *exp;
	unsigned int n = 0;

	if (per_class)
		memset(per_class, 0,
		       (SIPALG_EXPECT_CLASS_MAX + 1) * sizeof(*per_class));
	if (!help)
		return 0;
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode) {
		if (nf_ct_exp_is_expired(exp))
			continue;
		n++;
		if (per_class && exp->class <= SIPALG_EXPECT_CLASS_MAX)
			per_class[exp->class]++;
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	return n;
}

/* The budget of ct's inside host: its own, else pinholes-per-host. */
static u32 sipalg_host_budget(const struct nf_conn *ct,
			      const struct sipalg_config *cfg)
{
	const union nf_inet_addr *host = sipalg_budget_host_of(ct);
	bool v4 = nf_ct_l3num(ct) == NFPROTO_IPV4;
	unsigned int i;

	for (i = 0; i < cfg->n_host_budgets; i++) {
		const struct sipalg_host_budget *b = &cfg->host_budgets[i];

		if (b->family == (v4 ? AF_INET : AF_INET6) &&
		    !memcmp(b->addr, host, v4 ? 4 : 16))
			return b->pinholes;
	}
	return cfg->pinholes_per_host;
}

int sipalg_expect_reserve(struct nf_conn *ct, unsigned int class,
			  unsigned int n, unsigned int credit,
			  struct sipalg_budget_ticket *t)
{
	struct sipalg_net *sn = sipalg_pernet(nf_ct_net(ct));
	const struct sipalg_config *cfg = rcu_dereference(sn->config);
	unsigned int per_class[SIPALG_EXPECT_CLASS_MAX + 1], all;
	unsigned int cap = class == SIPALG_EXPECT_SIGNALLING ?
			   SIPALG_SIGNALLING_EXPECT_MAX : SIPALG_MEDIA_EXPECT_MAX;

	t->host = NULL;
	t->n = 0;
	/*
	 * Counted live, not by the kernel's expecting[], which counts removed
	 * ones not yet collected. Two CPUs on one connection may each take
	 * the last room: the kernel's higher limit absorbs that.
	 */
	all = sipalg_expect_count_live(ct, per_class);
	if (per_class[class] + n > cap + credit ||
	    (cfg->pinholes_per_conn &&
	     all + n > cfg->pinholes_per_conn + credit))
		return -ENOSPC;
	return sipalg_budget_reserve(ct, &sn->pinholes,
				     sipalg_host_budget(ct, cfg), n, credit, t);
}

static bool sipalg_expect_expired(struct nf_conntrack_expect *exp, void *data)
{
	return nf_ct_exp_is_expired(exp);
}

/* jiffies before which the table is not swept again */
static unsigned long sipalg_sweep_after;

/*
 * A table is full: collect the expired expectations of every master, of
 * every namespace in the same walk, at most once a second whatever the
 * number of namespaces (it walks the whole table under its global lock).
 * Whether it did.
 */
static bool sipalg_expect_sweep(void)
{
	unsigned long after = READ_ONCE(sipalg_sweep_after);

	if (time_before(jiffies, after) ||
	    cmpxchg(&sipalg_sweep_after, after, jiffies + HZ) != after)
		return false;
	nf_ct_expect_iterate_destroy(sipalg_expect_expired, NULL);
	return true;
}

/*
 * Open one pinhole of ct: protocol p->proto from p->src (NULL: any address,
 * any port) to public:pub_port, translated to private:port when they
 * differ. A signalling pinhole stays after use and gives the connections
 * it admits the sipalg helper. The ledger keeps our reference.
 */
int sipalg_expect_open(struct nf_conn *ct, const struct sipalg_pinhole *p,
		       struct sipalg_budget_ticket *t)
{
	struct sipalg_budget_ticket own;
	struct nf_conntrack_expect *exp;
	__be16 dport = htons(p->pub_port);
	int err;

	if (!t) {
		err = sipalg_expect_reserve(ct, p->class, 1, 0, &own);
		if (err)
			return err;
		t = &own;
	}
	exp = nf_ct_expect_alloc(ct);
	if (!exp) {
		err = -ENOMEM;
		goto out;
	}
	nf_ct_expect_init(exp, p->class, nf_ct_l3num(ct), p->src, p->public,
			  p->proto, NULL, &dport);
	/* Matched on no source port: the note for a standby (above). */
	exp->tuple.src.u.all = sipalg_expect_note(p);
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
	if (err == -EMFILE && sipalg_expect_sweep())
		err = nf_ct_expect_related(exp, 0);
	if (err) {
		nf_ct_expect_put(exp);
		goto out;
	}
	if (p->seconds)
		sipalg_expect_set_lifetime(exp, p->seconds);
	sipalg_event_pinhole(ct, SIPALG_EVENT_PINHOLE_OPEN, exp);
	sipalg_budget_commit(t, exp);
out:
	if (t == &own)
		sipalg_budget_cancel(&own);
	return err;
}

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

bool sipalg_expect_refresh(struct nf_conn *ct, const struct sipalg_pinhole *p)
{
	struct nf_conn_help *help = nfct_help(ct);
	struct nf_conntrack_expect *exp;
	bool found = false;

	if (!help)
		return false;
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode) {
		if (sipalg_expect_is(exp, p->class, p->src, p->public,
				     p->pub_port, p->private, p->port)) {
			WRITE_ONCE(exp->timeout,
				   nfct_time_stamp + p->seconds * HZ);
			found = true;
			break;
		}
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	return found;
}

void sipalg_expect_extend(struct nf_conn *ct, unsigned int class,
			  u32 seconds)
{
	struct nf_conn_help *help = nfct_help(ct);
	struct nf_conntrack_expect *exp;
	u32 until = nfct_time_stamp + seconds * HZ;

	if (!help)
		return;
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode)
		if (exp->class == class && !nf_ct_exp_is_expired(exp) &&
		    (s32)(until - READ_ONCE(exp->timeout)) > 0)
			WRITE_ONCE(exp->timeout, until);
	spin_unlock_bh(&nf_conntrack_expect_lock);
}

/* Are both pinholes of a stream there? Under nf_conntrack_expect_lock. */
static bool sipalg_pair_in(struct nf_conn_help *help, unsigned int class,
			   const union nf_inet_addr *src,
			   const union nf_inet_addr *public,
			   const union nf_inet_addr *private,
			   u16 pub_rtp, u16 rtp, u16 pub_rtcp, u16 rtcp)
{
	struct nf_conntrack_expect *exp;
	bool have_rtp = false, have_rtcp = false;

	hlist_for_each_entry(exp, &help->expectations, lnode) {
		have_rtp = have_rtp ||
			   sipalg_expect_is(exp, class, src, public, pub_rtp,
					    private, rtp);
		have_rtcp = have_rtcp ||
			    sipalg_expect_is(exp, class, src, public, pub_rtcp,
					     private, rtcp);
		if (have_rtp && have_rtcp)
			return true;
	}
	return false;
}

/*
 * Are the stream's RTP and RTCP pinholes there already? Retransmitted and
 * repeated SDP then costs one look at the connection's few pinholes
 * instead of replacing them.
 */
bool sipalg_expect_pair_exists(struct nf_conn *ct, unsigned int class,
			       const union nf_inet_addr *src,
			       const union nf_inet_addr *public,
			       const union nf_inet_addr *private,
			       u16 pub_rtp, u16 rtp, u16 pub_rtcp, u16 rtcp)
{
	struct nf_conn_help *help = nfct_help(ct);
	bool found;

	if (!help)
		return false;
	spin_lock_bh(&nf_conntrack_expect_lock);
	found = sipalg_pair_in(help, class, src, public, private, pub_rtp, rtp,
			       pub_rtcp, rtcp);
	spin_unlock_bh(&nf_conntrack_expect_lock);
	return found;
}

/*
 * The public port of ct's live pinhole leading to private:port, or 0: a
 * retransmitted or repeated SDP must get the same public port as before.
 * Under nf_conntrack_expect_lock.
 */
static u16 sipalg_public_port_in(struct nf_conn_help *help,
				 unsigned int class,
				 const union nf_inet_addr *private, u16 port)
{
	struct nf_conntrack_expect *exp;

	hlist_for_each_entry(exp, &help->expectations, lnode) {
		if (exp->class == class && !nf_ct_exp_is_expired(exp) &&
		    exp->expectfn == sipalg_expected_to_saved &&
		    nf_inet_addr_cmp(&exp->saved_addr, private) &&
		    ntohs(exp->saved_proto.udp.port) == port)
			return ntohs(exp->tuple.dst.u.udp.port);
	}
	return 0;
}

bool sipalg_expect_stream_lookup(struct nf_conn *ct, unsigned int class,
				 const union nf_inet_addr *src,
				 const union nf_inet_addr *public,
				 const union nf_inet_addr *private, bool nat,
				 u16 rtp, u16 rtcp, u16 *pub)
{
	struct nf_conn_help *help = nfct_help(ct);
	bool open = false;
	u16 pub_rtcp;

	*pub = nat ? 0 : rtp;
	if (!help)
		return false;
	spin_lock_bh(&nf_conntrack_expect_lock);
	if (nat)
		*pub = sipalg_public_port_in(help, class, private, rtp);
	if (*pub) {
		pub_rtcp = rtcp ? *pub + (rtcp - rtp) : *pub;
		open = sipalg_pair_in(help, class, src, public, private, *pub,
				      rtp, pub_rtcp, rtcp ?: rtp);
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	return open;
}

/* Where a pinhole leads: its translation, or its own destination. */
static bool sipalg_expect_leads_to(const struct nf_conntrack_expect *exp,
				   const union nf_inet_addr *private,
				   u16 *port)
{
	bool translated = exp->expectfn == sipalg_expected_to_saved;

	*port = ntohs(translated ? exp->saved_proto.all :
				   exp->tuple.dst.u.all);
	return nf_inet_addr_cmp(translated ? &exp->saved_addr :
					     &exp->tuple.dst.u3, private);
}

/* Which of a class's pinholes to remove: see the two callers. */
struct sipalg_expect_victims {
	const union nf_inet_addr *public;	/* on public:port (NULL: all) */
	u16 port;
	const union nf_inet_addr *private;	/* leading to private ... */
	const u16 *keep;			/* ... on none of keep[0..n) */
	unsigned int n;
};

static bool sipalg_expect_is_victim(const struct nf_conntrack_expect *exp,
				    const struct sipalg_expect_victims *v)
{
	unsigned int i;
	u16 port;

	if (v->private) {
		if (!sipalg_expect_leads_to(exp, v->private, &port))
			return false;
		for (i = 0; i < v->n; i++)
			if (v->keep[i] == port)
				return false;
		return true;
	}
	return !v->public ||
	       (nf_inet_addr_cmp(&exp->tuple.dst.u3, v->public) &&
		ntohs(exp->tuple.dst.u.all) == v->port);
}

static unsigned int sipalg_expect_remove_victims(struct nf_conn *ct,
						 unsigned int class,
						 const struct sipalg_expect_victims *v)
{
	/* (Read only up to n: not worth the kernel's zeroing per packet.) */
	struct nf_conntrack_expect *found[2 * SIPALG_MEDIA_EXPECT_MAX] __uninitialized;
	struct nf_conn_help *help = nfct_help(ct);
	struct nf_conntrack_expect *exp;
	struct hlist_node *next;
	unsigned int n = 0, i;

	if (!help)
		return 0;
	/*
	 * Unlinked at once, with the master's expired ones, so that their
	 * room in the table comes back now; each victim is held for its
	 * event, sent once the lock is dropped.
	 */
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry_safe(exp, next, &help->expectations, lnode) {
		if (nf_ct_exp_is_expired(exp)) {
			nf_ct_unlink_expect(exp);
			continue;
		}
		if (exp->class != class || !sipalg_expect_is_victim(exp, v) ||
		    n == ARRAY_SIZE(found))
			continue;
		refcount_inc(&exp->use);
		found[n++] = exp;
		nf_ct_unlink_expect(exp);
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);

	for (i = 0; i < n; i++) {
		sipalg_event_pinhole(ct, SIPALG_EVENT_PINHOLE_CLOSE, found[i]);
		nf_ct_expect_put(found[i]);
	}
	sipalg_budget_closed(n);
	return n;
}

/*
 * Remove ct's live pinholes of a class: all of them (public NULL) or the
 * ones on public:port. Returns how many.
 */
unsigned int sipalg_expect_remove(struct nf_conn *ct, unsigned int class,
				  const union nf_inet_addr *public, u16 port)
{
	struct sipalg_expect_victims v = { .public = public, .port = port };

	return sipalg_expect_remove_victims(ct, class, &v);
}

unsigned int sipalg_expect_remove_others(struct nf_conn *ct,
					 unsigned int class,
					 const union nf_inet_addr *private,
					 const u16 *keep, unsigned int n)
{
	struct sipalg_expect_victims v = {
		.private = private, .keep = keep, .n = n,
	};

	return sipalg_expect_remove_victims(ct, class, &v);
}

unsigned int sipalg_expect_list_others(struct nf_conn *ct, unsigned int class,
				       const union nf_inet_addr *own,
				       struct sipalg_expect_info *out,
				       unsigned int max)
{
	struct nf_conn_help *help = nfct_help(ct);
	struct nf_conntrack_expect *exp;
	unsigned int n = 0;
	u16 port;

	if (!help)
		return 0;
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode) {
		struct sipalg_expect_info *e = &out[n];

		if (exp->class != class || nf_ct_exp_is_expired(exp) ||
		    sipalg_expect_leads_to(exp, own, &port))
			continue;
		if (n == max)
			break;
		e->any_src = sipalg_expect_any_src(exp);
		e->seconds = clamp_t(s32, (s32)(READ_ONCE(exp->timeout) -
						nfct_time_stamp) / HZ,
				     1, U16_MAX);
		e->src = exp->tuple.src.u3;
		e->public = exp->tuple.dst.u3;
		e->pub_port = ntohs(exp->tuple.dst.u.all);
		if (exp->expectfn == sipalg_expected_to_saved) {
			e->private = exp->saved_addr;
			e->port = ntohs(exp->saved_proto.all);
		} else {
			e->private = exp->tuple.dst.u3;
			e->port = e->pub_port;
		}
		n++;
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	return n;
}
