#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "kagami/base/result.h"

namespace kagami::inspect {

// Named lists of SHA-256 digests (known malware, leaked documents): a file whose digest is on
// a list is a finding `hash_list:<name>`. A list file has one hex digest per line, optionally
// followed by whitespace and a comment; '#' starts a comment line.
class HashLists {
 public:
  Status add(const std::string& name, const std::string& path);
  // The names of the lists holding this digest (lowercase hex).
  std::vector<std::string> lists_of(const std::string& sha256) const;
  std::size_t digests() const { return by_digest_.size(); }

 private:
  std::unordered_map<std::string, std::vector<std::string>> by_digest_;
};

}  // namespace kagami::inspect
