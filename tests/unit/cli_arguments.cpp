// Command and key abbreviations, and `set` words with every error message.
#include "arguments.hpp"
#include "values.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>

using namespace sipalg;

namespace {

// The program's own list, so that a new command is tested against the others.
const std::vector<std::string> &commands = command_names();

// The message parse_set_words throws for `words`, or "" if it accepts them.
std::string set_error(const std::vector<std::string> &words) {
    try {
        parse_set_words(words);
    } catch (const UsageError &error) {
        return error.what();
    }
    return "";
}

std::string command_error(const std::string &word) {
    try {
        resolve_abbreviation(word, commands, "command");
    } catch (const UsageError &error) {
        return error.what();
    }
    return "";
}

const std::string allowed = "allowed keys: ports, sip-direct-media, sip-timeout, disabled, "
                            "pinholes-per-host, pinholes-per-connection, pinholes-hosts, "
                            "registration-pinholes";
const std::string want_ports = "want 1 to 8 distinct values in 1..65535, separated by commas";
const std::string want_timeout = "want a duration from 10s to 1d, e.g. 3600, 90s, 30m, 1h30m";

} // namespace

TEST_CASE("commands: full names and unambiguous abbreviations", "[cli][arguments]") {
    for (auto [word, name] : std::vector<std::pair<std::string, std::string>>{
             {"print", "print"},
             {"pr", "print"},
             {"p", "print"},
             {"se", "set"},
             {"st", "stats"},
             {"c", "connections"},
             {"mon", "monitor"},
             {"tr", "trace"},
             {"e", "export"},
             {"ex", "export"},
             {"export", "export"},
             {"i", "import"},
             {"imp", "import"},
             {"import", "import"},
         }) {
        INFO(word);
        CHECK(resolve_abbreviation(word, commands, "command") == name);
    }
    // An exact name wins over being the prefix of a longer one.
    CHECK(resolve_abbreviation("ab", {"ab", "abc"}, "command") == "ab");
}

TEST_CASE("commands: ambiguous and unknown", "[cli][arguments]") {
    CHECK(command_error("s") == "command 's' is ambiguous: set, stats");
    CHECK(command_error("foo") == "unknown command 'foo'; commands: set, print, export, import, "
                                  "stats, connections, monitor, trace");
    CHECK(command_error("printx") == "unknown command 'printx'; commands: set, print, export, "
                                     "import, stats, connections, monitor, trace");
    CHECK(command_error("") == "unknown command ''; commands: set, print, export, import, stats, "
                               "connections, monitor, trace");
}

TEST_CASE("commands: expanded in argv, options before it left alone", "[cli][arguments]") {
    using Args = std::vector<std::string>;
    CHECK(expand_command(Args{"sipalg", "pr", "-j"}, commands) == Args{"sipalg", "print", "-j"});
    CHECK(expand_command(Args{"sipalg", "-V"}, commands) == Args{"sipalg", "-V"});
    CHECK(expand_command(Args{"sipalg", "--help", "c"}, commands) ==
          Args{"sipalg", "--help", "connections"});
    // Only the command is expanded, never the words after it.
    CHECK(expand_command(Args{"sipalg", "se", "p=5060"}, commands) ==
          Args{"sipalg", "set", "p=5060"});
    CHECK(expand_command(Args{"sipalg"}, commands) == Args{"sipalg"});
    CHECK(expand_command(Args{"sipalg", "im", "-"}, commands) == Args{"sipalg", "import", "-"});
    CHECK_THROWS_AS(expand_command(Args{"sipalg", "s"}, commands), UsageError);
}

TEST_CASE("set: every key, full and abbreviated", "[cli][arguments]") {
    ConfigChange change = parse_set_words(
        {"ports=5060,5061", "sip-direct-media=yes", "sip-timeout=1h", "disabled=no"});
    CHECK(change.ports == std::vector<std::uint16_t>{5060, 5061});
    CHECK(change.direct_media == true);
    CHECK(change.sip_timeout == 3600u);
    CHECK(change.disabled == false);

    change = parse_set_words({"disabled=yes"});
    CHECK(change.disabled == true);
    CHECK_FALSE(change.ports);
    CHECK_FALSE(change.sip_timeout);
    CHECK_FALSE(change.direct_media);
    CHECK_FALSE(change.empty());

    change = parse_set_words({"po=5070", "sip-d=no", "sip-t=90s", "d=true"});
    CHECK(change.ports == std::vector<std::uint16_t>{5070});
    CHECK(change.direct_media == false);
    CHECK(change.sip_timeout == 90u);
    CHECK(change.disabled == true);

    change = parse_set_words({"pinholes-per-host=2048", "pinholes-per-c=104"});
    CHECK(change.pinholes_per_host == 2048u);
    CHECK(change.pinholes_per_conn == 104u);
    CHECK_FALSE(change.ports);
    change = parse_set_words({"pinholes-per-h=0", "pinholes-per-connection=0"});
    CHECK(change.pinholes_per_host == 0u);
    CHECK(change.pinholes_per_conn == 0u);
}

