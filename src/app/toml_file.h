#pragma once

#include <string>
#include <vector>

#include <toml++/toml.h>

#include "kagami/base/result.h"

namespace kagami::app {

// Parses a TOML file; a syntax error names the file, what is wrong and where.
Result<toml::table> parse_toml_file(const std::string& path);

// An array of strings, or an error naming `key`.
Result<std::vector<std::string>> strings_of(const toml::node& n, const std::string& key);

}  // namespace kagami::app
