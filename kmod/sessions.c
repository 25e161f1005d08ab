// SPDX-License-Identifier: GPL-2.0
/*
 * What each signalling connection is doing, for `sipalg connections`: its
 * registrations (address of record, state, time left) and its calls
 * (Call-ID, state). The core decides what a message does to them
 * (sipalg_decide()'s session op); this table only remembers it, and
 * nothing the ALG decides depends on it.
 *
 * A call's entry also keeps the media addresses each side's SDP named
 * (direct media: who may send into the other side's pinholes). That is
 * the one thing the ALG reads back from here; an entry reused meanwhile
 * means "not known", and the pinholes then admit anyone, as the core's
 * rules say for an address not known.
 *
 * The packet path must not allocate and hostile traffic must not make the
 * state grow: every entry is allocated once, when the module loads
 * (max_sessions of them, shared by all network namespaces). The table is
 * cut into shards, each with its own lock, entries, free list and LRU; a
 * connection's sessions all live in the shard its token picks, so the
 * packet path takes one shard's lock, never a global one, and one
 * connection's flood can only reuse its own shard's entries. When a shard
 * is full, its least recently updated entry is reused and the namespace
 * that needed it counts sessions_evicted.
 *
 * An entry names its connection by a token kept in the helper's
 * per-conntrack data, never by a pointer: the conntrack's destroy callback
 * frees its entries, and an entry whose conntrack vanished unseen (one
 * dropped before it was confirmed) cannot be shown under another
 * conntrack; it just waits to be reused.
 */
#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>

#include <sipalg/uapi.h>

#include "counters.h"
#include "helper.h"
#include "sessions.h"
#include "xlat.h"

static unsigned int max_sessions = 4096;
module_param(max_sessions, uint, 0444);
MODULE_PARM_DESC(max_sessions,
		 "registrations and calls remembered for display, all namespaces together (64..1048576, default 4096)");

#define SIPALG_SESSIONS_MIN 64
#define SIPALG_SESSIONS_MAX 1048576
/* Entries per shard, at least: a shard per 256 entries, up to 64. */
#define SIPALG_SHARD_MIN 256
#define SIPALG_SHARDS_MAX 64

struct sipalg_session {
	struct hlist_node by_key;
	struct hlist_node by_conn;
	struct list_head lru;		/* on its shard's lru when used */
	u32 conn;			/* its connection's token; 0: free */
	u32 key;			/* the core's hash of the Call-ID or AOR */
	u32 netns;			/* its namespace's inode number */
	u8 kind;			/* enum sipalg_session_kind */
	u8 state;			/* enum sipalg_session_state */
	u8 dir;				/* who began it: IP_CT_DIR_* */
	u8 id_len;
	u8 named_known;			/* bit per side (1: inside) */
	u8 named_n[2];			/* per side: how many in named[] */
	unsigned long since;		/* jiffies: the state began */
	unsigned long expires;		/* jiffies: a registration ends */
	union nf_inet_addr named[2][SIPALG_MAX_NAMED];	/* calls, per side */
	char id[SIPALG_SESSION_ID_MAX];
};

struct sipalg_shard {
	spinlock_t lock;		/* guards all of the shard */
	struct list_head lru;		/* least recently updated first */
	struct list_head free;
	struct hlist_head *by_key, *by_conn;
	unsigned int bits;		/* log2 of the buckets */
};

static struct sipalg_session *sessions;
static struct sipalg_shard *shards;
static struct hlist_head *buckets;
static unsigned int nshards;
static atomic_t sessions_next_token;

unsigned int sipalg_sessions_max(void)
{
	return max_sessions;
}

