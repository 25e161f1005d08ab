#include "values.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <set>
#include <sys/socket.h>

namespace sipalg {

namespace {

// Reads the decimal digits at the front of text; nullopt if there are none
// or the number does not fit 64 bits.
std::optional<std::uint64_t> take_number(std::string_view &text) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        ++digits;
    if (digits == 0)
        return std::nullopt;
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + digits, value);
    if (error != std::errc{} || end != text.data() + digits)
        return std::nullopt;
    text.remove_prefix(digits);
    return value;
}

struct Unit {
    char letter;
    std::uint64_t seconds;
};
constexpr Unit units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

} // namespace

std::optional<std::uint32_t> parse_duration(std::string_view text) {
    if (text.empty())
        return std::nullopt;
    std::uint64_t total = 0;
    std::size_t next_unit = 0; // units must come in descending order
    bool plain = true;
    while (!text.empty()) {
        auto number = take_number(text);
        if (!number)
            return std::nullopt;
        if (text.empty()) {
            // A bare number is seconds, but only alone: "1h30" is a typo
            // for 1h30m as likely as for 1h30s, so refuse it.
            if (!plain)
                return std::nullopt;
            total = *number;
            break;
        }
        plain = false;
        std::size_t unit = next_unit;
        while (unit < std::size(units) && units[unit].letter != text.front())
            ++unit;
        if (unit == std::size(units))
            return std::nullopt;
        if (*number > UINT32_MAX)
            return std::nullopt;
        total += *number * units[unit].seconds;
        if (total > UINT32_MAX)
            return std::nullopt;
        text.remove_prefix(1);
        next_unit = unit + 1;
    }
    if (total > UINT32_MAX)
        return std::nullopt;
    return static_cast<std::uint32_t>(total);
}

std::string format_duration(std::uint32_t seconds) {
    if (seconds == 0)
        return "0s";
    std::string text;
    std::uint64_t left = seconds;
    for (const Unit &unit : units) {
        if (left >= unit.seconds) {
            text += std::to_string(left / unit.seconds);
            text += unit.letter;
            left %= unit.seconds;
        }
    }
    return text;
}

std::optional<bool> parse_bool(std::string_view text) {
    if (text == "yes" || text == "true")
        return true;
    if (text == "no" || text == "false")
        return false;
    return std::nullopt;
}

std::optional<std::vector<std::uint32_t>> parse_port_numbers(std::string_view text) {
    std::vector<std::uint32_t> ports;
    while (true) {
        auto number = take_number(text);
        if (!number || *number > UINT32_MAX)
            return std::nullopt;
        ports.push_back(static_cast<std::uint32_t>(*number));
        if (text.empty())
            return ports;
        if (text.front() != ',')
            return std::nullopt;
        text.remove_prefix(1);
    }
}

bool ports_valid(const std::vector<std::uint32_t> &ports, std::size_t max_ports) {
    if (ports.empty() || ports.size() > max_ports)
        return false;
    if (std::any_of(ports.begin(), ports.end(), [](auto p) { return p < 1 || p > 65535; }))
        return false;
    return std::set<std::uint32_t>(ports.begin(), ports.end()).size() == ports.size();
}

std::optional<std::uint32_t> parse_count(std::string_view text) {
    auto number = take_number(text);
    if (!number || !text.empty() || *number > UINT32_MAX)
        return std::nullopt;
    return static_cast<std::uint32_t>(*number);
}

std::optional<std::vector<HostBudget>> parse_host_budgets(std::string_view text) {
    std::vector<HostBudget> budgets;
    if (text == "none")
        return budgets;
    while (true) {
        auto comma = std::min(text.find(','), text.size());
        std::string_view item = text.substr(0, comma);
        std::string_view host, count;
        HostBudget budget;
        if (item.starts_with('[')) {
            auto close = item.find("]:");
            if (close == std::string_view::npos)
                return std::nullopt;
            host = item.substr(1, close - 1);
            count = item.substr(close + 2);
            budget.family = AF_INET6;
        } else {
            auto colon = item.rfind(':');
            if (colon == std::string_view::npos)
                return std::nullopt;
            host = item.substr(0, colon);
            count = item.substr(colon + 1);
            budget.family = AF_INET;
        }
        budget.address.resize(budget.family == AF_INET6 ? 16 : 4);
        std::string host_text(host);
        auto pinholes = parse_count(count);
        if (!pinholes || inet_pton(budget.family, host_text.c_str(), budget.address.data()) != 1)
            return std::nullopt;
        budget.pinholes = *pinholes;
        budgets.push_back(std::move(budget));
        if (comma == text.size())
            return budgets;
        text.remove_prefix(comma + 1);
    }
}

std::optional<Address> parse_address(std::string_view text) {
    if (text.size() > 2 && text.front() == '[' && text.back() == ']')
        text = text.substr(1, text.size() - 2);
    std::string host(text);
    for (int family : {AF_INET, AF_INET6}) {
        Address address{family, std::vector<std::uint8_t>(family == AF_INET6 ? 16 : 4)};
        if (inet_pton(family, host.c_str(), address.address.data()) == 1)
            return address;
    }
    return std::nullopt;
}

std::string address_string(int family, const std::vector<std::uint8_t> &address) {
    char text[INET6_ADDRSTRLEN] = "?";
    if (address.size() == (family == AF_INET6 ? 16u : 4u))
        inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, address.data(), text, sizeof(text));
    return text;
}

std::string format_host_budgets(const std::vector<HostBudget> &budgets) {
    if (budgets.empty())
        return "none";
    std::string text;
    for (const auto &budget : budgets) {
        if (!text.empty())
            text += ',';
        std::string host = address_string(budget.family, budget.address);
        text += (budget.family == AF_INET6 ? "[" + host + "]" : host) + ":" +
                std::to_string(budget.pinholes);
    }
    return text;
}

bool host_budgets_valid(const std::vector<HostBudget> &budgets, std::size_t max,
                        std::uint32_t min_pinholes, std::uint32_t max_pinholes) {
    if (budgets.size() > max)
        return false;
    for (std::size_t i = 0; i < budgets.size(); ++i) {
        const auto &b = budgets[i];
        if (b.pinholes && (b.pinholes < min_pinholes || b.pinholes > max_pinholes))
            return false;
        for (std::size_t j = 0; j < i; ++j)
            if (budgets[j].family == b.family && budgets[j].address == b.address)
                return false;
    }
    return true;
}

std::string format_ports(const std::vector<std::uint16_t> &ports) {
    std::string text;
    for (auto port : ports) {
        if (!text.empty())
            text += ',';
        text += std::to_string(port);
    }
    return text;
}

std::optional<RegistrationPinholes> parse_registration_pinholes(std::string_view text) {
    if (text == "always")
        return RegistrationPinholes::always;
    if (text == "when-needed")
        return RegistrationPinholes::when_needed;
    return std::nullopt;
}

const char *format_registration_pinholes(RegistrationPinholes value) {
    return value == RegistrationPinholes::always ? "always" : "when-needed";
}

} // namespace sipalg
