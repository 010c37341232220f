#pragma once

#include <string>
#include <string_view>

namespace kagami::content {

// The text of XML or HTML markup: tags dropped, character and entity references decoded,
// and a line break wherever a block ends (paragraphs, table cells and rows, slides, shared
// strings), so that values in neighbouring cells do not run together. Comments, CDATA
// markers, processing instructions, and HTML script and style contents are dropped.
// Appends to `out`; the markup may be cut off anywhere (a truncated member still gives text).
void markup_text(std::string_view markup, bool html, std::string& out);

}  // namespace kagami::content
