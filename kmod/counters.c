// SPDX-License-Identifier: GPL-2.0
/*
 * The counters' names and their sums; counting itself is inline
 * (counters.h), on the packet path.
 */
#include <linux/cpumask.h>
#include <linux/string.h>

#include "counters.h"

static const char *const sipalg_counter_names[SIPALG_CTR_MAX] = {
	[SIPALG_CTR_ATTACHED] = "attached",
	[SIPALG_CTR_ATTACH_FAILED] = "attach_failed",
	[SIPALG_CTR_PACKETS] = "packets",
	[SIPALG_CTR_TIMEOUT_REFRESHED] = "timeout_refreshed",
	[SIPALG_CTR_MESSAGES] = "messages",
	[SIPALG_CTR_REWRITTEN] = "rewritten",
	[SIPALG_CTR_UNCHANGED] = "unchanged",
	[SIPALG_CTR_EDITS] = "edits",
	[SIPALG_CTR_BYTES_GROWN] = "bytes_grown",
	[SIPALG_CTR_BYTES_SHRUNK] = "bytes_shrunk",
	[SIPALG_CTR_EXPECT_CREATED] = "pinholes_opened",
	[SIPALG_CTR_EXPECT_REMOVED] = "pinholes_closed",
	[SIPALG_CTR_EXPECT_FAILED] = "pinholes_failed",
	[SIPALG_CTR_MEDIA_NOT_SENDER] = "media_not_sender",
	[SIPALG_CTR_REGISTRATIONS] = "registration_pinholes",
	[SIPALG_CTR_SESSIONS_EVICTED] = "sessions_evicted",
	[SIPALG_CTR_CALL_SLOTS_REUSED] = "call_slots_reused",
	[SIPALG_CTR_REFUSED_HOST] = "pinholes_refused_host",
	[SIPALG_CTR_REFUSED_CONN] = "pinholes_refused_connection",
	[SIPALG_CTR_REFUSED_TABLE] = "pinholes_refused_table",
	[SIPALG_CTR_REGISTRATIONS_ON_FLOW] = "registrations_on_flow",
	[SIPALG_CTR_TRACE_SENT] = "trace_sent",
	[SIPALG_CTR_TRACE_LOST] = "trace_lost",
	[SIPALG_CTR_TCP_FIN_MOVED] = "tcp_fin_moved",
	[SIPALG_CTR_SPLIT_HELD] = "tcp_split_held",
	[SIPALG_CTR_SPLIT_JOINED] = "tcp_split_joined",
	[SIPALG_CTR_SPLIT_CUT] = "tcp_split_cut",
	[SIPALG_CTR_SPLIT_REBUILT] = "tcp_split_rebuilt",
	[SIPALG_CTR_SPLIT_DSACK_NARROWED] = "tcp_split_dsack_narrowed",
	[SIPALG_CTR_SPLIT_DUPLICATES] = "tcp_split_duplicates",
	[SIPALG_CTR_SPLIT_NETWORK_COPIES] = "tcp_split_network_copies",
	[SIPALG_CTR_SPLIT_OUT_OF_ORDER] = "tcp_split_out_of_order",
	[SIPALG_CTR_SPLIT_ASKED] = "tcp_split_asked",
	[SIPALG_CTR_SPLIT_END_FOUND] = "tcp_split_end_found",
	[SIPALG_CTR_SPLIT_ACKED] = "tcp_split_acked",
	[SIPALG_CTR_SPLIT_KEPT_BACK] = "tcp_split_kept_back",
	[SIPALG_CTR_SPLIT_SENT_ON] = "tcp_split_sent_on",
	[SIPALG_CTR_SPLIT_GAVE_UP_GAP] = "tcp_split_gave_up_gap",
	[SIPALG_CTR_SPLIT_GAVE_UP_NO_GAP] = "tcp_split_gave_up_no_gap",
	[SIPALG_CTR_SPLIT_GAVE_UP_RESENT] = "tcp_split_gave_up_resent",
	[SIPALG_CTR_SPLIT_GAVE_UP_OVERTAKEN] = "tcp_split_gave_up_overtaken",
	[SIPALG_CTR_SPLIT_GAVE_UP_TOO_BIG] = "tcp_split_gave_up_too_big",
	[SIPALG_CTR_SPLIT_GAVE_UP_FULL] = "tcp_split_gave_up_full",
	[SIPALG_CTR_SPLIT_GAVE_UP_HOST_FULL] = "tcp_split_gave_up_host_full",
	[SIPALG_CTR_SPLIT_GAVE_UP_TIMEOUT] = "tcp_split_gave_up_timeout",
	[SIPALG_CTR_SPLIT_GAVE_UP_CLOSED] = "tcp_split_gave_up_closed",
	[SIPALG_CTR_SPLIT_GAVE_UP_INVALID] = "tcp_split_gave_up_invalid",
	[SIPALG_CTR_SPLIT_GAVE_UP_NOMEM] = "tcp_split_gave_up_nomem",
};

static const char *const sipalg_shim_reason_names[] = {
	[SIPALG_PASS_NOMEM - SIPALG_R_COUNT] = "nomem",
	[SIPALG_PASS_TCP_SPLIT - SIPALG_R_COUNT] = "tcp_split",
	[SIPALG_PASS_TOO_BIG - SIPALG_R_COUNT] = "too_big",
	[SIPALG_PASS_NO_SEQADJ - SIPALG_R_COUNT] = "no_seqadj",
	[SIPALG_PASS_TCP_REORDERED - SIPALG_R_COUNT] = "tcp_reordered",
};

const char *sipalg_counter_name(enum sipalg_counter c)
{
	return c < SIPALG_CTR_MAX ? sipalg_counter_names[c] : "unknown";
}

const char *sipalg_pass_reason_name(int reason)
{
	if (reason >= SIPALG_R_COUNT && reason < SIPALG_PASS_MAX)
		return sipalg_shim_reason_names[reason - SIPALG_R_COUNT];
	return sipalg_reason_name(reason);
}

void sipalg_counters_sum(struct sipalg_net *sn, struct sipalg_counters *sum)
{
	unsigned int i;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct sipalg_counters *c = per_cpu_ptr(sn->counters, cpu);

		for (i = 0; i < SIPALG_CTR_MAX; i++)
			sum->value[i] += READ_ONCE(c->value[i]);
		for (i = 0; i < SIPALG_PASS_MAX; i++)
			sum->passed[i] += READ_ONCE(c->passed[i]);
	}
}

/* Increments racing with this may survive it; that is fine. */
void sipalg_counters_reset(struct sipalg_net *sn)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(sn->counters, cpu), 0,
		       sizeof(struct sipalg_counters));
}
