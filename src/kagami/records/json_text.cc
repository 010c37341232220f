#include "kagami/records/json_text.h"

#include <nlohmann/json.hpp>

#include "kagami/base/base64.h"
#include "kagami/base/utf8.h"

namespace kagami::records {
namespace {

bool needs_escaping(const nlohmann::json& j) {
  if (j.is_string()) return !is_valid_utf8(j.get_ref<const std::string&>());
  if (j.is_object()) {
    for (const auto& [k, v] : j.items())
      if (!is_valid_utf8(k) || needs_escaping(v)) return true;
  }
  if (j.is_array()) {
    for (const auto& v : j)
      if (needs_escaping(v)) return true;
  }
  return false;
}

}  // namespace

void make_json_safe(nlohmann::json& j) {
  if (j.is_array()) {
    for (auto& v : j) {
      if (v.is_string() && !is_valid_utf8(v.get_ref<const std::string&>()))
        v = replace_invalid_utf8(v.get_ref<const std::string&>());  // raw kept by the parent
      else
        make_json_safe(v);
    }
    return;
  }
  if (!j.is_object()) return;
  nlohmann::json add = nlohmann::json::object();
  std::vector<std::string> bad_keys;
  for (auto& [k, v] : j.items()) {
    if (!is_valid_utf8(k)) bad_keys.push_back(k);
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      if (is_valid_utf8(s)) continue;
      add[k + "_raw"] = base64_encode(s);
      v = replace_invalid_utf8(s);
    } else if (v.is_array()) {
      nlohmann::json raw = nlohmann::json::array();
      bool any = false;
      for (const auto& e : v) {
        const bool bad = e.is_string() && !is_valid_utf8(e.get_ref<const std::string&>());
        raw.push_back(bad ? nlohmann::json(base64_encode(e.get_ref<const std::string&>()))
                          : nlohmann::json(nullptr));
        any = any || bad;
      }
      make_json_safe(v);
      if (any) add[k + "_raw"] = std::move(raw);
    } else {
      make_json_safe(v);
    }
  }
  for (const std::string& k : bad_keys) {
    nlohmann::json v = std::move(j[k]);
    j.erase(k);
    j[replace_invalid_utf8(k)] = std::move(v);
  }
  for (auto& [k, v] : add.items()) j[k] = std::move(v);
}

std::string dump_json(const nlohmann::json& j, int indent) {
  if (!needs_escaping(j)) return j.dump(indent);
  nlohmann::json copy = j;
  make_json_safe(copy);
  return copy.dump(indent);
}

std::string raw_string(const nlohmann::json& object, const char* key) {
  const std::string raw_key = std::string(key) + "_raw";
  if (object.contains(raw_key) && object[raw_key].is_string()) {
    if (auto bytes = base64_decode(object[raw_key].get<std::string>())) return *bytes;
  }
  return object.value(key, "");
}

std::string encode_string_list(const std::vector<std::string>& list) {
  nlohmann::json a = nlohmann::json::array();
  for (const std::string& s : list) {
    if (is_valid_utf8(s))
      a.push_back(s);
    else
      a.push_back({{"raw", base64_encode(s)}});
  }
  return a.dump();
}

std::vector<std::string> decode_string_list(std::string_view text) {
  std::vector<std::string> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& x : j) {
    if (x.is_string()) {
      out.push_back(x.get<std::string>());
    } else if (x.is_object() && x.contains("raw") && x["raw"].is_string()) {
      if (auto bytes = base64_decode(x["raw"].get<std::string>())) out.push_back(*bytes);
    }
  }
  return out;
}

}  // namespace kagami::records
