// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path: hand the SIP payload of a helped packet to the C++ core
 * and apply its edit plan to the skb in place, in one pass, with one
 * checksum update and (TCP) one sequence adjustment per packet.
 *
 * What a message means (calls, pinholes, registrations, what to show) is
 * the core's decision (sipalg_decide()); this file carries it out in order:
 * pinholes first (the rewrite needs their public ports), then the rewrite,
 * and if the message cannot be rewritten the pinholes it opened close
 * again, since its SDP still names the private address.
 *
 * Whatever the core does not fully understand passes unmodified and is
 * counted by reason; nothing here ever drops a packet.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/percpu.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ip6_fib.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_seqadj.h>
#include <net/route.h>

#include <sipalg/core.h>
#include <sipalg/decide.h>

#include "compat.h"
#include "config.h"
#include "counters.h"
#include "events.h"
#include "expect.h"
#include "helper.h"
#include "media.h"
#include "order.h"
#include "packet.h"
#include "phase.h"
#include "register.h"
#include "rewrite.h"
#include "sessions.h"
#include "split.h"
#include "sync.h"
#include "trace.h"
#include "xlat.h"

/*
 * The core's parse result and plan are a few KiB: too big for the stack,
 * so each CPU has its own, used with bottom halves disabled.
 */
struct sipalg_scratch {
	struct sipalg_msg msg;
	struct sipalg_plan plan;
	struct sipalg_xlat xlat;
	struct sipalg_view view;
	struct sipalg_decision dec;
	struct sipalg_media_opened opened;
	struct sipalg_sources srcs;
	struct sipalg_media_override ov[SIPALG_MAX_MEDIA];
	struct sipalg_expect_info others[SIPALG_MEDIA_EXPECT_MAX];
};

static struct sipalg_scratch __percpu *sipalg_scratch;

int sipalg_rewrite_init(void)
{
	sipalg_scratch = alloc_percpu(struct sipalg_scratch);
	return sipalg_scratch ? 0 : -ENOMEM;
}

void sipalg_rewrite_exit(void)
{
	free_percpu(sipalg_scratch);
}

/*
 * Offset of the SIP payload from skb->data (the network header) and, TCP,
 * the segment's sequence number as sent (the helper runs before seqadj).
 */
static bool sipalg_payload_offset(const struct sk_buff *skb,
				  unsigned int protoff, u8 protonum,
				  unsigned int *dataoff, __be32 *seq)
{
	struct tcphdr _th;
	const struct tcphdr *th;

	if (protonum == IPPROTO_UDP) {
		*dataoff = protoff + sizeof(struct udphdr);
	} else {
		th = skb_header_pointer(skb, protoff, sizeof(_th), &_th);
		if (!th)
			return false;
		*dataoff = protoff + th->doff * 4;
		*seq = th->seq;
	}
	return *dataoff < skb->len;
}

/*
 * How long the packet may become as it is. Past the egress MTU, only an
 * IPv4 packet without DF (or a GSO one, or one the stack may fragment
 * anyway) still gets through: anything else would be dropped after us,
 * with an ICMP "fragmentation needed" to a sender whose packet did fit,
 * and its retransmissions with it. Packets delivered to this host are not
 * limited. A TCP packet may grow past it all the same: it then leaves as
 * a GSO packet (sipalg_packet_gso()), cut again into segments that fit.
 */
static unsigned int sipalg_max_len(const struct sk_buff *skb, u16 l3num)
{
	const struct dst_entry *dst = skb_dst(skb);

	if (!dst || skb_is_gso(skb) || skb->ignore_df)
		return 65535;
	if (l3num == NFPROTO_IPV4) {
		if (!(ip_hdr(skb)->frag_off & htons(IP_DF)) ||
		    skb_rtable(skb)->rt_type == RTN_LOCAL)
			return 65535;
	} else if (((const struct rt6_info *)dst)->rt6i_flags & RTF_LOCAL) {
		return 65535;
	}
	return clamp(dst_mtu(dst), skb->len, 65535U);
}

/*
 * A packet's messages are rewritten front to back, each written where the
 * one before it ended (out), which is at or before where it arrived (in):
 * the bytes between are free, what earlier messages shrank by or room made
 * for growing ones. Moving the rest of the packet for every message that
 * changes length made a packet of n messages cost n times its length in
 * copies (a GRO packet carries tens of them); now a message moves itself
 * by the free bytes before it, and the rest of the packet moves only when
 * a growing message does not fit, by this much more than it needs, so
 * that the next ones that grow fit too. What is free at the end goes
 * (sipalg_close_gap()).
 */
