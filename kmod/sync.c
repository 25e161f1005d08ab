// SPDX-License-Identifier: GPL-2.0
/*
 * High availability with conntrackd: what a standby router needs of
 * sipalg's state, kept where conntrackd carries it.
 *
 * conntrackd replicates a conntrack's helper name, mark, labels, NAT and
 * sequence adjustment, and (ExpectationSync) the expectations of the
 * helpers it is told, with their class, flags and the registered name of
 * their NAT function; never a helper's private data. So:
 *   - pinholes translate through a function registered by name (expect.c),
 *     which an expectation conntrackd creates names;
 *   - a connection that arrives on the standby through a registration
 *     pinhole gets the helper from the attach hook (attach.c), since an
 *     expectation made through ctnetlink cannot name one to assign;
 *   - the core's dialog state, which call holds which slot (the class of
 *     its pinholes) and in what state, is mirrored into the conntrack's
 *     labels whenever a message changes it (a conntrack event conntrackd
 *     sends on), and taken back from them when they say otherwise.
 *
 * The labels sipalg uses are words 1..3 of the 128 bits (labels 32..127 on
 * a little-endian machine), one word per call slot (sipalg_dialogs_pack());
 * word 0 stays the operator's (nft ct label). The labels extension exists
 * only on conntracks created while someone holds labels in the namespace:
 * sipalg holds them from the moment it is loaded, so connections made
 * before that are not mirrored.
 *
 * Lost in a failover: which call slot was used last (all count as used at
 * the failover), what the sessions table shows (rebuilt by each call's
 * and registration's next message), the media addresses each side named
 * (direct media: pinholes opened after the failover admit anyone until
 * the next SDP) and whether a TCP stream is TLS (its next segments are
 * looked at again).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netfilter.h>
#include <net/netns/generic.h>
#include <net/netfilter/nf_conntrack_labels.h>

#include "sync.h"

/* The first label word sipalg uses; word 0 is the operator's. */
#define SIPALG_LABEL_WORD 1
#define SIPALG_LABEL_WORDS (SIPALG_LABEL_WORD + SIPALG_CALL_SLOTS)
#define SIPALG_LABEL_LAST_BIT (SIPALG_LABEL_WORDS * 32 - 1)

static u32 *sipalg_label_words(struct nf_conn *ct)
{
	struct nf_conn_labels *labels = nf_ct_labels_find(ct);

	return labels ? (u32 *)labels->bits + SIPALG_LABEL_WORD : NULL;
}

void sipalg_sync_in(struct nf_conn *ct, struct sipalg_dialogs *d, u32 now)
{
	u32 *labels = sipalg_label_words(ct);
	u32 have[SIPALG_CALL_SLOTS], mine[SIPALG_CALL_SLOTS];
	unsigned int i;

	if (!labels)
		return;
	for (i = 0; i < SIPALG_CALL_SLOTS; i++)
		have[i] = READ_ONCE(labels[i]);
	sipalg_dialogs_pack(d, mine);
	if (memcmp(have, mine, sizeof(have)))
		sipalg_dialogs_unpack(have, now, d);
}

void sipalg_sync_out(struct nf_conn *ct, const struct sipalg_dialogs *d)
{
	static const u32 mask[SIPALG_LABEL_WORDS] = {
		[SIPALG_LABEL_WORD ... SIPALG_LABEL_WORDS - 1] = ~0U,
	};
	u32 *labels = sipalg_label_words(ct);
	u32 want[SIPALG_LABEL_WORDS] = {};

	if (!labels)
		return;
	sipalg_dialogs_pack(d, want + SIPALG_LABEL_WORD);
	if (!memcmp(labels, want + SIPALG_LABEL_WORD,
		    SIPALG_CALL_SLOTS * sizeof(u32)))
		return;
	/* Raises the event (IPCT_LABEL) conntrackd hears. */
	nf_connlabels_replace(ct, want, mask, SIPALG_LABEL_WORDS);
}

static unsigned int sipalg_labels_net_id __read_mostly;

/* Whether this namespace's labels are held (struct net's generic data). */
struct sipalg_labels_net {
	bool held;
};

static int __net_init sipalg_sync_net_init(struct net *net)
{
	struct sipalg_labels_net *ln = net_generic(net, sipalg_labels_net_id);
	int err = nf_connlabels_get(net, SIPALG_LABEL_LAST_BIT);

	/* Without labels sipalg works, only its calls' state is not synced. */
	if (err)
		pr_warn_once("no conntrack labels (%d): call state is not kept for conntrackd\n",
			     err);
	ln->held = !err;
	return 0;
}

static void __net_exit sipalg_sync_net_exit(struct net *net)
{
	struct sipalg_labels_net *ln = net_generic(net, sipalg_labels_net_id);

	if (ln->held)
		nf_connlabels_put(net);
}

static struct pernet_operations sipalg_sync_ops = {
	.init = sipalg_sync_net_init,
	.exit = sipalg_sync_net_exit,
	.id = &sipalg_labels_net_id,
	.size = sizeof(struct sipalg_labels_net),
};

int sipalg_sync_init(void)
{
	BUILD_BUG_ON(SIPALG_LABEL_WORDS * sizeof(u32) >
		     sizeof_field(struct nf_conn_labels, bits));
	return register_pernet_subsys(&sipalg_sync_ops);
}

void sipalg_sync_exit(void)
{
	unregister_pernet_subsys(&sipalg_sync_ops);
}
