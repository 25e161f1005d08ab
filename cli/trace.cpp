#include "trace.hpp"

#include "arguments.hpp"
#include "message.hpp"
#include "netlink_client.hpp"
#include "values.hpp"

#include <sipalg/uapi.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <algorithm>
#include <iostream>
#include <string_view>

namespace sipalg {

namespace {

// ---- rebuilding the other side of a line or message ----

// An edit placed in a text: `at` is where its bytes begin in that text.
struct PlacedEdit {
    std::int64_t at;
    const TraceEdit *edit;
};

// Which way to replay edits: undo puts each edit's old bytes back where
// its new ones sit (over text as it left), apply does the opposite (over
// text as it arrived).
enum class Replay { undo, apply };

// Where each edit's new bytes begin in the message as it left: its offset
// as it arrived, moved by what the edits before it added or removed.
// nullopt if the edits are out of order or overlap, which uapi.h rules
// out: nothing can be rebuilt from such a record.
std::optional<std::vector<std::int64_t>> offsets_as_left(const std::vector<TraceEdit> &edits) {
    std::vector<std::int64_t> offsets;
    std::int64_t shift = 0;
    std::int64_t previous_end = 0;
    for (const auto &edit : edits) {
        if (edit.offset < previous_end)
            return std::nullopt;
        offsets.push_back(edit.offset + shift);
        shift += static_cast<std::int64_t>(edit.new_text.size()) -
                 static_cast<std::int64_t>(edit.old_text.size());
        previous_end = static_cast<std::int64_t>(edit.offset) +
                       static_cast<std::int64_t>(edit.old_text.size());
    }
    return offsets;
}

// Replays `placed` (in message order) over `text`, the last edit first so
// that the earlier ones' places still hold. In a window (a cut line) an
// edit wholly outside the text is left out; one it only partly holds, or
// any edit outside a whole line, makes the text unrebuildable (nullopt),
// as does an edit whose bytes are not where the record puts them.
std::optional<std::string> replay(std::string text, const std::vector<PlacedEdit> &placed,
                                  Replay way, bool window) {
    for (auto it = placed.rbegin(); it != placed.rend(); ++it) {
        const std::string &from = way == Replay::undo ? it->edit->new_text : it->edit->old_text;
        const std::string &to = way == Replay::undo ? it->edit->old_text : it->edit->new_text;
        auto size = static_cast<std::int64_t>(text.size());
        std::int64_t end = it->at + static_cast<std::int64_t>(from.size());
        if (it->at < 0 || end > size) {
            bool overlaps = !from.empty() && it->at < size && end > 0;
            if (!window || overlaps)
                return std::nullopt;
            continue;
        }
        auto at = static_cast<std::size_t>(it->at);
        if (text.compare(at, from.size(), from) != 0)
            return std::nullopt;
        text.replace(at, from.size(), to);
    }
    return text;
}

// The other side of `text`, the part of the record's message that begins
// at `start` (as it left with APPLIED, as it arrived without): before with
// APPLIED, after without. `line` picks that line's edits, nullopt all.
std::optional<std::string> other_side(const TraceRecord &record, const std::string &text,
                                      std::uint32_t start, std::optional<std::uint32_t> line,
                                      bool window) {
    auto left = offsets_as_left(record.edits);
    if (!left)
        return std::nullopt;
    std::vector<PlacedEdit> placed;
    for (std::size_t i = 0; i < record.edits.size(); ++i) {
        const TraceEdit &edit = record.edits[i];
        if (line && edit.line != *line)
            continue;
        std::int64_t offset = record.applied ? (*left)[i] : edit.offset;
        placed.push_back({offset - start, &edit});
    }
    return replay(text, placed, record.applied ? Replay::undo : Replay::apply, window);
}

} // namespace

std::vector<LineChange> line_changes(const TraceRecord &record) {
    std::vector<LineChange> changes;
    for (const auto &line : record.lines) {
        LineChange change;
        change.number = line.number;
        change.cut = line.cut;
        auto rebuilt = other_side(record, line.text, line.offset, line.number, line.cut);
        change.inconsistent = !rebuilt;
        (record.applied ? change.after : change.before) = line.text;
        (record.applied ? change.before : change.after) = std::move(rebuilt);
        changes.push_back(std::move(change));
    }
    return changes;
}

std::optional<MessageChange> message_change(const TraceRecord &record) {
    if (!record.full)
        return std::nullopt;
    MessageChange change;
    change.length = record.full_length;
    change.truncated = record.full->size() != record.full_length;
    (record.applied ? change.after : change.before) = *record.full;
    if (change.truncated)
        return change;
    auto rebuilt = other_side(record, *record.full, 0, std::nullopt, false);
    // Undone, the edits must give back the message as long as it arrived.
    if (rebuilt && record.applied && rebuilt->size() != record.old_length)
        rebuilt.reset();
    change.inconsistent = !rebuilt;
    (record.applied ? change.before : change.after) = std::move(rebuilt);
    return change;
}

// ---- filters ----

namespace {

std::string upper_case(std::string_view text) {
    std::string upper(text);
    for (char &c : upper)
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 'a' + 'A');
    return upper;
}

// RFC 3261's token, which a method is.
bool is_token(std::string_view text) {
    constexpr std::string_view marks = "-.!%*_+`'~";
    return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               marks.find(c) != std::string_view::npos;
    });
}

