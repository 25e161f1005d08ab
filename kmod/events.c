// SPDX-License-Identifier: GPL-2.0
/*
 * Events cost nothing unless someone listens (sipalg monitor); only then is
 * a message allocated, atomically, in the packet path.
 *
 * The family they go out on belongs to the control plane (genl.c), which
 * hands it over once registered and takes it back before unregistering:
 * the packet path never calls into the control plane.
 */
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <net/genetlink.h>

#include "events.h"
#include "nlattr.h"
#include "quiet.h"
#include "trace.h"

static const struct genl_family __rcu *sipalg_events_family;
static unsigned int sipalg_events_group;
/* Nobody listened on this CPU a moment ago (quiet.h). */
static DEFINE_PER_CPU(struct sipalg_quiet, sipalg_events_quiet);

void sipalg_events_start(const struct genl_family *family, unsigned int group)
{
	sipalg_events_group = group;
	rcu_assign_pointer(sipalg_events_family, family);
}

void sipalg_events_stop(void)
{
	RCU_INIT_POINTER(sipalg_events_family, NULL);
	synchronize_net();	/* no sender still holds it */
}

static void sipalg_event_send(struct nf_conn *ct, enum sipalg_event type,
			      const char *reason,
			      const unsigned char *call_id,
			      unsigned int call_id_len,
			      const struct nf_conntrack_expect *exp)
{
	const struct genl_family *family;
	struct net *net = nf_ct_net(ct);
	struct sipalg_quiet *quiet;
	struct nlattr *conn;
	struct sk_buff *msg;
	char id[129] __uninitialized;	/* filled before use, if ever */
	bool heard;
	void *hdr;

	quiet = get_cpu_ptr(&sipalg_events_quiet);
	if (sipalg_quiet_recently(quiet, net)) {
		put_cpu_ptr(&sipalg_events_quiet);
		return;
	}
	rcu_read_lock();
	family = rcu_dereference(sipalg_events_family);
	heard = family && genl_has_listeners(family, net, sipalg_events_group);
	sipalg_quiet_note(quiet, net, !heard);
	put_cpu_ptr(&sipalg_events_quiet);
	if (!heard)
		goto out;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		goto out;
	hdr = genlmsg_put(msg, 0, 0, family, 0, SIPALG_CMD_EVENT);
	if (!hdr || nla_put_u8(msg, SIPALG_A_EVENT_TYPE, type))
		goto fail;
	conn = sipalg_put_conn_start(msg, ct);
	if (!conn)
		goto fail;
	nla_nest_end(msg, conn);
	if ((reason && nla_put_string(msg, SIPALG_A_EVENT_REASON, reason)) ||
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
	genlmsg_multicast_netns(family, net, msg, 0, sipalg_events_group,
				GFP_ATOMIC);
	goto out;
fail:
	nlmsg_free(msg);
out:
	rcu_read_unlock();
}

void sipalg_event(struct nf_conn *ct, enum sipalg_event type,
		  const char *reason, const unsigned char *call_id,
		  unsigned int call_id_len)
{
	sipalg_event_send(ct, type, reason, call_id, call_id_len, NULL);
}

void sipalg_event_pinhole(struct nf_conn *ct, enum sipalg_event type,
			  struct nf_conntrack_expect *exp)
{
	sipalg_trace_pinhole(ct, type == SIPALG_EVENT_PINHOLE_OPEN, exp);
	sipalg_event_send(ct, type, NULL, NULL, 0, exp);
}
