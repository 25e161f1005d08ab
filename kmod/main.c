// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: a SIP application layer gateway for netfilter conntrack.
 *
 * Module entry points. Every kernel API call lives in kmod/; the SIP and
 * SDP parsing and the rewrite planning are done by the freestanding C++
 * core (core/, include/sipalg/core.h).
 *
 * Order matters, both ways: the sessions table, the pinhole ledger and
 * the per-netns state must exist before anything can reach them (the helper runs for any
 * packet of a helped conntrack), the helpers before the hooks that attach
 * them, and the control plane (the netlink family) comes last, once there
 * is something to control; events and traces find no family to send on
 * until then.
 * Unloading undoes it in reverse: the control plane goes first (events stop
 * before the family goes), then once the hooks are gone no new conntrack
 * gets the helper and no segment is held any more; what split messages
 * held goes, with its references on conntracks, while the helpers (whose
 * destroy callback a last reference runs) are still there; the helpers
 * stop opening pinholes; the pinholes that translate go; unregistering
 * the helpers detaches them from every conntrack (and waits for packets
 * still inside them) and unlinks every other pinhole, and only then go the
 * state, the ledger (which holds references on the pinholes) and the
 * table.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>
#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack_helper.h>

#include <sipalg/core.h>

#include "attach.h"
#include "budget.h"
#include "config.h"
#include "expect.h"
#include "genl.h"
#include "helper.h"
#include "phase.h"
#include "rewrite.h"
#include "sessions.h"
#include "split.h"
#include "sync.h"
#include "trace.h"

/*
 * Set on unload before the helpers go: the kernel removes their pinholes
 * (expectations) before it detaches them from their conntracks, and one
 * opened in between would outlive the module.
 */
static bool sipalg_unloading;

static int sipalg_help_unless_unloading(struct sk_buff *skb,
					unsigned int protoff, struct nf_conn *ct,
					enum ip_conntrack_info ctinfo)
{
	if (READ_ONCE(sipalg_unloading))
		return NF_ACCEPT;
	return sipalg_help(skb, protoff, ct, ctinfo);
}

/* Packets inside the helper (under RCU) open their pinholes first. */
static void sipalg_stop_helping(void)
{
	WRITE_ONCE(sipalg_unloading, true);
	synchronize_rcu();
}

/*
 * The helper's destroy callback: what sipalg kept for the connection goes
 * (split.c's entry holds a reference on the conntrack: it went before).
 */
static void sipalg_conn_destroyed(struct nf_conn *ct)
{
	sipalg_sessions_forget(ct);
}

static int __init sipalg_init(void)
{
	int err;

	err = sipalg_core_selftest();
	if (err) {
		pr_err("C++ core self-test failed at step %d\n", err);
		return -EINVAL;
	}
	err = sipalg_rewrite_init();
	if (err)
		return err;
	err = sipalg_trace_init();
	if (err)
		goto exit_rewrite;
	err = sipalg_sessions_init();
	if (err)
		goto exit_trace;
	err = sipalg_budget_init();
	if (err)
		goto exit_sessions;
	err = sipalg_pernet_init();
	if (err)
		goto exit_budget;
	err = sipalg_sync_init();
	if (err)
		goto exit_pernet;
	err = sipalg_helpers_register(sipalg_help_unless_unloading,
				      sipalg_conn_destroyed);
	if (err) {
		pr_err("cannot register the conntrack helpers (%d)\n", err);
		goto exit_sync;
	}
	sipalg_expect_init();
	err = sipalg_hooks_init();
	if (err)
		goto unregister_helpers;
	err = sipalg_split_init();
	if (err)
		goto exit_hooks;
	err = sipalg_genl_init();
	if (err)
		goto exit_split;
	pr_info("loaded, core %s\n", sipalg_core_version());
	return 0;

exit_split:
	sipalg_split_exit();
exit_hooks:
	sipalg_hooks_exit();
unregister_helpers:
	sipalg_stop_helping();
	sipalg_expect_exit();
	sipalg_helpers_unregister();
exit_sync:
	sipalg_sync_exit();
exit_pernet:
	sipalg_pernet_exit();
exit_budget:
	sipalg_budget_exit();
exit_sessions:
	sipalg_sessions_exit();
exit_trace:
	sipalg_trace_exit();
exit_rewrite:
	sipalg_rewrite_exit();
	return err;
}

static void __exit sipalg_exit(void)
{
	sipalg_genl_exit();
	sipalg_hooks_exit();
	sipalg_split_exit();
	sipalg_stop_helping();
	/*
	 * No expectation conntrackd makes from now on translates, and those
	 * that would are gone.
	 */
	sipalg_expect_exit();
	sipalg_helpers_unregister();
	sipalg_phases_report();
	sipalg_sync_exit();
	sipalg_pernet_exit();
	sipalg_budget_exit();
	sipalg_sessions_exit();
	sipalg_trace_exit();
	sipalg_rewrite_exit();
	pr_info("unloaded\n");
}

module_init(sipalg_init);
module_exit(sipalg_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SIP application layer gateway for netfilter conntrack");
MODULE_VERSION(SIPALG_VERSION);
MODULE_ALIAS_NFCT_HELPER("sipalg");
MODULE_ALIAS_NF_NAT_HELPER("sipalg");
MODULE_ALIAS_GENL_FAMILY(SIPALG_GENL_NAME);
