// Human and JSON output from in-memory structs.
#include "output.hpp"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

using namespace sipalg;

namespace {

std::vector<std::uint8_t> ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return {a, b, c, d};
}

// 2001:db8:<net>::<host>
std::vector<std::uint8_t> ipv6(std::uint8_t net, std::uint8_t host) {
    std::vector<std::uint8_t> address(16, 0);
    address[0] = 0x20;
    address[1] = 0x01;
    address[2] = 0x0d;
    address[3] = 0xb8;
    address[5] = net;
    address[15] = host;
    return address;
}

Config sample_config() {
    Config config;
    config.ports = {5060, 5061};
    config.direct_media = true;
    config.sip_timeout = 3600;
    config.disabled = false;
    config.pinholes_per_host = 96;
    config.pinholes_per_conn = 48;
    config.max_ports = 8;
    config.timeout_min = 10;
    config.timeout_max = 86400;
    return config;
}

// A NATed UDP call from 192.168.0.10 to 203.0.113.10 with one RTP pinhole.
Connection sample_call() {
    Connection conn;
    conn.family = AF_INET;
    conn.proto = IPPROTO_UDP;
    conn.original = {AF_INET, ipv4(192, 168, 0, 10), ipv4(203, 0, 113, 10), 5060, 5060};
    conn.reply = {AF_INET, ipv4(203, 0, 113, 10), ipv4(203, 0, 113, 1), 5060, 5060};
    conn.timeout = 3598;
    conn.nat = true;
    conn.pinholes.push_back(
        {PinholeClass::media, {AF_INET, {}, ipv4(203, 0, 113, 1), 0, 40000}, 179});
    conn.pinholes.push_back({PinholeClass::media,
                             {AF_INET, ipv4(203, 0, 113, 10), ipv4(203, 0, 113, 1), 0, 40001},
                             179});
    return conn;
}

Event make_event(EventType type, std::optional<Connection> connection, std::string call_id = "",
                 std::string reason = "") {
    Event event;
    event.type = type;
    event.connection = std::move(connection);
    event.call_id = std::move(call_id);
    event.reason = std::move(reason);
    return event;
}

Connection sample_ipv6_tcp() {
    Connection conn;
    conn.family = AF_INET6;
    conn.proto = IPPROTO_TCP;
    conn.original = {AF_INET6, ipv6(1, 0x10), ipv6(2, 0x10), 40312, 5061};
    conn.reply = {AF_INET6, ipv6(2, 0x10), ipv6(1, 0x10), 5061, 40312};
    conn.timeout = 432000;
    return conn;
}

} // namespace

TEST_CASE("print: the RouterOS block", "[cli][output]") {
    CHECK(format_config(sample_config()) == "                  ports: 5060,5061\n"
                                            "       sip-direct-media: yes\n"
                                            "            sip-timeout: 1h\n"
                                            "               disabled: no\n"
                                            "      pinholes-per-host: 96\n"
                                            "pinholes-per-connection: 48\n");
    Config other = sample_config();
    other.ports = {5070};
    other.direct_media = false;
    other.sip_timeout = 5400;
    other.disabled = true;
    other.pinholes_per_host = 0;
    other.pinholes_per_conn = 104;
    CHECK(format_config(other) == "                  ports: 5070\n"
                                  "       sip-direct-media: no\n"
                                  "            sip-timeout: 1h30m\n"
                                  "               disabled: yes\n"
                                  "      pinholes-per-host: 0\n"
                                  "pinholes-per-connection: 104\n");
    // A module without budgets.
    other.pinholes_per_host.reset();
    other.pinholes_per_conn.reset();
    CHECK(format_config(other) == "           ports: 5070\n"
                                  "sip-direct-media: no\n"
                                  "     sip-timeout: 1h30m\n"
                                  "        disabled: yes\n");
}

