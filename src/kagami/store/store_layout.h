#pragma once

#include <string>

#include "kagami/base/result.h"

namespace kagami::store {

// Where things live inside a store directory (see ../shared/DESIGN.md, "Storage layout").
struct StoreLayout {
  std::string root;

  std::string index_path() const { return root + "/index.sqlite"; }
  std::string packets_dir() const { return root + "/packets"; }
  std::string manifest_path() const { return packets_dir() + "/MANIFEST"; }
  std::string files_dir() const { return root + "/files"; }
  std::string lock_path() const { return root + "/.lock"; }
  std::string packet_file_path(const std::string& name) const { return packets_dir() + "/" + name; }

  // Creates the directories of a new store (or checks an existing one).
  Status create() const;
  // An existing store: error if `root` has no index.
  Status check_exists() const;
};

// Exclusive lock so two recorders never write one store. Released by the destructor.
class StoreLock {
 public:
  static Result<StoreLock> acquire(const StoreLayout& layout);
  StoreLock(StoreLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StoreLock& operator=(StoreLock&&) = delete;
  StoreLock(const StoreLock&) = delete;
  ~StoreLock();

 private:
  explicit StoreLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace kagami::store