#define SIPALG_GROW_AHEAD 256

/*
 * Move the bytes from in on (the rest of the packet) by need bytes and,
 * if there are any, by up to SIPALG_GROW_AHEAD more, as far as the packet
 * may become that long (max_len) and, unless it is reallocated anyway,
 * its tailroom goes.
 * May move skb->data; the caller re-derives its pointers.
 */
static bool sipalg_skb_grow(struct sk_buff *skb, unsigned int in,
			    unsigned int need, unsigned int *grown,
			    unsigned int max_len)
{
	unsigned int tail_len = skb->len - in, grow = need, ahead;

	if (skb->len + need > max_len)
		return false;
	/*
	 * The last message of a packet needs no room after it, and room
	 * ahead is taken from the tailroom only (no copy of its own).
	 */
	if (tail_len) {
		ahead = min(SIPALG_GROW_AHEAD, max_len - skb->len - need);
		if (skb_tailroom(skb) >= need)
			ahead = min(ahead, skb_tailroom(skb) - need);
		grow += ahead;
	}
	if (skb_tailroom(skb) < grow &&
	    pskb_expand_head(skb, 0, grow - skb_tailroom(skb), GFP_ATOMIC))
		return false;
	__skb_put(skb, grow);
	memmove(skb->data + in + grow, skb->data + in, tail_len);
	*grown = grow;
	return true;
}

/*
 * Apply the plan to the message that arrived at skb->data + *in (old_len
 * bytes, to the end of the skb or followed by further messages) and write
 * it at skb->data + out (at most *in). Rewritten or not (an error), the
 * message is at out afterwards, and *in is where the next one is now.
 */
static int sipalg_apply_to_skb(struct sk_buff *skb, unsigned int out,
			       unsigned int *in, const struct sipalg_plan *plan,
			       unsigned int max_len)
{
	unsigned int old_len = plan->old_len, new_len = plan->new_len;
	unsigned int room = *in - out + old_len, grown = 0;
	int err = 0;

	if (new_len > room &&
	    !sipalg_skb_grow(skb, *in + old_len, new_len - room, &grown,
			     max_len))
		err = -SIPALG_PASS_TOO_BIG;
	if (out != *in)
		memmove(skb->data + out, skb->data + *in, old_len);
	*in += old_len + grown;
	if (!err && sipalg_apply_in_place(skb->data + out, room + grown,
					  old_len, plan) < 0)
		err = -SIPALG_R_INTERNAL;
	return err;
}

/*
 * A TCP packet whose message at in (len bytes, written at out) cannot grow
 * within max_len: a GSO packet of nearly 64 KB, whose messages lengthen.
 * Rather than pass it and the messages after it unmodified, the packet's
 * last whole messages are held by split.c, to go out in front of the
 * sender's next segment (as a joined packet's last messages do), and the
 * packet is trimmed before them. grown: what the packet grew by before in,
 * so where the held bytes are in the sender's stream is known. True: the
 * message has room now.
 */
static bool sipalg_cut_for_room(struct sk_buff *skb, struct nf_conn *ct,
				enum ip_conntrack_dir dir, unsigned int protoff,
				unsigned int dataoff, unsigned int in,
				unsigned int len, unsigned int out,
				unsigned int grown, const struct sipalg_plan *plan,
				unsigned int max_len, struct sipalg_net *sn)
{
	const struct tcphdr *th = (const struct tcphdr *)(skb->data + protoff);
	unsigned int mss = skb_is_gso(skb) ? skb_shinfo(skb)->gso_size : 0;
	unsigned int room = in - out + len, after = in + len;
	unsigned int growth = plan->new_len - plan->old_len;
	unsigned int must, at, msg_len, tries[2] = { 0, 0 }, i;
	int why = 0, reason;

	/* (A FIN or RST must not go before the bytes held.) */
	if (th->fin || th->rst)
		return false;
	must = skb->len + plan->new_len - room - max_len;
	/*
	 * As few messages as leave room for this one and, at its rate, for
	 * those between it and them; failing that (more than split.c may
	 * hold), as few as leave room for this one.
	 */
	for (at = after; at < skb->len && skb->len - at >= must;
	     at += msg_len) {
		if (sipalg_frame(skb->data + at, skb->len - at, &msg_len,
				 &reason) != SIPALG_FRAME_COMPLETE)
			break;
		if (skb->len - at >=
		    must + mult_frac(at - after, growth, plan->old_len))
			tries[0] = at;
		tries[1] = at;
	}
	for (i = 0; i < ARRAY_SIZE(tries); i++) {
		if (!tries[i] || (i && tries[i] == tries[0]))
			continue;
		why = sipalg_split_hold_rest(ct, dir, skb->data + tries[i],
					     skb->len - tries[i],
					     ntohl(th->seq) + tries[i] - dataoff -
					     grown, mss);
		if (!why) {
			__skb_trim(skb, tries[i]);
			return true;
		}
	}
	if (why > 0)
		sipalg_count(sn, why);
	return false;
}

