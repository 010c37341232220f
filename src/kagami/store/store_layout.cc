#include "kagami/store/store_layout.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kagami::store {

Status StoreLayout::create() const {
  std::error_code ec;
  for (const std::string& d : {root, packets_dir(), files_dir()}) {
    std::filesystem::create_directories(d, ec);
    if (ec) return make_error("cannot create {}: {}", d, ec.message());
  }
  return {};
}

Status StoreLayout::check_exists() const {
  struct stat st;
  if (::stat(index_path().c_str(), &st) != 0)
    return make_error("{} is not a Kagami store (no index.sqlite): {}", root, std::strerror(errno));
  return {};
}

Result<StoreLock> StoreLock::acquire(const StoreLayout& layout) {
  const int fd = ::open(layout.lock_path().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("cannot open {}: {}", layout.lock_path(), std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    return make_error("store {} is in use by another recorder (pid {})", layout.root,
                      n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("unknown"));
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The pid is only a courtesy for the error message above; the lock is what matters.
  }
  return StoreLock(fd);
}

StoreLock::~StoreLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace kagami::store
