/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Events for `sipalg monitor`, sent from the packet path to whoever
 * listens on the generic netlink family's multicast group.
 */
#ifndef SIPALG_EVENTS_H
#define SIPALG_EVENTS_H

#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_expect.h>

#include <sipalg/uapi.h>

/* genl.c, once the family is registered / before it is unregistered. */
void sipalg_events_start(const struct genl_family *family, unsigned int group);
void sipalg_events_stop(void);

void sipalg_event(struct nf_conn *ct, enum sipalg_event type,
		  const char *reason, const unsigned char *call_id,
		  unsigned int call_id_len);
/*
 * Not under nf_conntrack_expect_lock: the event lists ct's pinholes. The
 * message being traced on this CPU, if it is ct's, records exp too.
 */
void sipalg_event_pinhole(struct nf_conn *ct, enum sipalg_event type,
			  struct nf_conntrack_expect *exp);

#endif /* SIPALG_EVENTS_H */
