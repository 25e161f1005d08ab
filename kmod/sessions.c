// SPDX-License-Identifier: GPL-2.0
/*
 * What each signalling connection is doing, for `sipalg connections`: its
 * registrations (address of record, state, time left) and its calls
 * (Call-ID, state). Nothing the ALG decides depends on this table; it is
 * there so that an operator can see what the phones behind the router do.
 *
 * The packet path must not allocate and hostile traffic must not make the
 * state grow: every entry is allocated once, when the module loads
 * (max_sessions of them, shared by all network namespaces). When all are
 * in use, the least recently updated one is reused and the namespace that
 * needed it counts sessions_evicted.
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
#include <net/genetlink.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>

#include "sipalg.h"

static unsigned int max_sessions = 4096;
module_param(max_sessions, uint, 0444);
MODULE_PARM_DESC(max_sessions,
		 "registrations and calls remembered for display, all namespaces together (64..65536, default 4096)");

#define SIPALG_SESSIONS_MIN 64
#define SIPALG_SESSIONS_MAX 65536
#define SIPALG_SESSION_ID_MAX 96	/* bytes of Call-ID or AOR kept */

struct sipalg_session {
	struct hlist_node by_key;
	struct hlist_node by_conn;
	struct list_head lru;		/* on sessions_lru when used */
	u32 conn;			/* its connection's token; 0: free */
	u32 key;			/* hash of the whole Call-ID or AOR */
	u32 netns;			/* its namespace's inode number */
	u8 kind;			/* enum sipalg_session_kind */
	u8 state;			/* enum sipalg_session_state */
	u8 dir;				/* who began it: IP_CT_DIR_* */
	u8 id_len;
	unsigned long since;		/* jiffies: the state began */
	unsigned long expires;		/* jiffies: a registration ends */
	char id[SIPALG_SESSION_ID_MAX];
};

static struct sipalg_session *sessions;
static struct hlist_head *sessions_by_key, *sessions_by_conn;
static unsigned int sessions_hash_bits;
static LIST_HEAD(sessions_lru);		/* least recently updated first */
static LIST_HEAD(sessions_free);
static DEFINE_SPINLOCK(sessions_lock);
static atomic_t sessions_next_token;

unsigned int sipalg_sessions_max(void)
{
	return max_sessions;
}

int sipalg_sessions_init(void)
{
	unsigned int i, buckets;

	if (max_sessions < SIPALG_SESSIONS_MIN ||
	    max_sessions > SIPALG_SESSIONS_MAX) {
		pr_err("sipalg: max_sessions=%u, allowed %u..%u\n",
		       max_sessions, SIPALG_SESSIONS_MIN, SIPALG_SESSIONS_MAX);
		return -EINVAL;
	}
	buckets = roundup_pow_of_two(max_sessions);
	sessions_hash_bits = ilog2(buckets);
	sessions = kvcalloc(max_sessions, sizeof(*sessions), GFP_KERNEL);
	sessions_by_key = kvcalloc(buckets, sizeof(*sessions_by_key),
				   GFP_KERNEL);
	sessions_by_conn = kvcalloc(buckets, sizeof(*sessions_by_conn),
				    GFP_KERNEL);
	if (!sessions || !sessions_by_key || !sessions_by_conn) {
		sipalg_sessions_exit();
		return -ENOMEM;
	}
	for (i = 0; i < max_sessions; i++)
		list_add_tail(&sessions[i].lru, &sessions_free);
	return 0;
}

/* After the helpers are gone: no destroy callback can run any more. */
void sipalg_sessions_exit(void)
{
	kvfree(sessions_by_conn);
	kvfree(sessions_by_key);
	kvfree(sessions);
	sessions = NULL;
	sessions_by_key = NULL;
	sessions_by_conn = NULL;
	INIT_LIST_HEAD(&sessions_lru);
	INIT_LIST_HEAD(&sessions_free);
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
	data->token = token;
	spin_unlock_bh(&ct->lock);
	return token;
}

static struct hlist_head *sipalg_key_bucket(u32 conn, u8 kind, u32 key)
{
	return &sessions_by_key[jhash_3words(conn, key, kind, 0) &
				((1U << sessions_hash_bits) - 1)];
}

static struct hlist_head *sipalg_conn_bucket(u32 conn)
{
	return &sessions_by_conn[hash_32(conn, sessions_hash_bits)];
}

/* Under sessions_lock. */
static struct sipalg_session *sipalg_session_find(u32 conn, u8 kind, u32 key)
{
	struct sipalg_session *s;

