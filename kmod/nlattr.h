/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Netlink attributes of a helped conntrack and of its pinholes, shared by
 * the dumps (genl.c) and the events (events.c).
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

#endif /* SIPALG_NLATTR_H */
