/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What NAT does to a packet, in the core's terms: the address translation
 * the rewrite follows and the view the core decides from.
 */
#ifndef SIPALG_XLAT_H
#define SIPALG_XLAT_H

#include <net/netfilter/nf_conntrack.h>

#include <sipalg/core.h>
#include <sipalg/decide.h>

bool sipalg_xlat_for(struct sipalg_xlat *xlat, const struct nf_conn *ct,
		     enum ip_conntrack_dir dir);
void sipalg_view_for(struct sipalg_view *view, const struct nf_conn *ct,
		     enum ip_conntrack_dir dir, bool direct_media);
bool sipalg_from_inside(const struct nf_conn *ct, enum ip_conntrack_dir dir);

bool sipalg_addr_equals(const struct sipalg_addr *a,
			const union nf_inet_addr *u, u16 l3num);
/* false if a is not of the connection's family. */
bool sipalg_addr_to(union nf_inet_addr *out, const struct sipalg_addr *a,
		    u16 l3num);

#endif /* SIPALG_XLAT_H */
