// SPDX-License-Identifier: GPL-2.0
/*
 * The pinhole ledger: every expectation sipalg opened, listed under the
 * inside host it was opened for, so that a host's budget can be checked
 * before a new pinhole is opened (expect.c) and shown (genl.c, nlattr.c).
 *
 * The conntrack core tells a module nothing when an expectation ends: it
 * times out by a deadline with nothing run, is marked dead when removed,
 * and leaves the lists when it is matched, replaced, collected, flushed or
 * its master goes (confirmed or not). So the ledger keeps a reference on
 * each entry's expectation and looks at it instead: an entry is live while
 * the expectation has not expired and is still linked (the table's
 * reference besides ours). A dead entry is dropped (and our reference put)
 * the next time its host is pruned: before any refusal, so that a refusal
 * always sees the truth, and every few seconds by a worker, which bounds
 * the memory dead entries pin. A reference taken for a moment by someone
 * else (a lookup, a dump) can make a dead entry look live until the next
 * prune: the ledger may overcount, never undercount.
 *
 * Entries are only ever added for the host's budget reserved beforehand
 * (reserve, then commit or cancel), so that two CPUs cannot both take the
 * last room. The ledger never removes a pinhole itself: its master may be
 * gone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/stringify.h>
#include <linux/workqueue.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_expect.h>

#include "budget.h"

#define SIPALG_PINHOLES_MIN 256
#define SIPALG_PINHOLES_MAX 4194304

static unsigned int max_pinholes = 16384;
module_param(max_pinholes, uint, 0444);
MODULE_PARM_DESC(max_pinholes, "pinholes the ledger holds per namespace ("
		 __stringify(SIPALG_PINHOLES_MIN) ".." __stringify(SIPALG_PINHOLES_MAX)
		 ", default 16384; twice nf_conntrack_expect_max)");

/* Bucket locks: few enough to be cheap, many enough not to contend. */
#define SIPALG_HOST_LOCKS 256
/* How often every host is pruned: dead entries pin 200 bytes each. */
#define SIPALG_PRUNE_INTERVAL (5 * HZ)

struct sipalg_hole {
	struct list_head node;
	struct nf_conntrack_expect *exp;	/* our reference */
};

struct sipalg_host {
	struct hlist_node node;
	struct list_head holes;		/* oldest first */
	const struct net *net;		/* NULL: its namespace is gone */
	atomic_t *net_pinholes;		/* its namespace's count, or NULL */
	union nf_inet_addr addr;	/* only the family's bytes, rest 0 */
	u16 l3num;
	u32 bucket;
	u32 n;				/* entries, live or not yet pruned */
	u32 reserved;			/* room reserved, not yet committed */
};

static struct kmem_cache *sipalg_hole_cache __read_mostly;
static struct kmem_cache *sipalg_host_cache __read_mostly;
static struct hlist_head *sipalg_hosts __read_mostly;
static unsigned int sipalg_hosts_bits __read_mostly;
static spinlock_t sipalg_host_locks[SIPALG_HOST_LOCKS];
static struct delayed_work sipalg_prune_work;
/*
 * Pinholes sipalg closed since the ledger was last pruned whole: dead
 * entries a sweep would collect. Not before sipalg_sweep_after (jiffies)
 * is the whole ledger pruned for a request unless there are that many.
 */
static atomic_t sipalg_closed = ATOMIC_INIT(0);
static unsigned long sipalg_sweep_after;
#define SIPALG_SWEEP_CLOSED 64

static spinlock_t *sipalg_bucket_lock(u32 bucket)
{
	return &sipalg_host_locks[bucket % SIPALG_HOST_LOCKS];
}

/*
 * The connection's inside endpoint: the original sender, unless the
 * connection came in (DNAT to a server inside, or through a pinhole).
 */
const union nf_inet_addr *sipalg_budget_host_of(const struct nf_conn *ct)
{
	bool in = ct->master || ((ct->status & IPS_DST_NAT) &&
				 !(ct->status & IPS_SRC_NAT));

	return &ct->tuplehash[in ? IP_CT_DIR_REPLY :
			      IP_CT_DIR_ORIGINAL].tuple.src.u3;
}

/* The host's key: its address with only the family's bytes, and bucket. */
static u32 sipalg_host_key(const struct nf_conn *ct, union nf_inet_addr *addr)
{
	const struct net *net = nf_ct_net(ct);
	u16 l3num = nf_ct_l3num(ct);

	memset(addr, 0, sizeof(*addr));
	memcpy(addr, sipalg_budget_host_of(ct),
	       l3num == NFPROTO_IPV4 ? sizeof(addr->ip) : sizeof(addr->ip6));
	return hash_32(jhash2(addr->all, ARRAY_SIZE(addr->all),
			      net_hash_mix(net) ^ l3num),
		       sipalg_hosts_bits);
}

