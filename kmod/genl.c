// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink interface (include/sipalg/uapi.h): configuration,
 * counters, the list of helped conntracks with their pinholes and
 * sessions. Everything is per network namespace. This is the control
 * plane: only module init and exit call into it, and the packet path never
 * does (events go out through events.c, which gets the family from here).
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_helper.h>

#include <sipalg/uapi.h>

#include "budget.h"
#include "compat.h"
#include "config.h"
#include "counters.h"
#include "events.h"
#include "expect.h"
#include "genl.h"
#include "helper.h"
#include "nlattr.h"
#include "sessions.h"
#include "split.h"
#include "trace.h"

static struct genl_family sipalg_genl_family;

enum { SIPALG_MCGRP_EVENTS, SIPALG_MCGRP_TRACE, SIPALG_MCGRP_TRACE_FULL };

/* A trace holds whole SIP headers (numbers, credentials): admins only. */
static const struct genl_multicast_group sipalg_mcgrps[] = {
	[SIPALG_MCGRP_EVENTS] = { .name = SIPALG_GENL_MCGRP },
	[SIPALG_MCGRP_TRACE] = { .name = SIPALG_GENL_MCGRP_TRACE,
				 .flags = SIPALG_GENL_MCAST_ADMIN },
	[SIPALG_MCGRP_TRACE_FULL] = { .name = SIPALG_GENL_MCGRP_TRACE_FULL,
				      .flags = SIPALG_GENL_MCAST_ADMIN },
};

/* Ranges are checked by hand, for messages that name the allowed values. */
static const struct nla_policy sipalg_policy[SIPALG_A_MAX + 1] = {
	[SIPALG_A_PORTS] = { .type = NLA_BINARY },
	[SIPALG_A_SIP_TIMEOUT] = { .type = NLA_U32 },
	[SIPALG_A_DIRECT_MEDIA] = { .type = NLA_U8 },
	[SIPALG_A_DISABLED] = { .type = NLA_U8 },
	[SIPALG_A_PINHOLES_PER_HOST] = { .type = NLA_U32 },
	[SIPALG_A_PINHOLES_PER_CONN] = { .type = NLA_U32 },
	[SIPALG_A_PINHOLES_HOSTS] = { .type = NLA_BINARY },
	[SIPALG_A_REGISTRATION_PINHOLES] = { .type = NLA_U8 },
};

/* ---- configuration ---- */

static int sipalg_nl_get_config(struct sk_buff *skb, struct genl_info *info)
{
	struct sipalg_net *sn = sipalg_pernet(genl_info_net(info));
	const struct sipalg_config *cfg;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &sipalg_genl_family, 0,
				SIPALG_CMD_GET_CONFIG);
	if (!hdr)
		goto nospace;

	rcu_read_lock();
	cfg = rcu_dereference(sn->config);
	if (nla_put(msg, SIPALG_A_PORTS, cfg->nports * sizeof(u16),
		    cfg->ports) ||
	    nla_put_u32(msg, SIPALG_A_SIP_TIMEOUT, cfg->sip_timeout) ||
	    nla_put_u8(msg, SIPALG_A_DIRECT_MEDIA, cfg->direct_media) ||
	    nla_put_u8(msg, SIPALG_A_DISABLED, cfg->disabled) ||
	    nla_put_u32(msg, SIPALG_A_PINHOLES_PER_HOST,
			cfg->pinholes_per_host) ||
	    nla_put_u32(msg, SIPALG_A_PINHOLES_PER_CONN,
			cfg->pinholes_per_conn) ||
	    nla_put_u8(msg, SIPALG_A_REGISTRATION_PINHOLES,
		       cfg->registration_pinholes) ||
	    nla_put(msg, SIPALG_A_PINHOLES_HOSTS,
		    cfg->n_host_budgets * sizeof(cfg->host_budgets[0]),
		    cfg->host_budgets)) {
		rcu_read_unlock();
		goto nospace;
	}
	rcu_read_unlock();
	if (nla_put_u32(msg, SIPALG_A_MAX_PORTS, SIPALG_MAX_PORTS) ||
	    nla_put_u32(msg, SIPALG_A_TIMEOUT_MIN, SIPALG_TIMEOUT_MIN) ||
	    nla_put_u32(msg, SIPALG_A_TIMEOUT_MAX, SIPALG_TIMEOUT_MAX))
		goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/*
 * Fill next from the request's attributes, then check the whole of it with
 * the one validator; extack names the attribute at fault and its range.
 */
static int sipalg_config_from_attrs(struct sipalg_config *next,
				    struct nlattr **attrs,
				    struct netlink_ext_ack *extack)
{
	struct nlattr *a;
	const char *why;
	int attr, err;

