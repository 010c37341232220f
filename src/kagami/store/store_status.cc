#include "kagami/store/store_status.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <sys/statvfs.h>

#include "kagami/base/time.h"
#include "kagami/store/seal_manifest.h"
#include "kagami/store/store_layout.h"

namespace kagami::store {

DiskRoom disk_room(const std::string& path) {
  struct statvfs v {};
  if (::statvfs(path.c_str(), &v) != 0) return {};
  return {static_cast<std::uint64_t>(v.f_bavail) * v.f_frsize,
          static_cast<std::uint64_t>(v.f_blocks) * v.f_frsize, true};
}

nlohmann::json store_summary(const std::string& store) {
  nlohmann::json j = nlohmann::json::object();
  const StoreLayout layout{store};
  std::vector<std::string> problems;
  auto manifest = SealManifest::load(layout.manifest_path(), &problems);
  if (manifest) {
    const ArchiveState state = archive_state(manifest->entries());
    std::uint64_t bytes = 0, packets = 0;
    TimeNs first = 0, last = 0;
    for (const auto& e : state.kept) {
      bytes += e.bytes;
      packets += e.packets;
      if (e.first_ts != 0 && (first == 0 || e.first_ts < first)) first = e.first_ts;
      if (e.last_ts > last) last = e.last_ts;
    }
    j["archive"] = {{"files", state.kept.size()}, {"bytes", bytes}, {"packets", packets}};
    if (first != 0) {
      j["archive"]["oldest_packet"] = format_time_iso(first, 0);
      j["archive"]["newest_packet"] = format_time_iso(last, 0);
    }
    if (!state.evicted.empty()) {
      std::uint64_t gone = 0;
      TimeNs newest = 0;
      for (const auto& t : state.evicted) {
        gone += t.bytes;
        newest = std::max(newest, t.sealed_at);
      }
      j["evicted"] = {{"files", state.evicted.size()},
                      {"bytes", gone},
                      {"last_eviction", format_time_iso(newest, 0)}};
    }
  }
  if (const DiskRoom room = disk_room(store); room.known)
    j["disk"] = {{"free_bytes", room.free}, {"total_bytes", room.total}};
  // The policy is the recording part's (kagami record, or the proxy or kagami up recording in
  // process): it says it in its status file; a running one before one that stopped.
  std::string policy;
  bool from_running = false;
  for (const nlohmann::json& c : component_statuses(store)) {
    const std::string said = c.value("retention", "");
    if (said.empty()) continue;
    const bool running = !c.value("stale", true) && c.value("state", "") != "stopped";
    if (policy.empty() || (running && !from_running)) {
      policy = said;
      from_running = running;
    }
  }
  j["retention"] = policy.empty() ? "none" : policy;
  return j;
}

std::vector<nlohmann::json> component_statuses(const std::string& store,
                                               std::vector<std::string>* unreadable) {
  std::vector<nlohmann::json> out;
  const std::string dir = store + "/status";
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  const double now = time_to_epoch_seconds(wall_clock_ns());
  for (const auto& f : files) {
    std::ifstream in(f);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      if (unreadable != nullptr) unreadable->push_back(f.string());
      continue;
    }
    const double age = now - j.value("written", 0.0);
    j["component"] = f.stem().string();
    j["age_s"] = static_cast<std::int64_t>(age);
    j["stale"] = age > kStatusStaleSeconds;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace kagami::store