static struct sipalg_host *sipalg_host_find(const struct net *net, u16 l3num,
					    const union nf_inet_addr *addr,
					    u32 bucket)
{
	struct sipalg_host *h;

	hlist_for_each_entry(h, &sipalg_hosts[bucket], node)
		if (h->net == net && h->l3num == l3num &&
		    nf_inet_addr_cmp(&h->addr, addr))
			return h;
	return NULL;
}

static bool sipalg_hole_live(const struct sipalg_hole *hole)
{
	/* Linked: the table holds a reference besides ours. */
	return !nf_ct_exp_is_expired(hole->exp) &&
	       refcount_read(&hole->exp->use) > 1;
}

static void sipalg_hole_drop(struct sipalg_host *h, struct sipalg_hole *hole)
{
	list_del(&hole->node);
	nf_ct_expect_put(hole->exp);
	kmem_cache_free(sipalg_hole_cache, hole);
	h->n--;
	if (h->net_pinholes)
		atomic_dec(h->net_pinholes);
}

/* Drop the host's dead entries; its bucket lock is held. */
static void sipalg_host_prune(struct sipalg_host *h)
{
	struct sipalg_hole *hole, *next;

	list_for_each_entry_safe(hole, next, &h->holes, node)
		if (!sipalg_hole_live(hole))
			sipalg_hole_drop(h, hole);
}

static unsigned int sipalg_host_live(const struct sipalg_host *h)
{
	const struct sipalg_hole *hole;
	unsigned int n = 0;

	list_for_each_entry(hole, &h->holes, node)
		n += sipalg_hole_live(hole);
	return n;
}

/* Free a host nobody uses; its bucket lock is held. */
static void sipalg_host_put_if_unused(struct sipalg_host *h)
{
	if (h->n || h->reserved)
		return;
	hlist_del(&h->node);
	kmem_cache_free(sipalg_host_cache, h);
}

static void sipalg_ticket_free(struct sipalg_budget_ticket *t)
{
	unsigned int i;

	for (i = 0; i < SIPALG_TICKET_MAX; i++) {
		if (t->hole[i])
			kmem_cache_free(sipalg_hole_cache, t->hole[i]);
		t->hole[i] = NULL;
	}
	t->host = NULL;
	t->n = 0;
}

/*
 * Drop every host's dead entries, one bucket lock at a time (none may be
 * held by the caller); may_sleep: from the worker, which may reschedule.
 */
static void sipalg_prune_buckets(bool may_sleep)
{
	struct hlist_node *tmp;
	struct sipalg_host *h;
	unsigned int b;

	atomic_set(&sipalg_closed, 0);
	for (b = 0; b < (1U << sipalg_hosts_bits); b++) {
		spin_lock_bh(sipalg_bucket_lock(b));
		hlist_for_each_entry_safe(h, tmp, &sipalg_hosts[b], node) {
			sipalg_host_prune(h);
			sipalg_host_put_if_unused(h);
		}
		spin_unlock_bh(sipalg_bucket_lock(b));
		if (may_sleep && b % SIPALG_HOST_LOCKS == SIPALG_HOST_LOCKS - 1)
			cond_resched();
	}
}

void sipalg_budget_closed(unsigned int n)
{
	atomic_add(n, &sipalg_closed);
}

/*
 * A namespace's ledger is full, and dead entries of its hosts (pinholes
 * closed or used since the last prune, up to 5 s of them) may be what
 * fills it: drop them all now, so that a refusal sees the truth. As it
 * walks the whole ledger, only when sipalg closed at least
 * SIPALG_SWEEP_CLOSED pinholes since the last walk (each walk collects
 * them), else at most once a second. No lock may be held.
 */
static void sipalg_ledger_sweep(void)
{
	unsigned long after = READ_ONCE(sipalg_sweep_after);

	if (atomic_read(&sipalg_closed) < SIPALG_SWEEP_CLOSED &&
	    time_before(jiffies, after))
		return;
	if (cmpxchg(&sipalg_sweep_after, after, jiffies + HZ) != after)
		return;	/* another CPU sweeps */
	sipalg_prune_buckets(false);
}

/*
 * Room in the namespace's ledger for n more; the host's lock is held. Each
 * namespace has max_pinholes of its own, as each has its own expectation
 * table: one (a container's, whose budgets its owner may turn off) cannot
 * take another's.
 */
