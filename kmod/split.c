// SPDX-License-Identifier: GPL-2.0
/*
 * SIP over TCP: a message split across segments (a large SDP, a small MSS)
 * is held until the rest of it comes, then sent on whole in one packet, so
 * that the helper (rewrite.c), which sees one packet at a time, rewrites
 * all of it and moves the stream's sequence numbers once, at its start.
 *
 * A hook of sipalg's own runs after NAT and before conntrack confirms the
 * packet (where the helper runs): POST_ROUTING and LOCAL_IN, for
 * established TCP connections under NAT that carry the sipalg helper. Per
 * connection and direction it keeps
 *  - held: the start of an unfinished message, taken out of the stream.
 *    Those bytes were never delivered, so never acknowledged: whenever
 *    sipalg gives up (a gap, the sender sending them again, the stream
 *    closing, a limit, no memory, age) it drops them and the sender's
 *    retransmission passes unmodified, as split messages did before;
 *  - kept: the original bytes of the last joined message until a while
 *    after the peer acknowledged its end (that acknowledgment may still
 *    be lost on its way to the sender). The joined packet may be cut into
 *    segments other than the sender's on the way, and one of them lost:
 *    the sender's retransmission of any part of the message is rebuilt
 *    into the whole message again, which the helper rewrites exactly as
 *    the first time;
 *  - pass_before: after giving up, what the sender sends again passes;
 *  - ooo: bytes that came after a gap (a segment lost or reordered before
 *    the router), held as well until the gap is filled, so that what fills
 *    it can be joined to them. A segment that begins inside a message,
 *    in a stream that was at a message boundary, is after a gap; where a
 *    stream is inside a message sipalg let pass, the connection's shim bits
 *    say so (SIPALG_SHIM_UNALIGNED), until a segment begins a message.
 * The next in-order segment is joined to the held bytes: its sequence
 * number becomes the message's start and, if it is now longer than the
 * path's MTU, it becomes a GSO packet that the stack cuts again on output.
 *
 * Where a segment leaves a message unfinished is the core's answer
 * (sipalg_frame_tail()). State is allocated at a connection's first
 * split, freed once idle (the sweep), with the conntrack (the helper's
 * destroy callback) and on unload. Held and kept bytes count against
 * split_max_bytes, all namespaces together, and against the share of the
 * connection's inside host (an eighth of it, by a hash of its address,
 * so that one host's many connections cannot take it all from the
 * others); one message at most split_max_message bytes, one per
 * direction of a connection. The buffer of a message kept no longer is
 * the connection's spare, for the next message to be held (a stream of
 * split messages then allocates nothing), until the sweep finds nothing
 * held and the kept message acknowledged.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/workqueue.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_conntrack_seqadj.h>

#include <sipalg/core.h>

#include "budget.h"
#include "config.h"
#include "counters.h"
#include "helper.h"
#include "packet.h"
#include "phase.h"
#include "sack.h"
#include "seqnum.h"
#include "split.h"

static unsigned int split_max_message = 16384;
module_param(split_max_message, uint, 0444);
MODULE_PARM_DESC(split_max_message,
		 "longest TCP message held across segments, bytes (1024..65000, default 16384)");

static unsigned long split_max_bytes = 4UL << 20;
module_param(split_max_bytes, ulong, 0444);
MODULE_PARM_DESC(split_max_bytes,
		 "bytes of split TCP messages held and kept, all namespaces together (default 4 MiB)");

#define SIPALG_SPLIT_MESSAGE_MIN 1024u
#define SIPALG_SPLIT_MESSAGE_MAX 65000u
/*
 * How long held bytes wait for the rest of their message. When the rest
 * was lost before the router and nothing after it came, only the sender's
 * tail loss probe sends it again, twice its round trip after its last
 * segment: 2.3 s after a handshake that lost the SYN-ACK (the first round
 * trip then measures a second), 3 s from a phone 1.5 s away. A message
 * given up passes unmodified, so the hold covers round trips up to 2 s.
 */
#define SIPALG_SPLIT_HOLD_TIME (4 * HZ)
/*
 * Held bytes seen again this soon are a duplicate; later, the sender is
 * retransmitting (its RTO is at least 200 ms): it will send nothing new
 * until they are acknowledged, so waiting longer is useless.
 */
#define SIPALG_SPLIT_DUP_WINDOW (HZ / 10)
/*
 * Then sipalg acknowledges the held bytes itself (sipalg_split_take()),
 * this many times at most while they do not grow: a sender that sends
 * them again after that did not take the ACKs, and they go on as they
 * are. Bytes it acknowledged whose rest does not come within the hold
 * (from when they were acknowledged or last grew) sipalg sends on to the
 * receiver itself, as they are (sipalg_split_sweep()): the sender will
 * not.
 */
#define SIPALG_SPLIT_TAKE_ACKS 2
/* Sent on by one sweep at most; the others by the next. */
#define SIPALG_SPLIT_HANDOVERS 8
/*
 * A joined message is kept this long at most for its retransmissions, and
 * this long after the peer acknowledged it (the sender may not have that
 * acknowledgment yet and send it again after its RTO).
 */
#define SIPALG_SPLIT_KEEP_TIME (30 * HZ)
#define SIPALG_SPLIT_KEEP_ACKED (2 * HZ)
/* ... and what was given up passes this long when sent again. */
#define SIPALG_SPLIT_PASS_TIME (30 * HZ)
#define SIPALG_SPLIT_SWEEP_EVERY (HZ / 2)
/*
 * Segments of kept messages sent again, remembered until the receiver's
 * report of the rebuilt copy comes back (sipalg_split_narrow_dsack()):
 * this many per direction, this long at most (a round trip of the
 * longest the hold allows).
 */
#define SIPALG_SPLIT_AGAIN 4
#define SIPALG_SPLIT_AGAIN_TIME SIPALG_SPLIT_HOLD_TIME
/*
 * IPv4 identifications this close are one connection's count (Linux
 * counts per connection, a packet each); random ones are this close by
 * chance once in a thousand.
 */
#define SIPALG_SPLIT_IP_ID_NEAR 64
/*
 * The data segments of a direction remembered to tell a copy the network
 * made from the sender's own (sipalg_split_network_copy()): a copy comes
 * within a few segments of its original.
 */
#define SIPALG_SPLIT_SEEN 8
/*
 * An inside host may hold this fraction of split_max_bytes. Hosts share
 * a bucket when their addresses hash alike (a secret seed: an abuser
 * cannot pick its victims).
 */
#define SIPALG_SPLIT_HOST_SHARE 8
#define SIPALG_SPLIT_HOST_BUCKETS 1024

struct sipalg_split_buf {
	unsigned char *data;
	u32 seq;			/* of data[0], as the sender numbers it */
	u32 len;
	u32 need;			/* held: the message's length, 0: unknown yet */
	u32 size;			/* allocated, counted in sipalg_split_bytes */
	unsigned long since;		/* jiffies: held or joined */
	/* jiffies: held bytes last grew, or the kept ones were acked */
	unsigned long last;
	bool acked;			/* kept: the peer acknowledged its end */
	bool fin;			/* ooo: the sender's FIN came after it */
};

struct sipalg_split_half {
	atomic_long_t *host;		/* the inside host's bytes */
	struct sipalg_split_buf held;
	struct sipalg_split_buf kept;
	struct sipalg_split_buf ooo;	/* after a gap, waiting for it */
	/*
	 * The first bytes of a message given up before its headers were
	 * all held, growing with the bytes that pass after them until the
	 * headers say where it ends (sipalg_split_find_end()).
	 */
	struct sipalg_split_buf frame;
	/* A buffer no longer needed, for the next one (data, size only). */
	struct sipalg_split_buf spare;
	enum ip_conntrack_dir dir;
	/*
	 * Bit 32 set: bits 0-31 are where the bytes that went on end (a FIN
	 * counted, as the sender numbers them), or later: conntrack's end
	 * when the entry was made, then each packet the hook let go on, a
	 * tail the helper cut after it too (sipalg_split_overtaken()).
	 */
	atomic64_t went;
	u32 pass_before;		/* when passing: data before this passes */
	bool passing;
	/* The sender was told of a gap in this message (sipalg_split_ask()). */
	bool asked;
	/*
	 * sipalg acknowledged the held bytes before owned_end to their
	 * sender (take_acks times): they are sipalg's to send on, never to
	 * drop (sipalg_split_take()). kept_back: a give-up found them owned,
	 * and the segment at hand, which cannot go on before them, is
	 * dropped instead (sipalg_split_known()).
	 */
	bool owned;
	bool kept_back;
	u8 take_acks;
	u32 owned_end;
	/* The timestamps of the copy that was acknowledged, if any. */
	bool owned_ts;
	u32 owned_tsval, owned_tsecr;
	unsigned long pass_since;
	u16 mss;			/* largest payload of the held segments */
	/*
	 * The peer's highest acknowledgment of this half's bytes seen here,
	 * numbered as their sender numbers them (sipalg_split_peer_acked()).
	 */
	bool peer_acked;
	u32 peer_ack;
	/*
	 * The segment that began the bytes held after a gap (ooo), or the
	 * run they joined (sipalg_split_fill_gap()).
	 */
	bool run_ts;			/* ... had a timestamp: */
	u32 run_tsval;
	u16 run_ip_id;			/* IPv4 */
	/* The last data segments seen, as copies of them would be. */
	u8 seen_next;
	struct {
		u32 seq, len, tsval;
		u16 ip_id;		/* 0: unused */
		bool copied;		/* one copy of it was dropped */
	} seen[SIPALG_SPLIT_SEEN];
	/* Segments of kept messages sent again, oldest first. */
	u8 n_again;
	struct {
		u32 seq, end;
		unsigned long at;	/* jiffies */
	} again[SIPALG_SPLIT_AGAIN];
};

struct sipalg_split {
	struct hlist_node node;		/* in sipalg_splits */
	/* The key, and a reference on it: it outlives the entry. */
	const struct nf_conn *ct;
	spinlock_t lock;		/* guards half[] and dead */
	bool dead;			/* out of the table */
	struct sipalg_split_half half[IP_CT_DIR_MAX];
	struct rcu_head rcu;
};

/* The conntrack of a half's entry. */
static struct nf_conn *sipalg_split_ct(struct sipalg_split_half *h)
{
	return (struct nf_conn *)container_of(h - h->dir, struct sipalg_split,
					      half[0])->ct;
}

/* Connections with split state; lookups under RCU. */
static DEFINE_HASHTABLE(sipalg_splits, 8);
static DEFINE_SPINLOCK(sipalg_splits_lock);
static atomic_long_t sipalg_split_bytes = ATOMIC_LONG_INIT(0);
/* Unloading: the helper's cuts make no entry (sipalg_split_hold_rest()). */
static bool sipalg_split_closing;
static atomic_long_t sipalg_split_host_bytes[SIPALG_SPLIT_HOST_BUCKETS];
static u32 sipalg_split_host_seed __read_mostly;

static void sipalg_split_sweep(struct work_struct *work);
static DECLARE_DELAYED_WORK(sipalg_split_sweeper, sipalg_split_sweep);

/* What the hook knows of the segment. */
struct sipalg_seg {
	struct nf_conn *ct;
	struct sipalg_net *sn;
	enum ip_conntrack_dir dir;
	u16 l3num;
	bool local;			/* delivered to this host: no MTU */
	unsigned int protoff;		/* TCP header, from skb->data */
	unsigned int dataoff;		/* payload, from skb->data */
	unsigned int len;		/* payload bytes */
	u32 seq;
	/*
	 * The end of the stream as sipalg has it: its, or held after a gap
	 * (a FIN counted, as conntrack counts it).
	 */
	u32 last;
	struct tcphdr th;
	/* What to tell the sender once the entry's lock is released. */
	struct sipalg_sack sack;
};

/*
 * The messages the hook framed in the packet it lets go on, for the
 * helper that sees the same packet next on this CPU
 * (sipalg_split_framed()): it need not frame them again. Known by the
 * connection, direction, skb and the sequence number of the payload's
 * first byte: the bytes at a sequence number are the same in every copy
 * of them, and the hook changes a packet it lets go on only after these
 * messages (it trims a held tail) or builds it at its own sequence number
 * (a join).
 */
#define SIPALG_SPLIT_FRAMED_MAX 128
struct sipalg_framed_lens {
	const struct sk_buff *skb;
	const struct nf_conn *ct;
	enum ip_conntrack_dir dir;
	u32 seq;
	unsigned int n;
	bool closed;			/* the lengths end before the bytes do */
	unsigned int lens[SIPALG_SPLIT_FRAMED_MAX];
};

static DEFINE_PER_CPU(struct sipalg_framed_lens, sipalg_framed_here);

/* This CPU's record, begun again, empty (bottom halves off). */
static struct sipalg_framed_lens *sipalg_split_framed_begin(void)
{
	struct sipalg_framed_lens *fr = this_cpu_ptr(&sipalg_framed_here);

	fr->skb = NULL;
	fr->n = 0;
	fr->closed = false;
	return fr;
}

/*
 * sipalg_frame_tail() of the bytes that come next in the packet the
 * record is for: their whole messages' lengths follow the others, all of
 * them, or none once some were left out.
 */
static int sipalg_split_frame_into(struct sipalg_framed_lens *fr,
				   const unsigned char *buf, unsigned int len,
				   unsigned int *tail, unsigned int *need)
{
	unsigned int n, i, sum = 0;
	int framed;

	if (fr->closed)
		return sipalg_frame_tail(buf, len, tail, need);
	framed = sipalg_frame_tail_lens(buf, len, tail, need, fr->lens + fr->n,
					ARRAY_SIZE(fr->lens) - fr->n, &n);
	for (i = 0; i < n; i++)
		sum += fr->lens[fr->n + i];
	fr->n += n;
	fr->closed = sum != *tail;
	return framed;
}

/*
 * sipalg_split_frame_into() of the held bytes. Once they are as long as
 * their complete header block said (held->need), they are that one whole
 * message: the block, framed when it came, does not change as the body
 * comes, so framing it again would find just that.
 */
