// SPDX-License-Identifier: GPL-2.0
/*
 * Trace records (include/sipalg/uapi.h, SIPALG_CMD_TRACE): one per SIP
 * message, built only when someone listens, in an skb of exactly its size
 * (one atomic allocation, nothing else).
 *
 * The plan is applied in place, so the bytes an edit replaces are copied
 * before that, into this CPU's context; everything else is read from the
 * message as it left, when the record is built. A record shows its lines
 * in the form the message left in (as it arrived if the edits were not
 * made), so a reader undoes the edits to see the arrival.
 *
 * Like events.c, the family comes from genl.c, which hands it over once
 * registered and takes it back before unregistering.
 */
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <net/genetlink.h>

#include "counters.h"
#include "nlattr.h"
#include "quiet.h"
#include "trace.h"

/* Pinholes one record lists; more are only counted (a storm of offers). */
#define SIPALG_TRACE_PINHOLES 32
/* Bytes an edit replaces, all edits of a plan together. */
#define SIPALG_TRACE_OLD_MAX 4096
/* What a cut line shows around its edits. */
#define SIPALG_TRACE_WINDOW SIPALG_TRACE_TEXT_MAX

struct sipalg_trace_edit {
	u32 off;		/* in the message as it arrived */
	u32 line;		/* 1-based */
	u32 line_start;		/* its line, as it arrived, without CR/LF */
	u32 line_end;
	u32 out_start;		/* where it is in the message as it left */
	u32 out_end;
	u16 old_at;		/* its old bytes in ctx->old */
};

/* A LINE attribute: a window [start, start + len) of the outgoing text. */
struct sipalg_trace_window {
	u32 line;
	u32 start;
	u32 len;
	bool cut;
};

struct sipalg_trace_ctx {
	struct nf_conn *ct;
	unsigned int want;
	u8 dir;
	struct sipalg_trace_pos pos;
	u32 old_len;
	u32 start_len, call_id_len, method_len, reason_text_len;
	u32 cseq, reason_line;
	u16 status;
	bool has_cseq;
	const struct sipalg_plan *plan;	/* NULL: none recorded */
	unsigned int n_pinholes, pinholes_omitted;
	u32 closed;			/* bit i: pinholes[i] was closed */
	struct nf_conntrack_expect *pinholes[SIPALG_TRACE_PINHOLES];
	unsigned int n_windows, lines_shown;
	struct sipalg_trace_edit edits[SIPALG_MAX_EDITS];
	struct sipalg_trace_window windows[SIPALG_MAX_EDITS];
	u8 start[SIPALG_TRACE_TEXT_MAX];
	u8 reason_text[SIPALG_TRACE_TEXT_MAX];
	u8 call_id[SIPALG_TRACE_CALL_ID_MAX];
	u8 method[32];
	u8 old[SIPALG_TRACE_OLD_MAX];
};

static struct sipalg_trace_ctx __percpu *sipalg_trace_ctx;
/* The record of the message this CPU is handling, between begin and end. */
static DEFINE_PER_CPU(struct sipalg_trace_ctx *, sipalg_trace_current);

static const struct genl_family __rcu *sipalg_trace_family;
static unsigned int sipalg_trace_group, sipalg_trace_full_group;

int sipalg_trace_init(void)
{
	BUILD_BUG_ON(SIPALG_TRACE_PINHOLES > 8 * sizeof(u32));
	sipalg_trace_ctx = alloc_percpu(struct sipalg_trace_ctx);
	return sipalg_trace_ctx ? 0 : -ENOMEM;
}

void sipalg_trace_exit(void)
{
	free_percpu(sipalg_trace_ctx);
}

void sipalg_trace_start(const struct genl_family *family, unsigned int group,
			unsigned int full_group)
{
	sipalg_trace_group = group;
	sipalg_trace_full_group = full_group;
	rcu_assign_pointer(sipalg_trace_family, family);
}

void sipalg_trace_stop(void)
{
	RCU_INIT_POINTER(sipalg_trace_family, NULL);
	synchronize_net();	/* no sender still holds it */
}

/* Nobody traced on this CPU a moment ago (quiet.h). */
static DEFINE_PER_CPU(struct sipalg_quiet, sipalg_trace_quiet);

