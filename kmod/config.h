/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per network namespace state: the configuration and the counters.
 */
#ifndef SIPALG_CONFIG_H
#define SIPALG_CONFIG_H

#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include <sipalg/uapi.h>

/*
 * One network namespace's configuration. Readers in the packet path use
 * it under RCU; a change publishes a whole new copy, so a reader never
 * sees a half-applied configuration.
 */
struct sipalg_config {
	u16 ports[SIPALG_MAX_PORTS];	/* host order, distinct, non-zero */
	unsigned int nports;
	unsigned int sip_timeout;	/* seconds */
	u8 direct_media;		/* 0 or 1 */
	u8 disabled;			/* 0 or 1 */
	u32 pinholes_per_host;		/* 0: no limit */
	u32 pinholes_per_conn;		/* 0: only the classes' caps */
	u8 registration_pinholes;	/* enum sipalg_reg_pinholes */
	/* Hosts with a budget of their own. */
	struct sipalg_host_budget host_budgets[SIPALG_MAX_HOST_BUDGETS];
	unsigned int n_host_budgets;
	struct rcu_head rcu;
};

struct sipalg_counters;

struct sipalg_net {
	struct sipalg_config __rcu *config;
	struct sipalg_counters __percpu *counters;
	/* ledger entries and reservations of the namespace (budget.c) */
	atomic_t pinholes;
};

/* Inline: every packet asks it in each hook (four calls a packet). */
extern unsigned int sipalg_net_id;

static inline struct sipalg_net *sipalg_pernet(const struct net *net)
{
	return net_generic(net, sipalg_net_id);
}

/* Serialises configuration changes; readers use RCU. */
extern struct mutex sipalg_config_mutex;

/*
 * The one check of a whole configuration, for the module parameters and
 * for netlink alike. 0, or -EINVAL/-ERANGE with *attr set to the
 * SIPALG_A_* attribute at fault and *why to a message naming the value's
 * allowed range (a static string, as netlink's extack needs).
 */
int sipalg_config_validate(const struct sipalg_config *cfg, int *attr,
			   const char **why);

int sipalg_pernet_init(void);
void sipalg_pernet_exit(void);

#endif /* SIPALG_CONFIG_H */
