// SPDX-License-Identifier: GPL-2.0
//
// Applying a plan into a separate buffer (userspace tools, fuzzer, tests).
// The kernel shim mangles the skb itself, last edit first.
#include <sipalg/core/internal.hpp>

extern "C" long sipalg_apply(const unsigned char *src, unsigned int len, const sipalg_plan *plan,
                             unsigned char *dst, unsigned int cap) {
    if (!src || !plan || !dst || plan->n_edits > SIPALG_MAX_EDITS ||
        plan->text_used > SIPALG_MAX_TEXT)
        return -1;
    // Validate everything before writing anything.
    unsigned long out = len, prev_end = 0;
    for (unsigned int i = 0; i < plan->n_edits; i++) {
        const sipalg_edit &e = plan->edits[i];
        if (e.off < prev_end || e.off > len || e.len > len - e.off ||
            e.text_off + e.text_len > plan->text_used)
            return -1;
        prev_end = e.off + e.len;
        out = out - e.len + e.text_len;
    }
    if (out > cap)
        return -1;
    unsigned long s = 0, d = 0;
    for (unsigned int i = 0; i < plan->n_edits; i++) {
        const sipalg_edit &e = plan->edits[i];
        __builtin_memcpy(dst + d, src + s, e.off - s);
        d += e.off - s;
        __builtin_memcpy(dst + d, plan->text + e.text_off, e.text_len);
        d += e.text_len;
        s = e.off + e.len;
    }
    __builtin_memcpy(dst + d, src + s, len - s);
    d += len - s;
    return (long)d;
}
