// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace state: the configuration (initially from the module
 * parameters) and the counters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <net/netns/generic.h>

#include "sipalg.h"

static unsigned short ports[SIPALG_MAX_PORTS] = { 5060, 5061 };
static unsigned int nports = 2;
module_param_array(ports, ushort, &nports, 0444);
MODULE_PARM_DESC(ports, "SIP ports whose new connections get the helper (1 to 8, default 5060,5061)");

static unsigned int sip_timeout = 3600;
module_param(sip_timeout, uint, 0444);
MODULE_PARM_DESC(sip_timeout, "conntrack timeout of UDP SIP signalling, seconds (default 3600)");

static bool sip_direct_media = true;
module_param(sip_direct_media, bool, 0444);
MODULE_PARM_DESC(sip_direct_media, "let media flow to the address the SDP names, not only the signalling peer (default 1)");

static unsigned int sipalg_net_id __read_mostly;

/* Serialises configuration changes; readers use RCU. */
DEFINE_MUTEX(sipalg_config_mutex);

struct sipalg_net *sipalg_pernet(const struct net *net)
{
	return net_generic(net, sipalg_net_id);
}

int sipalg_config_validate(const struct sipalg_config *cfg)
{
	unsigned int i, j;

	if (cfg->nports < 1 || cfg->nports > SIPALG_MAX_PORTS)
		return -EINVAL;
	for (i = 0; i < cfg->nports; i++) {
		if (!cfg->ports[i])
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (cfg->ports[i] == cfg->ports[j])
				return -EINVAL;
	}
	if (cfg->sip_timeout < SIPALG_TIMEOUT_MIN ||
	    cfg->sip_timeout > SIPALG_TIMEOUT_MAX)
		return -EINVAL;
	return 0;
}

static void sipalg_config_from_params(struct sipalg_config *cfg)
{
	memcpy(cfg->ports, ports, sizeof(cfg->ports));
	cfg->nports = nports;
	cfg->sip_timeout = sip_timeout;
	cfg->direct_media = sip_direct_media;
	cfg->disabled = false;
}

static int __net_init sipalg_net_init(struct net *net)
{
	struct sipalg_net *sn = sipalg_pernet(net);
	struct sipalg_config *cfg;

	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return -ENOMEM;
	sipalg_config_from_params(cfg);
	RCU_INIT_POINTER(sn->config, cfg);

	sn->counters = alloc_percpu(struct sipalg_counters);
	if (!sn->counters) {
		kfree(cfg);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit sipalg_net_exit(struct net *net)
{
	struct sipalg_net *sn = sipalg_pernet(net);

	free_percpu(sn->counters);
	kfree(rcu_dereference_protected(sn->config, true));
}

/* The state: there as long as anything (helper, hooks, genl) may use it. */
static struct pernet_operations sipalg_state_ops = {
	.init = sipalg_net_init,
	.exit = sipalg_net_exit,
	.id = &sipalg_net_id,
	.size = sizeof(struct sipalg_net),
};

/* The hooks that attach the helper: in place only while it is registered. */
static struct pernet_operations sipalg_hook_ops = {
	.init = sipalg_attach_net_init,
	.exit = sipalg_attach_net_exit,
};

int sipalg_pernet_init(void)
{
	struct sipalg_config params = {};

	sipalg_config_from_params(&params);
	if (sipalg_config_validate(&params)) {
		pr_err("invalid parameters: ports must be 1 to %d distinct values in 1..65535, sip_timeout %d..%d\n",
		       SIPALG_MAX_PORTS, SIPALG_TIMEOUT_MIN, SIPALG_TIMEOUT_MAX);
		return -EINVAL;
	}
	return register_pernet_subsys(&sipalg_state_ops);
}

void sipalg_pernet_exit(void)
{
	unregister_pernet_subsys(&sipalg_state_ops);
}

int sipalg_hooks_init(void)
{
	return register_pernet_subsys(&sipalg_hook_ops);
}

void sipalg_hooks_exit(void)
{
	unregister_pernet_subsys(&sipalg_hook_ops);
}