static int sipalg_split_frame_held(struct sipalg_framed_lens *fr,
				   const struct sipalg_split_buf *held,
				   unsigned int *tail, unsigned int *need)
{
	if (held->need && held->len == held->need && !fr->closed &&
	    fr->n < ARRAY_SIZE(fr->lens)) {
		fr->lens[fr->n++] = held->len;
		*tail = held->len;
		if (need)
			*need = 0;
		return SIPALG_FRAME_COMPLETE;
	}
	return sipalg_split_frame_into(fr, held->data, held->len, tail, need);
}

/* The record is whole: skb's payload, its first byte the sender's seq. */
static void sipalg_split_framed_end(struct sipalg_framed_lens *fr,
				    const struct sk_buff *skb,
				    const struct sipalg_seg *seg, u32 seq)
{
	fr->skb = skb;
	fr->ct = seg->ct;
	fr->dir = seg->dir;
	fr->seq = seq;
}

/* The verdict of a segment the connection's state has not decided. */
#define SIPALG_SPLIT_GO_ON (-1)

/* The bytes of the connection's inside host (and its hash-mates). */
static atomic_long_t *sipalg_split_host(const struct nf_conn *ct)
{
	const union nf_inet_addr *addr = sipalg_budget_host_of(ct);
	u32 hash = nf_ct_l3num(ct) == NFPROTO_IPV4 ?
		   jhash_1word(addr->ip, sipalg_split_host_seed) :
		   jhash2(addr->all, 4, sipalg_split_host_seed);

	return &sipalg_split_host_bytes[hash % SIPALG_SPLIT_HOST_BUCKETS];
}

static void sipalg_split_uncharge(atomic_long_t *host, unsigned long bytes)
{
	atomic_long_sub(bytes, host);
	atomic_long_sub(bytes, &sipalg_split_bytes);
}

/* Count bytes in: 0, or the counter that says why they do not fit. */
static int sipalg_split_charge(atomic_long_t *host, unsigned long bytes)
{
	if ((unsigned long)atomic_long_add_return(bytes, &sipalg_split_bytes) >
	    split_max_bytes) {
		atomic_long_sub(bytes, &sipalg_split_bytes);
		return SIPALG_CTR_SPLIT_GAVE_UP_FULL;
	}
	if ((unsigned long)atomic_long_add_return(bytes, host) >
	    split_max_bytes / SIPALG_SPLIT_HOST_SHARE) {
		sipalg_split_uncharge(host, bytes);
		return SIPALG_CTR_SPLIT_GAVE_UP_HOST_FULL;
	}
	return 0;
}

static void sipalg_split_buf_free(struct sipalg_split_half *h,
				  struct sipalg_split_buf *b)
{
	if (!b->data)
		return;
	kfree(b->data);
	sipalg_split_uncharge(h->host, b->size);
	memset(b, 0, sizeof(*b));
}

/*
 * b's bytes are no longer needed: its buffer becomes the spare, or goes if
 * the spare is at least as big (still charged: the half's bytes).
 */
static void sipalg_split_buf_recycle(struct sipalg_split_half *h,
				     struct sipalg_split_buf *b)
{
	if (b->data && b->size > h->spare.size) {
		sipalg_split_buf_free(h, &h->spare);
		h->spare.data = b->data;
		h->spare.size = b->size;
		memset(b, 0, sizeof(*b));
	}
	sipalg_split_buf_free(h, b);
}

/*
 * The spare in place of b's buffer (b's first b->len bytes copied into it)
 * when it is big enough for len bytes; b's own becomes the spare.
 */
static bool sipalg_split_buf_take_spare(struct sipalg_split_half *h,
					struct sipalg_split_buf *b,
					unsigned int len)
{
	struct sipalg_split_buf *spare = &h->spare;

	if (!spare->data || spare->size < len)
		return false;
	if (b->data)
		memcpy(spare->data, b->data, b->len);
	swap(b->data, spare->data);
	swap(b->size, spare->size);
	return true;
}

/* Room for len bytes in b: 0, or the counter that says why not. */
static int sipalg_split_buf_reserve(struct sipalg_split_half *h,
				    struct sipalg_split_buf *b,
				    unsigned int len)
{
	unsigned int size = max(roundup_pow_of_two(len), 512UL);
	unsigned char *data;
	int err;

	if (b->data && b->size >= len)
		return 0;
	if (sipalg_split_buf_take_spare(h, b, len))
		return 0;
	/* Too small: it would only take a share of the caps. */
	sipalg_split_buf_free(h, &h->spare);
	err = sipalg_split_charge(h->host, size - b->size);
	if (err)
		return err;
	data = krealloc(b->data, size, GFP_ATOMIC | __GFP_NOWARN);
	if (!data) {
		sipalg_split_uncharge(h->host, size - b->size);
		return SIPALG_CTR_SPLIT_GAVE_UP_NOMEM;
	}
	b->data = data;
	b->size = size;
	return 0;
}

/* Bytes b holds now (reserved and filled) begin at seq; need as held. */
static void sipalg_split_buf_begin(struct sipalg_split_buf *b, u32 seq,
				   unsigned int len, unsigned int need)
{
	b->seq = seq;
	b->len = len;
	b->need = need;
	b->since = jiffies;
	b->last = jiffies;
}

/*
 * The held message's first len bytes went out joined: they are kept for
 * its retransmissions (in place of the message kept before).
 */
static void sipalg_split_keep_held(struct sipalg_split_half *h,
				   unsigned int len, struct sipalg_net *sn)
{
	sipalg_split_buf_recycle(h, &h->kept);
	h->kept = h->held;
	h->kept.len = len;
	h->kept.need = 0;
	h->kept.since = jiffies;
	h->asked = false;
	/* (Owned bytes may be left after them: a message's start.) */
	h->owned = h->owned && after(h->owned_end, h->kept.seq + len);
	if (!h->owned)
		h->take_acks = 0;
	sipalg_count(sn, SIPALG_CTR_SPLIT_JOINED);
}

/*
 * Bytes that need not go on (counter: why): sipalg holds them already, or
 * the network copied them.
 */
static int sipalg_split_duplicate(struct sk_buff *skb,
				  const struct sipalg_seg *seg, int counter)
{
	sipalg_count(seg->sn, counter);
	consume_skb(skb);
	return NF_STOLEN;
}

