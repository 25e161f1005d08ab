#include "output.hpp"

#include "values.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace sipalg {

namespace {

std::string address_text(int family, const std::vector<std::uint8_t> &address) {
    char text[INET6_ADDRSTRLEN] = "?";
    std::size_t want = family == AF_INET6 ? 16 : 4;
    if (address.size() == want)
        inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, address.data(), text, sizeof(text));
    return text;
}

Json address_json(int family, const std::vector<std::uint8_t> &address) {
    if (address.empty())
        return nullptr;
    return address_text(family, address);
}

// Lines of cells, padded so that columns line up; the last cell of a line
// is not padded, so no line ends in blanks.
std::string format_table(const std::vector<std::vector<std::string>> &rows) {
    std::vector<std::size_t> widths;
    for (const auto &row : rows)
        for (std::size_t i = 0; i + 1 < row.size(); ++i) {
            if (widths.size() <= i)
                widths.resize(i + 1);
            widths[i] = std::max(widths[i], row[i].size());
        }
    std::string text;
    for (const auto &row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size())
                line += std::string(widths[i] - row[i].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        text += line + '\n';
    }
    return text;
}

} // namespace

Json tuple_json(const Tuple &tuple) {
    return Json{{"src", address_json(tuple.family, tuple.src)},
                {"dst", address_json(tuple.family, tuple.dst)},
                {"sport", tuple.sport},
                {"dport", tuple.dport}};
}

std::string format_block(const std::vector<std::pair<std::string, std::string>> &lines) {
    std::size_t width = 0;
    for (const auto &[name, value] : lines)
        width = std::max(width, name.size());
    std::string text;
    for (const auto &[name, value] : lines)
        text += std::string(width - name.size(), ' ') + name + ": " + value + '\n';
    return text;
}

std::string format_endpoint(int family, const std::vector<std::uint8_t> &address,
                            std::uint16_t port) {
    std::string host = address.empty() ? "*" : address_text(family, address);
    if (family == AF_INET6 && !address.empty())
        host = "[" + host + "]";
    return host + ":" + (port ? std::to_string(port) : "*");
}

std::string format_tuple(const Tuple &tuple) {
    return format_endpoint(tuple.family, tuple.src, tuple.sport) + " -> " +
           format_endpoint(tuple.family, tuple.dst, tuple.dport);
}

std::string protocol_name(int proto) {
    switch (proto) {
    case IPPROTO_UDP:
        return "udp";
    case IPPROTO_TCP:
        return "tcp";
    default:
        return std::to_string(proto);
    }
}

std::string pinhole_class_name(PinholeClass pinhole_class) {
    switch (pinhole_class) {
    case PinholeClass::signalling:
        return "signalling";
    case PinholeClass::media:
        return "media";
    default:
        return "unknown";
    }
}

std::string session_kind_name(SessionKind kind) {
    switch (kind) {
    case SessionKind::registration:
        return "registration";
    case SessionKind::call:
        return "call";
    default:
        return "unknown";
    }
}

std::string session_state_name(SessionState state) {
    switch (state) {
    case SessionState::registering:
        return "registering";
    case SessionState::registered:
        return "registered";
    case SessionState::calling:
        return "calling";
    case SessionState::ringing:
        return "ringing";
    case SessionState::established:
        return "established";
    case SessionState::held:
        return "held";
    default:
        return "unknown";
    }
}

std::string event_name(EventType type) {
    switch (type) {
    case EventType::register_passed:
        return "register";
    case EventType::call_setup:
        return "call-setup";
    case EventType::call_end:
        return "call-end";
    case EventType::malformed:
        return "malformed";
    case EventType::pinhole_open:
        return "pinhole-open";
    case EventType::pinhole_close:
        return "pinhole-close";
    default:
        return "unknown";
    }
}

