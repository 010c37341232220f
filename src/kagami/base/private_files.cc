#include "kagami/base/private_files.h"

#include <cstdio>
#include <filesystem>

#include <spdlog/spdlog.h>
#include <sys/stat.h>

namespace kagami {
namespace {

constexpr std::size_t kLookedAt = 2000;  // entries, at most, per call

}  // namespace

std::vector<std::string> not_private(const std::string& path, std::size_t max_found) {
  std::vector<std::string> found;
  std::size_t looked = 0;
  auto check = [&](const std::filesystem::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || S_ISLNK(st.st_mode)) return false;
    ++looked;
    if ((st.st_mode & 077) != 0 && found.size() < max_found) {
      char mode[8];
      std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
      found.push_back(p.string() + " (mode " + mode + ")");
    }
    return S_ISDIR(st.st_mode);
  };
  std::error_code ec;
  if (!check(path)) return found;
  for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
    if (looked >= kLookedAt || found.size() >= max_found) break;
    if (!check(e.path())) continue;
    std::error_code ec2;
    for (const auto& inner : std::filesystem::directory_iterator(e.path(), ec2)) {
      if (looked >= kLookedAt || found.size() >= max_found) break;
      check(inner.path());
    }
  }
  return found;
}

void warn_if_not_private(const std::string& path, const char* what) {
  const auto found = not_private(path);
  for (const std::string& f : found)
    spdlog::warn(
        "{} {} is open to other users of this host: chmod go= (files 0600, folders "
        "0700)",
        what, f);
  if (!found.empty()) spdlog::warn("fix them all with: chmod -R go= {}", path);
}

}  // namespace kagami
