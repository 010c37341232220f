#include "kagami/query/text_match.h"

#include <algorithm>

namespace kagami::query {

namespace {

// Bytes of the UTF-8 character starting with `c` (1 for a byte that does not start one).
std::size_t char_length(unsigned char c) {
  if (c >= 0xF0) return 4;
  if (c >= 0xE0) return 3;
  if (c >= 0xC0) return 2;
  return 1;
}

// Where each character starts, and the end.
std::vector<std::size_t> char_starts(std::string_view utf8) {
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < utf8.size();) {
    starts.push_back(i);
    i += std::min(char_length(static_cast<unsigned char>(utf8[i])), utf8.size() - i);
  }
  starts.push_back(utf8.size());
  return starts;
}

}  // namespace

std::vector<std::string> trigrams(std::string_view utf8) {
  const std::vector<std::size_t> starts = char_starts(utf8);
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 3 < starts.size(); ++i)
    out.emplace_back(utf8.substr(starts[i], starts[i + 3] - starts[i]));
  return out;
}

std::string fts_phrase(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

TextMatch plan_text_match(std::string_view text, const TextRows& rows) {
  TextMatch whole{fts_phrase(text), false};
  const std::vector<std::string> pieces = trigrams(text);
  // A stretch of three trigrams is five characters; shorter text is its own best lead.
  constexpr std::size_t kLead = 3;
  if (!rows || pieces.size() <= kLead) return whole;
  const std::size_t probed = std::min(pieces.size(), kMaxProbedTrigrams);
  std::vector<std::uint64_t> n(probed);
  for (std::size_t i = 0; i < probed; ++i) n[i] = rows(pieces[i]);
  const std::uint64_t longest = *std::max_element(n.begin(), n.end());
  std::size_t best = 0;
  std::uint64_t best_sum = UINT64_MAX, best_max = 0;
  for (std::size_t i = 0; i + kLead <= probed; ++i) {
    std::uint64_t sum = 0, most = 0;
    for (std::size_t j = i; j < i + kLead; ++j) {
      sum += n[j];
      most = std::max(most, n[j]);
    }
    if (sum < best_sum) {
      best = i;
      best_sum = sum;
      best_max = most;
    }
  }
  // Worth it only if the lead leaves out a list several times longer than its own...
  if (best_max * 4 > longest) return whole;
  const std::vector<std::size_t> starts = char_starts(text);
  const std::string_view lead = text.substr(starts[best], starts[best + kLead + 2] - starts[best]);
  // ...and its candidates are few enough to test one by one: a row tested costs about what
  // kRowCost entries of a list walked do.
  constexpr std::uint64_t kRowCost = 30;
  if (rows(lead) * kRowCost > longest) return whole;
  return {fts_phrase(lead), true};
}

}  // namespace kagami::query
