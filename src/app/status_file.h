#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "kagami/base/result.h"

namespace kagami::app {

// What a running component (the proxy, `kagami up`) says of itself for `kagami status`:
// a JSON file replaced whole every few seconds (written aside, then renamed), readable by
// its owner only. Under STORE/status/NAME.json when the component records into a store.
std::string status_path(const std::string& store, const std::string& component);
Status write_status(const std::string& path, const nlohmann::json& status);

}  // namespace kagami::app
