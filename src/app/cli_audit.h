#pragma once

#include <string>

#include "kagami/base/result.h"
#include "kagami/store/store_layout.h"

namespace kagami::app {

// Records a command-line search, export or download in the store's audit log, as
// "cli:<login>", before the answer is shown. A store whose log cannot be written is an error:
// evidence does not leave unrecorded.
Status cli_audit(const store::StoreLayout& layout, const std::string& action,
                 const std::string& object, const std::string& detail = "{}");

}  // namespace kagami::app
