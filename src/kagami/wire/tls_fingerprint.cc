#include "kagami/wire/tls_fingerprint.h"

#include <algorithm>
#include <cctype>

#include <fmt/core.h>

#include "kagami/base/md5.h"
#include "kagami/base/sha256.h"

namespace kagami::wire {
namespace {

template <typename T>
void append_decimal(std::string& out, const std::vector<T>& values) {
  bool first = true;
  for (const T v : values) {
    if constexpr (sizeof(T) == 2) {
      if (tls_grease(v)) continue;
    }
    if (!first) out += '-';
    first = false;
    out += std::to_string(v);
  }
}

std::string hex4_list(const std::vector<std::uint16_t>& values) {
  std::string out;
  for (const std::uint16_t v : values) {
    if (!out.empty()) out += ',';
    out += fmt::format("{:04x}", v);
  }
  return out;
}

std::string sha256_12(const std::string& s) {
  if (s.empty()) return "000000000000";
  return to_hex(Sha256::of(as_bytes(s))).substr(0, 12);
}

// JA4 "version": the highest non-GREASE supported_versions entry, else legacy_version.
std::string ja4_version(std::uint16_t v) {
  switch (v) {
    case 0x0304:
      return "13";
    case 0x0303:
      return "12";
    case 0x0302:
      return "11";
    case 0x0301:
      return "10";
    case 0x0300:
      return "s3";
    case 0x0200:
      return "s2";
    case 0xfeff:
      return "d1";
    case 0xfefd:
      return "d2";
    case 0xfefc:
      return "d3";
    default:
      return "00";
  }
}

bool alnum(std::uint8_t c) { return std::isalnum(c) != 0 && c < 0x80; }

// The first and last characters of the first ALPN value; their hex when not alphanumeric.
std::string ja4_alpn(const std::string& alpn) {
  if (alpn.empty()) return "00";
  const auto first = static_cast<std::uint8_t>(alpn.front());
  const auto last = static_cast<std::uint8_t>(alpn.back());
  if (alnum(first) && alnum(last)) return {static_cast<char>(first), static_cast<char>(last)};
  const std::string hex = fmt::format("{:02x}{:02x}", first, last);
  return {hex.front(), hex.back()};
}

std::string count2(std::size_t n) { return fmt::format("{:02d}", std::min<std::size_t>(n, 99)); }

std::vector<std::uint16_t> without_grease(const std::vector<std::uint16_t>& values) {
  std::vector<std::uint16_t> out;
  for (const std::uint16_t v : values)
    if (!tls_grease(v)) out.push_back(v);
  return out;
}

}  // namespace

std::string ja3_string(const TlsClientHello& h) {
  std::string s = std::to_string(h.version);
  s += ',';
  append_decimal(s, h.ciphers);
  s += ',';
  append_decimal(s, h.extensions);
  s += ',';
  append_decimal(s, h.groups);
  s += ',';
  append_decimal(s, h.point_formats);
  return s;
}

std::string ja3s_string(const TlsServerHello& h) {
  std::string s = std::to_string(h.version);
  s += ',';
  s += std::to_string(h.cipher);
  s += ',';
  append_decimal(s, h.extensions);
  return s;
}

std::string ja3_hash(const std::string& s) {
  Md5 md5;
  md5.update(as_bytes(s));
  const Md5Digest d = md5.finish();
  return to_hex(ByteView(d.data(), d.size()));
}

std::string ja4(const TlsClientHello& h, char transport, bool raw) {
  std::uint16_t version = h.version;
  const std::vector<std::uint16_t> versions = without_grease(h.supported_versions);
  if (!versions.empty()) version = *std::max_element(versions.begin(), versions.end());
  std::vector<std::uint16_t> ciphers = without_grease(h.ciphers);
  const std::vector<std::uint16_t> extensions = without_grease(h.extensions);

  std::string a;
  a += transport;
  a += ja4_version(version);
  a += h.has_sni ? 'd' : 'i';
  a += count2(ciphers.size());
  a += count2(extensions.size());
  a += ja4_alpn(h.alpn.empty() ? std::string() : h.alpn.front());

  std::sort(ciphers.begin(), ciphers.end());
  std::vector<std::uint16_t> sorted_ext;
  for (const std::uint16_t e : extensions)
    if (e != 0x0000 && e != 0x0010) sorted_ext.push_back(e);  // SNI and ALPN are in part a
  std::sort(sorted_ext.begin(), sorted_ext.end());
  const std::string b = hex4_list(ciphers);
  std::string c = hex4_list(sorted_ext);
  const std::vector<std::uint16_t> sigs = without_grease(h.signature_algorithms);
  if (!sigs.empty()) c += '_' + hex4_list(sigs);
  if (raw) return a + '_' + b + '_' + c;
  return a + '_' + sha256_12(b) + '_' + (sorted_ext.empty() ? "000000000000" : sha256_12(c));
}

std::string ja4s(const TlsServerHello& h, char transport, bool raw) {
  const std::uint16_t version = h.selected_version != 0 ? h.selected_version : h.version;
  const std::vector<std::uint16_t> extensions = without_grease(h.extensions);
  std::string a;
  a += transport;
  a += ja4_version(version);
  a += count2(extensions.size());
  a += ja4_alpn(h.alpn);
  const std::string b = fmt::format("{:04x}", h.cipher);
  const std::string c = hex4_list(extensions);  // in the order sent
  if (raw) return a + '_' + b + '_' + c;
  return a + '_' + b + '_' + sha256_12(c);
}

}  // namespace kagami::wire