TEST_CASE("print: JSON", "[cli][output]") {
    CHECK(config_json(sample_config()).dump() ==
          R"({"ports":[5060,5061],"sip_direct_media":true,"sip_timeout":3600,"disabled":false,)"
          R"("pinholes_per_host":96,"pinholes_per_connection":48,"pinholes_hosts":null,)"
          R"("registration_pinholes":null,)"
          R"("limits":{"max_ports":8,"timeout_min":10,"timeout_max":86400}})");
    Config flow = sample_config();
    flow.registration_pinholes = RegistrationPinholes::when_needed;
    CHECK(config_json(flow)["registration_pinholes"].dump() == R"("when-needed")");
    CHECK(format_config(flow).ends_with("registration-pinholes: when-needed\n"));
    flow.registration_pinholes = RegistrationPinholes::always;
    CHECK(config_json(flow)["registration_pinholes"].dump() == R"("always")");
    Config hosts = sample_config();
    hosts.host_budgets = {{AF_INET, ipv4(192, 168, 0, 20), 2048}};
    CHECK(config_json(hosts)["pinholes_hosts"].dump() ==
          R"([{"address":"192.168.0.20","pinholes":2048}])");
    CHECK(format_config(hosts).ends_with("         pinholes-hosts: 192.168.0.20:2048\n"));
}

TEST_CASE("stats: aligned, zeros included, kernel order kept", "[cli][output]") {
    std::vector<Stat> stats = {
        {"messages", 12}, {"rewritten", 9}, {"malformed", 0}, {"pinholes_opened", 4}};
    CHECK(format_stats(stats) == "       messages: 12\n"
                                 "      rewritten: 9\n"
                                 "      malformed: 0\n"
                                 "pinholes_opened: 4\n");
    CHECK(stats_json(stats).dump() ==
          R"({"messages":12,"rewritten":9,"malformed":0,"pinholes_opened":4})");
    CHECK(format_stats({}) == "");
    CHECK(stats_json({}).dump() == "{}");
    CHECK(stats_json({{"big", 18446744073709551615ull}}).dump() ==
          R"({"big":18446744073709551615})");
}

TEST_CASE("endpoints and tuples", "[cli][output]") {
    CHECK(format_endpoint(AF_INET, ipv4(192, 168, 0, 10), 5060) == "192.168.0.10:5060");
    CHECK(format_endpoint(AF_INET6, ipv6(1, 0x10), 5060) == "[2001:db8:1::10]:5060");
    CHECK(format_endpoint(AF_INET, {}, 0) == "*:*");
    CHECK(format_endpoint(AF_INET6, {}, 40000) == "*:40000");
    CHECK(format_endpoint(AF_INET, ipv4(203, 0, 113, 10), 0) == "203.0.113.10:*");
    CHECK(format_tuple(sample_call().original) == "192.168.0.10:5060 -> 203.0.113.10:5060");
    CHECK(protocol_name(IPPROTO_UDP) == "udp");
    CHECK(protocol_name(IPPROTO_TCP) == "tcp");
    CHECK(protocol_name(132) == "132");
}

TEST_CASE("connections: table with pinholes under their call", "[cli][output]") {
    // The raw string starts with a newline for readability; skip it.
    CHECK("\n" + format_connections({sample_call(), sample_ipv6_tcp()}) == R"(
PROTO  ORIGINAL                                         REPLY                                            TIMEOUT
udp    192.168.0.10:5060 -> 203.0.113.10:5060           203.0.113.10:5060 -> 203.0.113.1:5060            59m58s
       media *:* -> 203.0.113.1:40000                                                                    2m59s
       media 203.0.113.10:* -> 203.0.113.1:40001                                                         2m59s
tcp    [2001:db8:1::10]:40312 -> [2001:db8:2::10]:5061  [2001:db8:2::10]:5061 -> [2001:db8:1::10]:40312  5d
)");
    CHECK(format_connections({}) == "PROTO  ORIGINAL  REPLY  TIMEOUT\n");
}

