// sipalg trace: records built with libnl as uapi.h says the kernel sends
// them, from a SIP message and the edits the core would plan for it, then
// decoded, rebuilt line by line and whole, filtered and printed. The fake
// kernel here computes lines and offsets its own way (forward, from the
// message), so the CLI's reconstruction (backward, from the record) is
// checked against something independent of it.
#include "arguments.hpp"
#include "message.hpp"
#include "trace.hpp"

#include "cli_netlink_messages.hpp"

#include <sipalg/uapi.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <vector>

using namespace sipalg;
using namespace sipalg_test;

namespace {

// An edit as the core plans it, on the message as it arrived.
struct Planned {
    std::uint32_t offset;
    std::string old_text;
    std::string new_text;
};

// The edit replacing the first `old_text` at or after `context` by `text`.
Planned edit(const std::string &message, std::string_view context, std::string_view old_text,
             std::string text) {
    std::size_t at = message.find(context);
    REQUIRE(at != std::string::npos);
    at = message.find(old_text, at);
    REQUIRE(at != std::string::npos);
    return {static_cast<std::uint32_t>(at), std::string(old_text), std::move(text)};
}

// The message as it leaves: the edits made front to back.
std::string applied(const std::string &message, const std::vector<Planned> &edits) {
    std::string result;
    std::size_t from = 0;
    for (const auto &e : edits) {
        result += message.substr(from, e.offset - from) + e.new_text;
        from = e.offset + e.old_text.size();
    }
    return result + message.substr(from);
}

std::uint32_t line_number(const std::string &message, std::size_t offset) {
    return 1 + static_cast<std::uint32_t>(
                   std::count(message.begin(), message.begin() + static_cast<long>(offset), '\n'));
}

// Where line `number` begins in `message`, and its text without CR LF.
std::pair<std::uint32_t, std::string> line_at(const std::string &message, std::uint32_t number) {
    std::size_t start = 0;
    for (std::uint32_t n = 1; n < number; ++n)
        start = message.find('\n', start) + 1;
    std::string text = message.substr(start, message.find('\n', start) - start);
    if (!text.empty() && text.back() == '\r')
        text.pop_back();
    return {static_cast<std::uint32_t>(start), text};
}

// What the fake kernel reports of one message.
struct Sent {
    std::string message; // as it arrived
    std::vector<Planned> edits;
    bool applied = true;
    std::uint8_t outcome = SIPALG_TRACE_REWRITTEN;
    bool reply = false;
    int proto = IPPROTO_UDP;
    std::string call_id = "1589215404@192.168.0.10";
    std::uint32_t cseq = 2;
    std::string cseq_method = "INVITE";
    std::optional<std::uint16_t> status;
    std::string reason;
    std::optional<std::uint32_t> reason_line;
    std::optional<std::uint32_t> seq; // TCP
    std::uint32_t message_offset = 0;
    std::uint32_t message_index = 0;
    std::vector<std::pair<bool, std::uint16_t>> pinholes; // opened?, port on the router
    std::uint32_t pinholes_omitted = 0;
    std::uint32_t lines_omitted = 0;
    bool full = false;
    std::size_t full_max = SIPALG_TRACE_FULL_MAX;
    // Lines sent as a window: line -> first byte in the line, length.
    std::map<std::uint32_t, std::pair<std::uint32_t, std::uint32_t>> windows;
    // Changes the EDITs as sent (not the lines), to fake a broken kernel.
    std::function<void(std::vector<Planned> &)> tamper;
};

void put_bytes(nl_msg *msg, int type, std::string_view bytes) {
    nla_put(msg, type, static_cast<int>(bytes.size()), bytes.data());
}

Message kernel_record(const Sent &sent) {
    Message msg = genl_message(SIPALG_CMD_TRACE);
    nl_msg *m = msg.get();
    put_nated_conn(m, static_cast<std::uint8_t>(sent.proto));

    nlattr *trace = nla_nest_start(m, SIPALG_A_TRACE);
    nla_put_u8(m, SIPALG_A_TRACE_DIR, sent.reply ? 1 : 0);
    nla_put_u8(m, SIPALG_A_TRACE_OUTCOME, sent.outcome);
    if (!sent.reason.empty())
        nla_put_string(m, SIPALG_A_TRACE_REASON, sent.reason.c_str());
    if (sent.reason_line) {
        nla_put_u32(m, SIPALG_A_TRACE_REASON_LINE, *sent.reason_line);
        put_bytes(m, SIPALG_A_TRACE_REASON_TEXT, line_at(sent.message, *sent.reason_line).second);
    }
    put_bytes(m, SIPALG_A_TRACE_START_LINE, line_at(sent.message, 1).second);
    put_bytes(m, SIPALG_A_TRACE_CALL_ID, sent.call_id);
    nla_put_u32(m, SIPALG_A_TRACE_CSEQ, sent.cseq);
    put_bytes(m, SIPALG_A_TRACE_CSEQ_METHOD, sent.cseq_method);
    if (sent.status)
        nla_put_u16(m, SIPALG_A_TRACE_STATUS, *sent.status);
    std::string left = sent.applied ? applied(sent.message, sent.edits) : sent.message;
    nla_put_u32(m, SIPALG_A_TRACE_OLD_LEN, static_cast<std::uint32_t>(sent.message.size()));
    nla_put_u32(m, SIPALG_A_TRACE_NEW_LEN, static_cast<std::uint32_t>(left.size()));
    if (sent.seq) {
        nla_put_u32(m, SIPALG_A_TRACE_SEQ, *sent.seq);
        nla_put_u32(m, SIPALG_A_TRACE_MSG_OFF, sent.message_offset);
        nla_put_u32(m, SIPALG_A_TRACE_MSG_INDEX, sent.message_index);
    }
    if (sent.applied)
        nla_put_flag(m, SIPALG_A_TRACE_APPLIED);

    std::vector<Planned> reported = sent.edits;
    if (sent.tamper)
        sent.tamper(reported);
    for (std::size_t i = 0; i < reported.size(); ++i) {
        nlattr *nest = nla_nest_start(m, SIPALG_A_TRACE_EDIT);
        nla_put_u32(m, SIPALG_A_TRACE_EDIT_OFF, reported[i].offset);
        put_bytes(m, SIPALG_A_TRACE_EDIT_OLD, reported[i].old_text);
        put_bytes(m, SIPALG_A_TRACE_EDIT_NEW, reported[i].new_text);
        nla_put_u32(m, SIPALG_A_TRACE_EDIT_LINE, line_number(sent.message, sent.edits[i].offset));
        nla_nest_end(m, nest);
    }
    std::vector<std::uint32_t> lines;
    for (const auto &e : sent.edits)
        if (lines.empty() || lines.back() != line_number(sent.message, e.offset))
            lines.push_back(line_number(sent.message, e.offset));
    for (std::uint32_t number : lines) {
        auto [offset, text] = line_at(left, number);
        nlattr *nest = nla_nest_start(m, SIPALG_A_TRACE_LINE);
        nla_put_u32(m, SIPALG_A_TRACE_LINE_NO, number);
        if (auto window = sent.windows.find(number); window != sent.windows.end()) {
            offset += window->second.first;
            text = text.substr(window->second.first, window->second.second);
            nla_put_flag(m, SIPALG_A_TRACE_LINE_CUT);
        }
        nla_put_u32(m, SIPALG_A_TRACE_LINE_OFF, offset);
        put_bytes(m, SIPALG_A_TRACE_LINE_TEXT, text);
        nla_nest_end(m, nest);
    }
    if (sent.lines_omitted)
        nla_put_u32(m, SIPALG_A_TRACE_LINES_OMITTED, sent.lines_omitted);
    for (auto [opened, port] : sent.pinholes) {
        nlattr *nest = nla_nest_start(m, opened ? SIPALG_A_TRACE_PINHOLE_OPENED
                                                : SIPALG_A_TRACE_PINHOLE_CLOSED);
        nla_put_u8(m, SIPALG_A_PINHOLE_CLASS, SIPALG_PINHOLE_MEDIA);
        put_tuple(m, SIPALG_A_PINHOLE_TUPLE, {}, router, 0, port);
        nla_put_u32(m, SIPALG_A_PINHOLE_TIMEOUT, 180);
        nla_nest_end(m, nest);
    }
    if (sent.pinholes_omitted)
        nla_put_u32(m, SIPALG_A_TRACE_PINHOLES_OMITTED, sent.pinholes_omitted);
    if (sent.full) {
        put_bytes(m, SIPALG_A_TRACE_FULL, left.substr(0, sent.full_max));
        nla_put_u32(m, SIPALG_A_TRACE_FULL_LEN, static_cast<std::uint32_t>(left.size()));
    }
    nla_nest_end(m, trace);
    return msg;
}

TraceRecord decoded(const Sent &sent) {
    Message msg = kernel_record(sent);
    return decode_trace(nlmsg_hdr(msg.get()));
}

const std::string sdp = "v=0\r\n"
                        "o=- 20017 20017 IN IP4 192.168.0.10\r\n"
                        "s=-\r\n"
                        "c=IN IP4 192.168.0.10\r\n"
                        "t=0 0\r\n"
                        "m=audio 40000 RTP/AVP 0\r\n";

const std::string invite = "INVITE sip:*43@203.0.113.10;user=phone SIP/2.0\r\n"
                           "Via: SIP/2.0/UDP 192.168.0.10:5060;branch=z9hG4bK18;rport\r\n"
                           "From: <sip:011@203.0.113.10>;tag=1\r\n"
                           "To: <sip:*43@203.0.113.10;user=phone>\r\n"
                           "Call-ID: 1589215404@192.168.0.10\r\n"
                           "CSeq: 2 INVITE\r\n"
                           "Contact: <sip:011@192.168.0.10:5060>\r\n"
                           "Max-Forwards: 70\r\n"
                           "Content-Type: application/sdp\r\n"
                           "Content-Length: " +
                           std::to_string(sdp.size()) + "\r\n\r\n" + sdp;

// The INVITE leaving the NAT: Via, Contact, o= and c= say the router,
// Content-Length follows the shorter body.
Sent invite_out() {
    Sent sent;
    sent.message = invite;
    sent.edits = {edit(invite, "Via: ", "192.168.0.10", "203.0.113.1"),
                  edit(invite, "Contact: ", "192.168.0.10", "203.0.113.1"),
                  edit(invite, "Content-Length: ", "102", "100"),
                  edit(invite, "o=-", "192.168.0.10", "203.0.113.1"),
                  edit(invite, "c=IN", "192.168.0.10", "203.0.113.1")};
    sent.pinholes = {{true, 40000}, {true, 40001}};
    return sent;
}

const std::string ok = "SIP/2.0 200 OK\r\n"
                       "Via: SIP/2.0/TCP 203.0.113.1:40312;branch=z9hG4bK18;rport=40312;"
                       "received=203.0.113.1\r\n"
                       "From: <sip:011@203.0.113.10>;tag=1\r\n"
                       "To: <sip:*43@203.0.113.10;user=phone>;tag=2\r\n"
                       "Call-ID: 1589215404@192.168.0.10\r\n"
                       "CSeq: 2 INVITE\r\n"
                       "Content-Length: 0\r\n"
                       "\r\n";

// The 200 coming back over TCP, the second message of its segment: four
// edits on the Via line, which grow and shrink it in turn.
Sent ok_in() {
    Sent sent;
    sent.message = ok;
    sent.reply = true;
    sent.proto = IPPROTO_TCP;
    sent.status = 200;
    sent.seq = 4001;
    sent.message_offset = 812;
    sent.message_index = 1;
    sent.edits = {edit(ok, "Via: ", "203.0.113.1", "192.168.0.10"),
                  edit(ok, "Via: SIP/2.0/TCP 203.0.113.1:", "40312", "5060"),
                  edit(ok, "rport=", "40312", "5060"),
                  edit(ok, "received=", "203.0.113.1", "192.168.0.10")};
    sent.pinholes = {{false, 40000}, {true, 40002}, {false, 40001}};
    return sent;
}

const std::string compact = "INVITE sip:bob@203.0.113.10 SIP/2.0\r\n"
                            "v: SIP/2.0/UDP 192.168.0.10:5060;branch=z9hG4bK7\r\n"
                            "f: <sip:alice@203.0.113.10>;tag=9\r\n"
                            "t: <sip:bob@203.0.113.10>\r\n"
                            "i: c0mpact@192.168.0.10\r\n"
                            "CSeq: 1 INVITE\r\n"
                            "m: <sip:alice@192.168.0.10:5060>\r\n"
                            "c: application/sdp\r\n"
                            "l: 300\r\n"
                            "\r\n" +
                            sdp;

// A compact INVITE whose Content-Length is wrong: passed, no edits.
Sent passed_bad_length() {
    Sent sent;
    sent.message = compact;
    sent.outcome = SIPALG_TRACE_PASSED;
    sent.applied = false;
    sent.call_id = "c0mpact@192.168.0.10";
    sent.cseq = 1;
    sent.reason = "bad_content_length";
    sent.reason_line = 9;
    return sent;
}

// A message whose Via address is the one edit.
Sent via_rewritten(std::string message) {
    Sent sent;
    sent.edits = {edit(message, "Via: ", "192.168.0.10", "203.0.113.1")};
    sent.message = std::move(message);
    return sent;
}

std::string line_text(const std::string &message, std::uint32_t number) {
    return line_at(message, number).second;
}

} // namespace

