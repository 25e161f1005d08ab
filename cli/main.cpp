// sipalg: configure and inspect the sipalg SIP ALG, RouterOS style.
//
//   sipalg set ports=5060,5061 sip-direct-media=yes sip-timeout=1h
//   sipalg print | stats [--reset] | connections | monitor   [-j]
//   sipalg trace [--address A] [--call-id ID] [--method M] [--status S]
//                [--passed] [--full] [-j]   what the helper did to each message
//   sipalg export > FILE        the configuration as a set line
//   sipalg import FILE|-        apply a file of set lines, all or nothing
//
// Commands may be abbreviated as long as they stay unambiguous. Every
// error is one line on stderr and exit status 1.
#include "arguments.hpp"
#include "config_file.hpp"
#include "message.hpp"
#include "netlink_client.hpp"
#include "output.hpp"
#include "trace.hpp"

#include <sipalg/uapi.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <unistd.h>

namespace sipalg {

namespace {

// SIPALG_VERSION: the top-level VERSION file (cli/Makefile), which the
// module's MODULE_VERSION and the packages read too.
constexpr const char *version = SIPALG_VERSION;

void print_json(const Json &json) {
    std::cout << json.dump() << '\n';
}

Config read_config(NetlinkClient &client) {
    std::optional<Config> config;
    client.request(SIPALG_CMD_GET_CONFIG,
                   [&](const nlmsghdr *header) { config = decode_config(header); });
    if (!config)
        throw NetlinkError("the kernel sent no configuration");
    return *config;
}

// One SET_CONFIG request: the kernel applies all of `change` or none.
void apply_change(const ConfigChange &change) {
    NetlinkClient client;
    client.request(
        SIPALG_CMD_SET_CONFIG, [&](nl_msg *msg) { return put_config_change(msg, change); },
        [](const nlmsghdr *) {});
}

void run_set(const std::vector<std::string> &words, bool no_client_check) {
    // Parse before connecting: a typo is reported even without the module.
    apply_change(parse_set_words(words, no_client_check ? LimitCheck::skip : LimitCheck::enforce));
}

void run_export(bool json) {
    if (json)
        throw UsageError("export has no JSON form (import reads set lines); use print -j");
    NetlinkClient client;
    std::cout << format_export(read_config(client));
}

// The whole of `path`, or of standard input for "-"; `name` is what
// messages call it. A configuration file is a few lines: past 1 MiB it is
// not one.
std::string read_text(const std::string &path, const std::string &name) {
    constexpr std::size_t max_size = 1 << 20;
    int fd = path == "-" ? STDIN_FILENO : open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw UsageError("cannot read " + name + ": " + std::strerror(errno));
    std::string text;
    char buffer[4096];
    ssize_t got = 0;
    while (text.size() <= max_size && (got = read(fd, buffer, sizeof(buffer))) != 0) {
        if (got > 0)
            text.append(buffer, static_cast<std::size_t>(got));
        else if (errno != EINTR)
            break;
    }
    int error = errno;
    if (fd != STDIN_FILENO)
        close(fd);
    if (got < 0)
        throw UsageError("cannot read " + name + ": " + std::strerror(error));
    if (text.size() > max_size)
        throw UsageError("cannot read " + name + ": larger than 1 MiB");
    return text;
}

void run_import(const std::string &path) {
    // Every line is checked before anything is sent, in one request.
    std::string name = path == "-" ? "stdin" : path;
    apply_change(parse_import(read_text(path, name), name));
}

void run_print(bool json) {
    NetlinkClient client;
    Config config = read_config(client);
    if (json)
        print_json(config_json(config));
    else
        std::cout << format_config(config);
}

void run_stats(bool json, bool reset) {
    NetlinkClient client;
    if (reset) {
        client.request(SIPALG_CMD_RESET_STATS, [](const nlmsghdr *) {});
        return;
    }
    std::vector<Stat> stats;
    client.request(SIPALG_CMD_GET_STATS,
                   [&](const nlmsghdr *header) { stats = decode_stats(header); });
    if (json)
        print_json(stats_json(stats));
    else
        std::cout << format_stats(stats);
}

void run_connections(bool json) {
    NetlinkClient client;
    Config config = read_config(client); // the budgets' limits
    std::vector<Connection> connections;
    client.request(
        SIPALG_CMD_GET_CONNS, nullptr,
        [&](const nlmsghdr *header) { connections.push_back(decode_connection_message(header)); },
        true);
    if (json)
        print_json(connections_json(connections));
    else
        std::cout << format_connections(connections, &config);
}

// Prints events until SIGINT or SIGTERM, which end it with status 0.
void run_monitor(bool json) {
    NetlinkClient client;
    client.subscribe_events();
    receive_until_stopped(
        client,
        [&](const nlmsghdr *header) {
            Event event = decode_event(header);
            if (json)
                std::cout << event_json(event).dump() << std::endl;
            else
                std::cout << format_event(event) << std::endl;
        },
        [] { std::cerr << "sipalg: events were lost (receive buffer full)" << std::endl; });
}

// One line on stderr for whatever went wrong in `command`, which needs
// CAP_NET_ADMIN if `privileged`; returns the exit status.
int report(std::string_view command, bool privileged) {
    std::string message;
    try {
        throw;
    } catch (const KernelError &error) {
        if (privileged && (error.error_number == EPERM || error.error_number == EACCES))
            message = std::string(command) + " needs CAP_NET_ADMIN";
        else if (!error.extack.empty())
            message = "the kernel refused " + std::string(command) + ": " + error.extack;
        else
            message = std::string(command) + ": " + std::strerror(error.error_number);
    } catch (const std::exception &error) {
        message = error.what();
    }
    std::cerr << "sipalg: " << message << '\n';
    return 1;
}

int run(int argc, char **argv) {
    CLI::App app{"sipalg: configure and inspect the sipalg SIP ALG of this network namespace.\n"
                 "Commands may be abbreviated (sipalg pr = sipalg print)."};
    app.set_version_flag("-V,--version", std::string("sipalg ") + version);
    app.name("sipalg");

    std::vector<std::string> set_words;
    auto *set = app.add_subcommand("set", "change the configuration (needs CAP_NET_ADMIN)");
    set->add_option("KEY=VALUE", set_words,
                    "ports=PORT[,PORT...] (1 to 8 in 1..65535), sip-direct-media=yes|no, "
                    "sip-timeout=DURATION (10s..1d: 3600, 90s, 30m, 1h30m, 1d), "
                    "disabled=yes|no, pinholes-per-host=N (0 or 4..1000000), "
                    "pinholes-per-connection=N (0 or 2..104), pinholes-hosts=ADDRESS:N[,...]|none, "
                    "registration-pinholes=always|when-needed")
        ->type_name("");
    bool no_client_check = false;
    // Hidden: for testing the kernel's validation and its extack messages.
    set->add_flag("--no-client-check", no_client_check,
                  "send values outside the limits, for the kernel to judge")
        ->group("");
    set->footer("Example: sipalg set ports=5060,5061 sip-direct-media=yes sip-timeout=1h");

    bool json = false;
    auto *print = app.add_subcommand("print", "show the configuration");
    print->add_flag("-j,--json", json, "print JSON");

    auto *export_config = app.add_subcommand(
        "export", "print the configuration as a set line that import reads back");
    // Hidden: taken only to say why there is no JSON form.
    export_config->add_flag("-j,--json", json, "refused: use print -j")->group("");
    export_config->footer("Example: sipalg export > /etc/sipalg/sipalg.conf");

    std::string import_path;
    auto *import_config = app.add_subcommand(
        "import", "apply a file of set lines, all or nothing (needs CAP_NET_ADMIN)");
    import_config
        ->add_option("FILE", import_path,
                     "the file, - for standard input: set key=value... lines, as export "
                     "prints them; blank lines and # comments are skipped, a later line's key "
                     "overrides an earlier one's")
        ->type_name("")
        ->required();
    import_config->footer("Example: sipalg import /etc/sipalg/sipalg.conf");

    bool reset = false;
    auto *stats = app.add_subcommand("stats", "show the counters, or reset them");
    stats->add_flag("-j,--json", json, "print JSON");
    stats->add_flag("--reset", reset, "set every counter to zero (needs CAP_NET_ADMIN)");

    auto *connections = app.add_subcommand(
        "connections", "list the SIP connections the helper tracks and their pinholes");
    connections->add_flag("-j,--json", json, "print JSON (an array)");

    auto *monitor = app.add_subcommand("monitor", "print SIP events as they happen, until Ctrl-C");
    monitor->add_flag("-j,--json", json, "print one JSON object per line");

    TraceFilterWords trace_words;
    bool trace_full = false;
    auto *trace = app.add_subcommand(
        "trace", "print what the helper does to each SIP message, until Ctrl-C (needs "
                 "CAP_NET_ADMIN)");
    // Each flag may be repeated: its values are alternatives (OR), the
    // flags together must all match (AND).
    trace
        ->add_option("--address", trace_words.addresses,
                     "only connections with ADDR on either side of the NAT")
        ->type_name("ADDR")
        ->allow_extra_args(false);
    trace->add_option("--call-id", trace_words.call_ids, "only messages with this Call-ID")
        ->type_name("ID")
        ->allow_extra_args(false);
    trace
        ->add_option("--method", trace_words.methods,
                     "only requests of method M and responses to them (any case)")
        ->type_name("M")
        ->allow_extra_args(false);
    trace
        ->add_option("--status", trace_words.statuses,
                     "only responses with this status, or of this class (200, 4xx)")
        ->type_name("CODE|Nxx")
        ->allow_extra_args(false);
    trace->add_flag("--passed", trace_words.passed_only, "only messages passed unmodified");
    trace->add_flag("--full", trace_full, "also the whole message before and after");
    trace->add_flag("-j,--json", json, "print one JSON object per line");
    trace->footer("Example: sipalg trace --address 192.168.0.10 --method INVITE");

    std::vector<std::string> args(argv, argv + argc);
    std::string command;
    try {
        args = expand_command(args, command_names());
        std::vector<char *> pointers;
        for (auto &arg : args)
            pointers.push_back(arg.data());
        app.parse(static_cast<int>(pointers.size()), pointers.data());
    } catch (const CLI::ParseError &error) {
        if (error.get_exit_code() == 0)
            return app.exit(error); // --help, --version
        std::string where = app.get_subcommands().empty()
                                ? "sipalg"
                                : "sipalg " + app.get_subcommands().front()->get_name();
        std::cerr << "sipalg: " << error.what() << " (see " << where << " --help)\n";
        return 1;
    } catch (const UsageError &error) {
        std::cerr << "sipalg: " << error.what() << '\n';
        return 1;
    }

    try {
        if (set->parsed()) {
            command = "set";
            run_set(set_words, no_client_check);
        } else if (print->parsed()) {
            command = "print";
            run_print(json);
        } else if (export_config->parsed()) {
            command = "export";
            run_export(json);
        } else if (import_config->parsed()) {
            command = "import";
            run_import(import_path);
        } else if (stats->parsed()) {
            command = reset ? "stats --reset" : "stats";
            run_stats(json, reset);
        } else if (connections->parsed()) {
            command = "connections";
            run_connections(json);
        } else if (monitor->parsed()) {
            command = "monitor";
            run_monitor(json);
        } else if (trace->parsed()) {
            command = "trace";
            // Parse before connecting: a typo is reported even without
            // the module.
            run_trace({parse_trace_filter(trace_words), trace_full, json});
        } else {
            std::cout << app.help();
        }
    } catch (...) {
        return report(command, command == "set" || command == "import" ||
                                   command == "stats --reset" || command == "trace");
    }
    return 0;
}

} // namespace

} // namespace sipalg

int main(int argc, char **argv) {
    return sipalg::run(argc, argv);
}