static bool sipalg_ledger_take(struct sipalg_host *h, unsigned int n)
{
	atomic_t *count = h->net_pinholes;

	if (atomic_add_return(n, count) <= max_pinholes)
		return true;
	atomic_sub(n, count);
	sipalg_host_prune(h);
	if (atomic_add_return(n, count) <= max_pinholes)
		return true;
	atomic_sub(n, count);
	return false;
}

int sipalg_budget_reserve(const struct nf_conn *ct, atomic_t *net_pinholes,
			  unsigned int budget, unsigned int n,
			  unsigned int credit, struct sipalg_budget_ticket *t)
{
	const struct net *net = nf_ct_net(ct);
	u16 l3num = nf_ct_l3num(ct);
	union nf_inet_addr addr;
	struct sipalg_host *h;
	spinlock_t *lock;	/* the host's bucket's */
	unsigned int i;
	u32 bucket;
	int err = 0;

	memset(t, 0, sizeof(*t));
	if (WARN_ON_ONCE(n > SIPALG_TICKET_MAX))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		t->hole[i] = kmem_cache_alloc(sipalg_hole_cache, GFP_ATOMIC);
		if (!t->hole[i])
			goto nomem;
	}
	if (atomic_read(net_pinholes) + n > max_pinholes)
		sipalg_ledger_sweep();
	bucket = sipalg_host_key(ct, &addr);
	lock = sipalg_bucket_lock(bucket);
	spin_lock_bh(lock);
	h = sipalg_host_find(net, l3num, &addr, bucket);
	if (!h) {
		h = kmem_cache_zalloc(sipalg_host_cache, GFP_ATOMIC);
		if (!h) {
			spin_unlock_bh(lock);
			goto nomem;
		}
		INIT_LIST_HEAD(&h->holes);
		h->net = net;
		h->net_pinholes = net_pinholes;
		h->addr = addr;
		h->l3num = l3num;
		h->bucket = bucket;
		hlist_add_head(&h->node, &sipalg_hosts[bucket]);
	}
	/* Decide a refusal only on the truth: after a prune. */
	if (budget && h->n + h->reserved + n > budget + credit) {
		sipalg_host_prune(h);
		if (h->n + h->reserved + n > budget + credit)
			err = -EDQUOT;
	}
	if (!err && !sipalg_ledger_take(h, n))
		err = -ENOBUFS;
	if (!err) {
		h->reserved += n;
		t->host = h;
		t->n = n;
	} else {
		sipalg_host_put_if_unused(h);
	}
	spin_unlock_bh(lock);
	if (err)
		sipalg_ticket_free(t);
	return err;

nomem:
	sipalg_ticket_free(t);
	return -ENOMEM;
}

void sipalg_budget_commit(struct sipalg_budget_ticket *t,
			  struct nf_conntrack_expect *exp)
{
	struct sipalg_host *h = t->host;
	struct sipalg_hole *hole;
	spinlock_t *lock;	/* the host's bucket's */

	if (WARN_ON_ONCE(!h || !t->n)) {
		nf_ct_expect_put(exp);
		return;
	}
	hole = t->hole[--t->n];
	t->hole[t->n] = NULL;
	hole->exp = exp;
	lock = sipalg_bucket_lock(h->bucket);
	spin_lock_bh(lock);
	list_add_tail(&hole->node, &h->holes);
	h->reserved--;
	h->n++;
	spin_unlock_bh(lock);
}

void sipalg_budget_cancel(struct sipalg_budget_ticket *t)
{
	struct sipalg_host *h = t->host;
	spinlock_t *lock;	/* the host's bucket's */

	/*
	 * All committed: the ticket reserves nothing that keeps the host, and
	 * a prune on another CPU may have freed it since.
	 */
	if (!h || !t->n) {
		sipalg_ticket_free(t);
		return;
	}
	lock = sipalg_bucket_lock(h->bucket);
	spin_lock_bh(lock);
	h->reserved -= t->n;
	if (h->net_pinholes)
		atomic_sub(t->n, h->net_pinholes);
	sipalg_host_put_if_unused(h);
	spin_unlock_bh(lock);
	sipalg_ticket_free(t);
}

unsigned int sipalg_budget_host_count(const struct nf_conn *ct)
{
	union nf_inet_addr addr;
	struct sipalg_host *h;
	unsigned int n = 0;
	spinlock_t *lock;	/* the host's bucket's */
	u32 bucket;

	bucket = sipalg_host_key(ct, &addr);
	lock = sipalg_bucket_lock(bucket);
	spin_lock_bh(lock);
	h = sipalg_host_find(nf_ct_net(ct), nf_ct_l3num(ct), &addr, bucket);
	if (h)
		n = sipalg_host_live(h);
	spin_unlock_bh(lock);
	return n;
}