TEST_CASE("trace: a record decoded", "[cli][trace]") {
    TraceRecord record = decoded(invite_out());
    CHECK(record.connection.proto == IPPROTO_UDP);
    CHECK(record.connection.original.src == phone);
    CHECK(record.connection.reply.dst == router);
    CHECK(record.connection.nat);
    CHECK_FALSE(record.reply);
    CHECK(record.outcome == TraceOutcome::rewritten);
    CHECK(record.reason.empty());
    CHECK_FALSE(record.reason_line);
    CHECK(record.start_line == "INVITE sip:*43@203.0.113.10;user=phone SIP/2.0");
    CHECK(record.call_id == "1589215404@192.168.0.10");
    CHECK(record.cseq == 2u);
    CHECK(record.cseq_method == "INVITE");
    CHECK_FALSE(record.status);
    CHECK(record.old_length == invite.size());
    CHECK(record.new_length == invite.size() - 4);
    CHECK_FALSE(record.tcp);
    CHECK(record.applied);
    REQUIRE(record.edits.size() == 5);
    CHECK(record.edits[0].offset == invite.find("192.168.0.10"));
    CHECK(record.edits[0].old_text == "192.168.0.10");
    CHECK(record.edits[0].new_text == "203.0.113.1");
    CHECK(record.edits[0].line == 2);
    CHECK(record.edits[2].line == 10);
    REQUIRE(record.lines.size() == 5);
    CHECK(record.lines[1].number == 7);
    CHECK(record.lines[1].text == "Contact: <sip:011@203.0.113.1:5060>");
    CHECK_FALSE(record.lines[1].cut);
    REQUIRE(record.pinholes.size() == 2);
    CHECK(record.pinholes[0].opened);
    CHECK(record.pinholes[1].pinhole.tuple.dport == 40001);
    CHECK(record.pinholes[1].pinhole.pinhole_class == PinholeClass::media);
    CHECK_FALSE(record.full);

    // TCP, a reply, pinholes closed and opened in the order they were.
    TraceRecord tcp = decoded(ok_in());
    CHECK(tcp.reply);
    CHECK(tcp.status == 200);
    REQUIRE(tcp.tcp);
    CHECK(tcp.tcp->seq == 4001);
    CHECK(tcp.tcp->message_offset == 812);
    CHECK(tcp.tcp->index == 1);
    REQUIRE(tcp.pinholes.size() == 3);
    CHECK_FALSE(tcp.pinholes[0].opened);
    CHECK(tcp.pinholes[1].opened);
    CHECK(tcp.pinholes[1].pinhole.tuple.dport == 40002);
    CHECK_FALSE(tcp.pinholes[2].opened);

    TraceRecord passed = decoded(passed_bad_length());
    CHECK(passed.outcome == TraceOutcome::passed);
    CHECK(passed.reason == "bad_content_length");
    CHECK(passed.reason_line == 9u);
    CHECK(passed.reason_text == "l: 300");
    CHECK_FALSE(passed.applied);
    CHECK(passed.edits.empty());
}

