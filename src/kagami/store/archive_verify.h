#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/result.h"
#include "kagami/store/store_layout.h"

namespace kagami::store {

struct FileCheck {
  // kEvicted: removed by retention, its tombstone in the manifest's chain (not a problem).
  enum class Status { kOk, kAltered, kMissing, kUnsealed, kUnreadable, kEvicted };
  std::string name;
  Status status = Status::kOk;
  std::string detail;
  std::uint64_t bytes = 0;
  std::uint64_t packets = 0;
};

const char* file_check_status_name(FileCheck::Status s);

struct VerifyReport {
  std::vector<FileCheck> files;
  std::vector<std::string> chain_problems;  // the manifest itself was altered
  std::vector<std::string> index_problems;  // the index disagrees with the manifest
  std::uint64_t sealed_ok = 0;
  std::uint64_t evicted = 0;
  bool ok() const;  // every sealed file matches its seal and the chain holds
};

// Re-hashes every sealed packet file and checks it, and the manifest's hash chain.
Result<VerifyReport> verify_archive(const StoreLayout& layout);

}  // namespace kagami::store
