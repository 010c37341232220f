#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kagami/inspect/detector.h"
#include "kagami/inspect/inspector.h"

namespace kagami::inspect {

enum class Severity : std::uint8_t { kInfo, kLow, kMedium, kHigh, kCritical };
std::string_view severity_name(Severity s);
bool severity_from_name(std::string_view name, Severity& out);
bool confidence_from_name(std::string_view name, Confidence& out);

// When findings are worth telling the administrator: a detector (or a family, "yara:*"), at
// least a confidence and a count in one object, a direction, and who or what is exempt.
struct AlertRule {
  std::string title;     // what the alert says, e.g. "My Numbers sent"
  std::string detector;  // a stable detector id, or a prefix ending in '*'
  Confidence min_confidence = Confidence::kMedium;
  std::uint64_t min_count = 1;  // summed over the object's findings of this detector
  std::string direction;        // "sent", "received", or "" for either
  Severity severity = Severity::kMedium;
  std::vector<std::string> exclude_users;  // exact names
  std::vector<std::string> exclude_hosts;  // '*' wildcards
};

class AlertPolicy {
 public:
  // Malware of any kind; My Numbers, card numbers, keys and tokens, confidential documents
  // and long lists of personal data going out.
  static AlertPolicy defaults();

  struct Verdict {
    Severity severity = Severity::kInfo;  // kInfo: no alert
    std::string title;                    // the rules that fired, "; "-joined
    std::vector<Severity> per_finding;    // parallel to the findings judged
  };
  Verdict judge(const std::vector<ObjectFinding>& findings, std::string_view direction,
                std::string_view user, std::string_view host) const;

  std::vector<AlertRule> rules;
};

}  // namespace kagami::inspect
