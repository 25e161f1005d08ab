#include "config_file.hpp"

#include "arguments.hpp"
#include "values.hpp"

#include <algorithm>
#include <vector>

namespace sipalg {

namespace {

std::vector<std::string> split_words(std::string_view line) {
    constexpr std::string_view blanks = " \t\r\v\f";
    std::vector<std::string> words;
    while (true) {
        auto start = line.find_first_not_of(blanks);
        if (start == std::string_view::npos)
            return words;
        line.remove_prefix(start);
        auto end = std::min(line.find_first_of(blanks), line.size());
        words.emplace_back(line.substr(0, end));
        line.remove_prefix(end);
    }
}

// The change of one non-comment line: "[sipalg] set key=value...".
ConfigChange parse_line(const std::vector<std::string> &words) {
    std::size_t command = words.front() == "sipalg" ? 1 : 0;
    if (command == words.size())
        throw UsageError("sipalg without a command; allowed: set");
    if (words[command] != "set")
        throw UsageError("command '" + words[command] + "' cannot be imported; allowed: set");
    return parse_set_words({words.begin() + command + 1, words.end()}, LimitCheck::enforce);
}

void merge(ConfigChange &into, const ConfigChange &later) {
    if (later.ports)
        into.ports = later.ports;
    if (later.sip_timeout)
        into.sip_timeout = later.sip_timeout;
    if (later.direct_media)
        into.direct_media = later.direct_media;
    if (later.disabled)
        into.disabled = later.disabled;
    if (later.pinholes_per_host)
        into.pinholes_per_host = later.pinholes_per_host;
    if (later.pinholes_per_conn)
        into.pinholes_per_conn = later.pinholes_per_conn;
    if (later.host_budgets)
        into.host_budgets = later.host_budgets;
    if (later.registration_pinholes)
        into.registration_pinholes = later.registration_pinholes;
}

} // namespace

std::string format_export(const Config &config) {
    std::string budgets;
    if (config.pinholes_per_host)
        budgets += " pinholes-per-host=" + std::to_string(*config.pinholes_per_host);
    if (config.pinholes_per_conn)
        budgets += " pinholes-per-connection=" + std::to_string(*config.pinholes_per_conn);
    if (config.host_budgets)
        budgets += " pinholes-hosts=" + format_host_budgets(*config.host_budgets);
    if (config.registration_pinholes)
        budgets += std::string(" registration-pinholes=") +
                   format_registration_pinholes(*config.registration_pinholes);
    return "# sipalg configuration (sipalg export)\n"
           "set ports=" +
           format_ports(config.ports) + " sip-direct-media=" + format_bool(config.direct_media) +
           " sip-timeout=" + format_duration(config.sip_timeout) +
           " disabled=" + format_bool(config.disabled) + budgets + "\n";
}

ConfigChange parse_import(std::string_view text, std::string_view name) {
    ConfigChange change;
    std::size_t line_number = 0;
    while (!text.empty()) {
        auto end = std::min(text.find('\n'), text.size());
        std::string_view line = text.substr(0, end);
        text.remove_prefix(std::min(end + 1, text.size()));
        ++line_number;

        auto words = split_words(line);
        if (words.empty() || words.front().starts_with('#'))
            continue;
        try {
            merge(change, parse_line(words));
        } catch (const UsageError &error) {
            throw UsageError(std::string(name) + ":" + std::to_string(line_number) + ": " +
                             error.what());
        }
    }
    return change;
}

} // namespace sipalg
