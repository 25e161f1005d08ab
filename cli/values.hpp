// Parsing and formatting of configuration values: durations, booleans and
// port lists. Pure functions: no I/O, no netlink; they return nullopt on
// text they do not accept and leave the wording of errors to the caller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model.hpp"

namespace sipalg {

// "3600", "90s", "30m", "1h", "1h30m", "1d", "1d2h3m4s": plain seconds, or
// one or more <number><unit> with units d, h, m, s in that order, each at
// most once. Results above UINT32_MAX are refused.
std::optional<std::uint32_t> parse_duration(std::string_view text);

// The shortest form parse_duration reads back: 3600 -> "1h", 5400 ->
// "1h30m", 45 -> "45s", 0 -> "0s".
std::string format_duration(std::uint32_t seconds);

// "yes"/"true" and "no"/"false" (RouterOS says yes/no; true/false are
// accepted because scripts write them). Nothing else, no numbers, to keep
// "set disabled=0" from meaning something surprising.
std::optional<bool> parse_bool(std::string_view text);
inline const char *format_bool(bool value) {
    return value ? "yes" : "no";
}

// "5060,5061": decimal ports separated by commas, without checking count,
// range or duplicates (see ports_valid). Empty items are refused.
std::optional<std::vector<std::uint32_t>> parse_port_numbers(std::string_view text);

// The kernel's rule: 1..max_ports distinct values in 1..65535.
bool ports_valid(const std::vector<std::uint32_t> &ports, std::size_t max_ports);

std::string format_ports(const std::vector<std::uint16_t> &ports);

// "96": a plain decimal number that fits 32 bits; nothing else.
std::optional<std::uint32_t> parse_count(std::string_view text);

// "192.168.0.20:2048,[2001:db8:1::20]:0": hosts and their pinhole budgets,
// separated by commas (IPv6 in brackets), or "none". Checks the syntax
// only (see host_budgets_valid).
std::optional<std::vector<HostBudget>> parse_host_budgets(std::string_view text);
std::string format_host_budgets(const std::vector<HostBudget> &budgets);
// The kernel's rule: at most max hosts, distinct, each 0 or min..max_pinholes.
bool host_budgets_valid(const std::vector<HostBudget> &budgets, std::size_t max,
                        std::uint32_t min_pinholes, std::uint32_t max_pinholes);
// "always" or "when-needed", the two values of registration-pinholes.
std::optional<RegistrationPinholes> parse_registration_pinholes(std::string_view text);
const char *format_registration_pinholes(RegistrationPinholes value);

// "192.168.0.10", "2001:db8::10" or "[2001:db8::10]".
std::optional<Address> parse_address(std::string_view text);

// An address as text (IPv6 without brackets).
std::string address_string(int family, const std::vector<std::uint8_t> &address);

} // namespace sipalg