TEST_CASE("trace: records the CLI cannot read", "[cli][trace]") {
    auto error_of = [](const Message &msg) {
        try {
            decode_trace(nlmsg_hdr(msg.get()));
        } catch (const DecodeError &error) {
            return std::string(error.what());
        }
        return std::string();
    };
    Message no_conn = genl_message(SIPALG_CMD_TRACE);
    CHECK(error_of(no_conn) == "the kernel's reply lacks CONN");

    Message no_trace = genl_message(SIPALG_CMD_TRACE);
    put_nated_conn(no_trace.get(), IPPROTO_UDP);
    CHECK(error_of(no_trace) == "the kernel's reply lacks TRACE");

    nlattr *trace = nla_nest_start(no_trace.get(), SIPALG_A_TRACE);
    nla_put_u8(no_trace.get(), SIPALG_A_TRACE_OUTCOME, SIPALG_TRACE_UNCHANGED);
    nla_nest_end(no_trace.get(), trace);
    CHECK(error_of(no_trace) == "the kernel's reply lacks TRACE_DIR");
}

TEST_CASE("trace: lines rebuilt before and after", "[cli][trace]") {
    Sent sent = invite_out();
    std::string left = applied(invite, sent.edits);
    auto changes = line_changes(decoded(sent));
    REQUIRE(changes.size() == 5);
    for (const auto &change : changes) {
        INFO("line " << change.number);
        CHECK(change.before == line_text(invite, change.number));
        CHECK(change.after == line_text(left, change.number));
        CHECK_FALSE(change.inconsistent);
        CHECK_FALSE(change.cut);
    }

    // Several edits on one line, growing and shrinking it in turn.
    Sent reply = ok_in();
    left = applied(ok, reply.edits);
    changes = line_changes(decoded(reply));
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].before == line_text(ok, 2));
    CHECK(changes[0].after == line_text(left, 2));
    CHECK(*changes[0].after == "Via: SIP/2.0/TCP 192.168.0.10:5060;branch=z9hG4bK18;rport=5060;"
                               "received=192.168.0.10");
}