TEST_CASE("set: the budgets are 0 (no limit) or within the kernel's range", "[cli][arguments]") {
    CHECK(parse_set_words({"pinholes-per-host=4"}).pinholes_per_host == 4u);
    CHECK(parse_set_words({"pinholes-per-host=1000000"}).pinholes_per_host == 1000000u);
    CHECK(parse_set_words({"pinholes-per-connection=2"}).pinholes_per_conn == 2u);
    for (const char *value : {"1", "3", "1000001", "", "-1", "96k", "4294967296", "off"}) {
        INFO(value);
        CHECK(set_error({std::string("pinholes-per-host=") + value}) ==
              "bad value '" + std::string(value) +
                  "' for pinholes-per-host: want 0 (no limit) or a number from 4 to 1000000");
    }
    for (const char *value : {"1", "105", "x"}) {
        INFO(value);
        CHECK(set_error({std::string("pinholes-per-connection=") + value}) ==
              "bad value '" + std::string(value) +
                  "' for pinholes-per-connection: want 0 (no limit) or a number from 2 to 104");
    }
    // The kernel's own check can be reached.
    CHECK(parse_set_words({"pinholes-per-host=1"}, LimitCheck::skip).pinholes_per_host == 1u);
    CHECK(set_error({"pinholes=1"}) ==
          "key 'pinholes' is ambiguous: pinholes-per-host, pinholes-per-connection, "
          "pinholes-hosts");
}

TEST_CASE("set: hosts with a budget of their own", "[cli][arguments]") {
    ConfigChange change = parse_set_words({"pinholes-hosts=192.168.0.20:2048,[2001:db8:1::20]:0"});
    REQUIRE(change.host_budgets);
    REQUIRE(change.host_budgets->size() == 2);
    CHECK((*change.host_budgets)[0] ==
          HostBudget{AF_INET, std::vector<std::uint8_t>{192, 168, 0, 20}, 2048});
    CHECK((*change.host_budgets)[1].family == AF_INET6);
    CHECK((*change.host_budgets)[1].address.size() == 16);
    CHECK((*change.host_budgets)[1].pinholes == 0u);
    CHECK(format_host_budgets(*change.host_budgets) == "192.168.0.20:2048,[2001:db8:1::20]:0");
    change = parse_set_words({"pinholes-h=none"});
    REQUIRE(change.host_budgets);
    CHECK(change.host_budgets->empty());
    CHECK(format_host_budgets({}) == "none");
    const std::string want = "want none, or up to 8 distinct ADDRESS:N ([IPv6]:N), N 0 (no limit) "
                             "or 4 to 1000000, separated by commas";
    for (const char *value :
         {"", "192.168.0.20", "192.168.0.20:", "192.168.0.20:3", "192.168.0.20:1000001", "host:8",
          "2001:db8::1:8", "[2001:db8::1]8", "1.2.3.4:8,1.2.3.4:9", "1.2.3.4:8,",
          "1.1.1.1:0,1.1.1.2:0,1.1.1.3:0,1.1.1.4:0,1.1.1.5:0,1.1.1.6:0,1.1.1.7:0,1.1.1.8:0,"
          "1.1.1.9:0"}) {
        INFO(value);
        CHECK(set_error({std::string("pinholes-hosts=") + value}) ==
              "bad value '" + std::string(value) + "' for pinholes-hosts: " + want);
    }
    // The kernel's own check can be reached: only the syntax is checked.
    CHECK(parse_set_words({"pinholes-hosts=1.2.3.4:3"}, LimitCheck::skip).host_budgets->size() ==
          1);
}

TEST_CASE("set: which registrations get a pinhole", "[cli][arguments]") {
    CHECK(parse_set_words({"registration-pinholes=when-needed"}).registration_pinholes ==
          RegistrationPinholes::when_needed);
    CHECK(parse_set_words({"r=always"}).registration_pinholes == RegistrationPinholes::always);
    CHECK(format_registration_pinholes(RegistrationPinholes::always) == std::string("always"));
    CHECK(format_registration_pinholes(RegistrationPinholes::when_needed) ==
          std::string("when-needed"));
    for (const char *value : {"", "yes", "no", "1", "Always", "when_needed", "when-needed "}) {
        INFO(value);
        CHECK(set_error({std::string("registration-pinholes=") + value}) ==
              "bad value '" + std::string(value) +
                  "' for registration-pinholes: want always or when-needed");
    }
}