/* A message that stays as it arrived goes to out all the same. */
static void sipalg_place(struct sk_buff *skb, unsigned int *in,
			 unsigned int *out, unsigned int len)
{
	if (*out != *in)
		memmove(skb->data + *out, skb->data + *in, len);
	*in += len;
	*out += len;
}

/* The free bytes the last messages left at the end of the packet go. */
static void sipalg_close_gap(struct sk_buff *skb, unsigned int out)
{
	if (out < skb->len)
		__skb_trim(skb, out);
}

/* After the payload changed: IP and L4 lengths, checksums, TCP sequence. */
static void sipalg_fix_headers(struct sk_buff *skb, unsigned int protoff,
			       struct nf_conn *ct,
			       enum ip_conntrack_info ctinfo,
			       unsigned int old_l4_len, __be32 seq, int delta)
{
	sipalg_packet_fix(skb, protoff, nf_ct_l3num(ct), nf_ct_protonum(ct),
			  old_l4_len);
	if (nf_ct_protonum(ct) == IPPROTO_TCP && delta)
		nf_ct_seqadj_set(ct, ctinfo, seq, delta);
}

/* A message that passes unmodified: count it, tell a monitor. */
static void sipalg_pass(struct nf_conn *ct, struct sipalg_net *sn,
			int reason)
{
	sipalg_count_pass(sn, reason);
	sipalg_event(ct, SIPALG_EVENT_MALFORMED,
		     sipalg_pass_reason_name(reason), NULL, 0);
}

/* The core's decision about a message, under the connection's lock. */
static void sipalg_decide_for(struct nf_conn *ct, enum ip_conntrack_dir dir,
			      const unsigned char *buf,
			      const struct sipalg_config *cfg,
			      struct sipalg_scratch *s)
{
	struct sipalg_help_data *data = nfct_help_data(ct);

	sipalg_view_for(&s->view, ct, dir, cfg->direct_media);
	if (!data) {
		memset(&s->dec, 0, sizeof(s->dec));
		s->dec.slot = -1;
		return;
	}
	/* A BYE must find the call's pinholes in its class. */
	if (READ_ONCE(data->dialogs.shim) & SIPALG_SHIM_SYNCED)
		sipalg_expect_adopt(ct);
	/* A registration: no call slot to lock, read or mirror. */
	if (!sipalg_decide_uses_dialogs(&s->msg)) {
		sipalg_decide(buf, &s->msg, &s->view, &data->dialogs, &s->dec);
		return;
	}
	spin_lock(&ct->lock);
	sipalg_sync_in(ct, &data->dialogs, s->view.now);
	sipalg_decide(buf, &s->msg, &s->view, &data->dialogs, &s->dec);
	sipalg_sync_out(ct, &data->dialogs);
	spin_unlock(&ct->lock);
}

/*
 * Who may send into the pinholes of this message's streams: the signalling
 * peer, and (direct media) what the other side's SDP named for the call
 * (n of them in named[]), or anyone while that is not known (n < 0).
 */
static void sipalg_sources_for(struct nf_conn *ct, enum ip_conntrack_dir dir,
			       struct sipalg_scratch *s,
			       const union nf_inet_addr *named, int n)
{
	struct sipalg_sources *srcs = &s->srcs;
	int i;

	srcs->n = 1;
	srcs->addr[0] = ct->tuplehash[!dir].tuple.src.u3;
	if (s->dec.admit != SIPALG_ADMIT_PEER_NAMED)
		return;
	if (n < 0) {
		srcs->n = 0;
		return;
	}
	for (i = 0; i < n; i++)
		if (!nf_inet_addr_cmp(&named[i], &srcs->addr[0]))
			srcs->addr[srcs->n++] = named[i];
}

