#pragma once

#include <string>
#include <string_view>

namespace kagami::store {

// The index key of a host name: ASCII lower-cased and reversed byte for byte, so every name
// under a domain is one key range ("*.example.com" is every key starting "moc.elpmaxe.").
// Bytes outside ASCII are kept as they are; reversal is applied to the query the same way.
// A port ("www.example.com:8443", "[2001:db8::1]:443", as HTTP Host headers carry it) is not
// part of the name.
inline std::string host_key(std::string_view host) {
  if (const auto colon = host.rfind(':');
      colon != std::string_view::npos && colon + 1 < host.size()) {
    bool digits = true;
    for (std::size_t i = colon + 1; i < host.size(); ++i)
      digits = digits && host[i] >= '0' && host[i] <= '9';
    const bool one_colon = host.find(':') == colon;
    const bool bracketed = colon > 0 && host[colon - 1] == ']';
    if (digits && (one_colon || bracketed)) host = host.substr(0, colon);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::string k(host.rbegin(), host.rend());
  for (char& c : k)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return k;
}

}  // namespace kagami::store
