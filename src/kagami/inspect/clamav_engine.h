#pragma once

#include <memory>
#include <string>

#include "kagami/base/byte_view.h"
#include "kagami/base/result.h"

struct cl_engine;

namespace kagami::inspect {

// A ClamAV engine (libclamav) loaded from a signature folder (.hdb, .ndb, .cvd, ...) with no
// freshclam and no network, shared by every inspecting thread once compiled.
class ClamavEngine {
 public:
  static Result<std::unique_ptr<ClamavEngine>> load(const std::string& database_dir);
  ~ClamavEngine();
  ClamavEngine(const ClamavEngine&) = delete;
  ClamavEngine& operator=(const ClamavEngine&) = delete;

  // The signature that matched, or "" for clean; `error` says why a scan did not finish.
  std::string scan(ByteView bytes, std::string& error) const;
  unsigned signatures() const { return signatures_; }

 private:
  ClamavEngine() = default;
  cl_engine* engine_ = nullptr;
  unsigned signatures_ = 0;
};

}  // namespace kagami::inspect
