/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels sipalg builds for, in one place.
 * Tested: Debian 12's 6.1 (6.1.0-57) and 6.12 (6.12.117+deb12). Both carry
 * the stable backport that turned an expectation's timeout from a timer
 * into a jiffies32 deadline (nf_ct_exp_is_expired()); older point
 * releases of either series do not build.
 */
#ifndef SIPALG_COMPAT_H
#define SIPALG_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack.h>

/*
 * Multicast groups only CAP_NET_ADMIN may join: both Debian kernels have
 * the flag (6.1.0-57 as a backport); a kernel without it leaves the group
 * open to anyone (a known limit).
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define SIPALG_GENL_MCAST_ADMIN GENL_MCAST_CAP_NET_ADMIN
#else
#define SIPALG_GENL_MCAST_ADMIN 0
#endif

/* 6.12 refreshes a conntrack's timeout without looking at the packet. */
static inline void sipalg_ct_refresh(struct nf_conn *ct,
				     const struct sk_buff *skb,
				     u32 extra_jiffies)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	nf_ct_refresh(ct, extra_jiffies);
#else
	nf_ct_refresh(ct, skb, extra_jiffies);
#endif
}

#endif /* SIPALG_COMPAT_H */