TEST_CASE("trace: without APPLIED the lines are as they arrived", "[cli][trace]") {
    Sent sent = invite_out();
    sent.applied = false;
    sent.outcome = SIPALG_TRACE_PASSED;
    sent.reason = "too_big";
    sent.full = true;
    std::string planned = applied(invite, sent.edits);
    TraceRecord record = decoded(sent);
    CHECK(record.lines[0].text == line_text(invite, 2));
    for (const auto &change : line_changes(record)) {
        INFO("line " << change.number);
        CHECK(change.before == line_text(invite, change.number));
        CHECK(change.after == line_text(planned, change.number));
        CHECK_FALSE(change.inconsistent);
    }
    auto message = message_change(record);
    REQUIRE(message);
    CHECK(message->before == invite);
    CHECK(message->after == planned);
    CHECK_FALSE(message->truncated);
    CHECK_FALSE(message->inconsistent);
    CHECK(format_trace(record).find(
              "call-id 1589215404@192.168.0.10 cseq 2 INVITE: passed: too_big, 5 edits planned, "
              "not applied\n") != std::string::npos);
    CHECK(trace_json(record)["applied"] == false);
}

TEST_CASE("trace: the whole message rebuilt, or cut short", "[cli][trace]") {
    Sent sent = invite_out();
    sent.full = true;
    auto message = message_change(decoded(sent));
    REQUIRE(message);
    CHECK(message->before == invite);
    CHECK(message->after == applied(invite, sent.edits));
    CHECK(message->length == invite.size() - 4);
    CHECK_FALSE(message->truncated);
    CHECK_FALSE(message->inconsistent);

    // Cut at FULL_MAX: what left is known as far as it goes, nothing more.
    sent.full_max = 100;
    message = message_change(decoded(sent));
    REQUIRE(message);
    CHECK(message->truncated);
    CHECK(message->after == applied(invite, sent.edits).substr(0, 100));
    CHECK_FALSE(message->before);
    CHECK_FALSE(message->inconsistent);

    CHECK_FALSE(message_change(decoded(invite_out())));
}