namespace {

Json host_budgets_json(const std::optional<std::vector<HostBudget>> &budgets) {
    if (!budgets)
        return nullptr;
    Json json = Json::array();
    for (const auto &budget : *budgets)
        json.push_back(Json{{"address", address_string(budget.family, budget.address)},
                            {"pinholes", budget.pinholes}});
    return json;
}

// The budget of an inside host: its own, else the one for all.
std::optional<std::uint32_t> host_limit(const Config &config, int family,
                                        const std::vector<std::uint8_t> &host) {
    if (config.host_budgets)
        for (const auto &budget : *config.host_budgets)
            if (budget.family == family && budget.address == host)
                return budget.pinholes;
    return config.pinholes_per_host;
}

} // namespace

std::string format_config(const Config &config) {
    std::vector<std::pair<std::string, std::string>> lines = {
        {"ports", format_ports(config.ports)},
        {"sip-direct-media", format_bool(config.direct_media)},
        {"sip-timeout", format_duration(config.sip_timeout)},
        {"disabled", format_bool(config.disabled)}};
    if (config.pinholes_per_host)
        lines.emplace_back("pinholes-per-host", std::to_string(*config.pinholes_per_host));
    if (config.pinholes_per_conn)
        lines.emplace_back("pinholes-per-connection", std::to_string(*config.pinholes_per_conn));
    if (config.host_budgets)
        lines.emplace_back("pinholes-hosts", format_host_budgets(*config.host_budgets));
    if (config.registration_pinholes)
        lines.emplace_back("registration-pinholes",
                           format_registration_pinholes(*config.registration_pinholes));
    return format_block(lines);
}

Json config_json(const Config &config) {
    return Json{{"ports", config.ports},
                {"sip_direct_media", config.direct_media},
                {"sip_timeout", config.sip_timeout},
                {"disabled", config.disabled},
                {"pinholes_per_host",
                 config.pinholes_per_host ? Json(*config.pinholes_per_host) : Json(nullptr)},
                {"pinholes_per_connection",
                 config.pinholes_per_conn ? Json(*config.pinholes_per_conn) : Json(nullptr)},
                {"pinholes_hosts", host_budgets_json(config.host_budgets)},
                {"registration_pinholes",
                 config.registration_pinholes
                     ? Json(format_registration_pinholes(*config.registration_pinholes))
                     : Json(nullptr)},
                {"limits",
                 {{"max_ports", config.max_ports},
                  {"timeout_min", config.timeout_min},
                  {"timeout_max", config.timeout_max}}}};
}

std::string format_stats(const std::vector<Stat> &stats) {
    std::vector<std::pair<std::string, std::string>> lines;
    for (const auto &stat : stats)
        lines.emplace_back(stat.name, std::to_string(stat.value));
    return format_block(lines);
}

Json stats_json(const std::vector<Stat> &stats) {
    Json json = Json::object();
    for (const auto &stat : stats)
        json[stat.name] = stat.value;
    return json;
}

namespace {

// "6/48": a budget's use, against its limit when there is one.
std::string budget_use(std::uint32_t used, const std::optional<std::uint32_t> &limit) {
    std::string text = std::to_string(used);
    if (limit && *limit)
        text += "/" + std::to_string(*limit);
    return text;
}

} // namespace

std::string format_connections(const std::vector<Connection> &connections, const Config *limits) {
    std::optional<std::uint32_t> per_conn;
    if (limits)
        per_conn = limits->pinholes_per_conn;
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"PROTO", "ORIGINAL", "REPLY", "TIMEOUT"});
    for (const auto &conn : connections) {
        rows.push_back({protocol_name(conn.proto), format_tuple(conn.original),
                        format_tuple(conn.reply), format_duration(conn.timeout)});
        // A registration or call: what, in ORIGINAL; its state (and for
        // how long) in REPLY; a registration's time left in TIMEOUT.
        for (const auto &session : conn.sessions) {
            std::string what = session_kind_name(session.kind);
            if (session.kind == SessionKind::call)
                what += session.outgoing ? " out" : " in";
            std::string state = session_state_name(session.state);
            if (session.kind != SessionKind::registration)
                state += " " + format_duration(session.age);
            rows.push_back({"", what + " " + session.id, state,
                            session.expires ? format_duration(*session.expires) : ""});
        }
        if (conn.sessions_omitted)
            rows.push_back(
                {"", "(" + std::to_string(conn.sessions_omitted) + " more not listed)", "", ""});
        // The budgets: this connection's pinholes, and its inside host's.
        if (conn.pinholes_used && conn.host_pinholes)
            rows.push_back({"", "budget pinholes " + budget_use(*conn.pinholes_used, per_conn),
                            "host " + address_text(conn.family, conn.host) + " " +
                                budget_use(*conn.host_pinholes,
                                           limits ? host_limit(*limits, conn.family, conn.host)
                                                  : std::nullopt),
                            ""});
        // Pinholes sit in the ORIGINAL column: they are flows the router
        // will let in, written the same way.
        for (const auto &pinhole : conn.pinholes)
            rows.push_back(
                {"", pinhole_class_name(pinhole.pinhole_class) + " " + format_tuple(pinhole.tuple),
                 "", format_duration(pinhole.timeout)});
    }
    return format_table(rows);
}

