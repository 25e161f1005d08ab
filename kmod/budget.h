/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pinhole budgets: the ledger of every pinhole sipalg opened, by the inside
 * host it was opened for, so that one host cannot take the whole
 * expectation table.
 */
#ifndef SIPALG_BUDGET_H
#define SIPALG_BUDGET_H

#include <linux/types.h>
#include <net/net_namespace.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_expect.h>

struct sipalg_host;
struct sipalg_hole;

/* Pinholes one request may open at once: a stream's pair, a narrowed group. */
#define SIPALG_TICKET_MAX 4

/*
 * Room reserved for up to n pinholes of one host (sipalg_budget_reserve()),
 * used by sipalg_budget_commit() and given back by sipalg_budget_cancel().
 */
struct sipalg_budget_ticket {
	struct sipalg_host *host;
	unsigned int n;
	struct sipalg_hole *hole[SIPALG_TICKET_MAX];
};

/* The inside host a connection's pinholes are charged to. */
const union nf_inet_addr *sipalg_budget_host_of(const struct nf_conn *ct);

/*
 * Reserve room for n (<= SIPALG_TICKET_MAX) new pinholes of ct's host,
 * credit of which replace pinholes about to close. net_pinholes: the
 * count of ct's namespace, which must outlive its hosts (until
 * sipalg_budget_net_exit()). budget 0: no limit per host. 0, -EDQUOT (the
 * host's budget), -ENOBUFS (the namespace's ledger is full: max_pinholes)
 * or -ENOMEM.
 */
int sipalg_budget_reserve(const struct nf_conn *ct, atomic_t *net_pinholes,
			  unsigned int budget, unsigned int n,
			  unsigned int credit, struct sipalg_budget_ticket *t);
/* An opened pinhole; the ledger takes over the caller's reference. */
void sipalg_budget_commit(struct sipalg_budget_ticket *t,
			  struct nf_conntrack_expect *exp);
/* Give back what was reserved and not committed. */
void sipalg_budget_cancel(struct sipalg_budget_ticket *t);
/* sipalg closed n of its pinholes: their entries are dead. */
void sipalg_budget_closed(unsigned int n);

/* Live pinholes of ct's host. */
unsigned int sipalg_budget_host_count(const struct nf_conn *ct);

struct sipalg_budget_stats {
	unsigned int pinholes;	/* live ledger entries of the namespace */
	unsigned int hosts;	/* hosts with entries */
	unsigned int host_max;	/* the largest host's live pinholes */
};

void sipalg_budget_stats(const struct net *net,
			 struct sipalg_budget_stats *st);
unsigned int sipalg_budget_max(void);

void sipalg_budget_net_exit(const struct net *net);
int sipalg_budget_init(void);
void sipalg_budget_exit(void);

#endif /* SIPALG_BUDGET_H */
