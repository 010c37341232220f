#pragma once

// Builds PDF files in memory for tests and benchmarks: pages of Helvetica text, with a
// correct cross-reference table.

#include <cstdio>
#include <string>
#include <vector>

namespace kagami::test {

// A PDF with one page per entry of `pages`, each showing its lines (ASCII; parentheses and
// backslashes escaped).
inline std::string pdf_with_pages(const std::vector<std::vector<std::string>>& pages) {
  auto escape = [](const std::string& s) {
    std::string o;
    for (char c : s) {
      if (c == '(' || c == ')' || c == '\\') o.push_back('\\');
      o.push_back(c);
    }
    return o;
  };
  std::vector<std::string> objects = {"<< /Type /Catalog /Pages 2 0 R >>", ""};
  std::string kids;
  const std::size_t font = 3;
  objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  for (const auto& lines : pages) {
    std::string content = "BT /F1 10 Tf 12 TL 40 800 Td";
    for (const auto& l : lines) content += " (" + escape(l) + ") '";
    content += " ET";
    objects.push_back("<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content +
                      "\nendstream");
    const std::size_t contents = objects.size();
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents " +
                      std::to_string(contents) + " 0 R /Resources << /Font << /F1 " +
                      std::to_string(font) + " 0 R >> >> >>");
    kids += std::to_string(objects.size()) + " 0 R ";
  }
  objects[1] =
      "<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages.size()) + " >>";
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (std::size_t o : offsets) {
    char entry[24];
    std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", o);
    pdf += entry;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

// A one-page PDF showing one line.
inline std::string pdf_with(const std::string& line) { return pdf_with_pages({{line}}); }

// A one-page PDF whose Japanese text is in a CID font the file names but does not embed
// (HeiseiKakuGo-W5, Adobe-Japan1, UniJIS-UCS2-H), as Japanese PDF tools write it: a reader
// needs the CMaps of poppler-data to turn its codes into text. `ucs2` is the text's UTF-16.
inline std::string pdf_with_unembedded_cid_font(const std::u16string& ucs2) {
  std::string hex;
  for (char16_t u : ucs2) {
    char b[8];
    std::snprintf(b, sizeof b, "%04X", static_cast<unsigned>(u));
    hex += b;
  }
  const std::string content = "BT /F1 12 Tf 40 800 Td <" + hex + "> Tj ET";
  const std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>",
      "<< /Type /Pages /Kids [6 0 R] /Count 1 >>",
      "<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiKakuGo-W5 /Encoding /UniJIS-UCS2-H "
      "/DescendantFonts [4 0 R] >>",
      "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiKakuGo-W5 /CIDSystemInfo "
      "<< /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> /FontDescriptor 7 0 R >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R /Resources "
      "<< /Font << /F1 3 0 R >> >> >>",
      "<< /Type /FontDescriptor /FontName /HeiseiKakuGo-W5 /Flags 4 /FontBBox [0 -120 1000 880] "
      "/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 800 /StemV 80 >>"};
  std::string pdf = "%PDF-1.4\n";
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const std::size_t xref = pdf.size();
  pdf += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (std::size_t o : offsets) {
    char entry[24];
    std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", o);
    pdf += entry;
  }
  pdf += "trailer\n<< /Size " + std::to_string(objects.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return pdf;
}

}  // namespace kagami::test
