#include "kagami/wire/ftp_address.h"

#include <vector>

namespace kagami::wire {
namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

std::optional<std::uint32_t> number(std::string_view s, std::uint32_t max) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  std::uint32_t n = 0;
  for (char c : s) {
    if (!digit(c)) return std::nullopt;
    n = n * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (n > max) return std::nullopt;
  return n;
}

}  // namespace

std::optional<FtpAddress> parse_ftp_host_port(std::string_view text) {
  // The first run of six comma-separated numbers.
  for (std::size_t start = 0; start < text.size(); ++start) {
    if (!digit(text[start]) || (start > 0 && digit(text[start - 1]))) continue;
    std::vector<std::uint32_t> n;
    std::size_t i = start;
    while (n.size() < 6) {
      std::size_t j = i;
      while (j < text.size() && digit(text[j])) ++j;
      auto v = number(text.substr(i, j - i), 255);
      if (!v) break;
      n.push_back(*v);
      if (n.size() == 6) break;
      if (j >= text.size() || text[j] != ',') break;
      i = j + 1;
    }
    if (n.size() != 6) continue;
    FtpAddress a;
    a.ip = std::to_string(n[0]) + "." + std::to_string(n[1]) + "." + std::to_string(n[2]) + "." +
           std::to_string(n[3]);
    a.port = static_cast<std::uint16_t>(n[4] * 256 + n[5]);
    return a;
  }
  return std::nullopt;
}

std::optional<FtpAddress> parse_ftp_eprt(std::string_view arg) {
  while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
  if (arg.size() < 7) return std::nullopt;
  const char d = arg[0];
  if (d < 33 || d > 126) return std::nullopt;
  std::vector<std::string_view> fields;
  std::size_t i = 1;
  while (fields.size() < 3) {
    const std::size_t next = arg.find(d, i);
    if (next == std::string_view::npos) return std::nullopt;
    fields.push_back(arg.substr(i, next - i));
    i = next + 1;
  }
  if (fields[0] != "1" && fields[0] != "2") return std::nullopt;
  auto port = number(fields[2], 65535);
  if (!port || fields[1].empty() || fields[1].size() > 45) return std::nullopt;
  return FtpAddress{std::string(fields[1]), static_cast<std::uint16_t>(*port)};
}

std::optional<FtpAddress> parse_ftp_epsv_reply(std::string_view text) {
  const std::size_t open = text.find('(');
  if (open == std::string_view::npos || open + 5 > text.size()) return std::nullopt;
  const char d = text[open + 1];
  // (<d><d><d>port<d>)
  if (text[open + 2] != d || text[open + 3] != d) return std::nullopt;
  const std::size_t end = text.find(d, open + 4);
  if (end == std::string_view::npos) return std::nullopt;
  auto port = number(text.substr(open + 4, end - open - 4), 65535);
  if (!port) return std::nullopt;
  return FtpAddress{std::string(), static_cast<std::uint16_t>(*port)};
}

}  // namespace kagami::wire
