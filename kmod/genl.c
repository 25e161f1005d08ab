// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink interface (include/sipalg/uapi.h): configuration,
 * counters, the list of helped conntracks with their pinholes, and events.
 * Everything is per network namespace.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_helper.h>

#include "sipalg.h"

static struct genl_family sipalg_genl_family;

enum { SIPALG_MCGRP_EVENTS };

static const struct genl_multicast_group sipalg_mcgrps[] = {
	[SIPALG_MCGRP_EVENTS] = { .name = SIPALG_GENL_MCGRP },
};

/* Ranges are checked by hand, for messages that name the allowed values. */
static const struct nla_policy sipalg_policy[SIPALG_A_MAX + 1] = {
	[SIPALG_A_PORTS] = { .type = NLA_BINARY },
	[SIPALG_A_SIP_TIMEOUT] = { .type = NLA_U32 },
	[SIPALG_A_DIRECT_MEDIA] = { .type = NLA_U8 },
	[SIPALG_A_DISABLED] = { .type = NLA_U8 },
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
	    nla_put_u8(msg, SIPALG_A_DISABLED, cfg->disabled)) {
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

/* Fill next from the request's attributes; extack names what is wrong. */
static int sipalg_config_from_attrs(struct sipalg_config *next,
				    struct nlattr **attrs,
				    struct netlink_ext_ack *extack)
{
	struct nlattr *a;
	unsigned int i;

	a = attrs[SIPALG_A_PORTS];
	if (a) {
		unsigned int len = nla_len(a);

		if (!len || len % sizeof(u16) ||
		    len > SIPALG_MAX_PORTS * sizeof(u16)) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "ports: 1 to 8 values, each 1..65535");
			return -EINVAL;
		}
		memset(next->ports, 0, sizeof(next->ports));
		memcpy(next->ports, nla_data(a), len);
		next->nports = len / sizeof(u16);
		for (i = 0; i < next->nports; i++) {
			if (!next->ports[i]) {
				NL_SET_ERR_MSG_ATTR(extack, a,
						    "ports: 0 is not a port, allowed 1..65535");
				return -EINVAL;
			}
		}
	}
	a = attrs[SIPALG_A_SIP_TIMEOUT];
	if (a) {
		next->sip_timeout = nla_get_u32(a);
		if (next->sip_timeout < SIPALG_TIMEOUT_MIN ||
		    next->sip_timeout > SIPALG_TIMEOUT_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "sip-timeout: allowed 10..86400 seconds");
			return -ERANGE;
		}
	}
	a = attrs[SIPALG_A_DIRECT_MEDIA];
	if (a) {
		if (nla_get_u8(a) > 1) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "sip-direct-media: allowed 0 (no) or 1 (yes)");
			return -EINVAL;
		}
		next->direct_media = nla_get_u8(a);
	}
	a = attrs[SIPALG_A_DISABLED];
	if (a) {
		if (nla_get_u8(a) > 1) {
			NL_SET_ERR_MSG_ATTR(extack, a,
					    "disabled: allowed 0 (no) or 1 (yes)");
			return -EINVAL;
		}
		next->disabled = nla_get_u8(a);
	}
	if (sipalg_config_validate(next)) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[SIPALG_A_PORTS],
				    "ports: values must be distinct");
		return -EINVAL;
	}
	return 0;
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

static const char *const sipalg_counter_names[SIPALG_CTR_MAX] = {
	[SIPALG_CTR_ATTACHED] = "attached",
	[SIPALG_CTR_ATTACH_FAILED] = "attach_failed",
	[SIPALG_CTR_PACKETS] = "packets",
	[SIPALG_CTR_TIMEOUT_REFRESHED] = "timeout_refreshed",
	[SIPALG_CTR_MESSAGES] = "messages",
	[SIPALG_CTR_REWRITTEN] = "rewritten",
	[SIPALG_CTR_UNCHANGED] = "unchanged",
	[SIPALG_CTR_EDITS] = "edits",
	[SIPALG_CTR_BYTES_GROWN] = "bytes_grown",
	[SIPALG_CTR_BYTES_SHRUNK] = "bytes_shrunk",
	[SIPALG_CTR_EXPECT_CREATED] = "pinholes_opened",
	[SIPALG_CTR_EXPECT_REMOVED] = "pinholes_closed",
	[SIPALG_CTR_EXPECT_FAILED] = "pinholes_failed",
	[SIPALG_CTR_MEDIA_NOT_SENDER] = "media_not_sender",
	[SIPALG_CTR_REGISTRATIONS] = "registration_pinholes",
	[SIPALG_CTR_SESSIONS_EVICTED] = "sessions_evicted",
};

static const char *const sipalg_shim_reason_names[] = {
	[SIPALG_PASS_NOMEM - SIPALG_R_COUNT] = "nomem",
	[SIPALG_PASS_TCP_SPLIT - SIPALG_R_COUNT] = "tcp_split",
	[SIPALG_PASS_TOO_BIG - SIPALG_R_COUNT] = "too_big",
	[SIPALG_PASS_NO_SEQADJ - SIPALG_R_COUNT] = "no_seqadj",
};

