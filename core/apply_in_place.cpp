// SPDX-License-Identifier: GPL-2.0
//
// Applying a plan in place, for the kernel shim: the message is rewritten
// inside its own buffer in one pass over its bytes, whatever mix of growing
// and shrinking edits the plan holds.
//
// The plan cuts the message into segments of kept bytes between edits; each
// segment k ends up shifted by the sum of the size changes of the edits
// before it. Segments that move right are moved last-to-first, then those
// that move left first-to-last, so that no segment is overwritten before it
// has moved (final positions are disjoint and in order). The replacement
// texts come from the plan, not the buffer, so they are written last.
#include <sipalg/core/internal.hpp>

namespace {

using sipalg::core::u32;

// Validates the plan against len; returns the new length or -1.
long checked_new_len(const sipalg_plan *plan, u32 len) {
    if (plan->n_edits > SIPALG_MAX_EDITS || plan->text_used > SIPALG_MAX_TEXT)
        return -1;
    long out = len;
    u32 prev_end = 0;
    for (u32 i = 0; i < plan->n_edits; i++) {
        const sipalg_edit &e = plan->edits[i];
        if (e.off < prev_end || e.off > len || e.len > len - e.off ||
            (u32)e.text_off + e.text_len > plan->text_used)
            return -1;
        prev_end = e.off + e.len;
        out += (long)e.text_len - (long)e.len;
    }
    return out;
}

u32 segment_start(const sipalg_plan *plan, u32 k) {
    return k == 0 ? 0 : plan->edits[k - 1].off + plan->edits[k - 1].len;
}

u32 segment_end(const sipalg_plan *plan, u32 k, u32 len) {
    return k == plan->n_edits ? len : plan->edits[k].off;
}

long edit_delta(const sipalg_edit &e) {
    return (long)e.text_len - (long)e.len;
}

} // namespace

extern "C" long sipalg_apply_in_place(unsigned char *buf, unsigned int cap, unsigned int len,
                                      const sipalg_plan *plan) {
    if (!buf || !plan)
        return -1;
    const long new_len = checked_new_len(plan, len);
    if (new_len < 0 || (unsigned long)new_len > cap || len > cap)
        return -1;
    const u32 n = plan->n_edits;

    // Segment n's shift is the total change; walk back from there.
    long shift = new_len - (long)len;
    for (u32 k = n; k > 0; k--) {
        if (shift > 0) {
            const u32 start = segment_start(plan, k);
            __builtin_memmove(buf + start + shift, buf + start, segment_end(plan, k, len) - start);
        }
        shift -= edit_delta(plan->edits[k - 1]);
    }
    // Segment 0 never moves; now the left-moving ones, first to last.
    shift = 0;
    for (u32 k = 1; k <= n; k++) {
        shift += edit_delta(plan->edits[k - 1]);
        if (shift < 0) {
            const u32 start = segment_start(plan, k);
            __builtin_memmove(buf + start + shift, buf + start, segment_end(plan, k, len) - start);
        }
    }
    shift = 0;
    for (u32 k = 0; k < n; k++) {
        const sipalg_edit &e = plan->edits[k];
        __builtin_memcpy(buf + e.off + shift, plan->text + e.text_off, e.text_len);
        shift += edit_delta(e);
    }
    return new_len;
}