/*
 * Listeners are counted per family and group, not per namespace: a trace
 * in one namespace makes every namespace build records that are then
 * dropped with -ESRCH.
 */
unsigned int sipalg_trace_want(struct net *net)
{
	struct sipalg_quiet *quiet = this_cpu_ptr(&sipalg_trace_quiet);
	const struct genl_family *family;
	unsigned int want = 0;

	if (sipalg_quiet_recently(quiet, net))
		return 0;
	rcu_read_lock();
	family = rcu_dereference(sipalg_trace_family);
	if (family) {
		if (genl_has_listeners(family, net,
				       sipalg_trace_group))
			want |= SIPALG_TRACE_WANT;
		if (genl_has_listeners(family, net,
				       sipalg_trace_full_group))
			want |= SIPALG_TRACE_WANT_FULL;
	}
	rcu_read_unlock();
	sipalg_quiet_note(quiet, net, !want);
	return want;
}

/* The line at off (up to its LF, without CR), at most cap bytes of it. */
static u32 sipalg_trace_line(u8 *dst, u32 cap, const unsigned char *msg,
			     u32 len, u32 off)
{
	const unsigned char *lf = memchr(msg + off, '\n', len - off);
	u32 end = lf ? lf - msg : len;

	if (end > off && msg[end - 1] == '\r')
		end--;
	end = min(end, off + cap);
	memcpy(dst, msg + off, end - off);
	return end - off;
}

/* Count the LFs in msg[from, to); *start: after the last one, if any. */
static u32 sipalg_trace_lfs(const unsigned char *msg, u32 from, u32 to,
			    u32 *start)
{
	const unsigned char *lf;
	u32 n = 0;

	while (from < to && (lf = memchr(msg + from, '\n', to - from))) {
		n++;
		from = lf - msg + 1;
		*start = from;
	}
	return n;
}

static u32 sipalg_trace_copy(u8 *dst, u32 cap, const unsigned char *src,
			     u32 len)
{
	len = min(len, cap);
	memcpy(dst, src, len);
	return len;
}

void sipalg_trace_begin(struct nf_conn *ct, enum ip_conntrack_dir dir,
			unsigned int want, const struct sipalg_trace_pos *pos,
			const unsigned char *msg, unsigned int len,
			const struct sipalg_msg *m)
{
	struct sipalg_trace_ctx *c = this_cpu_ptr(sipalg_trace_ctx);
	u32 start = 0;

	c->ct = ct;
	c->want = want;
	c->dir = dir;
	c->pos = *pos;
	c->old_len = len;
	c->plan = NULL;
	c->n_pinholes = 0;
	c->pinholes_omitted = 0;
	c->closed = 0;
	c->start_len = 0;
	c->call_id_len = 0;
	c->method_len = 0;
	c->reason_text_len = 0;
	c->reason_line = 0;
	c->has_cseq = false;
	c->status = 0;
	__this_cpu_write(sipalg_trace_current, c);
	if (!msg || !len)
		return;
	c->start_len = sipalg_trace_line(c->start, sizeof(c->start), msg, len,
					 0);
	if (!m)
		return;
	/* A failed parse leaves what it found before failing. */
	if (m->call_id.len)
		c->call_id_len = sipalg_trace_copy(c->call_id,
						   sizeof(c->call_id),
						   msg + m->call_id.off,
						   m->call_id.len);
	if (m->cseq_method_text.len) {
		c->has_cseq = true;
		c->cseq = m->cseq;
		c->method_len = sipalg_trace_copy(c->method, sizeof(c->method),
						  msg + m->cseq_method_text.off,
						  m->cseq_method_text.len);
	}
	if (m->kind == SIPALG_KIND_RESPONSE)
		c->status = m->status;
	if (m->err_off != SIPALG_ERR_OFF_NONE && m->err_off < len) {
		c->reason_line = 1 + sipalg_trace_lfs(msg, 0, m->err_off,
						      &start);
		c->reason_text_len = sipalg_trace_line(c->reason_text,
						       sizeof(c->reason_text),
						       msg, len, m->err_off);
	}
}