/* A 32-bit field of a TCP option, a SACK block's edge (not aligned). */
static u32 sipalg_split_edge(const u8 *p)
{
	__be32 v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

/*
 * The segment's TCP option kind, as the kernel finds it (no partial
 * options), in opts (a copy of its options, MAX_TCP_OPTION_SPACE bytes):
 * where it begins there, or NULL.
 */
static u8 *sipalg_split_option(const struct sk_buff *skb,
			       const struct sipalg_seg *seg, u8 kind, u8 *opts)
{
	unsigned int len = seg->th.doff * 4 - sizeof(struct tcphdr), off;

	if (skb_copy_bits(skb, seg->protoff + sizeof(struct tcphdr), opts, len))
		return NULL;
	for (off = 0; off < len;) {
		if (opts[off] == TCPOPT_EOL)
			return NULL;
		if (opts[off] == TCPOPT_NOP) {
			off++;
			continue;
		}
		if (off + 1 == len || opts[off + 1] < 2 ||
		    off + opts[off + 1] > len)
			return NULL;
		if (opts[off] == kind)
			return opts + off;
		off += opts[off + 1];
	}
	return NULL;
}

/* Its timestamps (TSval and TSecr, RFC 7323), if it carries them. */
static bool sipalg_split_ts(const struct sk_buff *skb,
			    const struct sipalg_seg *seg, u32 *tsval,
			    u32 *tsecr)
{
	u8 opts[MAX_TCP_OPTION_SPACE], *ts;

	ts = sipalg_split_option(skb, seg, TCPOPT_TIMESTAMP, opts);
	if (!ts || ts[1] != TCPOLEN_TIMESTAMP)
		return false;
	*tsval = sipalg_split_edge(ts + 2);
	*tsecr = sipalg_split_edge(ts + 6);
	return true;
}

static bool sipalg_split_tsval(const struct sk_buff *skb,
			       const struct sipalg_seg *seg, u32 *tsval)
{
	u32 tsecr;

	return sipalg_split_ts(skb, seg, tsval, &tsecr);
}

/*
 * Where the bytes held after a gap began: when they came, the sender's
 * timestamp and IPv4 identification of that segment (to tell what it
 * sends after them, sipalg_split_sent_after()).
 */
static void sipalg_split_run_sent(struct sipalg_split_half *h,
				  const struct sk_buff *skb,
				  const struct sipalg_seg *seg)
{
	h->run_ts = sipalg_split_tsval(skb, seg, &h->run_tsval);
	h->run_ip_id = seg->l3num == NFPROTO_IPV4 ? ntohs(ip_hdr(skb)->id) : 0;
}

/*
 * Did the sender send this segment after the segment that began the bytes
 * held after the gap, i.e. again, once told of them; or was it sent
 * before them, only late? Its timestamp tells, when later or earlier; in
 * the same millisecond (a burst: the usual case of a late segment, but a
 * sender near the router may resend that soon too) the IPv4
 * identification, which Linux counts up per connection, when the two are
 * near each other. Unknown (no timestamps, IPv6, other identifications):
 * sent again.
 */
static bool sipalg_split_sent_after(const struct sipalg_split_half *h,
				    const struct sk_buff *skb,
				    const struct sipalg_seg *seg)
{
	u16 id, ahead;
	u32 tsval;

	if (!h->run_ts || !sipalg_split_tsval(skb, seg, &tsval))
		return true;
	if (tsval != h->run_tsval)
		return after(tsval, h->run_tsval);
	if (seg->l3num != NFPROTO_IPV4)
		return true;
	id = ntohs(ip_hdr(skb)->id);
	ahead = h->run_ip_id - id;
	return !(ahead && ahead < SIPALG_SPLIT_IP_ID_NEAR);
}

/*
 * Is this data segment a copy the network made (a duplicating link), not
 * one its sender sent again? The same bytes with the same timestamp and
 * the same IPv4 identification as one seen here before: Linux gives each
 * packet it sends, a retransmission too, an identification of its own.
 * Its receiver would report the copy as a duplicate (a D-SACK), and the
 * sender counts duplicates reported against the segments it sent again:
 * once they outnumber them, Linux ignores every D-SACK of the connection,
 * sipalg's too, whose credit its recovery needs (sipalg_split_ask()).
 * Taken for the sender's, a copy of held bytes would also look like the
 * sender sending them again (resent), and one of a kept message would be
 * rebuilt. So a copy is dropped: the original went on, and should it be
 * lost after the router, the sender sends it again (one copy of each, and
 * none of bytes given up since: they did not go on). Unknown (IPv6, no
 * timestamps, an identification of 0, which some stacks send with DF
 * always): not a copy. Otherwise the segment is remembered.
 */
static bool sipalg_split_network_copy(struct sipalg_split_half *h,
				      const struct sk_buff *skb,
				      const struct sipalg_seg *seg)
{
	unsigned int i;
	u32 tsval;
	u16 id;

	if (!seg->len || seg->l3num != NFPROTO_IPV4 ||
	    !sipalg_split_tsval(skb, seg, &tsval))
		return false;
	id = ntohs(ip_hdr(skb)->id);
	if (!id)
		return false;
	for (i = 0; i < SIPALG_SPLIT_SEEN; i++) {
		if (h->seen[i].ip_id != id || h->seen[i].seq != seg->seq ||
		    h->seen[i].len != seg->len || h->seen[i].tsval != tsval)
			continue;
		/*
		 * One copy at most: a sender that sends a segment again as it
		 * was (a device replaying what it stored) must get through.
		 */
		if (h->seen[i].copied)
			return false;
		h->seen[i].copied = true;
		return true;
	}
	h->seen[h->seen_next].seq = seg->seq;
	h->seen[h->seen_next].len = seg->len;
	h->seen[h->seen_next].tsval = tsval;
	h->seen[h->seen_next].ip_id = id;
	h->seen[h->seen_next].copied = false;
	h->seen_next = (h->seen_next + 1) % SIPALG_SPLIT_SEEN;
	return false;
}

/*
 * The peer acknowledges h's bytes in seg: numbered for their sender as the
 * sequence adjustment numbers this very packet's at confirm (a later
 * rewrite does not change what it meant), which is returned. Kept as the
 * highest only if not past conntrack's own number and its error: an
 * acknowledgment conntrack did not take (out of its window, let through
 * by "be liberal") is not the receiver's word.
 */
static u32 sipalg_split_peer_acked(struct sipalg_split_half *h,
				   const struct sipalg_seg *seg)
{
	const struct nf_conn_seqadj *seqadj = nfct_seqadj(seg->ct);
	u32 ack = ntohl(seg->th.ack_seq), most;
	struct nf_conn *ct = seg->ct;

	spin_lock_bh(&ct->lock);
	most = ct->proto.tcp.seen[!h->dir].td_maxack;
	if (seqadj) {
		const struct nf_ct_seqadj *way = &seqadj->seq[h->dir];

		ack = sipalg_seqnum_to_sender(way, ack);
		most += abs(way->offset_after - way->offset_before);
	}
	spin_unlock_bh(&ct->lock);
	if (!after(ack, most) && (!h->peer_acked || after(ack, h->peer_ack))) {
		h->peer_ack = ack;
		h->peer_acked = true;
	}
	return ack;
}

/*
 * The receiver saw nothing after the gap, so it sends the sender no
 * duplicate acknowledgment, and the sender would wait for its
 * retransmission timer, which sends the first segment not acknowledged,
 * and nothing more until it is. sipalg tells the sender instead, once the
 * entry's lock is released (sack.c), as the receiver would for each
 * segment after a gap had it got them: a duplicate ACK whose SACK blocks
 * name the bytes held after the gap and those held before it. The
 * sender's recovery then sends again what is not SACKed: the missing
 * segment, which fills the gap.
 *
 * Except the held message's first segment: it begins where the
 * receiver's acknowledgment ends, and a SACK block there is no block to
 * Linux. The block begins one byte later, which names the held segments
 * after the first (a SACK names whole segments), and the sender sends
 * the first again too, before the missing one. Its recovery sends one
 * segment for each one newly SACKed, so with a gap between a message's
 * only held segment and a single segment after it (the middle of three
 * lost), its one credit would go to the first segment, and it would wait
 * for its timer, which sends the first segment again, and sipalg would
 * give up (resent). So a copy of bytes sipalg holds (dup), such as that
 * first segment sent again, is reported as a receiver reports a
 * duplicate (a D-SACK, RFC 2883: its own block first, then the block that
 * holds it), and Linux counts a duplicate of a segment it sent again as
 * delivered: one more credit, which sends the missing segment. For the
 * same reason, once the sender was told of a gap, each segment that joins
 * the held message after it is filled is SACKed too, until the message
 * goes on: else the sender, recovering, sends nothing more when its first
 * SACKs are spent.
 */
static void sipalg_split_ask(struct sipalg_split_half *h,
			     struct sipalg_seg *seg, bool dup)
{
	struct sipalg_split_buf *held = &h->held, *run = &h->ooo;
	bool in_run = run->data && !before(seg->seq, run->seq);
	/* A copy of held bytes: the held block comes right after its own. */
	bool held_first = dup && !in_run;
	u32 from;

	seg->sack.n = 0;
	/*
	 * Not while sipalg owns the held bytes: the sender has them
	 * acknowledged, and what it has not sent again it will, from there.
	 */
	if (h->owned || (!run->data && !h->asked))
		return;
	if (dup) {
		from = in_run ? run->seq : held->seq + 1;
		sipalg_sack_add(&seg->sack,
				after(seg->seq, from) ? seg->seq : from,
				seg->seq + seg->len + seg->th.fin);
	}
	if (held->data && held_first)
		sipalg_sack_add(&seg->sack, held->seq + 1,
				held->seq + held->len);
	/* (Its FIN too, as a receiver's block would: else it comes again.) */
	if (run->data)
		sipalg_sack_add(&seg->sack, run->seq,
				run->seq + run->len + run->fin);
	if (held->data && !held_first)
		sipalg_sack_add(&seg->sack, held->seq + 1,
				held->seq + held->len);
	h->asked = seg->sack.n > 0;
	if (!h->asked)
		return;
	if (h->peer_acked) {
		seg->sack.ack_known = true;
		seg->sack.ack = h->peer_ack;
		return;
	}
	/* Without a word from the receiver yet: conntrack's, corrected. */
	spin_lock_bh(&seg->ct->lock);
	seg->sack.ack_known = sipalg_seqnum_conntrack_ack(seg->ct, h->dir,
							  false,
							  &seg->sack.ack);
	spin_unlock_bh(&seg->ct->lock);
}

/*
 * Is dir's stream at a message boundary, as far as split.c knows? Not
 * after it let a message's start pass: until a segment begins a message.
 */
static bool sipalg_split_aligned(struct nf_conn *ct, enum ip_conntrack_dir dir)
{
	struct sipalg_help_data *data = nfct_help_data(ct);

	return data &&
	       !(READ_ONCE(data->dialogs.shim) & SIPALG_SHIM_UNALIGNED(dir));
}

static void sipalg_split_set_aligned(struct nf_conn *ct,
				     enum ip_conntrack_dir dir, bool aligned)
{
	struct sipalg_help_data *data = nfct_help_data(ct);
	u8 shim;

	if (!data || sipalg_split_aligned(ct, dir) == aligned)
		return;
	spin_lock_bh(&ct->lock);
	shim = data->dialogs.shim & ~SIPALG_SHIM_UNALIGNED(dir);
	if (!aligned)
		shim |= SIPALG_SHIM_UNALIGNED(dir);
	WRITE_ONCE(data->dialogs.shim, shim);
	spin_unlock_bh(&ct->lock);
}

/* The end of what a half holds, after a gap or not. */
static u32 sipalg_split_held_end(const struct sipalg_split_half *h)
{
	if (h->ooo.data)
		return h->ooo.seq + h->ooo.len;
	return h->held.seq + h->held.len;
}

/*
 * Drop what is held (the sender sends it again) and let everything before
 * pass_before pass as it is. The rest of the message passes too. Where it
 * ends is known if its headers were held (need): the stream is at a
 * message boundary there, and the next message is helped as any other,
 * lost or late before the router too. Else the stream is inside a
 * message until a segment begins one.
 */
static void sipalg_split_give_up(struct sipalg_split_half *h,
				 struct sipalg_net *sn, int counter,
				 u32 pass_before)
{
	u32 msg_end = h->held.seq + h->held.need;
	bool end_known = h->held.data && h->held.need &&
			 !after(pass_before, msg_end);

	/*
	 * The held bytes are acknowledged to their sender, which will not
	 * send them again: they stay, and what cannot go on behind them is
	 * dropped (it comes again).
	 */
	if (h->owned && h->held.data) {
		h->kept_back = true;
		return;
	}
	h->owned = false;
	h->take_acks = 0;
	if (end_known)
		pass_before = msg_end;
	else
		sipalg_split_set_aligned(sipalg_split_ct(h), h->dir, false);
	sipalg_split_buf_free(h, &h->frame);
	if (h->held.data && !h->held.need) {
		/* Its headers may still say where it ends as it passes. */
		h->frame = h->held;
		h->frame.last = jiffies;
		memset(&h->held, 0, sizeof(h->held));
	}
	sipalg_split_buf_free(h, &h->held);
	sipalg_split_buf_free(h, &h->ooo);
	/* Their copies may be all the receiver gets of them now. */
	memset(h->seen, 0, sizeof(h->seen));
	h->asked = false;
	h->passing = true;
	h->pass_before = pass_before;
	h->pass_since = jiffies;
	sipalg_count(sn, counter);
}

static bool sipalg_split_parse(struct sk_buff *skb,
			       const struct nf_hook_state *state,
			       struct nf_conn *ct,
			       enum ip_conntrack_info ctinfo,
			       struct sipalg_seg *seg)
{
	const struct tcphdr *th;

	seg->l3num = nf_ct_l3num(ct);
	if (seg->l3num == NFPROTO_IPV4) {
		seg->protoff = ip_hdrlen(skb);
	} else {
		u8 nexthdr = ipv6_hdr(skb)->nexthdr;
		__be16 frag_off;
		int off = ipv6_skip_exthdr(skb, sizeof(struct ipv6hdr),
					   &nexthdr, &frag_off);

		if (off < 0 || nexthdr != IPPROTO_TCP)
			return false;
		seg->protoff = off;
	}
	th = skb_header_pointer(skb, seg->protoff, sizeof(seg->th), &seg->th);
	if (!th)
		return false;
	if (th != &seg->th)
		seg->th = *th;
	/* (Conntrack drops such a header; its options' length wraps.) */
	if (seg->th.doff < sizeof(struct tcphdr) / 4)
		return false;
	seg->dataoff = seg->protoff + seg->th.doff * 4;
	if (seg->dataoff > skb->len)
		return false;
	seg->len = skb->len - seg->dataoff;
	seg->seq = ntohl(seg->th.seq);
	seg->last = seg->seq + seg->len + seg->th.fin;
	seg->ct = ct;
	seg->sack.n = 0;
	seg->sack.ack_known = false;
	seg->sack.take = false;
	seg->dir = CTINFO2DIR(ctinfo);
	seg->local = state->hook == NF_INET_LOCAL_IN;
	seg->sn = sipalg_pernet(state->net);
	return true;
}

/*
 * A packet longer than its path's MTU goes out as a GSO one, cut into
 * pieces of the sender's own segment size (at most what the MTU allows).
 */
static void sipalg_split_gso(struct sk_buff *skb, const struct sipalg_seg *seg,
			     unsigned int mss)
{
	const struct dst_entry *dst = skb_dst(skb);

	if (seg->local || !dst)
		return;
	sipalg_packet_gso(skb, seg->dataoff, seg->l3num, dst_mtu(dst), mss);
}

/* What a segment's payload becomes (sipalg_split_fill()). */
struct sipalg_split_payload {
	unsigned int keep;		/* its own first bytes, left in place */
	const unsigned char *a;		/* then these a_len bytes */
	unsigned int a_len;
	unsigned int b_off;		/* then its own bytes from b_off */
	unsigned int b_len;
	u32 seq;			/* the first byte's sequence number */
	unsigned int mss;		/* the sender's segment size, if known */
	bool fin;			/* it ends the stream */
};

/*
 * Whether sipalg_split_fill_paged() may build the new payload: all of the
 * old one is in pages (or a frag list) behind a head that ends where it
 * begins, none of them a user's zero-copy pages.
 */
static bool sipalg_split_paged(struct sk_buff *skb,
			       const struct sipalg_seg *seg)
{
	return skb_is_nonlinear(skb) && skb_headlen(skb) == seg->dataoff &&
	       !skb_zcopy(skb);
}

/*
 * The payload is in pages (a TCP sender's, shared with its retransmission
 * queue, or a driver's): the head grows to the new payload's length once,
 * the bytes are copied from the pages straight to where they go, and the
 * pages are let go. Linearizing first would copy the segment's bytes into
 * the head, only to move them again behind the held ones. Nothing changes
 * unless all of it can be done: the head keeps what it had until the
 * pages go, and the new bytes are past its end until then.
 */
static int sipalg_split_fill_paged(struct sk_buff *skb,
				   const struct sipalg_seg *seg,
				   const struct sipalg_split_payload *f,
				   unsigned int new_len)
{
	unsigned int need = seg->dataoff + new_len;
	unsigned int room = skb_headlen(skb) + skb_tailroom(skb);
	unsigned char *payload;

	if ((skb_cloned(skb) || room < need) &&
	    pskb_expand_head(skb, 0, room < need ? need - room : 0,
			     GFP_ATOMIC))
		return -ENOMEM;
	payload = skb->data + seg->dataoff;
	if (skb_copy_bits(skb, seg->dataoff, payload, f->keep) ||
	    skb_copy_bits(skb, seg->dataoff + f->b_off,
			  payload + f->keep + f->a_len, f->b_len))
		return -EFAULT;
	if (f->a_len)
		memcpy(payload + f->keep, f->a, f->a_len);
	/* (Not cloned now: dropping the pages cannot fail.) */
	if (pskb_trim(skb, seg->dataoff))
		return -ENOMEM;
	__skb_put(skb, new_len);
	return 0;
}

/*
 * Any other payload (in the head already, partly in it, or in a user's
 * zero-copy pages) is linearized in place first: the segment's bytes from
 * b_off then move behind the held ones.
 */
static int sipalg_split_fill_linear(struct sk_buff *skb,
				    const struct sipalg_seg *seg,
				    const struct sipalg_split_payload *f,
				    unsigned int new_len)
{
	unsigned char *payload;

	if (skb_linearize(skb) || skb_ensure_writable(skb, skb->len))
		return -ENOMEM;
	if (new_len > seg->len) {
		unsigned int grow = new_len - seg->len;

		if (skb_tailroom(skb) < grow &&
		    pskb_expand_head(skb, 0, grow - skb_tailroom(skb),
				     GFP_ATOMIC))
			return -ENOMEM;
		__skb_put(skb, grow);
	}
	payload = skb->data + seg->dataoff + f->keep;
	memmove(payload + f->a_len, payload - f->keep + f->b_off, f->b_len);
	if (f->a_len)
		memcpy(payload, f->a, f->a_len);
	if (new_len < seg->len)
		__skb_trim(skb, seg->dataoff + new_len);
	return 0;
}

/*
 * Make the segment's payload what f says. Nothing changes unless all of it
 * can be done.
 */
static int sipalg_split_fill(struct sk_buff *skb, const struct sipalg_seg *seg,
			     const struct sipalg_split_payload *f)
{
	unsigned int old_l4_len = skb->len - seg->protoff;
	unsigned int new_len = f->keep + f->a_len + f->b_len;
	int err;

	if (seg->dataoff + new_len > 65535)
		return -EMSGSIZE;
	if (sipalg_split_paged(skb, seg))
		err = sipalg_split_fill_paged(skb, seg, f, new_len);
	else
		err = sipalg_split_fill_linear(skb, seg, f, new_len);
	if (err)
		return err;
	((struct tcphdr *)(skb->data + seg->protoff))->seq = htonl(f->seq);
	if (f->fin)
		((struct tcphdr *)(skb->data + seg->protoff))->fin = 1;
	sipalg_split_gso(skb, seg, f->mss);
	sipalg_packet_fix(skb, seg->protoff, seg->l3num, IPPROTO_TCP,
			  old_l4_len);
	return 0;
}

#define SIPALG_SPLIT_WENT_KNOWN BIT_ULL(32)

/*
 * Bytes after end went on already. Conntrack's view counts the bytes on
 * their way here on another CPU too: with a message's segments helped at
 * once on two CPUs, the second, through conntrack but not yet here, had
 * the first taken for overtaken, and the message passed unmodified. So
 * while the connection has an entry (e), what went on is what its hook
 * let go on (sipalg_split_went_on()). Without one (none given, removed,
 * or not knowing yet), conntrack's view: it errs only towards passing a
 * message unmodified, never towards holding bytes whose successors went
 * on. (Without an entry, nothing tells that race from a first segment
 * sent again whose message went on whole, merged by GRO, after which
 * its later bytes never come again.)
 */
static bool sipalg_split_overtaken(const struct sipalg_split *e,
				   struct nf_conn *ct,
				   enum ip_conntrack_dir dir, u32 end)
{
	u64 went = 0;
	u32 seen;

	if (e && !READ_ONCE(e->dead))
		went = atomic64_read(&e->half[dir].went);
	if (went & SIPALG_SPLIT_WENT_KNOWN)
		return after((u32)went, end);
	spin_lock_bh(&ct->lock);
	seen = ct->proto.tcp.seen[dir].td_end;
	spin_unlock_bh(&ct->lock);
	return after(seen, end);
}

/* Bytes up to end went (without a lock: it only grows). */
static void sipalg_split_went_to(atomic64_t *went, u32 end)
{
	s64 old = atomic64_read(went);

	do {
		if ((old & SIPALG_SPLIT_WENT_KNOWN) && !after(end, (u32)old))
			return;
	} while (!atomic64_try_cmpxchg_relaxed(went, &old,
					       SIPALG_SPLIT_WENT_KNOWN | end));
}

/* The packet goes on. */
static void sipalg_split_went_on(struct sipalg_split *e,
				 const struct sk_buff *skb,
				 const struct sipalg_seg *seg)
{
	const struct tcphdr *th;
	struct tcphdr _th;

	/* (Joined or rebuilt, the packet is not the segment that came.) */
	th = skb_header_pointer(skb, seg->protoff, sizeof(_th), &_th);
	if (th)
		sipalg_split_went_to(&e->half[seg->dir].went,
				     ntohl(th->seq) + skb->len - seg->dataoff +
				     th->fin);
}

/*
 * Has the receiver acknowledged all of dir's bytes before seq? Unknown (no
 * acknowledgment tracked) counts as yes. Conntrack keeps the highest
 * acknowledgment numbered as dir's sender does (its sequence adjustment
 * undone, corrected by sipalg_seqnum_conntrack_ack()).
 */
static bool sipalg_split_received(struct nf_conn *ct,
				  enum ip_conntrack_dir dir, u32 seq)
{
	bool received;
	u32 ack;

	spin_lock_bh(&ct->lock);
	received = !sipalg_seqnum_conntrack_ack(ct, dir, false, &ack) ||
		   !before(ack, seq);
	spin_unlock_bh(&ct->lock);
	return received;
}

/*
 * The held message reaches the bytes held after a gap: they join it.
 * Without room, those go (never acknowledged, they come again). Returns
 * whether the stream ends after them (their FIN came).
 */
static bool sipalg_split_absorb(struct sipalg_split_half *h,
				struct sipalg_net *sn)
{
	struct sipalg_split_buf *held = &h->held, *run = &h->ooo;
	u32 held_end = held->seq + held->len, run_end = run->seq + run->len;
	bool fin = run->fin;
	unsigned int add;
	int err;

	if (!run->data || after(run->seq, held_end))
		return false;
	if (after(run_end, held_end)) {
		add = run_end - held_end;
		err = held->len + add > split_max_message ?
		      SIPALG_CTR_SPLIT_GAVE_UP_TOO_BIG :
		      sipalg_split_buf_reserve(h, held, held->len + add);
		if (err) {
			sipalg_count(sn, err);
			sipalg_split_buf_free(h, run);
			return false;
		}
		memcpy(held->data + held->len, run->data + run->len - add, add);
		held->len += add;
	}
	sipalg_split_buf_free(h, run);
	return fin;
}

/*
 * A segment after a gap (a segment lost or reordered before the router):
 * hold it with the bytes held after that gap, to be joined when what is
 * missing comes. They were not delivered, so not acknowledged: the sender
 * sends what is missing again (at the latest when its RTO passes).
 */
static int sipalg_split_ooo_add(struct sipalg_split_half *h,
				struct sk_buff *skb, struct sipalg_seg *seg)
{
	struct sipalg_split_buf *run = &h->ooo;
	u32 end = seg->seq + seg->len, run_end = run->seq + run->len;
	u32 start = h->held.data ? h->held.seq : seg->seq;
	unsigned int skip = 0;
	int err;

	if (run->data) {
		/* Another gap: more than one run is not kept. */
		if (before(seg->seq, run->seq) || after(seg->seq, run_end)) {
			sipalg_split_give_up(h, seg->sn,
					     SIPALG_CTR_SPLIT_GAVE_UP_GAP, end);
			return NF_ACCEPT;
		}
		/*
		 * Sent again while the gap waits: sipalg has them. But the
		 * sender resends from the first byte not acknowledged: from
		 * their start, well after they came (not a probe of its last
		 * segment), the receiver had all before them: no gap.
		 */
		if (!after(end, run_end)) {
			if (seg->seq == run->seq &&
			    !time_before(jiffies,
					 run->last + SIPALG_SPLIT_DUP_WINDOW)) {
				sipalg_split_give_up(h, seg->sn,
						     SIPALG_CTR_SPLIT_GAVE_UP_NO_GAP,
						     run_end);
				return NF_ACCEPT;
			}
			sipalg_split_ask(h, seg, true);
			return sipalg_split_duplicate(skb, seg,
						      SIPALG_CTR_SPLIT_DUPLICATES);
		}
		skip = run_end - seg->seq;
		if (!h->held.data)
			start = run->seq;
	}
	if (end - start > split_max_message) {
		sipalg_split_give_up(h, seg->sn,
				     SIPALG_CTR_SPLIT_GAVE_UP_TOO_BIG, end);
		return NF_ACCEPT;
	}
	err = sipalg_split_buf_reserve(h, run, run->len + seg->len - skip);
	if (!err && skb_copy_bits(skb, seg->dataoff + skip,
				  run->data + run->len, seg->len - skip))
		err = SIPALG_CTR_SPLIT_GAVE_UP_NOMEM;
	if (err) {
		sipalg_split_give_up(h, seg->sn, err, end);
		return NF_ACCEPT;
	}
	if (!run->len) {
		run->seq = seg->seq;
		run->since = jiffies;
		sipalg_split_run_sent(h, skb, seg);
		sipalg_count(seg->sn, SIPALG_CTR_SPLIT_OUT_OF_ORDER);
	}
	run->len += seg->len - skip;
	run->fin = seg->th.fin;
	run->last = jiffies;
	h->mss = max_t(unsigned int, h->mss, seg->len);
	/* As a receiver would for each segment after a gap. */
	sipalg_split_ask(h, seg, false);
	consume_skb(skb);
	return NF_STOLEN;
}

/*
 * The held message is complete at out_len: send it on, keep its bytes. The
 * start of a next message after it (need: its length, if known) stays held.
 * fin: the stream ends after all that is held (then out_len is all of it).
 */
static int sipalg_split_send(struct sipalg_split_half *h, struct sk_buff *skb,
			     const struct sipalg_seg *seg, unsigned int out_len,
			     unsigned int need, bool fin,
			     struct sipalg_framed_lens *fr)
{
	struct sipalg_split_buf *held = &h->held, rest = { 0 };
	unsigned int rest_len = held->len - out_len;
	struct sipalg_split_payload f = {
		.a = held->data, .a_len = out_len, .seq = held->seq,
		.mss = h->mss, .fin = fin,
	};
	int err = 0;

	/*
	 * The start of a next message stays held. Without room for it, it
	 * is not sent: never acknowledged, it comes again; unless sipalg
	 * acknowledged it, when nothing goes now (the segment comes again).
	 */
	if (rest_len) {
		err = sipalg_split_buf_reserve(h, &rest, rest_len);
		if (err && h->owned &&
		    after(h->owned_end, held->seq + out_len)) {
			sipalg_count(seg->sn, err);
			h->kept_back = true;
			return NF_ACCEPT;
		}
	}
	if (sipalg_split_fill(skb, seg, &f)) {
		sipalg_split_buf_free(h, &rest);
		sipalg_split_give_up(h, seg->sn, SIPALG_CTR_SPLIT_GAVE_UP_NOMEM,
				     seg->seq + seg->len);
		return NF_ACCEPT;
	}
	sipalg_split_framed_end(fr, skb, seg, f.seq);
	if (rest.data) {
		memcpy(rest.data, held->data + out_len, rest_len);
		sipalg_split_buf_begin(&rest, held->seq + out_len, rest_len,
				       need);
	} else if (err) {
		sipalg_count(seg->sn, err);
	}
	sipalg_split_keep_held(h, out_len, seg->sn);
	*held = rest;
	return NF_ACCEPT;
}

/*
 * Give up a held message whose next bytes came: send what is held and the
 * segment's new bytes on together, unmodified (the helper sees it is not
 * whole), so that nothing waits for a retransmission. Without memory, drop
 * the held bytes instead: the sender sends them again; or, if sipalg
 * acknowledged them, keep them and drop the segment (sipalg_split_take()).
 */
static int sipalg_split_let_go(struct sipalg_split_half *h,
			       struct sk_buff *skb,
			       const struct sipalg_seg *seg, unsigned int skip,
			       int counter, bool fin)
{
	struct sipalg_split_buf *held = &h->held;
	struct sipalg_split_payload f = {
		.a = held->data, .a_len = held->len, .b_off = skip,
		.b_len = seg->len - skip, .seq = held->seq, .mss = h->mss,
		.fin = fin,
	};
	u32 end = f.b_len ? seg->seq + seg->len : held->seq + held->len;

	if (sipalg_split_fill(skb, seg, &f))
		counter = SIPALG_CTR_SPLIT_GAVE_UP_NOMEM;
	else
		h->owned = false;	/* they went on in this packet */
	sipalg_split_give_up(h, seg->sn, counter, end);
	return NF_ACCEPT;
}

/*
 * The held message grew (under the entry's lock): send on what is whole
 * now in the segment's packet, or keep holding. fin: the stream ends
 * after what is held.
 */
static int sipalg_split_held_grew(struct sipalg_split_half *h,
				  struct sk_buff *skb, struct sipalg_seg *seg,
				  bool fin)
{
	struct sipalg_split_buf *held = &h->held;
	struct sipalg_framed_lens *fr;
	unsigned int tail, need;

	/* Still short of the length its headers said: no need to frame. */
	if (held->need && held->len < held->need && !fin) {
		sipalg_split_ask(h, seg, false);
		consume_skb(skb);
		return NF_STOLEN;
	}
	fr = sipalg_split_framed_begin();
	switch (sipalg_split_frame_held(fr, held, &tail, &need)) {
	case SIPALG_FRAME_NEED_MORE:
		if (fin)
			break;
		if (tail)
			return sipalg_split_send(h, skb, seg, tail, need, false,
						 fr);
		if (need > split_max_message)
			return sipalg_split_let_go(h, skb, seg, seg->len,
						   SIPALG_CTR_SPLIT_GAVE_UP_TOO_BIG,
						   false);
		held->need = need;
		sipalg_split_ask(h, seg, false);
		consume_skb(skb);
		return NF_STOLEN;
	case SIPALG_FRAME_COMPLETE:
		return sipalg_split_send(h, skb, seg, tail, 0, fin, fr);
	default:
		return sipalg_split_let_go(h, skb, seg, seg->len,
					   SIPALG_CTR_SPLIT_GAVE_UP_INVALID, fin);
	}
	/* A FIN after an unfinished message: it will never be whole. */
	return sipalg_split_let_go(h, skb, seg, seg->len,
				   SIPALG_CTR_SPLIT_GAVE_UP_CLOSED, true);
}

/*
 * The held message ends inside the segment (its last bytes, from the
 * segment's own, just joined it) and more follows: whole messages, the
 * start of another (a big GSO packet of a stream written back to back).
 * The held message goes out in front of the segment's bytes at from,
 * which stay in place, and is kept; a message the segment ends inside is
 * held in turn, as the first segment of a split message would be. When
 * all that is more than one packet may carry (an IP length: a 64 KB GSO
 * packet and the held bytes in front), the packet ends at the last whole
 * message that fits and the messages after it are held too, to go in
 * front of the next segment: in order, as the sequence adjustment needs
 * (under the entry's lock).
 */
static int sipalg_split_send_through(struct sipalg_split_half *h,
				     struct sk_buff *skb,
				     const struct sipalg_seg *seg,
				     unsigned int from,
				     struct sipalg_framed_lens *fr)
{
	struct sipalg_split_buf *held = &h->held, rest = { 0 };
	struct sipalg_split_payload f = {
		.a = held->data, .a_len = held->len, .b_off = from,
		.b_len = seg->len - from, .mss = h->mss,
		/* (Nothing held: a late segment and what came after it.) */
		.seq = held->data ? held->seq : seg->seq + from,
	};
	unsigned int room = 65535 - seg->dataoff - held->len;
	unsigned int tail = 0, need = 0, whole, hold_from, len;
	const unsigned char *p;
	int framed, reason, err = 0;

	if (!pskb_may_pull(skb, skb->len)) {
		sipalg_split_give_up(h, seg->sn, SIPALG_CTR_SPLIT_GAVE_UP_NOMEM,
				     seg->seq + seg->len);
		return NF_ACCEPT;
	}
	p = skb->data + seg->dataoff + from;
	framed = sipalg_split_frame_into(fr, p, f.b_len, &tail, &need);
	whole = framed == SIPALG_FRAME_COMPLETE ? f.b_len : tail;
	hold_from = framed == SIPALG_FRAME_NEED_MORE ? tail : f.b_len;
	if (hold_from > room && framed != SIPALG_FRAME_INVALID) {
		hold_from = 0;
		while (hold_from < whole &&
		       sipalg_frame(p + hold_from, whole - hold_from, &len,
				    &reason) == SIPALG_FRAME_COMPLETE &&
		       len <= room - hold_from)
			hold_from += len;
		need = 0;
	}
	if (hold_from < f.b_len && framed != SIPALG_FRAME_INVALID) {
		unsigned int rest_len = f.b_len - hold_from;

		err = seg->th.fin || rest_len > split_max_message ||
		      need > split_max_message ?
		      SIPALG_CTR_SPLIT_GAVE_UP_TOO_BIG :
		      sipalg_split_buf_reserve(h, &rest, rest_len);
		if (!err && skb_copy_bits(skb, seg->dataoff + from + hold_from,
					  rest.data, rest_len))
			err = SIPALG_CTR_SPLIT_GAVE_UP_NOMEM;
		/* Held, it goes out in front of what comes next. */
		if (!err) {
			f.b_len = hold_from;
			sipalg_split_buf_begin(&rest, seg->seq + from + hold_from,
					       rest_len, need);
		} else {
			/* (Reserved, not filled: nothing is held.) */
			sipalg_split_buf_free(h, &rest);
		}
	}
	if (sipalg_split_fill(skb, seg, &f)) {
		sipalg_split_buf_free(h, &rest);
		sipalg_split_give_up(h, seg->sn, err ?: SIPALG_CTR_SPLIT_GAVE_UP_NOMEM,
				     seg->seq + seg->len);
		return NF_ACCEPT;
	}
	sipalg_split_framed_end(fr, skb, seg, f.seq);
	/* Kept for its retransmissions: the rest went as it was sent. */
	if (held->data)
		sipalg_split_keep_held(h, held->len, seg->sn);
	*held = rest;
	if (held->data) {
		sipalg_count(seg->sn, SIPALG_CTR_SPLIT_HELD);
	} else if (framed != SIPALG_FRAME_COMPLETE) {
		/* A message's start passed (or no message): so will the rest. */
		if (err)
			sipalg_count(seg->sn, err);
		sipalg_split_set_aligned(seg->ct, seg->dir, false);
	}
	return NF_ACCEPT;
}

/*
 * A give-up found h's held bytes owned (under the entry's lock): the
 * segment that would have gone on without them is dropped instead.
 */
static int sipalg_split_keep_back(struct sipalg_split_half *h,
				  const struct sipalg_seg *seg, int verdict)
{
	if (!h->kept_back)
		return verdict;
	h->kept_back = false;
	if (verdict != NF_ACCEPT && verdict != SIPALG_SPLIT_GO_ON)
		return verdict;
	sipalg_count(seg->sn, SIPALG_CTR_SPLIT_KEPT_BACK);
	return NF_DROP;
}

/*
 * The sender sent held bytes again (seg: all of it held), well after they
 * came: its retransmission timer, which sends the first segment not
 * acknowledged and nothing new until it is (a loss it did not repair
 * otherwise, a sender with room for one segment, a sender that paused
 * mid-message). Giving the message up would let it pass unmodified. So
 * sipalg acknowledges the held bytes itself, as the receiver would had
 * it got them, and owns them from then on: the sender sends the rest of
 * the message, which joins them as usual; every way out sends them on
 * (joined and rewritten, or as they are in front of the next segment),
 * none drops them (sipalg_split_give_up()), and a segment that cannot go
 * on behind them is dropped instead: it comes again (tcp_split_kept_back).
 * A sender that sends them again after SIPALG_SPLIT_TAKE_ACKS such ACKs
 * did not take them (lost, or refused: they carry no timestamps): they
 * go on as they are in place of its copy, and the rest of the message
 * passes unmodified, as before (under the entry's lock).
 */
static int sipalg_split_take(struct sipalg_split_half *h, struct sk_buff *skb,
			     struct sipalg_seg *seg)
{
	struct sipalg_split_buf *held = &h->held;

	if (h->take_acks >= SIPALG_SPLIT_TAKE_ACKS)
		return sipalg_split_let_go(h, skb, seg, seg->len,
					   SIPALG_CTR_SPLIT_GAVE_UP_RESENT,
					   false);
	h->owned = true;
	h->owned_end = held->seq + held->len;
	/* What sends them on carries these (the receiver's PAWS). */
	h->owned_ts = sipalg_split_ts(skb, seg, &h->owned_tsval,
				      &h->owned_tsecr);
	h->take_acks++;
	held->last = jiffies;
	seg->sack.n = 0;
	seg->sack.take = true;
	seg->sack.ack_known = true;
	seg->sack.ack = h->owned_end;
	consume_skb(skb);
	return NF_STOLEN;
}

/* The next segment of a held message (under the entry's lock). */
static int sipalg_split_join(struct sipalg_split_half *h, struct sk_buff *skb,
			     struct sipalg_seg *seg)
{
	struct sipalg_split_buf *held = &h->held;
	u32 held_end = held->seq + held->len, end = seg->seq + seg->len;
	unsigned int skip, add, take, msg_len, need;
	struct sipalg_framed_lens *fr;
	bool fin;
	int err;

	/* Older bytes, delivered before the message began. */
	if (!after(end, held->seq))
		return NF_ACCEPT;
	if (before(seg->seq, held->seq)) {
		sipalg_split_give_up(h, seg->sn, SIPALG_CTR_SPLIT_GAVE_UP_GAP,
				     end);
		return NF_ACCEPT;
	}
	if (after(seg->seq, held_end))
		return sipalg_split_ooo_add(h, skb, seg);
	if (!after(end, held_end)) {
		/*
		 * Whole messages held (a packet's that did not fit in front
		 * of the next one, sipalg_split_send_through()) go out in
		 * this copy of their bytes: the sender may have nothing more
		 * to send until they are acknowledged.
		 */
		fr = sipalg_split_framed_begin();
		if (!held->need &&
		    sipalg_split_frame_into(fr, held->data, held->len, &msg_len,
					    &need) != SIPALG_FRAME_INVALID &&
		    msg_len)
			return sipalg_split_send(h, skb, seg, msg_len, need,
						 false, fr);
		if (!h->owned &&
		    time_before(jiffies, held->last + SIPALG_SPLIT_DUP_WINDOW)) {
			sipalg_split_ask(h, seg, true);
			return sipalg_split_duplicate(skb, seg,
						      SIPALG_CTR_SPLIT_DUPLICATES);
		}
		return sipalg_split_take(h, skb, seg);
	}
	skip = held_end - seg->seq;
	add = seg->len - skip;
	/*
	 * What the held message takes of the segment: up to the length its
	 * headers said, or, while they are not all in, as much as may be
	 * held. Only that counts against split_max_message, not the whole
	 * segment (a GSO packet carries up to 64 KB). With bytes held after
	 * a gap, all of it joins, as they will.
	 */
	take = add;
	if (!h->ooo.data) {
		if (held->need > held->len)
			take = min(add, held->need - held->len);
		else if (split_max_message > held->len)
			take = min(add, split_max_message - held->len);
	}
	if (held->len + take > split_max_message)
		return sipalg_split_let_go(h, skb, seg, skip,
					   SIPALG_CTR_SPLIT_GAVE_UP_TOO_BIG, false);
	err = sipalg_split_buf_reserve(h, held, held->len + take);
	if (err)
		return sipalg_split_let_go(h, skb, seg, skip, err, false);
	if (skb_copy_bits(skb, seg->dataoff + skip, held->data + held->len,
			  take)) {
		sipalg_split_give_up(h, seg->sn,
				     SIPALG_CTR_SPLIT_GAVE_UP_NOMEM, end);
		return NF_ACCEPT;
	}
	held->len += take;
	held->last = jiffies;
	/* (New bytes: a sender that took sipalg's ACK, and goes on.) */
	h->take_acks = 0;
	h->mss = max_t(unsigned int, h->mss, seg->len);
	if (take < add) {
		/*
		 * Whole messages now end at msg_len (held ones may come
		 * before the joined one: sipalg_split_send_through()).
		 * Bytes past that came from the segment: they go back.
		 */
		fr = sipalg_split_framed_begin();
		switch (sipalg_split_frame_held(fr, held, &msg_len, NULL)) {
		case SIPALG_FRAME_COMPLETE:
		case SIPALG_FRAME_NEED_MORE:
			if (msg_len && held->len - msg_len <= take) {
				take -= held->len - msg_len;
				held->len = msg_len;
				return sipalg_split_send_through(h, skb, seg,
								 skip + take,
								 fr);
			}
			/* As much as may be held, and not whole. */
			return sipalg_split_let_go(h, skb, seg, skip + take,
						   SIPALG_CTR_SPLIT_GAVE_UP_TOO_BIG,
						   false);
		default:
			return sipalg_split_let_go(h, skb, seg, skip + take,
						   SIPALG_CTR_SPLIT_GAVE_UP_INVALID,
						   false);
		}
	}
	fin = sipalg_split_absorb(h, seg->sn) || seg->th.fin;
	return sipalg_split_held_grew(h, skb, seg, fin);
}

/*
 * What was missing before the bytes held after a gap came, and it and
 * they are too long to hold as one message (a big GSO packet, its next
 * bytes overtaking it on another CPU): they go on together now, the
 * helper rewrites the whole messages in them, and a message they end
 * inside is held (begins: the late segment begins at a message). Dropping
 * the bytes after the gap instead would have the sender send them again
 * behind later rewritten packets, which the one correction point of the
 * sequence adjustment cannot number right (under the entry's lock).
 */
static int sipalg_split_send_with_run(struct sipalg_split_half *h,
				      struct sk_buff *skb,
				      const struct sipalg_seg *seg,
				      unsigned int more, bool begins)
{
	struct sipalg_split_buf *run = &h->ooo;
	struct sipalg_split_payload f = {
		.keep = seg->len, .a = run->data + run->len - more,
		.a_len = more, .seq = seg->seq, .mss = h->mss, .fin = run->fin,
	};
	struct sipalg_seg all = *seg;
	int err = sipalg_split_fill(skb, seg, &f);
	struct sipalg_framed_lens *fr;

	all.th.fin |= run->fin;
	sipalg_split_buf_free(h, run);
	if (err) {
		sipalg_split_give_up(h, seg->sn, SIPALG_CTR_SPLIT_GAVE_UP_NOMEM,
				     seg->seq + seg->len);
		return NF_ACCEPT;
	}
	if (!begins) {
		sipalg_count(seg->sn, SIPALG_CTR_SPLIT_GAVE_UP_TOO_BIG);
		sipalg_split_set_aligned(seg->ct, seg->dir, false);
		return NF_ACCEPT;
	}
	all.len += more;
	all.last = all.seq + all.len;
	/* (Held bytes would go first, not framed here: no lengths then.) */
	fr = sipalg_split_framed_begin();
	fr->closed = !!h->held.data;
	return sipalg_split_send_through(h, skb, &all, 0, fr);
}

/*
 * What was missing before the bytes held after a gap comes, and no message
 * is held (under the entry's lock): if it begins a message, it and those
 * bytes are held together, as a message whose next segment came, and go
 * on when whole (a joined message is kept for retransmissions); if not,
 * they are still after a gap, which begins earlier now.
 */
static int sipalg_split_fill_gap(struct sipalg_split_half *h,
				 struct sk_buff *skb, struct sipalg_seg *seg)
{
	struct sipalg_split_buf *run = &h->ooo, joined = { 0 };
	u32 end = seg->seq + seg->len, run_end = run->seq + run->len;
	unsigned int more = after(run_end, end) ? run_end - end : 0;
	bool begins, fin = run->fin;
	int err;

	if (!pskb_may_pull(skb, skb->len)) {
		sipalg_split_give_up(h, seg->sn,
				     SIPALG_CTR_SPLIT_GAVE_UP_NOMEM, end);
		return NF_ACCEPT;
	}
	begins = sipalg_frame_begins(skb->data + seg->dataoff, seg->len);
	if (seg->len + more > split_max_message)
		return sipalg_split_send_with_run(h, skb, seg, more, begins);
	err = sipalg_split_buf_reserve(h, &joined, seg->len + more);
	if (err) {
		sipalg_split_give_up(h, seg->sn, err, end);
		return NF_ACCEPT;
	}
	if (skb_copy_bits(skb, seg->dataoff, joined.data, seg->len)) {
		sipalg_split_buf_free(h, &joined);
		sipalg_split_give_up(h, seg->sn,
				     SIPALG_CTR_SPLIT_GAVE_UP_NOMEM, end);
		return NF_ACCEPT;
	}
	memcpy(joined.data + seg->len, run->data + run->len - more, more);
	joined.seq = seg->seq;
	joined.len = seg->len + more;
	joined.since = begins ? jiffies : run->since;
	joined.last = jiffies;
	sipalg_split_buf_free(h, run);
	h->mss = max_t(unsigned int, h->mss, seg->len);
	if (!begins) {
		joined.fin = fin;
		*run = joined;
		consume_skb(skb);
		return NF_STOLEN;
	}
	h->held = joined;
	sipalg_count(seg->sn, SIPALG_CTR_SPLIT_HELD);
	return sipalg_split_held_grew(h, skb, seg, fin);
}

/*
 * The sender sent [seq, end) of a kept message again, which goes on as
 * the whole message rebuilt (under the entry's lock).
 */
static void sipalg_split_again(struct sipalg_split_half *h, u32 seq, u32 end)
{
	if (h->n_again == SIPALG_SPLIT_AGAIN) {
		memmove(&h->again[0], &h->again[1],
			sizeof(h->again[0]) * (SIPALG_SPLIT_AGAIN - 1));
		h->n_again--;
	}
	h->again[h->n_again].seq = seq;
	h->again[h->n_again].end = end;
	h->again[h->n_again].at = jiffies;
	h->n_again++;
}

static void sipalg_split_set_edge(struct sk_buff *skb, struct tcphdr *th,
				  u8 *p, u32 x)
{
	__be32 old, new = htonl(x);

	memcpy(&old, p, sizeof(old));
	inet_proto_csum_replace4(&th->check, skb, old, new, false);
	memcpy(p, &new, sizeof(new));
}

/*
 * The receiver's report that it got a rebuilt message twice. Its sender
 * sent one segment of it again; sipalg sent the whole message, and the
 * receiver reports the whole as a duplicate (a D-SACK, RFC 2883): its
 * sender counts each segment of it as a duplicate. Linux believes
 * a D-SACK only while the duplicates reported to it do not outnumber what
 * it sent again (tcp_dsack_seen()), so a few such reports made it ignore
 * every D-SACK after them, sipalg's own too (sipalg_split_ask()): in
 * t-sipalg-tcp-loss its D-SACKs were all ignored after the first
 * rebuilds, and its senders waited for their timers. The report is
 * narrowed to the segment its sender sent again, as the receiver would
 * have reported it, had it got only that (h: the half whose bytes the ACK
 * acknowledges; under the entry's lock, before the segment's verdict).
 * The edges are numbered for the adjustment as it is now; a rewrite of
 * h's bytes on another CPU before this packet's confirm would move them by
 * its change, as it would conntrack's own reading of the packet.
 *
 * A rebuilt message longer than the receiver's segments comes to it as
 * several, each reported on its own; only the one that holds the segment
 * sent again is narrowed.
 */
static void sipalg_split_narrow_dsack(struct sipalg_split_half *h,
				      struct sk_buff *skb,
				      const struct sipalg_seg *seg)
{
	u32 ack = ntohl(seg->th.ack_seq), s0, e0, s, e, a, b;
	u8 opts[MAX_TCP_OPTION_SPACE], *sack, *block;
	struct nf_ct_seqadj way = { 0 };
	struct nf_conn_seqadj *seqadj;
	unsigned int i, off, n;
	struct tcphdr *th;

	while (h->n_again &&
	       time_after(jiffies, h->again[0].at + SIPALG_SPLIT_AGAIN_TIME)) {
		memmove(&h->again[0], &h->again[1],
			sizeof(h->again[0]) * (h->n_again - 1));
		h->n_again--;
	}
	if (!h->n_again)
		return;
	sack = sipalg_split_option(skb, seg, TCPOPT_SACK, opts);
	if (!sack || sack[1] < TCPOLEN_SACK_BASE + TCPOLEN_SACK_PERBLOCK ||
	    (sack[1] - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_PERBLOCK)
		return;
	n = (sack[1] - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_PERBLOCK;
	s0 = sipalg_split_edge(sack + 2);
	e0 = sipalg_split_edge(sack + 6);
	/* A D-SACK: below the acknowledgment, or inside the next block. */
	if (!before(s0, ack) &&
	    (n < 2 || after(e0, sipalg_split_edge(sack + 14)) ||
	     before(s0, sipalg_split_edge(sack + 10))))
		return;
	seqadj = nfct_seqadj(seg->ct);
	if (seqadj) {
		spin_lock_bh(&seg->ct->lock);
		way = seqadj->seq[h->dir];
		spin_unlock_bh(&seg->ct->lock);
	}
	s = sipalg_seqnum_to_sender(&way, s0);
	e = sipalg_seqnum_to_sender(&way, e0);
	/* The oldest segment sent again that the block names. */
	for (i = 0; i < h->n_again; i++) {
		a = h->again[i].seq;
		b = h->again[i].end;
		if (!before(a, s) && !after(b, e))
			break;
	}
	if (i == h->n_again)
		return;
	memmove(&h->again[i], &h->again[i + 1],
		sizeof(h->again[0]) * (h->n_again - i - 1));
	h->n_again--;
	/* Only what is more than that segment. */
	if (b - a == e - s || !sipalg_seqnum_to_receiver(&way, a, &s0) ||
	    !sipalg_seqnum_to_receiver(&way, b, &e0))
		return;
	off = seg->protoff + sizeof(struct tcphdr) + (sack - opts) + 2;
	if (skb_ensure_writable(skb, off + TCPOLEN_SACK_PERBLOCK))
		return;
	th = (struct tcphdr *)(skb->data + seg->protoff);
	block = skb->data + off;
	sipalg_split_set_edge(skb, th, block, s0);
	sipalg_split_set_edge(skb, th, block + 4, e0);
	sipalg_count(seg->sn, SIPALG_CTR_SPLIT_DSACK_NARROWED);
}

/*
 * The sender sends (part of) the kept message again: rebuild all of it,
 * so that the helper rewrites it as the first time. Bytes after it in the
 * segment come along, unless a held message has them.
 */
static int sipalg_split_rebuild(struct sipalg_split_half *h,
				struct sk_buff *skb,
				const struct sipalg_seg *seg)
{
	struct sipalg_split_buf *kept = &h->kept;
	u32 kept_end = kept->seq + kept->len, end = seg->seq + seg->len;
	struct sipalg_split_payload f = {
		.a = kept->data, .a_len = kept->len, .seq = kept->seq,
		.mss = h->mss,
	};

	/* Bytes before the message (the end of the one before) stay. */
	if (before(seg->seq, kept->seq)) {
		f.keep = kept->seq - seg->seq;
		f.seq = seg->seq;
	}
	if (after(end, kept_end)) {
		f.b_off = kept_end - seg->seq;
		f.b_len = h->held.data || h->ooo.data ? 0 : end - kept_end;
		/* Its FIN must stay after its last byte. */
		if (seg->th.fin && !f.b_len)
			return NF_ACCEPT;
	}
	if (sipalg_split_fill(skb, seg, &f)) {
		sipalg_count(seg->sn, SIPALG_CTR_SPLIT_GAVE_UP_NOMEM);
		return NF_ACCEPT;
	}
	/* What went again of the sender's segment (not held bytes after). */
	sipalg_split_again(h, seg->seq,
			   after(end, kept_end) && !f.b_len ? kept_end : end);
	sipalg_count(seg->sn, SIPALG_CTR_SPLIT_REBUILT);
	return NF_ACCEPT;
}

/*
 * A segment when bytes after a gap are held and no message is (under the
 * entry's lock): its verdict, or GO_ON.
 */
static int sipalg_split_before_gap(struct sipalg_split_half *h,
				   struct sk_buff *skb, struct sipalg_seg *seg)
{
	struct sipalg_split_buf *run = &h->ooo;
	u32 end = seg->seq + seg->len;

	/* Before the gap's end: on as usual (its start may be held). */
	if (before(end, run->seq)) {
		seg->last = run->seq + run->len + run->fin;
		return SIPALG_SPLIT_GO_ON;
	}
	if (before(seg->seq, run->seq)) {
		/* A FIN before the bytes after the gap: not a stream. */
		if (seg->th.fin) {
			sipalg_split_give_up(h, seg->sn,
					     SIPALG_CTR_SPLIT_GAVE_UP_CLOSED,
					     end);
			return NF_ACCEPT;
		}
		return sipalg_split_fill_gap(h, skb, seg);
	}
	return sipalg_split_ooo_add(h, skb, seg);
}

/*
 * A data segment while this direction holds bytes (under the entry's
 * lock): its verdict, or GO_ON when nothing is held, or it comes before
 * the bytes held after a gap.
 */
static int sipalg_split_while_held(struct sipalg_split_half *h,
				   struct sk_buff *skb, struct sipalg_seg *seg)
{
	if (h->held.data)
		return sipalg_split_join(h, skb, seg);
	if (h->ooo.data)
		return sipalg_split_before_gap(h, skb, seg);
	return SIPALG_SPLIT_GO_ON;
}

/*
 * A message given up before its headers were all held passes as its
 * sender sends it (again). Its first bytes were kept (frame): the bytes
 * that pass after them, in order, complete its headers, which say where
 * it ends, and the stream is at a message boundary there, as when its
 * headers were held. Else a next message whose first segment came late
 * would pass unmodified too (overtaken), and the one after it, as long as
 * segments keep coming out of order. A gap, too much, or bytes that are
 * not framed SIP: the end stays unknown, as before (under the entry's
 * lock; before the segment's verdict).
 */
static void sipalg_split_find_end(struct sipalg_split_half *h,
				  struct sk_buff *skb,
				  const struct sipalg_seg *seg)
{
	struct sipalg_split_buf *f = &h->frame;
	u32 f_end = f->seq + f->len, end = seg->seq + seg->len, msg_end;
	unsigned int skip, add, msg_len, tail, need;
	int reason;

	/* Held again (sent again from its start), or after a gap. */
	if (h->held.data || h->ooo.data)
		goto unknown;
	if (!after(end, f_end))
		return;
	if (after(seg->seq, f_end))
		goto unknown;
	skip = f_end - seg->seq;
	add = min(seg->len - skip, split_max_message - f->len);
	if (!add || sipalg_split_buf_reserve(h, f, f->len + add) ||
	    skb_copy_bits(skb, seg->dataoff + skip, f->data + f->len, add))
		goto unknown;
	f->len += add;
	f->last = jiffies;
	switch (sipalg_frame(f->data, f->len, &msg_len, &reason)) {
	case SIPALG_FRAME_COMPLETE:
		break;
	case SIPALG_FRAME_NEED_MORE:
		if (sipalg_frame_tail(f->data, f->len, &tail, &need) ==
		    SIPALG_FRAME_NEED_MORE && !tail && need) {
			msg_len = need;
			break;
		}
		/* The headers are still coming. */
		if (f->len < split_max_message)
			return;
		goto unknown;
	default:
		goto unknown;
	}
	msg_end = f->seq + msg_len;
	sipalg_split_buf_free(h, f);
	/*
	 * It ended in bytes that passed already (the frame began with a
	 * keep-alive or a whole message): the next one began there too.
	 */
	if (!after(msg_end, f_end))
		return;
	/* Bytes after it passed already (a limit reached there). */
	if (h->passing && after(h->pass_before, msg_end))
		return;
	h->passing = true;
	h->pass_before = msg_end;
	h->pass_since = jiffies;
	sipalg_split_set_aligned(seg->ct, seg->dir, true);
	sipalg_count(seg->sn, SIPALG_CTR_SPLIT_END_FOUND);
	return;
unknown:
	sipalg_split_buf_free(h, f);
}

/* A segment of a connection with split state: its verdict, or GO_ON. */
static int sipalg_split_known(struct sipalg_split *e, struct sk_buff *skb,
			      struct sipalg_seg *seg)
{
	struct sipalg_split_half *h = &e->half[seg->dir];
	struct sipalg_split_half *other = &e->half[!seg->dir];
	struct sipalg_split_buf *kept = &h->kept;
	u32 end = seg->seq + seg->len;
	int verdict = SIPALG_SPLIT_GO_ON;
	u32 acked = 0;

	spin_lock_bh(&e->lock);
	if (e->dead)
		goto out;
	/* (Its original carried the same acknowledgment and options.) */
	if (sipalg_split_network_copy(h, skb, seg)) {
		verdict = sipalg_split_duplicate(skb, seg,
						 SIPALG_CTR_SPLIT_NETWORK_COPIES);
		goto out;
	}
	/* What the peer acknowledges, numbered as the other way's sender. */
	if (seg->th.ack)
		acked = sipalg_split_peer_acked(other, seg);
	if (seg->th.ack && other->n_again)
		sipalg_split_narrow_dsack(other, skb, seg);
	/* The peer has the other way's joined message: forget it soon. */
	if (seg->th.ack && other->kept.data && !other->kept.acked &&
	    !before(acked, other->kept.seq + other->kept.len)) {
		other->kept.acked = true;
		other->kept.last = jiffies;
	}
	/*
	 * The peer has what the other way's bytes after a gap waited for
	 * (and more): there was no gap, or it was filled past sipalg. They
	 * go; never delivered, they come again.
	 */
	if (seg->th.ack && other->ooo.data && !before(acked, other->ooo.seq))
		sipalg_split_give_up(other, seg->sn,
				     SIPALG_CTR_SPLIT_GAVE_UP_NO_GAP,
				     other->ooo.seq + other->ooo.len);
	if (seg->th.rst) {
		/* (The sender ends the stream: nothing is to go on.) */
		h->owned = false;
		if (h->held.data || h->ooo.data)
			sipalg_split_give_up(h, seg->sn,
					     SIPALG_CTR_SPLIT_GAVE_UP_CLOSED,
					     end);
		sipalg_split_buf_free(h, &h->frame);
		verdict = NF_ACCEPT;
		goto out;
	}
	/* Before what was given up after it: the kept message is whole. */
	if (seg->len && kept->data &&
	    before(seg->seq, kept->seq + kept->len) && after(end, kept->seq)) {
		sipalg_split_buf_free(h, &h->frame);
		verdict = sipalg_split_rebuild(h, skb, seg);
		goto out;
	}
	if (seg->len && h->frame.data)
		sipalg_split_find_end(h, skb, seg);
	if (h->passing) {
		if (before(seg->seq, h->pass_before)) {
			/* The next message begins inside it: it passes too. */
			if (after(end, h->pass_before))
				sipalg_split_set_aligned(seg->ct, seg->dir,
							 false);
			verdict = NF_ACCEPT;
			goto out;
		}
		h->passing = false;
	}
	if (!seg->len) {
		verdict = NF_ACCEPT;
		if (seg->th.fin && h->ooo.data) {
			/*
			 * The stream ends after the bytes after the gap: it
			 * ends with them (or, if they are joined to a held
			 * message, the sender sends its FIN again).
			 */
			if (seg->seq == h->ooo.seq + h->ooo.len) {
				h->ooo.fin = true;
				consume_skb(skb);
				verdict = NF_STOLEN;
			} else {
				sipalg_split_give_up(h, seg->sn,
						     SIPALG_CTR_SPLIT_GAVE_UP_CLOSED,
						     end);
			}
			goto out;
		}
		if (!seg->th.fin || !h->held.data)
			goto out;
		/* The stream ends: what is held goes on with its FIN. */
		if (seg->seq == h->held.seq + h->held.len)
			verdict = sipalg_split_let_go(h, skb, seg, 0,
						      SIPALG_CTR_SPLIT_GAVE_UP_CLOSED,
						      false);
		else
			sipalg_split_give_up(h, seg->sn,
					     SIPALG_CTR_SPLIT_GAVE_UP_CLOSED,
					     end);
	} else {
		verdict = sipalg_split_while_held(h, skb, seg);
	}
out:
	verdict = sipalg_split_keep_back(h, seg, verdict);
	other->kept_back = false;
	spin_unlock_bh(&e->lock);
	return verdict;
}

static struct sipalg_split *sipalg_split_find(const struct nf_conn *ct)
{
	struct sipalg_split *e;

	hash_for_each_possible_rcu(sipalg_splits, e, node, (unsigned long)ct)
		if (e->ct == ct)
			return e;
	return NULL;
}

/*
 * The connection's entry, made at its first split. Not for a conntrack
 * that is dying (the sweep would only remove it).
 */
static struct sipalg_split *sipalg_split_get(struct nf_conn *ct,
					     struct sipalg_help_data *data,
					     int *why)
{
	struct sipalg_split *e = sipalg_split_find(ct), *found;
	enum ip_conntrack_dir dir;
	atomic_long_t *host;
	bool added;

	if (e)
		return e;
	host = sipalg_split_host(ct);
	*why = sipalg_split_charge(host, sizeof(*e));
	if (*why)
		return NULL;
	*why = SIPALG_CTR_SPLIT_GAVE_UP_NOMEM;
	e = kzalloc(sizeof(*e), GFP_ATOMIC | __GFP_NOWARN);
	if (!e) {
		sipalg_split_uncharge(host, sizeof(*e));
		return NULL;
	}
	e->ct = ct;
	e->half[IP_CT_DIR_ORIGINAL].host = host;
	e->half[IP_CT_DIR_REPLY].host = host;
	e->half[IP_CT_DIR_REPLY].dir = IP_CT_DIR_REPLY;
	spin_lock_init(&e->lock);

	spin_lock_bh(&sipalg_splits_lock);
	found = sipalg_split_find(ct);
	added = !found && !nf_ct_is_dying(ct);
	if (added) {
		nf_conntrack_get(&ct->ct_general);
		hash_add_rcu(sipalg_splits, &e->node, (unsigned long)ct);
	}
	spin_unlock_bh(&sipalg_splits_lock);
	/* (Decided under the lock: the conntrack may die meanwhile.) */
	if (!added) {
		kfree(e);
		sipalg_split_uncharge(host, sizeof(*e));
		*why = SIPALG_CTR_SPLIT_GAVE_UP_CLOSED;
		return found;
	}
	/*
	 * What went before the hook records it: what conntrack saw. A packet
	 * that read the shim before this saw conntrack before too (nothing
	 * known of a direction conntrack has no window of: picked up
	 * mid-stream, its end would be 0, not a sequence number).
	 */
	spin_lock_bh(&ct->lock);
	WRITE_ONCE(data->dialogs.shim, data->dialogs.shim | SIPALG_SHIM_SPLIT);
	for (dir = 0; dir < IP_CT_DIR_MAX; dir++) {
		const struct ip_ct_tcp_state *seen = &ct->proto.tcp.seen[dir];

		if (seen->td_maxwin)
			sipalg_split_went_to(&e->half[dir].went, seen->td_end);
	}
	spin_unlock_bh(&ct->lock);
	queue_delayed_work(system_wq, &sipalg_split_sweeper,
			   SIPALG_SPLIT_SWEEP_EVERY);
	return e;
}

int sipalg_split_hold_rest(struct nf_conn *ct, enum ip_conntrack_dir dir,
			   const unsigned char *data, unsigned int len,
			   u32 seq, unsigned int mss)
{
	struct sipalg_help_data *help = nfct_help_data(ct);
	struct sipalg_split_buf rest = { 0 }, *held;
	struct sipalg_split_half *h;
	struct sipalg_split *e;
	unsigned int tail, need;
	int why = 0;

	if (!help || READ_ONCE(sipalg_split_closing) ||
	    sipalg_frame_tail(data, len, &tail, &need) != SIPALG_FRAME_COMPLETE)
		return -EINVAL;
	e = sipalg_split_get(ct, help, &why);
	if (!e)
		return why;
	spin_lock_bh(&e->lock);
	h = &e->half[dir];
	held = &h->held;
	/*
	 * What the split hook holds of this direction is the message this
	 * packet ends inside: the rest goes in front of it. Anything else
	 * held (after a gap, or given up) is not where the rest goes.
	 */
	if (e->dead || h->ooo.data || h->passing ||
	    (held->data && held->seq != seq + len)) {
		why = -EBUSY;
		goto out;
	}
	/* A later segment went by already: the rest would go after it. */
	if (sipalg_split_overtaken(e, ct, dir, seq + len + held->len)) {
		why = SIPALG_CTR_SPLIT_GAVE_UP_OVERTAKEN;
		goto out;
	}
	/* The held message must still fit when joined (its need). */
	if (len + max(held->len, held->need) > split_max_message) {
		why = SIPALG_CTR_SPLIT_GAVE_UP_TOO_BIG;
		goto out;
	}
	why = sipalg_split_buf_reserve(h, &rest, len + held->len);
	if (why)
		goto out;
	memcpy(rest.data, data, len);
	if (held->data)
		memcpy(rest.data + len, held->data, held->len);
	/* (Its end is where the held message's is: framed when joined.) */
	sipalg_split_buf_begin(&rest, seq, len + held->len, 0);
	sipalg_split_buf_free(h, held);
	*held = rest;
	h->mss = max_t(unsigned int, h->mss, mss);
	sipalg_count(sipalg_pernet(nf_ct_net(ct)), SIPALG_CTR_SPLIT_CUT);
out:
	spin_unlock_bh(&e->lock);
	return why;
}

bool sipalg_split_holds(struct nf_conn *ct, enum ip_conntrack_dir dir)
{
	struct sipalg_help_data *data = nfct_help_data(ct);
	struct sipalg_split_half *h;
	struct sipalg_split *e;
	bool holds = false;

	if (!data || !(READ_ONCE(data->dialogs.shim) & SIPALG_SHIM_SPLIT))
		return false;
	rcu_read_lock();
	e = sipalg_split_find(ct);
	if (e) {
		spin_lock_bh(&e->lock);
		h = &e->half[dir];
		holds = !e->dead && (h->held.data || h->ooo.data);
		spin_unlock_bh(&e->lock);
	}
	rcu_read_unlock();
	return holds;
}

/*
 * A segment that begins inside a message, in a stream at a message
 * boundary: the bytes before it are missing (lost or reordered before the
 * router). Hold it until they come.
 */
static unsigned int sipalg_split_hold_ooo(struct sk_buff *skb,
					  struct sipalg_seg *seg,
					  struct sipalg_help_data *data,
					  struct sipalg_split *e)
{
	unsigned int verdict = NF_ACCEPT;
	struct sipalg_split_half *h;
	int why = 0, held_verdict;

	/* Bytes sent again after later ones: nothing to wait for. */
	if (sipalg_split_overtaken(e, seg->ct, seg->dir, seg->last))
		return NF_ACCEPT;
	/*
	 * The receiver has all before them (they may be the stream's first
	 * bytes): no gap, the stream is not at a message boundary.
	 */
	if (sipalg_split_received(seg->ct, seg->dir, seg->seq)) {
		sipalg_split_set_aligned(seg->ct, seg->dir, false);
		return NF_ACCEPT;
	}
	/*
	 * An entry even for a segment too long to hold: another CPU may be
	 * about to hold the bytes before it (the entry's lock decides).
	 */
	e = sipalg_split_get(seg->ct, data, &why);
	if (!e) {
		sipalg_count(seg->sn, why);
		sipalg_split_set_aligned(seg->ct, seg->dir, false);
		return NF_ACCEPT;
	}
	spin_lock_bh(&e->lock);
	h = &e->half[seg->dir];
	if (e->dead)
		goto pass;
	/*
	 * Another CPU began holding this direction meanwhile (the segment
	 * before this one, still on its way there when this one looked):
	 * this may be that message's next segment, or come before the
	 * bytes it holds after a gap.
	 */
	held_verdict = sipalg_split_while_held(h, skb, seg);
	if (held_verdict != SIPALG_SPLIT_GO_ON) {
		spin_unlock_bh(&e->lock);
		return held_verdict;
	}
	if (seg->len > split_max_message) {
		sipalg_count(seg->sn, SIPALG_CTR_SPLIT_GAVE_UP_TOO_BIG);
		goto pass;
	}
	verdict = sipalg_split_ooo_add(h, skb, seg);
	spin_unlock_bh(&e->lock);
	if (verdict == NF_ACCEPT)
		sipalg_split_set_aligned(seg->ct, seg->dir, false);
	return verdict;
pass:
	spin_unlock_bh(&e->lock);
	sipalg_split_set_aligned(seg->ct, seg->dir, false);
	return NF_ACCEPT;
}

/*
 * Does the segment end inside a message? Then hold that message's start.
 * Does it begin inside one? Then what comes before it may be missing.
 */
static unsigned int sipalg_split_maybe_hold(struct sk_buff *skb,
					    struct sipalg_seg *seg,
					    struct sipalg_help_data *data,
					    struct sipalg_split *e)
{
	unsigned int tail, need, hold_len, verdict = NF_ACCEPT;
	struct sipalg_split_payload f = { 0 };
	struct sipalg_framed_lens *fr;
	const unsigned char *payload;
	struct sipalg_split_half *h;
	int framed, why, held_verdict;
	bool aligned;

	if (!pskb_may_pull(skb, skb->len))
		return NF_ACCEPT;
	payload = skb->data + seg->dataoff;
	aligned = sipalg_split_aligned(seg->ct, seg->dir);
	/* (With a FIN too: the bytes after the gap keep it for the end.) */
	if (!sipalg_frame_begins(payload, seg->len)) {
		if (!aligned)
			return NF_ACCEPT;
		return sipalg_split_hold_ooo(skb, seg, data, e);
	}
	local_bh_disable();
	fr = sipalg_split_framed_begin();
	framed = sipalg_split_frame_into(fr, payload, seg->len, &tail, &need);
	sipalg_split_framed_end(fr, skb, seg, seg->seq);
	local_bh_enable();
	/* Whole messages in a stream at a boundary: the usual case, done. */
	if (framed == SIPALG_FRAME_COMPLETE && aligned)
		return NF_ACCEPT;
	if (sipalg_split_overtaken(aligned ? e : NULL, seg->ct, seg->dir,
				   seg->last)) {
		if (framed == SIPALG_FRAME_NEED_MORE && !seg->th.fin) {
			sipalg_count(seg->sn,
				     SIPALG_CTR_SPLIT_GAVE_UP_OVERTAKEN);
			sipalg_split_set_aligned(seg->ct, seg->dir, false);
		}
		return NF_ACCEPT;
	}
	/* Whatever passed before, the stream is where the segment says. */
	sipalg_split_set_aligned(seg->ct, seg->dir,
				 framed != SIPALG_FRAME_INVALID);
	if (framed != SIPALG_FRAME_NEED_MORE || seg->th.fin)
		return NF_ACCEPT;
	hold_len = seg->len - tail;
	/* Longer than may be held, already or as its headers say: pass. */
	why = hold_len > split_max_message || need > split_max_message ?
	      SIPALG_CTR_SPLIT_GAVE_UP_TOO_BIG : 0;
	e = why ? NULL : sipalg_split_get(seg->ct, data, &why);
	if (!e)
		goto pass;
	spin_lock_bh(&e->lock);
	h = &e->half[seg->dir];
	/* (An entry another CPU made meanwhile comes with a reason.) */
	why = 0;
	if (e->dead) {
		sipalg_split_set_aligned(seg->ct, seg->dir, false);
		goto out;
	}
	/*
	 * Another CPU began holding this direction meanwhile (a segment
	 * just before or after this one): this one goes as if that had
	 * come first.
	 */
	held_verdict = sipalg_split_while_held(h, skb, seg);
	if (held_verdict != SIPALG_SPLIT_GO_ON) {
		verdict = held_verdict;
		goto out;
	}
	why = sipalg_split_buf_reserve(h, &h->held, hold_len);
	if (why)
		goto out;
	/* Whole messages before it go on now. */
	f.keep = tail;
	f.seq = seg->seq;
	if (skb_copy_bits(skb, seg->dataoff + tail, h->held.data, hold_len) ||
	    (tail && sipalg_split_fill(skb, seg, &f))) {
		sipalg_split_buf_free(h, &h->held);
		why = SIPALG_CTR_SPLIT_GAVE_UP_NOMEM;
		goto out;
	}
	sipalg_split_buf_begin(&h->held, seg->seq + tail, hold_len, need);
	h->mss = max_t(unsigned int, h->mss, seg->len);
	sipalg_count(seg->sn, SIPALG_CTR_SPLIT_HELD);
	/*
	 * The message's first segment, with a gap still after it (the
	 * first two of three lost, the first sent again): reported as a
	 * duplicate, as a copy of held bytes is, so that the sender's
	 * recovery has the credit to send what is still missing. Not if it
	 * was only late, sent before the bytes after the gap: its sender
	 * sent it once, and a report that it came twice would count against
	 * every D-SACK after it (Linux believes them only while they do not
	 * outnumber what it sent again), sipalg's credits included.
	 */
	if (h->ooo.data && sipalg_split_sent_after(h, skb, seg))
		sipalg_split_ask(h, seg, true);
	if (!tail) {
		consume_skb(skb);
		verdict = NF_STOLEN;
	}
out:
	spin_unlock_bh(&e->lock);
	if (!why)
		return verdict;
pass:
	/* Its start passes: so will the rest. */
	sipalg_count(seg->sn, why);
	sipalg_split_set_aligned(seg->ct, seg->dir, false);
	return verdict;
}

/*
 * A packet longer than an IP length can say (BIG TCP) is neither held nor
 * joined to (the helper lets it pass as it is): what this direction holds
 * is given up, as when the stream closes, and the stream is inside a
 * message until a segment begins one.
 */
static unsigned int sipalg_split_pass_too_long(struct sipalg_seg *seg,
					       struct sipalg_split *e)
{
	unsigned int verdict = NF_ACCEPT;
	struct sipalg_split_half *h;

	sipalg_split_set_aligned(seg->ct, seg->dir, false);
	if (!e)
		return verdict;
	spin_lock_bh(&e->lock);
	h = &e->half[seg->dir];
	if (!e->dead && (h->held.data || h->ooo.data))
		sipalg_split_give_up(h, seg->sn,
				     SIPALG_CTR_SPLIT_GAVE_UP_TOO_BIG,
				     seg->last);
	/* (Held bytes sipalg acknowledged go first: it comes again.) */
	verdict = sipalg_split_keep_back(h, seg, verdict);
	spin_unlock_bh(&e->lock);
	return verdict;
}

/* A segment of a NATed TCP connection sipalg helps. */
static noinline unsigned int
sipalg_split_segment(struct sk_buff *skb, const struct nf_hook_state *state,
		     struct nf_conn *ct, enum ip_conntrack_info ctinfo,
		     struct nf_conn_help *help)
{
	struct sipalg_help_data *data = (struct sipalg_help_data *)help->data;
	u8 shim = READ_ONCE(data->dialogs.shim);
	struct sipalg_split *e;
	struct sipalg_seg seg;
	int verdict;

	if (shim & SIPALG_SHIM_STREAM_TLS)
		return NF_ACCEPT;
	if (!sipalg_split_parse(skb, state, ct, ctinfo, &seg))
		return NF_ACCEPT;
	e = shim & SIPALG_SHIM_SPLIT ? sipalg_split_find(ct) : NULL;
	verdict = SIPALG_SPLIT_GO_ON;
	/*
	 * (Disabled, it still records what goes on, for when it is not, and
	 * sends on held bytes it acknowledged: the sender will not.)
	 */
	if (rcu_dereference(sipalg_pernet(state->net)->config)->disabled) {
		verdict = NF_ACCEPT;
		if (e && READ_ONCE(e->half[seg.dir].owned))
			verdict = sipalg_split_known(e, skb, &seg);
		if (verdict == SIPALG_SPLIT_GO_ON)
			verdict = NF_ACCEPT;
	} else if (unlikely(sipalg_packet_too_long(skb, seg.l3num))) {
		verdict = sipalg_split_pass_too_long(&seg, e);
	} else if (e) {
		verdict = sipalg_split_known(e, skb, &seg);
	}
	if (verdict == SIPALG_SPLIT_GO_ON && seg.len)
		verdict = sipalg_split_maybe_hold(skb, &seg, data, e);
	else if (verdict == SIPALG_SPLIT_GO_ON)
		verdict = NF_ACCEPT;
	/*
	 * (A segment without data or FIN numbers where its sender is, past
	 * bytes held here maybe. An entry made meanwhile, here or on another
	 * CPU, records what goes on from now.)
	 */
	if (verdict == NF_ACCEPT && (seg.len || seg.th.fin)) {
		if (!e && (READ_ONCE(data->dialogs.shim) & SIPALG_SHIM_SPLIT))
			e = sipalg_split_find(ct);
		if (e)
			sipalg_split_went_on(e, skb, &seg);
	}
	/*
	 * (The conntrack outlives the hook even if the skb was consumed: the
	 * entry's reference goes only after the readers, and this is one.)
	 */
	if ((seg.sack.n || seg.sack.take) &&
	    sipalg_sack_send(state->net, ct, seg.dir, &seg.sack))
		sipalg_count(seg.sn, seg.sack.take ? SIPALG_CTR_SPLIT_ACKED :
				     SIPALG_CTR_SPLIT_ASKED);
	return verdict;
}

/*
 * Every packet comes here once in each namespace it crosses (leaving or
 * delivered): those that are not TCP sipalg helps behind NAT leave
 * before the segment's locals (which the kernel zeroes at entry) exist.
 */
static unsigned int sipalg_split_help(struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	enum ip_conntrack_info ctinfo;
	struct nf_conn_help *help;
	struct nf_conn *ct;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || (ctinfo != IP_CT_ESTABLISHED &&
		    ctinfo != IP_CT_ESTABLISHED_REPLY) ||
	    nf_ct_protonum(ct) != IPPROTO_TCP ||
	    !(ct->status & IPS_NAT_MASK))
		return NF_ACCEPT;
	help = nfct_help(ct);
	if (!help || !sipalg_is_our_helper(rcu_dereference(help->helper)))
		return NF_ACCEPT;
	return sipalg_split_segment(skb, state, ct, ctinfo, help);
}

const unsigned int *sipalg_split_framed(const struct sk_buff *skb,
					const struct nf_conn *ct,
					enum ip_conntrack_dir dir, u32 seq,
					unsigned int *n)
{
	struct sipalg_framed_lens *fr = this_cpu_ptr(&sipalg_framed_here);
	bool ours = fr->skb == skb && fr->ct == ct && fr->dir == dir &&
		    fr->seq == seq;

	fr->skb = NULL;
	*n = ours ? fr->n : 0;
	return ours ? fr->lens : NULL;
}

/* After the readers: the entry, and its reference on the conntrack. */
static void sipalg_split_free(struct rcu_head *head)
{
	struct sipalg_split *e = container_of(head, struct sipalg_split, rcu);

	nf_ct_put((struct nf_conn *)e->ct);
	kfree(e);
}

/* Out of the table (under its lock); freed after the readers. */
static void sipalg_split_remove(struct sipalg_split *e)
{
	unsigned int i;

	spin_lock(&e->lock);
	WRITE_ONCE(e->dead, true);
	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		sipalg_split_buf_free(&e->half[i], &e->half[i].held);
		sipalg_split_buf_free(&e->half[i], &e->half[i].kept);
		sipalg_split_buf_free(&e->half[i], &e->half[i].ooo);
		sipalg_split_buf_free(&e->half[i], &e->half[i].frame);
		sipalg_split_buf_free(&e->half[i], &e->half[i].spare);
	}
	spin_unlock(&e->lock);
	hash_del_rcu(&e->node);
	sipalg_split_uncharge(e->half[0].host, sizeof(*e));
	call_rcu(&e->rcu, sipalg_split_free);
}

/* The entries of net's conntracks (NULL: of every namespace) go. */
static void sipalg_split_remove_all(const struct net *net)
{
	struct sipalg_split *e;
	struct hlist_node *tmp;
	int bkt;

	spin_lock_bh(&sipalg_splits_lock);
	hash_for_each_safe(sipalg_splits, bkt, tmp, e, node)
		if (!net || net_eq(nf_ct_net(e->ct), net))
			sipalg_split_remove(e);
	spin_unlock_bh(&sipalg_splits_lock);
}

unsigned long sipalg_split_bytes_now(void)
{
	return atomic_long_read(&sipalg_split_bytes);
}

unsigned long sipalg_split_bytes_max(void)
{
	return split_max_bytes;
}

/* Held bytes sipalg acknowledged, sent on after the sweep's locks. */
struct sipalg_split_handover {
	struct nf_conn *ct;		/* a reference of its own */
	enum ip_conntrack_dir dir;
	atomic_long_t *host;
	struct sipalg_split_buf buf;
	struct sipalg_sack_data d;
};

/*
 * The rest of h's message did not come: its bytes sipalg acknowledged go
 * to o, to be sent on as they are, and the message is given up (the rest
 * passes as it comes again). Under the entry's lock.
 */
static void sipalg_split_hand_over(struct sipalg_split_half *h,
				   struct nf_conn *ct,
				   struct sipalg_split_handover *o)
{
	struct sipalg_split_buf *held = &h->held;

	nf_conntrack_get(&ct->ct_general);
	o->ct = ct;
	o->dir = h->dir;
	o->host = h->host;
	o->buf = *held;
	o->d = (struct sipalg_sack_data){
		.seq = held->seq, .data = held->data,
		.len = h->owned_end - held->seq, .mss = h->mss,
		.ts = h->owned_ts, .tsval = h->owned_tsval,
		.tsecr = h->owned_tsecr,
	};
	memset(held, 0, sizeof(*held));
	h->owned = false;
	sipalg_split_give_up(h, sipalg_pernet(nf_ct_net(ct)),
			     SIPALG_CTR_SPLIT_GAVE_UP_TIMEOUT,
			     o->buf.seq + o->buf.len);
}

/* Not under a lock of sipalg's: the packets go through the hooks. */
static void sipalg_split_send_on(struct sipalg_split_handover *o)
{
	struct net *net = nf_ct_net(o->ct);

	local_bh_disable();
	if (sipalg_sack_deliver(net, o->ct, o->dir, &o->d))
		sipalg_count(sipalg_pernet(net), SIPALG_CTR_SPLIT_SENT_ON);
	local_bh_enable();
	kfree(o->buf.data);
	sipalg_split_uncharge(o->host, o->buf.size);
	nf_ct_put(o->ct);
}

/*
 * Every half of e whose bytes sipalg acknowledged hands them over to
 * out[*n..], while there is room: false if one could not (under the
 * table's lock; e's own is taken here). Unloading: the conntracks stay.
 */
static bool sipalg_split_hand_over_all(struct sipalg_split *e,
				       struct sipalg_split_handover *out,
				       unsigned int *n)
{
	bool all = true;
	unsigned int i;

	spin_lock(&e->lock);
	for (i = 0; i < IP_CT_DIR_MAX; i++) {
		struct sipalg_split_half *h = &e->half[i];

		if (e->dead || !h->owned || !h->held.data)
			continue;
		if (*n < SIPALG_SPLIT_HANDOVERS)
			sipalg_split_hand_over(h, (struct nf_conn *)e->ct,
					       &out[(*n)++]);
		else
			all = false;
	}
	spin_unlock(&e->lock);
	return all;
}

/*
 * Age what is held and kept; entries with nothing left go, and those of a
 * conntrack that is dying (deleted, timed out: its last reference may be
 * the entry's), with all they hold. (Bytes sipalg acknowledged go too:
 * sent on, the receiver's acknowledgment of them would find no conntrack
 * to translate it, and the router's own stack would reset the
 * connection.)
 */
static void sipalg_split_sweep(struct work_struct *work)
{
	struct sipalg_split_handover out[SIPALG_SPLIT_HANDOVERS];
	unsigned int i, n_out = 0;
	unsigned long now = jiffies;
	struct sipalg_split *e;
	struct hlist_node *tmp;
	bool again = false;
	int bkt;

	spin_lock_bh(&sipalg_splits_lock);
	hash_for_each_safe(sipalg_splits, bkt, tmp, e, node) {
		struct nf_conn *ct = (struct nf_conn *)e->ct;
		struct sipalg_help_data *data;
		bool idle = true;

		if (nf_ct_is_dying(ct)) {
			sipalg_split_remove(e);
			continue;
		}
		spin_lock(&e->lock);
		for (i = 0; i < IP_CT_DIR_MAX; i++) {
			struct sipalg_split_half *h = &e->half[i];

			/*
			 * Bytes it acknowledged wait for the rest from when
			 * they were, then sipalg sends them on.
			 */
			if (h->owned && h->held.data &&
			    time_after(now, h->held.last +
					    SIPALG_SPLIT_HOLD_TIME) &&
			    n_out < ARRAY_SIZE(out))
				sipalg_split_hand_over(h, ct, &out[n_out++]);
			if (!h->owned &&
			    ((h->held.data &&
			      time_after(now, h->held.since +
					      SIPALG_SPLIT_HOLD_TIME)) ||
			     (h->ooo.data &&
			      time_after(now, h->ooo.since +
					      SIPALG_SPLIT_HOLD_TIME))))
				sipalg_split_give_up(h,
						     sipalg_pernet(nf_ct_net(ct)),
						     SIPALG_CTR_SPLIT_GAVE_UP_TIMEOUT,
						     sipalg_split_held_end(h));
			if (h->kept.data &&
			    (time_after(now, h->kept.since +
					     SIPALG_SPLIT_KEEP_TIME) ||
			     (h->kept.acked &&
			      time_after(now, h->kept.last +
					      SIPALG_SPLIT_KEEP_ACKED))))
				sipalg_split_buf_free(h, &h->kept);
			if (h->passing &&
			    time_after(now, h->pass_since +
					    SIPALG_SPLIT_PASS_TIME))
				h->passing = false;
			if (h->frame.data &&
			    time_after(now, h->frame.last +
					    SIPALG_SPLIT_HOLD_TIME))
				sipalg_split_buf_free(h, &h->frame);
			/*
			 * Kept for the next message: none is coming while
			 * nothing is held and the last one was acknowledged.
			 */
			if (!h->held.data && (!h->kept.data || h->kept.acked))
				sipalg_split_buf_free(h, &h->spare);
			if (h->held.data || h->kept.data || h->ooo.data ||
			    h->frame.data || h->passing)
				idle = false;
		}
		spin_unlock(&e->lock);
		if (!idle) {
			again = true;
			continue;
		}
		data = nfct_help_data(ct);
		if (data) {
			spin_lock(&ct->lock);
			WRITE_ONCE(data->dialogs.shim,
				   data->dialogs.shim & ~SIPALG_SHIM_SPLIT);
			spin_unlock(&ct->lock);
		}
		sipalg_split_remove(e);
	}
	spin_unlock_bh(&sipalg_splits_lock);
	for (i = 0; i < n_out; i++)
		sipalg_split_send_on(&out[i]);
	if (again)
		queue_delayed_work(system_wq, &sipalg_split_sweeper,
				   SIPALG_SPLIT_SWEEP_EVERY);
}

/* The bytes sipalg acknowledged on net's connections are sent on. */
static void sipalg_split_send_on_all(const struct net *net)
{
	struct sipalg_split_handover out[SIPALG_SPLIT_HANDOVERS];
	unsigned int i, n_out;
	struct sipalg_split *e;
	bool more;
	int bkt;

	do {
		n_out = 0;
		more = false;
		spin_lock_bh(&sipalg_splits_lock);
		hash_for_each(sipalg_splits, bkt, e, node)
			if (net_eq(nf_ct_net(e->ct), net))
				more |= !sipalg_split_hand_over_all(e, out,
								    &n_out);
		spin_unlock_bh(&sipalg_splits_lock);
		for (i = 0; i < n_out; i++)
			sipalg_split_send_on(&out[i]);
	} while (more);
}

static unsigned int sipalg_split_hook(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	return sipalg_phase_hook(sipalg_split_help, skb, state,
				 SIPALG_PHASE_SPLIT_HOOK);
}

/* After NAT, before the helper (at conntrack confirm). */
static const struct nf_hook_ops sipalg_split_ops[] = {
	{
		.hook = sipalg_split_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK_HELPER,
	},
	{
		.hook = sipalg_split_hook,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP_PRI_CONNTRACK_HELPER,
	},
	{
		.hook = sipalg_split_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP6_PRI_CONNTRACK_HELPER,
	},
	{
		.hook = sipalg_split_hook,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP6_PRI_CONNTRACK_HELPER,
	},
};

static int __net_init sipalg_split_net_init(struct net *net)
{
	return nf_register_net_hooks(net, sipalg_split_ops,
				     ARRAY_SIZE(sipalg_split_ops));
}

/*
 * The namespace's entries go with its hooks: its conntracks die only
 * after sipalg's state for it (its counters) is gone, and the sweep
 * would count in those.
 */
static void __net_exit sipalg_split_net_exit(struct net *net)
{
	nf_unregister_net_hooks(net, sipalg_split_ops,
				ARRAY_SIZE(sipalg_split_ops));
	/*
	 * Unloading (the namespace lives on): the bytes sipalg acknowledged
	 * go on first. A namespace that goes has no one to send them to.
	 */
	if (check_net(net))
		sipalg_split_send_on_all(net);
	sipalg_split_remove_all(net);
}

static struct pernet_operations sipalg_split_net_ops = {
	.init = sipalg_split_net_init,
	.exit = sipalg_split_net_exit,
};

int sipalg_split_init(void)
{
	split_max_message = clamp(split_max_message, SIPALG_SPLIT_MESSAGE_MIN,
				  SIPALG_SPLIT_MESSAGE_MAX);
	sipalg_split_host_seed = get_random_u32();
	return register_pernet_subsys(&sipalg_split_net_ops);
}

void sipalg_split_exit(void)
{
	int bkt;

	unregister_pernet_subsys(&sipalg_split_net_ops);
	WRITE_ONCE(sipalg_split_closing, true);
	/* Hooks and helpers still running may make an entry and queue the sweep. */
	synchronize_net();
	cancel_delayed_work_sync(&sipalg_split_sweeper);
	sipalg_split_remove_all(NULL);
	rcu_barrier();
	WARN_ON(atomic_long_read(&sipalg_split_bytes));
	for (bkt = 0; bkt < SIPALG_SPLIT_HOST_BUCKETS; bkt++)
		WARN_ON(atomic_long_read(&sipalg_split_host_bytes[bkt]));
}
