// The data the CLI shows and changes, independent of netlink and of output
// format, so that parsing, encoding and formatting can be tested apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sipalg {

// An IPv4 or IPv6 address.
struct Address {
    int family = 0;                    // AF_INET or AF_INET6
    std::vector<std::uint8_t> address; // 4 or 16 bytes, network order
    bool operator==(const Address &) const = default;
};

// An inside host with a pinhole budget of its own.
struct HostBudget {
    int family = 0;                    // AF_INET or AF_INET6
    std::vector<std::uint8_t> address; // 4 or 16 bytes, network order
    std::uint32_t pinholes = 0;        // 0: no limit
    bool operator==(const HostBudget &) const = default;
};

// Which registered bindings get a pinhole from the registrar: always, or
// only those the registration's own flow does not reach.
enum class RegistrationPinholes { when_needed, always };

// The module's configuration as GET_CONFIG reports it.
struct Config {
    std::vector<std::uint16_t> ports;
    std::uint32_t sip_timeout = 0; // seconds
    bool direct_media = false;
    bool disabled = false;
    // Pinhole budgets, 0 = no limit (absent from a module without them).
    std::optional<std::uint32_t> pinholes_per_host;
    std::optional<std::uint32_t> pinholes_per_conn;
    std::optional<std::vector<HostBudget>> host_budgets;
    // Absent from a module without the setting.
    std::optional<RegistrationPinholes> registration_pinholes;
    // Limits the kernel enforces (read only).
    std::uint32_t max_ports = 0;
    std::uint32_t timeout_min = 0;
    std::uint32_t timeout_max = 0;
};

// What a `set` command changes: only the keys given are sent.
struct ConfigChange {
    std::optional<std::vector<std::uint16_t>> ports;
    std::optional<std::uint32_t> sip_timeout;
    std::optional<bool> direct_media;
    std::optional<bool> disabled;
    std::optional<std::uint32_t> pinholes_per_host;
    std::optional<std::uint32_t> pinholes_per_conn;
    std::optional<std::vector<HostBudget>> host_budgets;
    std::optional<RegistrationPinholes> registration_pinholes;

    bool empty() const {
        return !ports && !sip_timeout && !direct_media && !disabled && !pinholes_per_host &&
               !pinholes_per_conn && !host_budgets && !registration_pinholes;
    }
    bool operator==(const ConfigChange &) const = default;
};

struct Stat {
    std::string name;
    std::uint64_t value = 0;
};

// One direction of a connection, or a pinhole's expected flow. An absent
// address or a zero port means "any" (pinholes only).
struct Tuple {
    int family = 0;           // AF_INET or AF_INET6
    std::vector<uint8_t> src; // 4 or 16 bytes, network order; empty = any
    std::vector<uint8_t> dst;
    std::uint16_t sport = 0;
    std::uint16_t dport = 0;
};

enum class PinholeClass { signalling, media, unknown };

struct Pinhole {
    PinholeClass pinhole_class = PinholeClass::unknown;
    Tuple tuple;
    std::uint32_t timeout = 0; // seconds left
};

enum class SessionKind { registration, call, unknown };

enum class SessionState { registering, registered, calling, ringing, established, held, unknown };

// A registration or a call the helper saw on a connection.
struct Session {
    SessionKind kind = SessionKind::unknown;
    std::string id; // the address of record (To URI) or the Call-ID
    SessionState state = SessionState::unknown;
    bool outgoing = false;                // begun from the inside (NATed) side
    std::uint32_t age = 0;                // seconds in this state
    std::optional<std::uint32_t> expires; // registrations: seconds left
};

// A conntrack entry sipalg helps.
struct Connection {
    int family = 0;
    int proto = 0; // IPPROTO_UDP or IPPROTO_TCP
    Tuple original;
    Tuple reply;
    std::uint32_t timeout = 0; // seconds left
    bool nat = false;
    std::vector<Pinhole> pinholes;
    std::vector<Session> sessions;
    std::uint32_t sessions_omitted = 0; // more than the kernel lists per connection
    // The budgets' use (dumps of a module with budgets only): live
    // pinholes of the connection, and of the inside host they count for.
    std::optional<std::uint32_t> pinholes_used;
    std::vector<uint8_t> host; // 4 or 16 bytes; empty if not known
    std::optional<std::uint32_t> host_pinholes;
};

enum class EventType {
    unspec,
    register_passed,
    call_setup,
    call_end,
    malformed,
    pinhole_open,
    pinhole_close,
    unknown
};

struct Event {
    EventType type = EventType::unspec;
    std::optional<Connection> connection;
    std::string call_id;            // empty if the kernel sent none
    std::string reason;             // why a message passed unmodified; may be empty
    std::optional<Pinhole> pinhole; // the pinhole opened or closed
};

// What the helper did with one SIP message (SIPALG_CMD_TRACE).
enum class TraceOutcome { rewritten, unchanged, no_nat, passed, unknown };

// One edit: `old_text` at `offset` in the message as it arrived became
// `new_text`. Bytes, not necessarily text.
struct TraceEdit {
    std::uint32_t offset = 0;
    std::string old_text;
    std::string new_text;
    std::uint32_t line = 0; // 1-based, the start line is 1
};

// A line holding edits: as it left the router when the edits were
// applied, else as it arrived.
struct TraceLine {
    std::uint32_t number = 0;
    std::uint32_t offset = 0; // of text's first byte, in the same message
    std::string text;         // without CRLF
    bool cut = false;         // text is a window around the edits
};

struct TracePinhole {
    bool opened = false; // else closed
    Pinhole pinhole;
};

// Where a message sat in a TCP stream.
struct TraceTcp {
    std::uint32_t seq = 0;            // the segment's, as the sender sent it
    std::uint32_t message_offset = 0; // in that segment's payload
    std::uint32_t index = 0;          // 0 for a segment's first message
};

struct TraceRecord {
    Connection connection;
    bool reply = false; // the conntrack direction it travelled
    TraceOutcome outcome = TraceOutcome::unknown;
    std::string reason; // why it passed; empty otherwise
    std::optional<std::uint32_t> reason_line;
    std::optional<std::string> reason_text;
    std::optional<std::string> start_line; // as it arrived
    std::optional<std::string> call_id;
    std::optional<std::uint32_t> cseq;
    std::optional<std::string> cseq_method;
    std::optional<std::uint16_t> status; // responses only
    std::uint32_t old_length = 0;        // as it arrived
    std::uint32_t new_length = 0;        // as it left
    std::optional<TraceTcp> tcp;
    bool applied = false; // else the edits were planned only
    std::vector<TraceEdit> edits;
    std::vector<TraceLine> lines;
    std::uint32_t lines_omitted = 0;
    std::vector<TracePinhole> pinholes; // in the order they happened
    std::uint32_t pinholes_omitted = 0;
    // The trace-full group only: the message as it left, maybe cut short
    // (then full_length is more than full's size).
    std::optional<std::string> full;
    std::uint32_t full_length = 0;
};

} // namespace sipalg
