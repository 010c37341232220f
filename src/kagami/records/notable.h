#pragma once

#include <cstdint>
#include <string>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"

namespace kagami::records {

// What a record says happened that the administrator may need to hear of without an object to
// inspect: a service created on another machine, a log cleared. A record type declares it with
// `static std::optional<Notable> notable(const Record&)`; the recorder hands it to the alert
// policy as a finding of `detector` (rules name it as they name any detector, with their
// exemptions), and an alert is raised if a rule says so.
struct Notable {
  std::string detector;  // "dcerpc:service_created"
  std::string sample;    // what it was: "PSEXESVC: %SystemRoot%\PSEXESVC.exe"
  std::string name;      // where: "svcctl RCreateServiceW"
  std::string protocol;  // the record's kind
  std::string user;
  std::uint64_t session_id = 0;
  Endpoints endpoints;
  TimeNs ts = 0;
};

}  // namespace kagami::records