// "200" or "4xx" (any case of x).
std::optional<TraceFilter::StatusRange> parse_status(std::string_view text) {
    if (text.size() != 3 || text[0] < '1' || text[0] > '6')
        return std::nullopt;
    auto hundreds = static_cast<std::uint16_t>((text[0] - '0') * 100);
    if ((text[1] == 'x' || text[1] == 'X') && (text[2] == 'x' || text[2] == 'X'))
        return TraceFilter::StatusRange{hundreds, static_cast<std::uint16_t>(hundreds + 99)};
    auto code = parse_count(text);
    if (!code)
        return std::nullopt;
    auto status = static_cast<std::uint16_t>(*code);
    return TraceFilter::StatusRange{status, status};
}

// A Call-ID is one word of visible characters.
bool is_call_id(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// The request's method from its start line; nullopt for a response.
std::optional<std::string> request_method(const TraceRecord &record) {
    if (record.status || !record.start_line)
        return std::nullopt;
    std::string_view line = *record.start_line;
    return upper_case(line.substr(0, line.find(' ')));
}

bool has_address(const Connection &conn, const Address &wanted) {
    if (conn.family != wanted.family)
        return false;
    for (const Tuple *tuple : {&conn.original, &conn.reply})
        if (tuple->src == wanted.address || tuple->dst == wanted.address)
            return true;
    return false;
}

// True if `items` is empty (no such filter) or one of them matches.
template <class Item, class Matches>
bool any_or_unfiltered(const std::vector<Item> &items, Matches matches) {
    return items.empty() || std::any_of(items.begin(), items.end(), matches);
}

} // namespace

TraceFilter parse_trace_filter(const TraceFilterWords &words) {
    TraceFilter filter;
    filter.passed_only = words.passed_only;
    for (const auto &word : words.addresses) {
        auto address = parse_address(word);
        if (!address)
            throw UsageError(bad_value(word, "--address", "an IPv4 or IPv6 address"));
        filter.addresses.push_back(std::move(*address));
    }
    for (const auto &word : words.call_ids) {
        if (!is_call_id(word))
            throw UsageError(bad_value(word, "--call-id", "a Call-ID, one word without spaces"));
        filter.call_ids.push_back(word);
    }
    for (const auto &word : words.methods) {
        if (!is_token(word))
            throw UsageError(
                bad_value(word, "--method", "a SIP method such as INVITE, REGISTER or BYE"));
        filter.methods.push_back(upper_case(word));
    }
    for (const auto &word : words.statuses) {
        auto range = parse_status(word);
        if (!range || range->low < 100 || range->high > 699)
            throw UsageError(bad_value(word, "--status",
                                       "a status code from 100 to 699, or a class 1xx to 6xx"));
        filter.statuses.push_back(*range);
    }
    return filter;
}

