/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Netlink attributes of a helped conntrack and of its pinholes, shared by
 * the dumps (genl.c), the events (events.c) and the traces (trace.c).
 */
#ifndef SIPALG_NLATTR_H
#define SIPALG_NLATTR_H

#include <net/netlink.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_expect.h>

int sipalg_put_pinhole(struct sk_buff *msg, int type,
		       const struct nf_conntrack_expect *exp);
/*
 * Open a SIPALG_A_CONN nest with the connection and its pinholes; the
 * caller may add more and closes it (nla_nest_end). NULL: no room.
 */
struct nlattr *sipalg_put_conn_start(struct sk_buff *msg, struct nf_conn *ct);

/*
 * A closed SIPALG_A_CONN nest with only family, protocol, tuples and NAT:
 * no pinholes, so no lock (trace records, from the packet path).
 */
int sipalg_put_conn_brief(struct sk_buff *msg, const struct nf_conn *ct);

/* What the two above take in a message, for skbs of exact size. */
size_t sipalg_pinhole_size(const struct nf_conntrack_expect *exp);
size_t sipalg_conn_brief_size(const struct nf_conn *ct);

#endif /* SIPALG_NLATTR_H */
