#include "kagami/records/mail_record.h"

#include <nlohmann/json.hpp>

#include "kagami/records/json_text.h"

namespace kagami::records {

nlohmann::json to_json_value(const std::vector<MailAttachment>& list) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& x : list)
    a.push_back({{"sha256", x.sha256}, {"name", x.name}, {"type", x.type}, {"size", x.size}});
  return a;
}

// Names and types come back byte for byte (they were kept with make_json_safe).
void from_json_value(const nlohmann::json& j, std::vector<MailAttachment>& list) {
  list.clear();
  if (!j.is_array()) return;
  for (const auto& x : j) {
    if (!x.is_object()) continue;
    list.push_back(MailAttachment{x.value("sha256", ""), raw_string(x, "name"),
                                  raw_string(x, "type"), x.value("size", 0ull)});
  }
}

}  // namespace kagami::records
