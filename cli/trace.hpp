// sipalg trace: what the helper did to each SIP message, live. The kernel
// sends the edits and the lines holding them (uapi.h, SIPALG_CMD_TRACE);
// this rebuilds each line before and after, filters records and prints
// them as text blocks or JSON lines. Everything but run_trace is pure, so
// the unit tests feed it records built in memory.
#pragma once

#include "model.hpp"
#include "output.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sipalg {

// One line with edits, as it arrived (before) and as it left (after).
// The side the trace cannot rebuild, because an edit's bytes are not where
// the record says, is nullopt and `inconsistent` is set: never a guess.
struct LineChange {
    std::uint32_t number = 0;
    std::optional<std::string> before;
    std::optional<std::string> after;
    bool cut = false; // a window around the edits, not the whole line
    bool inconsistent = false;
};

// Each LINE of the record, in the record's order. Without APPLIED the
// edits were planned only: `after` is then what they would have made.
std::vector<LineChange> line_changes(const TraceRecord &record);

// The whole message (trace-full): FULL is as it left; the other side is
// rebuilt from the edits only when FULL is whole.
struct MessageChange {
    std::optional<std::string> before;
    std::optional<std::string> after;
    std::uint32_t length = 0; // FULL_LEN
    bool truncated = false;   // FULL holds fewer than FULL_LEN bytes
    bool inconsistent = false;
};

// nullopt if the record has no FULL.
std::optional<MessageChange> message_change(const TraceRecord &record);

// The filters of sipalg trace. Each list matches if it is empty or any of
// its items matches; a record is shown if every list matches.
struct TraceFilter {
    std::vector<Address> addresses; // either side of the NAT
    std::vector<std::string> call_ids;
    std::vector<std::string> methods; // upper case
    struct StatusRange {
        std::uint16_t low;
        std::uint16_t high;
    };
    std::vector<StatusRange> statuses;
    bool passed_only = false;
};

// The filter flags' values as typed. ({} initializers: so that a
// designated initializer may leave any of them out.)
struct TraceFilterWords {
    std::vector<std::string> addresses{};
    std::vector<std::string> call_ids{};
    std::vector<std::string> methods{};
    std::vector<std::string> statuses{};
    bool passed_only = false;
};

// Throws UsageError naming the first bad value and what is allowed.
TraceFilter parse_trace_filter(const TraceFilterWords &words);

bool trace_matches(const TraceFilter &filter, const TraceRecord &record);

// A block of lines, each ending in '\n': the start line, then indented
// the connection, the outcome, each line with edits before (-) and after
// (+), the pinholes, and with FULL the whole message. Bytes outside
// printable ASCII are written \xNN, so a line of SIP stays one line.
std::string format_trace(const TraceRecord &record);

// One object with the keys documented in sipalg(8). Strings hold the raw
// bytes: dump it with error_handler_t::replace.
Json trace_json(const TraceRecord &record);

struct TraceOptions {
    TraceFilter filter;
    bool full = false; // join trace-full (whole messages) instead of trace
    bool json = false;
};

// Prints records until SIGINT or SIGTERM, which end it normally.
void run_trace(const TraceOptions &options);

} // namespace sipalg
