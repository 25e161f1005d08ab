// uapi.h messages built in memory with libnl, as the kernel would send
// them, decoded into structs; SET_CONFIG attributes encoded; extack text
// found in error messages.
#include "message.hpp"

#include "cli_netlink_messages.hpp"

#include <sipalg/uapi.h>

#include <catch2/catch.hpp>

#include <algorithm>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <linux/netlink.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <netinet/in.h>
#include <sys/socket.h>

using namespace sipalg;
using namespace sipalg_test;

namespace {

// The CONN nest of a NATed call with an RTP and an RTCP pinhole.
void put_call(nl_msg *msg) {
    nlattr *conn = start_nated_conn(msg, IPPROTO_UDP);
    nla_put_u32(msg, SIPALG_A_CONN_TIMEOUT, 3598);
    for (std::uint16_t port : {40000, 40001}) {
        nlattr *pinhole = nla_nest_start(msg, SIPALG_A_CONN_PINHOLE);
        nla_put_u8(msg, SIPALG_A_PINHOLE_CLASS, SIPALG_PINHOLE_MEDIA);
        put_tuple(msg, SIPALG_A_PINHOLE_TUPLE, {}, router, 0, port);
        nla_put_u32(msg, SIPALG_A_PINHOLE_TIMEOUT, 179);
        nla_nest_end(msg, pinhole);
    }
    nla_nest_end(msg, conn);
}

std::string decode_error(const std::function<void()> &decode) {
    try {
        decode();
    } catch (const DecodeError &error) {
        return error.what();
    }
    return "";
}

} // namespace

TEST_CASE("GET_CONFIG reply decoded", "[cli][message]") {
    Message msg = genl_message(SIPALG_CMD_GET_CONFIG);
    std::uint16_t ports[] = {5060, 5061};
    nla_put(msg.get(), SIPALG_A_PORTS, sizeof(ports), ports);
    nla_put_u32(msg.get(), SIPALG_A_SIP_TIMEOUT, 3600);
    nla_put_u8(msg.get(), SIPALG_A_DIRECT_MEDIA, 1);
    nla_put_u8(msg.get(), SIPALG_A_DISABLED, 0);
    nla_put_u32(msg.get(), SIPALG_A_MAX_PORTS, 8);
    nla_put_u32(msg.get(), SIPALG_A_TIMEOUT_MIN, 10);
    nla_put_u32(msg.get(), SIPALG_A_TIMEOUT_MAX, 86400);
    nla_put_u32(msg.get(), SIPALG_A_PINHOLES_PER_HOST, 96);
    nla_put_u32(msg.get(), SIPALG_A_PINHOLES_PER_CONN, 0);
    sipalg_host_budget hosts[2] = {};
    hosts[0].family = AF_INET;
    hosts[0].pinholes = 2048;
    std::memcpy(hosts[0].addr, phone.data(), 4);
    hosts[1].family = AF_INET6;
    hosts[1].addr[0] = 0x20;
    hosts[1].addr[15] = 1;
    nla_put(msg.get(), SIPALG_A_PINHOLES_HOSTS, sizeof(hosts), hosts);
    nla_put_u8(msg.get(), SIPALG_A_REGISTRATION_PINHOLES, SIPALG_REG_PINHOLES_WHEN_NEEDED);
    // An attribute from a newer module is ignored.
    nla_put_u32(msg.get(), SIPALG_A_MAX + 1, 7);

    Config config = decode_config(nlmsg_hdr(msg.get()));
    CHECK(config.ports == std::vector<std::uint16_t>{5060, 5061});
    CHECK(config.sip_timeout == 3600);
    CHECK(config.direct_media);
    CHECK_FALSE(config.disabled);
    CHECK(config.max_ports == 8);
    CHECK(config.timeout_min == 10);
    CHECK(config.timeout_max == 86400);
    CHECK(config.pinholes_per_host == 96u);
    CHECK(config.pinholes_per_conn == 0u);
    REQUIRE(config.host_budgets);
    REQUIRE(config.host_budgets->size() == 2);
    CHECK((*config.host_budgets)[0] == HostBudget{AF_INET, phone, 2048});
    CHECK((*config.host_budgets)[1].family == AF_INET6);
    CHECK((*config.host_budgets)[1].address.size() == 16);
    CHECK((*config.host_budgets)[1].pinholes == 0u);
    CHECK(config.registration_pinholes == RegistrationPinholes::when_needed);

    // A module without budgets: they stay unknown, not 0 (= no limit).
    Message old = genl_message(SIPALG_CMD_GET_CONFIG);
    nla_put(old.get(), SIPALG_A_PORTS, sizeof(ports), ports);
    nla_put_u32(old.get(), SIPALG_A_SIP_TIMEOUT, 3600);
    nla_put_u8(old.get(), SIPALG_A_DIRECT_MEDIA, 1);
    nla_put_u8(old.get(), SIPALG_A_DISABLED, 0);
    config = decode_config(nlmsg_hdr(old.get()));
    CHECK_FALSE(config.pinholes_per_host);
    CHECK_FALSE(config.pinholes_per_conn);
    CHECK_FALSE(config.registration_pinholes);
}

