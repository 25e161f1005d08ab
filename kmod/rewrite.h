/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet path: what the helper does to each packet of a helped
 * connection.
 */
#ifndef SIPALG_REWRITE_H
#define SIPALG_REWRITE_H

#include <linux/skbuff.h>
#include <net/netfilter/nf_conntrack.h>

int sipalg_rewrite_init(void);
void sipalg_rewrite_exit(void);
int sipalg_help(struct sk_buff *skb, unsigned int protoff, struct nf_conn *ct,
		enum ip_conntrack_info ctinfo);

#endif /* SIPALG_REWRITE_H */
