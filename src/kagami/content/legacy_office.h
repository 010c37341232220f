#pragma once

#include <cstddef>
#include <string>

#include "kagami/base/byte_view.h"

namespace kagami::content {

// What a compound file (OLE2, [MS-CFB]) holding an Office 97-2003 document gave.
struct LegacyText {
  enum class Status {
    kOk,           // text read (it may be empty: a blank workbook)
    kEncrypted,    // password-protected: an Excel FILEPASS, Word's fEncrypted, PowerPoint's
                   // encryption, or an encrypted OOXML package in its CFB wrapper
    kUnsupported,  // a compound file that is none of the three (Outlook .msg, Visio, ...)
    kCorrupt,      // the container or its records do not hold together
  };
  Status status = Status::kOk;
  std::string kind;  // "xls", "doc", "ppt"
  std::string text;  // UTF-8: cells tab-separated a row a line, paragraphs, slides' text
  std::string note;  // why, when not kOk; what was cut, when truncated
  bool truncated = false;
};

// The text of a legacy binary Office document: Excel (BIFF8: shared strings, label, number and
// RK cells, cached formula results, sheet headers and footers), Word 97 (the piece table:
// every piece, compressed or UTF-16, headers and footnotes among them, field codes dropped) and
// PowerPoint (text atoms of slides, notes and masters). libgsf reads the container; the
// records are read here, bounded by `max_text_bytes` and by the streams' own sizes.
LegacyText legacy_office_text(ByteView bytes, std::size_t max_text_bytes);

}  // namespace kagami::content
