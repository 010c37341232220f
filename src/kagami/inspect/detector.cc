#include "kagami/inspect/detector.h"

#include <array>

namespace kagami::inspect {
namespace {
constexpr std::array<std::string_view, kDetectorCount> kNames = {
    "jp_my_number",      "jp_corporate_number", "credit_card", "jp_phone",
    "jp_postal_address", "email_address",       "jp_passport", "bank_account",
    "private_key",       "api_token",           "keyword"};
}

std::string_view detector_name(Detector d) { return kNames[static_cast<std::size_t>(d)]; }

bool detector_from_name(std::string_view name, Detector& out) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) {
      out = static_cast<Detector>(i);
      return true;
    }
  }
  return false;
}

std::string_view confidence_name(Confidence c) {
  switch (c) {
    case Confidence::kLow:
      return "low";
    case Confidence::kMedium:
      return "medium";
    case Confidence::kHigh:
      return "high";
  }
  return "low";
}

}  // namespace kagami::inspect
