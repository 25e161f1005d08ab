// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace state: the configuration (initially from the module
 * parameters) and the counters, and the one validator of a configuration.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/stringify.h>
#include <net/netns/generic.h>

#include "budget.h"
#include "config.h"
#include "counters.h"

static unsigned short ports[SIPALG_MAX_PORTS] = { 5060, 5061 };
static unsigned int nports = 2;
module_param_array(ports, ushort, &nports, 0444);
MODULE_PARM_DESC(ports, "SIP ports whose new connections get the helper (1 to "
		 __stringify(SIPALG_MAX_PORTS) " distinct values, default 5060,5061)");

static unsigned int sip_timeout = 3600;
module_param(sip_timeout, uint, 0444);
MODULE_PARM_DESC(sip_timeout, "conntrack timeout of UDP SIP signalling, seconds ("
		 __stringify(SIPALG_TIMEOUT_MIN) ".." __stringify(SIPALG_TIMEOUT_MAX)
		 ", default 3600)");

static bool sip_direct_media = true;
module_param(sip_direct_media, bool, 0444);
MODULE_PARM_DESC(sip_direct_media, "let media flow to the address the SDP names, not only the signalling peer (default 1)");

/*
 * An office phone: 3 calls x audio and video x RTP and RTCP x both sides is
 * 24, twice that for direct media sources and a pending re-offer, twice
 * again for a second connection (TLS and UDP, two accounts).
 */
static unsigned int pinholes_per_host = 96;
module_param(pinholes_per_host, uint, 0444);
MODULE_PARM_DESC(pinholes_per_host, "live pinholes one inside host may hold (0: no limit, else "
		 __stringify(SIPALG_PER_HOST_MIN) ".." __stringify(SIPALG_PER_HOST_MAX)
		 ", default 96)");

/* Three call slots of 16. */
static unsigned int pinholes_per_connection = 48;
module_param(pinholes_per_connection, uint, 0444);
MODULE_PARM_DESC(pinholes_per_connection, "live pinholes one SIP connection may hold (0: only the per-call caps, else "
		 __stringify(SIPALG_PER_CONN_MIN) ".." __stringify(SIPALG_PER_CONN_MAX)
		 ", default 48)");

/*
 * A registrar may send its INVITEs from another port than the one the
 * REGISTER reached, which only a pinhole lets in: by default every
 * binding gets one.
 */
static bool registration_pinholes = true;
module_param(registration_pinholes, bool, 0444);
MODULE_PARM_DESC(registration_pinholes, "a pinhole from the registrar for every registered binding (1, default), or only for those the registration's own flow does not reach (0)");

unsigned int sipalg_net_id __read_mostly;

/* Serialises configuration changes; readers use RCU. */
DEFINE_MUTEX(sipalg_config_mutex);

/* The messages name the CLI's keys; the limits come from uapi.h. */
#define SIPALG_PORTS_RULE "1 to " __stringify(SIPALG_MAX_PORTS) \
	" distinct values, each 1..65535"

