#include "netlink_client.hpp"

#include "message.hpp"

#include <sipalg/uapi.h>

#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <linux/netlink.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <memory>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sipalg {

namespace {

// What the callbacks of one receive loop found.
struct ReceiveState {
    const NetlinkClient::MessageHandler *on_message = nullptr;
    bool done = false;
    int error_number = 0;
    std::string extack;
    // An exception must not unwind through libnl's C frames: keep it here
    // and rethrow once nl_recvmsgs has returned.
    std::exception_ptr exception;
};

int on_valid(nl_msg *msg, void *arg) {
    auto *state = static_cast<ReceiveState *>(arg);
    try {
        (*state->on_message)(nlmsg_hdr(msg));
    } catch (...) {
        state->exception = std::current_exception();
        state->done = true;
        return NL_STOP;
    }
    return NL_OK;
}

int on_finish(nl_msg *, void *arg) {
    static_cast<ReceiveState *>(arg)->done = true;
    return NL_STOP;
}

int on_error(sockaddr_nl *, nlmsgerr *error, void *arg) {
    auto *state = static_cast<ReceiveState *>(arg);
    state->done = true;
    state->error_number = -error->error;
    // libnl hands over the payload only; the header precedes it.
    const auto *header =
        reinterpret_cast<const nlmsghdr *>(reinterpret_cast<const char *>(error) - NLMSG_HDRLEN);
    state->extack = extack_message(header);
    return NL_STOP;
}

// Multicast events carry sequence number 0: do not check it.
int skip_sequence_check(nl_msg *, void *) {
    return NL_OK;
}

struct CallbackDeleter {
    void operator()(nl_cb *cb) const { nl_cb_put(cb); }
};
using Callbacks = std::unique_ptr<nl_cb, CallbackDeleter>;

Callbacks make_callbacks(ReceiveState &state) {
    Callbacks cb(nl_cb_alloc(NL_CB_DEFAULT));
    if (!cb)
        throw NetlinkError("out of memory");
    nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &state);
    nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &state);
    nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, on_finish, &state);
    nl_cb_err(cb.get(), NL_CB_CUSTOM, on_error, &state);
    return cb;
}

std::string libnl_error(const std::string &what, int error) {
    return what + ": " + nl_geterror(error);
}

} // namespace

KernelError::KernelError(int error_number, std::string extack)
    : std::runtime_error(extack.empty() ? std::strerror(error_number) : extack),
      error_number(error_number), extack(std::move(extack)) {}

NetlinkClient::NetlinkClient() {
    socket_ = nl_socket_alloc();
    if (!socket_)
        throw NetlinkError("out of memory");
    if (int error = genl_connect(socket_); error < 0) {
        nl_socket_free(socket_);
        throw NetlinkError(libnl_error("cannot open a generic netlink socket", error));
    }
    // Replies can exceed libnl's default page-sized buffer.
    nl_socket_enable_msg_peek(socket_);
    // Ask for the kernel's reasons (extack), and for errors without the
    // echoed request, which we do not need.
    int on = 1;
    setsockopt(nl_socket_get_fd(socket_), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof(on));
    setsockopt(nl_socket_get_fd(socket_), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof(on));
    family_ = genl_ctrl_resolve(socket_, SIPALG_GENL_NAME);
    if (family_ < 0) {
        int error = family_;
        nl_socket_free(socket_);
        if (error == -NLE_OBJ_NOTFOUND)
            throw ModuleNotLoaded();
        throw NetlinkError(libnl_error("cannot look up the sipalg family", error));
    }
}

NetlinkClient::~NetlinkClient() {
    nl_socket_free(socket_);
}

