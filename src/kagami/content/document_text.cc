#include "kagami/content/document_text.h"

#include <algorithm>
#include <cstring>

#include <archive.h>
#include <archive_entry.h>

#include "kagami/base/ascii.h"
#include "kagami/content/archive_unlock.h"
#include "kagami/content/header_params.h"
#include "kagami/content/legacy_office.h"
#include "kagami/content/markup_text.h"
#include "kagami/content/mime_message.h"
#include "kagami/content/multipart_parser.h"
#include "kagami/content/pdf_text.h"
#include "kagami/content/rtf_text.h"
#include "kagami/content/spool.h"
#include "kagami/content/text_normalizer.h"
#include "kagami/content/utf8_append.h"

namespace kagami::content {
namespace {

std::string_view view_of(ByteView b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}
ByteView bytes_of(std::string_view s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

std::string_view extension_of(std::string_view name) {
  const std::size_t slash = name.find_last_of('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  const std::size_t dot = name.find_last_of('.');
  return dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
}

bool ext_is(std::string_view name, std::initializer_list<std::string_view> exts) {
  const std::string_view e = extension_of(name);
  for (std::string_view x : exts)
    if (iequals(e, x)) return true;
  return false;
}

// Members of an Office or OpenDocument package that hold text (document, sheets, shared
// strings, slides, notes, comments, headers, metadata), as opposed to styles and settings.
bool package_text_member(std::string_view path) {
  if (!ext_is(path, {"xml"})) return false;
  static constexpr std::string_view kSkip[] = {
      "styles", "theme",    "settings",  "fontTable", "webSettings", "numbering", "[Content_Types]",
      "_rels/", "manifest", "presProps", "viewProps", "tableStyles", "calcChain", "app.xml"};
  for (std::string_view s : kSkip)
    if (path.find(s) != std::string_view::npos) return false;
  return true;
}

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

// A message starts with header fields, and MIME ones or trace fields are among the first.
bool looks_like_mail(std::string_view head) {
  static constexpr std::string_view kFirst[] = {
      "Received:",     "Return-Path:", "From:",         "Message-ID:",
      "MIME-Version:", "Date:",        "Delivered-To:", "X-"};
  bool starts = false;
  for (std::string_view f : kFirst) starts = starts || istarts_with(head, f);
  if (!starts) return false;
  std::size_t end = head.find("\r\n\r\n");
  if (end == std::string_view::npos) end = head.find("\n\n");
  const std::string_view fields = head.substr(0, end);
  int known = 0;
  for (std::string_view f : {"\nFrom:", "\nTo:", "\nSubject:", "\nDate:", "\nMIME-Version:",
                             "\nContent-Type:", "\nMessage-ID:"})
    known += fields.find(f) != std::string_view::npos ? 1 : 0;
  return known >= 2;
}

// Headers and text of a message; its attachments are extracted (and inspected) on their own.
class SkipParts final : public MimePartSink {
 public:
  ByteSink* begin_part(const MimePartInfo&) override { return nullptr; }
  void end_part(bool) override {}
};

// A multipart body's text fields, "name: value" a line; its file parts are skipped (they are
// extracted and inspected as objects of their own), only counted.
class FormFields final : public MultipartEvents {
 public:
  explicit FormFields(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  void on_part_begin(const PartHeaders& headers) override {
    reading_ = !is_file_part(headers);
    if (!reading_) {
      ++files_;
      return;
    }
    std::string field;
    if (const std::string* cd = headers.find("Content-Disposition")) {
      const HeaderValue v = parse_header_value(*cd);
      if (const std::string* n = v.param("name")) field = *n;
    }
    if (!text_.empty() && text_.back() != '\n') text_ += '\n';
    if (!field.empty()) text_ += field + ": ";
  }
  void on_part_data(ByteView bytes) override {
    if (!reading_) return;
    const std::size_t room = max_bytes_ > text_.size() ? max_bytes_ - text_.size() : 0;
    if (bytes.size() > room) truncated_ = true;
    text_.append(as_chars(bytes).substr(0, room));
  }
  void on_part_end(bool complete) override {
    reading_ = false;
    cut_ = cut_ || !complete;
  }

  std::string& text() { return text_; }
  std::size_t files() const { return files_; }
  bool truncated() const { return truncated_; }
  bool cut() const { return cut_; }

 private:
  std::size_t max_bytes_;
  std::string text_;
  std::size_t files_ = 0;
  bool reading_ = false;
  bool truncated_ = false;
  bool cut_ = false;  // a part that did not end with a delimiter
};

// The text of each <si> of xl/sharedStrings.xml, in order (cells refer to them by index).
std::vector<std::string> shared_strings(std::string_view xml) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while ((at = xml.find("<si", at)) != std::string_view::npos) {
    const std::size_t end = xml.find("</si>", at);
    const std::size_t stop = end == std::string_view::npos ? xml.size() : end;
    std::string t;
    markup_text(xml.substr(at, stop - at), false, t);
    while (!t.empty() && t.back() == '\n') t.pop_back();
    out.push_back(std::move(t));
    if (end == std::string_view::npos || out.size() >= (1u << 20)) break;
    at = end + 5;
  }
  return out;
}

// A worksheet as lines of tab-separated cells: shared strings by their index, inline strings
// and values as they are.
void sheet_text(std::string_view xml, const std::vector<std::string>& shared, std::string& out) {
  std::size_t at = 0;
  bool row_has_cells = false;
  while (at < xml.size()) {
    const std::size_t lt = xml.find('<', at);
    if (lt == std::string_view::npos) break;
    if (xml.compare(lt, 6, "</row>") == 0) {
      if (row_has_cells) out.push_back('\n');
      row_has_cells = false;
      at = lt + 6;
      continue;
    }
    if (xml.compare(lt, 3, "<c ") != 0 && xml.compare(lt, 3, "<c>") != 0) {
      at = lt + 1;
      continue;
    }
    const std::size_t tag_end = xml.find('>', lt);
    if (tag_end == std::string_view::npos) break;
    const std::string_view tag = xml.substr(lt, tag_end - lt);
    if (tag.back() == '/') {  // an empty cell
      at = tag_end + 1;
      continue;
    }
    const std::size_t close = xml.find("</c>", tag_end);
    const std::size_t stop = close == std::string_view::npos ? xml.size() : close;
    const std::string_view body = xml.substr(tag_end + 1, stop - tag_end - 1);
    std::string value;
    if (contains(tag, "t=\"s\"")) {
      const std::size_t v = body.find("<v>");
      std::size_t index = 0;
      bool digits = false;
      for (std::size_t k = v == std::string_view::npos ? body.size() : v + 3;
           k < body.size() && body[k] >= '0' && body[k] <= '9'; ++k) {
        index =
            std::min<std::size_t>(index * 10 + static_cast<std::size_t>(body[k] - '0'), 1u << 30);
        digits = true;
      }
      if (digits && index < shared.size()) value = shared[index];
    } else {
      markup_text(body, false, value);
      while (!value.empty() && value.back() == '\n') value.pop_back();
    }
    if (row_has_cells) out.push_back('\t');
    out += value;
    row_has_cells = true;
    at = close == std::string_view::npos ? xml.size() : close + 4;
  }
  if (row_has_cells) out.push_back('\n');
}

// \uXXXX escapes (surrogate pairs too) and the one-letter escapes of JSON strings undone.
std::string json_unescape(std::string_view s) {
  auto hex4 = [&](std::size_t at, std::uint32_t& v) {
    if (at + 4 > s.size()) return false;
    v = 0;
    for (std::size_t k = at; k < at + 4; ++k) {
      const char c = s[k];
      const int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
      if (d < 0) return false;
      v = v * 16 + static_cast<std::uint32_t>(d);
    }
    return true;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out.push_back(s[i]);
      continue;
    }
    const char c = s[i + 1];
    std::uint32_t cp = 0;
    if (c == 'u' && hex4(i + 2, cp)) {
      i += 5;
      std::uint32_t low = 0;
      if (cp >= 0xD800 && cp <= 0xDBFF && i + 2 < s.size() && s[i + 1] == '\\' && s[i + 2] == 'u' &&
          hex4(i + 3, low) && low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += 6;
      }
      if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;  // a lone surrogate
      append_utf8(cp, out);
      continue;
    }
    const char* simple = std::strchr("\"\\/bfnrt", c);
    if (c != '\0' && simple != nullptr) {
      static const char kTo[] = "\"\\/\b\f\n\r\t";
      out.push_back(kTo[simple - "\"\\/bfnrt"]);
      ++i;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

// An HTML form's fields (application/x-www-form-urlencoded) or a JSON document with their
// escapes undone; "" when the text is neither or has no escapes.
std::string unescape_upload(std::string_view raw, std::string_view mime) {
  const std::string_view head = raw.substr(0, 4096);
  const std::size_t first = head.find_first_not_of(" \t\r\n");
  const bool json = contains(mime, "json") ||
                    (first != std::string_view::npos && (head[first] == '{' || head[first] == '['));
  if (json) return raw.find("\\u") == std::string_view::npos ? "" : json_unescape(raw);
  const bool form =
      contains(mime, "x-www-form-urlencoded") ||
      (head.find(' ') == std::string_view::npos && head.find('=') != std::string_view::npos &&
       head.find('%') != std::string_view::npos);
  if (!form) return "";
  std::string plus(raw);
  for (char& c : plus)
    if (c == '+')
      c = ' ';
    else if (c == '&')
      c = '\n';  // one field a line
  return percent_decode(plus);
}

// A worksheet's page headers and footers (<headerFooter>: where 社外秘 is stamped on every
// printed page), without their formatting codes (&L &C &R sections, &P page, &"font,style",
// &12 sizes, &K colours; "&&" is an ampersand).
void header_footer_text(std::string_view xml, std::string& out) {
  for (std::string_view tag :
       {"oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter"}) {
    const std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
    const std::size_t a = xml.find(open);
    if (a == std::string_view::npos) continue;
    const std::size_t b = xml.find(close, a);
    if (b == std::string_view::npos) continue;
    std::string raw;
    markup_text(xml.substr(a, b + close.size() - a), false, raw);
    std::string text;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&' || i + 1 >= raw.size()) {
        text.push_back(raw[i]);
        continue;
      }
      const char c = raw[++i];
      if (c == '&') {
        text.push_back('&');
      } else if (c == '"') {  // &"font,style"
        const std::size_t q = raw.find('"', i + 1);
        i = q == std::string::npos ? raw.size() : q;
      } else if (c >= '0' && c <= '9') {  // &12: a font size
        while (i + 1 < raw.size() && raw[i + 1] >= '0' && raw[i + 1] <= '9') ++i;
      } else if (c == 'K') {  // &Krrggbb or &KttSnnn: a colour
        i = std::min(raw.size() - 1, i + 6);
      } else if (c == 'L' || c == 'C' || c == 'R') {
        text.push_back(' ');  // a section: left, centre, right
      }  // &P &N &D &T &F &A &B &I &U &E &S &X &Y &G: fields and switches, no text
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    out += text;
    out.push_back('\n');
  }
}

}  // namespace

std::string_view document_kind_name(DocumentKind k) {
  static constexpr std::string_view kNames[] = {"text",    "html", "xml",  "pdf",       "rtf",
                                                "ooxml",   "odf",  "zip",  "tar",       "gzip",
                                                "archive", "ole",  "mail", "multipart", "binary"};
  return kNames[static_cast<std::size_t>(k)];
}

DocumentKind sniff_document(ByteView head_bytes, std::string_view name, std::string_view mime) {
  const std::string_view head = view_of(head_bytes).substr(0, 8192);
  if (head.substr(0, 1024).find("%PDF-") != std::string_view::npos) return DocumentKind::kPdf;
  if (head.substr(0, 5) == "{\\rtf") return DocumentKind::kRtf;
  if (head.substr(0, 4) == "PK\x03\x04") {
    if (contains(head, "[Content_Types].xml") ||
        ext_is(name, {"docx", "xlsx", "pptx", "docm", "xlsm", "pptm"}))
      return DocumentKind::kOoxml;
    if (head.size() > 38 && head.substr(30, 8) == "mimetype" &&
        contains(head.substr(38, 64), "opendocument"))
      return DocumentKind::kOdf;
    if (ext_is(name, {"odt", "ods", "odp"})) return DocumentKind::kOdf;
    return DocumentKind::kZip;
  }
  if (head.substr(0, 2) == "\x1F\x8B") return DocumentKind::kGzip;
  // Archives Japanese offices still send (7-Zip, RAR, LHA's .lzh) and Windows' CAB; bzip2 and xz.
  if (head.substr(0, 6) == "7z\xBC\xAF\x27\x1C" || head.substr(0, 6) == "Rar!\x1A\x07" ||
      head.substr(0, 4) == "MSCF" || head.substr(0, 3) == "BZh" ||
      head.substr(0, 6) == std::string_view("\xFD"
                                            "7zXZ\0",
                                            6) ||
      (head.size() > 7 && head[2] == '-' && head[6] == '-' &&
       (head.substr(3, 2) == "lh" || head.substr(3, 2) == "lz")))
    return DocumentKind::kArchive;
  if (head.size() >= 262 && head.substr(257, 5) == "ustar") return DocumentKind::kTar;
  if (head.substr(0, 8) == "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") return DocumentKind::kOle;
  if (iequals(mime, "message/rfc822") || ext_is(name, {"eml"}) || looks_like_mail(head))
    return DocumentKind::kMail;
  if (!leading_boundary(head).empty()) return DocumentKind::kMultipart;
  std::string_view start = head;
  if (start.substr(0, 3) == "\xEF\xBB\xBF") start.remove_prefix(3);
  while (!start.empty() && (start.front() == ' ' || start.front() == '\n' ||
                            start.front() == '\r' || start.front() == '\t'))
    start.remove_prefix(1);
  if (iequals(mime, "text/html") || istarts_with(start, "<!doctype html") ||
      istarts_with(start, "<html"))
    return DocumentKind::kHtml;
  if (start.substr(0, 5) == "<?xml" || mime.find("xml") != std::string_view::npos)
    return DocumentKind::kXml;
  if (head.substr(0, 2) == "\xFF\xFE" || head.substr(0, 2) == "\xFE\xFF")
    return DocumentKind::kText;  // UTF-16 with its byte-order mark
  // Text has no NUL bytes; nearly every binary format has some near its start.
  if (std::memchr(head.data(), 0, std::min<std::size_t>(head.size(), 4096)) == nullptr)
    return DocumentKind::kText;
  return DocumentKind::kBinary;
}

struct DocumentText::Walk {
  const Sink& sink;
  const ExtractLimits& limits;
  ExtractReport report;
  std::uint64_t expanded = 0;  // archive member bytes read, all levels together
  bool stop = false;           // a bomb: nothing more is read

  // Text in a charset (detected when empty) as NFKC UTF-8; bytes invalid in it are flagged.
  std::string normalize(ByteView bytes, std::string_view charset) {
    std::uint64_t replaced = 0;
    std::string out = TextNormalizer::normalize(bytes, charset, &replaced);
    if (replaced > 0)
      report.flag(report.invalid_text,
                  std::to_string(replaced) + " bytes invalid in their charset replaced");
    return out;
  }

  void emit(std::string_view text, const std::string& member) {
    if (text.empty()) return;
    const std::uint64_t room =
        limits.max_text_bytes > report.text_bytes ? limits.max_text_bytes - report.text_bytes : 0;
    if (text.size() > room) {
      report.flag(report.truncated,
                  "text beyond " + std::to_string(limits.max_text_bytes) + " bytes not inspected");
      text = text.substr(0, room);
    }
    if (text.empty()) return;
    report.text_bytes += text.size();
    sink(text, member);
  }
};

ExtractReport DocumentText::extract(ByteView object, std::string_view name, std::string_view mime,
                                    const Sink& sink) const {
  Walk w{sink, limits_, {}, 0, false};
  extract_part(w, object, name, mime, "", 0);
  return std::move(w.report);
}

void DocumentText::extract_part(Walk& w, ByteView bytes, std::string_view name,
                                std::string_view mime, const std::string& member, int depth) const {
  if (w.stop) return;
  const DocumentKind kind = sniff_document(bytes, name, mime);
  std::string text;
  switch (kind) {
    case DocumentKind::kText: {
      // Form and JSON uploads: their escapes undone first, so the words and numbers in them
      // read as typed (%E7%A4%BE%E5%A4%96%E7%A7%98 is 社外秘, \u30de\u30a4 is マイ).
      const std::string unescaped = unescape_upload(view_of(bytes), mime);
      text = w.normalize(unescaped.empty() ? bytes : bytes_of(unescaped), {});
      break;
    }
    case DocumentKind::kHtml:
    case DocumentKind::kXml:
      markup_text(w.normalize(bytes, {}), kind == DocumentKind::kHtml, text);
      break;
    case DocumentKind::kRtf: {
      std::string raw;
      rtf_text(view_of(bytes), raw);
      text = TextNormalizer::normalize(bytes_of(raw), "UTF-8");
      break;
    }
    case DocumentKind::kPdf: {
      std::string raw;
      const std::size_t room = static_cast<std::size_t>(limits_.max_text_bytes);
      switch (pdf_text(bytes, limits_.max_pdf_pages, room, raw)) {
        case PdfStatus::kEncrypted:
          w.report.flag(w.report.encrypted,
                        "password-protected PDF" + (member.empty() ? "" : " " + member));
          return;
        case PdfStatus::kCorrupt:
          w.report.flag(w.report.corrupt,
                        "PDF that does not open" + (member.empty() ? "" : ": " + member));
          return;
        case PdfStatus::kTruncated:
          w.report.flag(w.report.truncated, "PDF pages beyond the bound not read");
          break;
        case PdfStatus::kOk:
          break;
      }
      text = TextNormalizer::normalize(bytes_of(raw), "UTF-8");
      // Pages without a character of text: scanned images, or fonts with no way to Unicode.
      if (text.find_first_not_of(" \t\r\n\f") == std::string::npos)
        w.report.flag(w.report.unsupported,
                      "PDF with no text to read (scanned pages, or fonts without a Unicode map)" +
                          (member.empty() ? "" : ": " + member));
      break;
    }
    case DocumentKind::kOoxml:
    case DocumentKind::kOdf:
    case DocumentKind::kZip:
    case DocumentKind::kTar:
    case DocumentKind::kGzip:
    case DocumentKind::kArchive:
      if (depth >= limits_.max_depth) {
        w.report.flag(w.report.too_deep, "archives nested deeper than " +
                                             std::to_string(limits_.max_depth) + " at " + member);
        return;
      }
      extract_archive(w, bytes, kind, member, depth);
      return;
    case DocumentKind::kOle: {
      // Excel, Word and PowerPoint 97-2003 (legacy_office.h), or an encrypted OOXML package.
      const std::uint64_t room = limits_.max_text_bytes > w.report.text_bytes
                                     ? limits_.max_text_bytes - w.report.text_bytes
                                     : 0;
      LegacyText legacy = legacy_office_text(bytes, static_cast<std::size_t>(room));
      const std::string where = member.empty() ? "" : " " + member;
      switch (legacy.status) {
        case LegacyText::Status::kEncrypted:
          w.report.flag(w.report.encrypted, legacy.note + where);
          return;
        case LegacyText::Status::kUnsupported:
          w.report.flag(w.report.unsupported, legacy.note + where);
          return;
        case LegacyText::Status::kCorrupt:
          w.report.flag(w.report.corrupt, legacy.note + where);
          return;
        case LegacyText::Status::kOk:
          break;
      }
      if (legacy.truncated) w.report.flag(w.report.truncated, legacy.note + where);
      text = TextNormalizer::normalize(bytes_of(legacy.text), "UTF-8");
      break;
    }
    case DocumentKind::kMail: {
      Spool::Options so;
      so.memory_bytes = bytes.size() + 1;
      so.max_bytes = bytes.size() + 1;
      Spool spool(so);
      spool.write(bytes);
      MimeLimits ml;
      ml.max_body_text_bytes = static_cast<std::size_t>(limits_.max_text_bytes);
      SkipParts skip;
      auto m = parse_mime_message(spool, ml, skip);
      if (!m) {
        w.report.flag(w.report.corrupt, "mail message that does not parse: " + m.error().message);
        return;
      }
      std::string raw = "From: " + m->from + "\nTo: ";
      for (const auto& t : m->to) raw += t + ", ";
      for (const auto& c : m->cc) raw += c + ", ";
      raw += "\nSubject: " + m->subject + "\n\n" + m->body_text + "\n";
      text = TextNormalizer::normalize(bytes_of(raw), "UTF-8");
      break;
    }
    case DocumentKind::kMultipart: {
      FormFields fields(static_cast<std::size_t>(limits_.max_text_bytes));
      MultipartParser parser(leading_boundary(view_of(bytes).substr(0, 128)), MultipartLimits{},
                             fields);
      parser.feed(bytes);
      parser.finish();
      if (parser.failed() || parser.parts() == 0 || fields.cut()) {
        // Not the form it looked like, or cut short: read as it is, so nothing goes unread.
        text = w.normalize(bytes, {});
        break;
      }
      if (fields.truncated())
        w.report.flag(w.report.truncated, "form fields beyond " +
                                              std::to_string(limits_.max_text_bytes) +
                                              " bytes not inspected");
      text = w.normalize(bytes_of(fields.text()), {});
      break;
    }
    case DocumentKind::kBinary:
      return;  // no text; the malware scanners still see the bytes
  }
  ++w.report.documents;
  w.emit(text, member);
}

void DocumentText::extract_archive(Walk& w, ByteView bytes, DocumentKind kind,
                                   const std::string& member, int depth) const {
  archive* a = archive_read_new();
  if (kind == DocumentKind::kTar) {
    archive_read_support_format_tar(a);
  } else if (kind == DocumentKind::kGzip) {
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_raw(a);  // a gzip of one file
  } else if (kind == DocumentKind::kArchive) {
    archive_read_support_filter_all(a);
    archive_read_support_format_7zip(a);
    archive_read_support_format_rar(a);
    archive_read_support_format_rar5(a);
    archive_read_support_format_lha(a);
    archive_read_support_format_cab(a);
    archive_read_support_format_tar(a);  // a .tar.bz2, .tar.xz
    archive_read_support_format_raw(a);  // a bzip2 or xz of one file
  } else {
    archive_read_support_format_zip(a);
  }
  if (archive_read_open_memory(a, bytes.data(), bytes.size()) != ARCHIVE_OK) {
    w.report.flag(w.report.corrupt, "archive that does not open" +
                                        (member.empty() ? "" : ": " + member) + ": " +
                                        (archive_error_string(a) ? archive_error_string(a) : ""));
    archive_read_free(a);
    return;
  }
  const bool package = kind == DocumentKind::kOoxml || kind == DocumentKind::kOdf;
  std::vector<std::pair<std::string, std::string>> parts;  // a package's XML parts, in order
  std::uint64_t expanded_here = 0;
  archive_entry* e = nullptr;
  std::string data;
  for (;;) {
    const int rc = archive_read_next_header(a, &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      const char* why = archive_error_string(a);
      if (why != nullptr &&
          (std::strstr(why, "ncrypt") != nullptr || std::strstr(why, "assword") != nullptr)) {
        w.report.flag(w.report.encrypted, std::string("password-protected archive") +
                                              (member.empty() ? "" : " " + member) + ": " + why);
        break;
      }
      w.report.flag(w.report.corrupt, std::string("damaged archive") +
                                          (member.empty() ? "" : " " + member) + ": " +
                                          (archive_error_string(a) ? archive_error_string(a) : ""));
      break;
    }
    if (++w.report.members > limits_.max_members) {
      w.report.flag(w.report.truncated,
                    "archive members beyond " + std::to_string(limits_.max_members) + " not read");
      break;
    }
    if (archive_entry_filetype(e) != AE_IFREG) continue;
    const std::string entry = archive_member_name(archive_entry_pathname(e));
    const std::string path = member.empty() ? entry : member + "/" + entry;
    if (archive_entry_is_encrypted(e)) {
      w.report.flag(w.report.encrypted, "password-protected archive member " + path);
      continue;
    }
    if (package && !package_text_member(entry) && !contains(entry, "embeddings/")) continue;
    data.clear();
    char buf[64 * 1024];
    bool failed = false;
    for (;;) {
      const la_ssize_t n = archive_read_data(a, buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) {
        const char* why = archive_error_string(a);
        const std::string reason = why != nullptr ? why : "";
        if (reason.find("ncrypt") != std::string::npos ||
            reason.find("assphrase") != std::string::npos)
          w.report.flag(w.report.encrypted, "password-protected archive member " + path);
        else
          w.report.flag(w.report.corrupt, "damaged archive member " + path + ": " + reason);
        failed = true;
        break;
      }
      w.expanded += static_cast<std::uint64_t>(n);
      expanded_here += static_cast<std::uint64_t>(n);
      // A bomb: too much in all, or far more out than in. Flagged, not followed.
      if (w.expanded > limits_.max_expanded_bytes ||
          (expanded_here > (1u << 20) &&
           expanded_here > static_cast<std::uint64_t>(limits_.max_ratio) * bytes.size())) {
        w.report.flag(w.report.bomb, "archive expands beyond its bounds at " + path + " (" +
                                         std::to_string(expanded_here) + " bytes from " +
                                         std::to_string(bytes.size()) + ")");
        w.stop = true;
        archive_read_free(a);
        return;
      }
      data.append(buf, static_cast<std::size_t>(n));
    }
    if (failed) continue;
    if (package && package_text_member(entry)) {
      parts.emplace_back(entry, w.normalize(bytes_of(data), "UTF-8"));
    } else {
      std::string_view inner = entry;
      if ((kind == DocumentKind::kGzip || kind == DocumentKind::kArchive) && inner == "data")
        inner = "";
      extract_part(w, bytes_of(data), inner, "", path, depth + 1);
    }
    if (w.stop) break;
  }
  archive_read_free(a);
  if (!parts.empty()) emit_package(w, parts, member);
}

// A document package is one text: a context word in a sheet's header row, or in the shared
// strings, is near the values below it. Spreadsheet cells that point into the shared strings
// are shown with their strings, cells of a row on one line.
void DocumentText::emit_package(Walk& w,
                                const std::vector<std::pair<std::string, std::string>>& parts,
                                const std::string& member) const {
  std::vector<std::string> shared;
  for (const auto& [name, xml] : parts)
    if (name == "xl/sharedStrings.xml") shared = shared_strings(xml);
  bool sheets = false;
  for (const auto& [name, xml] : parts) sheets = sheets || name.rfind("xl/worksheets/", 0) == 0;
  std::string text;
  for (const auto& [name, xml] : parts) {
    if (sheets && name == "xl/sharedStrings.xml") continue;  // shown in their cells
    if (name.rfind("xl/worksheets/", 0) == 0) {
      header_footer_text(xml, text);
      sheet_text(xml, shared, text);
    } else
      markup_text(xml, false, text);
    text.push_back('\n');
  }
  ++w.report.documents;
  w.emit(text, member);
}

}  // namespace kagami::content