Json pinhole_json(const Pinhole &pinhole) {
    return Json{{"class", pinhole_class_name(pinhole.pinhole_class)},
                {"tuple", tuple_json(pinhole.tuple)},
                {"timeout", pinhole.timeout}};
}

Json session_json(const Session &session) {
    return Json{{"kind", session_kind_name(session.kind)},
                {"id", session.id},
                {"state", session_state_name(session.state)},
                {"outgoing", session.outgoing},
                {"age", session.age},
                {"expires", session.expires ? Json(*session.expires) : Json(nullptr)}};
}

Json connection_json(const Connection &conn) {
    Json pinholes = Json::array();
    for (const auto &pinhole : conn.pinholes)
        pinholes.push_back(pinhole_json(pinhole));
    Json sessions = Json::array();
    for (const auto &session : conn.sessions)
        sessions.push_back(session_json(session));
    return Json{{"family", conn.family == AF_INET6 ? "ipv6" : "ipv4"},
                {"proto", protocol_name(conn.proto)},
                {"original", tuple_json(conn.original)},
                {"reply", tuple_json(conn.reply)},
                {"nat", conn.nat},
                {"timeout", conn.timeout},
                {"pinholes", pinholes},
                {"sessions", sessions},
                {"sessions_omitted", conn.sessions_omitted},
                {"pinholes_used", conn.pinholes_used ? Json(*conn.pinholes_used) : Json(nullptr)},
                {"host", address_json(conn.family, conn.host)},
                {"host_pinholes", conn.host_pinholes ? Json(*conn.host_pinholes) : Json(nullptr)}};
}

Json connections_json(const std::vector<Connection> &connections) {
    Json json = Json::array();
    for (const auto &conn : connections)
        json.push_back(connection_json(conn));
    return json;
}

std::string format_event(const Event &event) {
    std::string line = event_name(event.type);
    // Words a grep can pick out: call-id=... reason=...
    if (!event.call_id.empty())
        line += " call-id=" + event.call_id;
    if (!event.reason.empty())
        line += " reason=" + event.reason;
    if (event.pinhole)
        line += " " + pinhole_class_name(event.pinhole->pinhole_class) + " " +
                format_tuple(event.pinhole->tuple) + " " + format_duration(event.pinhole->timeout);
    if (!event.connection)
        return line;
    const Connection &conn = *event.connection;
    line += " " + protocol_name(conn.proto) + " " + format_tuple(conn.original);
    if (conn.nat)
        line += " reply " + format_tuple(conn.reply);
    for (const auto &pinhole : conn.pinholes)
        line += " [" + pinhole_class_name(pinhole.pinhole_class) + " " +
                format_tuple(pinhole.tuple) + " " + format_duration(pinhole.timeout) + "]";
    return line;
}

Json event_json(const Event &event) {
    Json json{{"event", event_name(event.type)}};
    json["call_id"] = event.call_id.empty() ? Json(nullptr) : Json(event.call_id);
    json["reason"] = event.reason.empty() ? Json(nullptr) : Json(event.reason);
    json["connection"] = event.connection ? connection_json(*event.connection) : Json(nullptr);
    json["pinhole"] = event.pinhole ? pinhole_json(*event.pinhole) : Json(nullptr);
    return json;
}

} // namespace sipalg
