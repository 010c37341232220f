#pragma once

#include <string>
#include <string_view>

namespace kagami::store {

// The index key of a host name: ASCII lower-cased and reversed byte for byte, so every name
// under a domain is one key range ("*.example.com" is every key starting "moc.elpmaxe.").
// Bytes outside ASCII are kept as they are; reversal is applied to the query the same way.
inline std::string host_key(std::string_view host) {
  std::string k(host.rbegin(), host.rend());
  for (char& c : k)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return k;
}

}  // namespace kagami::store