bool trace_matches(const TraceFilter &filter, const TraceRecord &record) {
    if (filter.passed_only && record.outcome != TraceOutcome::passed)
        return false;
    auto method = request_method(record);
    std::string cseq_method = record.cseq_method ? upper_case(*record.cseq_method) : "";
    return any_or_unfiltered(
               filter.addresses,
               [&](const Address &address) { return has_address(record.connection, address); }) &&
           any_or_unfiltered(filter.call_ids,
                             [&](const std::string &id) { return record.call_id == id; }) &&
           any_or_unfiltered(filter.methods,
                             [&](const std::string &wanted) {
                                 return method == wanted ||
                                        (record.cseq_method && cseq_method == wanted);
                             }) &&
           any_or_unfiltered(filter.statuses, [&](const TraceFilter::StatusRange &range) {
               return record.status && *record.status >= range.low && *record.status <= range.high;
           });
}

// ---- output ----

namespace {

const char *outcome_name(TraceOutcome outcome) {
    switch (outcome) {
    case TraceOutcome::rewritten:
        return "rewritten";
    case TraceOutcome::unchanged:
        return "unchanged";
    case TraceOutcome::no_nat:
        return "no_nat";
    case TraceOutcome::passed:
        return "passed";
    default:
        return "unknown";
    }
}

const Tuple &arrival_tuple(const TraceRecord &record) {
    return record.reply ? record.connection.reply : record.connection.original;
}

// How the message left: the other direction's tuple turned around.
Tuple departure_tuple(const TraceRecord &record) {
    const Tuple &other = record.reply ? record.connection.original : record.connection.reply;
    return {other.family, other.dst, other.src, other.dport, other.sport};
}

std::string escaped(std::string_view bytes) {
    constexpr char hex[] = "0123456789abcdef";
    std::string text;
    for (unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7f) {
            text += static_cast<char>(c);
        } else {
            text += "\\x";
            text += hex[c >> 4];
            text += hex[c & 15];
        }
    }
    return text;
}

// A message's lines without their CR LF (the last one's, if any).
std::vector<std::string_view> split_lines(std::string_view message) {
    std::vector<std::string_view> lines;
    while (!message.empty()) {
        std::size_t newline = message.find('\n');
        std::string_view line = message.substr(0, newline);
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        lines.push_back(line);
        if (newline == std::string_view::npos)
            break;
        message.remove_prefix(newline + 1);
    }
    return lines;
}