TEST_CASE("set: limits are the kernel's", "[cli][arguments]") {
    CHECK(parse_set_words({"sip-timeout=10"}).sip_timeout == 10u);
    CHECK(parse_set_words({"sip-timeout=1d"}).sip_timeout == 86400u);
    CHECK(parse_set_words({"ports=1,2,3,4,5,6,7,8"}).ports->size() == 8);
    CHECK(parse_set_words({"ports=65535"}).ports == std::vector<std::uint16_t>{65535});
}

TEST_CASE("set: word and key errors", "[cli][arguments]") {
    CHECK(set_error({}) == "set needs at least one key=value; " + allowed);
    CHECK(set_error({"ports"}) == "'ports' is not key=value; " + allowed);
    CHECK(set_error({"bogus=1"}) == "unknown key 'bogus'; " + allowed);
    CHECK(set_error({"=5060"}) == "unknown key ''; " + allowed);
    CHECK(set_error({"sip=1"}) == "key 'sip' is ambiguous: sip-direct-media, sip-timeout");
    CHECK(set_error({"ports=5060", "ports=5061"}) == "key 'ports' given twice");
    CHECK(set_error({"ports=5060", "po=5061"}) == "key 'ports' given twice");
    CHECK(set_error({"p=5061"}) ==
          "key 'p' is ambiguous: ports, pinholes-per-host, pinholes-per-connection, "
          "pinholes-hosts");
}

TEST_CASE("set: value errors name the value and what is allowed", "[cli][arguments]") {
    for (const char *ports : {"", "0", "65536", "5060,5060", "1,2,3,4,5,6,7,8,9", "sip", "5060,"}) {
        INFO(ports);
        CHECK(set_error({std::string("ports=") + ports}) ==
              "bad value '" + std::string(ports) + "' for ports: " + want_ports);
    }
    for (const char *timeout : {"", "5", "9s", "1d1s", "86401", "2d", "1x", "forever"}) {
        INFO(timeout);
        CHECK(set_error({std::string("sip-timeout=") + timeout}) ==
              "bad value '" + std::string(timeout) + "' for sip-timeout: " + want_timeout);
    }
    CHECK(set_error({"sip-direct-media=maybe"}) ==
          "bad value 'maybe' for sip-direct-media: want yes or no");
    CHECK(set_error({"disabled=1"}) == "bad value '1' for disabled: want yes or no");
    CHECK(set_error({"disabled="}) == "bad value '' for disabled: want yes or no");
    // The first bad word is reported, whatever follows.
    CHECK(set_error({"ports=5060", "disabled=2", "bogus=1"}) ==
          "bad value '2' for disabled: want yes or no");
}

TEST_CASE("set: --no-client-check leaves the limits to the kernel", "[cli][arguments]") {
    ConfigChange change =
        parse_set_words({"ports=0,5060,5060", "sip-timeout=5", "disabled=no"}, LimitCheck::skip);
    CHECK(change.ports == std::vector<std::uint16_t>{0, 5060, 5060});
    CHECK(change.sip_timeout == 5u);
    CHECK(parse_set_words({"ports=1,2,3,4,5,6,7,8,9"}, LimitCheck::skip).ports->size() == 9);
    CHECK(parse_set_words({"sip-timeout=2d"}, LimitCheck::skip).sip_timeout == 172800u);
    // What cannot be encoded is still refused, with the usual message.
    CHECK_THROWS_WITH(parse_set_words({"ports=65536"}, LimitCheck::skip),
                      "bad value '65536' for ports: " + want_ports);
    CHECK_THROWS_WITH(parse_set_words({"ports="}, LimitCheck::skip),
                      "bad value '' for ports: " + want_ports);
    CHECK_THROWS_WITH(parse_set_words({"sip-timeout=1x"}, LimitCheck::skip),
                      "bad value '1x' for sip-timeout: " + want_timeout);
    CHECK_THROWS_WITH(parse_set_words({"disabled=2"}, LimitCheck::skip),
                      "bad value '2' for disabled: want yes or no");
}

TEST_CASE("set: the value may contain '='", "[cli][arguments]") {
    CHECK(set_error({"disabled=yes=no"}) == "bad value 'yes=no' for disabled: want yes or no");
}