TEST_CASE("GET_CONFIG reply: missing or short attributes", "[cli][message]") {
    Message msg = genl_message(SIPALG_CMD_GET_CONFIG);
    std::uint16_t port = 5060;
    nla_put(msg.get(), SIPALG_A_PORTS, sizeof(port), &port);
    nla_put_u8(msg.get(), SIPALG_A_SIP_TIMEOUT, 1); // u8 where a u32 belongs
    CHECK(decode_error([&] { decode_config(nlmsg_hdr(msg.get())); }) ==
          "the kernel's SIP_TIMEOUT is too short");

    Message empty = genl_message(SIPALG_CMD_GET_CONFIG);
    CHECK(decode_error([&] { decode_config(nlmsg_hdr(empty.get())); }) ==
          "the kernel's reply lacks PORTS");

    Message odd = genl_message(SIPALG_CMD_GET_CONFIG);
    nla_put(odd.get(), SIPALG_A_PORTS, 3, "abc");
    CHECK(decode_error([&] { decode_config(nlmsg_hdr(odd.get())); }) ==
          "the kernel's PORTS has an odd length");
}

TEST_CASE("GET_STATS reply decoded in order, with u64 padding", "[cli][message]") {
    Message msg = genl_message(SIPALG_CMD_GET_STATS);
    nlattr *stats = nla_nest_start(msg.get(), SIPALG_A_STATS);
    const std::vector<Stat> want = {{"messages", 12}, {"rewritten", 0}, {"big", 1ull << 40}};
    for (const auto &stat : want) {
        nlattr *nest = nla_nest_start(msg.get(), SIPALG_A_STAT);
        nla_put_string(msg.get(), SIPALG_A_STAT_NAME, stat.name.c_str());
        // The kernel's nla_put_u64_64bit may add a PAD attribute first.
        nla_put(msg.get(), SIPALG_A_PAD, 0, nullptr);
        nla_put_u64(msg.get(), SIPALG_A_STAT_VALUE, stat.value);
        nla_nest_end(msg.get(), nest);
    }
    nla_nest_end(msg.get(), stats);

    auto got = decode_stats(nlmsg_hdr(msg.get()));
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        CHECK(got[i].name == want[i].name);
        CHECK(got[i].value == want[i].value);
    }

    Message empty = genl_message(SIPALG_CMD_GET_STATS);
    CHECK(decode_error([&] { decode_stats(nlmsg_hdr(empty.get())); }) ==
          "the kernel's reply lacks STATS");
}

