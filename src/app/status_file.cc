#include "app/status_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "kagami/base/time.h"
#include "kagami/store/store_status.h"

namespace kagami::app {

std::string status_path(const std::string& store, const std::string& component) {
  return store + "/status/" + component + ".json";
}

Status write_status(const std::string& path, const nlohmann::json& status) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return make_error("status: cannot create the folder of {}: {}", path, ec.message());
  nlohmann::json j = status;
  j["written"] = time_to_epoch_seconds(wall_clock_ns());
  j["pid"] = ::getpid();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    if (!f) return make_error("status: cannot write {}", tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return make_error("status: cannot replace {}: {}", path, std::strerror(errno));
  return {};
}

nlohmann::json disk_room(const std::string& path) {
  const store::DiskRoom room = store::disk_room(path);
  if (!room.known) return nullptr;
  return {{"free_bytes", room.free}, {"total_bytes", room.total}};
}

}  // namespace kagami::app
