#include "kagami/inspect/alert_policy.h"

#include <array>

#include <fnmatch.h>

namespace kagami::inspect {
namespace {

constexpr std::array<std::string_view, 5> kSeverities = {"info", "low", "medium", "high",
                                                         "critical"};

bool detector_matches(const std::string& pattern, const std::string& detector) {
  if (!pattern.empty() && pattern.back() == '*')
    return detector.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  return pattern == detector;
}

AlertRule rule(std::string title, std::string detector, Confidence c, std::uint64_t count,
               std::string direction, Severity s) {
  AlertRule r;
  r.title = std::move(title);
  r.detector = std::move(detector);
  r.min_confidence = c;
  r.min_count = count;
  r.direction = std::move(direction);
  r.severity = s;
  return r;
}

}  // namespace

std::string_view severity_name(Severity s) { return kSeverities[static_cast<std::size_t>(s)]; }

bool severity_from_name(std::string_view name, Severity& out) {
  for (std::size_t i = 0; i < kSeverities.size(); ++i) {
    if (kSeverities[i] == name) {
      out = static_cast<Severity>(i);
      return true;
    }
  }
  return false;
}

bool confidence_from_name(std::string_view name, Confidence& out) {
  for (Confidence c : {Confidence::kLow, Confidence::kMedium, Confidence::kHigh}) {
    if (confidence_name(c) == name) {
      out = c;
      return true;
    }
  }
  return false;
}

AlertPolicy AlertPolicy::defaults() {
  using C = Confidence;
  using S = Severity;
  AlertPolicy p;
  p.rules = {
      rule("Malware (ClamAV)", "clamav:*", C::kLow, 1, "", S::kHigh),
      rule("Malware (YARA)", "yara:*", C::kLow, 1, "", S::kHigh),
      rule("File on a hash list", "hash_list:*", C::kLow, 1, "", S::kHigh),
      rule("My Numbers sent", "jp_my_number", C::kHigh, 5, "sent", S::kHigh),
      rule("My Number sent", "jp_my_number", C::kHigh, 1, "sent", S::kMedium),
      rule("Credit card numbers sent", "credit_card", C::kMedium, 5, "sent", S::kHigh),
      rule("Credit card number sent", "credit_card", C::kMedium, 1, "sent", S::kMedium),
      rule("Private key sent", "private_key", C::kHigh, 1, "sent", S::kHigh),
      rule("API token sent", "api_token", C::kHigh, 1, "sent", S::kHigh),
      rule("Confidential document sent", "keyword", C::kHigh, 1, "sent", S::kMedium),
      rule("Passport number sent", "jp_passport", C::kHigh, 1, "sent", S::kMedium),
      rule("Bank account number sent", "bank_account", C::kMedium, 1, "sent", S::kMedium),
      rule("List of phone numbers sent", "jp_phone", C::kMedium, 20, "sent", S::kLow),
      rule("List of addresses sent", "jp_postal_address", C::kMedium, 20, "sent", S::kLow),
      rule("List of e-mail addresses sent", "email_address", C::kMedium, 100, "sent", S::kLow),
      // A password-protected file going out could hold anything; PPAP sends one with every
      // mail (inspect.encrypted_severity sets this level).
      rule("Encrypted file sent", "encrypted", C::kHigh, 1, "sent", S::kMedium),
      // Remote administration as intruders use it to move and hide (DCE/RPC over SMB pipes);
      // administrators' own tools do the same: a configuration that writes these rules itself
      // (default_rules = false) can exempt their accounts. Services deleted, registry values
      // written and machine passwords changed are routine: recorded, not alerted.
      rule("Service created remotely", "dcerpc:service_created", C::kHigh, 1, "", S::kHigh),
      rule("Service changed remotely", "dcerpc:service_changed", C::kHigh, 1, "", S::kHigh),
      rule("Service started remotely", "dcerpc:service_started", C::kHigh, 1, "", S::kMedium),
      rule("Scheduled task registered remotely", "dcerpc:task_registered", C::kHigh, 1, "",
           S::kHigh),
      rule("Scheduled task started remotely", "dcerpc:task_started", C::kHigh, 1, "", S::kMedium),
      rule("Event log cleared remotely", "dcerpc:log_cleared", C::kHigh, 1, "", S::kHigh),
      rule("Directory replication requested (DCSync, unless between domain controllers)",
           "dcerpc:directory_replication", C::kHigh, 1, "", S::kHigh),
      rule("Registry hive saved remotely", "dcerpc:registry_saved", C::kHigh, 1, "", S::kHigh),
      rule("Printer driver added remotely", "dcerpc:printer_driver_added", C::kHigh, 1, "",
           S::kHigh),
      rule("Authentication coerced (PetitPotam, PrinterBug)", "dcerpc:authentication_coerced",
           C::kHigh, 1, "", S::kHigh),
  };
  return p;
}

AlertPolicy::Verdict AlertPolicy::judge(const std::vector<ObjectFinding>& findings,
                                        std::string_view direction, std::string_view user,
                                        std::string_view host) const {
  Verdict v;
  v.per_finding.assign(findings.size(), Severity::kInfo);
  for (const AlertRule& r : rules) {
    if (!r.direction.empty() && r.direction != direction) continue;
    bool excluded = false;
    for (const std::string& u : r.exclude_users)
      excluded = excluded || (!user.empty() && u == user);
    const std::string h(host);
    for (const std::string& pattern : r.exclude_hosts)
      excluded = excluded || (!h.empty() && fnmatch(pattern.c_str(), h.c_str(), FNM_CASEFOLD) == 0);
    if (excluded) continue;
    std::uint64_t count = 0;
    for (const ObjectFinding& f : findings)
      if (detector_matches(r.detector, f.detector) && f.confidence >= r.min_confidence)
        count += f.count;
    if (count == 0 || count < r.min_count) continue;
    for (std::size_t i = 0; i < findings.size(); ++i) {
      const ObjectFinding& f = findings[i];
      if (detector_matches(r.detector, f.detector) && f.confidence >= r.min_confidence &&
          r.severity > v.per_finding[i])
        v.per_finding[i] = r.severity;
    }
    // A stronger rule of the same detector says it all ("My Numbers sent" over "My Number
    // sent"): the title lists each detector family once.
    bool said = false;
    for (const AlertRule& other : rules) {
      if (&other == &r) break;
      if (other.detector == r.detector && v.title.find(other.title) != std::string::npos)
        said = true;
    }
    if (!said) v.title += (v.title.empty() ? "" : "; ") + r.title;
    if (r.severity > v.severity) v.severity = r.severity;
  }
  return v;
}

}  // namespace kagami::inspect