/*
 * This side's SDP named its media addresses: the other side's pinholes
 * admit the sender (their signalling peer) and those, or anyone.
 */
static void sipalg_set_others(struct nf_conn *ct, enum ip_conntrack_dir dir,
			      struct sipalg_scratch *s, struct sipalg_net *sn)
{
	const struct sipalg_decision *dec = &s->dec;
	/* (Read only up to n.) */
	struct sipalg_sources srcs __uninitialized;
	union nf_inet_addr a;
	unsigned int i;

	srcs.n = 0;
	if (dec->n_named) {
		srcs.addr[srcs.n++] = ct->tuplehash[dir].tuple.src.u3;
		for (i = 0; i < dec->n_named; i++)
			if (sipalg_addr_to(&a, &dec->named[i], nf_ct_l3num(ct)) &&
			    !nf_inet_addr_cmp(&a, &srcs.addr[0]))
				srcs.addr[srcs.n++] = a;
	}
	sipalg_media_set_others(ct, dir, dec, &srcs, s->others, sn);
}

/*
 * What the decision asks before the rewrite: close an ended call's
 * pinholes, show the session, set who may use the other side's pinholes,
 * open the message's own, tell a monitor (all that reads the message,
 * while its offsets are still the parsed ones). Returns how many media
 * port overrides the plan gets.
 */
static unsigned int sipalg_act_before(struct nf_conn *ct,
				      enum ip_conntrack_dir dir,
				      const unsigned char *buf,
				      struct sipalg_scratch *s,
				      struct sipalg_net *sn)
{
	const struct sipalg_decision *dec = &s->dec;
	/* (Read only up to what sessions.c fills in.) */
	union nf_inet_addr named[SIPALG_MAX_NAMED] __uninitialized;
	unsigned int n_ov = 0;
	int n_named;

	/* The core's meanings are the uapi's events. */
	BUILD_BUG_ON((int)SIPALG_MEANS_REGISTER != (int)SIPALG_EVENT_REGISTER ||
		     (int)SIPALG_MEANS_CALL_SETUP !=
		     (int)SIPALG_EVENT_CALL_SETUP ||
		     (int)SIPALG_MEANS_CALL_END != (int)SIPALG_EVENT_CALL_END);
	s->opened.n = 0;
	if (dec->actions & SIPALG_DO_CLOSE_CALL)
		sipalg_media_close(ct, dec->slot, sn);
	n_named = sipalg_sessions_update(ct, dir, buf, dec, named, sn);
	/* Before the message's own pinholes: an offer's keep Timer B. */
	if (dec->actions & SIPALG_DO_EXTEND_MEDIA)
		sipalg_media_extend(ct, dec->slot);
	if (dec->actions & SIPALG_DO_SET_OTHERS)
		sipalg_set_others(ct, dir, s, sn);
	if (dec->actions & SIPALG_DO_OPEN_MEDIA) {
		sipalg_sources_for(ct, dir, s, named, n_named);
		sipalg_media_open(ct, dir, &s->msg, dec, &s->srcs, s->ov,
				  &s->opened, sn);
		n_ov = s->msg.n_media;
	}
	if (dec->actions & SIPALG_DO_SLOT_REUSED)
		sipalg_count(sn, SIPALG_CTR_CALL_SLOTS_REUSED);
	if (dec->event)
		sipalg_event(ct, dec->event, NULL, buf + s->msg.call_id.off,
			     s->msg.call_id.len);
	return n_ov;
}

/*
 * And after it: an answer replaces its sender's earlier pinholes, but only
 * once the message goes out as its SDP says; one that passes unmodified
 * takes back what it opened. Registrations follow the registrar's word,
 * rewritten or not.
 */
static void sipalg_act_after(struct nf_conn *ct, enum ip_conntrack_dir dir,
			     struct sipalg_scratch *s, bool passed,
			     struct sipalg_net *sn)
{
	const struct sipalg_decision *dec = &s->dec;

	if (dec->actions & SIPALG_DO_OPEN_MEDIA) {
		if (passed)
			sipalg_media_undo(ct, dir, dec, &s->opened, sn);
		else if (dec->actions & SIPALG_DO_REPLACE_MEDIA)
			sipalg_media_replace(ct, dir, dec, sn);
	}
	if (dec->n_regs)
		sipalg_register_apply(ct, dir, &s->msg, dec, sn);
}