	hlist_for_each_entry(s, sipalg_key_bucket(conn, kind, key), by_key)
		if (s->conn == conn && s->key == key && s->kind == kind)
			return s;
	return NULL;
}

/* Under sessions_lock. */
static void sipalg_session_free(struct sipalg_session *s)
{
	hlist_del(&s->by_key);
	hlist_del(&s->by_conn);
	s->conn = 0;
	list_move(&s->lru, &sessions_free);
}

/*
 * Under sessions_lock: a new entry, from the free list or else the least
 * recently updated one (*evicted is then set).
 */
static struct sipalg_session *sipalg_session_new(u32 conn, u8 kind, u32 key,
						 const unsigned char *id,
						 unsigned int len, u8 dir,
						 u32 netns, bool *evicted)
{
	struct sipalg_session *s;

	if (!list_empty(&sessions_free)) {
		s = list_first_entry(&sessions_free, struct sipalg_session,
				     lru);
	} else {
		s = list_first_entry(&sessions_lru, struct sipalg_session, lru);
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
	s->expires = 0;
	s->id_len = min_t(unsigned int, len, SIPALG_SESSION_ID_MAX);
	memcpy(s->id, id, s->id_len);
	hlist_add_head(&s->by_key, sipalg_key_bucket(conn, kind, key));
	hlist_add_head(&s->by_conn, sipalg_conn_bucket(conn));
	list_move_tail(&s->lru, &sessions_lru);
	return s;
}

static void sipalg_session_set(struct sipalg_session *s, u8 state)
{
	if (s->state != state) {
		s->state = state;
		s->since = jiffies;
	}
	list_move_tail(&s->lru, &sessions_lru);
}

/* ---- registrations ---- */

/* How long a REGISTER asks for; false if it only fetches the bindings. */
static bool sipalg_register_seconds(const struct sipalg_msg *msg, u32 *seconds)
{
	if (!msg->n_contacts)
		return false;
	if (msg->contacts[0].flags & SIPALG_CONTACT_STAR)
		*seconds = 0;
	else
		*seconds = sipalg_contact_expires(msg, &msg->contacts[0]);
	return true;
}

/*
 * How long a registrar's 2xx grants: its binding for the phone's public
 * address (the one this connection's NAT gives it), else its Expires
 * header. false: the answer does not say.
 */
static bool sipalg_granted_seconds(const struct nf_conn *ct,
				   enum ip_conntrack_dir dir,
				   const struct sipalg_msg *msg, u32 *seconds)
{
	const union nf_inet_addr *phone = &ct->tuplehash[dir].tuple.dst.u3;
	unsigned int i;

	for (i = 0; i < msg->n_contacts; i++) {
		const struct sipalg_contact *c = &msg->contacts[i];

		if (c->ref >= 0 &&
		    sipalg_addr_equals(&msg->refs[c->ref].addr, phone,
				       nf_ct_l3num(ct))) {
			*seconds = sipalg_contact_expires(msg, c);
			return true;
		}
	}
	if (msg->flags & SIPALG_MSGF_EXPIRES) {
		*seconds = msg->expires;
		return true;
	}
	return false;
}

static unsigned long sipalg_deadline(u32 seconds)
{
	return jiffies + min_t(u32, seconds, SIPALG_TIMEOUT_MAX) * HZ;
}

/* Under sessions_lock. */
static void sipalg_track_registration(struct sipalg_session *s,
				      struct nf_conn *ct,
				      enum ip_conntrack_dir dir,
				      const struct sipalg_msg *msg)
{
	u32 seconds;

	if (msg->kind == SIPALG_KIND_REQUEST) {
		if (!sipalg_register_seconds(msg, &seconds))
			return;
		if (!seconds) {
			sipalg_session_free(s);
			return;
		}
		/* A refresh leaves a registration registered. */
		if (s->state != SIPALG_STATE_REGISTERED) {
			sipalg_session_set(s, SIPALG_STATE_REGISTERING);
			s->expires = sipalg_deadline(seconds);
		} else {
			sipalg_session_set(s, s->state);
		}
		return;
	}
	if (msg->status < 200 || msg->status == 401 || msg->status == 407)
		return;		/* provisional, or a challenge: still asking */
	if (msg->status >= 300) {
		/* Refused; a failed refresh leaves the binding as it was. */
		if (s->state == SIPALG_STATE_REGISTERING)
			sipalg_session_free(s);
		return;
	}
	if (sipalg_granted_seconds(ct, dir, msg, &seconds)) {
		if (!seconds) {
			sipalg_session_free(s);
			return;
		}
		s->expires = sipalg_deadline(seconds);
	}
	sipalg_session_set(s, SIPALG_STATE_REGISTERED);
}

/* ---- calls ---- */

/* SDP putting every stream on hold: none both sends and receives. */
static bool sipalg_sdp_holds(const struct sipalg_msg *msg)
{
	unsigned int i, live = 0;

	for (i = 0; i < msg->n_media; i++) {
		const struct sipalg_media *m = &msg->media[i];
		static const unsigned char zero[16];
		bool null_addr = (m->addr.family == 4 &&
				  !memcmp(m->addr.a, zero, 4)) ||
				 (m->addr.family == 6 &&
				  !memcmp(m->addr.a, zero, 16));

		if (!m->port)
			continue;	/* a rejected stream */
		live++;
		if (m->dir == SIPALG_DIR_SENDRECV && !null_addr)
			return false;
	}
	return live > 0;
}

static bool sipalg_call_answered(const struct sipalg_session *s)
{
	return s->state == SIPALG_STATE_ESTABLISHED ||
	       s->state == SIPALG_STATE_HELD;
}

/* Under sessions_lock. */
static void sipalg_track_call(struct sipalg_session *s,
			      const struct sipalg_msg *msg)
{
	bool sdp = msg->flags & SIPALG_MSGF_SDP;

	/*
	 * Hold (RFC 3264 8.4, RFC 6337 5.3): an offer in a re-INVITE whose
	 * streams all stop sending or receiving; resumed by one that
	 * sends and receives again.
	 */
	if (msg->kind == SIPALG_KIND_REQUEST) {
		switch (msg->method) {
		case SIPALG_M_INVITE:
			if (!s->state)
				sipalg_session_set(s, SIPALG_STATE_CALLING);
			else if (sipalg_call_answered(s) && sdp)
				sipalg_session_set(s, sipalg_sdp_holds(msg) ?
						   SIPALG_STATE_HELD :
						   SIPALG_STATE_ESTABLISHED);
			else
				sipalg_session_set(s, s->state);
			break;
		case SIPALG_M_BYE:
			sipalg_session_free(s);
			break;
		case SIPALG_M_CANCEL:
			if (!sipalg_call_answered(s))
				sipalg_session_free(s);
			break;
		}
		return;
	}
	/* Answers to an INVITE. */
	if (msg->status < 200) {
		if (msg->status > 100 && s->state == SIPALG_STATE_CALLING)
			sipalg_session_set(s, SIPALG_STATE_RINGING);
	} else if (msg->status < 300) {
		/* A re-INVITE's offer said whether it holds; not its answer. */
		if (!sipalg_call_answered(s))
			sipalg_session_set(s, sdp && sipalg_sdp_holds(msg) ?
					   SIPALG_STATE_HELD :
					   SIPALG_STATE_ESTABLISHED);
		else
			sipalg_session_set(s, s->state);
	} else if (!sipalg_call_answered(s)) {
		sipalg_session_free(s);	/* a failed re-INVITE ends nothing */
	}
}

/*
 * A parsed message of ct: update its registration (REGISTER and the
 * answers to it) or its call (INVITE, BYE, CANCEL, answers to an INVITE).
 * Only an INVITE or a REGISTER creates an entry.
 */
void sipalg_sessions_track(struct nf_conn *ct, enum ip_conntrack_info ctinfo,
			   const unsigned char *buf,
			   const struct sipalg_msg *msg, struct sipalg_net *sn)
{
	bool request = msg->kind == SIPALG_KIND_REQUEST;
	u8 method = request ? msg->method : msg->cseq_method;
	bool creates = request && (method == SIPALG_M_INVITE ||
				   method == SIPALG_M_REGISTER);
	const struct sipalg_span *id;
	struct sipalg_session *s;
	bool evicted = false;
	u8 kind;
	u32 conn, key;

	switch (method) {
	case SIPALG_M_REGISTER:
		kind = SIPALG_SESSION_REGISTRATION;
		id = &msg->to_uri;
		break;
	case SIPALG_M_INVITE:
	case SIPALG_M_BYE:
	case SIPALG_M_CANCEL:
		if (!request && method != SIPALG_M_INVITE)
			return;
		kind = SIPALG_SESSION_CALL;
		id = &msg->call_id;
		break;
	default:
		return;
	}
	conn = sipalg_conn_token(ct, creates);
	if (!conn || !id->len)
		return;
	key = jhash(buf + id->off, id->len, kind);

	spin_lock_bh(&sessions_lock);
	s = sipalg_session_find(conn, kind, key);
	if (!s && creates)
		s = sipalg_session_new(conn, kind, key, buf + id->off, id->len,
				       CTINFO2DIR(ctinfo),
				       nf_ct_net(ct)->ns.inum, &evicted);
	if (s) {
		if (kind == SIPALG_SESSION_REGISTRATION)
			sipalg_track_registration(s, ct, CTINFO2DIR(ctinfo),
						  msg);
		else
			sipalg_track_call(s, msg);
		/* A request that created nothing lasting (Expires 0). */
		if (!s->state && s->conn)
			sipalg_session_free(s);
	}
	spin_unlock_bh(&sessions_lock);
	if (evicted)
		sipalg_count(sn, SIPALG_CTR_SESSIONS_EVICTED);
}

/* The helper's destroy callback: the connection is gone, so are its own. */
void sipalg_sessions_forget(struct nf_conn *ct)
{
	struct sipalg_session *s;
	struct hlist_node *next;
	u32 conn = sipalg_conn_token(ct, false);

	if (!conn)
		return;
	spin_lock_bh(&sessions_lock);
	hlist_for_each_entry_safe(s, next, sipalg_conn_bucket(conn), by_conn)
		if (s->conn == conn)
			sipalg_session_free(s);
	spin_unlock_bh(&sessions_lock);
}

/* How many entries the namespace has in use. */
unsigned int sipalg_sessions_count(const struct net *net)
{
	unsigned int i, n = 0;

	spin_lock_bh(&sessions_lock);
	for (i = 0; i < max_sessions; i++)
		if (sessions[i].conn && sessions[i].netns == net->ns.inum)
			n++;
	spin_unlock_bh(&sessions_lock);
	return n;
}

/*
 * The inside of a connection is its translated side: the original sender
 * under source NAT (a phone calling out), the reply's sender when only the
 * destination is translated (a connection let in by a pinhole).
 */
static bool sipalg_session_outgoing(const struct nf_conn *ct,
				    const struct sipalg_session *s)
{
	bool inside_replies = (ct->status & IPS_DST_NAT) &&
			      !(ct->status & IPS_SRC_NAT);

	return s->dir == (inside_replies ? IP_CT_DIR_REPLY :
					   IP_CT_DIR_ORIGINAL);
}

static int sipalg_put_session(struct sk_buff *msg, const struct nf_conn *ct,
			      const struct sipalg_session *s)
{
	struct nlattr *nest = nla_nest_start(msg, SIPALG_A_CONN_SESSION);
	char id[SIPALG_SESSION_ID_MAX + 1];

	memcpy(id, s->id, s->id_len);
	id[s->id_len] = '\0';
	if (!nest ||
	    nla_put_u8(msg, SIPALG_A_SESSION_KIND, s->kind) ||
	    nla_put_string(msg, SIPALG_A_SESSION_ID, id) ||
	    nla_put_u8(msg, SIPALG_A_SESSION_STATE, s->state) ||
	    nla_put_u8(msg, SIPALG_A_SESSION_OUTGOING,
		       sipalg_session_outgoing(ct, s)) ||
	    nla_put_u32(msg, SIPALG_A_SESSION_AGE,
			(jiffies - s->since) / HZ))
		return -EMSGSIZE;
	if (s->kind == SIPALG_SESSION_REGISTRATION &&
	    nla_put_u32(msg, SIPALG_A_SESSION_EXPIRES,
			(s->expires - jiffies) / HZ))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/*
 * Put ct's registrations and calls, at most SIPALG_DUMP_SESSIONS of them
 * (so that one connection always fits in a dump message); how many more
 * there are goes in SIPALG_A_CONN_SESSIONS_OMITTED.
 */
int sipalg_sessions_put(struct sk_buff *msg, struct nf_conn *ct)
{
	struct sipalg_session *s;
	u32 conn = sipalg_conn_token(ct, false);
	unsigned int n = 0, omitted = 0;
	int err = 0;

	if (!conn)
		return 0;
	spin_lock_bh(&sessions_lock);
	hlist_for_each_entry(s, sipalg_conn_bucket(conn), by_conn) {
		if (s->conn != conn)
			continue;
		/* A registration that ran out without a word. */
		if (s->kind == SIPALG_SESSION_REGISTRATION &&
		    time_after_eq(jiffies, s->expires))
			continue;
		if (n == SIPALG_DUMP_SESSIONS) {
			omitted++;
			continue;
		}
		err = sipalg_put_session(msg, ct, s);
		if (err)
			break;
		n++;
	}
	spin_unlock_bh(&sessions_lock);
	if (!err && omitted)
		err = nla_put_u32(msg, SIPALG_A_CONN_SESSIONS_OMITTED, omitted);
	return err;
}