	a = attrs[SIPALG_A_PORTS];
	if (a) {
		unsigned int len = nla_len(a);

		/* Past the array's room: count them, let the validator say. */
		memset(next->ports, 0, sizeof(next->ports));
		memcpy(next->ports, nla_data(a),
		       min_t(unsigned int, len, sizeof(next->ports)));
		next->nports = len % sizeof(u16) ? 0 : len / sizeof(u16);
	}
	a = attrs[SIPALG_A_SIP_TIMEOUT];
	if (a)
		next->sip_timeout = nla_get_u32(a);
	a = attrs[SIPALG_A_DIRECT_MEDIA];
	if (a)
		next->direct_media = nla_get_u8(a);
	a = attrs[SIPALG_A_DISABLED];
	if (a)
		next->disabled = nla_get_u8(a);
	a = attrs[SIPALG_A_PINHOLES_PER_HOST];
	if (a)
		next->pinholes_per_host = nla_get_u32(a);
	a = attrs[SIPALG_A_PINHOLES_PER_CONN];
	if (a)
		next->pinholes_per_conn = nla_get_u32(a);
	a = attrs[SIPALG_A_REGISTRATION_PINHOLES];
	if (a)
		next->registration_pinholes = nla_get_u8(a);
	a = attrs[SIPALG_A_PINHOLES_HOSTS];
	if (a) {
		unsigned int len = nla_len(a);
		unsigned int size = sizeof(next->host_budgets[0]);

		/* As for ports: too many, or a torn one, the validator says. */
		memset(next->host_budgets, 0, sizeof(next->host_budgets));
		memcpy(next->host_budgets, nla_data(a),
		       min_t(unsigned int, len, sizeof(next->host_budgets)));
		next->n_host_budgets = len % size ? SIPALG_MAX_HOST_BUDGETS + 1 :
				       len / size;
	}
	err = sipalg_config_validate(next, &attr, &why);
	if (err && extack) {
		/* why is static, as extack keeps only the pointer. */
		extack->_msg = why;
		NL_SET_BAD_ATTR(extack, attrs[attr]);
	}
	return err;
}

static int sipalg_nl_set_config(struct sk_buff *skb, struct genl_info *info)
{
	struct sipalg_net *sn = sipalg_pernet(genl_info_net(info));
	struct sipalg_config *next, *prev;
	int err;

	next = kmalloc(sizeof(*next), GFP_KERNEL);
	if (!next)
		return -ENOMEM;

	mutex_lock(&sipalg_config_mutex);
	prev = rcu_dereference_protected(sn->config,
					 lockdep_is_held(&sipalg_config_mutex));
	*next = *prev;
	err = sipalg_config_from_attrs(next, info->attrs, info->extack);
	if (err) {
		mutex_unlock(&sipalg_config_mutex);
		kfree(next);
		return err;
	}
	/* Whole or nothing: readers see the old or the new config. */
	rcu_assign_pointer(sn->config, next);
	mutex_unlock(&sipalg_config_mutex);
	kfree_rcu(prev, rcu);
	return 0;
}

/* ---- counters ---- */

/*
 * Every live expectation of the namespace, sipalg's or not. Read under RCU
 * as ctnetlink dumps them, not under the table's global lock: anyone may
 * ask for the stats.
 */
static unsigned int sipalg_expectations_count(struct net *net)
{
	struct nf_conntrack_expect *exp;
	unsigned int n = 0, i;

	for (i = 0; i < nf_ct_expect_hsize; i++) {
		rcu_read_lock();
		hlist_for_each_entry_rcu(exp, &nf_ct_expect_hash[i], hnode)
			n += net_eq(nf_ct_exp_net(exp), net) &&
			     !nf_ct_exp_is_expired(exp);
		rcu_read_unlock();
		if (i % 1024 == 1023)
			cond_resched();
	}
	return n;
}

