// The saved configuration: export text, and import of files of set lines
// with every error message.
#include "arguments.hpp"
#include "config_file.hpp"
#include "values.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <sys/socket.h>

using namespace sipalg;

// What a failed CHECK shows of a change: its keys as set words.
template <> struct Catch::StringMaker<ConfigChange> {
    static std::string convert(const ConfigChange &change) {
        std::string text = "{";
        if (change.ports)
            text += " ports=" + format_ports(*change.ports);
        if (change.sip_timeout)
            text += " sip-timeout=" + format_duration(*change.sip_timeout);
        if (change.direct_media)
            text += std::string(" sip-direct-media=") + format_bool(*change.direct_media);
        if (change.disabled)
            text += std::string(" disabled=") + format_bool(*change.disabled);
        if (change.pinholes_per_host)
            text += " pinholes-per-host=" + std::to_string(*change.pinholes_per_host);
        if (change.pinholes_per_conn)
            text += " pinholes-per-connection=" + std::to_string(*change.pinholes_per_conn);
        if (change.host_budgets)
            text += " pinholes-hosts=" + format_host_budgets(*change.host_budgets);
        if (change.registration_pinholes)
            text += std::string(" registration-pinholes=") +
                    format_registration_pinholes(*change.registration_pinholes);
        return text + " }";
    }
};

namespace {

// An expected change: ConfigChange{ports, sip_timeout, direct_media,
// disabled, pinholes_per_host, pinholes_per_conn, host_budgets,
// registration_pinholes}, `none` for a key not given.
using Ports = std::vector<std::uint16_t>;
constexpr auto none = std::nullopt;

Config make_config(Ports ports, bool direct_media, std::uint32_t sip_timeout, bool disabled,
                   std::optional<std::uint32_t> per_host = 96,
                   std::optional<std::uint32_t> per_conn = 48) {
    Config config;
    config.pinholes_per_host = per_host;
    config.pinholes_per_conn = per_conn;
    config.ports = std::move(ports);
    config.direct_media = direct_media;
    config.sip_timeout = sip_timeout;
    config.disabled = disabled;
    config.max_ports = 8;
    config.timeout_min = 10;
    config.timeout_max = 86400;
    return config;
}

Config with_hosts(Config config, std::vector<HostBudget> hosts) {
    config.host_budgets = std::move(hosts);
    return config;
}

Config with_registration_pinholes(Config config, RegistrationPinholes which) {
    config.registration_pinholes = which;
    return config;
}

// The message parse_import throws for `text` (named "sipalg.conf"), or ""
// if it accepts it.
std::string import_error(std::string_view text) {
    try {
        parse_import(text, "sipalg.conf");
    } catch (const UsageError &error) {
        return error.what();
    }
    return "";
}

const std::string allowed = "allowed keys: ports, sip-direct-media, sip-timeout, disabled, "
                            "pinholes-per-host, pinholes-per-connection, pinholes-hosts, "
                            "registration-pinholes";
const std::string comment = "# sipalg configuration (sipalg export)\n";

} // namespace

TEST_CASE("export: a comment, then one set line with every key", "[cli][config_file]") {
    CHECK(format_export(make_config({5060, 5061}, true, 3600, false)) ==
          comment + "set ports=5060,5061 sip-direct-media=yes sip-timeout=1h disabled=no "
                    "pinholes-per-host=96 pinholes-per-connection=48\n");
    CHECK(format_export(make_config({5070}, false, 10, true, 0, 0)) ==
          comment + "set ports=5070 sip-direct-media=no sip-timeout=10s disabled=yes "
                    "pinholes-per-host=0 pinholes-per-connection=0\n");
    CHECK(format_export(make_config({5062, 5060}, true, 5400, false, 2048, 104)) ==
          comment + "set ports=5062,5060 sip-direct-media=yes sip-timeout=1h30m disabled=no "
                    "pinholes-per-host=2048 pinholes-per-connection=104\n");
    Config hosts = make_config({5060}, true, 3600, false);
    hosts.host_budgets = {{AF_INET, {192, 168, 0, 20}, 2048}};
    CHECK(format_export(hosts) ==
          comment + "set ports=5060 sip-direct-media=yes sip-timeout=1h disabled=no "
                    "pinholes-per-host=96 pinholes-per-connection=48 "
                    "pinholes-hosts=192.168.0.20:2048\n");
    hosts.host_budgets->clear();
    CHECK(format_export(hosts).ends_with(" pinholes-hosts=none\n"));
    Config flow = make_config({5060}, true, 3600, false);
    flow.registration_pinholes = RegistrationPinholes::when_needed;
    CHECK(format_export(flow) ==
          comment + "set ports=5060 sip-direct-media=yes sip-timeout=1h disabled=no "
                    "pinholes-per-host=96 pinholes-per-connection=48 "
                    "registration-pinholes=when-needed\n");
    // A module without budgets: only what it has.
    CHECK(format_export(make_config({5060}, true, 3600, false, none, none)) ==
          comment + "set ports=5060 sip-direct-media=yes sip-timeout=1h disabled=no\n");
}

