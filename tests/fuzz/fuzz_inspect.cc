// The content scanner on arbitrary text: the first byte picks the chunk size, so values and
// context words are split at every kind of boundary.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kagami/inspect/text_scanner.h"

using namespace kagami::inspect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto scanner = [] {
    auto db = PatternDatabase::build({});
    return db ? TextScanner::create(db.value()).value() : nullptr;
  }();
  if (scanner == nullptr || size == 0) return 0;
  const std::size_t chunk = 1 + data[0] % 64;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  scanner->begin();
  for (std::size_t at = 0; at < text.size(); at += chunk) scanner->feed(text.substr(at, chunk));
  for (const Finding& f : scanner->finish()) {
    // A sample never holds a whole value: digits beyond the last four are masked.
    if (f.detector != Detector::kJpMyNumber && f.detector != Detector::kCreditCard &&
        f.detector != Detector::kJpCorporateNumber)
      continue;
    int shown = 0;
    for (char c : f.sample) shown += c >= '0' && c <= '9';
    if (shown > 4) __builtin_trap();
  }
  return 0;
}
