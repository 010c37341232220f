#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kagami::query {

// Where a query went wrong, as a position in its text (0-based, bytes) and a reason.
struct QueryError {
  std::size_t pos = 0;
  std::size_t len = 0;
  std::string message;  // in English
  // What went wrong as a code and the values its message names, for a reader in another
  // language ("unknown_field", {{"field", "foo"}}): the console says it in Japanese.
  std::string code;
  std::vector<std::pair<std::string, std::string>> args;
  // "column 14: unknown field 'foo'" followed by the query and a caret under the spot.
  std::string render(std::string_view query) const;
};

// A parsed query. Terms keep where they were typed so a later error (an unknown field, a
// value that is not an address) can point at them too.
struct Node {
  enum class Type { kAnd, kOr, kNot, kTerm, kText };
  enum class Op { kEq, kLt, kLe, kGt, kGe, kRange };
  Type type = Type::kTerm;
  std::vector<Node> children;  // kAnd, kOr: two or more; kNot: one
  std::string field;           // kTerm: as typed, lower-cased
  Op op = Op::kEq;
  std::string value;    // kTerm, kText
  std::string value2;   // kRange: the upper end (inclusive)
  bool quoted = false;  // the value was "quoted": wildcards in it are literal
  std::size_t pos = 0, len = 0;
};

// Bounds on what one query may ask, so a pasted novel cannot tie up the index.
inline constexpr std::size_t kMaxQueryBytes = 4096;
inline constexpr std::size_t kMaxTerms = 128;
inline constexpr std::size_t kMaxDepth = 32;

// The language, Lucene-like:
//   field:value  field:"quoted value"  field:[A TO B]  field:>=N  field:<N
//   bare words and "quoted phrases" (free text)
//   AND, OR, NOT (upper case), a leading '-' for NOT, parentheses; juxtaposition means AND.
// Returns false and fills `error` for anything it cannot read.
bool parse_query(std::string_view text, Node& out, QueryError& error);

// The query as the parser read it, fully parenthesized (for tests and --explain).
std::string to_string(const Node& n);

}  // namespace kagami::query
