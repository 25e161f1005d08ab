/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The conntrack helper "sipalg": its objects, its expectation classes and
 * the data it keeps in each helped conntrack.
 */
#ifndef SIPALG_HELPER_H
#define SIPALG_HELPER_H

#include <linux/types.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_helper.h>

#include <sipalg/decide.h>

/*
 * Expectation classes: signalling pinholes (incoming calls to a registered
 * contact), then one media class per call slot of the core's dialog state.
 */
enum sipalg_expect_class {
	SIPALG_EXPECT_SIGNALLING,
	SIPALG_EXPECT_MEDIA,	/* the class of call slot 0 */
	SIPALG_EXPECT_CLASS_MAX = SIPALG_EXPECT_MEDIA + SIPALG_CALL_SLOTS - 1,
};

/*
 * What one connection may hold, checked before a pinhole opens (the newest
 * request is refused): registration bindings, and per call RTP and RTCP of
 * every stream of an offer and of its answer.
 */
#define SIPALG_SIGNALLING_EXPECT_MAX 8
#define SIPALG_MEDIA_EXPECT_MAX (4 * SIPALG_MAX_MEDIA)

static inline unsigned int sipalg_media_class(int slot)
{
	return SIPALG_EXPECT_MEDIA + slot;
}

/*
 * sipalg_dialogs.shim, the shim's own byte of the dialog state: what a TCP
 * stream is, learnt from its first payload (rewrite.c), whether the
 * conntrack was made through ctnetlink (conntrackd on a standby router:
 * its pinholes may come the same way, to be adopted; expect.c), and
 * whether a split message of it is held or kept and where its streams
 * stand (split.c). Written under ct->lock.
 */
#define SIPALG_SHIM_STREAM_STARTED 0x01	/* its first payload went by */
#define SIPALG_SHIM_STREAM_TLS 0x02	/* it began with a TLS handshake */
#define SIPALG_SHIM_SYNCED 0x04		/* made through ctnetlink */
#define SIPALG_SHIM_SPLIT 0x08		/* split.c keeps state for it */
/*
 * A direction's stream is inside a message that split.c let pass (until a
 * segment begins at a message boundary): a segment that begins inside a
 * message is then no sign of bytes missing before it.
 */
#define SIPALG_SHIM_UNALIGNED(dir) (0x10 << (dir))

/*
 * The helper's per-conntrack data (nf_conn_help.data, zeroed when the
 * helper is attached): the core's dialog state, and the token by which
 * sessions.c names the connection.
 */
struct sipalg_help_data {
	struct sipalg_dialogs dialogs;
	u32 token;			/* sessions.c; 0: none yet */
};

int sipalg_helpers_register(int (*help)(struct sk_buff *skb,
					unsigned int protoff,
					struct nf_conn *ct,
					enum ip_conntrack_info ctinfo),
			    void (*destroy)(struct nf_conn *ct));
void sipalg_helpers_unregister(void);
struct nf_conntrack_helper *sipalg_helper_for(u16 l3num, u8 protonum);
bool sipalg_is_our_helper(const struct nf_conntrack_helper *helper);

#endif /* SIPALG_HELPER_H */
