/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SIPALG_PHASE_H
#define SIPALG_PHASE_H

#include <linux/compiler.h>

/*
 * Where a helped packet's time goes, phase by phase: compiled in only for
 * profiling (SIPALG_PHASE_PROFILE: make profile-vm PROFILE_PHASES=1 builds
 * such a module apart, build/kmod-phases/), never in a module that ships.
 * Under QEMU's icount the guest's clock counts instructions, so a phase's
 * time is its instruction count, exactly (8 ns each at shift 3): the
 * function tracer's own cost, a microsecond a call, hides phases of a few
 * hundred instructions. The sums are printed when the module unloads.
 */
enum sipalg_phase {
	SIPALG_PHASE_ENTRY,	/* the helper's entry: config, counters, timeout */
	SIPALG_PHASE_PEEK,	/* the payload's offset and first bytes */
	SIPALG_PHASE_SETUP,	/* trace check, NAT maps, linear payload */
	SIPALG_PHASE_FRAME,	/* TCP: a message's length */
	SIPALG_PHASE_PARSE,	/* sipalg_parse() */
	SIPALG_PHASE_DECIDE,	/* the view, the dialogs, sipalg_decide() */
	SIPALG_PHASE_BEFORE,	/* sessions, pinholes, events */
	SIPALG_PHASE_PLAN,	/* sipalg_make_plan() */
	SIPALG_PHASE_APPLY,	/* writable, room, the edits, moves */
	SIPALG_PHASE_AFTER,	/* pinholes undone or replaced, registrations */
	SIPALG_PHASE_NEXT,	/* counters, trace, the message placed */
	SIPALG_PHASE_FINISH,	/* lengths, checksums, sequence adjustment */
	SIPALG_PHASE_EXIT,	/* out of the helper */
	SIPALG_PHASE_SPLIT_HOOK, /* split.c's hook, all of it */
	SIPALG_PHASE_ATTACH_HOOK, /* attach.c's hook, all of it */
	SIPALG_PHASE_MARK,	/* a mark's own cost, taken off each phase */
	SIPALG_PHASE_COUNT,
};

#ifdef SIPALG_PHASE_PROFILE
/* A phase begins now (a hook's or the helper's first). */
void sipalg_phase_begin(void);
/* The phase since the last mark ends now; the next begins. */
void sipalg_phase_end(enum sipalg_phase phase);
void sipalg_phases_report(void);
#else
static inline void sipalg_phase_begin(void)
{
}

static inline void sipalg_phase_end(enum sipalg_phase phase)
{
}

static inline void sipalg_phases_report(void)
{
}
#endif

struct sk_buff;
struct nf_hook_state;

/*
 * A hook's whole time is its phase. (Inlined with a constant body: a
 * direct call, in a module that ships just body().)
 */
static __always_inline unsigned int
sipalg_phase_hook(unsigned int (*body)(struct sk_buff *skb,
				       const struct nf_hook_state *state),
		  struct sk_buff *skb, const struct nf_hook_state *state,
		  enum sipalg_phase phase)
{
	unsigned int verdict;

	sipalg_phase_begin();
	verdict = body(skb, state);
	sipalg_phase_end(phase);
	return verdict;
}

#endif /* SIPALG_PHASE_H */
