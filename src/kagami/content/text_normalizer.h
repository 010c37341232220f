#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <unicode/uversion.h>

#include "kagami/base/byte_view.h"
#include "kagami/base/result.h"

struct UConverter;
U_NAMESPACE_BEGIN
class Normalizer2;
U_NAMESPACE_END

namespace kagami::content {

// The charset of a text: a byte-order mark, else strict UTF-8, else ICU's detector
// (Shift_JIS, EUC-JP, ISO-2022-JP, the ISO-8859 family, ...) on the first bytes. Always a name
// ICU's converters accept; "UTF-8" when nothing better is known.
std::string detect_charset(ByteView sample);

struct TextNormalizerCounters {
  std::uint64_t bytes_in = 0, bytes_out = 0;
  std::uint64_t replaced = 0;  // bytes invalid in their charset, now U+FFFD
};

// Text in any charset ICU knows, fed in chunks of any size, out as UTF-8 in Unicode
// normalisation form NFKC: full-width digits, letters and hyphens become ASCII, half-width
// katakana full-width, so that one pattern matches every way a value is typed. A chunk may
// end inside a character or before a combining mark: the tail waits for the next chunk.
class TextNormalizer {
 public:
  // `charset` empty: detected from the first chunk.
  static Result<std::unique_ptr<TextNormalizer>> create(std::string_view charset = {});
  ~TextNormalizer();
  TextNormalizer(const TextNormalizer&) = delete;
  TextNormalizer& operator=(const TextNormalizer&) = delete;

  // Appends the normalised text that `bytes` completes to `out`.
  void feed(ByteView bytes, std::string& out);
  // Appends what was held back.
  void finish(std::string& out);
  const std::string& charset() const { return charset_; }
  const TextNormalizerCounters& counters() const { return counters_; }

  // One whole text at once; `replaced`, when given, gets the count of invalid bytes.
  static std::string normalize(ByteView bytes, std::string_view charset = {},
                               std::uint64_t* replaced = nullptr);

 private:
  TextNormalizer() = default;
  bool open(std::string_view charset);
  void decode(ByteView bytes, bool flush, std::string& utf8);  // charset -> UTF-8
  void normalize_utf8(bool flush, std::string& out);           // pending_ -> NFKC
  static void unify_dashes(std::string& out, std::size_t from);
  void start_detected(std::string& out);  // detects the charset of undetected_ and goes on

  std::string charset_;
  bool utf8_ = false;
  UConverter* converter_ = nullptr;
  const icu::Normalizer2* nfkc_ = nullptr;
  std::string undetected_;  // the first bytes, while the charset is not yet known
  std::string carry_;       // UTF-8 input: a character cut by the end of the last chunk
  std::string pending_;     // UTF-8 not yet normalised (its last segment may still grow)
  std::u16string utf16_;
  TextNormalizerCounters counters_;
};

}  // namespace kagami::content