TEST_CASE("export: the set line names every key set takes, in order", "[cli][config_file]") {
    Config config = with_hosts(make_config({5060}, true, 3600, false), {});
    config.registration_pinholes = RegistrationPinholes::always;
    std::string text = format_export(config);
    REQUIRE(text.starts_with(comment + "set "));
    std::istringstream words(text.substr(comment.size() + 4));
    std::vector<std::string> keys;
    for (std::string word; words >> word;)
        keys.push_back(word.substr(0, word.find('=')));
    CHECK(keys == config_keys());
}

TEST_CASE("export then import: the same configuration", "[cli][config_file]") {
    for (const Config &config : {
             make_config({5060, 5061}, true, 3600, false),
             make_config({5070}, false, 10, true),
             make_config({1, 2, 3, 4, 5, 6, 7, 8}, true, 86400, false),
             make_config({65535, 1}, false, 5400, true),
             make_config({5062, 5060}, true, 86399, false),
             make_config({5060}, false, 61, false),
             make_config({5060}, false, 61, false, 0, 0),
             make_config({5060}, true, 3600, false, 1000000, 2),
             make_config({5060}, true, 3600, false, 4, 104),
             with_hosts(make_config({5060}, true, 3600, false), {}),
             with_hosts(
                 make_config({5060}, true, 3600, false),
                 {{AF_INET, {192, 168, 0, 20}, 2048},
                  {AF_INET6, {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20}, 0}}),
             with_registration_pinholes(make_config({5060}, true, 3600, false),
                                        RegistrationPinholes::always),
             with_registration_pinholes(make_config({5060}, true, 3600, false),
                                        RegistrationPinholes::when_needed),
         }) {
        std::string text = format_export(config);
        INFO(text);
        CHECK(parse_import(text, "saved.conf") ==
              ConfigChange{config.ports, config.sip_timeout, config.direct_media, config.disabled,
                           config.pinholes_per_host, config.pinholes_per_conn, config.host_budgets,
                           config.registration_pinholes});
    }
}

TEST_CASE("import: blank lines and comments are skipped", "[cli][config_file]") {
    CHECK(parse_import("# saved by hand\n"
                       "\n"
                       "   \t\n"
                       "  # indented comment\n"
                       "#set ports=1\n"
                       "set disabled=yes\n"
                       "\n",
                       "f") == ConfigChange{none, none, none, true, none, none, none, none});
}

TEST_CASE("import: blanks, tabs, CRLF, no final newline, the sipalg prefix", "[cli][config_file]") {
    CHECK(parse_import("  sipalg\tset  ports=5060,5061 \r\n"
                       "set\tsip-t=90s\r\n"
                       "sipalg set sip-direct-media=no",
                       "f") ==
          ConfigChange{Ports{5060, 5061}, 90, false, none, none, none, none, none});
}

TEST_CASE("import: a later line's key overrides an earlier one's", "[cli][config_file]") {
    CHECK(parse_import("set ports=5060 sip-timeout=1h disabled=yes\n"
                       "set ports=5070,5071\n"
                       "set sip-t=2h\n"
                       "set d=no\n",
                       "f") ==
          ConfigChange{Ports{5070, 5071}, 7200, none, false, none, none, none, none});

    // Two exports in one file: the second wins whole.
    CHECK(parse_import(format_export(make_config({5060}, true, 3600, false)) +
                           format_export(make_config({5080}, false, 600, true)),
                       "f") == ConfigChange{Ports{5080}, 600, false, true, 96, 48, none, none});
}

TEST_CASE("import: a file without set lines changes nothing", "[cli][config_file]") {
    for (const char *text : {"", "\n", "# nothing yet\n", "\n  \n# a\n\t# b\n"}) {
        INFO(text);
        CHECK(import_error(text) == "");
        CHECK(parse_import(text, "f").empty());
    }
}

