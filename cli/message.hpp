// The uapi.h messages, both ways: a ConfigChange into SET_CONFIG
// attributes, and GET_CONFIG / GET_STATS / GET_CONNS / EVENT / TRACE
// messages into the structs of model.hpp. Works on libnl messages in memory, without a
// socket, so the unit tests can feed it hand-built messages.
#pragma once

#include "model.hpp"

#include <stdexcept>
#include <string>
#include <vector>

struct nl_msg;
struct nlmsghdr;

namespace sipalg {

// A message from the kernel that does not look as uapi.h says.
struct DecodeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Appends the attributes of the keys present in `change` to `msg`, whose
// generic netlink header is already in place. False if the message is full.
bool put_config_change(nl_msg *msg, const ConfigChange &change);

// Each takes a whole generic netlink message (nlmsghdr + genlmsghdr +
// attributes) and throws DecodeError if an attribute is missing or short.
Config decode_config(const nlmsghdr *header);
std::vector<Stat> decode_stats(const nlmsghdr *header);
Connection decode_connection_message(const nlmsghdr *header);
Event decode_event(const nlmsghdr *header);
// A SIPALG_CMD_TRACE record, its edits, lines and pinholes in the order
// the kernel sent them.
TraceRecord decode_trace(const nlmsghdr *header);

} // namespace sipalg

namespace sipalg {

// The extended ack text (NLMSGERR_ATTR_MSG) of an NLMSG_ERROR message, or
// "" if the kernel sent none.
std::string extack_message(const nlmsghdr *error_message);

} // namespace sipalg
