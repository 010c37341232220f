#include "app/privileges.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace kagami::app {

Result<std::string> drop_privileges(const std::string& requested,
                                    const std::vector<std::string>& writable) {
  if (requested == "root") return std::string();
  const bool root = ::geteuid() == 0;
  std::string name = requested;
  if (name.empty()) {
    if (!root || ::getpwnam("kagami") == nullptr) return std::string();
    name = "kagami";
  }
  const passwd* pw = ::getpwnam(name.c_str());
  if (pw == nullptr) return make_error("--user {}: no such user", name);
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  if (!root) {
    if (::geteuid() == uid) return std::string();
    return make_error("--user {}: only root can change to another user", name);
  }
  if (uid == 0) return std::string();
  // The store becomes the user's: what exists now (index, manifest, folders of objects) and,
  // through the folders, what it writes from now on.
  for (const std::string& path : writable) {
    std::error_code ec;
    if (::chown(path.c_str(), uid, gid) != 0)
      return make_error("--user {}: cannot hand {} over: {}", name, path, std::strerror(errno));
    for (auto it = std::filesystem::recursive_directory_iterator(path, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (::lchown(it->path().c_str(), uid, gid) != 0)
        return make_error("--user {}: cannot hand {} over: {}", name, it->path().string(),
                          std::strerror(errno));
    }
  }
  if (::initgroups(name.c_str(), gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)
    return make_error("--user {}: cannot change to it: {}", name, std::strerror(errno));
  // No way back: a root that could be regained would make the drop decoration.
  if (::setuid(0) == 0 || ::geteuid() == 0)
    return make_error("--user {}: root could be regained after the change", name);
  (void)::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  return name;
}

}  // namespace kagami::app
