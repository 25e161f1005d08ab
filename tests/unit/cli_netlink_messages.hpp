// Building generic netlink messages in memory as the kernel sends them,
// for the decoders' tests (cli_message.cpp, cli_trace.cpp).
#pragma once

#include <sipalg/uapi.h>

#include <catch2/catch.hpp>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include <cstdint>
#include <memory>
#include <sys/socket.h>
#include <vector>

namespace sipalg_test {

inline constexpr int test_family_id = 42;

using Message = std::unique_ptr<nl_msg, decltype(&nlmsg_free)>;

inline Message genl_message(std::uint8_t cmd) {
    Message msg(nlmsg_alloc(), nlmsg_free);
    REQUIRE(msg);
    REQUIRE(genlmsg_put(msg.get(), 0, 1, test_family_id, 0, 0, cmd, SIPALG_GENL_VERSION));
    return msg;
}

// A nest of SIPALG_A_TUPLE_*; an empty src is left out (any).
inline void put_tuple(nl_msg *msg, int type, const std::vector<std::uint8_t> &src,
                      const std::vector<std::uint8_t> &dst, std::uint16_t sport,
                      std::uint16_t dport) {
    nlattr *nest = nla_nest_start(msg, type);
    if (!src.empty())
        nla_put(msg, SIPALG_A_TUPLE_SRC, static_cast<int>(src.size()), src.data());
    nla_put(msg, SIPALG_A_TUPLE_DST, static_cast<int>(dst.size()), dst.data());
    nla_put_u16(msg, SIPALG_A_TUPLE_SPORT, sport);
    nla_put_u16(msg, SIPALG_A_TUPLE_DPORT, dport);
    nla_nest_end(msg, nest);
}

// The addresses of the test topology: a phone behind the router's NAT
// and a server outside.
inline const std::vector<std::uint8_t> phone = {192, 168, 0, 10};
inline const std::vector<std::uint8_t> server = {203, 0, 113, 10};
inline const std::vector<std::uint8_t> router = {203, 0, 113, 1};

// A CONN nest of a NATed IPv4 connection from the phone to the server,
// left open for more attributes: close it with nla_nest_end.
inline nlattr *start_nated_conn(nl_msg *msg, std::uint8_t proto) {
    nlattr *conn = nla_nest_start(msg, SIPALG_A_CONN);
    nla_put_u8(msg, SIPALG_A_CONN_FAMILY, AF_INET);
    nla_put_u8(msg, SIPALG_A_CONN_PROTO, proto);
    put_tuple(msg, SIPALG_A_CONN_ORIG, phone, server, 5060, 5060);
    put_tuple(msg, SIPALG_A_CONN_REPLY, server, router, 5060, 5060);
    nla_put_u8(msg, SIPALG_A_CONN_NAT, 1);
    return conn;
}

// The brief CONN of traces: no timeout, no pinholes.
inline void put_nated_conn(nl_msg *msg, std::uint8_t proto) {
    nla_nest_end(msg, start_nated_conn(msg, proto));
}

} // namespace sipalg_test
