// The detectors on documents of every supported type and charset: each labelled sentence
// (one value, or one near miss) is put into a document, the document goes through text
// extraction and the scanner, and precision and recall are computed per detector and type.
#include <map>

#include <gtest/gtest.h>
#include <unicode/ucnv.h>

#include "kagami/inspect/alert_policy.h"
#include "kagami/inspect/inspector.h"

#include "business_documents.h"
#include "labelled_cases.h"
#include "support/archive_builder.h"
#include "support/legacy_office_builder.h"
#include "support/pdf_builder.h"

namespace kagami::inspect {
namespace {

using fixtures::Case;

std::string encode(const std::string& utf8, const char* charset) {
  std::string out(utf8.size() * 4 + 16, '\0');
  UErrorCode status = U_ZERO_ERROR;
  const int32_t n = ucnv_convert(charset, "UTF-8", out.data(), static_cast<int32_t>(out.size()),
                                 utf8.data(), static_cast<int32_t>(utf8.size()), &status);
  EXPECT_TRUE(U_SUCCESS(status)) << charset << " " << u_errorName(status);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string xml_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '&')
      o += "&amp;";
    else if (c == '>')
      o += "&gt;";
    else
      o.push_back(c);
  }
  return o;
}

// RTF keeps non-ASCII characters as \uN escapes with a '?' fallback.
std::string rtf_of(const std::string& utf8) {
  std::string o = "{\\rtf1\\ansi\\ansicpg1252 ";
  for (std::size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    std::uint32_t cp = c;
    int len = 1;
    if (c >= 0xF0)
      cp = c & 0x07, len = 4;
    else if (c >= 0xE0)
      cp = c & 0x0F, len = 3;
    else if (c >= 0xC0)
      cp = c & 0x1F, len = 2;
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    i += static_cast<std::size_t>(len);
    if (cp == '\n')
      o += "\\par ";
    else if (cp == '\\' || cp == '{' || cp == '}')
      o += std::string("\\") + static_cast<char>(cp);
    else if (cp < 0x80)
      o.push_back(static_cast<char>(cp));
    else
      o += "\\u" +
           std::to_string(cp < 32768 ? static_cast<int>(cp) : static_cast<int>(cp) - 65536) + "?";
  }
  return o + "\\par}";
}

