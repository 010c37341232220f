#include "kagami/content/document_text.h"

#include <map>

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include "support/archive_builder.h"
#include "support/pdf_builder.h"

namespace kagami::content {
namespace {

using kagami::test::gzip_bytes;
using kagami::test::pdf_with;
using kagami::test::tar_bytes;
using kagami::test::ZipBuilder;

ByteView bytes_of(const std::string& s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

struct Extracted {
  std::map<std::string, std::string> text;  // member -> text
  ExtractReport report;
  std::string all() const {
    std::string s;
    for (const auto& [m, t] : text) s += t;
    return s;
  }
};

Extracted extract(const std::string& object, const std::string& name = "",
                  const std::string& mime = "", ExtractLimits limits = {}) {
  Extracted e;
  e.report = DocumentText(limits).extract(
      bytes_of(object), name, mime,
      [&](std::string_view text, std::string_view member) { e.text[std::string(member)] += text; });
  return e;
}

std::string docx(const std::string& body_xml) {
  return ZipBuilder()
      .add("[Content_Types].xml", "<?xml version=\"1.0\"?><Types/>")
      .add("word/styles.xml", "<w:styles><w:style>Heading 1234567890123</w:style></w:styles>")
      .add("word/document.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document><w:body>" +
                                    body_xml + "</w:body></w:document>")
      .build();
}

TEST(DocumentText, SniffsKindsByContentThenName) {
  EXPECT_EQ(sniff_document(bytes_of(pdf_with("x")), "", ""), DocumentKind::kPdf);
  EXPECT_EQ(sniff_document(bytes_of(docx("")), "a.bin", ""), DocumentKind::kOoxml);
  EXPECT_EQ(sniff_document(bytes_of(ZipBuilder().add("a.txt", "x").build()), "", ""),
            DocumentKind::kZip);
  EXPECT_EQ(sniff_document(bytes_of(gzip_bytes("x")), "", ""), DocumentKind::kGzip);
  EXPECT_EQ(sniff_document(bytes_of(tar_bytes({{"a", "b"}})), "", ""), DocumentKind::kTar);
  EXPECT_EQ(sniff_document(bytes_of("{\\rtf1 x}"), "", ""), DocumentKind::kRtf);
  EXPECT_EQ(sniff_document(bytes_of("  <!DOCTYPE html><p>x"), "", ""), DocumentKind::kHtml);
  EXPECT_EQ(sniff_document(bytes_of("名前,番号\n"), "", ""), DocumentKind::kText);
  EXPECT_EQ(sniff_document(bytes_of(std::string("\x7F"
                                                "ELF\x02\x01\x01\0\0",
                                                9)),
                           "", ""),
            DocumentKind::kBinary);
}

// A form upload's whole body is kept as an object, and each file in it as another: the body is
// read as its text fields only, so a file in it is inspected (and alerts) once, not twice.
TEST(DocumentText, AFormUploadIsReadAsItsFieldsNotItsFiles) {
  const std::string csv = "氏名,マイナンバー\n田中,123456789018\n";
  const std::string form =
      "--xYz\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\n社外秘の一覧です"
      "\r\n--xYz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\n"
      "Content-Type: text/csv\r\n\r\n" +
      csv +
      "\r\n--xYz\r\nContent-Disposition: form-data; name=\"blob\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\n123456789018\r\n--xYz--\r\n";
  EXPECT_EQ(sniff_document(bytes_of(form), "", ""), DocumentKind::kMultipart);
  const Extracted e = extract(form);
  EXPECT_NE(e.all().find("comment: 社外秘の一覧です"), std::string::npos) << e.all();
  EXPECT_EQ(e.all().find("123456789018"), std::string::npos) << e.all();
  EXPECT_EQ(e.all().find("マイナンバー"), std::string::npos) << e.all();
  // What only starts like a form is read whole: nothing in it goes unread.
  const std::string broken = "--xYz\r\nContent-Type: text/plain\r\n" + csv;
  EXPECT_NE(extract(broken).all().find("123456789018"), std::string::npos);
}

TEST(DocumentText, WordRunsJoinAndStylesAreSkipped) {
  // Word splits one paragraph into runs anywhere, even inside a number.
  const auto e =
      extract(docx("<w:p><w:r><w:t>マイナンバー 1234</w:t></w:r><w:r><w:t>5678"
                   "9018</w:t></w:r></w:p><w:p><w:r><w:t>次&amp;行</w:t></w:r></w:p>"));
  // A package is one text (its member is the package itself): context words in one part
  // count for values in another.
  ASSERT_EQ(e.text.count(""), 1u);
  EXPECT_EQ(e.text.at(""), "マイナンバー 123456789018\n次&行\n\n");
  EXPECT_EQ(e.all().find("Heading"), std::string::npos);
  EXPECT_EQ(e.report.documents, 1u);
}

TEST(DocumentText, SpreadsheetCellsAndSharedStringsAreSeparateLines) {
  const std::string xlsx =
      ZipBuilder()
          .add("[Content_Types].xml", "<Types/>")
          .add("xl/sharedStrings.xml", "<sst><si><t>氏名</t></si><si><t>個人番号</t></si></sst>")
          .add("xl/worksheets/sheet1.xml",
               "<worksheet><sheetData><row r=\"1\"><c t=\"s\"><v>0</v></c><c t=\"s\"><v>1</v></c>"
               "</row><row r=\"2\"><c><v>123456789018</v></c><c><v>234567890123</v></c></row>"
               "</sheetData></worksheet>")
          .build();
  const auto e = extract(xlsx, "staff.xlsx");
  // Cells show their shared strings; a row is a line: the header sits on top of its column.
  EXPECT_EQ(e.all(), "氏名\t個人番号\n123456789018\t234567890123\n\n");
}

TEST(DocumentText, OpenDocumentPresentationAndHtmlText) {
  const std::string odt = ZipBuilder()
                              .add("mimetype", "application/vnd.oasis.opendocument.text", false)
                              .add("content.xml",
                                   "<office:text><text:p>社外秘 資料</text:p>"
                                   "</office:text>")
                              .build();
  EXPECT_NE(extract(odt, "a.odt").all().find("社外秘 資料"), std::string::npos);
  const std::string pptx = ZipBuilder()
                               .add("[Content_Types].xml", "<Types/>")
                               .add("ppt/slides/slide1.xml",
                                    "<p:sld><a:p><a:r><a:t>Confidential</a:t></a:r></a:p></p:sld>")
                               .build();
  EXPECT_NE(extract(pptx).all().find("Confidential"), std::string::npos);
  const auto html = extract(
      "<html><head><style>p{}</style><script>var x=\"123456789018\";</script></head>"
      "<body><p>電話&#x3A; ０３-1234-5678</p><p>次</p></body></html>");
  EXPECT_EQ(html.all().find("123456789018"), std::string::npos);  // code, not text
  EXPECT_NE(html.all().find("電話: 03-1234-5678\n"), std::string::npos) << html.all();
}

TEST(DocumentText, RtfInItsCodePageAndPdfPages) {
  // \ansicpg932: マイナンバー as Shift_JIS bytes, then a \u escape with its fallback '?'.
  const std::string rtf =
      "{\\rtf1\\ansi\\ansicpg932{\\fonttbl{\\f0 MS Mincho;}}{\\*\\generator x;}"
      "\\f0 \\'83\\'7d\\'83\\'43\\'83\\'69\\'83\\'93\\'83\\'6f\\'81\\'5b 1234-5678-9018\\par "
      "\\u31038?\\u22806?\\u31192?\\par}";
  const auto r = extract(rtf, "a.rtf");
  EXPECT_EQ(r.all(), "マイナンバー 1234-5678-9018\n社外秘\n");
  const auto p = extract(pdf_with("My Number: 1234-5678-9018"), "a.pdf");
  EXPECT_NE(p.all().find("My Number: 1234-5678-9018"), std::string::npos) << p.all();
  EXPECT_FALSE(p.report.corrupt);
  const auto broken = extract(std::string("%PDF-1.4\n") + std::string(100, 'x'), "b.pdf");
  EXPECT_TRUE(broken.report.corrupt) << broken.report.note;
}

TEST(DocumentText, ArchivesAreFollowedToTheDocumentsInside) {
  const std::string inner =
      ZipBuilder().add("list.csv", "氏名,マイナンバー\n太郎,123456789018\n").build();
  const std::string tgz = gzip_bytes(tar_bytes({{"inner.zip", inner}, {"readme.txt", "hello"}}));
  const std::string outer = ZipBuilder()
                                .add("bundle.tar.gz", tgz)
                                .add("memo.docx", docx("<w:p><w:r><w:t>極秘</w:t></w:r></w:p>"))
                                .build();
  const auto e = extract(outer, "outer.zip");
  ASSERT_EQ(e.text.count("bundle.tar.gz/inner.zip/list.csv"), 1u) << e.all();
  EXPECT_NE(e.text.at("bundle.tar.gz/inner.zip/list.csv").find("123456789018"), std::string::npos);
  EXPECT_EQ(e.text.at("bundle.tar.gz/readme.txt"), "hello");
  EXPECT_NE(e.text.at("memo.docx").find("極秘"), std::string::npos);
  EXPECT_FALSE(e.report.bomb || e.report.too_deep || e.report.corrupt);
}

TEST(DocumentText, BombsDeepNestingAndPasswordsAreFlaggedNotFollowed) {
  // 64 MiB of zeros deflate to about 64 KiB: a ratio a thousand to one.
  const std::string bomb = ZipBuilder()
                               .add("a.txt", "マイナンバー 123456789018")
                               .add("zeros.txt", std::string(64u << 20, '0'))
                               .build();
  const auto b = extract(bomb);
  EXPECT_TRUE(b.report.bomb) << b.report.note;
  EXPECT_NE(b.all().find("123456789018"), std::string::npos);  // what came before is kept

  std::string nested = ZipBuilder().add("deep.txt", "社外秘").build();
  for (int i = 0; i < 7; ++i) nested = ZipBuilder().add("level.zip", nested).build();
  const auto d = extract(nested);
  EXPECT_TRUE(d.report.too_deep) << d.report.note;
  EXPECT_EQ(d.all().find("社外秘"), std::string::npos);

  const std::string locked =
      ZipBuilder()
          .add("secret.xlsx", "not readable without the password", false, true)
          .add("open.txt", "公開情報")
          .build();
  const auto l = extract(locked);
  EXPECT_TRUE(l.report.encrypted) << l.report.note;
  EXPECT_NE(l.report.note.find("secret.xlsx"), std::string::npos);
  EXPECT_EQ(l.text.at("open.txt"), "公開情報");  // the rest is still inspected

  // A password-protected OOXML file is a compound file holding an EncryptedPackage stream.
  std::string ole("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  ole.append(504, '\0');
  for (char c : std::string("EncryptedPackage")) {
    ole.push_back(c);
    ole.push_back('\0');
  }
  const auto o = extract(ole, "payroll.xlsx");
  EXPECT_TRUE(o.report.encrypted);
}

TEST(DocumentText, AMailMessageGivesItsHeadersAndTextNotItsEncodedAttachments) {
  // Base64 is letters, digits, '+' and '/': read as text it would be full of digit runs.
  std::string b64;
  for (int i = 0; i < 40; ++i)
    b64 += "QUJD/4111111111111111+ZGVm/1234567890123/aGlq+0123456789012\r\n";
  const std::string eml =
      "From: =?UTF-8?B?55Sw5Lit?= <tanaka@example.jp>\r\nTo: suzuki@example.com\r\n"
      "Subject: =?ISO-2022-JP?B?GyRCPFIzMBsoQg==?=\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: text/plain; charset=UTF-8\r\n\r\n社外秘: ご確認ください\r\n--b\r\n"
      "Content-Type: application/octet-stream; name=a.bin\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      b64 + "--b--\r\n";
  EXPECT_EQ(sniff_document(bytes_of(eml), "", ""), DocumentKind::kMail);
  const auto e = extract(eml);
  EXPECT_NE(e.all().find("tanaka@example.jp"), std::string::npos) << e.all();
  EXPECT_NE(e.all().find("社外秘: ご確認ください"), std::string::npos) << e.all();
  EXPECT_EQ(e.all().find("4111111111111111"), std::string::npos) << e.all();
}

TEST(DocumentText, TextInvalidInItsCharsetIsFlaggedAndStillRead) {
  // UTF-8 with a stray byte (a cut, a bad copy): still read as UTF-8, the byte replaced.
  const auto e =
      extract("社外秘の資料です。本日中にご確認ください。\xFF 以上、よろしくお願いします。",
              "a.txt", "text/plain");
  EXPECT_TRUE(e.report.invalid_text) << e.report.note;
  EXPECT_NE(e.all().find("社外秘"), std::string::npos);
}

TEST(DocumentText, DamagedArchivesAndHugeTextAreBounded) {
  std::string zip = ZipBuilder().add("a.txt", std::string(100000, 'a')).build();
  zip.resize(zip.size() / 2);
  const auto z = extract(zip);
  EXPECT_TRUE(z.report.corrupt) << z.report.note;
  ExtractLimits small;
  small.max_text_bytes = 1000;
  const auto t = extract(std::string(5000, 'x'), "", "", small);
  EXPECT_TRUE(t.report.truncated);
  EXPECT_EQ(t.report.text_bytes, 1000u);
}

// 社外秘 stamped in a sheet's page header is text of the workbook, without the header's
// formatting codes.
TEST(DocumentText, SpreadsheetHeadersAndFootersAreRead) {
  const std::string xlsx =
      ZipBuilder()
          .add("[Content_Types].xml", "<Types/>")
          .add("xl/worksheets/sheet1.xml",
               "<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>一覧</t></is></c></row>"
               "</sheetData><headerFooter><oddHeader>&amp;L&amp;\"ＭＳ ゴシック,太字\"&amp;14社外秘"
               "&amp;R&amp;D</oddHeader><oddFooter>&amp;C&amp;P / &amp;N ページ &amp;&amp; 部外秘"
               "</oddFooter></headerFooter></worksheet>")
          .build();
  const std::string text = extract(xlsx, "a.xlsx").all();
  EXPECT_NE(text.find("社外秘"), std::string::npos) << text;
  EXPECT_NE(text.find("& 部外秘"), std::string::npos) << text;
  EXPECT_EQ(text.find("ＭＳ"), std::string::npos) << text;
  EXPECT_EQ(text.find("&14"), std::string::npos) << text;
}

// Form and JSON uploads are read with their escapes undone.
TEST(DocumentText, FormAndJsonUploadsAreUnescaped) {
  // マイナンバー=123456789018&氏名=山田 as a browser posts it.
  const std::string form =
      "%E3%83%9E%E3%82%A4%E3%83%8A%E3%83%B3%E3%83%90%E3%83%BC=123456789018&"
      "%E6%B0%8F%E5%90%8D=%E5%B1%B1%E7%94%B0+%E5%A4%AA%E9%83%8E";
  std::string text = extract(form, "", "application/x-www-form-urlencoded").all();
  EXPECT_NE(text.find("マイナンバー=123456789018"), std::string::npos) << text;
  EXPECT_NE(text.find("山田 太郎"), std::string::npos) << text;
  text = extract(form).all();  // no type given: its shape says what it is
  EXPECT_NE(text.find("マイナンバー"), std::string::npos) << text;
  const std::string json =
      R"({"label":"\u30de\u30a4\u30ca\u30f3\u30d0\u30fc","value":"123456789018",)"
      R"("emoji":"\ud83d\ude00","note":"a\"b\\c"})";
  text = extract(json, "", "application/json").all();
  EXPECT_NE(text.find("マイナンバー"), std::string::npos) << text;
  EXPECT_NE(text.find("😀"), std::string::npos) << text;
  EXPECT_NE(text.find("a\"b\\c"), std::string::npos) << text;
  // Prose with a percent sign is left alone.
  EXPECT_EQ(extract("売上は 10% 増 (a=b)").all().find("10% 増"),
            0u + std::string("売上は ").size());
}

// An archive written by libarchive itself: 7-Zip, or a tar compressed with bzip2 or xz.
std::string written_archive(const char* format, const char* filter,
                            const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out(1u << 20, '\0');
  std::size_t used = 0;
  archive* a = archive_write_new();
  archive_write_set_format_by_name(a, format);
  if (filter != nullptr) archive_write_add_filter_by_name(a, filter);
  EXPECT_EQ(archive_write_open_memory(a, out.data(), out.size(), &used), ARCHIVE_OK)
      << archive_error_string(a);
  for (const auto& [name, data] : files) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, data.data(), data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  out.resize(used);
  return out;
}

// The archives Japanese offices still send, and Windows' cabinets: read like zip.
TEST(DocumentText, SevenZipLzhCabBzip2AndXzAreRead) {
  const std::string text = "社外秘 顧客一覧\n";
  const std::vector<std::pair<std::string, std::string>> files = {{"list.txt", text}};
  const std::pair<const char*, std::string> cases[] = {
      {"7z", written_archive("7zip", nullptr, files)},
      {"tar.bz2", written_archive("pax", "bzip2", files)},
      {"tar.xz", written_archive("pax", "xz", files)},
      {"lzh", kagami::test::lzh_bytes(files)},
      {"cab", kagami::test::cab_bytes("list.txt", text)},
  };
  for (const auto& [type, bytes] : cases) {
    EXPECT_EQ(sniff_document(bytes_of(bytes), "", ""), DocumentKind::kArchive) << type;
    const Extracted e = extract(bytes, std::string("a.") + type);
    EXPECT_NE(e.all().find("社外秘"), std::string::npos) << type << ": " << e.report.note;
    EXPECT_TRUE(e.text.count("list.txt")) << type;
  }
}

// A PDF whose Japanese font is named and not embedded reads with poppler-data's CMaps; one
// that holds no text at all (a scan) is flagged, never silently empty.
TEST(DocumentText, PdfWithAnUnembeddedJapaneseFontIsReadAndAnEmptyOneFlagged) {
  const Extracted e = extract(kagami::test::pdf_with_unembedded_cid_font(u"社外秘 個人番号一覧"));
  EXPECT_NE(e.all().find("社外秘"), std::string::npos) << e.report.note;
  EXPECT_FALSE(e.report.unsupported);
  const Extracted blank = extract(kagami::test::pdf_with_pages({{}}));
  EXPECT_TRUE(blank.report.unsupported);
  EXPECT_NE(blank.report.note.find("no text"), std::string::npos) << blank.report.note;
}

}  // namespace
}  // namespace kagami::content