int sipalg_sessions_init(void)
{
	unsigned int i, per, nb;

	if (max_sessions < SIPALG_SESSIONS_MIN ||
	    max_sessions > SIPALG_SESSIONS_MAX) {
		pr_err("sipalg: max_sessions=%u, allowed %u..%u\n",
		       max_sessions, SIPALG_SESSIONS_MIN, SIPALG_SESSIONS_MAX);
		return -EINVAL;
	}
	nshards = clamp_t(unsigned int,
			  rounddown_pow_of_two(max_sessions / SIPALG_SHARD_MIN ?: 1),
			  1, SIPALG_SHARDS_MAX);
	per = DIV_ROUND_UP(max_sessions, nshards);
	nb = roundup_pow_of_two(per);
	sessions = kvcalloc(max_sessions, sizeof(*sessions), GFP_KERNEL);
	shards = kvcalloc(nshards, sizeof(*shards), GFP_KERNEL);
	buckets = kvcalloc(2 * nb * nshards, sizeof(*buckets), GFP_KERNEL);
	if (!sessions || !shards || !buckets) {
		sipalg_sessions_exit();
		return -ENOMEM;
	}
	for (i = 0; i < nshards; i++) {
		spin_lock_init(&shards[i].lock);
		INIT_LIST_HEAD(&shards[i].lru);
		INIT_LIST_HEAD(&shards[i].free);
		shards[i].by_key = buckets + 2 * nb * i;
		shards[i].by_conn = shards[i].by_key + nb;
		shards[i].bits = ilog2(nb);
	}
	/* Entries dealt out in turn: the shards differ by one at most. */
	for (i = 0; i < max_sessions; i++)
		list_add_tail(&sessions[i].lru, &shards[i % nshards].free);
	return 0;
}

/* After the helpers are gone: no destroy callback can run any more. */
void sipalg_sessions_exit(void)
{
	kvfree(buckets);
	kvfree(shards);
	kvfree(sessions);
	buckets = NULL;
	shards = NULL;
	sessions = NULL;
}

/* The connection's token; a new one (never 0) if it has none and create. */
static u32 sipalg_conn_token(struct nf_conn *ct, bool create)
{
	struct sipalg_help_data *data = nfct_help_data(ct);
	u32 token;

	if (!data)
		return 0;
	token = READ_ONCE(data->token);
	if (token || !create)
		return token;
	spin_lock_bh(&ct->lock);
	token = data->token;
	while (!token)
		token = (u32)atomic_inc_return(&sessions_next_token);
	WRITE_ONCE(data->token, token);
	spin_unlock_bh(&ct->lock);
	return token;
}

static struct sipalg_shard *sipalg_shard_of(u32 conn)
{
	return &shards[hash_32(conn, 16) & (nshards - 1)];
}

static struct hlist_head *sipalg_key_bucket(struct sipalg_shard *sh, u32 conn,
					    u8 kind, u32 key)
{
	return &sh->by_key[jhash_3words(conn, key, kind, 0) &
			   ((1U << sh->bits) - 1)];
}

static struct hlist_head *sipalg_conn_bucket(struct sipalg_shard *sh, u32 conn)
{
	return &sh->by_conn[hash_32(conn, sh->bits)];
}

/* Under the shard's lock. */
static struct sipalg_session *sipalg_session_find(struct sipalg_shard *sh,
						  u32 conn, u8 kind, u32 key)
{
	struct sipalg_session *s;

	hlist_for_each_entry(s, sipalg_key_bucket(sh, conn, kind, key), by_key)
		if (s->conn == conn && s->key == key && s->kind == kind)
			return s;
	return NULL;
}

/* Under the shard's lock. */
static void sipalg_session_free(struct sipalg_shard *sh,
				struct sipalg_session *s)
{
	hlist_del(&s->by_key);
	hlist_del(&s->by_conn);
	s->conn = 0;
	list_move(&s->lru, &sh->free);
}

/*
 * Under the shard's lock: a new entry, from the free list or else the
 * least recently updated one (*evicted is then set).
 */
static struct sipalg_session *sipalg_session_new(struct sipalg_shard *sh,
						 u32 conn, u8 kind, u32 key,
						 const unsigned char *id,
						 unsigned int len, u8 dir,
						 u32 netns, bool *evicted)
{
	struct sipalg_session *s;

	if (!list_empty(&sh->free)) {
		s = list_first_entry(&sh->free, struct sipalg_session, lru);
	} else {
		s = list_first_entry(&sh->lru, struct sipalg_session, lru);
		hlist_del(&s->by_key);
		hlist_del(&s->by_conn);
		*evicted = true;
	}
	s->conn = conn;
	s->key = key;
	s->kind = kind;
	s->dir = dir;
	s->netns = netns;
	s->state = 0;
	s->named_known = 0;
	s->since = jiffies;
	s->expires = 0;
	s->id_len = min_t(unsigned int, len, SIPALG_SESSION_ID_MAX);
	memcpy(s->id, id, s->id_len);
	hlist_add_head(&s->by_key, sipalg_key_bucket(sh, conn, kind, key));
	hlist_add_head(&s->by_conn, sipalg_conn_bucket(sh, conn));
	list_move_tail(&s->lru, &sh->lru);
	return s;
}