std::string plural(std::size_t count, std::string_view noun) {
    return std::to_string(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

std::string signed_number(std::int64_t value) {
    return (value >= 0 ? "+" : "") + std::to_string(value);
}

// The lines of one record's block below its start line, with the line
// numbers right-aligned in one width.
class Block {
  public:
    explicit Block(std::uint32_t highest_line) {
        width_ = std::max<std::size_t>(2, std::to_string(highest_line).size());
    }
    void add(const std::string &line) { text_ += "  " + line + '\n'; }
    // "- 12 text": a marker, a line number, the line's text escaped.
    void add_numbered(char marker, std::uint32_t number, std::string_view line) {
        std::string digits = std::to_string(number);
        std::string text = std::string(1, marker) + ' ' +
                           std::string(width_ - std::min(width_, digits.size()), ' ') + digits;
        if (!line.empty())
            text += ' ' + escaped(line);
        add(text);
    }
    std::string text() const { return text_; }

  private:
    std::size_t width_;
    std::string text_;
};

std::string connection_line(const TraceRecord &record) {
    std::string line = protocol_name(record.connection.proto) + " " +
                       format_tuple(arrival_tuple(record)) + " out as " +
                       format_tuple(departure_tuple(record)) +
                       (record.reply ? " (reply)" : " (original)");
    if (record.tcp)
        line += " seq " + std::to_string(record.tcp->seq) + " +" +
                std::to_string(record.tcp->message_offset);
    return line;
}

std::string outcome_text(const TraceRecord &record) {
    std::string text = outcome_name(record.outcome);
    if (record.outcome == TraceOutcome::passed) {
        text += ": " + (record.reason.empty() ? std::string("no reason given") : record.reason);
        if (record.reason_line)
            text += " at line " + std::to_string(*record.reason_line);
    }
    if (!record.edits.empty() && !record.applied)
        return text + ", " + plural(record.edits.size(), "edit") + " planned, not applied";
    if (record.outcome == TraceOutcome::rewritten)
        text += ", " + plural(record.edits.size(), "edit") + ", " +
                signed_number(static_cast<std::int64_t>(record.new_length) -
                              static_cast<std::int64_t>(record.old_length)) +
                " bytes";
    return text;
}

// "call-id X cseq 2 INVITE: rewritten, 5 edits, -4 bytes"
std::string summary_line(const TraceRecord &record) {
    std::string line;
    if (record.call_id)
        line += "call-id " + escaped(*record.call_id);
    if (record.cseq) {
        line += (line.empty() ? "cseq " : " cseq ") + std::to_string(*record.cseq);
        if (record.cseq_method)
            line += " " + escaped(*record.cseq_method);
    }
    return line.empty() ? outcome_text(record) : line + ": " + outcome_text(record);
}

// The whole message: unchanged lines marked ' ', changed ones '-' and '+'.
void add_message(Block &block, const MessageChange &change) {
    if (!change.before || !change.after) {
        const std::string &known = change.before ? *change.before : *change.after;
        block.add(change.truncated ? "message as it left, first " + std::to_string(known.size()) +
                                         " of " + std::to_string(change.length) + " bytes:"
                                   : "message as it left, " + std::to_string(change.length) +
                                         " bytes, trace inconsistent:");
        std::uint32_t number = 0;
        for (auto line : split_lines(known))
            block.add_numbered(' ', ++number, line);
        return;
    }
    block.add("message " + std::to_string(change.before->size()) + " -> " +
              std::to_string(change.after->size()) + " bytes:");
    auto before = split_lines(*change.before);
    auto after = split_lines(*change.after);
    // Edits never touch CR or LF, so the lines pair up; if they do not,
    // show both sides whole rather than a wrong pairing.
    if (before.size() != after.size()) {
        for (std::size_t i = 0; i < before.size(); ++i)
            block.add_numbered('-', static_cast<std::uint32_t>(i + 1), before[i]);
        for (std::size_t i = 0; i < after.size(); ++i)
            block.add_numbered('+', static_cast<std::uint32_t>(i + 1), after[i]);
        return;
    }
    for (std::size_t i = 0; i < before.size(); ++i) {
        auto number = static_cast<std::uint32_t>(i + 1);
        if (before[i] == after[i]) {
            block.add_numbered(' ', number, before[i]);
        } else {
            block.add_numbered('-', number, before[i]);
            block.add_numbered('+', number, after[i]);
        }
    }
}

std::uint32_t highest_line(const TraceRecord &record, const std::optional<MessageChange> &message) {
    std::uint32_t highest = record.reason_line.value_or(0);
    for (const auto &line : record.lines)
        highest = std::max(highest, line.number);
    if (message)
        for (const auto &side : {message->before, message->after})
            if (side)
                highest = std::max(highest, static_cast<std::uint32_t>(split_lines(*side).size()));
    return highest;
}

// Why it passed; null for any other outcome, as sipalg(8) promises.
Json passed_reason(const TraceRecord &record) {
    if (record.outcome != TraceOutcome::passed || record.reason.empty())
        return nullptr;
    return record.reason;
}

Json optional_json(const std::optional<std::string> &value) {
    return value ? Json(*value) : Json(nullptr);
}

template <class Number> Json optional_json(const std::optional<Number> &value) {
    return value ? Json(*value) : Json(nullptr);
}

} // namespace

std::string format_trace(const TraceRecord &record) {
    auto message = message_change(record);
    Block block(highest_line(record, message));
    block.add(connection_line(record));
    block.add(summary_line(record));
    if (record.reason_line && record.reason_text)
        block.add_numbered('!', *record.reason_line, *record.reason_text);
    constexpr std::string_view unknown = "trace inconsistent";
    for (const auto &change : line_changes(record)) {
        std::string_view cut = change.cut ? "[cut] " : "";
        block.add_numbered('-', change.number,
                           change.before ? std::string(cut) + *change.before : unknown);
        block.add_numbered('+', change.number,
                           change.after ? std::string(cut) + *change.after : unknown);
    }
    if (record.lines_omitted)
        block.add("(" + plural(record.lines_omitted, "more line") + " with edits not shown)");
    for (const auto &[opened, pinhole] : record.pinholes)
        block.add(event_name(opened ? EventType::pinhole_open : EventType::pinhole_close) + " " +
                  pinhole_class_name(pinhole.pinhole_class) + " " + format_tuple(pinhole.tuple) +
                  " " + format_duration(pinhole.timeout));
    if (record.pinholes_omitted)
        block.add("(" + plural(record.pinholes_omitted, "more pinhole") + " not shown)");
    if (message)
        add_message(block, *message);
    std::string start = record.start_line ? escaped(*record.start_line) : "(no start line)";
    return start + '\n' + block.text();
}

Json trace_json(const TraceRecord &record) {
    Json edits = Json::array();
    for (const auto &edit : record.edits)
        edits.push_back(Json{{"offset", edit.offset},
                             {"old", edit.old_text},
                             {"new", edit.new_text},
                             {"line", edit.line}});
    Json lines = Json::array();
    for (const auto &change : line_changes(record))
        lines.push_back(Json{{"line", change.number},
                             {"before", optional_json(change.before)},
                             {"after", optional_json(change.after)},
                             {"cut", change.cut},
                             {"inconsistent", change.inconsistent}});
    Json pinholes = Json::array();
    for (const auto &[opened, pinhole] : record.pinholes) {
        Json json{{"action", opened ? "open" : "close"}};
        json.update(pinhole_json(pinhole));
        pinholes.push_back(std::move(json));
    }
    Json full = nullptr;
    if (auto message = message_change(record))
        full = Json{{"before", optional_json(message->before)},
                    {"after", optional_json(message->after)},
                    {"length", message->length},
                    {"truncated", message->truncated},
                    {"inconsistent", message->inconsistent}};
    Json tcp = nullptr;
    if (record.tcp)
        tcp = Json{{"seq", record.tcp->seq},
                   {"msg_off", record.tcp->message_offset},
                   {"index", record.tcp->index}};
    return Json{{"connection", connection_json(record.connection)},
                {"direction", record.reply ? "reply" : "original"},
                {"out", tuple_json(departure_tuple(record))},
                {"start_line", optional_json(record.start_line)},
                {"call_id", optional_json(record.call_id)},
                {"cseq", optional_json(record.cseq)},
                {"cseq_method", optional_json(record.cseq_method)},
                {"status", optional_json(record.status)},
                {"outcome", outcome_name(record.outcome)},
                {"reason", passed_reason(record)},
                {"reason_line", optional_json(record.reason_line)},
                {"reason_text", optional_json(record.reason_text)},
                {"length", {{"before", record.old_length}, {"after", record.new_length}}},
                {"tcp", tcp},
                {"applied", record.applied},
                {"edits", edits},
                {"lines", lines},
                {"lines_omitted", record.lines_omitted},
                {"pinholes", pinholes},
                {"pinholes_omitted", record.pinholes_omitted},
                {"full", full}};
}

void run_trace(const TraceOptions &options) {
    NetlinkClient client;
    // The kernel sends each record to every trace group with listeners;
    // trace-full's copy adds the whole message. Joining one group only
    // gets each record once.
    client.subscribe(options.full ? SIPALG_GENL_MCGRP_TRACE_FULL : SIPALG_GENL_MCGRP_TRACE);
    receive_until_stopped(
        client,
        [&](const nlmsghdr *header) {
            const auto *genl = static_cast<const genlmsghdr *>(nlmsg_data(header));
            if (genl->cmd != SIPALG_CMD_TRACE)
                return;
            TraceRecord record = decode_trace(header);
            if (!trace_matches(options.filter, record))
                return;
            if (options.json)
                std::cout << trace_json(record).dump(-1, ' ', false, Json::error_handler_t::replace)
                          << std::endl;
            else
                std::cout << format_trace(record) << std::flush;
        },
        [] { std::cerr << "sipalg: trace records were lost (receive buffer full)" << std::endl; });
}

} // namespace sipalg
