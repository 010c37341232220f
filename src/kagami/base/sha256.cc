#include "kagami/base/sha256.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include <openssl/evp.h>

namespace kagami {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  Impl() : ctx(EVP_MD_CTX_new()) {
    if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) std::abort();
  }
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(ByteView data) { EVP_DigestUpdate(impl_->ctx, data.data(), data.size()); }

Sha256Digest Sha256::finish() {
  Sha256Digest d{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, d.data(), &len);
  EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
  return d;
}

Sha256Digest Sha256::of(ByteView data) {
  Sha256 h;
  h.update(data);
  return h.finish();
}

std::string to_hex(ByteView bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    s[2 * i] = kHex[bytes[i] >> 4];
    s[2 * i + 1] = kHex[bytes[i] & 15];
  }
  return s;
}

std::string to_hex(const Sha256Digest& d) { return to_hex(ByteView(d.data(), d.size())); }

Result<Sha256Digest> sha256_from_hex(std::string_view hex) {
  Sha256Digest d{};
  if (hex.size() != 64) return make_error("a SHA-256 has 64 hex digits, not {}", hex.size());
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return make_error("'{}' is not hexadecimal", hex);
    d[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return d;
}

Result<Sha256Digest> sha256_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return make_error("cannot open {}: {}", path, std::strerror(errno));
  Sha256 h;
  std::vector<std::uint8_t> buf(1 << 20);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) h.update(ByteView(buf.data(), n));
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return make_error("read error on {}", path);
  return h.finish();
}

}  // namespace kagami