TEST_CASE("GET_CONNS dump message decoded with its pinholes", "[cli][message]") {
    Message msg = genl_message(SIPALG_CMD_GET_CONNS);
    put_call(msg.get());
    Connection conn = decode_connection_message(nlmsg_hdr(msg.get()));
    CHECK(conn.family == AF_INET);
    CHECK(conn.proto == IPPROTO_UDP);
    CHECK(conn.original.src == phone);
    CHECK(conn.original.dst == server);
    CHECK(conn.original.sport == 5060);
    CHECK(conn.reply.dst == router);
    CHECK(conn.timeout == 3598);
    CHECK(conn.nat);
    REQUIRE(conn.pinholes.size() == 2);
    CHECK(conn.pinholes[0].pinhole_class == PinholeClass::media);
    CHECK(conn.pinholes[0].tuple.src.empty());
    CHECK(conn.pinholes[0].tuple.dst == router);
    CHECK(conn.pinholes[0].tuple.dport == 40000);
    CHECK(conn.pinholes[1].tuple.dport == 40001);
    CHECK(conn.pinholes[1].timeout == 179);
    CHECK_FALSE(conn.pinholes_used);
    CHECK(conn.host.empty());
    CHECK_FALSE(conn.host_pinholes);

    // With the budgets' use.
    Message budget = genl_message(SIPALG_CMD_GET_CONNS);
    nlattr *conn_nest = nla_nest_start(budget.get(), SIPALG_A_CONN);
    nla_put_u8(budget.get(), SIPALG_A_CONN_FAMILY, AF_INET);
    nla_put_u8(budget.get(), SIPALG_A_CONN_PROTO, IPPROTO_UDP);
    put_tuple(budget.get(), SIPALG_A_CONN_ORIG, phone, server, 5060, 5060);
    nla_put_u32(budget.get(), SIPALG_A_CONN_PINHOLES, 6);
    nla_put(budget.get(), SIPALG_A_CONN_HOST, 4, phone.data());
    nla_put_u32(budget.get(), SIPALG_A_CONN_HOST_PINHOLES, 10);
    nla_nest_end(budget.get(), conn_nest);
    conn = decode_connection_message(nlmsg_hdr(budget.get()));
    CHECK(conn.pinholes_used == 6u);
    CHECK(conn.host == phone);
    CHECK(conn.host_pinholes == 10u);
}

TEST_CASE("GET_CONNS: registrations and calls decoded", "[cli][message]") {
    Message msg = genl_message(SIPALG_CMD_GET_CONNS);
    nlattr *conn = nla_nest_start(msg.get(), SIPALG_A_CONN);
    nla_put_u8(msg.get(), SIPALG_A_CONN_FAMILY, AF_INET);
    nla_put_u8(msg.get(), SIPALG_A_CONN_PROTO, IPPROTO_UDP);
    put_tuple(msg.get(), SIPALG_A_CONN_ORIG, phone, server, 5060, 5060);
    nlattr *session = nla_nest_start(msg.get(), SIPALG_A_CONN_SESSION);
    nla_put_u8(msg.get(), SIPALG_A_SESSION_KIND, SIPALG_SESSION_REGISTRATION);
    nla_put_string(msg.get(), SIPALG_A_SESSION_ID, "sip:100@203.0.113.10");
    nla_put_u8(msg.get(), SIPALG_A_SESSION_STATE, SIPALG_STATE_REGISTERED);
    nla_put_u8(msg.get(), SIPALG_A_SESSION_OUTGOING, 1);
    nla_put_u32(msg.get(), SIPALG_A_SESSION_AGE, 30);
    nla_put_u32(msg.get(), SIPALG_A_SESSION_EXPIRES, 3570);
    nla_nest_end(msg.get(), session);
    session = nla_nest_start(msg.get(), SIPALG_A_CONN_SESSION);
    nla_put_u8(msg.get(), SIPALG_A_SESSION_KIND, SIPALG_SESSION_CALL);
    nla_put_string(msg.get(), SIPALG_A_SESSION_ID, "1589215404@192.168.0.10");
    nla_put_u8(msg.get(), SIPALG_A_SESSION_STATE, SIPALG_STATE_HELD);
    nla_put_u8(msg.get(), SIPALG_A_SESSION_OUTGOING, 0);
    nla_put_u32(msg.get(), SIPALG_A_SESSION_AGE, 5);
    nla_nest_end(msg.get(), session);
    nla_put_u32(msg.get(), SIPALG_A_CONN_SESSIONS_OMITTED, 7);
    nla_nest_end(msg.get(), conn);

    Connection decoded = decode_connection_message(nlmsg_hdr(msg.get()));
    REQUIRE(decoded.sessions.size() == 2);
    CHECK(decoded.sessions[0].kind == SessionKind::registration);
    CHECK(decoded.sessions[0].id == "sip:100@203.0.113.10");
    CHECK(decoded.sessions[0].state == SessionState::registered);
    CHECK(decoded.sessions[0].outgoing);
    CHECK(decoded.sessions[0].age == 30);
    CHECK(decoded.sessions[0].expires == 3570u);
    CHECK(decoded.sessions[1].kind == SessionKind::call);
    CHECK(decoded.sessions[1].state == SessionState::held);
    CHECK_FALSE(decoded.sessions[1].outgoing);
    CHECK_FALSE(decoded.sessions[1].expires);
    CHECK(decoded.sessions_omitted == 7);

    Message unnamed = genl_message(SIPALG_CMD_GET_CONNS);
    conn = nla_nest_start(unnamed.get(), SIPALG_A_CONN);
    nla_put_u8(unnamed.get(), SIPALG_A_CONN_FAMILY, AF_INET);
    nla_put_u8(unnamed.get(), SIPALG_A_CONN_PROTO, IPPROTO_UDP);
    put_tuple(unnamed.get(), SIPALG_A_CONN_ORIG, phone, server, 5060, 5060);
    session = nla_nest_start(unnamed.get(), SIPALG_A_CONN_SESSION);
    nla_put_u8(unnamed.get(), SIPALG_A_SESSION_KIND, SIPALG_SESSION_CALL);
    nla_nest_end(unnamed.get(), session);
    nla_nest_end(unnamed.get(), conn);
    CHECK(decode_error([&] { decode_connection_message(nlmsg_hdr(unnamed.get())); }) ==
          "the kernel's reply lacks SESSION_ID");
}

