#include "message.hpp"

#include <sipalg/uapi.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <linux/netlink.h>

#include <cstring>
#include <optional>
#include <string>
#include <sys/socket.h>

namespace sipalg {

namespace {

// Attribute tables are indexed by type; slot 0 is unused.
template <int max> struct Attributes {
    nlattr *table[max + 1] = {};
    nlattr *operator[](int type) const { return table[type]; }
};

template <int max> Attributes<max> parse_message(const nlmsghdr *header) {
    Attributes<max> attrs;
    // libnl's parser does not modify the message; its prototype is just
    // not const.
    auto *mutable_header = const_cast<nlmsghdr *>(header);
    if (genlmsg_parse(mutable_header, 0, attrs.table, max, nullptr) < 0)
        throw DecodeError("malformed message from the kernel");
    return attrs;
}

template <int max> Attributes<max> parse_nested(const nlattr *nest) {
    Attributes<max> attrs;
    if (nla_parse_nested(attrs.table, max, const_cast<nlattr *>(nest), nullptr) < 0)
        throw DecodeError("malformed nested attribute from the kernel");
    return attrs;
}

const nlattr *require(const nlattr *attr, const char *name, int min_length) {
    if (!attr)
        throw DecodeError(std::string("the kernel's reply lacks ") + name);
    if (nla_len(attr) < min_length)
        throw DecodeError(std::string("the kernel's ") + name + " is too short");
    return attr;
}

std::string get_string(const nlattr *attr) {
    if (!attr || nla_len(attr) < 1)
        return "";
    // The kernel NUL-terminates strings; do not trust it to.
    const char *text = static_cast<const char *>(nla_data(attr));
    return std::string(text, strnlen(text, nla_len(attr)));
}

// A binary attribute's bytes, exactly: SIP text as the kernel copied it.
std::string get_bytes(const nlattr *attr) {
    return std::string(static_cast<const char *>(nla_data(attr)),
                       static_cast<std::size_t>(nla_len(attr)));
}

std::optional<std::string> get_optional_bytes(const nlattr *attr) {
    if (!attr)
        return std::nullopt;
    return get_bytes(attr);
}

std::uint8_t get_u8(const nlattr *attr, const char *name) {
    return *static_cast<const std::uint8_t *>(nla_data(require(attr, name, 1)));
}
std::uint16_t get_u16(const nlattr *attr, const char *name) {
    std::uint16_t value;
    std::memcpy(&value, nla_data(require(attr, name, 2)), 2);
    return value;
}
std::uint32_t get_u32(const nlattr *attr, const char *name) {
    std::uint32_t value;
    std::memcpy(&value, nla_data(require(attr, name, 4)), 4);
    return value;
}
std::uint64_t get_u64(const nlattr *attr, const char *name) {
    std::uint64_t value;
    std::memcpy(&value, nla_data(require(attr, name, 8)), 8);
    return value;
}

std::vector<std::uint8_t> get_address(const nlattr *attr, int family) {
    std::size_t want = family == AF_INET6 ? 16 : 4;
    if (static_cast<std::size_t>(nla_len(attr)) != want)
        throw DecodeError("the kernel sent an address of the wrong length");
    auto *bytes = static_cast<const std::uint8_t *>(nla_data(attr));
    return {bytes, bytes + want};
}

Tuple decode_tuple(const nlattr *nest, int family) {
    auto attrs = parse_nested<SIPALG_A_TUPLE_MAX>(nest);
    Tuple tuple;
    tuple.family = family;
    // Pinholes leave out what they accept from anywhere.
    if (attrs[SIPALG_A_TUPLE_SRC])
        tuple.src = get_address(attrs[SIPALG_A_TUPLE_SRC], family);
    if (attrs[SIPALG_A_TUPLE_DST])
        tuple.dst = get_address(attrs[SIPALG_A_TUPLE_DST], family);
    if (attrs[SIPALG_A_TUPLE_SPORT])
        tuple.sport = get_u16(attrs[SIPALG_A_TUPLE_SPORT], "TUPLE_SPORT");
    if (attrs[SIPALG_A_TUPLE_DPORT])
        tuple.dport = get_u16(attrs[SIPALG_A_TUPLE_DPORT], "TUPLE_DPORT");
    return tuple;
}

Pinhole decode_pinhole(const nlattr *nest, int family) {
    auto attrs = parse_nested<SIPALG_A_PINHOLE_MAX>(nest);
    Pinhole pinhole;
    switch (get_u8(attrs[SIPALG_A_PINHOLE_CLASS], "PINHOLE_CLASS")) {
    case SIPALG_PINHOLE_SIGNALLING:
        pinhole.pinhole_class = PinholeClass::signalling;
        break;
    case SIPALG_PINHOLE_MEDIA:
        pinhole.pinhole_class = PinholeClass::media;
        break;
    default:
        pinhole.pinhole_class = PinholeClass::unknown;
    }
    pinhole.tuple =
        decode_tuple(require(attrs[SIPALG_A_PINHOLE_TUPLE], "PINHOLE_TUPLE", 0), family);
    if (attrs[SIPALG_A_PINHOLE_TIMEOUT])
        pinhole.timeout = get_u32(attrs[SIPALG_A_PINHOLE_TIMEOUT], "PINHOLE_TIMEOUT");
    return pinhole;
}

Session decode_session(const nlattr *nest) {
    auto attrs = parse_nested<SIPALG_A_SESSION_MAX>(nest);
    Session session;
    switch (get_u8(attrs[SIPALG_A_SESSION_KIND], "SESSION_KIND")) {
    case SIPALG_SESSION_REGISTRATION:
        session.kind = SessionKind::registration;
        break;
    case SIPALG_SESSION_CALL:
        session.kind = SessionKind::call;
        break;
    default:
        session.kind = SessionKind::unknown;
    }
    session.id = get_string(require(attrs[SIPALG_A_SESSION_ID], "SESSION_ID", 1));
    switch (get_u8(attrs[SIPALG_A_SESSION_STATE], "SESSION_STATE")) {
    case SIPALG_STATE_REGISTERING:
        session.state = SessionState::registering;
        break;
    case SIPALG_STATE_REGISTERED:
        session.state = SessionState::registered;
        break;
    case SIPALG_STATE_CALLING:
        session.state = SessionState::calling;
        break;
    case SIPALG_STATE_RINGING:
        session.state = SessionState::ringing;
        break;
    case SIPALG_STATE_ESTABLISHED:
        session.state = SessionState::established;
        break;
    case SIPALG_STATE_HELD:
        session.state = SessionState::held;
        break;
    default:
        session.state = SessionState::unknown;
    }
    if (attrs[SIPALG_A_SESSION_OUTGOING])
        session.outgoing = get_u8(attrs[SIPALG_A_SESSION_OUTGOING], "SESSION_OUTGOING") != 0;
    if (attrs[SIPALG_A_SESSION_AGE])
        session.age = get_u32(attrs[SIPALG_A_SESSION_AGE], "SESSION_AGE");
    if (attrs[SIPALG_A_SESSION_EXPIRES])
        session.expires = get_u32(attrs[SIPALG_A_SESSION_EXPIRES], "SESSION_EXPIRES");
    return session;
}

Connection decode_connection(const nlattr *nest) {
    auto attrs = parse_nested<SIPALG_A_CONN_MAX>(nest);
    Connection conn;
    conn.family = get_u8(attrs[SIPALG_A_CONN_FAMILY], "CONN_FAMILY");
    if (conn.family != AF_INET && conn.family != AF_INET6)
        throw DecodeError("the kernel sent an unknown address family " +
                          std::to_string(conn.family));
    conn.proto = get_u8(attrs[SIPALG_A_CONN_PROTO], "CONN_PROTO");
    conn.original = decode_tuple(require(attrs[SIPALG_A_CONN_ORIG], "CONN_ORIG", 0), conn.family);
    if (attrs[SIPALG_A_CONN_REPLY])
        conn.reply = decode_tuple(attrs[SIPALG_A_CONN_REPLY], conn.family);
    else
        conn.reply.family = conn.family;
    if (attrs[SIPALG_A_CONN_TIMEOUT])
        conn.timeout = get_u32(attrs[SIPALG_A_CONN_TIMEOUT], "CONN_TIMEOUT");
    if (attrs[SIPALG_A_CONN_NAT])
        conn.nat = get_u8(attrs[SIPALG_A_CONN_NAT], "CONN_NAT") != 0;
    if (attrs[SIPALG_A_CONN_SESSIONS_OMITTED])
        conn.sessions_omitted =
            get_u32(attrs[SIPALG_A_CONN_SESSIONS_OMITTED], "CONN_SESSIONS_OMITTED");
    if (attrs[SIPALG_A_CONN_PINHOLES])
        conn.pinholes_used = get_u32(attrs[SIPALG_A_CONN_PINHOLES], "CONN_PINHOLES");
    if (attrs[SIPALG_A_CONN_HOST])
        conn.host = get_address(attrs[SIPALG_A_CONN_HOST], conn.family);
    if (attrs[SIPALG_A_CONN_HOST_PINHOLES])
        conn.host_pinholes = get_u32(attrs[SIPALG_A_CONN_HOST_PINHOLES], "CONN_HOST_PINHOLES");
    // PINHOLE and SESSION repeat, which a table keeps only the last of:
    // walk them all.
    const nlattr *pos;
    int remaining;
    nla_for_each_nested(pos, const_cast<nlattr *>(nest), remaining) {
        if (nla_type(pos) == SIPALG_A_CONN_PINHOLE)
            conn.pinholes.push_back(decode_pinhole(pos, conn.family));
        else if (nla_type(pos) == SIPALG_A_CONN_SESSION)
            conn.sessions.push_back(decode_session(pos));
    }
    return conn;
}

TraceEdit decode_trace_edit(const nlattr *nest) {
    auto attrs = parse_nested<SIPALG_A_TRACE_EDIT_MAX>(nest);
    TraceEdit edit;
    edit.offset = get_u32(attrs[SIPALG_A_TRACE_EDIT_OFF], "TRACE_EDIT_OFF");
    // Empty OLD or NEW (an insertion, a deletion) may come as no attribute.
    if (attrs[SIPALG_A_TRACE_EDIT_OLD])
        edit.old_text = get_bytes(attrs[SIPALG_A_TRACE_EDIT_OLD]);
    if (attrs[SIPALG_A_TRACE_EDIT_NEW])
        edit.new_text = get_bytes(attrs[SIPALG_A_TRACE_EDIT_NEW]);
    edit.line = get_u32(attrs[SIPALG_A_TRACE_EDIT_LINE], "TRACE_EDIT_LINE");
    return edit;
}

TraceLine decode_trace_line(const nlattr *nest) {
    auto attrs = parse_nested<SIPALG_A_TRACE_LINE_MAX>(nest);
    TraceLine line;
    line.number = get_u32(attrs[SIPALG_A_TRACE_LINE_NO], "TRACE_LINE_NO");
    line.offset = get_u32(attrs[SIPALG_A_TRACE_LINE_OFF], "TRACE_LINE_OFF");
    line.text = get_bytes(require(attrs[SIPALG_A_TRACE_LINE_TEXT], "TRACE_LINE_TEXT", 0));
    line.cut = attrs[SIPALG_A_TRACE_LINE_CUT] != nullptr;
    return line;
}

TraceOutcome trace_outcome(std::uint8_t value) {
    switch (value) {
    case SIPALG_TRACE_REWRITTEN:
        return TraceOutcome::rewritten;
    case SIPALG_TRACE_UNCHANGED:
        return TraceOutcome::unchanged;
    case SIPALG_TRACE_NO_NAT:
        return TraceOutcome::no_nat;
    case SIPALG_TRACE_PASSED:
        return TraceOutcome::passed;
    default:
        return TraceOutcome::unknown;
    }
}

} // namespace

bool put_config_change(nl_msg *msg, const ConfigChange &change) {
    if (change.ports) {
        std::vector<std::uint16_t> ports = *change.ports; // host order, per uapi.h
        if (nla_put(msg, SIPALG_A_PORTS, static_cast<int>(ports.size() * sizeof(ports[0])),
                    ports.data()) < 0)
            return false;
    }
    if (change.sip_timeout && nla_put_u32(msg, SIPALG_A_SIP_TIMEOUT, *change.sip_timeout) < 0)
        return false;
    if (change.direct_media && nla_put_u8(msg, SIPALG_A_DIRECT_MEDIA, *change.direct_media) < 0)
        return false;
    if (change.disabled && nla_put_u8(msg, SIPALG_A_DISABLED, *change.disabled) < 0)
        return false;
    if (change.pinholes_per_host &&
        nla_put_u32(msg, SIPALG_A_PINHOLES_PER_HOST, *change.pinholes_per_host) < 0)
        return false;
    if (change.pinholes_per_conn &&
        nla_put_u32(msg, SIPALG_A_PINHOLES_PER_CONN, *change.pinholes_per_conn) < 0)
        return false;
    if (change.registration_pinholes &&
        nla_put_u8(msg, SIPALG_A_REGISTRATION_PINHOLES,
                   *change.registration_pinholes == RegistrationPinholes::always
                       ? SIPALG_REG_PINHOLES_ALWAYS
                       : SIPALG_REG_PINHOLES_WHEN_NEEDED) < 0)
        return false;
    if (change.host_budgets) {
        std::vector<sipalg_host_budget> raw;
        for (const auto &budget : *change.host_budgets) {
            sipalg_host_budget b{};
            b.family = static_cast<std::uint8_t>(budget.family);
            b.pinholes = budget.pinholes;
            std::memcpy(b.addr, budget.address.data(),
                        std::min(budget.address.size(), sizeof(b.addr)));
            raw.push_back(b);
        }
        if (nla_put(msg, SIPALG_A_PINHOLES_HOSTS, static_cast<int>(raw.size() * sizeof(raw[0])),
                    raw.data()) < 0)
            return false;
    }
    return true;
}

Config decode_config(const nlmsghdr *header) {
    auto attrs = parse_message<SIPALG_A_MAX>(header);
    Config config;
    const nlattr *ports = require(attrs[SIPALG_A_PORTS], "PORTS", 0);
    if (nla_len(ports) % 2 != 0)
        throw DecodeError("the kernel's PORTS has an odd length");
    config.ports.resize(nla_len(ports) / 2);
    std::memcpy(config.ports.data(), nla_data(ports), config.ports.size() * 2);
    config.sip_timeout = get_u32(attrs[SIPALG_A_SIP_TIMEOUT], "SIP_TIMEOUT");
    config.direct_media = get_u8(attrs[SIPALG_A_DIRECT_MEDIA], "DIRECT_MEDIA") != 0;
    config.disabled = get_u8(attrs[SIPALG_A_DISABLED], "DISABLED") != 0;
    if (attrs[SIPALG_A_PINHOLES_PER_HOST])
        config.pinholes_per_host = get_u32(attrs[SIPALG_A_PINHOLES_PER_HOST], "PINHOLES_PER_HOST");
    if (attrs[SIPALG_A_PINHOLES_PER_CONN])
        config.pinholes_per_conn = get_u32(attrs[SIPALG_A_PINHOLES_PER_CONN], "PINHOLES_PER_CONN");
    if (attrs[SIPALG_A_REGISTRATION_PINHOLES])
        config.registration_pinholes = get_u8(attrs[SIPALG_A_REGISTRATION_PINHOLES],
                                              "REGISTRATION_PINHOLES") == SIPALG_REG_PINHOLES_ALWAYS
                                           ? RegistrationPinholes::always
                                           : RegistrationPinholes::when_needed;
    if (const nlattr *hosts = attrs[SIPALG_A_PINHOLES_HOSTS]) {
        std::size_t size = sizeof(sipalg_host_budget);
        if (nla_len(hosts) % size != 0)
            throw DecodeError("the kernel's PINHOLES_HOSTS has a torn entry");
        std::vector<HostBudget> budgets;
        const auto *bytes = static_cast<const std::uint8_t *>(nla_data(hosts));
        for (std::size_t off = 0; off < static_cast<std::size_t>(nla_len(hosts)); off += size) {
            sipalg_host_budget b;
            std::memcpy(&b, bytes + off, size);
            HostBudget budget;
            budget.family = b.family;
            budget.address.assign(b.addr, b.addr + (b.family == AF_INET6 ? 16 : 4));
            budget.pinholes = b.pinholes;
            budgets.push_back(std::move(budget));
        }
        config.host_budgets = std::move(budgets);
    }
    // The limits are informative; an older module may leave them out.
    config.max_ports = attrs[SIPALG_A_MAX_PORTS] ? get_u32(attrs[SIPALG_A_MAX_PORTS], "MAX_PORTS")
                                                 : SIPALG_MAX_PORTS;
    config.timeout_min = attrs[SIPALG_A_TIMEOUT_MIN]
                             ? get_u32(attrs[SIPALG_A_TIMEOUT_MIN], "TIMEOUT_MIN")
                             : SIPALG_TIMEOUT_MIN;
    config.timeout_max = attrs[SIPALG_A_TIMEOUT_MAX]
                             ? get_u32(attrs[SIPALG_A_TIMEOUT_MAX], "TIMEOUT_MAX")
                             : SIPALG_TIMEOUT_MAX;
    return config;
}

std::vector<Stat> decode_stats(const nlmsghdr *header) {
    auto attrs = parse_message<SIPALG_A_MAX>(header);
    const nlattr *stats = require(attrs[SIPALG_A_STATS], "STATS", 0);
    std::vector<Stat> result;
    const nlattr *pos;
    int remaining;
    nla_for_each_nested(pos, const_cast<nlattr *>(stats), remaining) {
        if (nla_type(pos) != SIPALG_A_STAT)
            continue;
        auto stat = parse_nested<SIPALG_A_MAX>(pos);
        std::string name = get_string(require(stat[SIPALG_A_STAT_NAME], "STAT_NAME", 1));
        result.push_back({name, get_u64(stat[SIPALG_A_STAT_VALUE], "STAT_VALUE")});
    }
    return result;
}

Connection decode_connection_message(const nlmsghdr *header) {
    auto attrs = parse_message<SIPALG_A_MAX>(header);
    return decode_connection(require(attrs[SIPALG_A_CONN], "CONN", 0));
}

Event decode_event(const nlmsghdr *header) {
    auto attrs = parse_message<SIPALG_A_MAX>(header);
    Event event;
    switch (get_u8(attrs[SIPALG_A_EVENT_TYPE], "EVENT_TYPE")) {
    case SIPALG_EVENT_REGISTER:
        event.type = EventType::register_passed;
        break;
    case SIPALG_EVENT_CALL_SETUP:
        event.type = EventType::call_setup;
        break;
    case SIPALG_EVENT_CALL_END:
        event.type = EventType::call_end;
        break;
    case SIPALG_EVENT_MALFORMED:
        event.type = EventType::malformed;
        break;
    case SIPALG_EVENT_PINHOLE_OPEN:
        event.type = EventType::pinhole_open;
        break;
    case SIPALG_EVENT_PINHOLE_CLOSE:
        event.type = EventType::pinhole_close;
        break;
    default:
        event.type = EventType::unknown;
    }
    if (attrs[SIPALG_A_CONN])
        event.connection = decode_connection(attrs[SIPALG_A_CONN]);
    event.call_id = get_string(attrs[SIPALG_A_EVENT_CALL_ID]);
    event.reason = get_string(attrs[SIPALG_A_EVENT_REASON]);
    if (attrs[SIPALG_A_EVENT_PINHOLE])
        event.pinhole = decode_pinhole(attrs[SIPALG_A_EVENT_PINHOLE],
                                       event.connection ? event.connection->family : AF_INET);
    return event;
}

TraceRecord decode_trace(const nlmsghdr *header) {
    auto message = parse_message<SIPALG_A_MAX>(header);
    TraceRecord record;
    record.connection = decode_connection(require(message[SIPALG_A_CONN], "CONN", 0));
    const nlattr *trace = require(message[SIPALG_A_TRACE], "TRACE", 0);
    auto attrs = parse_nested<SIPALG_A_TRACE_MAX>(trace);
    record.reply = get_u8(attrs[SIPALG_A_TRACE_DIR], "TRACE_DIR") != 0;
    record.outcome = trace_outcome(get_u8(attrs[SIPALG_A_TRACE_OUTCOME], "TRACE_OUTCOME"));
    record.reason = get_string(attrs[SIPALG_A_TRACE_REASON]);
    if (attrs[SIPALG_A_TRACE_REASON_LINE])
        record.reason_line = get_u32(attrs[SIPALG_A_TRACE_REASON_LINE], "TRACE_REASON_LINE");
    record.reason_text = get_optional_bytes(attrs[SIPALG_A_TRACE_REASON_TEXT]);
    record.start_line = get_optional_bytes(attrs[SIPALG_A_TRACE_START_LINE]);
    record.call_id = get_optional_bytes(attrs[SIPALG_A_TRACE_CALL_ID]);
    if (attrs[SIPALG_A_TRACE_CSEQ])
        record.cseq = get_u32(attrs[SIPALG_A_TRACE_CSEQ], "TRACE_CSEQ");
    record.cseq_method = get_optional_bytes(attrs[SIPALG_A_TRACE_CSEQ_METHOD]);
    if (attrs[SIPALG_A_TRACE_STATUS])
        record.status = get_u16(attrs[SIPALG_A_TRACE_STATUS], "TRACE_STATUS");
    record.old_length = get_u32(attrs[SIPALG_A_TRACE_OLD_LEN], "TRACE_OLD_LEN");
    record.new_length = get_u32(attrs[SIPALG_A_TRACE_NEW_LEN], "TRACE_NEW_LEN");
    if (attrs[SIPALG_A_TRACE_SEQ]) {
        TraceTcp tcp;
        tcp.seq = get_u32(attrs[SIPALG_A_TRACE_SEQ], "TRACE_SEQ");
        if (attrs[SIPALG_A_TRACE_MSG_OFF])
            tcp.message_offset = get_u32(attrs[SIPALG_A_TRACE_MSG_OFF], "TRACE_MSG_OFF");
        if (attrs[SIPALG_A_TRACE_MSG_INDEX])
            tcp.index = get_u32(attrs[SIPALG_A_TRACE_MSG_INDEX], "TRACE_MSG_INDEX");
        record.tcp = tcp;
    }
    record.applied = attrs[SIPALG_A_TRACE_APPLIED] != nullptr;
    if (attrs[SIPALG_A_TRACE_LINES_OMITTED])
        record.lines_omitted = get_u32(attrs[SIPALG_A_TRACE_LINES_OMITTED], "TRACE_LINES_OMITTED");
    if (attrs[SIPALG_A_TRACE_PINHOLES_OMITTED])
        record.pinholes_omitted =
            get_u32(attrs[SIPALG_A_TRACE_PINHOLES_OMITTED], "TRACE_PINHOLES_OMITTED");
    if (attrs[SIPALG_A_TRACE_FULL]) {
        record.full = get_bytes(attrs[SIPALG_A_TRACE_FULL]);
        record.full_length = attrs[SIPALG_A_TRACE_FULL_LEN]
                                 ? get_u32(attrs[SIPALG_A_TRACE_FULL_LEN], "TRACE_FULL_LEN")
                                 : static_cast<std::uint32_t>(record.full->size());
    }
    // EDIT, LINE and the PINHOLEs repeat: walk them all, in order.
    const nlattr *pos;
    int remaining;
    nla_for_each_nested(pos, const_cast<nlattr *>(trace), remaining) {
        switch (nla_type(pos)) {
        case SIPALG_A_TRACE_EDIT:
            record.edits.push_back(decode_trace_edit(pos));
            break;
        case SIPALG_A_TRACE_LINE:
            record.lines.push_back(decode_trace_line(pos));
            break;
        case SIPALG_A_TRACE_PINHOLE_OPENED:
        case SIPALG_A_TRACE_PINHOLE_CLOSED:
            record.pinholes.push_back({nla_type(pos) == SIPALG_A_TRACE_PINHOLE_OPENED,
                                       decode_pinhole(pos, record.connection.family)});
            break;
        }
    }
    return record;
}

} // namespace sipalg

