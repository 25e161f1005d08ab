/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SIPALG_SEQNUM_H
#define SIPALG_SEQNUM_H

#include <linux/types.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_seqadj.h>

u32 sipalg_seqnum_to_sender(const struct nf_ct_seqadj *way, u32 x);
bool sipalg_seqnum_to_receiver(const struct nf_ct_seqadj *way, u32 x,
			       u32 *out);
bool sipalg_seqnum_conntrack_ack(struct nf_conn *ct, enum ip_conntrack_dir dir,
				 bool higher, u32 *out);

#endif
