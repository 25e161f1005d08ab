/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SIP over TCP: a message split across segments is held until the rest of
 * it comes, then sent on whole, so that the helper rewrites all of it.
 */
#ifndef SIPALG_SPLIT_H
#define SIPALG_SPLIT_H

#include <net/netfilter/nf_conntrack.h>

/* The hooks (every namespace) and the sweep of held bytes. */
int sipalg_split_init(void);
/* Unhooks, then frees everything held (before the helpers go). */
void sipalg_split_exit(void);
/* Bytes held and kept now (with the per-connection state), and the cap. */
unsigned long sipalg_split_bytes_now(void);
unsigned long sipalg_split_bytes_max(void);

#endif /* SIPALG_SPLIT_H */
