// SPDX-License-Identifier: GPL-2.0
/*
 * RouterOS-style automatic attachment: while sipalg is enabled in a network
 * namespace, every new UDP or TCP connection to one of its configured ports
 * gets the sipalg helper, with no firewall rule needed; so does one that
 * comes in through a registration pinhole conntrackd made on a standby
 * router (sync.c), which its expectation could not give the helper.
 *
 * The hook runs right after conntrack (priority CONNTRACK + 1) on
 * PRE_ROUTING and LOCAL_OUT, where a new conntrack is still unconfirmed:
 * only then may extensions be added to it. NAT is set up later, so the NAT
 * core sees the helper and adds sequence adjustment for it.
 */
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_seqadj.h>

#include "attach.h"
#include "config.h"
#include "counters.h"
#include "expect.h"
#include "helper.h"
#include "phase.h"

static bool sipalg_port_configured(const struct sipalg_config *cfg, u16 port)
{
	unsigned int i;

	for (i = 0; i < cfg->nports; i++)
		if (cfg->ports[i] == port)
			return true;
	return false;
}

static bool sipalg_master_synced(const struct nf_conn *master)
{
	struct nf_conn_help *help = nfct_help(master);
	const struct sipalg_help_data *data;

	if (!help || !sipalg_is_our_helper(rcu_dereference(help->helper)))
		return false;
	data = (const struct sipalg_help_data *)help->data;
	return READ_ONCE(data->dialogs.shim) & SIPALG_SHIM_SYNCED;
}

static unsigned int sipalg_attach_help(struct sk_buff *skb,
				       const struct nf_hook_state *state)
{
	struct sipalg_net *sn = sipalg_pernet(state->net);
	const struct sipalg_config *cfg;
	struct nf_conntrack_helper *helper;
	enum ip_conntrack_info ctinfo;
	struct nf_conn_help *help;
	bool by_registration = false;
	struct nf_conn *ct;
	u8 protonum;
	u16 dport;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || nf_ct_is_confirmed(ct) || nf_ct_is_template(ct) ||
	    test_bit(IPS_HELPER_BIT, &ct->status))
		return NF_ACCEPT;
	/* Through a pinhole of a conntrack conntrackd made (expect.c). */
	if (ct->master && sipalg_master_synced(ct->master))
		by_registration = sipalg_expect_arrival(ct);
	/* Helped already: by the pinhole it came through, or by another. */
	help = nfct_help(ct);
	if (help && rcu_access_pointer(help->helper))
		return NF_ACCEPT;

	protonum = nf_ct_protonum(ct);
	if (protonum != IPPROTO_UDP && protonum != IPPROTO_TCP)
		return NF_ACCEPT;
	dport = ntohs(ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple.dst.u.all);

	/* Hooks run under RCU. */
	cfg = rcu_dereference(sn->config);
	if (cfg->disabled)
		return NF_ACCEPT;
	if (!sipalg_port_configured(cfg, dport) && !by_registration)
		return NF_ACCEPT;

	helper = sipalg_helper_for(nf_ct_l3num(ct), protonum);
	help = nf_ct_helper_ext_add(ct, GFP_ATOMIC);
	if (!help) {
		sipalg_count(sn, SIPALG_CTR_ATTACH_FAILED);
		return NF_ACCEPT;
	}
	rcu_assign_pointer(help->helper, helper);
	/* A rewrite may change a TCP segment's length. */
	if (protonum == IPPROTO_TCP && !nfct_seqadj(ct))
		nfct_seqadj_ext_add(ct);
	sipalg_count(sn, SIPALG_CTR_ATTACHED);
	return NF_ACCEPT;
}

static unsigned int sipalg_attach(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	return sipalg_phase_hook(sipalg_attach_help, skb, state,
				 SIPALG_PHASE_ATTACH_HOOK);
}

static const struct nf_hook_ops sipalg_attach_ops[] = {
	{
		.hook = sipalg_attach,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK + 1,
	},
	{
		.hook = sipalg_attach,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_CONNTRACK + 1,
	},
	{
		.hook = sipalg_attach,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_CONNTRACK + 1,
	},
	{
		.hook = sipalg_attach,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP6_PRI_CONNTRACK + 1,
	},
};

static int __net_init sipalg_attach_net_init(struct net *net)
{
	return nf_register_net_hooks(net, sipalg_attach_ops,
				     ARRAY_SIZE(sipalg_attach_ops));
}

static void __net_exit sipalg_attach_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, sipalg_attach_ops,
				ARRAY_SIZE(sipalg_attach_ops));
}

/* The hooks: in place only while the helpers are registered. */
static struct pernet_operations sipalg_hook_ops = {
	.init = sipalg_attach_net_init,
	.exit = sipalg_attach_net_exit,
};

int sipalg_hooks_init(void)
{
	return register_pernet_subsys(&sipalg_hook_ops);
}

void sipalg_hooks_exit(void)
{
	unregister_pernet_subsys(&sipalg_hook_ops);
}