TEST_CASE("trace: edits that do not match are reported, not guessed", "[cli][trace]") {
    // The Contact edit's old bytes are not what the line held.
    Sent sent = invite_out();
    sent.full = true;
    sent.tamper = [](std::vector<Planned> &edits) { edits[1].old_text = "192.168.0.99"; };
    TraceRecord record = decoded(sent);
    // With APPLIED, what is checked is the new bytes; corrupt them too.
    record.edits[1].new_text = "203.0.113.9";
    auto changes = line_changes(record);
    REQUIRE(changes.size() == 5);
    CHECK_FALSE(changes[0].inconsistent);
    CHECK(changes[1].inconsistent);
    CHECK_FALSE(changes[1].before);
    CHECK(changes[1].after == "Contact: <sip:011@203.0.113.1:5060>");
    CHECK_FALSE(changes[2].inconsistent);
    auto message = message_change(record);
    REQUIRE(message);
    CHECK(message->inconsistent);
    CHECK_FALSE(message->before);
    CHECK(message->after == applied(invite, sent.edits));

    std::string text = format_trace(record);
    CHECK(text.find("  -  7 trace inconsistent\n"
                    "  +  7 Contact: <sip:011@203.0.113.1:5060>\n") != std::string::npos);
    CHECK(text.find("  message as it left, " + std::to_string(invite.size() - 4) +
                    " bytes, trace inconsistent:\n") != std::string::npos);
    Json json = trace_json(record);
    CHECK(json["lines"][1] == Json{{"line", 7},
                                   {"before", nullptr},
                                   {"after", "Contact: <sip:011@203.0.113.1:5060>"},
                                   {"cut", false},
                                   {"inconsistent", true}});
    CHECK(json["full"]["inconsistent"] == true);
    CHECK(json["full"]["before"] == nullptr);

    // Without APPLIED the old bytes are checked against the line.
    sent.applied = false;
    sent.outcome = SIPALG_TRACE_PASSED;
    changes = line_changes(decoded(sent));
    CHECK(changes[1].inconsistent);
    CHECK(changes[1].before == "Contact: <sip:011@192.168.0.10:5060>");
    CHECK_FALSE(changes[1].after);
    CHECK_FALSE(changes[3].inconsistent);

    // An edit past the end of its line.
    sent = invite_out();
    sent.tamper = [](std::vector<Planned> &edits) { edits[2].offset += 3; };
    changes = line_changes(decoded(sent));
    CHECK(changes[2].inconsistent);
    // Edits out of order: nothing can be placed.
    sent.tamper = [](std::vector<Planned> &edits) { std::swap(edits[0], edits[1]); };
    for (const auto &change : line_changes(decoded(sent)))
        CHECK(change.inconsistent);
}

