#pragma once

#include <string>

#include "kagami/base/result.h"

namespace kagami::app {

// A new password from a file, or from standard input (one line; not echoed on a terminal);
// refused when shorter than kMinPasswordLength.
Result<std::string> read_password(const std::string& file);

}  // namespace kagami::app
