#include "kagami/inspect/hash_lists.h"

#include <fstream>

#include "kagami/base/ascii.h"

namespace kagami::inspect {

Status HashLists::add(const std::string& name, const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error("cannot read the hash list {}", path);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string_view l = trim_field(line);
    if (l.empty() || l.front() == '#') continue;
    const std::size_t end = l.find_first_of(" \t");
    const std::string_view digest = l.substr(0, end);
    if (digest.size() != 64 ||
        digest.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos)
      return make_error("{} line {}: not a SHA-256 digest", path, n);
    std::string lower(digest);
    for (char& c : lower) c = ascii_lower(c);
    auto& names = by_digest_[lower];
    if (names.empty() || names.back() != name) names.push_back(name);
  }
  return {};
}

std::vector<std::string> HashLists::lists_of(const std::string& sha256) const {
  auto it = by_digest_.find(sha256);
  return it == by_digest_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace kagami::inspect
