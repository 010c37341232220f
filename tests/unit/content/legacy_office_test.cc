#include "kagami/content/legacy_office.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <zlib.h>

#include "support/legacy_office_builder.h"

namespace kagami::content {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream f(std::string(KAGAMI_TEST_FIXTURES) + "/legacy_office/" + name, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string gunzip(const std::string& gz) {
  std::string out;
  z_stream z{};
  inflateInit2(&z, 16 + MAX_WBITS);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  char buf[65536];
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&z);
  return out;
}

LegacyText read(const std::string& bytes, std::size_t max = 1u << 20) {
  return legacy_office_text(
      ByteView(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), max);
}

// Files LibreOffice wrote as Office 97-2003 (tests/fixtures/legacy_office, made by
// scripts/make_legacy_fixtures.sh from the flat ODF sources beside them).
TEST(LegacyOffice, ReadsExcelWordAndPowerPointAsLibreOfficeWritesThem) {
  const LegacyText xls = read(fixture("ledger.xls"));
  ASSERT_EQ(xls.status, LegacyText::Status::kOk) << xls.note;
  EXPECT_EQ(xls.kind, "xls");
  for (const char* want :
       {"顧客一覧", "社外秘", "関係者外秘 ①㈱髙﨑", "氏名\tマイナンバー\tカード番号",
        "山田 太郎\t100000079191\t4111-1111-1111-1111",  // a number cell, as its digits
        "鈴木 花子\t1000-0015-8385", "髙橋 一郎\t100000237587\t3530111333300000"})
    EXPECT_NE(xls.text.find(want), std::string::npos) << want << "\n" << xls.text;

  const LegacyText doc = read(fixture("memo.doc"));
  ASSERT_EQ(doc.status, LegacyText::Status::kOk) << doc.note;
  EXPECT_EQ(doc.kind, "doc");
  for (const char* want :
       {"来期組織変更案について", "社員のマイナンバー: 1000-0007-9191",
        "氏名\t個人番号\n鈴木 花子\t100000158385\n", "①㈱髙﨑製作所 御中 ｶﾀｶﾅ", "社外秘 1"})
    EXPECT_NE(doc.text.find(want), std::string::npos) << want << "\n" << doc.text;
  EXPECT_EQ(doc.text.find("PAGE"), std::string::npos);  // the page-number field's code

  const LegacyText ppt = read(gunzip(fixture("slides.ppt.gz")));
  ASSERT_EQ(ppt.status, LegacyText::Status::kOk) << ppt.note;
  EXPECT_EQ(ppt.kind, "ppt");
  for (const char* want :
       {"【社外秘】顧客リスト", "マイナンバー 1000-0023-7587", "カード番号 4111 1111 1111 1111"})
    EXPECT_NE(ppt.text.find(want), std::string::npos) << want << "\n" << ppt.text;
  EXPECT_EQ(ppt.text.find("___PPT"), std::string::npos);
}

TEST(LegacyOffice, PasswordProtectedFilesAreFlaggedEncrypted) {
  EXPECT_EQ(read(test::xls_with("社外秘", true)).status, LegacyText::Status::kEncrypted);
  EXPECT_EQ(read(test::doc_with("社外秘", true)).status, LegacyText::Status::kEncrypted);
  // A real workbook with a FILEPASS record after its first BOF, as Excel writes protection.
  auto streams = test::compound_streams(fixture("ledger.xls"));
  for (auto& [name, data] : streams) {
    if (name != "Workbook") continue;
    const std::size_t bof =
        4 + (static_cast<unsigned char>(data[2]) | (static_cast<unsigned char>(data[3]) << 8));
    data.insert(bof, std::string("\x2F\x00\x06\x00\x00\x00\x00\x00\x00\x00", 10));
  }
  const LegacyText xls = read(test::compound_file(streams));
  EXPECT_EQ(xls.status, LegacyText::Status::kEncrypted) << xls.note;
  EXPECT_TRUE(xls.text.empty());
  // PowerPoint marks encryption with a stream of its own.
  streams = test::compound_streams(gunzip(fixture("slides.ppt.gz")));
  streams.emplace_back("EncryptedSummary", std::string(16, '\0'));
  EXPECT_EQ(read(test::compound_file(streams)).status, LegacyText::Status::kEncrypted);
  // An encrypted OOXML package in its compound file.
  EXPECT_EQ(read(test::compound_file({{"EncryptionInfo", std::string(64, '\0')},
                                      {"EncryptedPackage", std::string(64, '\0')}}))
                .status,
            LegacyText::Status::kEncrypted);
}

TEST(LegacyOffice, OtherCompoundFilesAndDamageAreSaidSo) {
  const LegacyText msg = read(test::compound_file({{"__substg1.0_0037001F", "subject"}}));
  EXPECT_EQ(msg.status, LegacyText::Status::kUnsupported);
  EXPECT_EQ(read(std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) + "garbage").status,
            LegacyText::Status::kCorrupt);
  EXPECT_EQ(read(test::compound_file({{"WordDocument", "short"}})).status,
            LegacyText::Status::kCorrupt);
  // Cut anywhere, a real file never crashes the reader.
  const std::string xls = fixture("ledger.xls"), doc = fixture("memo.doc");
  for (const std::string* f : {&xls, &doc})
    for (std::size_t cut = 512; cut < f->size(); cut += 509) (void)read(f->substr(0, cut));
}

TEST(LegacyOffice, TextIsBounded) {
  const LegacyText big =
      read(test::xls_with(std::string(5000, 'a') + "\n" + std::string(5000, 'b')), 4096);
  EXPECT_EQ(big.status, LegacyText::Status::kOk);
  EXPECT_TRUE(big.truncated);
  EXPECT_LE(big.text.size(), 4096u);
}

TEST(LegacyOffice, SyntheticFilesOfEachKindRead) {
  EXPECT_NE(read(test::xls_with("マイナンバー\n100000079191")).text.find("100000079191"),
            std::string::npos);
  EXPECT_NE(
      read(test::doc_with("マイナンバー 100000079191")).text.find("マイナンバー 100000079191"),
      std::string::npos);
  EXPECT_NE(read(test::ppt_with("社外秘\n資料")).text.find("社外秘\n資料"), std::string::npos);
}

}  // namespace
}  // namespace kagami::content