int sipalg_config_validate(const struct sipalg_config *cfg, int *attr,
			   const char **why)
{
	unsigned int i, j;

	*attr = SIPALG_A_PORTS;
	if (cfg->nports < 1 || cfg->nports > SIPALG_MAX_PORTS) {
		*why = "ports: " SIPALG_PORTS_RULE;
		return -EINVAL;
	}
	for (i = 0; i < cfg->nports; i++) {
		if (!cfg->ports[i]) {
			*why = "ports: 0 is not a port, allowed 1..65535";
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (cfg->ports[i] == cfg->ports[j]) {
				*why = "ports: values must be distinct";
				return -EINVAL;
			}
		}
	}
	*attr = SIPALG_A_SIP_TIMEOUT;
	if (cfg->sip_timeout < SIPALG_TIMEOUT_MIN ||
	    cfg->sip_timeout > SIPALG_TIMEOUT_MAX) {
		*why = "sip-timeout: allowed " __stringify(SIPALG_TIMEOUT_MIN)
		       ".." __stringify(SIPALG_TIMEOUT_MAX) " seconds";
		return -ERANGE;
	}
	*attr = SIPALG_A_DIRECT_MEDIA;
	if (cfg->direct_media > 1) {
		*why = "sip-direct-media: allowed 0 (no) or 1 (yes)";
		return -EINVAL;
	}
	*attr = SIPALG_A_DISABLED;
	if (cfg->disabled > 1) {
		*why = "disabled: allowed 0 (no) or 1 (yes)";
		return -EINVAL;
	}
	*attr = SIPALG_A_PINHOLES_PER_HOST;
	if (cfg->pinholes_per_host &&
	    (cfg->pinholes_per_host < SIPALG_PER_HOST_MIN ||
	     cfg->pinholes_per_host > SIPALG_PER_HOST_MAX)) {
		*why = "pinholes-per-host: allowed 0 (no limit) or "
		       __stringify(SIPALG_PER_HOST_MIN) ".."
		       __stringify(SIPALG_PER_HOST_MAX);
		return -ERANGE;
	}
	*attr = SIPALG_A_PINHOLES_PER_CONN;
	if (cfg->pinholes_per_conn &&
	    (cfg->pinholes_per_conn < SIPALG_PER_CONN_MIN ||
	     cfg->pinholes_per_conn > SIPALG_PER_CONN_MAX)) {
		*why = "pinholes-per-connection: allowed 0 (no limit) or "
		       __stringify(SIPALG_PER_CONN_MIN) ".."
		       __stringify(SIPALG_PER_CONN_MAX);
		return -ERANGE;
	}
	*attr = SIPALG_A_REGISTRATION_PINHOLES;
	if (cfg->registration_pinholes > SIPALG_REG_PINHOLES_ALWAYS) {
		*why = "registration-pinholes: allowed 0 (when-needed) or 1 (always)";
		return -EINVAL;
	}
	*attr = SIPALG_A_PINHOLES_HOSTS;
	if (cfg->n_host_budgets > SIPALG_MAX_HOST_BUDGETS) {
		*why = "pinholes-hosts: at most " __stringify(SIPALG_MAX_HOST_BUDGETS)
		       " hosts";
		return -EINVAL;
	}
	for (i = 0; i < cfg->n_host_budgets; i++) {
		const struct sipalg_host_budget *b = &cfg->host_budgets[i];

		if ((b->family != AF_INET && b->family != AF_INET6) ||
		    memchr_inv(b->pad, 0, sizeof(b->pad)) ||
		    (b->family == AF_INET && memchr_inv(b->addr + 4, 0, 12))) {
			*why = "pinholes-hosts: an IPv4 or IPv6 address each";
			return -EINVAL;
		}
		if (b->pinholes && (b->pinholes < SIPALG_PER_HOST_MIN ||
				    b->pinholes > SIPALG_PER_HOST_MAX)) {
			*why = "pinholes-hosts: each allowed 0 (no limit) or "
			       __stringify(SIPALG_PER_HOST_MIN) ".."
			       __stringify(SIPALG_PER_HOST_MAX);
			return -ERANGE;
		}
		for (j = 0; j < i; j++) {
			if (b->family == cfg->host_budgets[j].family &&
			    !memcmp(b->addr, cfg->host_budgets[j].addr,
				    sizeof(b->addr))) {
				*why = "pinholes-hosts: addresses must be distinct";
				return -EINVAL;
			}
		}
	}
	*attr = 0;
	*why = NULL;
	return 0;
}

static void sipalg_config_from_params(struct sipalg_config *cfg)
{
	memcpy(cfg->ports, ports, sizeof(cfg->ports));
	cfg->nports = nports;
	cfg->sip_timeout = sip_timeout;
	cfg->direct_media = sip_direct_media;
	cfg->disabled = 0;
	cfg->pinholes_per_host = pinholes_per_host;
	cfg->pinholes_per_conn = pinholes_per_connection;
	cfg->registration_pinholes = registration_pinholes ?
		SIPALG_REG_PINHOLES_ALWAYS : SIPALG_REG_PINHOLES_WHEN_NEEDED;
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

	atomic_set(&sn->pinholes, 0);
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

	sipalg_budget_net_exit(net);
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

int sipalg_pernet_init(void)
{
	struct sipalg_config params = {};
	const char *why;
	int attr, err;

	sipalg_config_from_params(&params);
	err = sipalg_config_validate(&params, &attr, &why);
	if (err) {
		pr_err("invalid module parameter: %s\n", why);
		return err;
	}
	return register_pernet_subsys(&sipalg_state_ops);
}

void sipalg_pernet_exit(void)
{
	unregister_pernet_subsys(&sipalg_state_ops);
}
