#pragma once

#include <string>
#include <string_view>

namespace kagami::content {

// The text of an RTF document as UTF-8: control words dropped, \par, \line, \cell and \row
// as line breaks, \'hh bytes decoded in the document's code page (\ansicpg, 932 for Japanese
// Word), \uN characters with their \ucN fallbacks skipped, and the destinations that hold no
// text (font and colour tables, styles, pictures, objects, \*) skipped. Appends to `out`.
void rtf_text(std::string_view rtf, std::string& out);

}  // namespace kagami::content
