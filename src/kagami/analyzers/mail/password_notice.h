#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kagami::analyzers {

// A password a message gives, where it stands in the text, and the value to try (full-width
// letters and digits read as the ASCII a recipient would type).
struct PasswordSpan {
  std::size_t offset = 0, length = 0;  // in the text, bytes
  std::string value;
};

struct PasswordNoticeLimits {
  std::size_t max_candidates = 8;
  std::size_t max_text_bytes = 64u << 10;  // a password notice is short; a long body is read
                                           // this far
  std::size_t min_length = 4, max_length = 64;
};

// The passwords a mail gives out, the Japanese way (PPAP: パスワード付きZIP + パスワード別送)
// and the English one: the value after a password word on its line ("パスワード：Xy7#kP2q",
// "パスワードは「Xy7#kP2q」です", "【PW】Xy7#kP2q", "Password: Xy7#kP2q"), or a line of its own
// just below one ("下記パスワードで解凍してください。\n\n  Xy7#kP2q"). Values are only ever
// tried, so a wrong candidate costs an attempt, a missed one a whole archive: the rules lean
// to trying. Nothing is returned for text with no password word.
std::vector<PasswordSpan> find_passwords(std::string_view text,
                                         const PasswordNoticeLimits& limits = {});

// `text` with each span replaced by "********": a password is a credential and is kept like
// one (as FTP's PASS is). Spans must come from find_passwords on the same text.
std::string mask_passwords(std::string_view text, const std::vector<PasswordSpan>& spans);

}  // namespace kagami::analyzers
