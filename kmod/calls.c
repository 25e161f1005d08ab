// SPDX-License-Identifier: GPL-2.0
/*
 * Which call a media pinhole belongs to. A phone's one signalling
 * connection carries all its calls, so a BYE must close the pinholes of its
 * own call only. Expectations have no room for a Call-ID, but they have a
 * class: each of the connection's last few calls gets a media class of its
 * own, remembered (as a hash of the Call-ID) in the helper's per-conntrack
 * data. No allocation: when more calls than classes are open at once, the
 * least recently active call's class is shared, and a BYE of either call
 * closes the unused pinholes of both (what the kernel's helper does for
 * every call).
 */
#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>

#include "sipalg.h"

static u32 sipalg_call_hash(const unsigned char *call_id, unsigned int len)
{
	return jhash(call_id, len, 0) | 1;	/* never 0, the free mark */
}

/*
 * The media class of a call: its own, or (create) a free or the least
 * recently active one. 0 when the call has none and create is false.
 */
unsigned int sipalg_call_class(struct nf_conn *ct, const unsigned char *call_id,
			       unsigned int len, bool create)
{
	struct sipalg_help_data *calls = nfct_help_data(ct);
	u32 hash = sipalg_call_hash(call_id, len);
	unsigned int i, slot = SIPALG_CALL_SLOTS, oldest = 0;

	BUILD_BUG_ON(sizeof(struct sipalg_help_data) >
		     sizeof_field(struct nf_conn_help, data));
	if (!calls)
		return 0;

	spin_lock_bh(&ct->lock);
	for (i = 0; i < SIPALG_CALL_SLOTS; i++) {
		if (calls->call[i] == hash) {
			slot = i;
			break;
		}
		if (!calls->call[i] && slot == SIPALG_CALL_SLOTS)
			slot = i;
		if (time_before((unsigned long)calls->active[i],
				(unsigned long)calls->active[oldest]))
			oldest = i;
	}
	if (slot < SIPALG_CALL_SLOTS && calls->call[slot] != hash && !create)
		slot = SIPALG_CALL_SLOTS;
	if (slot == SIPALG_CALL_SLOTS && create)
		slot = oldest;
	if (slot < SIPALG_CALL_SLOTS && create) {
		calls->call[slot] = hash;
		calls->active[slot] = (u32)jiffies;
	}
	spin_unlock_bh(&ct->lock);
	return slot < SIPALG_CALL_SLOTS ? SIPALG_EXPECT_MEDIA + slot : 0;
}

/* The call ended: its class is free again. */
void sipalg_call_forget(struct nf_conn *ct, unsigned int class)
{
	struct sipalg_help_data *calls = nfct_help_data(ct);

	if (!calls || class < SIPALG_EXPECT_MEDIA)
		return;
	spin_lock_bh(&ct->lock);
	calls->call[class - SIPALG_EXPECT_MEDIA] = 0;
	spin_unlock_bh(&ct->lock);
}
