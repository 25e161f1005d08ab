// The value forms of `sipalg set`: durations, booleans, port lists.
#include "values.hpp"

#include <catch2/catch.hpp>

using namespace sipalg;

TEST_CASE("durations: every accepted form", "[cli][values]") {
    CHECK(parse_duration("3600") == 3600u);
    CHECK(parse_duration("0") == 0u);
    CHECK(parse_duration("90s") == 90u);
    CHECK(parse_duration("30m") == 1800u);
    CHECK(parse_duration("1h") == 3600u);
    CHECK(parse_duration("1h30m") == 5400u);
    CHECK(parse_duration("1d") == 86400u);
    CHECK(parse_duration("1d2h3m4s") == 93784u);
    CHECK(parse_duration("2h5s") == 7205u);
    CHECK(parse_duration("90m") == 5400u); // no carry limits: 90m is fine
    CHECK(parse_duration("4294967295") == 4294967295u);
}

TEST_CASE("durations: refused forms", "[cli][values]") {
    for (const char *text :
         {"", "h", "1x", "1h30", "30m1h", "1h1h", "1s1m", "-5", "+5", " 5", "5 ", "1.5h", "1H",
          "4294967296", "49711d", "99999999999999999999s", "1h,", "s1"}) {
        INFO(text);
        CHECK_FALSE(parse_duration(text));
    }
}

TEST_CASE("durations: formatted back in the shortest form", "[cli][values]") {
    CHECK(format_duration(3600) == "1h");
    CHECK(format_duration(5400) == "1h30m");
    CHECK(format_duration(45) == "45s");
    CHECK(format_duration(0) == "0s");
    CHECK(format_duration(86400) == "1d");
    CHECK(format_duration(90061) == "1d1h1m1s");
    CHECK(format_duration(3599) == "59m59s");
    CHECK(format_duration(172800 + 5) == "2d5s");
    for (std::uint32_t seconds : {0u, 1u, 59u, 60u, 61u, 3600u, 86399u, 86400u, 4294967295u})
        CHECK(parse_duration(format_duration(seconds)) == seconds);
}

TEST_CASE("booleans: yes/no and true/false only", "[cli][values]") {
    CHECK(parse_bool("yes") == true);
    CHECK(parse_bool("true") == true);
    CHECK(parse_bool("no") == false);
    CHECK(parse_bool("false") == false);
    for (const char *text : {"", "1", "0", "Yes", "YES", "y", "n", "on", "off", "yess"}) {
        INFO(text);
        CHECK_FALSE(parse_bool(text));
    }
    CHECK(std::string(format_bool(true)) == "yes");
    CHECK(std::string(format_bool(false)) == "no");
}

TEST_CASE("ports: parsing the list", "[cli][values]") {
    CHECK(parse_port_numbers("5060") == std::vector<std::uint32_t>{5060});
    CHECK(parse_port_numbers("5060,5061") == std::vector<std::uint32_t>{5060, 5061});
    CHECK(parse_port_numbers("0") == std::vector<std::uint32_t>{0}); // range is ports_valid's
    for (const char *text : {"", ",", "5060,", ",5060", "5060,,5061", "5060 5061", "5060;5061",
                             "sip", "-1", "5060-5070", "99999999999"}) {
        INFO(text);
        CHECK_FALSE(parse_port_numbers(text));
    }
}

TEST_CASE("ports: the kernel's rule", "[cli][values]") {
    using Ports = std::vector<std::uint32_t>;
    CHECK(ports_valid(Ports{5060}, 8));
    CHECK(ports_valid(Ports{1, 65535}, 8));
    CHECK(ports_valid(Ports{1, 2, 3, 4, 5, 6, 7, 8}, 8));
    CHECK_FALSE(ports_valid(Ports{}, 8));
    CHECK_FALSE(ports_valid(Ports{0}, 8));
    CHECK_FALSE(ports_valid(Ports{65536}, 8));
    CHECK_FALSE(ports_valid(Ports{5060, 5060}, 8));
    CHECK_FALSE(ports_valid(Ports{1, 2, 3, 4, 5, 6, 7, 8, 9}, 8));
    CHECK(format_ports({5060, 5061}) == "5060,5061");
    CHECK(format_ports({5060}) == "5060");
}