// The same call as the kernel lists it with what the phone does on it.
Connection sample_call_with_sessions() {
    Connection conn = sample_call();
    conn.sessions.push_back({SessionKind::registration, "sip:100@203.0.113.10",
                             SessionState::registered, true, 30, 3570});
    conn.sessions.push_back({SessionKind::call, "1589215404@192.168.0.10",
                             SessionState::established, true, 75, std::nullopt});
    conn.sessions.push_back(
        {SessionKind::call, "a84b@203.0.113.20", SessionState::ringing, false, 2, std::nullopt});
    conn.sessions_omitted = 3;
    return conn;
}

TEST_CASE("connections: registrations and calls above the pinholes", "[cli][output]") {
    CHECK("\n" + format_connections({sample_call_with_sessions()}) == R"(
PROTO  ORIGINAL                                   REPLY                                  TIMEOUT
udp    192.168.0.10:5060 -> 203.0.113.10:5060     203.0.113.10:5060 -> 203.0.113.1:5060  59m58s
       registration sip:100@203.0.113.10          registered                             59m30s
       call out 1589215404@192.168.0.10           established 1m15s
       call in a84b@203.0.113.20                  ringing 2s
       (3 more not listed)
       media *:* -> 203.0.113.1:40000                                                    2m59s
       media 203.0.113.10:* -> 203.0.113.1:40001                                         2m59s
)");
    Json json = connection_json(sample_call_with_sessions());
    CHECK(json["sessions"].dump() ==
          R"([{"kind":"registration","id":"sip:100@203.0.113.10","state":"registered",)"
          R"("outgoing":true,"age":30,"expires":3570},)"
          R"({"kind":"call","id":"1589215404@192.168.0.10","state":"established",)"
          R"("outgoing":true,"age":75,"expires":null},)"
          R"({"kind":"call","id":"a84b@203.0.113.20","state":"ringing","outgoing":false,)"
          R"("age":2,"expires":null}])");
    CHECK(json["sessions_omitted"] == 3);
    CHECK(session_state_name(SessionState::held) == "held");
    CHECK(session_state_name(SessionState::unknown) == "unknown");
    CHECK(session_kind_name(SessionKind::unknown) == "unknown");
}

TEST_CASE("connections: the budgets' use under the connection", "[cli][output]") {
    Connection conn = sample_call();
    conn.pinholes_used = 2;
    conn.host = ipv4(192, 168, 0, 10);
    conn.host_pinholes = 10;
    Config limits = sample_config();
    CHECK("\n" + format_connections({conn}, &limits) == R"(
PROTO  ORIGINAL                                   REPLY                                  TIMEOUT
udp    192.168.0.10:5060 -> 203.0.113.10:5060     203.0.113.10:5060 -> 203.0.113.1:5060  59m58s
       budget pinholes 2/48                       host 192.168.0.10 10/96
       media *:* -> 203.0.113.1:40000                                                    2m59s
       media 203.0.113.10:* -> 203.0.113.1:40001                                         2m59s
)");
    // No limit, or none known: the use alone.
    limits.pinholes_per_host = 0;
    CHECK(format_connections({conn}, &limits).find("budget pinholes 2/48 ") != std::string::npos);
    CHECK(format_connections({conn}, &limits).find("host 192.168.0.10 10\n") != std::string::npos);
    CHECK(format_connections({conn}).find("budget pinholes 2 ") != std::string::npos);
    // A host with a budget of its own is shown against it.
    limits.host_budgets = {{AF_INET, ipv4(192, 168, 0, 10), 2048}};
    CHECK(format_connections({conn}, &limits).find("host 192.168.0.10 10/2048\n") !=
          std::string::npos);
    Json json = connection_json(conn);
    CHECK(json["pinholes_used"] == 2);
    CHECK(json["host"] == "192.168.0.10");
    CHECK(json["host_pinholes"] == 10);
}