void NetlinkClient::request(int cmd, const Filler &fill, const MessageHandler &on_reply,
                            bool dump) {
    std::unique_ptr<nl_msg, decltype(&nlmsg_free)> msg(nlmsg_alloc(), nlmsg_free);
    if (!msg)
        throw NetlinkError("out of memory");
    if (!genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, dump ? NLM_F_DUMP : 0,
                     static_cast<std::uint8_t>(cmd), SIPALG_GENL_VERSION))
        throw NetlinkError("out of memory");
    if (fill && !fill(msg.get()))
        throw NetlinkError("request too large");
    // nl_send_auto adds NLM_F_ACK, so every request ends in an ack or an
    // error, which is how we know the kernel is done.
    if (int error = nl_send_auto(socket_, msg.get()); error < 0)
        throw NetlinkError(libnl_error("cannot send to the kernel", error));

    ReceiveState state;
    state.on_message = &on_reply;
    Callbacks cb = make_callbacks(state);
    while (!state.done) {
        int error = nl_recvmsgs(socket_, cb.get());
        if (state.exception)
            std::rethrow_exception(state.exception);
        if (state.error_number)
            throw KernelError(state.error_number, state.extack);
        if (error < 0 && !state.done)
            throw NetlinkError(libnl_error("cannot receive from the kernel", error));
    }
}

void NetlinkClient::subscribe(const char *group) {
    int id = genl_ctrl_resolve_grp(socket_, SIPALG_GENL_NAME, group);
    if (id == -NLE_OBJ_NOTFOUND)
        throw NetlinkError(std::string("the loaded sipalg module has no \"") + group +
                           "\" group: it is older than this sipalg");
    if (id < 0)
        throw NetlinkError(
            libnl_error("cannot find the sipalg " + std::string(group) + " group", id));
    if (int error = nl_socket_add_membership(socket_, id); error < 0) {
        // The trace groups are for CAP_NET_ADMIN only (genl checks it at
        // join time); say so the way a refused request does.
        if (error == -NLE_PERM || error == -NLE_NOACCESS)
            throw KernelError(EPERM, "");
        throw NetlinkError(
            libnl_error("cannot join the sipalg " + std::string(group) + " group", error));
    }
    // Room for bursts while the terminal is slow. SO_RCVBUFFORCE lets a
    // privileged caller past rmem_max (about 416 KiB on Debian), which a
    // burst of trace records fills quickly; anyone else gets SO_RCVBUF,
    // capped there.
    int fd = nl_socket_get_fd(socket_);
    int size = 4 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    nl_socket_set_nonblocking(socket_);
}

void NetlinkClient::subscribe_events() {
    subscribe(SIPALG_GENL_MCGRP);
}

int NetlinkClient::fd() const {
    return nl_socket_get_fd(socket_);
}

bool NetlinkClient::receive_events(const MessageHandler &on_event) {
    ReceiveState state;
    state.on_message = &on_event;
    Callbacks cb = make_callbacks(state);
    nl_cb_set(cb.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, skip_sequence_check, nullptr);
    while (true) {
        int error = nl_recvmsgs(socket_, cb.get());
        if (state.exception)
            std::rethrow_exception(state.exception);
        if (error == -NLE_AGAIN)
            return true;
        // ENOBUFS: the kernel dropped events; the socket stays usable.
        if (error == -NLE_NOMEM)
            return false;
        if (error < 0)
            throw NetlinkError(libnl_error("cannot receive events", error));
    }
}

void receive_until_stopped(NetlinkClient &client, const NetlinkClient::MessageHandler &on_message,
                           const std::function<void()> &on_lost) {
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
    // A shell starts background jobs with SIGINT ignored; blocked signals
    // still reach the signalfd, but say plainly that we want them.
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
    if (signal_fd < 0)
        throw NetlinkError(std::string("signalfd: ") + std::strerror(errno));
    // Closed however the loop ends, an exception from on_message included.
    struct Closer {
        int fd;
        ~Closer() { close(fd); }
    } closer{signal_fd};

    while (true) {
        pollfd fds[2] = {{client.fd(), POLLIN, 0}, {signal_fd, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            throw NetlinkError(std::string("poll: ") + std::strerror(errno));
        }
        if (fds[1].revents)
            return;
        if (fds[0].revents && !client.receive_events(on_message))
            on_lost();
    }
}

} // namespace sipalg