void sipalg_trace_plan(const unsigned char *msg,
		       const struct sipalg_plan *plan)
{
	struct sipalg_trace_ctx *c = this_cpu_ptr(sipalg_trace_ctx);
	u32 pos = 0, line = 1, start = 0, used = 0;
	unsigned int i;

	for (i = 0; i < plan->n_edits; i++) {
		const struct sipalg_edit *e = &plan->edits[i];
		struct sipalg_trace_edit *t = &c->edits[i];
		const unsigned char *lf;

		/* Never with the core's caps (64 addresses or digits). */
		if (e->len > sizeof(c->old) - used)
			return;
		line += sipalg_trace_lfs(msg, pos, e->off, &start);
		pos = e->off;
		t->off = e->off;
		t->line = line;
		t->line_start = start;
		lf = memchr(msg + e->off, '\n', plan->old_len - e->off);
		t->line_end = lf ? lf - msg : plan->old_len;
		if (t->line_end > e->off + e->len && msg[t->line_end - 1] == '\r')
			t->line_end--;
		t->old_at = used;
		memcpy(c->old + used, msg + e->off, e->len);
		used += e->len;
	}
	c->plan = plan;
}

void sipalg_trace_pinhole(const struct nf_conn *ct, bool opened,
			  struct nf_conntrack_expect *exp)
{
	struct sipalg_trace_ctx *c = this_cpu_read(sipalg_trace_current);

	if (likely(!c) || c->ct != ct)
		return;
	if (c->n_pinholes == SIPALG_TRACE_PINHOLES) {
		c->pinholes_omitted++;
		return;
	}
	/* Held until the record is sent: a closed one is unlinked already. */
	refcount_inc(&exp->use);
	if (!opened)
		c->closed |= BIT(c->n_pinholes);
	c->pinholes[c->n_pinholes++] = exp;
}

/*
 * Where the message as it left has each edit (applied: shifted by the
 * edits before it; else where it arrived) and which LINE windows show
 * them: a line of at most TEXT_MAX bytes whole, a longer one cut into
 * windows around runs of its edits, none overlapping another.
 */
static void sipalg_trace_windows(struct sipalg_trace_ctx *c, bool applied)
{
	const struct sipalg_plan *plan = c->plan;
	struct sipalg_trace_edit *ed = c->edits;
	unsigned int i, j, n = 0;
	s32 shift = 0;

	c->n_windows = 0;
	if (!plan)
		return;
	for (i = 0; i < plan->n_edits; i++) {
		const struct sipalg_edit *pe = &plan->edits[i];

		ed[i].out_start = pe->off + shift;
		ed[i].out_end = ed[i].out_start +
				(applied ? pe->text_len : pe->len);
		if (applied)
			shift += (s32)pe->text_len - (s32)pe->len;
	}
	for (i = 0; i < plan->n_edits; i = j) {
		const struct sipalg_trace_edit *t = &ed[i];
		u32 ls, le, prev_end;

		/* This line's edits: i..j-1; its bounds as it left. */
		for (j = i + 1; j < plan->n_edits && ed[j].line == t->line; j++)
			;
		ls = t->line_start + (t->out_start - t->off);
		le = ed[j - 1].line_end + (ed[j - 1].out_end -
					   (ed[j - 1].off + plan->edits[j - 1].len));
		if (le - ls <= SIPALG_TRACE_WINDOW) {
			c->windows[n++] = (struct sipalg_trace_window){
				.line = t->line, .start = ls, .len = le - ls,
			};
			continue;
		}
		prev_end = ls;
		while (i < j) {
			struct sipalg_trace_window *w = &c->windows[n++];
			u32 ws = ed[i].out_start, we, right, room, left, more;
			unsigned int k = i + 1;

			while (k < j && ed[k].out_end - ws <= SIPALG_TRACE_WINDOW)
				k++;
			we = ed[k - 1].out_end;
			right = k < j ? ed[k].out_start : le;
			room = SIPALG_TRACE_WINDOW - (we - ws);
			left = min(room / 2, ws - prev_end);
			more = min(room - left, right - we);
			left = min(room - more, ws - prev_end);
			*w = (struct sipalg_trace_window){
				.line = t->line, .start = ws - left,
				.len = we + more - (ws - left), .cut = true,
			};
			prev_end = we + more;
			i = k;
		}
	}
	c->n_windows = n;
}

