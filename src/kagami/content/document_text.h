#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kagami/base/byte_view.h"

namespace kagami::content {

// What kind of document bytes are, as far as getting text out of them goes.
enum class DocumentKind : std::uint8_t {
  kText,  // plain text, CSV, JSON, source code, mail bodies: any charset
  kHtml,
  kXml,
  kPdf,
  kRtf,
  kOoxml,  // docx, xlsx, pptx (a zip with [Content_Types].xml)
  kOdf,    // odt, ods, odp (a zip with a mimetype member)
  kZip,
  kTar,
  kGzip,
  kArchive,    // 7z, RAR, LHA/LZH, CAB, and bzip2/xz-compressed files: what libarchive reads
  kOle,        // a compound file: legacy Office, or a password-protected OOXML
  kMail,       // an RFC 5322 message: its headers and text (attachments are objects of their own)
  kMultipart,  // a form upload's body: its text fields (its files are objects of their own)
  kBinary,     // nothing to read text from
};
std::string_view document_kind_name(DocumentKind k);

// From the first bytes, with the name's extension and the typed MIME as tie-breakers.
DocumentKind sniff_document(ByteView head, std::string_view name, std::string_view mime);

struct ExtractLimits {
  int max_depth = 5;                              // archives inside archives
  std::uint64_t max_expanded_bytes = 256u << 20;  // all members of one object together
  std::uint32_t max_ratio = 200;                  // expanded : compressed, past 1 MiB expanded
  std::uint32_t max_members = 10000;              // per object
  std::uint64_t max_text_bytes = 64u << 20;       // text handed on per object
  std::size_t max_pdf_pages = 2000;
};

// What extraction ran into: the flags a file gets when part of it could not be inspected.
struct ExtractReport {
  std::uint64_t text_bytes = 0;
  std::uint32_t documents = 0;  // parts whose text was read
  std::uint32_t members = 0;    // archive members seen
  bool encrypted = false;       // a password-protected archive member, document or PDF
  bool bomb = false;            // expansion beyond the ratio or the total: not followed
  bool too_deep = false;        // nesting beyond max_depth
  bool truncated = false;       // text, members or pages beyond their bounds
  bool corrupt = false;         // a part that would not parse
  bool unsupported = false;     // a legacy binary Office document, or an unknown binary
  bool invalid_text = false;    // bytes invalid in the text's charset (now U+FFFD)
  std::string note;             // the first reason, for the record
  std::string encrypted_what;   // the first thing a password kept from being read

  void flag(bool& which, std::string why) {
    which = true;
    if (&which == &encrypted && encrypted_what.empty()) encrypted_what = why;
    if (note.empty()) note = std::move(why);
  }
};

// Gets the text out of an object and everything inside it: each document's text, UTF-8 in
// NFKC, is handed to `sink` with the path of the member it came from ("" for the object
// itself, "a.zip/b.docx" inside archives), in pieces of any size.
class DocumentText {
 public:
  using Sink = std::function<void(std::string_view text, std::string_view member)>;
  explicit DocumentText(ExtractLimits limits = {}) : limits_(limits) {}
  ExtractReport extract(ByteView object, std::string_view name, std::string_view mime,
                        const Sink& sink) const;

 private:
  struct Walk;
  void extract_part(Walk& w, ByteView bytes, std::string_view name, std::string_view mime,
                    const std::string& member, int depth) const;
  void extract_archive(Walk& w, ByteView bytes, DocumentKind kind, const std::string& member,
                       int depth) const;
  void emit_package(Walk& w, const std::vector<std::pair<std::string, std::string>>& parts,
                    const std::string& member) const;
  ExtractLimits limits_;
};

}  // namespace kagami::content
