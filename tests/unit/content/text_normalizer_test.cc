#include "kagami/content/text_normalizer.h"

#include <gtest/gtest.h>
#include <unicode/ucnv.h>

namespace kagami::content {
namespace {

ByteView bytes_of(std::string_view s) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// 「社員のマイナンバーは１２３４ー５６７８ー９０１８です。」 in three Japanese charsets (the
// hyphens typed as the prolonged sound mark, as people do), and in Windows' Shift_JIS with
// the full-width hyphen-minus.
const std::string kSjis =
    "\x8E\xD0\x88\xF5\x82\xCC\x83\x7D\x83\x43\x83\x69\x83\x93\x83\x6F\x81\x5B\x82\xCD\x82\x50"
    "\x82\x51\x82\x52\x82\x53\x81\x7C\x82\x54\x82\x55\x82\x56\x82\x57\x81\x7C\x82\x58\x82\x4F"
    "\x82\x50\x82\x57\x82\xC5\x82\xB7\x81\x42";
const std::string kEucJp =
    "\xBC\xD2\xB0\xF7\xA4\xCE\xA5\xDE\xA5\xA4\xA5\xCA\xA5\xF3\xA5\xD0\xA1\xBC\xA4\xCF\xA3\xB1"
    "\xA3\xB2\xA3\xB3\xA3\xB4\xA1\xBC\xA3\xB5\xA3\xB6\xA3\xB7\xA3\xB8\xA1\xBC\xA3\xB9\xA3\xB0"
    "\xA3\xB1\xA3\xB8\xA4\xC7\xA4\xB9\xA1\xA3";
const std::string kIso2022Jp =
    "\x1B\x24\x42\x3C\x52\x30\x77\x24\x4E\x25\x5E\x25\x24\x25\x4A\x25\x73\x25\x50\x21\x3C\x24"
    "\x4F\x23\x31\x23\x32\x23\x33\x23\x34\x21\x3C\x23\x35\x23\x36\x23\x37\x23\x38\x21\x3C\x23"
    "\x39\x23\x30\x23\x31\x23\x38\x24\x47\x24\x39\x21\x23\x1B\x28\x42";
const std::string kExpected = "社員のマイナンバーは1234-5678-9018です。";

TEST(TextNormalizer, DetectsJapaneseCharsets) {
  EXPECT_EQ(detect_charset(bytes_of(kIso2022Jp)), "ISO-2022-JP");
  EXPECT_EQ(detect_charset(bytes_of(kExpected)), "UTF-8");
  EXPECT_EQ(detect_charset(bytes_of("\xFF\xFEx\0")), "UTF-16LE");
  // One sentence is little for a statistical detector: a page of it is what files hold.
  std::string sjis, euc;
  for (int i = 0; i < 20; ++i) {
    sjis += kSjis;
    euc += kEucJp;
  }
  EXPECT_EQ(detect_charset(bytes_of(sjis)), "windows-31j");
  EXPECT_EQ(detect_charset(bytes_of(euc)), "EUC-JP");
}

std::string encoded(const std::string& utf8, const char* charset) {
  std::string out(utf8.size() * 4 + 16, '\0');
  UErrorCode status = U_ZERO_ERROR;
  const int32_t n = ucnv_convert(charset, "UTF-8", out.data(), static_cast<int32_t>(out.size()),
                                 utf8.data(), static_cast<int32_t>(utf8.size()), &status);
  EXPECT_TRUE(U_SUCCESS(status)) << charset << " " << u_errorName(status);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Short texts as offices send them, where a statistical detector guesses wrong: one line, a
// six-row CSV with half-width katakana headings, NEC and IBM characters (①, ㈱, 髙, 﨑).
TEST(TextNormalizer, DetectsShortJapaneseTextsInEachLegacyCharset) {
  std::string csv = "ﾏｲﾅﾝﾊﾞｰ,ｼﾒｲ,ｼﾞｭｳｼｮ\n";
  for (int i = 0; i < 6; ++i) csv += "12345678901" + std::to_string(i) + ",ﾔﾏﾀﾞ ﾀﾛｳ,ﾄｳｷｮｳﾄ\n";
  const std::vector<std::string> texts = {
      "個人番号の件",       "ご確認ください。\n",     csv,
      "①㈱髙﨑製作所 御中", "社外秘: 来期組織変更案", "住所,氏名\n東京都千代田区,山田太郎\n"};
  for (const std::string& t : texts) {
    EXPECT_EQ(detect_charset(bytes_of(encoded(t, "windows-31j"))), "windows-31j") << t;
    EXPECT_EQ(TextNormalizer::normalize(bytes_of(encoded(t, "windows-31j"))),
              TextNormalizer::normalize(bytes_of(t)))
        << t;
    if (t.find("①") == std::string::npos) {  // not in EUC-JP
      EXPECT_EQ(detect_charset(bytes_of(encoded(t, "EUC-JP"))), "EUC-JP") << t;
    }
  }
  // UTF-16 without a byte-order mark is left to ICU, and Latin text to a Latin charset.
  EXPECT_NE(detect_charset(bytes_of(encoded("Grüße aus Köln, schöne Straße", "ISO-8859-1"))),
            "windows-31j");
}

TEST(TextNormalizer, EveryCharsetBecomesTheSameNfkcText) {
  EXPECT_EQ(TextNormalizer::normalize(bytes_of(kSjis), "Shift_JIS"), kExpected);
  EXPECT_EQ(TextNormalizer::normalize(bytes_of(kEucJp), "EUC-JP"), kExpected);
  EXPECT_EQ(TextNormalizer::normalize(bytes_of(kIso2022Jp)), kExpected);
  EXPECT_EQ(TextNormalizer::normalize(bytes_of("０９０－１２３４－５６７８ ＴＥＬ ｶﾅ")),
            "090-1234-5678 TEL カナ");
  // U+2212 minus and U+2010 hyphen between digits; the prolonged sound mark stays in words.
  EXPECT_EQ(TextNormalizer::normalize(bytes_of("03−1234‐5678 データー")), "03-1234-5678 データー");
}

TEST(TextNormalizer, ChunksOfAnySizeGiveTheSameText) {
  const std::string utf8 = "ｶﾞｷﾞｸﾞ　１２３４ー５６７８ — Ｃａｆｅ\u0301 " + kExpected;
  const std::string whole = TextNormalizer::normalize(bytes_of(utf8));
  for (const auto& [text, charset] :
       {std::pair{utf8, "UTF-8"}, std::pair{kSjis, "Shift_JIS"}, std::pair{kIso2022Jp, ""}}) {
    const std::string expected = TextNormalizer::normalize(bytes_of(text), charset);
    for (std::size_t chunk = 1; chunk <= 7; ++chunk) {
      auto t = TextNormalizer::create(charset);
      ASSERT_TRUE(t);
      std::string out;
      for (std::size_t at = 0; at < text.size(); at += chunk)
        t.value()->feed(bytes_of(std::string_view(text).substr(at, chunk)), out);
      t.value()->finish(out);
      EXPECT_EQ(out, expected) << charset << " chunk " << chunk;
    }
  }
  EXPECT_NE(whole.find("ガギグ 1234-5678"), std::string::npos) << whole;
  EXPECT_NE(whole.find("Café"), std::string::npos) << whole;  // e + U+0301 composed
}

TEST(TextNormalizer, InvalidBytesBecomeReplacementsAndAreCounted) {
  auto t = TextNormalizer::create("UTF-8");
  ASSERT_TRUE(t);
  std::string out;
  t.value()->feed(bytes_of("ok \xFF\xC3 ok"), out);
  t.value()->finish(out);
  EXPECT_EQ(out, "ok \xEF\xBF\xBD\xEF\xBF\xBD ok");
  EXPECT_EQ(t.value()->counters().replaced, 2u);
  // Cut inside a character at the very end: replaced at the finish, not dropped.
  out.clear();
  auto u = TextNormalizer::create("UTF-8");
  u.value()->feed(bytes_of("end \xE3\x81"), out);
  u.value()->finish(out);
  EXPECT_EQ(out, "end \xEF\xBF\xBD");
  EXPECT_FALSE(TextNormalizer::create("no-such-charset"));
}

// ㊙ would be a bare 秘 under NFKC: it reads as マル秘, the word for it.
TEST(TextNormalizer, TheCircledSecretStampReadsAsAWord) {
  EXPECT_EQ(TextNormalizer::normalize(bytes_of("㊙ 来期計画")), "マル秘 来期計画");
}

}  // namespace
}  // namespace kagami::content
