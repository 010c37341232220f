#include "kagami/alert/alert_event.h"

#include <nlohmann/json.hpp>

#include "kagami/base/time.h"
#include "kagami/records/json_text.h"

namespace kagami::alert {

int eve_severity(const std::string& severity) {
  if (severity == "critical" || severity == "high") return 1;
  if (severity == "medium") return 2;
  return 3;
}

std::string eve_json(const records::AlertRecord& a, const std::vector<records::FindingRecord>& f,
                     const std::string& sensor) {
  nlohmann::json j;
  j["timestamp"] = format_time_iso(a.ts, 6);
  j["event_type"] = "alert";
  if (!sensor.empty()) j["host"] = sensor;
  j["src_ip"] = a.endpoints.client_ip.to_string();
  j["src_port"] = a.endpoints.client_port;
  j["dest_ip"] = a.endpoints.server_ip.to_string();
  j["dest_port"] = a.endpoints.server_port;
  j["proto"] = "TCP";
  j["app_proto"] = a.protocol;
  bool malware = false, administration = false;
  for (const auto& x : f) {
    malware = malware || x.detector.rfind("yara:", 0) == 0 || x.detector.rfind("clamav:", 0) == 0 ||
              x.detector.rfind("hash_list:", 0) == 0;
    administration = administration || x.detector.rfind("dcerpc:", 0) == 0;
  }
  j["alert"] = {{"action", "allowed"},
                {"signature", a.title},
                {"category", malware          ? "Malware"
                             : administration ? "Remote administration"
                                              : "Data leak"},
                {"severity", eve_severity(a.severity)}};
  // An alert on an object names the file; one on what a record says happened (a remote call)
  // has no file, and names the operation instead.
  if (!a.sha256.empty()) j["fileinfo"] = {{"filename", a.file_name}, {"sha256", a.sha256}};
  nlohmann::json findings = nlohmann::json::array();
  for (const auto& x : f) {
    if (x.alert_id != a.id) continue;
    nlohmann::json o = {{"detector", x.detector},
                        {"confidence", x.confidence},
                        {"count", x.count},
                        {"severity", x.severity},
                        {"sample", x.sample}};
    if (!x.member.empty()) o["member"] = x.member;
    findings.push_back(std::move(o));
  }
  j["kagami"] = {{"alert_id", a.id},
                 {"severity", a.severity},
                 {"session_id", a.session_id},
                 {"file_event_id", a.file_event_id},
                 {"direction", a.direction},
                 {"summary", a.findings},
                 {"findings", std::move(findings)}};
  if (a.sha256.empty() && !a.file_name.empty()) j["kagami"]["operation"] = a.file_name;
  if (!a.user.empty()) j["kagami"]["user"] = a.user;
  if (!a.host.empty()) j["kagami"]["server_name"] = a.host;
  return records::dump_json(j);
}

}  // namespace kagami::alert
