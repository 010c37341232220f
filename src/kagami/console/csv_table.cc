#include "kagami/console/csv_table.h"

#include <string_view>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

namespace kagami::console {

namespace {

// Fields a reader looks for first; the rest follow in the order first met.
constexpr std::string_view kLeading[] = {"id", "ts", "ts_first", "ts_last", "session_id"};

std::string cell(const nlohmann::json& v) {
  std::string text;
  if (v.is_string()) {
    text = v.get<std::string>();
  } else if (v.is_array()) {
    for (const auto& e : v) {
      if (!text.empty()) text += "; ";
      text += e.is_string() ? e.get<std::string>() : e.dump();
    }
  } else if (!v.is_null()) {
    text = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  if (!text.empty() && !v.is_number() &&
      std::string_view("=+-@\t\r").find(text[0]) != std::string_view::npos)
    text.insert(0, 1, '\'');
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string csv_table(const nlohmann::json& records) {
  std::vector<std::string> columns;
  std::unordered_set<std::string> seen;
  for (const std::string_view k : kLeading)
    for (const auto& r : records)
      if (r.is_object() && r.contains(k) && seen.insert(std::string(k)).second) {
        columns.emplace_back(k);
        break;
      }
  for (const auto& r : records)
    if (r.is_object())
      for (const auto& [k, v] : r.items())
        if (seen.insert(k).second) columns.push_back(k);
  std::string out = "\xEF\xBB\xBF";
  for (std::size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + cell(columns[i]);
  out += "\r\n";
  for (const auto& r : records) {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i) out += ',';
      if (!r.is_object()) continue;
      const auto it = r.find(columns[i]);
      if (it != r.end()) out += cell(*it);
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace kagami::console