void sipalg_budget_stats(const struct net *net, struct sipalg_budget_stats *st)
{
	unsigned int b, live;
	struct sipalg_host *h;

	memset(st, 0, sizeof(*st));
	for (b = 0; b < (1U << sipalg_hosts_bits); b++) {
		spin_lock_bh(sipalg_bucket_lock(b));
		hlist_for_each_entry(h, &sipalg_hosts[b], node) {
			if (h->net != net)
				continue;
			live = sipalg_host_live(h);
			st->pinholes += live;
			st->hosts += live > 0;
			st->host_max = max(st->host_max, live);
		}
		spin_unlock_bh(sipalg_bucket_lock(b));
		if (b % SIPALG_HOST_LOCKS == SIPALG_HOST_LOCKS - 1)
			cond_resched();
	}
}

unsigned int sipalg_budget_max(void)
{
	return max_pinholes;
}

/* Drop every entry of the hosts net (NULL: all) matches. */
static void sipalg_budget_drop(const struct net *net, bool all)
{
	struct sipalg_hole *hole, *next;
	struct hlist_node *tmp;
	struct sipalg_host *h;
	unsigned int b;

	for (b = 0; b < (1U << sipalg_hosts_bits); b++) {
		spin_lock_bh(sipalg_bucket_lock(b));
		hlist_for_each_entry_safe(h, tmp, &sipalg_hosts[b], node) {
			if (!all && h->net != net)
				continue;
			list_for_each_entry_safe(hole, next, &h->holes, node)
				sipalg_hole_drop(h, hole);
			h->net = NULL;
			h->net_pinholes = NULL;
			sipalg_host_put_if_unused(h);
		}
		spin_unlock_bh(sipalg_bucket_lock(b));
		if (b % SIPALG_HOST_LOCKS == SIPALG_HOST_LOCKS - 1)
			cond_resched();
	}
}

void sipalg_budget_net_exit(const struct net *net)
{
	sipalg_budget_drop(net, false);
}

static void sipalg_prune_all(struct work_struct *work)
{
	sipalg_prune_buckets(true);
	queue_delayed_work(system_power_efficient_wq, &sipalg_prune_work,
			   SIPALG_PRUNE_INTERVAL);
}

int sipalg_budget_init(void)
{
	unsigned int i;

	if (max_pinholes < SIPALG_PINHOLES_MIN ||
	    max_pinholes > SIPALG_PINHOLES_MAX) {
		pr_err("invalid module parameter: max_pinholes: allowed "
		       __stringify(SIPALG_PINHOLES_MIN) ".."
		       __stringify(SIPALG_PINHOLES_MAX) "\n");
		return -EINVAL;
	}
	/* About 8 pinholes per host at the most: a bucket per 8, >= 256. */
	sipalg_hosts_bits = max(8, ilog2(roundup_pow_of_two(max_pinholes / 8)));
	sipalg_hosts = kvcalloc(1U << sipalg_hosts_bits, sizeof(*sipalg_hosts),
				GFP_KERNEL);
	if (!sipalg_hosts)
		return -ENOMEM;
	for (i = 0; i < SIPALG_HOST_LOCKS; i++)
		spin_lock_init(&sipalg_host_locks[i]);
	sipalg_hole_cache = KMEM_CACHE(sipalg_hole, 0);
	sipalg_host_cache = KMEM_CACHE(sipalg_host, 0);
	if (!sipalg_hole_cache || !sipalg_host_cache) {
		kmem_cache_destroy(sipalg_hole_cache);
		kmem_cache_destroy(sipalg_host_cache);
		kvfree(sipalg_hosts);
		return -ENOMEM;
	}
	sipalg_sweep_after = jiffies;
	INIT_DELAYED_WORK(&sipalg_prune_work, sipalg_prune_all);
	queue_delayed_work(system_power_efficient_wq, &sipalg_prune_work,
			   SIPALG_PRUNE_INTERVAL);
	return 0;
}

/* After the helpers are gone: every pinhole is unlinked, only refs remain. */
void sipalg_budget_exit(void)
{
	cancel_delayed_work_sync(&sipalg_prune_work);
	sipalg_budget_drop(NULL, true);
	kmem_cache_destroy(sipalg_hole_cache);
	kmem_cache_destroy(sipalg_host_cache);
	kvfree(sipalg_hosts);
}
