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
// The room on the file system holding `path`: {"free_bytes", "total_bytes"}; null if unknown.
nlohmann::json disk_room(const std::string& path);

}  // namespace kagami::app
