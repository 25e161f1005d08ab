/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pinholes: the conntrack expectations of a helped connection.
 */
#ifndef SIPALG_EXPECT_H
#define SIPALG_EXPECT_H

#include <linux/types.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_expect.h>

/* A pinhole to open: see sipalg_expect_open(). */
struct sipalg_pinhole {
	unsigned int class;		/* SIPALG_EXPECT_* */
	u8 proto;			/* IPPROTO_UDP or IPPROTO_TCP */
	const union nf_inet_addr *src;	/* who may use it; NULL: anyone */
	const union nf_inet_addr *public;	/* where it is */
	u16 pub_port;
	const union nf_inet_addr *private;	/* where it leads */
	u16 port;
	u32 seconds;			/* lifetime; 0: the class's policy */
};

struct sipalg_budget_ticket;

/*
 * Room for n more pinholes of ct in class, credit of which replace
 * pinholes about to close: the class's cap and the connection's budget
 * (-ENOSPC), then the inside host's (-EDQUOT, -ENOBUFS; budget.c). The
 * ticket holds the room until sipalg_expect_open() uses it; what is left
 * goes back with sipalg_budget_cancel().
 */
int sipalg_expect_reserve(struct nf_conn *ct, unsigned int class,
			  unsigned int n, unsigned int credit,
			  struct sipalg_budget_ticket *t);
/*
 * Open a pinhole in room t reserved (NULL: reserve room for it first).
 * 0, or -errno: -EBUSY the public port is taken, -ENOSPC/-EDQUOT/-ENOBUFS
 * a budget refused it, -EMFILE the table is full.
 */
int sipalg_expect_open(struct nf_conn *ct, const struct sipalg_pinhole *p,
		       struct sipalg_budget_ticket *t);
/*
 * A live pinhole as p describes it gets p->seconds from now. Whether
 * there was one.
 */
bool sipalg_expect_refresh(struct nf_conn *ct, const struct sipalg_pinhole *p);
/* ct's live pinholes of class live at least seconds from now. */
void sipalg_expect_extend(struct nf_conn *ct, unsigned int class,
			  u32 seconds);
/* ct's live pinholes, all and per class (per_class may be NULL). */
unsigned int sipalg_expect_count_live(struct nf_conn *ct,
				      unsigned int *per_class);

/*
 * How far a media pinhole's public port may be from its private one: a
 * standby router learns the offset from the pinhole (expect.c).
 */
#define SIPALG_PORT_OFFSET_MAX 8000

/*
 * Adopt master's pinholes that conntrackd made (expect.c): their class,
 * translation and helper back.
 */
void sipalg_expect_adopt(struct nf_conn *master);
/*
 * ct (new, unconfirmed, before NAT, under RCU) came in through a pinhole
 * of a conntrack conntrackd made: adopt the master's pinholes, and
 * translate ct as its pinhole would have. Whether that was a registration
 * pinhole: one conntrackd made gives no helper (ctnetlink names none to
 * assign) until it is adopted, so the attach hook does.
 */
bool sipalg_expect_arrival(struct nf_conn *ct);

/* The pinholes' translation, registered by name for ctnetlink (sync.c). */
void sipalg_expect_init(void);
void sipalg_expect_exit(void);

/* Does a pinhole admit any source address? */
static inline bool sipalg_expect_any_src(const struct nf_conntrack_expect *exp)
{
	return !exp->mask.src.u3.all[0] && !exp->mask.src.u3.all[3];
}

/*
 * A stream's public RTP port in *pub: behind NAT the one its pinholes
 * already have (0: none), else the SDP's own. And are both of them there
 * on it already (a retransmitted or repeated offer)? One hold of the
 * global expectation lock for both answers. A no with *pub not 0 says
 * they were not there on *pub: media.c opens them without looking again.
 */
bool sipalg_expect_stream_lookup(struct nf_conn *ct, unsigned int class,
				 const union nf_inet_addr *src,
				 const union nf_inet_addr *public,
				 const union nf_inet_addr *private, bool nat,
				 u16 rtp, u16 rtcp, u16 *pub);
/* Are both pinholes there already (a retransmission, a repeated SDP)? */
bool sipalg_expect_pair_exists(struct nf_conn *ct, unsigned int class,
			       const union nf_inet_addr *src,
			       const union nf_inet_addr *public,
			       const union nf_inet_addr *private,
			       u16 pub_rtp, u16 rtp, u16 pub_rtcp, u16 rtcp);
unsigned int sipalg_expect_remove(struct nf_conn *ct, unsigned int class,
				  const union nf_inet_addr *public, u16 port);
/* One pinhole as seen from outside conntrack. */
struct sipalg_expect_info {
	union nf_inet_addr src;		/* who may use it, unless any_src */
	union nf_inet_addr public;	/* where it is */
	union nf_inet_addr private;	/* where it leads */
	u16 pub_port;
	u16 port;
	u16 seconds;			/* left, at most 65535 */
	bool any_src;
};

/*
 * ct's live pinholes of class that do not lead to own, at most max of
 * them in out[]. Returns how many.
 */
unsigned int sipalg_expect_list_others(struct nf_conn *ct, unsigned int class,
				       const union nf_inet_addr *own,
				       struct sipalg_expect_info *out,
				       unsigned int max);

/*
 * Remove ct's pinholes of class that lead to private on a port not in
 * keep[0..n). Returns how many.
 */
unsigned int sipalg_expect_remove_others(struct nf_conn *ct,
					 unsigned int class,
					 const union nf_inet_addr *private,
					 const u16 *keep, unsigned int n);

#endif /* SIPALG_EXPECT_H */