/*
 * TCP: frame the message at msg (avail bytes): SIPALG_OK and its length,
 * or why the rest of the segment passes (there is no boundary to resume
 * from) and *len = avail.
 */
static int sipalg_frame_tcp(const unsigned char *msg, unsigned int avail,
			    unsigned int *len)
{
	int reason;

	switch (sipalg_frame(msg, avail, len, &reason)) {
	case SIPALG_FRAME_COMPLETE:
		return SIPALG_OK;
	case SIPALG_FRAME_NEED_MORE:
		/*
		 * The start of a message split across segments; or bytes from
		 * inside one (the rest of a message given up, a tail sent
		 * again after it went whole), which begin no message.
		 */
		reason = sipalg_frame_begins(msg, avail) ?
			 SIPALG_PASS_TCP_SPLIT : SIPALG_R_NOT_SIP;
		break;
	}
	*len = avail;
	return reason;
}

/*
 * The first payload of a TCP connection (either way): a TLS handshake
 * record means a stream that will never carry plain SIP, and later
 * segments start at arbitrary bytes, so it is remembered once here and
 * then costs a flag test. A stream wrongly taken for TLS (its second
 * segment overtaking a first that would have told otherwise, and looking
 * like a ClientHello) only loses the ALG: it passes, counted.
 */
static bool sipalg_stream_is_tls(struct nf_conn *ct,
				 struct sipalg_help_data *data,
				 const unsigned char *head, unsigned int head_len)
{
	u8 stream = READ_ONCE(data->dialogs.shim);

	if (stream & SIPALG_SHIM_STREAM_STARTED)
		return stream & SIPALG_SHIM_STREAM_TLS;
	spin_lock_bh(&ct->lock);
	stream = data->dialogs.shim;
	if (!(stream & SIPALG_SHIM_STREAM_STARTED)) {
		stream |= SIPALG_SHIM_STREAM_STARTED;
		if (sipalg_peek_tls(head, head_len))
			stream |= SIPALG_SHIM_STREAM_TLS;
		WRITE_ONCE(data->dialogs.shim, stream);
	}
	spin_unlock_bh(&ct->lock);
	return stream & SIPALG_SHIM_STREAM_TLS;
}

/*
 * What the payload's first bytes say (sipalg_peek()), read in place: TLS,
 * STUN and keep-alives are known before any of the payload is pulled into
 * the linear area or copied (a GRO TCP skb is paged, and
 * pskb_may_pull() of all of it copies it all).
 */
static int sipalg_peek_skb(const struct sk_buff *skb, struct nf_conn *ct,
			   unsigned int dataoff, int transport, int *reason)
{
	struct sipalg_help_data *data = nfct_help_data(ct);
	unsigned int len = skb->len - dataoff;
	unsigned int head_len = min(len, SIPALG_PEEK_LEN);
	unsigned char buf[SIPALG_PEEK_LEN];
	const unsigned char *head;

	if (transport == SIPALG_TCP && data &&
	    (READ_ONCE(data->dialogs.shim) & SIPALG_SHIM_STREAM_TLS)) {
		*reason = SIPALG_R_NOT_SIP;
		return SIPALG_PEEK_NOT_SIP;
	}
	head = skb_header_pointer(skb, dataoff, head_len, buf);
	if (!head)
		return SIPALG_PEEK_MAYBE_SIP;
	if (transport == SIPALG_TCP && data &&
	    sipalg_stream_is_tls(ct, data, head, head_len)) {
		*reason = SIPALG_R_NOT_SIP;
		return SIPALG_PEEK_NOT_SIP;
	}
	return sipalg_peek(head, head_len, len, transport, reason);
}

/*
 * A payload that is not SIP passes whole, counted, and has its record
 * while someone traces; only then is it made linear, for the record's
 * bytes (a datagram is parsed too, for the line the reason blames, as
 * when it went the whole way).
 */
static void sipalg_pass_payload(struct sk_buff *skb, unsigned int dataoff,
				struct nf_conn *ct, enum ip_conntrack_dir dir,
				int transport, int reason, unsigned int want,
				const struct sipalg_trace_pos *pos,
				struct sipalg_scratch *s, struct sipalg_net *sn)
{
	unsigned int len = skb->len - dataoff;
	const struct sipalg_msg *parsed = NULL;
	const unsigned char *msg = NULL;

