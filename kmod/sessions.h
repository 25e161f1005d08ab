/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What each signalling connection is doing, for `sipalg connections`: its
 * registrations and calls, as the core's decisions describe them.
 */
#ifndef SIPALG_SESSIONS_H
#define SIPALG_SESSIONS_H

#include <net/net_namespace.h>
#include <net/netfilter/nf_conntrack.h>

#include <sipalg/decide.h>

#include "config.h"

#define SIPALG_SESSION_ID_MAX 96	/* bytes of Call-ID or AOR kept */

int sipalg_sessions_init(void);
void sipalg_sessions_exit(void);
unsigned int sipalg_sessions_max(void);
unsigned int sipalg_sessions_count(const struct net *net);

/*
 * Show what the core decided a message of ct did to its session. For a
 * call's SDP also keep what it named for its media (the decision's
 * named[], with SIPALG_DO_SET_OTHERS) and, when its pinholes admit what
 * the other side named (SIPALG_ADMIT_PEER_NAMED), put that in named[]
 * (SIPALG_MAX_NAMED room): returns how many, or -1 if that side said
 * nothing yet (or the call is not in the table). The packet path's, with
 * bottom halves disabled.
 */
int sipalg_sessions_update(struct nf_conn *ct, enum ip_conntrack_dir dir,
			   const unsigned char *buf,
			   const struct sipalg_decision *dec,
			   union nf_inet_addr *named, struct sipalg_net *sn);
/* The helper's destroy callback: the connection's sessions go with it. */
void sipalg_sessions_forget(struct nf_conn *ct);

/* One session as shown. */
struct sipalg_session_info {
	u8 kind;		/* enum sipalg_session_kind */
	u8 state;		/* enum sipalg_session_state */
	bool outgoing;		/* begun by the inside */
	u32 age;		/* seconds in this state */
	u32 expires;		/* registrations: seconds left */
	char id[SIPALG_SESSION_ID_MAX + 1];
};

/*
 * Call fn for each live session of ct, under a lock (fn must not sleep);
 * stops at fn's first non-zero return and returns it.
 */
int sipalg_sessions_for_each(struct nf_conn *ct,
			     int (*fn)(const struct sipalg_session_info *s,
				       void *arg),
			     void *arg);

#endif /* SIPALG_SESSIONS_H */