TEST_CASE("trace: a long line sent as a window around its edits", "[cli][trace]") {
    std::string message = "MESSAGE sip:bob@203.0.113.10 SIP/2.0\r\n"
                          "X-Long: " +
                          std::string(200, 'a') + " 192.168.0.10 " + std::string(200, 'b') +
                          " 192.168.0.10 end\r\n"
                          "Content-Length: 0\r\n\r\n";
    Sent sent;
    sent.message = message;
    sent.edits = {edit(message, "X-Long: ", "192.168.0.10", "203.0.113.1"),
                  edit(message, "bbb ", "192.168.0.10", "203.0.113.1")};
    // The window holds the first edit only; the second lies past it.
    sent.windows[2] = {150, 100};
    auto changes = line_changes(decoded(sent));
    REQUIRE(changes.size() == 1);
    std::string left = applied(message, sent.edits);
    CHECK(changes[0].cut);
    CHECK_FALSE(changes[0].inconsistent);
    CHECK(changes[0].after == line_text(left, 2).substr(150, 100));
    CHECK(changes[0].before == line_text(message, 2).substr(150, 101));
    CHECK(format_trace(decoded(sent)).find("  -  2 [cut] aaaa") != std::string::npos);
    CHECK(trace_json(decoded(sent))["lines"][0]["cut"] == true);

    // A window ending inside an edit cannot be undone.
    sent.windows[2] = {150, 65};
    changes = line_changes(decoded(sent));
    CHECK(changes[0].inconsistent);
    CHECK_FALSE(changes[0].before);
}

TEST_CASE("trace: text output", "[cli][trace]") {
    CHECK(format_trace(decoded(invite_out())) ==
          "INVITE sip:*43@203.0.113.10;user=phone SIP/2.0\n"
          "  udp 192.168.0.10:5060 -> 203.0.113.10:5060 out as 203.0.113.1:5060 -> "
          "203.0.113.10:5060 (original)\n"
          "  call-id 1589215404@192.168.0.10 cseq 2 INVITE: rewritten, 5 edits, -4 bytes\n"
          "  -  2 Via: SIP/2.0/UDP 192.168.0.10:5060;branch=z9hG4bK18;rport\n"
          "  +  2 Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK18;rport\n"
          "  -  7 Contact: <sip:011@192.168.0.10:5060>\n"
          "  +  7 Contact: <sip:011@203.0.113.1:5060>\n"
          "  - 10 Content-Length: 102\n"
          "  + 10 Content-Length: 100\n"
          "  - 13 o=- 20017 20017 IN IP4 192.168.0.10\n"
          "  + 13 o=- 20017 20017 IN IP4 203.0.113.1\n"
          "  - 15 c=IN IP4 192.168.0.10\n"
          "  + 15 c=IN IP4 203.0.113.1\n"
          "  pinhole-open media *:* -> 203.0.113.1:40000 3m\n"
          "  pinhole-open media *:* -> 203.0.113.1:40001 3m\n");

    Sent reply = ok_in();
    reply.lines_omitted = 2;
    reply.pinholes_omitted = 1;
    CHECK(format_trace(decoded(reply)) ==
          "SIP/2.0 200 OK\n"
          "  tcp 203.0.113.10:5060 -> 203.0.113.1:5060 out as 203.0.113.10:5060 -> "
          "192.168.0.10:5060 (reply) seq 4001 +812\n"
          "  call-id 1589215404@192.168.0.10 cseq 2 INVITE: rewritten, 4 edits, +0 bytes\n"
          "  -  2 Via: SIP/2.0/TCP 203.0.113.1:40312;branch=z9hG4bK18;rport=40312;"
          "received=203.0.113.1\n"
          "  +  2 Via: SIP/2.0/TCP 192.168.0.10:5060;branch=z9hG4bK18;rport=5060;"
          "received=192.168.0.10\n"
          "  (2 more lines with edits not shown)\n"
          "  pinhole-close media *:* -> 203.0.113.1:40000 3m\n"
          "  pinhole-open media *:* -> 203.0.113.1:40002 3m\n"
          "  pinhole-close media *:* -> 203.0.113.1:40001 3m\n"
          "  (1 more pinhole not shown)\n");

    CHECK(format_trace(decoded(passed_bad_length())) ==
          "INVITE sip:bob@203.0.113.10 SIP/2.0\n"
          "  udp 192.168.0.10:5060 -> 203.0.113.10:5060 out as 203.0.113.1:5060 -> "
          "203.0.113.10:5060 (original)\n"
          "  call-id c0mpact@192.168.0.10 cseq 1 INVITE: passed: bad_content_length at line 9\n"
          "  !  9 l: 300\n");
}

