#include "kagami/content/file_typer.h"

#include <algorithm>

#include <magic.h>

#include "kagami/base/ascii.h"

namespace kagami::content {

FileTyper::FileTyper()
    : magic_(magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR)) {
  if (magic_ != nullptr && magic_load(magic_, nullptr) != 0) {
    magic_close(magic_);
    magic_ = nullptr;
  }
}

FileTyper::~FileTyper() {
  if (magic_ != nullptr) magic_close(magic_);
}

namespace {

// Text as libmagic sees it: no NUL and no control bytes but the usual white space and ESC
// (ISO-2022-JP); bytes >= 0x80 are fine (UTF-8, Shift_JIS, EUC-JP, Latin-1).
bool looks_like_text(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != '\b' &&
        c != 0x1b)
      return false;
  return true;
}

}  // namespace

std::string sniff_text_type(std::string_view head) {
  if (!looks_like_text(head)) return {};
  std::string_view s = head;
  if (s.substr(0, 3) == "\xef\xbb\xbf") s.remove_prefix(3);  // UTF-8 byte order mark
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  if (s.empty()) return {};
  if (s.front() == '<') {
    if (istarts_with(s, "<?xml")) {
      const std::string_view early = s.substr(0, 1024);
      return early.find("<svg") != std::string_view::npos ? "image/svg+xml" : "text/xml";
    }
    for (std::string_view tag : {"<!doctype html", "<html", "<head", "<body", "<title"})
      if (istarts_with(s, tag)) return "text/html";
    return {};  // other markup: libmagic knows its many kinds
  }
  if (istarts_with(s, "{\\rtf")) return {};  // RTF: libmagic's
  if (s.front() == '{' || s.front() == '[') {
    // JSON as APIs send it: an object or array whose next token is JSON's.
    std::size_t i = 1;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
    if (i < s.size() && (s[i] == '"' || s[i] == '{' || s[i] == '[' || s[i] == ']' || s[i] == '}' ||
                         s[i] == '-' || (s[i] >= '0' && s[i] <= '9')))
      return "application/json";
    return {};
  }
  // Text that names its own kind (scripts, PostScript, PDF, vCards, keys, mailboxes) goes to
  // libmagic; prose, code and data without a signature are plain text.
  if (s.front() == '%' || s.front() == '#' || istarts_with(s, "begin:") ||
      istarts_with(s, "-----") || s.substr(0, 5) == "From ")
    return {};
  // A message: libmagic's rule is its first header (these five make it message/rfc822).
  for (std::string_view h : {"received:", "from:", "date:", "return-path:", "delivered-to:"})
    if (istarts_with(s, h)) return "message/rfc822";
  return "text/plain";
}

// Binary signatures libmagic takes tens to hundreds of microseconds to agree with.
std::string sniff_binary_type(std::string_view s) {
  struct Sig {
    std::string_view magic;
    const char* mime;
  };
  static constexpr Sig kSigs[] = {
      {std::string_view("\x1f\x8b\x08", 3), "application/gzip"},
      {"BZh", "application/x-bzip2"},
      {std::string_view("\xfd"
                        "7zXZ\x00",
                        6),
       "application/x-xz"},
      {std::string_view("7z\xbc\xaf\x27\x1c", 6), "application/x-7z-compressed"},
      {std::string_view("Rar!\x1a\x07", 6), "application/x-rar"},
  };
  for (const Sig& sig : kSigs)
    if (s.substr(0, sig.magic.size()) == sig.magic) return sig.mime;
  // Web media and fonts, decided only with enough bytes behind the signature: libmagic names a
  // truncated header differently (a bare FF D8 FF is "text/plain" to it).
  if (s.size() < 64) return {};
  static constexpr Sig kMedia[] = {
      {"\xff\xd8\xff", "image/jpeg"},
      {std::string_view("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16), "image/png"},
      {"GIF87a", "image/gif"},
      {"GIF89a", "image/gif"},
      {"wOFF", "font/woff"},
      {"wOF2", "font/woff2"},
      {std::string_view("\0asm\x01\0\0\0", 8), "application/wasm"},
      {"%PDF-", "application/pdf"},
  };
  for (const Sig& sig : kMedia)
    if (s.substr(0, sig.magic.size()) == sig.magic) return sig.mime;
  if (s.substr(0, 4) == "RIFF" && s.substr(8, 4) == "WEBP") return "image/webp";
  return {};
}

std::string FileTyper::mime(ByteView prefix) {
  if (prefix.empty()) return "application/x-empty";
  if (std::string fast = sniff_binary_type(as_chars(prefix)); !fast.empty()) return fast;
  // libmagic's text rules cost a millisecond or more per object, most web objects are text,
  // and for the common kinds of text the answer is plain to see: those are decided here.
  const std::string_view head = as_chars(prefix.first(std::min<std::size_t>(prefix.size(), 4096)));
  if (std::string fast = sniff_text_type(head); !fast.empty()) return fast;
  if (magic_ == nullptr) return "application/octet-stream";
  // Signatures sit in the first few KiB; libmagic's time grows with what it is given.
  const char* t =
      magic_buffer(magic_, prefix.data(), std::min<std::size_t>(prefix.size(), 4u << 10));
  return t != nullptr ? t : "application/octet-stream";
}

}  // namespace kagami::content