/* Attributes are either put or, with no skb, only measured. */
struct sipalg_trace_out {
	struct sk_buff *skb;
	size_t size;
};

static int sipalg_tput(struct sipalg_trace_out *o, int type, u32 len,
		       const void *data)
{
	o->size += nla_total_size(len);
	return o->skb ? nla_put(o->skb, type, len, data) : 0;
}

static int sipalg_tput_u32(struct sipalg_trace_out *o, int type, u32 v)
{
	return sipalg_tput(o, type, sizeof(v), &v);
}

static int sipalg_tnest(struct sipalg_trace_out *o, int type,
			struct nlattr **nest)
{
	o->size += nla_total_size(0);
	if (!o->skb)
		return 0;
	*nest = nla_nest_start(o->skb, type);
	return *nest ? 0 : -EMSGSIZE;
}

static void sipalg_tnest_end(struct sipalg_trace_out *o, struct nlattr *nest)
{
	if (o->skb)
		nla_nest_end(o->skb, nest);
}

static int sipalg_trace_put_edits(struct sipalg_trace_out *o,
				  const struct sipalg_trace_ctx *c)
{
	const struct sipalg_plan *plan = c->plan;
	struct nlattr *nest = NULL;
	unsigned int i;

	for (i = 0; plan && i < plan->n_edits; i++) {
		const struct sipalg_edit *e = &plan->edits[i];
		const struct sipalg_trace_edit *t = &c->edits[i];

		if (sipalg_tnest(o, SIPALG_A_TRACE_EDIT, &nest) ||
		    sipalg_tput_u32(o, SIPALG_A_TRACE_EDIT_OFF, t->off) ||
		    sipalg_tput(o, SIPALG_A_TRACE_EDIT_OLD, e->len,
				c->old + t->old_at) ||
		    sipalg_tput(o, SIPALG_A_TRACE_EDIT_NEW, e->text_len,
				plan->text + e->text_off) ||
		    sipalg_tput_u32(o, SIPALG_A_TRACE_EDIT_LINE, t->line))
			return -EMSGSIZE;
		sipalg_tnest_end(o, nest);
	}
	return 0;
}

static int sipalg_trace_put_line(struct sipalg_trace_out *o,
				 const struct sipalg_trace_window *w,
				 const unsigned char *msg)
{
	struct nlattr *nest = NULL;

	if (sipalg_tnest(o, SIPALG_A_TRACE_LINE, &nest) ||
	    sipalg_tput_u32(o, SIPALG_A_TRACE_LINE_NO, w->line) ||
	    sipalg_tput_u32(o, SIPALG_A_TRACE_LINE_OFF, w->start) ||
	    sipalg_tput(o, SIPALG_A_TRACE_LINE_TEXT, w->len, msg + w->start) ||
	    (w->cut && sipalg_tput(o, SIPALG_A_TRACE_LINE_CUT, 0, NULL)))
		return -EMSGSIZE;
	sipalg_tnest_end(o, nest);
	return 0;
}

static int sipalg_trace_put_pinholes(struct sipalg_trace_out *o,
				     const struct sipalg_trace_ctx *c)
{
	unsigned int i;

	for (i = 0; i < c->n_pinholes; i++) {
		const struct nf_conntrack_expect *exp = c->pinholes[i];
		int type = c->closed & BIT(i) ? SIPALG_A_TRACE_PINHOLE_CLOSED :
						SIPALG_A_TRACE_PINHOLE_OPENED;

		if (!o->skb)
			o->size += sipalg_pinhole_size(exp);
		else if (sipalg_put_pinhole(o->skb, type, exp))
			return -EMSGSIZE;
	}
	if (c->pinholes_omitted)
		return sipalg_tput_u32(o, SIPALG_A_TRACE_PINHOLES_OMITTED,
				       c->pinholes_omitted);
	return 0;
}

/* What a record says, ahead of its LINEs. */
struct sipalg_trace_rec {
	int outcome;
	const char *reason;	/* PASSED only */
	const unsigned char *msg;	/* as it left, or NULL */
	u32 len;
	bool full;		/* the trace-full copy */
};

