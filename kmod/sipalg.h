/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal declarations shared by the files of the sipalg module.
 */
#ifndef SIPALG_KMOD_H
#define SIPALG_KMOD_H

#include <linux/types.h>
#include <linux/rcupdate.h>
#include <net/net_namespace.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_expect.h>
#include <net/netfilter/nf_conntrack_helper.h>

#include <sipalg/core.h>
#include <sipalg/uapi.h>

/*
 * One network namespace's configuration. Readers in the packet path use
 * it under RCU; a change publishes a whole new copy, so a reader never
 * sees a half-applied configuration.
 */
struct sipalg_config {
	u16 ports[SIPALG_MAX_PORTS];	/* host order, distinct, non-zero */
	unsigned int nports;
	unsigned int sip_timeout;	/* seconds */
	bool direct_media;
	bool disabled;
	struct rcu_head rcu;
};

/* Per-CPU counters, summed when read. */
enum sipalg_counter {
	SIPALG_CTR_ATTACHED,		/* conntracks given the helper */
	SIPALG_CTR_ATTACH_FAILED,	/* ... that could not get it (memory) */
	SIPALG_CTR_PACKETS,		/* packets seen by the helper */
	SIPALG_CTR_TIMEOUT_REFRESHED,	/* UDP signalling timeouts set */
	SIPALG_CTR_MESSAGES,		/* SIP messages understood */
	SIPALG_CTR_REWRITTEN,		/* ... and rewritten */
	SIPALG_CTR_UNCHANGED,		/* ... under NAT with nothing to rewrite */
	SIPALG_CTR_EDITS,		/* edits applied */
	SIPALG_CTR_BYTES_GROWN,
	SIPALG_CTR_BYTES_SHRUNK,
	SIPALG_CTR_EXPECT_CREATED,	/* media pinholes opened */
	SIPALG_CTR_EXPECT_REMOVED,	/* ... closed by BYE, CANCEL or failure */
	SIPALG_CTR_EXPECT_FAILED,	/* ... that could not be opened */
	SIPALG_CTR_MEDIA_NOT_SENDER,	/* SDP streams naming another address */
	SIPALG_CTR_REGISTRATIONS,	/* registration pinholes opened/renewed */
	SIPALG_CTR_SESSIONS_EVICTED,	/* sessions table full: oldest reused */
	SIPALG_CTR_MAX
};

/*
 * Why a message passed unmodified: the core's reasons (enum sipalg_reason,
 * SIPALG_OK unused) followed by the shim's own.
 */
enum sipalg_pass_reason {
	SIPALG_PASS_NOMEM = SIPALG_R_COUNT,	/* skb could not be made writable */
	SIPALG_PASS_TCP_SPLIT,		/* TCP message continues in a later segment */
	SIPALG_PASS_TOO_BIG,		/* rewrite would exceed 64 KiB or the MTU */
	SIPALG_PASS_NO_SEQADJ,		/* TCP length change, no seqadj extension */
	SIPALG_PASS_MAX
};

struct sipalg_counters {
	u64 value[SIPALG_CTR_MAX];
	u64 passed[SIPALG_PASS_MAX];
};

struct sipalg_net {
	struct sipalg_config __rcu *config;
	struct sipalg_counters __percpu *counters;
};

struct sipalg_net *sipalg_pernet(const struct net *net);

static inline void sipalg_count(struct sipalg_net *sn, enum sipalg_counter c)
{
	this_cpu_inc(sn->counters->value[c]);
}

static inline void sipalg_count_add(struct sipalg_net *sn,
				    enum sipalg_counter c, u64 n)
{
	this_cpu_add(sn->counters->value[c], n);
}

static inline void sipalg_count_pass(struct sipalg_net *sn, int reason)
{
	if (reason > 0 && reason < SIPALG_PASS_MAX)
		this_cpu_inc(sn->counters->passed[reason]);
}

/* config.c */
extern struct mutex sipalg_config_mutex;
int sipalg_config_validate(const struct sipalg_config *cfg);
int sipalg_pernet_init(void);
void sipalg_pernet_exit(void);
int sipalg_hooks_init(void);
void sipalg_hooks_exit(void);

/* helper.c */
int sipalg_helpers_register(void);
void sipalg_helpers_unregister(void);
struct nf_conntrack_helper *sipalg_helper_for(u16 l3num, u8 protonum);

/* xlat.c */
bool sipalg_xlat_for(struct sipalg_xlat *xlat, const struct nf_conn *ct,
		     enum ip_conntrack_dir dir);

/* rewrite.c */
int sipalg_rewrite_init(void);
void sipalg_rewrite_exit(void);
void sipalg_process(struct sk_buff *skb, unsigned int protoff,
		    struct nf_conn *ct, enum ip_conntrack_info ctinfo,
		    const struct sipalg_config *cfg, struct sipalg_net *sn);

