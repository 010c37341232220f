#pragma once

#include <string>
#include <string_view>

namespace kagami::store {

// Text as the trigram full-text index compares it: each character case-folded on its own
// (Unicode simple folding, as SQLite's FTS5 does when it is not case-sensitive), bytes that are
// not UTF-8 kept as they are. The ASCII case is a byte loop.
std::string fold_case(std::string_view utf8);

// Whether `text` holds `folded_needle` (already folded) once folded itself: the full-text
// index's substring match, for testing a row the index did not list.
bool holds_folded(std::string_view text, std::string_view folded_needle);

}  // namespace kagami::store