/* The TRACE nest: everything but the connection. */
static int sipalg_trace_put(struct sipalg_trace_out *o,
			    const struct sipalg_trace_ctx *c,
			    const struct sipalg_trace_rec *r)
{
	struct nlattr *nest = NULL;
	unsigned int i;
	u8 v8;
	u16 v16;

	if (sipalg_tnest(o, SIPALG_A_TRACE, &nest))
		return -EMSGSIZE;
	v8 = c->dir;
	if (sipalg_tput(o, SIPALG_A_TRACE_DIR, sizeof(v8), &v8))
		return -EMSGSIZE;
	v8 = r->outcome;
	if (sipalg_tput(o, SIPALG_A_TRACE_OUTCOME, sizeof(v8), &v8))
		return -EMSGSIZE;
	if (r->reason &&
	    sipalg_tput(o, SIPALG_A_TRACE_REASON, strlen(r->reason) + 1,
			r->reason))
		return -EMSGSIZE;
	if (c->reason_line &&
	    (sipalg_tput_u32(o, SIPALG_A_TRACE_REASON_LINE, c->reason_line) ||
	     sipalg_tput(o, SIPALG_A_TRACE_REASON_TEXT, c->reason_text_len,
			 c->reason_text)))
		return -EMSGSIZE;
	if (c->start_len &&
	    sipalg_tput(o, SIPALG_A_TRACE_START_LINE, c->start_len, c->start))
		return -EMSGSIZE;
	if (c->call_id_len &&
	    sipalg_tput(o, SIPALG_A_TRACE_CALL_ID, c->call_id_len, c->call_id))
		return -EMSGSIZE;
	if (c->has_cseq &&
	    (sipalg_tput_u32(o, SIPALG_A_TRACE_CSEQ, c->cseq) ||
	     sipalg_tput(o, SIPALG_A_TRACE_CSEQ_METHOD, c->method_len,
			 c->method)))
		return -EMSGSIZE;
	v16 = c->status;
	if (c->status &&
	    sipalg_tput(o, SIPALG_A_TRACE_STATUS, sizeof(v16), &v16))
		return -EMSGSIZE;
	if (sipalg_tput_u32(o, SIPALG_A_TRACE_OLD_LEN, c->old_len) ||
	    sipalg_tput_u32(o, SIPALG_A_TRACE_NEW_LEN, r->len))
		return -EMSGSIZE;
	if (nf_ct_protonum(c->ct) == IPPROTO_TCP &&
	    (sipalg_tput_u32(o, SIPALG_A_TRACE_SEQ, c->pos.seq) ||
	     sipalg_tput_u32(o, SIPALG_A_TRACE_MSG_OFF, c->pos.msg_off) ||
	     sipalg_tput_u32(o, SIPALG_A_TRACE_MSG_INDEX, c->pos.msg_index)))
		return -EMSGSIZE;
	if (r->outcome == SIPALG_TRACE_REWRITTEN &&
	    sipalg_tput(o, SIPALG_A_TRACE_APPLIED, 0, NULL))
		return -EMSGSIZE;
	if (sipalg_trace_put_edits(o, c) || sipalg_trace_put_pinholes(o, c))
		return -EMSGSIZE;
	for (i = 0; i < c->lines_shown; i++)
		if (sipalg_trace_put_line(o, &c->windows[i], r->msg))
			return -EMSGSIZE;
	if (c->lines_shown < c->n_windows &&
	    sipalg_tput_u32(o, SIPALG_A_TRACE_LINES_OMITTED,
			    c->n_windows - c->lines_shown))
		return -EMSGSIZE;
	if (r->full && r->msg &&
	    (sipalg_tput(o, SIPALG_A_TRACE_FULL,
			 min_t(u32, r->len, SIPALG_TRACE_FULL_MAX), r->msg) ||
	     sipalg_tput_u32(o, SIPALG_A_TRACE_FULL_LEN, r->len)))
		return -EMSGSIZE;
	sipalg_tnest_end(o, nest);
	return 0;
}

/* The whole message's size for these attributes. */
static size_t sipalg_trace_msg_size(size_t attrs)
{
	return nlmsg_total_size(GENL_HDRLEN + attrs);
}

/*
 * Which LINEs fit: all while the record (without FULL) stays within
 * RECORD_MAX, else the first ones that do and LINES_OMITTED.
 */
