// SPDX-License-Identifier: GPL-2.0
/*
 * sipalg: a SIP application layer gateway for netfilter conntrack.
 *
 * Module entry points. Every kernel API call lives in kmod/; the SIP and
 * SDP parsing and the rewrite planning are done by the freestanding C++
 * core (core/, include/sipalg/core.h).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kernel.h>

static int __init sipalg_init(void)
{
	pr_info("loaded\n");
	return 0;
}

static void __exit sipalg_exit(void)
{
	pr_info("unloaded\n");
}

module_init(sipalg_init);
module_exit(sipalg_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SIP application layer gateway for netfilter conntrack");