TEST_CASE("GET_CONNS: IPv6 and malformed entries", "[cli][message]") {
    std::vector<std::uint8_t> a(16, 0), b(16, 0);
    a[0] = b[0] = 0x20;
    b[15] = 1;
    Message msg = genl_message(SIPALG_CMD_GET_CONNS);
    nlattr *conn = nla_nest_start(msg.get(), SIPALG_A_CONN);
    nla_put_u8(msg.get(), SIPALG_A_CONN_FAMILY, AF_INET6);
    nla_put_u8(msg.get(), SIPALG_A_CONN_PROTO, IPPROTO_TCP);
    put_tuple(msg.get(), SIPALG_A_CONN_ORIG, a, b, 1234, 5061);
    nla_nest_end(msg.get(), conn);
    Connection decoded = decode_connection_message(nlmsg_hdr(msg.get()));
    CHECK(decoded.family == AF_INET6);
    CHECK(decoded.original.src == a);
    CHECK_FALSE(decoded.nat);
    CHECK(decoded.pinholes.empty());

    Message wrong_length = genl_message(SIPALG_CMD_GET_CONNS);
    conn = nla_nest_start(wrong_length.get(), SIPALG_A_CONN);
    nla_put_u8(wrong_length.get(), SIPALG_A_CONN_FAMILY, AF_INET6);
    nla_put_u8(wrong_length.get(), SIPALG_A_CONN_PROTO, IPPROTO_UDP);
    put_tuple(wrong_length.get(), SIPALG_A_CONN_ORIG, phone, server, 5060, 5060);
    nla_nest_end(wrong_length.get(), conn);
    CHECK(decode_error([&] { decode_connection_message(nlmsg_hdr(wrong_length.get())); }) ==
          "the kernel sent an address of the wrong length");

    Message bad_family = genl_message(SIPALG_CMD_GET_CONNS);
    conn = nla_nest_start(bad_family.get(), SIPALG_A_CONN);
    nla_put_u8(bad_family.get(), SIPALG_A_CONN_FAMILY, 99);
    nla_nest_end(bad_family.get(), conn);
    CHECK(decode_error([&] { decode_connection_message(nlmsg_hdr(bad_family.get())); }) ==
          "the kernel sent an unknown address family 99");

    Message no_conn = genl_message(SIPALG_CMD_GET_CONNS);
    CHECK(decode_error([&] { decode_connection_message(nlmsg_hdr(no_conn.get())); }) ==
          "the kernel's reply lacks CONN");
}

