// A generic netlink connection to the sipalg family: resolves it, sends
// requests and collects replies, dumps, acks with their extack text, and
// multicast events.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>

struct nl_sock;
struct nl_msg;
struct nlmsghdr;

namespace sipalg {

// The sipalg generic netlink family does not exist in this namespace.
struct ModuleNotLoaded : std::runtime_error {
    ModuleNotLoaded()
        : std::runtime_error("the sipalg module is not loaded (no generic netlink family "
                             "\"sipalg\"); load it with: modprobe sipalg (or insmod "
                             "sipalg.ko)") {}
};

// The kernel answered a request with an error.
struct KernelError : std::runtime_error {
    KernelError(int error_number, std::string extack);
    int error_number;   // positive errno
    std::string extack; // the kernel's reason, may be empty
};

// Anything else going wrong with the socket (libnl's wording).
struct NetlinkError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class NetlinkClient {
  public:
    using MessageHandler = std::function<void(const nlmsghdr *)>;
    using Filler = std::function<bool(nl_msg *)>;

    // Connects and resolves the family; throws ModuleNotLoaded.
    NetlinkClient();
    ~NetlinkClient();
    NetlinkClient(const NetlinkClient &) = delete;
    NetlinkClient &operator=(const NetlinkClient &) = delete;

    // Sends command `cmd` with the attributes `fill` adds, and calls
    // `on_reply` for every reply message (one, or one per entry for a
    // dump) until the kernel's ack or end of dump. Throws KernelError.
    void request(int cmd, const Filler &fill, const MessageHandler &on_reply, bool dump = false);
    void request(int cmd, const MessageHandler &on_reply) { request(cmd, nullptr, on_reply); }

    // Joins the multicast group `group` of the family (uapi.h's
    // SIPALG_GENL_MCGRP*); afterwards the socket is non-blocking and
    // receive_events() reads what is pending. Throws KernelError with
    // EPERM if the group needs a privilege the caller lacks.
    void subscribe(const char *group);
    void subscribe_events();
    int fd() const;
    // Calls on_event for each pending message. Returns false if the kernel
    // dropped messages because the receive buffer was full.
    bool receive_events(const MessageHandler &on_event);

  private:
    nl_sock *socket_ = nullptr;
    int family_ = 0;
};

// Calls on_message for each message of the groups `client` subscribed to,
// and on_lost whenever the kernel dropped some, until SIGINT or SIGTERM,
// which end it normally. The signals are taken through a signalfd because
// libnl retries reads that a signal interrupts.
void receive_until_stopped(NetlinkClient &client, const NetlinkClient::MessageHandler &on_message,
                           const std::function<void()> &on_lost);

} // namespace sipalg