	if (likely(!want)) {
		sipalg_pass(ct, sn, reason);
		return;
	}
	if (pskb_may_pull(skb, skb->len)) {
		msg = skb->data + dataoff;
		if (transport == SIPALG_UDP &&
		    sipalg_parse(msg, len, transport, &s->msg) == reason)
			parsed = &s->msg;
	}
	sipalg_trace_begin(ct, dir, want, pos, msg, len, parsed);
	sipalg_pass(ct, sn, reason);
	sipalg_trace_end(sn, SIPALG_TRACE_PASSED, reason, msg, len);
}

static void sipalg_process(struct sk_buff *skb, unsigned int protoff,
			   struct nf_conn *ct, enum ip_conntrack_info ctinfo,
			   const struct sipalg_config *cfg,
			   struct sipalg_net *sn)
{
	enum ip_conntrack_dir dir = CTINFO2DIR(ctinfo);
	u8 protonum = nf_ct_protonum(ct);
	int transport = protonum == IPPROTO_TCP ? SIPALG_TCP : SIPALG_UDP;
	unsigned int dataoff, in, out, len, out_len, old_l4_len, n_ov, mtu;
	unsigned int max_len, edits = 0, grown = 0;
	unsigned int framed_n = 0, framed_k = 0;
	const unsigned int *framed = NULL;
	struct sipalg_trace_pos pos = { 0 };
	bool nat, changed = false, writable = false, cut_failed = false;
	bool keep_len = false, keep_len_asked = false, fin_moves = false;
	s32 point_change = 0;
	struct sipalg_scratch *s;
	unsigned int want;
	int peek, why;
	__be32 seq = 0;
	int delta = 0;
	u32 end = 0;

	if (!sipalg_payload_offset(skb, protoff, protonum, &dataoff, &seq))
		return;
	/* A keep-alive has nothing to do, not even a record. */
	peek = sipalg_peek_skb(skb, ct, dataoff, transport, &why);
	sipalg_phase_end(SIPALG_PHASE_PEEK);
	if (peek == SIPALG_PEEK_KEEPALIVE)
		return;

	local_bh_disable();
	s = this_cpu_ptr(sipalg_scratch);
	/* With nobody tracing, this is all a trace costs. */
	want = sipalg_trace_want(nf_ct_net(ct));
	pos.seq = ntohl(seq);
	/*
	 * A length its IP header cannot say would be written truncated:
	 * such a packet passes whole, as bytes that are not SIP do.
	 */
	if (unlikely(sipalg_packet_too_long(skb, nf_ct_l3num(ct)))) {
		peek = SIPALG_PEEK_NOT_SIP;
		why = SIPALG_PASS_TOO_BIG;
	}
	if (peek == SIPALG_PEEK_NOT_SIP) {
		sipalg_pass_payload(skb, dataoff, ct, dir, transport, why, want,
				    &pos, s, sn);
		goto out;
	}
	nat = (ct->status & IPS_NAT_MASK) &&
	      sipalg_xlat_for(&s->xlat, ct, dir);
	/*
	 * Parse a linear payload; it is made writable only when a plan
	 * has edits (a cloned skb then gets its private copy, once).
	 */
	if (!pskb_may_pull(skb, skb->len)) {
		sipalg_pass(ct, sn, SIPALG_PASS_NOMEM);
		if (unlikely(want)) {
			sipalg_trace_begin(ct, dir, want, &pos, NULL,
					   skb->len - dataoff, NULL);
			sipalg_trace_end(sn, SIPALG_TRACE_PASSED,
					 SIPALG_PASS_NOMEM, NULL,
					 skb->len - dataoff);
		}
		goto out;
	}
	old_l4_len = skb->len - protoff;
	/* TCP: where the packet ends in its sender's numbers (its FIN too). */
	if (transport == SIPALG_TCP) {
		end = ntohl(seq) + skb->len - dataoff +
		      ((const struct tcphdr *)(skb->data + protoff))->fin;
		framed = sipalg_split_framed(skb, ct, dir, ntohl(seq),
					     &framed_n);
	}
	mtu = sipalg_max_len(skb, nf_ct_l3num(ct));
	max_len = transport == SIPALG_TCP ? 65535 : mtu;
	sipalg_phase_end(SIPALG_PHASE_SETUP);

