#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kagami::query {

// Free text over the trigram full-text index. A phrase is found through every three-character
// piece of it, and SQLite walks each piece's list of rows; in URLs pieces like "id=" or "/v1"
// are in nearly every row, so a rare phrase would cost as much as a common one. Led by its
// rarest five characters instead, the index walks short lists and the few rows they give are
// tested for the whole text.

// The rows (of one kind) estimated to hold a piece of text; the caller decides how.
using TextRows = std::function<std::uint64_t(std::string_view piece)>;

// The text's characters in overlapping threes, as the trigram tokenizer cuts it.
std::vector<std::string> trigrams(std::string_view utf8);

// `text` as one FTS5 phrase: quoted, its quotes doubled.
std::string fts_phrase(std::string_view text);

// How the index finds `text` (three characters or more): its phrase, or, when `rows` says a
// stretch of three of its trigrams is rare and skips lists far longer than its own, that
// stretch alone, its few candidates then tested for the whole text as rows ("72423" for
// "id=72423": FTS5 would otherwise walk "id=" through nearly every row). At most
// kMaxProbedTrigrams pieces are estimated.
inline constexpr std::size_t kMaxProbedTrigrams = 24;
struct TextMatch {
  std::string expression;  // FTS5 MATCH
  bool verify = false;     // candidates must be tested for the whole text
};
TextMatch plan_text_match(std::string_view text, const TextRows& rows);

}  // namespace kagami::query
