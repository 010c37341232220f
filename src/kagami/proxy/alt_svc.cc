#include "kagami/proxy/alt_svc.h"

#include <vector>

#include "kagami/base/ascii.h"

namespace kagami::proxy {
namespace {

// The list's members, split at commas outside quoted strings ("h3=\":443\"; ma=86400").
std::vector<std::string_view> members(std::string_view v) {
  std::vector<std::string_view> out;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (quoted && v[i] == '\\') {
      ++i;
    } else if (v[i] == '"') {
      quoted = !quoted;
    } else if (v[i] == ',' && !quoted) {
      out.push_back(trim_field(v.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim_field(v.substr(start)));
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The protocol-id is a percent-encoded ALPN token: "h3", "h3-29", "h3%2D29" (RFC 7838 3.1).
bool over_quic(std::string_view member) {
  const std::string id = ascii_lowered(trim_field(member.substr(0, member.find('='))));
  std::string alpn;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const int hi = id[i] == '%' && i + 2 < id.size() ? hex_digit(id[i + 1]) : -1;
    const int lo = hi >= 0 ? hex_digit(id[i + 2]) : -1;
    if (lo >= 0) {
      alpn += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      alpn += id[i];
    }
  }
  // h3 and its drafts (h3-29), Google's gQUIC ("quic") and HTTP/0.9 over QUIC test tokens.
  return alpn.rfind("h3", 0) == 0 || alpn == "quic" || alpn.rfind("hq", 0) == 0;
}

}  // namespace

std::optional<std::string> alt_svc_without_quic(std::string_view value) {
  std::string kept;
  bool removed = false;
  for (std::string_view m : members(value)) {
    if (m.empty()) continue;
    if (over_quic(m)) {
      removed = true;
      continue;
    }
    if (!kept.empty()) kept += ", ";
    kept += m;
  }
  if (!removed) return std::nullopt;
  return kept;
}

}  // namespace kagami::proxy