const char *sipalg_pass_reason_name(int reason)
{
	if (reason >= SIPALG_R_COUNT && reason < SIPALG_PASS_MAX)
		return sipalg_shim_reason_names[reason - SIPALG_R_COUNT];
	return sipalg_reason_name(reason);
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
	struct sipalg_counters sum = {};
	struct nlattr *stats;
	struct sk_buff *msg;
	char name[48];
	unsigned int i;
	void *hdr;
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct sipalg_counters *c = per_cpu_ptr(sn->counters, cpu);

		for (i = 0; i < SIPALG_CTR_MAX; i++)
			sum.value[i] += READ_ONCE(c->value[i]);
		for (i = 0; i < SIPALG_PASS_MAX; i++)
			sum.passed[i] += READ_ONCE(c->passed[i]);
	}

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
		if (sipalg_put_stat(msg, sipalg_counter_names[i], sum.value[i]))
			goto nospace;
	/* Gauges, not counters: what the sessions table holds now. */
	if (sipalg_put_stat(msg, "sessions",
			    sipalg_sessions_count(genl_info_net(info))) ||
	    sipalg_put_stat(msg, "sessions_max", sipalg_sessions_max()))
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
	struct sipalg_net *sn = sipalg_pernet(genl_info_net(info));
	int cpu;

	/* Increments racing with this may survive it; that is fine. */
	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(sn->counters, cpu), 0,
		       sizeof(struct sipalg_counters));
	return 0;
}

/* ---- helped conntracks and their pinholes ---- */