TEST_CASE("EVENT messages decoded", "[cli][message]") {
    Message setup = genl_message(SIPALG_CMD_EVENT);
    nla_put_u8(setup.get(), SIPALG_A_EVENT_TYPE, SIPALG_EVENT_CALL_SETUP);
    put_call(setup.get());
    Event event = decode_event(nlmsg_hdr(setup.get()));
    CHECK(event.type == EventType::call_setup);
    REQUIRE(event.connection);
    CHECK(event.connection->pinholes.size() == 2);
    CHECK(event.call_id.empty());
    CHECK(event.reason.empty());

    Message passed = genl_message(SIPALG_CMD_EVENT);
    nla_put_u8(passed.get(), SIPALG_A_EVENT_TYPE, SIPALG_EVENT_MALFORMED);
    nla_put_string(passed.get(), SIPALG_A_EVENT_REASON, "too_big");
    nla_put_string(passed.get(), SIPALG_A_EVENT_CALL_ID, "1589215404@192.168.0.10");
    Event decoded_passed = decode_event(nlmsg_hdr(passed.get()));
    CHECK(decoded_passed.reason == "too_big");
    CHECK(decoded_passed.call_id == "1589215404@192.168.0.10");

    const std::pair<int, EventType> types[] = {{SIPALG_EVENT_REGISTER, EventType::register_passed},
                                               {SIPALG_EVENT_CALL_END, EventType::call_end},
                                               {SIPALG_EVENT_MALFORMED, EventType::malformed},
                                               {200, EventType::unknown}};
    for (auto [type, want] : types) {
        Message msg = genl_message(SIPALG_CMD_EVENT);
        nla_put_u8(msg.get(), SIPALG_A_EVENT_TYPE, static_cast<std::uint8_t>(type));
        Event decoded = decode_event(nlmsg_hdr(msg.get()));
        CHECK(decoded.type == want);
        CHECK_FALSE(decoded.connection);
    }

    Message opened = genl_message(SIPALG_CMD_EVENT);
    nla_put_u8(opened.get(), SIPALG_A_EVENT_TYPE, SIPALG_EVENT_PINHOLE_OPEN);
    put_call(opened.get());
    nlattr *pinhole = nla_nest_start(opened.get(), SIPALG_A_EVENT_PINHOLE);
    nla_put_u8(opened.get(), SIPALG_A_PINHOLE_CLASS, SIPALG_PINHOLE_SIGNALLING);
    put_tuple(opened.get(), SIPALG_A_PINHOLE_TUPLE, server, router, 0, 5060);
    nla_put_u32(opened.get(), SIPALG_A_PINHOLE_TIMEOUT, 3600);
    nla_nest_end(opened.get(), pinhole);
    Event decoded_open = decode_event(nlmsg_hdr(opened.get()));
    CHECK(decoded_open.type == EventType::pinhole_open);
    REQUIRE(decoded_open.pinhole);
    CHECK(decoded_open.pinhole->pinhole_class == PinholeClass::signalling);
    CHECK(decoded_open.pinhole->tuple.src == server);
    CHECK(decoded_open.pinhole->tuple.dport == 5060);
    CHECK(decoded_open.pinhole->timeout == 3600);

    Message closed = genl_message(SIPALG_CMD_EVENT);
    nla_put_u8(closed.get(), SIPALG_A_EVENT_TYPE, SIPALG_EVENT_PINHOLE_CLOSE);
    CHECK(decode_event(nlmsg_hdr(closed.get())).type == EventType::pinhole_close);

    Message untyped = genl_message(SIPALG_CMD_EVENT);
    CHECK(decode_error([&] { decode_event(nlmsg_hdr(untyped.get())); }) ==
          "the kernel's reply lacks EVENT_TYPE");
}