TEST_CASE("trace: text output with the whole message", "[cli][trace]") {
    Sent sent = via_rewritten("OPTIONS sip:203.0.113.10 SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP 192.168.0.10:5060\r\n"
                              "Content-Length: 0\r\n"
                              "\r\n");
    sent.cseq_method = "OPTIONS";
    sent.full = true;
    CHECK(format_trace(decoded(sent)) ==
          "OPTIONS sip:203.0.113.10 SIP/2.0\n"
          "  udp 192.168.0.10:5060 -> 203.0.113.10:5060 out as 203.0.113.1:5060 -> "
          "203.0.113.10:5060 (original)\n"
          "  call-id 1589215404@192.168.0.10 cseq 2 OPTIONS: rewritten, 1 edit, -1 bytes\n"
          "  -  2 Via: SIP/2.0/UDP 192.168.0.10:5060\n"
          "  +  2 Via: SIP/2.0/UDP 203.0.113.1:5060\n"
          "  message 91 -> 90 bytes:\n"
          "     1 OPTIONS sip:203.0.113.10 SIP/2.0\n"
          "  -  2 Via: SIP/2.0/UDP 192.168.0.10:5060\n"
          "  +  2 Via: SIP/2.0/UDP 203.0.113.1:5060\n"
          "     3 Content-Length: 0\n"
          "     4\n");

    sent.full_max = 40;
    CHECK(format_trace(decoded(sent))
              .ends_with("  message as it left, first 40 of 90 bytes:\n"
                         "     1 OPTIONS sip:203.0.113.10 SIP/2.0\n"
                         "     2 Via: S\n"));
}

TEST_CASE("trace: bytes outside printable ASCII are escaped", "[cli][trace]") {
    Sent sent = via_rewritten("MESSAGE sip:bob@203.0.113.10 SIP/2.0\r\n"
                              "Via: SIP/2.0/UDP 192.168.0.10:5060;x=\xff\t\r\n"
                              "Content-Length: 0\r\n\r\n");
    sent.call_id = "caf\xc3\xa9\x01";
    TraceRecord record = decoded(sent);
    std::string text = format_trace(record);
    CHECK(text.find("call-id caf\\xc3\\xa9\\x01 cseq") != std::string::npos);
    CHECK(text.find("  -  2 Via: SIP/2.0/UDP 192.168.0.10:5060;x=\\xff\\x09\n") !=
          std::string::npos);
    // One line per line, whatever the bytes.
    CHECK(std::count(text.begin(), text.end(), '\n') == 5);
    // JSON holds the bytes; invalid UTF-8 becomes U+FFFD only with replace.
    Json json = trace_json(record);
    CHECK(json["lines"][0]["before"] == "Via: SIP/2.0/UDP 192.168.0.10:5060;x=\xff\t");
    CHECK_THROWS(json.dump());
    std::string line = json.dump(-1, ' ', false, Json::error_handler_t::replace);
    CHECK(line.find("x=\xef\xbf\xbd\\t\"") != std::string::npos);
    CHECK(line.find("caf\xc3\xa9\\u0001") != std::string::npos);
}

TEST_CASE("trace: JSON output", "[cli][trace]") {
    TraceRecord passed = decoded(passed_bad_length());
    CHECK(trace_json(passed).dump() ==
          R"({"connection":{"family":"ipv4","proto":"udp",)"
          R"("original":{"src":"192.168.0.10","dst":"203.0.113.10","sport":5060,"dport":5060},)"
          R"("reply":{"src":"203.0.113.10","dst":"203.0.113.1","sport":5060,"dport":5060},)"
          R"("nat":true,"timeout":0,"pinholes":[],"sessions":[],"sessions_omitted":0,)"
          R"("pinholes_used":null,"host":null,"host_pinholes":null},)"
          R"("direction":"original",)"
          R"("out":{"src":"203.0.113.1","dst":"203.0.113.10","sport":5060,"dport":5060},)"
          R"("start_line":"INVITE sip:bob@203.0.113.10 SIP/2.0",)"
          R"("call_id":"c0mpact@192.168.0.10","cseq":1,"cseq_method":"INVITE","status":null,)"
          R"("outcome":"passed","reason":"bad_content_length","reason_line":9,)"
          R"("reason_text":"l: 300","length":{"before":356,"after":356},"tcp":null,)"
          R"("applied":false,"edits":[],"lines":[],"lines_omitted":0,"pinholes":[],)"
          R"("pinholes_omitted":0,"full":null})");

    Sent reply = ok_in();
    reply.full = true;
    Json json = trace_json(decoded(reply));
    CHECK(json["direction"] == "reply");
    CHECK(json["out"] ==
          Json{{"src", "203.0.113.10"}, {"dst", "192.168.0.10"}, {"sport", 5060}, {"dport", 5060}});
    CHECK(json["status"] == 200);
    CHECK(json["outcome"] == "rewritten");
    CHECK(json["reason"] == nullptr);
    // A reason is shown for passed messages only.
    Sent odd = invite_out();
    odd.reason = "too_big";
    CHECK(trace_json(decoded(odd))["reason"] == nullptr);
    CHECK(json["tcp"] == Json{{"seq", 4001}, {"msg_off", 812}, {"index", 1}});
    CHECK(json["applied"] == true);
    CHECK(json["length"] == Json{{"before", ok.size()}, {"after", ok.size()}});
    REQUIRE(json["edits"].size() == 4);
    CHECK(json["edits"][1] ==
          Json{{"offset", ok.find("40312")}, {"old", "40312"}, {"new", "5060"}, {"line", 2}});
    REQUIRE(json["lines"].size() == 1);
    CHECK(json["lines"][0]["before"] == line_text(ok, 2));
    CHECK(json["lines"][0]["inconsistent"] == false);
    REQUIRE(json["pinholes"].size() == 3);
    CHECK(
        json["pinholes"][0] ==
        Json{{"action", "close"},
             {"class", "media"},
             {"tuple", {{"src", nullptr}, {"dst", "203.0.113.1"}, {"sport", 0}, {"dport", 40000}}},
             {"timeout", 180}});
    CHECK(json["pinholes"][1]["action"] == "open");
    CHECK(json["full"] == Json{{"before", ok},
                               {"after", applied(ok, reply.edits)},
                               {"length", ok.size()},
                               {"truncated", false},
                               {"inconsistent", false}});
}

