#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace kagami::store {

// The room on the file system holding a path; known false if it cannot be read.
struct DiskRoom {
  std::uint64_t free = 0, total = 0;
  bool known = false;
};
DiskRoom disk_room(const std::string& path);

// A component's status older than this comes from one that stopped (or hangs).
constexpr double kStatusStaleSeconds = 30;

// What a store holds, for `kagami status` and the console's sensor page: the archive as its
// manifest says (sealed files, bytes, packets, oldest and newest packet), what retention
// evicted, the room left on its disk, and the running recorder's retention policy.
nlohmann::json store_summary(const std::string& store);

// What each running part (recorder, proxy, kagami up) last wrote to STORE/status/NAME.json,
// with "component", "age_s" and "stale" added; oldest name first. Files that are not status
// files are named in `unreadable`.
std::vector<nlohmann::json> component_statuses(const std::string& store,
                                               std::vector<std::string>* unreadable = nullptr);

}  // namespace kagami::store
