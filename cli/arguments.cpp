#include "arguments.hpp"

#include "values.hpp"

#include <sipalg/uapi.h>

namespace sipalg {

namespace {

std::string join(const std::vector<std::string> &items, std::string_view separator) {
    std::string text;
    for (const auto &item : items) {
        if (!text.empty())
            text += separator;
        text += item;
    }
    return text;
}

std::string allowed_keys() {
    return "allowed keys: " + join(config_keys(), ", ");
}

} // namespace

std::string bad_value(std::string_view value, std::string_view key, std::string_view want) {
    return "bad value '" + std::string(value) + "' for " + std::string(key) + ": want " +
           std::string(want);
}

std::string resolve_abbreviation(std::string_view word, const std::vector<std::string> &names,
                                 std::string_view what) {
    std::vector<std::string> candidates;
    for (const auto &name : names) {
        if (name == word)
            return name;
        if (!word.empty() && name.starts_with(word))
            candidates.push_back(name);
    }
    if (candidates.size() == 1)
        return candidates.front();
    if (candidates.empty())
        throw UsageError("unknown " + std::string(what) + " '" + std::string(word) + "'; " +
                         std::string(what) + "s: " + join(names, ", "));
    throw UsageError(std::string(what) + " '" + std::string(word) +
                     "' is ambiguous: " + join(candidates, ", "));
}

const std::vector<std::string> &command_names() {
    static const std::vector<std::string> names = {"set",   "print",       "export",  "import",
                                                   "stats", "connections", "monitor", "trace"};
    return names;
}

std::vector<std::string> expand_command(std::vector<std::string> args,
                                        const std::vector<std::string> &commands) {
    for (std::size_t i = 1; i < args.size(); ++i) {
        if (args[i].starts_with("-"))
            continue;
        args[i] = resolve_abbreviation(args[i], commands, "command");
        break;
    }
    return args;
}

const std::vector<std::string> &config_keys() {
    static const std::vector<std::string> keys = {
        "ports",          "sip-direct-media",     "sip-timeout",
        "disabled",       "pinholes-per-host",    "pinholes-per-connection",
        "pinholes-hosts", "registration-pinholes"};
    return keys;
}

namespace {

bool ports_fit(const std::vector<std::uint32_t> &ports, LimitCheck limits) {
    if (limits == LimitCheck::enforce)
        return ports_valid(ports, SIPALG_MAX_PORTS);
    for (auto port : ports)
        if (port > 65535)
            return false;
    return !ports.empty();
}

// A budget: 0 (no limit) or min..max.
bool budget_fits(std::uint32_t value, std::uint32_t min, std::uint32_t max, LimitCheck limits) {
    return limits == LimitCheck::skip || value == 0 || (value >= min && value <= max);
}

bool timeout_fits(std::uint32_t seconds, LimitCheck limits) {
    return limits == LimitCheck::skip ||
           (seconds >= SIPALG_TIMEOUT_MIN && seconds <= SIPALG_TIMEOUT_MAX);
}

} // namespace

ConfigChange parse_set_words(const std::vector<std::string> &words, LimitCheck limits) {
    if (words.empty())
        throw UsageError("set needs at least one key=value; " + allowed_keys());
    ConfigChange change;
    std::vector<std::string> seen;
    for (const auto &word : words) {
        auto equals = word.find('=');
        if (equals == std::string::npos)
            throw UsageError("'" + word + "' is not key=value; " + allowed_keys());
        std::string typed_key = word.substr(0, equals);
        std::string value = word.substr(equals + 1);
        std::string key;
        try {
            key = resolve_abbreviation(typed_key, config_keys(), "key");
        } catch (const UsageError &) {
            // Say which keys exist even when the word was ambiguous, the
            // two cases a user fixes the same way.
            bool ambiguous = false;
            for (const auto &name : config_keys())
                ambiguous |= !typed_key.empty() && name.starts_with(typed_key);
            if (ambiguous)
                throw;
            throw UsageError("unknown key '" + typed_key + "'; " + allowed_keys());
        }
        for (const auto &done : seen)
            if (done == key)
                throw UsageError("key '" + key + "' given twice");
        seen.push_back(key);

        if (key == "ports") {
            auto ports = parse_port_numbers(value);
            if (!ports || !ports_fit(*ports, limits))
                throw UsageError(bad_value(value, key,
                                           "1 to " + std::to_string(SIPALG_MAX_PORTS) +
                                               " distinct values in 1..65535, separated by "
                                               "commas"));
            change.ports.emplace(ports->begin(), ports->end());
        } else if (key == "sip-timeout") {
            auto seconds = parse_duration(value);
            if (!seconds || !timeout_fits(*seconds, limits))
                throw UsageError(bad_value(
                    value, key,
                    "a duration from " + format_duration(SIPALG_TIMEOUT_MIN) + " to " +
                        format_duration(SIPALG_TIMEOUT_MAX) + ", e.g. 3600, 90s, 30m, 1h30m"));
            change.sip_timeout = *seconds;
        } else if (key == "pinholes-per-host" || key == "pinholes-per-connection") {
            bool host = key == "pinholes-per-host";
            std::uint32_t min = host ? SIPALG_PER_HOST_MIN : SIPALG_PER_CONN_MIN;
            std::uint32_t max = host ? SIPALG_PER_HOST_MAX : SIPALG_PER_CONN_MAX;
            auto number = parse_count(value);
            if (!number || !budget_fits(*number, min, max, limits))
                throw UsageError(bad_value(value, key,
                                           "0 (no limit) or a number from " + std::to_string(min) +
                                               " to " + std::to_string(max)));
            (host ? change.pinholes_per_host : change.pinholes_per_conn) = *number;
        } else if (key == "pinholes-hosts") {
            auto budgets = parse_host_budgets(value);
            if (!budgets || (limits == LimitCheck::enforce &&
                             !host_budgets_valid(*budgets, SIPALG_MAX_HOST_BUDGETS,
                                                 SIPALG_PER_HOST_MIN, SIPALG_PER_HOST_MAX)))
                throw UsageError(
                    bad_value(value, key,
                              "none, or up to " + std::to_string(SIPALG_MAX_HOST_BUDGETS) +
                                  " distinct ADDRESS:N ([IPv6]:N), N 0 (no limit) or " +
                                  std::to_string(SIPALG_PER_HOST_MIN) + " to " +
                                  std::to_string(SIPALG_PER_HOST_MAX) + ", separated by commas"));
            change.host_budgets = std::move(*budgets);
        } else if (key == "registration-pinholes") {
            auto which = parse_registration_pinholes(value);
            if (!which)
                throw UsageError(bad_value(value, key, "always or when-needed"));
            change.registration_pinholes = *which;
        } else {
            auto flag = parse_bool(value);
            if (!flag)
                throw UsageError(bad_value(value, key, "yes or no"));
            (key == "disabled" ? change.disabled : change.direct_media) = *flag;
        }
    }
    return change;
}

} // namespace sipalg
