// SPDX-License-Identifier: GPL-2.0
/*
 * The phase profile (phase.h): per CPU, the time since the last mark is
 * added to the phase that ends. Only in a module built for profiling.
 * A packet the router sends from inside a phase (a SACK from the split
 * hook) marks in between and blurs that one phase, and so does a softirq
 * that interrupts a phase of the router's own output, in process context:
 * a profile of forwarded traffic, not a counter.
 */
#ifdef SIPALG_PHASE_PROFILE
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/math64.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/sched/clock.h>

#include "phase.h"

struct sipalg_phases {
	u64 last;
	u64 ns[SIPALG_PHASE_COUNT];
	u64 ends[SIPALG_PHASE_COUNT];
};

static DEFINE_PER_CPU(struct sipalg_phases, sipalg_phases);

static const char *const sipalg_phase_names[SIPALG_PHASE_COUNT] = {
	[SIPALG_PHASE_ENTRY] = "entry",
	[SIPALG_PHASE_PEEK] = "peek",
	[SIPALG_PHASE_SETUP] = "setup",
	[SIPALG_PHASE_FRAME] = "frame",
	[SIPALG_PHASE_PARSE] = "parse",
	[SIPALG_PHASE_DECIDE] = "decide",
	[SIPALG_PHASE_BEFORE] = "before",
	[SIPALG_PHASE_PLAN] = "plan",
	[SIPALG_PHASE_APPLY] = "apply",
	[SIPALG_PHASE_AFTER] = "after",
	[SIPALG_PHASE_NEXT] = "next",
	[SIPALG_PHASE_FINISH] = "finish",
	[SIPALG_PHASE_EXIT] = "exit",
	[SIPALG_PHASE_SPLIT_HOOK] = "split_hook",
	[SIPALG_PHASE_ATTACH_HOOK] = "attach_hook",
	[SIPALG_PHASE_MARK] = "mark",
};

void sipalg_phase_begin(void)
{
	struct sipalg_phases *p = get_cpu_ptr(&sipalg_phases);

	/* A mark right after this one: what one costs. */
	p->last = local_clock();
	sipalg_phase_end(SIPALG_PHASE_MARK);
	put_cpu_ptr(&sipalg_phases);
}

void sipalg_phase_end(enum sipalg_phase phase)
{
	struct sipalg_phases *p = get_cpu_ptr(&sipalg_phases);
	u64 now = local_clock();

	/* (Behind: begun on another CPU, in process context.) */
	if (now > p->last)
		p->ns[phase] += now - p->last;
	p->ends[phase]++;
	p->last = now;
	put_cpu_ptr(&sipalg_phases);
}

/*
 * Per phase: how often it ended, and its ns per end with a mark's own
 * cost taken off ("ns" under icount: 8 per instruction at shift 3).
 */
void sipalg_phases_report(void)
{
	u64 ns[SIPALG_PHASE_COUNT] = { 0 }, ends[SIPALG_PHASE_COUNT] = { 0 };
	u64 mark, each;
	int cpu, i;

	for_each_possible_cpu(cpu) {
		const struct sipalg_phases *p = per_cpu_ptr(&sipalg_phases, cpu);

		for (i = 0; i < SIPALG_PHASE_COUNT; i++) {
			ns[i] += p->ns[i];
			ends[i] += p->ends[i];
		}
	}
	mark = ends[SIPALG_PHASE_MARK] ?
	       div64_u64(ns[SIPALG_PHASE_MARK], ends[SIPALG_PHASE_MARK]) : 0;
	for (i = 0; i < SIPALG_PHASE_COUNT; i++) {
		each = ends[i] ? div64_u64(ns[i], ends[i]) : 0;
		if (i != SIPALG_PHASE_MARK)
			each = each > mark ? each - mark : 0;
		pr_info("phase %s ends %llu ns %llu\n", sipalg_phase_names[i],
			ends[i], each);
	}
}
#endif