/* helper.c: expectation classes and their limits. */
enum sipalg_expect_class {
	SIPALG_EXPECT_SIGNALLING,
	SIPALG_EXPECT_MEDIA,	/* the first of the media classes, one per call */
	SIPALG_EXPECT_CLASS_MAX = NF_CT_MAX_EXPECT_CLASSES - 1,
};

#define SIPALG_CALL_SLOTS (SIPALG_EXPECT_CLASS_MAX - SIPALG_EXPECT_MEDIA + 1)

#define SIPALG_MEDIA_EXPECT_MAX (4 * SIPALG_MAX_MEDIA)

/*
 * The helper's per-conntrack data (nf_conn_help.data, zeroed when the
 * helper is attached): calls.c's media class per call, and the token by
 * which sessions.c names the connection.
 */
struct sipalg_help_data {
	u32 call[SIPALG_CALL_SLOTS];	/* Call-ID hash, 0: free */
	u32 active[SIPALG_CALL_SLOTS];	/* jiffies of the last SDP */
	u32 token;			/* sessions.c; 0: none yet */
};

/* expect.c */

/* A pinhole to open: see sipalg_expect_open(). */
struct sipalg_pinhole {
	unsigned int class;		/* SIPALG_EXPECT_* */
	u8 proto;			/* IPPROTO_UDP or IPPROTO_TCP */
	const union nf_inet_addr *src;	/* who may use it; NULL: anyone */
	const union nf_inet_addr *public;	/* where it is */
	u16 pub_port;
	const union nf_inet_addr *private;	/* where it leads */
	u16 port;
	u32 seconds;			/* lifetime; 0: the class's policy */
};

int sipalg_expect_open(struct nf_conn *ct, const struct sipalg_pinhole *p);
bool sipalg_expect_any_src(const struct nf_conntrack_expect *exp);
void sipalg_expected_to_saved(struct nf_conn *ct,
			      struct nf_conntrack_expect *exp);
bool sipalg_addr_equals(const struct sipalg_addr *a,
			const union nf_inet_addr *u, u16 l3num);
unsigned int sipalg_expect_remove(struct nf_conn *ct, unsigned int class,
				  const union nf_inet_addr *public, u16 port);

/* calls.c */
unsigned int sipalg_call_class(struct nf_conn *ct, const unsigned char *call_id,
			       unsigned int len, bool create);
void sipalg_call_forget(struct nf_conn *ct, unsigned int class);

/* sessions.c */
#define SIPALG_DUMP_SESSIONS 32	/* per connection and dump message */
int sipalg_sessions_init(void);
void sipalg_sessions_exit(void);
unsigned int sipalg_sessions_max(void);
unsigned int sipalg_sessions_count(const struct net *net);
void sipalg_sessions_track(struct nf_conn *ct, enum ip_conntrack_info ctinfo,
			   const unsigned char *buf,
			   const struct sipalg_msg *msg, struct sipalg_net *sn);
void sipalg_sessions_forget(struct nf_conn *ct);
int sipalg_sessions_put(struct sk_buff *msg, struct nf_conn *ct);

/* media.c */
void sipalg_media_open(struct nf_conn *ct, enum ip_conntrack_info ctinfo,
		       const unsigned char *buf, const struct sipalg_msg *msg,
		       const struct sipalg_config *cfg,
		       struct sipalg_media_override *ov, struct sipalg_net *sn);
void sipalg_media_close(struct nf_conn *ct, const unsigned char *buf,
			const struct sipalg_msg *msg, struct sipalg_net *sn);

/* register.c */
u32 sipalg_contact_expires(const struct sipalg_msg *msg,
			   const struct sipalg_contact *c);
void sipalg_register_track(struct nf_conn *ct, enum ip_conntrack_info ctinfo,
			   const struct sipalg_msg *msg, struct sipalg_net *sn);

/* genl.c */
int sipalg_genl_init(void);
void sipalg_genl_exit(void);
void sipalg_event(struct net *net, enum sipalg_event type,
		  const struct nf_conn *ct, const char *reason,
		  const unsigned char *call_id, unsigned int call_id_len);
void sipalg_event_pinhole(struct nf_conn *ct, enum sipalg_event type,
			  const struct nf_conntrack_expect *exp);
bool sipalg_is_our_helper(const struct nf_conntrack_helper *helper);
const char *sipalg_pass_reason_name(int reason);

/* attach.c */
int __net_init sipalg_attach_net_init(struct net *net);
void __net_exit sipalg_attach_net_exit(struct net *net);

#endif /* SIPALG_KMOD_H */
