// Output of the read commands, for people (aligned text) and for programs
// (JSON with the stable field names documented in sipalg(8)). Pure
// functions from the structs of model.hpp to text.
#pragma once

#include "model.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace sipalg {

// Keeps the kernel's order of statistics and our order of fields.
using Json = nlohmann::ordered_json;

// RouterOS' print block: names right-aligned, then ": value", one a line.
std::string format_block(const std::vector<std::pair<std::string, std::string>> &lines);

// "192.168.0.10:5060", "[2001:db8::1]:5060"; "*" for an absent address
// or a zero port (pinholes that accept any).
std::string format_endpoint(int family, const std::vector<std::uint8_t> &address,
                            std::uint16_t port);
// "192.168.0.10:5060 -> 203.0.113.10:5060"
std::string format_tuple(const Tuple &tuple);
// {"src","dst","sport","dport"}: addresses as strings, null for any.
Json tuple_json(const Tuple &tuple);
std::string protocol_name(int proto);
std::string pinhole_class_name(PinholeClass pinhole_class);
std::string session_kind_name(SessionKind kind);
std::string session_state_name(SessionState state);
std::string event_name(EventType type);

std::string format_config(const Config &config);
Json config_json(const Config &config);

std::string format_stats(const std::vector<Stat> &stats);
Json stats_json(const std::vector<Stat> &stats);

// A table with a header line, one line per connection and indented lines
// under it: its registrations and calls, then its pinholes.
// limits (the configuration), if given, shows each budget's use against it.
std::string format_connections(const std::vector<Connection> &connections,
                               const Config *limits = nullptr);
Json pinhole_json(const Pinhole &pinhole);
Json session_json(const Session &session);
Json connection_json(const Connection &connection);
Json connections_json(const std::vector<Connection> &connections);

// One line, without the newline.
std::string format_event(const Event &event);
Json event_json(const Event &event);

} // namespace sipalg