TEST_CASE("SET_CONFIG carries exactly the keys given", "[cli][message]") {
    ConfigChange change;
    change.ports = std::vector<std::uint16_t>{5060, 5070};
    change.sip_timeout = 600;
    change.direct_media = false;
    Message msg = genl_message(SIPALG_CMD_SET_CONFIG);
    REQUIRE(put_config_change(msg.get(), change));

    nlattr *attrs[SIPALG_A_MAX + 1] = {};
    REQUIRE(genlmsg_parse(nlmsg_hdr(msg.get()), 0, attrs, SIPALG_A_MAX, nullptr) == 0);
    REQUIRE(attrs[SIPALG_A_PORTS]);
    REQUIRE(nla_len(attrs[SIPALG_A_PORTS]) == 4);
    std::uint16_t ports[2];
    std::memcpy(ports, nla_data(attrs[SIPALG_A_PORTS]), sizeof(ports));
    CHECK(ports[0] == 5060); // host order, as uapi.h says
    CHECK(ports[1] == 5070);
    REQUIRE(attrs[SIPALG_A_SIP_TIMEOUT]);
    CHECK(nla_get_u32(attrs[SIPALG_A_SIP_TIMEOUT]) == 600);
    REQUIRE(attrs[SIPALG_A_DIRECT_MEDIA]);
    CHECK(nla_len(attrs[SIPALG_A_DIRECT_MEDIA]) == 1);
    CHECK(nla_get_u8(attrs[SIPALG_A_DIRECT_MEDIA]) == 0);
    CHECK_FALSE(attrs[SIPALG_A_DISABLED]);
    CHECK_FALSE(attrs[SIPALG_A_PINHOLES_PER_HOST]);

    ConfigChange budgets;
    budgets.pinholes_per_host = 0;
    budgets.pinholes_per_conn = 104;
    Message third = genl_message(SIPALG_CMD_SET_CONFIG);
    REQUIRE(put_config_change(third.get(), budgets));
    nlattr *third_attrs[SIPALG_A_MAX + 1] = {};
    REQUIRE(genlmsg_parse(nlmsg_hdr(third.get()), 0, third_attrs, SIPALG_A_MAX, nullptr) == 0);
    for (int type = 1; type <= SIPALG_A_MAX; ++type)
        CHECK((third_attrs[type] != nullptr) ==
              (type == SIPALG_A_PINHOLES_PER_HOST || type == SIPALG_A_PINHOLES_PER_CONN));
    CHECK(nla_get_u32(third_attrs[SIPALG_A_PINHOLES_PER_HOST]) == 0);
    CHECK(nla_get_u32(third_attrs[SIPALG_A_PINHOLES_PER_CONN]) == 104);

    for (auto which : {RegistrationPinholes::always, RegistrationPinholes::when_needed}) {
        ConfigChange reg;
        reg.registration_pinholes = which;
        Message fifth = genl_message(SIPALG_CMD_SET_CONFIG);
        REQUIRE(put_config_change(fifth.get(), reg));
        nlattr *fifth_attrs[SIPALG_A_MAX + 1] = {};
        REQUIRE(genlmsg_parse(nlmsg_hdr(fifth.get()), 0, fifth_attrs, SIPALG_A_MAX, nullptr) == 0);
        for (int type = 1; type <= SIPALG_A_MAX; ++type)
            CHECK((fifth_attrs[type] != nullptr) == (type == SIPALG_A_REGISTRATION_PINHOLES));
        CHECK(nla_len(fifth_attrs[SIPALG_A_REGISTRATION_PINHOLES]) == 1);
        CHECK(nla_get_u8(fifth_attrs[SIPALG_A_REGISTRATION_PINHOLES]) ==
              (which == RegistrationPinholes::always ? SIPALG_REG_PINHOLES_ALWAYS
                                                     : SIPALG_REG_PINHOLES_WHEN_NEEDED));
    }

    ConfigChange hosts;
    hosts.host_budgets = std::vector<HostBudget>{{AF_INET, phone, 2048}};
    Message fourth = genl_message(SIPALG_CMD_SET_CONFIG);
    REQUIRE(put_config_change(fourth.get(), hosts));
    nlattr *fourth_attrs[SIPALG_A_MAX + 1] = {};
    REQUIRE(genlmsg_parse(nlmsg_hdr(fourth.get()), 0, fourth_attrs, SIPALG_A_MAX, nullptr) == 0);
    REQUIRE(fourth_attrs[SIPALG_A_PINHOLES_HOSTS]);
    REQUIRE(nla_len(fourth_attrs[SIPALG_A_PINHOLES_HOSTS]) == sizeof(sipalg_host_budget));
    sipalg_host_budget sent;
    std::memcpy(&sent, nla_data(fourth_attrs[SIPALG_A_PINHOLES_HOSTS]), sizeof(sent));
    CHECK(sent.family == AF_INET);
    CHECK(sent.pinholes == 2048);
    CHECK(std::vector<std::uint8_t>(sent.addr, sent.addr + 4) == phone);
    CHECK(std::all_of(sent.addr + 4, sent.addr + 16, [](std::uint8_t b) { return b == 0; }));
    // None: an empty attribute, which clears them.
    hosts.host_budgets->clear();
    Message fifth = genl_message(SIPALG_CMD_SET_CONFIG);
    REQUIRE(put_config_change(fifth.get(), hosts));
    nlattr *fifth_attrs[SIPALG_A_MAX + 1] = {};
    REQUIRE(genlmsg_parse(nlmsg_hdr(fifth.get()), 0, fifth_attrs, SIPALG_A_MAX, nullptr) == 0);
    REQUIRE(fifth_attrs[SIPALG_A_PINHOLES_HOSTS]);
    CHECK(nla_len(fifth_attrs[SIPALG_A_PINHOLES_HOSTS]) == 0);

    ConfigChange only_disabled;
    only_disabled.disabled = true;
    Message second = genl_message(SIPALG_CMD_SET_CONFIG);
    REQUIRE(put_config_change(second.get(), only_disabled));
    nlattr *second_attrs[SIPALG_A_MAX + 1] = {};
    REQUIRE(genlmsg_parse(nlmsg_hdr(second.get()), 0, second_attrs, SIPALG_A_MAX, nullptr) == 0);
    for (int type = 1; type <= SIPALG_A_MAX; ++type)
        CHECK((second_attrs[type] != nullptr) == (type == SIPALG_A_DISABLED));
    CHECK(nla_get_u8(second_attrs[SIPALG_A_DISABLED]) == 1);
}