TEST_CASE("connections: JSON", "[cli][output]") {
    CHECK(connections_json({sample_call()}).dump() ==
          R"([{"family":"ipv4","proto":"udp",)"
          R"("original":{"src":"192.168.0.10","dst":"203.0.113.10","sport":5060,"dport":5060},)"
          R"("reply":{"src":"203.0.113.10","dst":"203.0.113.1","sport":5060,"dport":5060},)"
          R"("nat":true,"timeout":3598,"pinholes":[)"
          R"({"class":"media","tuple":{"src":null,"dst":"203.0.113.1","sport":0,"dport":40000},)"
          R"("timeout":179},)"
          R"({"class":"media","tuple":{"src":"203.0.113.10","dst":"203.0.113.1","sport":0,)"
          R"("dport":40001},"timeout":179}],"sessions":[],"sessions_omitted":0,)"
          R"("pinholes_used":null,"host":null,"host_pinholes":null}])");
    CHECK(connections_json({}).dump() == "[]");
    Json ipv6 = connection_json(sample_ipv6_tcp());
    CHECK(ipv6["family"] == "ipv6");
    CHECK(ipv6["proto"] == "tcp");
    CHECK(ipv6["original"]["src"] == "2001:db8:1::10");
    CHECK(ipv6["nat"] == false);
    CHECK(ipv6["pinholes"] == Json::array());
}

TEST_CASE("monitor: one line per event", "[cli][output]") {
    Event setup = make_event(EventType::call_setup, sample_call());
    CHECK(format_event(setup) == "call-setup udp 192.168.0.10:5060 -> 203.0.113.10:5060"
                                 " reply 203.0.113.10:5060 -> 203.0.113.1:5060"
                                 " [media *:* -> 203.0.113.1:40000 2m59s] [media 203.0.113.10:* -> "
                                 "203.0.113.1:40001 2m59s]");
    Connection no_pinholes = sample_ipv6_tcp();
    CHECK(format_event(make_event(EventType::register_passed, no_pinholes)) ==
          "register tcp [2001:db8:1::10]:40312 -> [2001:db8:2::10]:5061");
    CHECK(format_event(make_event(EventType::call_end, std::nullopt)) == "call-end");
    CHECK(format_event(make_event(EventType::malformed, std::nullopt)) == "malformed");
    CHECK(format_event(make_event(EventType::unknown, std::nullopt)) == "unknown");

    CHECK(event_json(make_event(EventType::call_end, std::nullopt)).dump() ==
          R"({"event":"call-end","call_id":null,"reason":null,"connection":null,"pinhole":null})");

    Event passed = make_event(EventType::malformed, std::nullopt, "a84b@192.168.0.10", "too_big");
    CHECK(format_event(passed) == "malformed call-id=a84b@192.168.0.10 reason=too_big");
    CHECK(event_json(passed).dump() == R"({"event":"malformed","call_id":"a84b@192.168.0.10",)"
                                       R"("reason":"too_big","connection":null,"pinhole":null})");

    Event opened = make_event(EventType::pinhole_open, sample_ipv6_tcp());
    opened.pinhole = sample_call().pinholes[0];
    CHECK(format_event(opened) ==
          "pinhole-open media *:* -> 203.0.113.1:40000 2m59s tcp [2001:db8:1::10]:40312 -> "
          "[2001:db8:2::10]:5061");
    CHECK(event_json(opened)["pinhole"] == pinhole_json(sample_call().pinholes[0]));
    CHECK(event_name(EventType::pinhole_close) == "pinhole-close");
    setup.call_id = "1589215404@192.168.0.10";
    CHECK(format_event(setup).starts_with(
        "call-setup call-id=1589215404@192.168.0.10 udp 192.168.0.10:5060 -> "));
    Json json = event_json(setup);
    CHECK(json["event"] == "call-setup");
    CHECK(json["connection"] == connection_json(sample_call()));
    CHECK(json.dump().find('\n') == std::string::npos);
}
