// Mail messages parsed with GMime: Japanese headers and names decoded, attachments streamed
// out decoded, embedded messages kept byte for byte, and the bounds that stop bombs.
#include "kagami/content/mime_message.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kagami/base/base64.h"
#include "kagami/content/spool.h"

namespace kagami::content {
namespace {

struct Parts final : MimePartSink {
  struct Part {
    MimePartInfo info;
    std::string bytes;
    bool complete = false;
  };
  struct Sink final : ByteSink {
    std::string* out = nullptr;
    void write(ByteView b) override { out->append(as_chars(b)); }
  };
  std::vector<Part> parts;
  Sink sink;
  ByteSink* begin_part(const MimePartInfo& info) override {
    parts.push_back(Part{info, {}, false});
    sink.out = &parts.back().bytes;
    return &sink;
  }
  void end_part(bool complete) override { parts.back().complete = complete; }
};

std::unique_ptr<Spool> spool_of(const std::string& text, std::size_t memory_bytes = 1u << 20,
                                const std::string& dir = "") {
  Spool::Options o;
  o.memory_bytes = memory_bytes;
  o.dir = dir;
  auto s = std::make_unique<Spool>(o);
  s->write(as_bytes(text));
  return s;
}

MimeSummary parse(const std::string& text, Parts& parts, MimeLimits limits = {}) {
  auto s = spool_of(text);
  auto r = parse_mime_message(*s, limits, parts);
  EXPECT_TRUE(r) << (r ? "" : r.error().message);
  return r ? r.value() : MimeSummary{};
}

TEST(MimeMessage, DecodesIso2022JpEncodedWordsAndBody) {
  const std::string msg =
      "From: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?= <taro@example.jp>\r\n"
      "To: hanako@example.jp, jiro@example.jp\r\n"
      "Cc: boss@example.jp\r\n"
      "Subject: =?ISO-2022-JP?B?GyRCRnxLXDhsJE43b0w+GyhC?=\r\n"
      "Date: Fri, 27 Nov 2026 10:00:00 +0900\r\n"
      "Message-ID: <1@example.jp>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=ISO-2022-JP\r\n"
      "Content-Transfer-Encoding: 7bit\r\n"
      "\r\n"
      "\x1b$BK\\J8$G$9!#\x1b(B\r\n";
  Parts parts;
  const MimeSummary m = parse(msg, parts);
  EXPECT_EQ(m.subject, "日本語の件名");
  EXPECT_EQ(m.from, "テスト <taro@example.jp>");
  ASSERT_EQ(m.to.size(), 2u);
  EXPECT_EQ(m.to[1], "jiro@example.jp");
  ASSERT_EQ(m.cc.size(), 1u);
  EXPECT_EQ(m.message_id, "<1@example.jp>");
  EXPECT_EQ(m.body_text, "本文です。\r\n");
  EXPECT_TRUE(parts.parts.empty());
}

TEST(MimeMessage, ReadsRawIso2022JpAndShiftJisHeadersThatMailersSendUnencoded) {
  Parts parts;
  MimeSummary m = parse("Subject: \x1b$B%F%9%H\x1b(B\r\n\r\nx\r\n", parts);
  EXPECT_EQ(m.subject, "テスト");
  m = parse("Subject: \x83\x65\x83\x58\x83\x67\r\n\r\nx\r\n", parts);  // Shift_JIS
  EXPECT_EQ(m.subject, "テスト");
}

// Mailers split a subject into several encoded-words anywhere: inside a two-byte ISO-2022-JP
// character, after a base64 quantum padded with '='. The words are joined before decoding.
TEST(MimeMessage, JoinsEncodedWordsSplitInsideACharacter) {
  // 【社外秘】来期組織変更案について in ISO-2022-JP (38 bytes), split after byte 13: the
  // first word's base64 ends in '=' padding, the cut falls inside a JIS pair.
  const std::string jis = "\x1b$B!Z<R30Hk![Mh4|AH?%JQ990F$K$D$$$F\x1b(B";
  const std::string subject = "Subject: =?ISO-2022-JP?B?" + base64_encode(jis.substr(0, 13)) +
                              "?=\r\n =?iso-2022-jp?B?" + base64_encode(jis.substr(13)) + "?=\r\n";
  ASSERT_NE(base64_encode(jis.substr(0, 13)).back(), 'A');  // padded
  Parts parts;
  MimeSummary m = parse(subject + "\r\nbody\r\n", parts);
  EXPECT_EQ(m.subject, "【社外秘】来期組織変更案について");
  // The same cut in Q encoding, and a Shift_JIS word split after the lead byte.
  const std::string sjis = "\x8e\xd0\x8a\x4f\x94\xe9";  // 社外秘
  m = parse("Subject: =?Shift_JIS?B?" + base64_encode(sjis.substr(0, 3)) + "?= =?Shift_JIS?B?" +
                base64_encode(sjis.substr(3)) + "?= =?UTF-8?Q?=E8=B3=87=E6=96=99?=\r\n\r\nx\r\n",
            parts);
  EXPECT_EQ(m.subject, "社外秘資料");
}

// ISO-2022-JP as Outlook writes it (CP50220): NEC's ① and ㈱, the IBM kanji 髙 and 﨑 as
// NEC-selected codes, all inside ESC $ B. Shift_JIS labels are CP932.
TEST(MimeMessage, ReadsVendorCharactersInJapaneseHeaders) {
  const std::string jis = "\x1b$B-!-j|byu\x1b(B";  // ①㈱髙﨑
  Parts parts;
  MimeSummary m = parse("Subject: =?ISO-2022-JP?B?" + base64_encode(jis) +
                            "?=\r\n"
                            "From: =?ISO-2022-JP?B?" +
                            base64_encode(jis) +
                            "?= <a@example.jp>\r\n"
                            "\r\nx\r\n",
                        parts);
  EXPECT_EQ(m.subject, "①㈱髙﨑");
  EXPECT_NE(m.from.find("①㈱髙﨑"), std::string::npos) << m.from;
  m = parse("Subject: =?Shift_JIS?B?" + base64_encode("\x87\x40\x87\x8a\xfb\xfc\xfa\xb1") +
                "?=\r\n\r\nx\r\n",
            parts);
  EXPECT_EQ(m.subject, "①㈱髙﨑");
}

// An attachment named in an encoded-word (quoted, as Outlook writes it) keeps its name and its
// extension.
TEST(MimeMessage, AttachmentNamesInEncodedWordsKeepTheirExtension) {
  const std::string name_jis =
      "\x1b$B8D?MHV9f0lMw!J9b66!K\x1b(B.xlsx";  // 個人番号一覧（高橋）.xlsx
  const std::string word = "=?ISO-2022-JP?B?" + base64_encode(name_jis.substr(0, 10)) +
                           "?=\r\n =?ISO-2022-JP?B?" + base64_encode(name_jis.substr(10)) + "?=";
  const std::string msg =
      "Subject: list\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
      "--b\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;"
      "\r\n name=\"" +
      word + "\"\r\nContent-Disposition: attachment;\r\n filename=\"" + word +
      "\"\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n";
  Parts parts;
  const MimeSummary m = parse(msg, parts);
  ASSERT_EQ(parts.parts.size(), 1u);
  EXPECT_EQ(parts.parts[0].info.name, "個人番号一覧（高橋）.xlsx");
  EXPECT_EQ(m.subject, "list");
}

// RFC 3676: a mailer wraps long lines at a space; the reader puts them back together.
TEST(MimeMessage, FlowedTextIsUnwrapped) {
  EXPECT_EQ(unflow("マイナンバーは 1234 \r\n5678 9018 です。\r\n次の行\r\n", false),
            "マイナンバーは 1234 5678 9018 です。\n次の行\n");
  // delsp=yes: the space before the break was the mailer's (Japanese text has none).
  EXPECT_EQ(unflow("マイナンバー１２３４ \r\n５６７８９０１８です。\r\n", true),
            "マイナンバー１２３４５６７８９０１８です。\n");
  // Quotes keep their depth; a stuffed space goes; the signature separator is a hard break.
  EXPECT_EQ(unflow("> quoted \r\n> text\r\n plain\r\n-- \r\nsig\r\n", false),
            "> quoted text\nplain\n-- \nsig\n");
  Parts parts;
  const MimeSummary m = parse(
      "Subject: x\r\nContent-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\r\n\r\n"
      "個人番号 1234 \r\n5678 \r\n9018\r\n",
      parts);
  EXPECT_EQ(m.body_text, "個人番号 123456789018\n");
}

TEST(MimeMessage, StreamsAttachmentsDecodedWithRfc2231Names) {
  const std::string msg =
      "From: a@example.com\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
      "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n"
      "--b1\r\nContent-Type: application/octet-stream\r\n"
      "Content-Disposition: attachment; filename*=shift_jis''%93Y%95t%83t%83%40%83C%83%8B.txt\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n"
      "--b1\r\nContent-Type: application/pdf; name=\"=?UTF-8?B?6KaL56mN5pu4LnBkZg==?=\"\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n%PDF-1.4=0Ax\r\n"
      "--b1--\r\n";
  Parts parts;
  const MimeSummary m = parse(msg, parts);
  EXPECT_EQ(m.body_text, "see attached");
  ASSERT_EQ(parts.parts.size(), 2u);
  EXPECT_EQ(parts.parts[0].info.name, "添付ファイル.txt");
  EXPECT_EQ(parts.parts[0].info.role, "attachment");
  EXPECT_EQ(parts.parts[0].bytes, "hello world");
  EXPECT_TRUE(parts.parts[0].complete);
  EXPECT_EQ(parts.parts[1].info.name, "見積書.pdf");
  EXPECT_EQ(parts.parts[1].info.content_type, "application/pdf");
  EXPECT_EQ(parts.parts[1].bytes, "%PDF-1.4\nx");
}

TEST(MimeMessage, KeepsAnEmbeddedMessageWithItsOwnLineEnds) {
  const std::string inner = "From: <inner@example.com>\r\nSubject: inner\r\n\r\nbody\r\n";
  const std::string msg =
      "From: outer@example.com\r\nSubject: outer\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nfwd\r\n"
      "--b\r\nContent-Type: message/rfc822\r\n\r\n" +
      inner + "--b--\r\n";
  Parts parts;
  const MimeSummary m = parse(msg, parts);
  EXPECT_EQ(m.subject, "outer");
  ASSERT_EQ(parts.parts.size(), 1u);
  EXPECT_EQ(parts.parts[0].info.role, "message");
  EXPECT_EQ(parts.parts[0].info.name, "inner.eml");
  // The line end before "--b--" belongs to the boundary (RFC 2046 5.1.1), not to the part.
  EXPECT_EQ(parts.parts[0].bytes, inner.substr(0, inner.size() - 2));
}

// A forwarded mail is evidence: kept as it travelled, not as GMime would write it back (which
// turned the CRLF of an inner multipart's epilogue into LF).
TEST(MimeMessage, AForwardedMessageIsKeptByteForByte) {
  const std::string inner =
      "Received: from a.example by b.example;\r\n Mon, 2 Nov 2026 10:00:00 +0900\r\n"
      "From: =?ISO-2022-JP?B?GyRCRURDZhsoQg==?= <tanaka@example.jp>\r\n"
      "To: suzuki@example.jp\r\nSubject: =?ISO-2022-JP?B?GyRCOCtAUT1xGyhC?=\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary=\"inner\"\r\n\r\n"
      "This is a multi-part message in MIME format.\r\n"
      "--inner\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n"
      "Content-Transfer-Encoding: 7bit\r\n\r\n\x1b$B$*@$OC$K$J$C$F$*$j$^$9\x1b(B\r\n\r\n"
      "--inner\r\nContent-Type: text/csv; name=\"a.csv\"\r\nContent-Disposition: attachment; "
      "filename=\"a.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\nYSxiLGMK\r\n\r\n"
      "--inner--\r\n\r\n";
  const std::string msg =
      "From: outer@example.com\r\nSubject: Fw: outer\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nfwd\r\n"
      "--b\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" +
      inner + "\r\n--b--\r\n";
  for (const std::size_t memory : {std::size_t{1} << 20, std::size_t{64}}) {  // and spilled
    auto spool = spool_of(msg, memory, ::testing::TempDir());
    ASSERT_EQ(spool->in_memory(), memory > msg.size());
    Parts parts;
    ASSERT_TRUE(parse_mime_message(*spool, {}, parts));
    ASSERT_GE(parts.parts.size(), 1u);
    EXPECT_EQ(parts.parts[0].info.role, "message");
    EXPECT_TRUE(parts.parts[0].complete);
    EXPECT_EQ(parts.parts[0].bytes, inner) << "memory " << memory;
    // Its attachment is still an object of its own.
    bool csv = false;
    for (const auto& p : parts.parts) csv = csv || (p.info.name == "a.csv" && p.bytes == "a,b,c\n");
    EXPECT_TRUE(csv);
  }
  // A message that is nothing but an embedded one: to the end.
  const std::string bare =
      "From: x@example.com\r\nMIME-Version: 1.0\r\n"
      "Content-Type: message/rfc822\r\n\r\n" +
      inner;
  Parts parts;
  parse(bare, parts);
  ASSERT_GE(parts.parts.size(), 1u);
  EXPECT_EQ(parts.parts[0].bytes, inner);
}

TEST(MimeMessage, ANestingBombIsCutAndFlagged) {
  // 300 nested multiparts: GMime would recurse through all of them.
  std::string msg = "Subject: bomb\r\nMIME-Version: 1.0\r\n";
  for (int i = 0; i < 300; ++i)
    msg += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
           std::to_string(i) + "\r\n";
  msg += "Content-Type: text/plain\r\n\r\nx\r\n";
  Parts parts;
  const MimeSummary m = parse(msg, parts);
  EXPECT_EQ(m.subject, "bomb");  // the headers are still read
  EXPECT_TRUE(m.parts_limit || m.depth_limit);
}

TEST(MimeMessage, DepthAndPartBoundsHold) {
  std::string msg = "Subject: many\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 50; ++i)
    msg += "--b\r\nContent-Type: application/octet-stream; name=f" + std::to_string(i) +
           "\r\n\r\nx\r\n";
  msg += "--b--\r\n";
  MimeLimits limits;
  limits.max_parts = 10;
  Parts parts;
  const MimeSummary m = parse(msg, parts, limits);
  EXPECT_TRUE(m.parts_limit);
  EXPECT_LE(parts.parts.size(), 10u);
}

TEST(MimeMessage, BodyTextIsBounded) {
  MimeLimits limits;
  limits.max_body_text_bytes = 100;
  Parts parts;
  const MimeSummary m =
      parse("Subject: long\r\n\r\n" + std::string(5000, 'a') + "\r\n", parts, limits);
  EXPECT_LE(m.body_text.size(), 100u);
  EXPECT_TRUE(m.body_text_truncated);
}

TEST(Spool, SpillsToAFileBeyondMemoryAndParsesFromIt) {
  const std::string dir = ::testing::TempDir();
  std::string msg =
      "Subject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: application/octet-stream; name=big.bin\r\n\r\n";
  const std::string payload(300000, 'z');
  msg += payload + "\r\n--b--\r\n";
  auto s = spool_of(msg, 4096, dir);
  ASSERT_FALSE(s->in_memory()) << s->error();
  EXPECT_EQ(s->size(), msg.size());
  Parts parts;
  auto r = parse_mime_message(*s, MimeLimits{}, parts);
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value().subject, "big");
  ASSERT_EQ(parts.parts.size(), 1u);
  EXPECT_EQ(parts.parts[0].bytes, payload);
}

TEST(Spool, CountsWhatIsBeyondItsBound) {
  Spool::Options o;
  o.memory_bytes = 10;
  o.max_bytes = 10;
  Spool s(o);
  s.write(as_bytes(std::string_view("0123456789abcdef")));
  EXPECT_EQ(s.size(), 10u);
  EXPECT_EQ(s.dropped(), 6u);
  EXPECT_EQ(s.memory(), "0123456789");
}

TEST(MimeMessage, RefusesWhatIsNoMessage) {
  Parts parts;
  auto empty = spool_of("");
  EXPECT_FALSE(parse_mime_message(*empty, MimeLimits{}, parts));
}

}  // namespace
}  // namespace kagami::content