static void sipalg_session_set(struct sipalg_shard *sh,
			       struct sipalg_session *s, u8 state)
{
	if (s->state != state) {
		s->state = state;
		s->since = jiffies;
	}
	/* Most recent already (a dialog's messages come in runs)? */
	if (!list_is_last(&s->lru, &sh->lru))
		list_move_tail(&s->lru, &sh->lru);
}

static unsigned long sipalg_deadline(u32 seconds)
{
	return jiffies + min_t(u32, seconds, SIPALG_TIMEOUT_MAX) * HZ;
}

/* Under the shard's lock: the decision's session op, as it reads. */
static void sipalg_session_apply(struct sipalg_shard *sh,
				 struct sipalg_session *s,
				 const struct sipalg_decision *dec)
{
	switch (dec->session) {
	case SIPALG_SESS_CALL:
		sipalg_session_set(sh, s, dec->call_state);
		break;
	case SIPALG_SESS_REG_ASK:
		if (s->state != SIPALG_STATE_REGISTERED) {
			sipalg_session_set(sh, s, SIPALG_STATE_REGISTERING);
			s->expires = sipalg_deadline(dec->session_seconds);
		} else {
			sipalg_session_set(sh, s, s->state);
		}
		break;
	case SIPALG_SESS_REG_GRANT:
		sipalg_session_set(sh, s, SIPALG_STATE_REGISTERED);
		s->expires = sipalg_deadline(dec->session_seconds);
		break;
	case SIPALG_SESS_REG_FAIL:
		if (s->state == SIPALG_STATE_REGISTERING)
			sipalg_session_free(sh, s);
		break;
	default:	/* the ends */
		sipalg_session_free(sh, s);
		break;
	}
}

/*
 * Under the shard's lock, for a call's live entry: keep what this side's
 * SDP named; tell what the other side's named (-1: nothing yet).
 */
static int sipalg_session_named(struct sipalg_session *s, struct nf_conn *ct,
				const struct sipalg_decision *dec,
				bool from_inside, union nf_inet_addr *named)
{
	bool other = !from_inside;
	unsigned int i, n = 0;

	if (dec->actions & SIPALG_DO_SET_OTHERS) {
		for (i = 0; i < dec->n_named; i++)
			if (sipalg_addr_to(&s->named[from_inside][n],
					   &dec->named[i], nf_ct_l3num(ct)))
				n++;
		s->named_n[from_inside] = n;
		s->named_known |= BIT(from_inside);
	}
	if (dec->admit != SIPALG_ADMIT_PEER_NAMED ||
	    !(s->named_known & BIT(other)))
		return -1;
	memcpy(named, s->named[other], s->named_n[other] * sizeof(*named));
	return s->named_n[other];
}

int sipalg_sessions_update(struct nf_conn *ct, enum ip_conntrack_dir dir,
			   const unsigned char *buf,
			   const struct sipalg_decision *dec,
			   union nf_inet_addr *named, struct sipalg_net *sn)
{
	const struct sipalg_span *id = &dec->session_id;
	bool media = (dec->actions & SIPALG_DO_SET_OTHERS) ||
		     dec->admit == SIPALG_ADMIT_PEER_NAMED;
	struct sipalg_session *s;
	struct sipalg_shard *sh;
	bool evicted = false;
	u32 conn, key;
	int n = -1;
	u8 kind;

