/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Registration pinholes: what the core's decision says about a phone's
 * registered contact, carried out on conntrack expectations.
 */
#ifndef SIPALG_REGISTER_H
#define SIPALG_REGISTER_H

#include <net/netfilter/nf_conntrack.h>

#include <sipalg/decide.h>

#include "config.h"

void sipalg_register_apply(struct nf_conn *ct, enum ip_conntrack_dir dir,
			   const struct sipalg_msg *msg,
			   const struct sipalg_decision *dec,
			   struct sipalg_net *sn);

#endif /* SIPALG_REGISTER_H */