namespace sipalg {

std::string extack_message(const nlmsghdr *error_message) {
    if (!(error_message->nlmsg_flags & NLM_F_ACK_TLVS))
        return "";
    const auto *error = static_cast<const nlmsgerr *>(NLMSG_DATA(error_message));
    // The TLVs follow the echoed request, or only its header when capped.
    std::size_t offset = NLMSG_HDRLEN + sizeof(nlmsgerr);
    if (!(error_message->nlmsg_flags & NLM_F_CAPPED))
        offset += error->msg.nlmsg_len - NLMSG_HDRLEN;
    offset = NLMSG_ALIGN(offset);
    if (offset >= error_message->nlmsg_len)
        return "";
    nlattr *attrs[NLMSGERR_ATTR_MAX + 1] = {};
    auto *first = reinterpret_cast<nlattr *>(
        reinterpret_cast<char *>(const_cast<nlmsghdr *>(error_message)) + offset);
    if (nla_parse(attrs, NLMSGERR_ATTR_MAX, first,
                  static_cast<int>(error_message->nlmsg_len - offset), nullptr) < 0)
        return "";
    const nlattr *text = attrs[NLMSGERR_ATTR_MSG];
    if (!text || nla_len(text) < 1)
        return "";
    const char *chars = static_cast<const char *>(nla_data(text));
    return std::string(chars, strnlen(chars, nla_len(text)));
}

} // namespace sipalg
