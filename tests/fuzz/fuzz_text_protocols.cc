// The mail and FTP line parsers: line splitting, dot-unstuffing, SASL user names of every
// mechanism, FTP data addresses, and the credential masker of exports (both directions, in
// pieces).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "kagami/content/byte_sink.h"
#include "kagami/wire/credential_masker.h"
#include "kagami/wire/dot_stuffing.h"
#include "kagami/wire/ftp_address.h"
#include "kagami/wire/sasl.h"
#include "kagami/wire/text_line.h"

namespace {
struct Count final : kagami::content::ByteSink {
  std::size_t n = 0;
  void write(kagami::ByteView b) override { n += b.size(); }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const char* mech :
       {"PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "XOAUTH2", "OAUTHBEARER", "NTLM"})
    for (int step = 0; step < 2; ++step) (void)wire::sasl_user(mech, text, step);
  (void)wire::parse_ftp_host_port(text);
  (void)wire::parse_ftp_eprt(text);
  (void)wire::parse_ftp_epsv_reply(text);

  wire::DotUnstuffer u;
  Count out;
  std::size_t used = 0;
  for (std::size_t piece = 1; used < size && !u.done(); piece = piece * 2 + 1) {
    const std::size_t n = u.feed(ByteView(data + used, std::min(piece, size - used)), out);
    if (n == 0) break;
    used += n;
  }
  if (out.n > size) __builtin_trap();  // unstuffing never adds bytes

  wire::LineSplitter lines(64);
  std::size_t off = 0;
  while (off < size) {
    std::string_view line;
    std::size_t n = 0;
    if (lines.next(text.substr(off), line, n) == wire::LineSplitter::Result::kNeedMore) break;
    if (n == 0) __builtin_trap();  // always progress
    off += n;
  }

  // The masker only overwrites (same length, only '*'), whatever it reads: each byte of the
  // input goes to direction (byte % 2) in pieces cut where the input has a NUL.
  std::vector<std::uint8_t> copy(data, data + size);
  wire::CredentialMasker masker;
  std::size_t start = 0;
  int dir = 0;
  for (std::size_t i = 0; i <= copy.size(); ++i) {
    if (i < copy.size() && copy[i] != 0) continue;
    const std::size_t n = i - start;
    if (masker.feed(dir, std::span<std::uint8_t>(copy.data() + start, n)) > n) __builtin_trap();
    if (i + 1 < copy.size() && (copy[i + 1] & 0x80)) masker.gap(dir);
    dir ^= 1;
    start = i + 1;
  }
  for (std::size_t i = 0; i < size; ++i)
    if (copy[i] != data[i] && copy[i] != '*') __builtin_trap();
  return 0;
}