	/* The core's call states are the uapi's session states. */
	BUILD_BUG_ON((int)SIPALG_CALL_CALLING != (int)SIPALG_STATE_CALLING ||
		     (int)SIPALG_CALL_RINGING != (int)SIPALG_STATE_RINGING ||
		     (int)SIPALG_CALL_ESTABLISHED !=
		     (int)SIPALG_STATE_ESTABLISHED ||
		     (int)SIPALG_CALL_HELD != (int)SIPALG_STATE_HELD);
	if ((dec->session == SIPALG_SESS_NONE && !media) || !id->len)
		return -1;
	/* SIPALG_SESS_NONE with media: a call's SDP, nothing to show. */
	kind = dec->session <= SIPALG_SESS_CALL_END ?
	       SIPALG_SESSION_CALL : SIPALG_SESSION_REGISTRATION;
	conn = sipalg_conn_token(ct, dec->session_create);
	if (!conn)
		return -1;
	key = dec->session_key;	/* the core hashed the id */
	sh = sipalg_shard_of(conn);

	/* (Bottom halves are off: the _bh pair would only add a call.) */
	spin_lock(&sh->lock);
	s = sipalg_session_find(sh, conn, kind, key);
	if (!s && dec->session_create)
		s = sipalg_session_new(sh, conn, kind, key, buf + id->off,
				       id->len, dir, nf_ct_net(ct)->ns.inum,
				       &evicted);
	if (s && dec->session != SIPALG_SESS_NONE)
		sipalg_session_apply(sh, s, dec);
	/* An end frees the entry: its conn is 0 then. */
	if (s && s->conn == conn && media)
		n = sipalg_session_named(s, ct, dec, sipalg_from_inside(ct, dir),
					 named);
	spin_unlock(&sh->lock);
	if (evicted)
		sipalg_count(sn, SIPALG_CTR_SESSIONS_EVICTED);
	return n;
}

void sipalg_sessions_forget(struct nf_conn *ct)
{
	struct sipalg_session *s;
	struct hlist_node *next;
	struct sipalg_shard *sh;
	u32 conn = sipalg_conn_token(ct, false);

	if (!conn)
		return;
	sh = sipalg_shard_of(conn);
	spin_lock_bh(&sh->lock);
	hlist_for_each_entry_safe(s, next, sipalg_conn_bucket(sh, conn),
				  by_conn)
		if (s->conn == conn)
			sipalg_session_free(sh, s);
	spin_unlock_bh(&sh->lock);
}

/* How many entries the namespace has in use (the control plane's count). */
unsigned int sipalg_sessions_count(const struct net *net)
{
	unsigned int k, i, n = 0;

	/* Entry i stays in shard i % nshards for good: one lock per shard. */
	for (k = 0; k < nshards; k++) {
		spin_lock_bh(&shards[k].lock);
		for (i = k; i < max_sessions; i += nshards)
			if (sessions[i].conn && sessions[i].netns == net->ns.inum)
				n++;
		spin_unlock_bh(&shards[k].lock);
	}
	return n;
}

int sipalg_sessions_for_each(struct nf_conn *ct,
			     int (*fn)(const struct sipalg_session_info *s,
				       void *arg),
			     void *arg)
{
	struct sipalg_session_info info;
	struct sipalg_session *s;
	struct sipalg_shard *sh;
	u32 conn = sipalg_conn_token(ct, false);
	int err = 0;

	if (!conn)
		return 0;
	sh = sipalg_shard_of(conn);
	spin_lock_bh(&sh->lock);
	hlist_for_each_entry(s, sipalg_conn_bucket(sh, conn), by_conn) {
		if (s->conn != conn)
			continue;
		/* A registration that ran out without a word. */
		if (s->kind == SIPALG_SESSION_REGISTRATION &&
		    time_after_eq(jiffies, s->expires))
			continue;
		info.kind = s->kind;
		info.state = s->state;
		info.outgoing = s->dir == (sipalg_from_inside(ct, IP_CT_DIR_ORIGINAL) ?
					   IP_CT_DIR_ORIGINAL : IP_CT_DIR_REPLY);
		info.age = (jiffies - s->since) / HZ;
		info.expires = s->kind == SIPALG_SESSION_REGISTRATION ?
			       (s->expires - jiffies) / HZ : 0;
		memcpy(info.id, s->id, s->id_len);
		info.id[s->id_len] = '\0';
		err = fn(&info, arg);
		if (err)
			break;
	}
	spin_unlock_bh(&sh->lock);
	return err;
}