static void sipalg_trace_fit_lines(struct sipalg_trace_ctx *c,
				   const struct sipalg_trace_rec *r,
				   size_t conn)
{
	struct sipalg_trace_out o = { .skb = NULL };
	struct sipalg_trace_rec brief = *r;
	size_t base;

	brief.full = false;
	c->lines_shown = 0;
	sipalg_trace_put(&o, c, &brief);
	/* With LINES_OMITTED: none shown yet. */
	base = conn + o.size;
	while (c->lines_shown < c->n_windows) {
		o.size = 0;
		sipalg_trace_put_line(&o, &c->windows[c->lines_shown], r->msg);
		if (sipalg_trace_msg_size(base + o.size) > SIPALG_TRACE_RECORD_MAX)
			break;
		base += o.size;
		c->lines_shown++;
	}
}

/* Build one copy of the record and send it to group; false if lost. */
static bool sipalg_trace_send(const struct genl_family *family,
			      unsigned int group,
			      const struct sipalg_trace_ctx *c,
			      const struct sipalg_trace_rec *r, size_t conn)
{
	struct sipalg_trace_out o = { .skb = NULL };
	struct sk_buff *skb;
	void *hdr;
	int err;

	sipalg_trace_put(&o, c, r);
	skb = genlmsg_new(conn + o.size, GFP_ATOMIC);
	if (!skb)
		return false;
	o.skb = skb;
	hdr = genlmsg_put(skb, 0, 0, family, 0, SIPALG_CMD_TRACE);
	if (!hdr || sipalg_put_conn_brief(skb, c->ct) ||
	    sipalg_trace_put(&o, c, r)) {
		/* The sizes above are computed from the same code: a bug. */
		WARN_ON_ONCE(1);
		nlmsg_free(skb);
		return false;
	}
	genlmsg_end(skb, hdr);
	err = genlmsg_multicast_netns(family, nf_ct_net(c->ct), skb, 0, group,
				      GFP_ATOMIC);
	/* -ESRCH: nobody in this namespace listens, nothing was lost. */
	return !err || err == -ESRCH;
}

static void sipalg_trace_release(struct sipalg_trace_ctx *c)
{
	unsigned int i;

	for (i = 0; i < c->n_pinholes; i++)
		nf_ct_expect_put(c->pinholes[i]);
	c->n_pinholes = 0;
	__this_cpu_write(sipalg_trace_current, NULL);
}

void sipalg_trace_end(struct sipalg_net *sn, int outcome, int reason,
		      const unsigned char *msg, unsigned int len)
{
	struct sipalg_trace_ctx *c = this_cpu_ptr(sipalg_trace_ctx);
	struct sipalg_trace_rec r = {
		.outcome = outcome,
		.reason = outcome == SIPALG_TRACE_PASSED ?
			  sipalg_pass_reason_name(reason) : NULL,
		.msg = msg,
		.len = len,
	};
	const struct genl_family *family;
	size_t conn = sipalg_conn_brief_size(c->ct);

	/* Never otherwise: the edits are of this message, as it left. */
	if (c->plan && (!msg || len != (outcome == SIPALG_TRACE_REWRITTEN ?
					c->plan->new_len : c->plan->old_len)))
		c->plan = NULL;
	sipalg_trace_windows(c, outcome == SIPALG_TRACE_REWRITTEN);
	sipalg_trace_fit_lines(c, &r, conn);

	rcu_read_lock();
	family = rcu_dereference(sipalg_trace_family);
	if (family && (c->want & SIPALG_TRACE_WANT)) {
		if (sipalg_trace_send(family, sipalg_trace_group, c, &r, conn))
			sipalg_count(sn, SIPALG_CTR_TRACE_SENT);
		else
			sipalg_count(sn, SIPALG_CTR_TRACE_LOST);
	}
	if (family && (c->want & SIPALG_TRACE_WANT_FULL)) {
		r.full = true;
		if (sipalg_trace_send(family, sipalg_trace_full_group, c, &r,
				      conn))
			sipalg_count(sn, SIPALG_CTR_TRACE_SENT);
		else
			sipalg_count(sn, SIPALG_CTR_TRACE_LOST);
	}
	rcu_read_unlock();
	sipalg_trace_release(c);
}
