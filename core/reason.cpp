// SPDX-License-Identifier: GPL-2.0
//
// Stable names of the result codes (kernel counters, CLI output) and the
// version string.
#include <sipalg/core/internal.hpp>

namespace {

// Indexed by enum sipalg_reason; these names are an interface: never rename.
constexpr const char *kReasonNames[SIPALG_R_COUNT] = {
    "ok",
    "not_sip",
    "truncated",
    "bad_start_line",
    "bad_version",
    "bad_header",
    "dup_header",
    "missing_header",
    "bad_cseq",
    "too_many_headers",
    "bad_content_length",
    "bad_sdp",
    "too_many_media",
    "too_many_addrs",
    "too_many_contacts",
    "too_many_edits",
    "text_full",
    "too_long",
    "bad_arg",
    "internal",
};

} // namespace

extern "C" const char *sipalg_reason_name(int reason) {
    if (reason < 0 || reason >= SIPALG_R_COUNT)
        return "unknown";
    return kReasonNames[reason];
}

extern "C" const char *sipalg_core_version(void) {
    return SIPALG_CORE_VERSION;
}
