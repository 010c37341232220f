#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kagami {

// ASCII case-insensitive comparisons, for protocol keywords and header names (never for user
// text, whose case rules are not ASCII's).
inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

inline std::string ascii_lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

inline bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Without the blanks and tabs around it, and a trailing CR (header field values).
inline std::string_view trim_field(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// The members of a comma-separated field value ("identity, chunked"), blanks around each
// removed, empty ones left out (RFC 9110 5.6.1).
inline std::vector<std::string_view> list_members(std::string_view value) {
  std::vector<std::string_view> out;
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (const std::string_view m = trim_field(value.substr(0, comma)); !m.empty()) out.push_back(m);
    value.remove_prefix(comma == std::string_view::npos ? value.size() : comma + 1);
  }
  return out;
}

}  // namespace kagami