TEST_CASE("import: set's errors, prefixed with file and line", "[cli][config_file]") {
    CHECK(import_error("# saved\n\nset ports=5060 bogus=1\n") ==
          "sipalg.conf:3: unknown key 'bogus'; " + allowed);
    CHECK(import_error("set sip-timeout=5s\n") ==
          "sipalg.conf:1: bad value '5s' for sip-timeout: want a duration from 10s to 1d, e.g. "
          "3600, 90s, 30m, 1h30m");
    CHECK(import_error("set ports=5060\nset ports=5060,5060\n") ==
          "sipalg.conf:2: bad value '5060,5060' for ports: want 1 to 8 distinct values in "
          "1..65535, separated by commas");
    CHECK(import_error("set disabled=maybe") ==
          "sipalg.conf:1: bad value 'maybe' for disabled: want yes or no");
    CHECK(import_error("set sip=1\n") ==
          "sipalg.conf:1: key 'sip' is ambiguous: sip-direct-media, sip-timeout");
    CHECK(import_error("set ports 5060\n") ==
          "sipalg.conf:1: 'ports' is not key=value; " + allowed);
    CHECK(import_error("set\n") == "sipalg.conf:1: set needs at least one key=value; " + allowed);
    CHECK(import_error("sipalg set\n") ==
          "sipalg.conf:1: set needs at least one key=value; " + allowed);
    // The limits always hold: import has no --no-client-check.
    CHECK(import_error("set sip-timeout=5\n") ==
          "sipalg.conf:1: bad value '5' for sip-timeout: want a duration from 10s to 1d, e.g. "
          "3600, 90s, 30m, 1h30m");
    CHECK(import_error("set --no-client-check sip-timeout=5\n") ==
          "sipalg.conf:1: '--no-client-check' is not key=value; " + allowed);
}

TEST_CASE("import: a key twice in one line is an error, as in set", "[cli][config_file]") {
    CHECK(import_error("set ports=5060 ports=5061\n") == "sipalg.conf:1: key 'ports' given twice");
    CHECK(import_error("set sip-timeout=1h sip-t=2h\n") ==
          "sipalg.conf:1: key 'sip-timeout' given twice");
}

TEST_CASE("import: only set lines", "[cli][config_file]") {
    CHECK(import_error("# x\nprint\n") ==
          "sipalg.conf:2: command 'print' cannot be imported; allowed: set");
    CHECK(import_error("sipalg print -j\n") ==
          "sipalg.conf:1: command 'print' cannot be imported; allowed: set");
    CHECK(import_error("import other.conf\n") ==
          "sipalg.conf:1: command 'import' cannot be imported; allowed: set");
    // Files are exact: no abbreviated or capitalised command.
    CHECK(import_error("se ports=5060\n") ==
          "sipalg.conf:1: command 'se' cannot be imported; allowed: set");
    CHECK(import_error("SET ports=5060\n") ==
          "sipalg.conf:1: command 'SET' cannot be imported; allowed: set");
    CHECK(import_error("ports=5060\n") ==
          "sipalg.conf:1: command 'ports=5060' cannot be imported; allowed: set");
    CHECK(import_error("sipalg\n") == "sipalg.conf:1: sipalg without a command; allowed: set");
    // Comments take whole lines: a '#' after a word is a word.
    CHECK(import_error("set disabled=yes # off for now\n") ==
          "sipalg.conf:1: '#' is not key=value; " + allowed);
}

TEST_CASE("import: the first bad line is reported, counting every line", "[cli][config_file]") {
    CHECK(import_error("set ports=5060\r\n# c\r\n\r\nset ports=0\nset bogus=1\n") ==
          "sipalg.conf:4: bad value '0' for ports: want 1 to 8 distinct values in 1..65535, "
          "separated by commas");
    // A good line after a bad one does not rescue it.
    CHECK(import_error("set disabled=2\nset disabled=no\n") ==
          "sipalg.conf:1: bad value '2' for disabled: want yes or no");
    // The last line counts without its newline.
    CHECK(import_error("set ports=5060\n\nset disabled=2") ==
          "sipalg.conf:3: bad value '2' for disabled: want yes or no");
    CHECK_THROWS_WITH(parse_import("print\n", "stdin"),
                      "stdin:1: command 'print' cannot be imported; allowed: set");
}
