/* SPDX-License-Identifier: GPL-2.0 */
/*
 * High availability: the part of a connection's state a standby router
 * needs, kept where conntrackd carries it (conntrack labels).
 */
#ifndef SIPALG_SYNC_H
#define SIPALG_SYNC_H

#include <net/netfilter/nf_conntrack.h>

#include <sipalg/decide.h>

/*
 * Before a message of ct is decided, under ct->lock: labels that say
 * otherwise than d (written by conntrackd on a standby, or after a
 * failback) replace d's call slots.
 */
void sipalg_sync_in(struct nf_conn *ct, struct sipalg_dialogs *d, u32 now);
/* After it is decided, under ct->lock: the labels follow d. */
void sipalg_sync_out(struct nf_conn *ct, const struct sipalg_dialogs *d);

int sipalg_sync_init(void);
void sipalg_sync_exit(void);

#endif /* SIPALG_SYNC_H */