	/*
	 * Each message ends at next:, the one place its outcome is known, and
	 * is then where it goes in the packet: at out, the end of the ones
	 * before it (sipalg_apply_to_skb()).
	 */
	for (in = out = dataoff; in < skb->len; pos.msg_index++) {
		const unsigned char *msg = skb->data + in;
		const struct sipalg_msg *parsed = NULL;
		int outcome = SIPALG_TRACE_PASSED;
		int reason = SIPALG_OK;
		bool placed = false;

		len = skb->len - in;
		/* Framed by the split hook already, mostly. */
		if (framed_k < framed_n && framed[framed_k] <= len) {
			len = framed[framed_k++];
		} else if (transport == SIPALG_TCP) {
			framed_n = 0;
			reason = sipalg_frame_tcp(msg, len, &len);
		}
		sipalg_phase_end(SIPALG_PHASE_FRAME);
		out_len = len;
		if (reason == SIPALG_OK) {
			reason = sipalg_parse(msg, len, transport, &s->msg);
			sipalg_phase_end(SIPALG_PHASE_PARSE);
			if (reason == SIPALG_OK &&
			    s->msg.kind == SIPALG_KIND_KEEPALIVE) {
				sipalg_place(skb, &in, &out, len);
				continue;
			}
			parsed = &s->msg;
		}
		if (unlikely(want)) {
			pos.msg_off = in - dataoff - grown;
			sipalg_trace_begin(ct, dir, want, &pos, msg, len,
					   parsed);
		}
		if (reason != SIPALG_OK)
			goto next;
		sipalg_count(sn, SIPALG_CTR_MESSAGES);
		sipalg_decide_for(ct, dir, msg, cfg, s);
		sipalg_phase_end(SIPALG_PHASE_DECIDE);
		n_ov = sipalg_act_before(ct, dir, msg, s, sn);
		sipalg_phase_end(SIPALG_PHASE_BEFORE);

		if (!nat) {
			sipalg_act_after(ct, dir, s, false, sn);
			outcome = SIPALG_TRACE_NO_NAT;
			goto next;
		}
		reason = sipalg_make_plan(msg, &s->msg, &s->xlat, s->ov, n_ov,
					  &s->plan);
		sipalg_phase_end(SIPALG_PHASE_PLAN);
		if (reason == SIPALG_OK && !s->plan.n_edits) {
			sipalg_count(sn, SIPALG_CTR_UNCHANGED);
		} else if (reason == SIPALG_OK) {
			/*
			 * Only seqadj keeps a TCP stream whole when lengths
			 * change, and only in order (order.c).
			 */
			bool moves = transport == SIPALG_TCP &&
				     s->plan.new_len != s->plan.old_len;
			unsigned int was = in;

			/* The apply works in place: the old bytes go first. */
			if (unlikely(want))
				sipalg_trace_plan(msg, &s->plan);
			/*
			 * (Asked once, before any cut: the packet's answer.
			 * No message before this one moved: in is where it
			 * began in the packet as it came.)
			 */
			if (moves && !keep_len_asked) {
				u32 msg_seq = ntohl(seq) + in - dataoff;

				keep_len = sipalg_order_keeps_length(ct, ctinfo,
								     ntohl(seq),
								     msg_seq,
								     end,
								     &point_change,
								     &fin_moves);
				keep_len_asked = true;
			}
			if (moves && !nfct_seqadj(ct))
				reason = SIPALG_PASS_NO_SEQADJ;
			else if (moves && keep_len)
				reason = SIPALG_PASS_TCP_REORDERED;
			/* At the point: what it recorded, no more (order.c). */
			else if (moves && point_change && delta == point_change)
				reason = SIPALG_PASS_TCP_REORDERED;
			/* Behind the FIN: grown, or as long (order.c). */
			else if (moves && fin_moves &&
				 delta + (int)s->plan.new_len <
				 (int)s->plan.old_len)
				reason = SIPALG_PASS_TCP_REORDERED;
			else if (!writable &&
				 skb_ensure_writable(skb, skb->len))
				reason = SIPALG_PASS_NOMEM;
			else
				/* Offsets: skb->data may have moved. */
				writable = true;
			/* (Once per packet: what failed would fail again.) */
			if (reason == SIPALG_OK && transport == SIPALG_TCP &&
			    !cut_failed && s->plan.new_len > in - out + len &&
			    skb->len + s->plan.new_len - (in - out + len) >
			    max_len) {
				if (sipalg_cut_for_room(skb, ct, dir, protoff,
							dataoff, in, len, out,
							grown, &s->plan,
							max_len, sn))
					changed = true;
				else
					cut_failed = true;
			}
			if (reason == SIPALG_OK) {
				reason = -sipalg_apply_to_skb(skb, out, &in,
							      &s->plan,
							      max_len);
				grown += in - was - len;
				placed = true;
			}
		}
		sipalg_phase_end(SIPALG_PHASE_APPLY);
		sipalg_act_after(ct, dir, s, reason != SIPALG_OK, sn);
		sipalg_phase_end(SIPALG_PHASE_AFTER);
		if (reason != SIPALG_OK)
			goto next;
		if (!s->plan.n_edits) {
			outcome = SIPALG_TRACE_UNCHANGED;
			goto next;
		}
		sipalg_count(sn, SIPALG_CTR_REWRITTEN);
		edits += s->plan.n_edits;
		delta += (int)s->plan.new_len - (int)s->plan.old_len;
		changed = true;
		out_len = s->plan.new_len;
		outcome = SIPALG_TRACE_REWRITTEN;
next:
		if (outcome == SIPALG_TRACE_PASSED)
			sipalg_pass(ct, sn, reason);
		if (!placed)
			sipalg_place(skb, &in, &out, len);
		else
			out += out_len;
		/* skb->data may have moved (pskb_expand_head). */
		if (unlikely(want))
			sipalg_trace_end(sn, outcome, reason,
					 skb->data + out - out_len, out_len);
		sipalg_phase_end(SIPALG_PHASE_NEXT);
	}
	/* Free bytes are left after a change (or a grow that then failed). */
	sipalg_close_gap(skb, out);
	if (changed) {
		/* The FIN that went on ahead, at the new end (order.c). */
		if (fin_moves && delta) {
			((struct tcphdr *)(skb->data + protoff))->fin = 1;
			sipalg_count(sn, SIPALG_CTR_TCP_FIN_MOVED);
		}
		/* Segments of the sender's size, as it sent this one. */
		if (skb->len > mtu)
			sipalg_packet_gso(skb, dataoff, nf_ct_l3num(ct), mtu,
					  old_l4_len - (dataoff - protoff));
		sipalg_fix_headers(skb, protoff, ct, ctinfo, old_l4_len, seq,
				   delta);
		sipalg_count_add(sn, SIPALG_CTR_EDITS, edits);
		if (delta > 0)
			sipalg_count_add(sn, SIPALG_CTR_BYTES_GROWN, delta);
		else if (delta < 0)
			sipalg_count_add(sn, SIPALG_CTR_BYTES_SHRUNK, -delta);
	}
out:
	sipalg_phase_end(SIPALG_PHASE_FINISH);
	local_bh_enable();
}