static int sipalg_put_tuple(struct sk_buff *msg, int type, u16 l3num,
			    const union nf_inet_addr *src,
			    const union nf_inet_addr *dst, __be16 sport,
			    __be16 dport)
{
	int alen = l3num == NFPROTO_IPV4 ? 4 : 16;
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest)
		return -EMSGSIZE;
	if ((src && nla_put(msg, SIPALG_A_TUPLE_SRC, alen, src)) ||
	    nla_put(msg, SIPALG_A_TUPLE_DST, alen, dst) ||
	    (src && nla_put_u16(msg, SIPALG_A_TUPLE_SPORT, ntohs(sport))) ||
	    nla_put_u16(msg, SIPALG_A_TUPLE_DPORT, ntohs(dport)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int sipalg_put_ct_tuple(struct sk_buff *msg, int type,
			       const struct nf_conntrack_tuple *t)
{
	return sipalg_put_tuple(msg, type, t->src.l3num, &t->src.u3,
				&t->dst.u3, t->src.u.all, t->dst.u.all);
}

static int sipalg_put_pinhole(struct sk_buff *msg, int type,
			      const struct nf_conntrack_expect *exp)
{
	bool any_src = sipalg_expect_any_src(exp);
	s32 left = (s32)(exp->timeout - nfct_time_stamp);
	struct nlattr *nest = nla_nest_start(msg, type);

	if (!nest ||
	    nla_put_u8(msg, SIPALG_A_PINHOLE_CLASS,
		       exp->class >= SIPALG_EXPECT_MEDIA ?
		       SIPALG_PINHOLE_MEDIA : SIPALG_PINHOLE_SIGNALLING) ||
	    sipalg_put_tuple(msg, SIPALG_A_PINHOLE_TUPLE, exp->tuple.src.l3num,
			     any_src ? NULL : &exp->tuple.src.u3,
			     &exp->tuple.dst.u3, 0, exp->tuple.dst.u.all) ||
	    nla_put_u32(msg, SIPALG_A_PINHOLE_TIMEOUT,
			left > 0 ? left / HZ : 0))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int sipalg_put_pinholes(struct sk_buff *msg, struct nf_conn *ct)
{
	struct nf_conn_help *help = nfct_help(ct);
	struct nf_conntrack_expect *exp;
	int err = 0;

	if (!help)
		return 0;
	spin_lock_bh(&nf_conntrack_expect_lock);
	hlist_for_each_entry(exp, &help->expectations, lnode) {
		/* Removed or timed out, but not collected yet. */
		if (nf_ct_exp_is_expired(exp))
			continue;
		err = sipalg_put_pinhole(msg, SIPALG_A_CONN_PINHOLE, exp);
		if (err)
			break;
	}
	spin_unlock_bh(&nf_conntrack_expect_lock);
	return err;
}

/* Seconds left; an unconfirmed conntrack (first packet) holds it relative. */
static u32 sipalg_ct_seconds_left(const struct nf_conn *ct)
{
	if (!nf_ct_is_confirmed(ct))
		return READ_ONCE(ct->timeout) / HZ;
	return nf_ct_expires(ct) / HZ;
}

/* The registrations and calls go in dumps only: events stay small. */
static int sipalg_put_conn(struct sk_buff *msg, struct nf_conn *ct,
			   bool with_sessions)
{
	struct nlattr *nest = nla_nest_start(msg, SIPALG_A_CONN);

	if (!nest ||
	    nla_put_u8(msg, SIPALG_A_CONN_FAMILY,
		       nf_ct_l3num(ct) == NFPROTO_IPV4 ? AF_INET : AF_INET6) ||
	    nla_put_u8(msg, SIPALG_A_CONN_PROTO, nf_ct_protonum(ct)) ||
	    sipalg_put_ct_tuple(msg, SIPALG_A_CONN_ORIG,
				&ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple) ||
	    sipalg_put_ct_tuple(msg, SIPALG_A_CONN_REPLY,
				&ct->tuplehash[IP_CT_DIR_REPLY].tuple) ||
	    nla_put_u32(msg, SIPALG_A_CONN_TIMEOUT, sipalg_ct_seconds_left(ct)) ||
	    nla_put_u8(msg, SIPALG_A_CONN_NAT, !!(ct->status & IPS_NAT_MASK)) ||
	    sipalg_put_pinholes(msg, ct) ||
	    (with_sessions && sipalg_sessions_put(msg, ct)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/*
 * A dump walks a snapshot of the helped conntracks (references held), so
 * that it can resume across messages however the table changes meanwhile.
 */
#define SIPALG_DUMP_MAX 16384

struct sipalg_snapshot {
	unsigned int n, next;
	struct nf_conn *ct[];
};

static int sipalg_snapshot_add(struct nf_conn *ct, void *data)
{
	struct sipalg_snapshot *snap = data;
	struct nf_conn_help *help = nfct_help(ct);

	if (snap->n < SIPALG_DUMP_MAX && help &&
	    sipalg_is_our_helper(rcu_access_pointer(help->helper)) &&
	    refcount_inc_not_zero(&ct->ct_general.use))
		snap->ct[snap->n++] = ct;
	return 0;	/* visit only, never delete */
}

static int sipalg_nl_conns_start(struct netlink_callback *cb)
{
	struct nf_ct_iter_data iter = { .net = sock_net(cb->skb->sk) };
	struct sipalg_snapshot *snap;

	snap = kvzalloc(struct_size(snap, ct, SIPALG_DUMP_MAX), GFP_KERNEL);
	if (!snap)
		return -ENOMEM;
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
		if (sipalg_put_conn(skb, snap->ct[snap->next], true)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	return skb->len;
}

/* ---- events ---- */

/*
 * Events cost nothing unless someone listens (sipalg monitor); only then is
 * a message allocated, atomically, in the packet path.
 */
static void sipalg_event_send(struct net *net, enum sipalg_event type,
			      const struct nf_conn *ct, const char *reason,
			      const unsigned char *call_id,
			      unsigned int call_id_len,
			      const struct nf_conntrack_expect *exp)
{
	struct sk_buff *msg;
	char id[129];
	void *hdr;

	if (!genl_has_listeners(&sipalg_genl_family, net, SIPALG_MCGRP_EVENTS))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &sipalg_genl_family, 0, SIPALG_CMD_EVENT);
	if (!hdr || nla_put_u8(msg, SIPALG_A_EVENT_TYPE, type) ||
	    sipalg_put_conn(msg, (struct nf_conn *)ct, false) ||
	    (reason && nla_put_string(msg, SIPALG_A_EVENT_REASON, reason)) ||
	    (exp && sipalg_put_pinhole(msg, SIPALG_A_EVENT_PINHOLE, exp)))
		goto fail;
	if (call_id_len) {
		call_id_len = min_t(unsigned int, call_id_len, sizeof(id) - 1);
		memcpy(id, call_id, call_id_len);
		id[call_id_len] = '\0';
		if (nla_put_string(msg, SIPALG_A_EVENT_CALL_ID, id))
			goto fail;
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&sipalg_genl_family, net, msg, 0,
				SIPALG_MCGRP_EVENTS, GFP_ATOMIC);
	return;
fail:
	nlmsg_free(msg);
}

void sipalg_event(struct net *net, enum sipalg_event type,
		  const struct nf_conn *ct, const char *reason,
		  const unsigned char *call_id, unsigned int call_id_len)
{
	sipalg_event_send(net, type, ct, reason, call_id, call_id_len, NULL);
}

/* Not under nf_conntrack_expect_lock: the event lists ct's pinholes. */
void sipalg_event_pinhole(struct nf_conn *ct, enum sipalg_event type,
			  const struct nf_conntrack_expect *exp)
{
	sipalg_event_send(nf_ct_net(ct), type, ct, NULL, NULL, 0, exp);
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
	return genl_register_family(&sipalg_genl_family);
}

void sipalg_genl_exit(void)
{
	genl_unregister_family(&sipalg_genl_family);
}
