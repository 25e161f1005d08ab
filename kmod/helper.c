// SPDX-License-Identifier: GPL-2.0
/*
 * The conntrack helper "sipalg", for UDP and TCP over IPv4 and IPv6. It can
 * be attached automatically (attach.c) or by the firewall: nftables
 * ct helper objects of type "sipalg", iptables -j CT --helper sipalg.
 *
 * This file only holds the helper objects; what a helped packet gets done
 * to it is the packet path's (rewrite.c), handed in at registration, so
 * that the files below the packet path may name the helper without
 * depending on what is above them.
 */
#include <linux/module.h>
#include <linux/netfilter.h>

#include "helper.h"

#define SIPALG_HELPER_NAME "sipalg"

/*
 * The kernel's own limit evicts a class's oldest pinhole, which may be a
 * call's that is talking: sipalg checks its own limits first and refuses
 * the newest request instead (expect.c), so the kernel's, twice as high,
 * is only a backstop for CPUs racing on one connection.
 */
#define SIPALG_MEDIA_POLICY {					\
	.name = "media",					\
	.max_expected = 2 * SIPALG_MEDIA_EXPECT_MAX,		\
	.timeout = SIPALG_MEDIA_SECONDS,			\
}

static const struct nf_conntrack_expect_policy
sipalg_expect_policy[SIPALG_EXPECT_CLASS_MAX + 1] = {
	/*
	 * sipalg gives each registration pinhole the registration's own
	 * lifetime; the policy's is what one conntrackd makes on a standby
	 * router gets (ctnetlink creates an expectation with it): the
	 * default registration's.
	 */
	[SIPALG_EXPECT_SIGNALLING] = {
		.name = "signalling",
		.max_expected = 2 * SIPALG_SIGNALLING_EXPECT_MAX,
		.timeout = SIPALG_DEFAULT_EXPIRES,
	},
	[SIPALG_EXPECT_MEDIA ... SIPALG_EXPECT_CLASS_MAX] = SIPALG_MEDIA_POLICY,
};

/* One helper per (layer 3, layer 4) pair, all with the same name. */
static struct nf_conntrack_helper sipalg_helpers[4] __read_mostly;

/* nftables and tc look for the NAT half of a helper by module name. */
static struct nf_conntrack_nat_helper sipalg_nat_helper =
	NF_CT_NAT_HELPER_INIT(SIPALG_HELPER_NAME);

bool sipalg_is_our_helper(const struct nf_conntrack_helper *helper)
{
	return helper >= &sipalg_helpers[0] &&
	       helper < &sipalg_helpers[ARRAY_SIZE(sipalg_helpers)];
}

struct nf_conntrack_helper *sipalg_helper_for(u16 l3num, u8 protonum)
{
	unsigned int i = (l3num == NFPROTO_IPV6 ? 2 : 0) +
			 (protonum == IPPROTO_TCP ? 1 : 0);

	return &sipalg_helpers[i];
}

/*
 * ctnetlink creates a conntrack with this helper (conntrackd committing
 * on a standby router, sync.c): mark it, so that its pinholes, which may
 * come the same way, are adopted (expect.c).
 */
static int sipalg_from_ctnetlink(struct nlattr *attr, struct nf_conn *ct)
{
	struct sipalg_help_data *data = nfct_help_data(ct);

	data->dialogs.shim |= SIPALG_SHIM_SYNCED;
	return 0;
}

int sipalg_helpers_register(int (*help)(struct sk_buff *skb,
					unsigned int protoff,
					struct nf_conn *ct,
					enum ip_conntrack_info ctinfo),
			    void (*destroy)(struct nf_conn *ct))
{
	static const u16 l3nums[] = { NFPROTO_IPV4, NFPROTO_IPV6 };
	static const u8 protonums[] = { IPPROTO_UDP, IPPROTO_TCP };
	unsigned int l3, l4;
	int err;

	BUILD_BUG_ON(SIPALG_EXPECT_CLASS_MAX >= NF_CT_MAX_EXPECT_CLASSES);
	/* nf_conn_help.expecting[] is u8. */
	BUILD_BUG_ON(2 * SIPALG_MEDIA_EXPECT_MAX > NF_CT_EXPECT_MAX_CNT);
	BUILD_BUG_ON(sizeof(struct sipalg_help_data) >
		     sizeof_field(struct nf_conn_help, data));
	for (l3 = 0; l3 < ARRAY_SIZE(l3nums); l3++) {
		for (l4 = 0; l4 < ARRAY_SIZE(protonums); l4++) {
			struct nf_conntrack_helper *h =
				sipalg_helper_for(l3nums[l3], protonums[l4]);

			/*
			 * Port 0: never auto-assigned by a port, and no clash
			 * with nf_conntrack_sip's helpers on port 5060.
			 */
			nf_ct_helper_init(h, l3nums[l3], protonums[l4],
					  SIPALG_HELPER_NAME, 0, 0, 0,
					  sipalg_expect_policy,
					  SIPALG_EXPECT_CLASS_MAX, help,
					  sipalg_from_ctnetlink, THIS_MODULE);
			h->destroy = destroy;
		}
	}
	err = nf_conntrack_helpers_register(sipalg_helpers,
					    ARRAY_SIZE(sipalg_helpers));
	if (err)
		return err;
	nf_nat_helper_register(&sipalg_nat_helper);
	return 0;
}

void sipalg_helpers_unregister(void)
{
	nf_nat_helper_unregister(&sipalg_nat_helper);
	nf_conntrack_helpers_unregister(sipalg_helpers,
					ARRAY_SIZE(sipalg_helpers));
}