bool ascii(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

// A document of `type` holding `text`; its name as it would travel.
std::pair<std::string, std::string> document(const std::string& type, const std::string& text) {
  using test::ZipBuilder;
  if (type == "utf-8") return {"a.txt", text};
  if (type == "shift_jis") return {"a.txt", encode(text, "Shift_JIS")};
  if (type == "euc-jp") return {"a.txt", encode(text, "EUC-JP")};
  if (type == "iso-2022-jp") return {"a.txt", encode(text, "ISO-2022-JP")};
  if (type == "utf-16le") return {"a.txt", "\xFF\xFE" + encode(text, "UTF-16LE")};
  if (type == "html")
    return {"a.html",
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><script>var n="
            "\"123456789018\";</script></head><body><p>" +
                xml_escape(text) + "</p></body></html>"};
  if (type == "docx") {
    // Word splits a paragraph into runs anywhere: here, in the middle.
    const std::size_t half = text.size() / 2;
    std::size_t cut = half;
    while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
    return {"a.docx",
            ZipBuilder()
                .add("[Content_Types].xml", "<Types/>")
                .add("word/document.xml",
                     "<w:document><w:body><w:p><w:r><w:t>" + xml_escape(text.substr(0, cut)) +
                         "</w:t></w:r><w:r><w:t>" + xml_escape(text.substr(cut)) +
                         "</w:t></w:r></w:p></w:body></w:document>")
                .build()};
  }
  if (type == "xlsx")
    return {"a.xlsx",
            ZipBuilder()
                .add("[Content_Types].xml", "<Types/>")
                .add("xl/worksheets/sheet1.xml",
                     "<worksheet><sheetData><row><c t=\"s\"><v>0</v></c></row>"
                     "</sheetData></worksheet>")
                .add("xl/sharedStrings.xml", "<sst><si><t>" + xml_escape(text) + "</t></si></sst>")
                .build()};
  if (type == "pptx")
    return {"a.pptx",
            ZipBuilder()
                .add("[Content_Types].xml", "<Types/>")
                .add("ppt/slides/slide1.xml",
                     "<p:sld><a:p><a:r><a:t>" + xml_escape(text) + "</a:t></a:r></a:p></p:sld>")
                .build()};
  if (type == "odt")
    return {"a.odt", ZipBuilder()
                         .add("mimetype", "application/vnd.oasis.opendocument.text", false)
                         .add("content.xml", "<office:text><text:p>" + xml_escape(text) +
                                                 "</text:p></office:text>")
                         .build()};
  if (type == "rtf") return {"a.rtf", rtf_of(text)};
  if (type == "xls") return {"a.xls", test::xls_with(text)};
  if (type == "doc") return {"a.doc", test::doc_with(text)};
  if (type == "ppt") return {"a.ppt", test::ppt_with(text)};
  if (type == "pdf") {
    std::vector<std::string> lines;
    std::size_t at = 0;
    while (at < text.size()) {
      std::size_t nl = text.find('\n', at);
      if (nl == std::string::npos) nl = text.size();
      lines.push_back(text.substr(at, nl - at));
      at = nl + 1;
    }
    return {"a.pdf", test::pdf_with_pages({lines})};
  }
  if (type == "zip") {
    auto inner = document("docx", text);
    return {"a.zip", ZipBuilder().add("docs/" + inner.first, inner.second).build()};
  }
  if (type == "tar.gz")
    return {"a.tar.gz", test::gzip_bytes(test::tar_bytes({{"notes/a.txt", text}}))};
  return {"", ""};
}

TEST(DocumentFixtures, PrecisionAndRecallPerDetectorOnEveryTypeAndCharset) {
  auto inspector = Inspector::create({});
  ASSERT_TRUE(inspector) << inspector.error().message;
  auto worker = inspector.value()->worker();
  ASSERT_TRUE(worker);
  const std::vector<Case> cases = fixtures::labelled_cases();
  const std::vector<std::string> types = {
      "utf-8", "shift_jis", "euc-jp", "iso-2022-jp", "utf-16le", "html", "docx", "xlsx", "pptx",
      "odt",   "rtf",       "pdf",    "zip",         "tar.gz",   "xls",  "doc",  "ppt"};
  const int per_case = 40;
  std::map<std::string, double> worst_precision, worst_recall;
  std::map<std::string, int> cases_run;
  struct Tally {
    int tp = 0, fp = 0, fn = 0, formats = 0;
  };
  std::map<std::string, Tally> per_detector;
  for (const std::string& type : types) {
    std::mt19937 rng(1127);
    for (const Case& c : cases) {
      const std::string name(detector_name(c.detector));
      auto fired = [&](const std::string& sentence) -> int {
        // PDF pages here use a standard font: ASCII only.
        const std::string filler = type == "pdf"
                                       ? "The quarterly report is attached.\n"
                                       : "本日の資料を送付します。The report is attached.\n";
        auto [file, bytes] = document(type, filler + sentence + "\n" + filler);
        const Inspection in = inspector.value()->inspect(
            *worker.value(),
            ByteView(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), "", file,
            "");
        int n = 0;
        for (const auto& f : in.findings)
          if (f.detector == name && f.confidence >= Confidence::kMedium)
            n += static_cast<int>(f.count);
        return n;
      };
      int tp = 0, fn = 0, fp = 0, tried = 0;
      for (int i = 0; i < per_case; ++i) {
        const std::string pos = c.positive(rng), neg = c.negative(rng);
        if (type == "pdf" && (!ascii(pos) || !ascii(neg))) continue;
        ++tried;
        const int p = fired(pos);
        if (p >= 1)
          ++tp;
        else
          ++fn;
        fp += std::max(0, p - 1) + fired(neg);
      }
      if (tried == 0) continue;  // a detector whose fixtures are Japanese: not for PDF here
      const double precision = tp + fp == 0 ? 1.0 : static_cast<double>(tp) / (tp + fp);
      const double recall = static_cast<double>(tp) / (tp + fn);
      EXPECT_GE(precision, 0.99) << type << " " << name << " fp " << fp;
      EXPECT_GE(recall, 0.99) << type << " " << name << " fn " << fn;
      worst_precision[type] =
          std::min(worst_precision.count(type) ? worst_precision[type] : 1.0, precision);
      worst_recall[type] = std::min(worst_recall.count(type) ? worst_recall[type] : 1.0, recall);
      cases_run[type] += tried * 2;
      Tally& d = per_detector[name];
      d.tp += tp;
      d.fp += fp;
      d.fn += fn;
      ++d.formats;
    }
  }
  // The figures docs/inspection.md quotes: the worst detector of each type.
  for (const std::string& type : types)
    std::printf("labelled: %-11s %4d documents, worst precision %.3f, worst recall %.3f\n",
                type.c_str(), cases_run[type], worst_precision[type], worst_recall[type]);
  // And each detector over every format it ran in.
  for (const auto& [name, d] : per_detector)
    std::printf("labelled: %-18s %2d formats, tp %5d fp %3d fn %3d, precision %.3f, recall %.3f\n",
                name.c_str(), d.formats, d.tp, d.fp, d.fn,
                d.tp + d.fp == 0 ? 1.0 : static_cast<double>(d.tp) / (d.tp + d.fp),
                d.tp + d.fn == 0 ? 1.0 : static_cast<double>(d.tp) / (d.tp + d.fn));
}

// A Japanese office's everyday documents, full of numbers that pass a check digit, raise no
// alert above low in any format; the ledgers among them are found whole.
TEST(DocumentFixtures, BusinessDocumentsRaiseNoFalseAlarmAndLedgersAreFound) {
  auto inspector = Inspector::create({});
  ASSERT_TRUE(inspector) << inspector.error().message;
  auto worker = inspector.value()->worker();
  ASSERT_TRUE(worker);
  const AlertPolicy policy = AlertPolicy::defaults();
  auto inspect = [&](const std::string& type, const std::string& text) {
    auto [file, bytes] = document(type, text);
    return inspector.value()->inspect(
        *worker.value(),
        ByteView(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), "", file, "");
  };
  std::map<std::string, int> false_values;  // detector -> values wrongly found, all types
  int documents = 0, ledgers = 0;
  for (const std::string type :
       {"utf-8", "shift_jis", "euc-jp", "xlsx", "docx", "zip", "pdf", "xls", "doc", "ppt"}) {
    std::mt19937 rng(2026);
    for (const auto& doc : fixtures::benign_business_documents(rng)) {
      if (type == std::string("pdf") && !doc.ascii_only) continue;
      ++documents;
      const Inspection in = inspect(type, doc.text);
      const AlertPolicy::Verdict v = policy.judge(in.findings, "sent", "", "");
      EXPECT_LE(v.severity, Severity::kLow) << type << ": " << doc.name << ": " << v.title;
      for (const auto& f : in.findings) {
        // The invoice's own registration number is a corporate number: found, as it should be.
        if (f.detector == "jp_corporate_number" && doc.name.rfind("invoice", 0) == 0 &&
            f.count == 1)
          continue;
        if ((f.detector == "jp_my_number" || f.detector == "credit_card" ||
             f.detector == "jp_corporate_number") &&
            f.confidence >= Confidence::kMedium)
          false_values[f.detector] += static_cast<int>(f.count);
      }
    }
    for (const auto& l : fixtures::sensitive_business_documents(rng)) {
      if (type == std::string("pdf")) continue;  // Japanese headings: not in the PDF builder's font
      ++ledgers;
      const Inspection in = inspect(type, l.text);
      int found = 0;
      for (const auto& f : in.findings)
        if (f.detector == detector_name(l.detector) && f.confidence >= Confidence::kMedium)
          found += static_cast<int>(f.count);
      EXPECT_EQ(found, l.values) << type << ": " << l.name;
    }
  }
  for (const auto& [d, n] : false_values) EXPECT_EQ(n, 0) << d << " found in benign documents";
  std::printf(
      "business documents: %d benign (no alert above low, %zu detectors with false values), "
      "%d ledgers found whole\n",
      documents, false_values.size(), ledgers);
}

}  // namespace
}  // namespace kagami::inspect
