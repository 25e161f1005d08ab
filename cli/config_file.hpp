// The saved configuration: the text `sipalg export` prints and `sipalg
// import` reads back. Pure functions, from a Config to text and from text
// to the one ConfigChange to send; reading the file and netlink are main's.
#pragma once

#include "model.hpp"

#include <string>
#include <string_view>

namespace sipalg {

// A comment line, then one set line with every key, defaults included, in
// the order `print` shows them and in the form `set` reads:
//
//   # sipalg configuration (sipalg export)
//   set ports=5060,5061 sip-direct-media=yes sip-timeout=1h disabled=no
//
// Every key, so that a saved file means the same whatever later versions
// default to.
std::string format_export(const Config &config);

// Reads the text of a configuration file named `name` (for messages).
// Blank lines and lines whose first non-blank character is '#' are
// skipped; every other line is "set key=value...", optionally preceded by
// "sipalg", whose words are those of `sipalg set` (parse_set_words, limits
// enforced: a key given twice on one line is an error). The lines are
// merged into one change, a later line's key overriding an earlier one's.
// Throws UsageError "NAME:LINE: <what set would say>" for the first bad
// line. A file without set lines gives an empty change.
ConfigChange parse_import(std::string_view text, std::string_view name);

} // namespace sipalg