/*
 * The helper's callback: every packet of a helped connection, after NAT,
 * before the conntrack is confirmed.
 */
int sipalg_help(struct sk_buff *skb, unsigned int protoff, struct nf_conn *ct,
		enum ip_conntrack_info ctinfo)
{
	struct sipalg_net *sn = sipalg_pernet(nf_ct_net(ct));
	const struct sipalg_config *cfg = rcu_dereference(sn->config);

	if (cfg->disabled)
		return NF_ACCEPT;
	sipalg_phase_begin();
	sipalg_count(sn, SIPALG_CTR_PACKETS);

	/*
	 * Phones keep their registration alive with re-REGISTERs and
	 * keep-alives far apart; the default UDP timeout would let the NAT
	 * mapping expire in between and incoming calls would get lost.
	 */
	if (nf_ct_protonum(ct) == IPPROTO_UDP) {
		sipalg_ct_refresh(ct, skb, cfg->sip_timeout * HZ);
		sipalg_count(sn, SIPALG_CTR_TIMEOUT_REFRESHED);
	}
	if (nf_ct_protonum(ct) == IPPROTO_TCP) {
		/* One packet of a connection at a time: see order.c. */
		spinlock_t *lock = sipalg_order_lock(ct);

		spin_lock_bh(lock);
		sipalg_phase_end(SIPALG_PHASE_ENTRY);
		sipalg_process(skb, protoff, ct, ctinfo, cfg, sn);
		spin_unlock_bh(lock);
	} else {
		sipalg_phase_end(SIPALG_PHASE_ENTRY);
		sipalg_process(skb, protoff, ct, ctinfo, cfg, sn);
	}
	sipalg_phase_end(SIPALG_PHASE_EXIT);
	return NF_ACCEPT;
}
