/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SIPALG_ORDER_H
#define SIPALG_ORDER_H

#include <linux/types.h>
#include <net/netfilter/nf_conntrack.h>

spinlock_t *sipalg_order_lock(const struct nf_conn *ct);
bool sipalg_order_keeps_length(struct nf_conn *ct,
			       enum ip_conntrack_info ctinfo, u32 seq,
			       u32 msg_seq, u32 end, s32 *point_change,
			       bool *fin_moves);

#endif
