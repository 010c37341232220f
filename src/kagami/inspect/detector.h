#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kagami::inspect {

// The built-in content detectors. Their names are stable identifiers: users write rules,
// thresholds and exclusions against them, and findings carry them.
enum class Detector : std::uint8_t {
  kJpMyNumber,
  kJpCorporateNumber,
  kCreditCard,
  kJpPhone,
  kJpPostalAddress,
  kEmailAddress,
  kJpPassport,
  kBankAccount,
  kPrivateKey,
  kApiToken,
  kKeyword,
};
inline constexpr int kDetectorCount = 11;

std::string_view detector_name(Detector d);
// The detector a stable name stands for; false when there is none.
bool detector_from_name(std::string_view name, Detector& out);

// How sure a finding is. A value that passes its check but has no context word nearby may be
// chance (a random 12-digit string passes the My Number check one time in eleven).
enum class Confidence : std::uint8_t { kLow, kMedium, kHigh };
std::string_view confidence_name(Confidence c);

}  // namespace kagami::inspect
