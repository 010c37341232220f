#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/result.h"

namespace kagami::inspect {

// Compiled YARA rules (libyara), shared by every inspecting thread. yara.h defines macros
// that break other headers, so it is included in yara_rules.cc alone.
class YaraRules {
 public:
  // Compiles the rule files together; every error names its file and line.
  static Result<std::unique_ptr<YaraRules>> compile(const std::vector<std::string>& files);
  ~YaraRules();
  YaraRules(const YaraRules&) = delete;
  YaraRules& operator=(const YaraRules&) = delete;

  // The identifiers of the rules that match; `timed_out` when the scan hit its time bound.
  std::vector<std::string> scan(ByteView bytes, int timeout_s, bool& timed_out) const;
  std::size_t rule_count() const { return rule_count_; }

 private:
  YaraRules() = default;
  void* rules_ = nullptr;  // YR_RULES*
  std::size_t rule_count_ = 0;
};

}  // namespace kagami::inspect
