// The data the CLI shows and changes, independent of netlink and of output
// format, so that parsing, encoding and formatting can be tested apart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sipalg {

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

} // namespace sipalg
