// RouterOS-style command words: unambiguous abbreviations of command and
// key names, and the key=value words of `set`. Pure functions; errors are
// thrown as UsageError with a one-line message (without the "sipalg: "
// prefix, which main adds).
#pragma once

#include "model.hpp"

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sipalg {

struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// "bad value 'VALUE' for KEY: want WANT", the one wording of a value
// refused.
std::string bad_value(std::string_view value, std::string_view key, std::string_view want);

// The full name `word` stands for: itself if it is one of `names`, else the
// only name it is a prefix of. `what` names the kind in messages
// ("command", "key"). Throws UsageError if none or several match.
std::string resolve_abbreviation(std::string_view word, const std::vector<std::string> &names,
                                 std::string_view what);

// The commands of the program, in the order its help lists them.
const std::vector<std::string> &command_names();

// Replaces an abbreviated command in argv-style args (args[0] is the
// program) by its full name, so CLI11 sees only full names. The command is
// the first argument that is not an option; everything before it must be a
// flag of the program itself (-h, -V), which takes no value.
std::vector<std::string> expand_command(std::vector<std::string> args,
                                        const std::vector<std::string> &commands);

// The keys `set` accepts, in the order `print` shows them.
const std::vector<std::string> &config_keys();

// Whether parse_set_words holds values to the kernel's limits. `skip`
// exists to test the kernel's own checks (set --no-client-check): values
// then only need to fit their attribute (ports 0..65535, any u32 timeout).
enum class LimitCheck { enforce, skip };

// Parses `set` words such as "ports=5060,5061" "sip-timeout=1h" into the
// change to send. Checks every value against the kernel's limits from
// uapi.h so that nothing invalid is sent.
ConfigChange parse_set_words(const std::vector<std::string> &words,
                             LimitCheck limits = LimitCheck::enforce);

} // namespace sipalg
