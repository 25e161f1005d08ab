/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Media pinholes: what the core's decision says about a call's RTP and
 * RTCP, carried out on conntrack expectations.
 */
#ifndef SIPALG_MEDIA_H
#define SIPALG_MEDIA_H

#include <net/netfilter/nf_conntrack.h>

#include <sipalg/core.h>
#include <sipalg/decide.h>

#include "config.h"
#include "counters.h"

struct sipalg_expect_info;

/* Who may send into a pinhole: n addresses, or anyone when n is 0. */
struct sipalg_sources {
	unsigned int n;
	union nf_inet_addr addr[1 + SIPALG_MAX_NAMED];
};

/* The public ports a message opened, so that they can be closed again. */
struct sipalg_media_opened {
	unsigned int n;
	u16 port[2 * SIPALG_MAX_MEDIA];
};

void sipalg_media_open(struct nf_conn *ct, enum ip_conntrack_dir dir,
		       const struct sipalg_msg *msg,
		       const struct sipalg_decision *dec,
		       const struct sipalg_sources *srcs,
		       struct sipalg_media_override *ov,
		       struct sipalg_media_opened *opened,
		       struct sipalg_net *sn);
/*
 * The other side's pinholes of the call admit srcs from now on. list: room
 * for SIPALG_MEDIA_EXPECT_MAX of them (the caller's per-CPU scratch: 1.8
 * KB that neither the kernel stack nor its zeroing of locals need pay).
 */
void sipalg_media_set_others(struct nf_conn *ct, enum ip_conntrack_dir dir,
			     const struct sipalg_decision *dec,
			     const struct sipalg_sources *srcs,
			     struct sipalg_expect_info *list,
			     struct sipalg_net *sn);
void sipalg_media_undo(struct nf_conn *ct, enum ip_conntrack_dir dir,
		       const struct sipalg_decision *dec,
		       const struct sipalg_media_opened *opened,
		       struct sipalg_net *sn);
void sipalg_media_replace(struct nf_conn *ct, enum ip_conntrack_dir dir,
			  const struct sipalg_decision *dec,
			  struct sipalg_net *sn);
void sipalg_media_close(struct nf_conn *ct, int slot, struct sipalg_net *sn);
void sipalg_media_extend(struct nf_conn *ct, int slot);

#endif /* SIPALG_MEDIA_H */