namespace {

// An NLMSG_ERROR as the kernel sends it: capped (request header only) or
// with the whole request echoed, and with or without extack TLVs.
Message error_message(bool capped, const char *extack) {
    Message request = genl_message(SIPALG_CMD_SET_CONFIG);
    nla_put_u32(request.get(), SIPALG_A_SIP_TIMEOUT, 5);
    const nlmsghdr *request_header = nlmsg_hdr(request.get());

    int flags = (capped ? NLM_F_CAPPED : 0) | (extack ? NLM_F_ACK_TLVS : 0);
    Message msg(nlmsg_alloc_simple(NLMSG_ERROR, flags), nlmsg_free);
    nlmsgerr error{};
    error.error = -EINVAL;
    error.msg = *request_header;
    nlmsg_append(msg.get(), &error, sizeof(error), NLMSG_ALIGNTO);
    if (!capped)
        nlmsg_append(msg.get(),
                     const_cast<char *>(reinterpret_cast<const char *>(request_header)) +
                         NLMSG_HDRLEN,
                     request_header->nlmsg_len - NLMSG_HDRLEN, NLMSG_ALIGNTO);
    if (extack)
        nla_put_string(msg.get(), NLMSGERR_ATTR_MSG, extack);
    return msg;
}

} // namespace

TEST_CASE("extack text found in error messages", "[cli][message]") {
    const char *reason = "sip_timeout: 10 to 86400 seconds";
    CHECK(extack_message(nlmsg_hdr(error_message(true, reason).get())) == reason);
    CHECK(extack_message(nlmsg_hdr(error_message(false, reason).get())) == reason);
    CHECK(extack_message(nlmsg_hdr(error_message(true, nullptr).get())) == "");
    CHECK(extack_message(nlmsg_hdr(error_message(false, nullptr).get())) == "");
}
