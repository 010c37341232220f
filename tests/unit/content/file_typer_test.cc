// Types by content: the fast answers for common text, compression and media formats agree with what
// libmagic (file --mime-type) says for the same bytes; everything else is libmagic's.
#include "kagami/content/file_typer.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace kagami::content {
namespace {

std::string noise(std::size_t n) {
  std::mt19937 rng(7);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

struct Case {
  const char* what;
  std::string bytes;
  const char* libmagic;  // `file -b --mime-type` on Debian 12 (libmagic 5.44)
};

TEST(FileTyper, AgreesWithLibmagic) {
  const Case cases[] = {
      {"html", "<!DOCTYPE html><html><body>x</body></html>\n", "text/html"},
      {"html without doctype", "  <html><head><title>x</title></head></html>\n", "text/html"},
      {"xml", "<?xml version=\"1.0\"?><a/>\n", "text/xml"},
      {"json", "{\"a\": 1, \"b\": [1,2,3]}\n", "application/json"},
      {"plain", "hello world\n", "text/plain"},
      {"script text", "function f(){return 1;}\nvar x = 2;\n", "text/plain"},
      {"utf-8", "こんにちは世界\n", "text/plain"},
      {"shift_jis", "\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd\n", "text/plain"},
      {"mail", "Received: from x\r\nFrom: a@b\r\n\r\nhi\r\n", "message/rfc822"},
      {"mail from", "From: a <a@b>\r\nTo: c@d\r\nSubject: x\r\n\r\nhi\r\n", "message/rfc822"},
      {"shell", "#!/bin/sh\necho hi\n", "text/x-shellscript"},
      {"gzip", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10) + noise(4000),
       "application/gzip"},
      {"bzip2", "BZh91AY&SY" + noise(4000), "application/x-bzip2"},
      {"xz",
       std::string("\xfd"
                   "7zXZ\x00",
                   6) +
           noise(4000),
       "application/x-xz"},
      {"7z", std::string("7z\xbc\xaf\x27\x1c\x00\x04", 8) + noise(4000),
       "application/x-7z-compressed"},
      {"rar", std::string("Rar!\x1a\x07\x01\x00", 8) + noise(4000), "application/x-rar"},
      {"png",
       std::string("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01"
                   "\x08\x06\x00\x00\x00\x1f\x15\xc4\x89",
                   33),
       "image/png"},
      {"pdf", "%PDF-1.7\n" + noise(1000), "application/pdf"},
      {"jpeg",
       std::string("\xff\xd8\xff\xe1\x00\x10"
                   "Exif\x00\x00",
                   12) +
           noise(4000),
       "image/jpeg"},
      {"jpeg cut after its signature", "\xff\xd8\xff", "text/plain"},
      {"png cut after its signature", "\x89PNG\r\n\x1a\n", "application/octet-stream"},
      {"gif", "GIF87a" + noise(4000), "image/gif"},
      {"webp", "RIFF" + std::string("\x00\x10\x00\x00", 4) + "WEBPVP8L" + noise(4000),
       "image/webp"},
      {"avi is riff too", "RIFF" + std::string("\x00\x10\x00\x00", 4) + "AVI LIST" + noise(100),
       "video/x-msvideo"},
      {"woff", "wOFF" + noise(4000), "font/woff"},
      {"woff2", "wOF2" + noise(4000), "font/woff2"},
      {"wasm", std::string("\0asm\x01\0\0\0", 8) + noise(4000), "application/wasm"},
      {"noise", noise(8192), "application/octet-stream"},
  };
  FileTyper typer;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(typer.mime(as_bytes(c.bytes)), c.libmagic);
  }
}

TEST(FileTyper, FastPathsDecideOnlyWhatTheyKnow) {
  EXPECT_EQ(sniff_text_type("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), "");  // to libmagic
  EXPECT_EQ(sniff_text_type("<?xml version=\"1.0\"?>\n<svg/>"), "image/svg+xml");
  EXPECT_EQ(sniff_text_type("{\\rtf1\\ansi x}"), "");
  EXPECT_EQ(sniff_text_type("%PDF-1.4"), "");
  EXPECT_EQ(sniff_text_type(std::string("bin\0ary", 7)), "");
  EXPECT_EQ(sniff_binary_type("PK\x03\x04"), "");  // ZIP: libmagic tells OOXML from ZIP
}

}  // namespace
}  // namespace kagami::content