TEST_CASE("trace: filters", "[cli][trace]") {
    TraceRecord request = decoded(invite_out());
    TraceRecord response = decoded(ok_in());
    TraceRecord passed = decoded(passed_bad_length());
    auto shown = [&](const TraceFilterWords &words) {
        TraceFilter filter = parse_trace_filter(words);
        std::string which;
        which += trace_matches(filter, request) ? "I" : "-";
        which += trace_matches(filter, response) ? "O" : "-";
        which += trace_matches(filter, passed) ? "P" : "-";
        return which;
    };
    CHECK(shown({}) == "IOP");
    // Any side of the NAT: the router's own address is on the reply side.
    CHECK(shown({.addresses = {"203.0.113.1"}}) == "IOP");
    CHECK(shown({.addresses = {"192.168.0.99"}}) == "---");
    CHECK(shown({.addresses = {"192.168.0.99", "192.168.0.10"}}) == "IOP");
    CHECK(shown({.addresses = {"::1"}}) == "---");
    CHECK(shown({.call_ids = {"c0mpact@192.168.0.10"}}) == "--P");
    CHECK(shown({.call_ids = {"1589215404@192.168.0.10"}}) == "IO-");
    // A response's method is its CSeq's; any case.
    CHECK(shown({.methods = {"invite"}}) == "IOP");
    CHECK(shown({.methods = {"BYE"}}) == "---");
    CHECK(shown({.statuses = {"2xx"}}) == "-O-");
    CHECK(shown({.statuses = {"200"}}) == "-O-");
    CHECK(shown({.statuses = {"4xx", "180"}}) == "---");
    CHECK(shown({.passed_only = true}) == "--P");
    // Different flags must all match.
    CHECK(shown({.methods = {"INVITE"}, .statuses = {"2XX"}}) == "-O-");
    CHECK(shown({.call_ids = {"c0mpact@192.168.0.10"}, .passed_only = true}) == "--P");
    CHECK(shown({.addresses = {"203.0.113.10"}, .call_ids = {"nobody"}}) == "---");
}

TEST_CASE("trace: bad filter values", "[cli][trace]") {
    auto error_of = [](const TraceFilterWords &words) {
        try {
            parse_trace_filter(words);
        } catch (const UsageError &error) {
            return std::string(error.what());
        }
        return std::string();
    };
    CHECK(error_of({.addresses = {"192.168.0"}}) ==
          "bad value '192.168.0' for --address: want an IPv4 or IPv6 address");
    CHECK(error_of({.addresses = {"[2001:db8::1]"}}).empty());
    CHECK(error_of({.call_ids = {""}}) ==
          "bad value '' for --call-id: want a Call-ID, one word without spaces");
    CHECK(error_of({.methods = {"IN VITE"}}) ==
          "bad value 'IN VITE' for --method: want a SIP method such as INVITE, REGISTER or BYE");
    for (const char *status : {"99", "700", "7xx", "0xx", "2x", "20x", "2000", "abc"})
        CHECK(error_of({.statuses = {status}}) ==
              "bad value '" + std::string(status) +
                  "' for --status: want a status code from 100 to 699, or a class 1xx to 6xx");
    CHECK(error_of({.statuses = {"100", "699", "1xx", "6XX"}}).empty());
}
