#include "kagami/base/printable.h"

#include <gtest/gtest.h>

namespace kagami {
namespace {

TEST(Printable, ControlBytesCannotEndOrForgeALogLine) {
  EXPECT_EQ(printable("evil.test\ninfo: proxy: forged"), "evil.test\\x0ainfo: proxy: forged");
  EXPECT_EQ(printable(std::string("a\0b\r\x1b[31m", 9)), "a\\x00b\\x0d\\x1b[31m");
  EXPECT_EQ(printable("back\\slash"), "back\\x5cslash");
  EXPECT_EQ(printable("\x7f"), "\\x7f");
}

TEST(Printable, BidiAndInvisibleCharactersAreShown) {
  // "shadow<RLO>fdp.exe" displays as "shadowexe.pdf" where the override is obeyed.
  EXPECT_EQ(printable("shadow\u202efdp.exe"), "shadow\\u{202e}fdp.exe");
  EXPECT_EQ(printable("a\u200bb\u2066c\u2069\u061c\ufeff"),
            "a\\u{200b}b\\u{2066}c\\u{2069}\\u{061c}\\u{feff}");
  EXPECT_EQ(printable("line\u2028sep\u0085"), "line\\u{2028}sep\\u{0085}");
}

TEST(Printable, PrintableUtf8PassesAndBrokenUtf8IsEscaped) {
  EXPECT_EQ(printable("東京.example 個人番号"), "東京.example 個人番号");
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(printable("\xe6\x9d"), "\\xe6\\x9d");           // cut short
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
}

TEST(Printable, LongInputIsCut) {
  EXPECT_EQ(printable(std::string(10, 'a'), 4), "aaaa...");
  EXPECT_EQ(printable("", 4), "");
}

}  // namespace
}  // namespace kagami
