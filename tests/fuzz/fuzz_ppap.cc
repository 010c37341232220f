// PPAP on arbitrary bytes: password notices read out of any text (and masked), and any bytes
// as a password-protected zip to open with a few passwords, under small bounds.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kagami/analyzers/mail/password_notice.h"
#include "kagami/content/archive_unlock.h"

using namespace kagami;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  analyzers::PasswordNoticeLimits limits;
  const auto spans = analyzers::find_passwords(s, limits);
  if (spans.size() > limits.max_candidates) __builtin_trap();
  for (const auto& p : spans)
    if (p.offset + p.length > s.size() || p.value.size() < limits.min_length ||
        p.value.size() > limits.max_length)
      __builtin_trap();
  // Each span is replaced by eight asterisks, the rest kept as it was.
  const std::string masked = analyzers::mask_passwords(s, spans);
  std::vector<analyzers::PasswordSpan> sorted(spans);
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.offset != b.offset ? a.offset < b.offset : a.length > b.length;
  });
  std::size_t hidden = 0, spans_masked = 0, end = 0;
  for (const auto& p : sorted) {  // a span inside one masked before it stays inside
    if (p.offset < end) continue;
    hidden += p.length;
    ++spans_masked;
    end = p.offset + p.length;
  }
  if (masked.size() != s.size() - hidden + 8 * spans_masked) __builtin_trap();

  content::ExtractLimits el;
  el.max_expanded_bytes = 4u << 20;
  el.max_members = 64;
  std::uint64_t bytes = 0;
  const content::Unlock u =
      content::unlock_archive(ByteView(data, size), {"password", "Xy7#kP2q"}, el,
                              [&](const std::string&, ByteView member) { bytes += member.size(); });
  if (bytes != u.bytes || bytes > el.max_expanded_bytes) __builtin_trap();
  return 0;
}
