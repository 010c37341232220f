#pragma once

#include <string>
#include <vector>

#include "kagami/records/finding_record.h"

namespace kagami::alert {

// One alert as the sinks send it: a JSON object in the style of Suricata's EVE
// ("event_type": "alert", src/dest addresses, "alert": {signature, severity, category}) with
// what Kagami adds under "kagami" (findings with masked samples, the file, the session), so
// SIEM pipelines written for EVE take it as it is.
std::string eve_json(const records::AlertRecord& a, const std::vector<records::FindingRecord>& f,
                     const std::string& sensor);

// EVE's numeric severity (1 is the most severe) for Kagami's names.
int eve_severity(const std::string& severity);

}  // namespace kagami::alert
