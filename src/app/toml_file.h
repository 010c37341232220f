#pragma once

#include <string>

#include <toml++/toml.h>

#include "kagami/base/result.h"

namespace kagami::app {

// Parses a TOML file; a syntax error names the file, what is wrong and where.
Result<toml::table> parse_toml_file(const std::string& path);

}  // namespace kagami::app