static int sipalg_put_stat(struct sk_buff *msg, const char *name, u64 value)
{
	struct nlattr *stat = nla_nest_start(msg, SIPALG_A_STAT);

	if (!stat || nla_put_string(msg, SIPALG_A_STAT_NAME, name) ||
	    nla_put_u64_64bit(msg, SIPALG_A_STAT_VALUE, value, SIPALG_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(msg, stat);
	return 0;
}

static int sipalg_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct sipalg_net *sn = sipalg_pernet(genl_info_net(info));
	struct sipalg_budget_stats budget;
	struct sipalg_counters sum;
	struct nlattr *stats;
	struct sk_buff *msg;
	char name[48];
	unsigned int i;
	void *hdr;

	sipalg_counters_sum(sn, &sum);
	sipalg_budget_stats(genl_info_net(info), &budget);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &sipalg_genl_family, 0,
				SIPALG_CMD_GET_STATS);
	if (!hdr)
		goto nospace;
	stats = nla_nest_start(msg, SIPALG_A_STATS);
	if (!stats)
		goto nospace;
	for (i = 0; i < SIPALG_CTR_MAX; i++)
		if (sipalg_put_stat(msg, sipalg_counter_name(i), sum.value[i]))
			goto nospace;
	/* Gauges, not counters: what the sessions table holds now. */
	if (sipalg_put_stat(msg, "sessions",
			    sipalg_sessions_count(genl_info_net(info))) ||
	    sipalg_put_stat(msg, "sessions_max", sipalg_sessions_max()) ||
	    sipalg_put_stat(msg, "pinholes", budget.pinholes) ||
	    sipalg_put_stat(msg, "pinhole_hosts", budget.hosts) ||
	    sipalg_put_stat(msg, "pinholes_host_max", budget.host_max) ||
	    sipalg_put_stat(msg, "pinholes_max", sipalg_budget_max()) ||
	    sipalg_put_stat(msg, "expectations",
			    sipalg_expectations_count(genl_info_net(info))) ||
	    sipalg_put_stat(msg, "tcp_split_bytes",
			    sipalg_split_bytes_now()) ||
	    sipalg_put_stat(msg, "tcp_split_bytes_max",
			    sipalg_split_bytes_max()))
		goto nospace;
	/* Reason 0 is SIPALG_OK: nothing passed for it. */
	for (i = 1; i < SIPALG_PASS_MAX; i++) {
		snprintf(name, sizeof(name), "passed_%s",
			 sipalg_pass_reason_name(i));
		if (sipalg_put_stat(msg, name, sum.passed[i]))
			goto nospace;
	}
	nla_nest_end(msg, stats);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int sipalg_nl_reset_stats(struct sk_buff *skb, struct genl_info *info)
{
	sipalg_counters_reset(sipalg_pernet(genl_info_net(info)));
	return 0;
}

/* ---- helped conntracks and their pinholes ---- */

/* A connection's sessions, at most SIPALG_DUMP_SESSIONS per message. */
#define SIPALG_DUMP_SESSIONS 32

struct sipalg_sessions_put {
	struct sk_buff *msg;
	unsigned int n, omitted;
};

static int sipalg_put_session(const struct sipalg_session_info *s, void *arg)
{
	struct sipalg_sessions_put *put = arg;
	struct sk_buff *msg = put->msg;
	struct nlattr *nest;

	/* So that one connection always fits in a dump message. */
	if (put->n == SIPALG_DUMP_SESSIONS) {
		put->omitted++;
		return 0;
	}
	nest = nla_nest_start(msg, SIPALG_A_CONN_SESSION);
	if (!nest ||
	    nla_put_u8(msg, SIPALG_A_SESSION_KIND, s->kind) ||
	    nla_put_string(msg, SIPALG_A_SESSION_ID, s->id) ||
	    nla_put_u8(msg, SIPALG_A_SESSION_STATE, s->state) ||
	    nla_put_u8(msg, SIPALG_A_SESSION_OUTGOING, s->outgoing) ||
	    nla_put_u32(msg, SIPALG_A_SESSION_AGE, s->age))
		return -EMSGSIZE;
	if (s->kind == SIPALG_SESSION_REGISTRATION &&
	    nla_put_u32(msg, SIPALG_A_SESSION_EXPIRES, s->expires))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	put->n++;
	return 0;
}

static int sipalg_put_conn(struct sk_buff *msg, struct nf_conn *ct)
{
	struct sipalg_sessions_put put = { .msg = msg };
	struct nlattr *nest = sipalg_put_conn_start(msg, ct);

	if (!nest || sipalg_sessions_for_each(ct, sipalg_put_session, &put) ||
	    (put.omitted &&
	     nla_put_u32(msg, SIPALG_A_CONN_SESSIONS_OMITTED, put.omitted)))
		return -EMSGSIZE;
	/* The budgets' use: the connection's and its inside host's. */
	if (nla_put_u32(msg, SIPALG_A_CONN_PINHOLES,
			sipalg_expect_count_live(ct, NULL)) ||
	    nla_put(msg, SIPALG_A_CONN_HOST,
		    nf_ct_l3num(ct) == NFPROTO_IPV4 ? 4 : 16,
		    sipalg_budget_host_of(ct)) ||
	    nla_put_u32(msg, SIPALG_A_CONN_HOST_PINHOLES,
			sipalg_budget_host_count(ct)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/*
 * A dump walks a snapshot of the helped conntracks (references held), so
 * that it can resume across messages however the table changes meanwhile.
 * The snapshot is sized by a first walk that only counts, plus room for
 * the connections that arrive between the two walks; any beyond that are
 * not in this dump (they are in the next).
 */
struct sipalg_snapshot {
	unsigned int n, next, max;
	struct nf_conn *ct[];
};

static bool sipalg_ct_helped(struct nf_conn *ct)
{
	struct nf_conn_help *help = nfct_help(ct);

	return help && sipalg_is_our_helper(rcu_access_pointer(help->helper));
}

static int sipalg_snapshot_count(struct nf_conn *ct, void *data)
{
	if (sipalg_ct_helped(ct))
		(*(unsigned int *)data)++;
	return 0;	/* visit only, never delete */
}

static int sipalg_snapshot_add(struct nf_conn *ct, void *data)
{
	struct sipalg_snapshot *snap = data;

	if (snap->n < snap->max && sipalg_ct_helped(ct) &&
	    refcount_inc_not_zero(&ct->ct_general.use))
		snap->ct[snap->n++] = ct;
	return 0;
}

static int sipalg_nl_conns_start(struct netlink_callback *cb)
{
	struct nf_ct_iter_data iter = { .net = sock_net(cb->skb->sk) };
	struct sipalg_snapshot *snap;
	unsigned int helped = 0;

	iter.data = &helped;
	nf_ct_iterate_cleanup_net(sipalg_snapshot_count, &iter);
	helped += helped / 8 + 64;
	snap = kvzalloc(struct_size(snap, ct, helped), GFP_KERNEL);
	if (!snap)
		return -ENOMEM;
	snap->max = helped;
	iter.data = snap;
	nf_ct_iterate_cleanup_net(sipalg_snapshot_add, &iter);
	cb->args[0] = (long)snap;
	return 0;
}

static int sipalg_nl_conns_done(struct netlink_callback *cb)
{
	struct sipalg_snapshot *snap = (struct sipalg_snapshot *)cb->args[0];
	unsigned int i;

	if (!snap)
		return 0;
	for (i = 0; i < snap->n; i++)
		nf_ct_put(snap->ct[i]);
	kvfree(snap);
	return 0;
}

static int sipalg_nl_conns_dump(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct sipalg_snapshot *snap = (struct sipalg_snapshot *)cb->args[0];

	for (; snap->next < snap->n; snap->next++) {
		void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, &sipalg_genl_family,
					NLM_F_MULTI, SIPALG_CMD_GET_CONNS);

		if (!hdr)
			break;
		if (sipalg_put_conn(skb, snap->ct[snap->next])) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	return skb->len;
}

static const struct genl_ops sipalg_genl_ops[] = {
	{
		.cmd = SIPALG_CMD_GET_CONFIG,
		.doit = sipalg_nl_get_config,
	},
	{
		.cmd = SIPALG_CMD_SET_CONFIG,
		.doit = sipalg_nl_set_config,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = SIPALG_CMD_GET_STATS,
		.doit = sipalg_nl_get_stats,
	},
	{
		.cmd = SIPALG_CMD_RESET_STATS,
		.doit = sipalg_nl_reset_stats,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = SIPALG_CMD_GET_CONNS,
		.start = sipalg_nl_conns_start,
		.dumpit = sipalg_nl_conns_dump,
		.done = sipalg_nl_conns_done,
	},
};

static struct genl_family sipalg_genl_family __ro_after_init = {
	.name = SIPALG_GENL_NAME,
	.version = SIPALG_GENL_VERSION,
	.maxattr = SIPALG_A_MAX,
	.policy = sipalg_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = sipalg_genl_ops,
	.n_ops = ARRAY_SIZE(sipalg_genl_ops),
	.resv_start_op = SIPALG_CMD_GET_CONNS + 1,
	.mcgrps = sipalg_mcgrps,
	.n_mcgrps = ARRAY_SIZE(sipalg_mcgrps),
};

int sipalg_genl_init(void)
{
	int err = genl_register_family(&sipalg_genl_family);

	if (!err) {
		sipalg_events_start(&sipalg_genl_family, SIPALG_MCGRP_EVENTS);
		sipalg_trace_start(&sipalg_genl_family, SIPALG_MCGRP_TRACE,
				   SIPALG_MCGRP_TRACE_FULL);
	}
	return err;
}

void sipalg_genl_exit(void)
{
	sipalg_trace_stop();
	sipalg_events_stop();
	genl_unregister_family(&sipalg_genl_family);
}
