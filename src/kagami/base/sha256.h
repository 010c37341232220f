#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "kagami/base/byte_view.h"
#include "kagami/base/result.h"

namespace kagami {

using Sha256Digest = std::array<std::uint8_t, 32>;

// Incremental SHA-256 (OpenSSL EVP: SHA-NI where the CPU has it).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(ByteView data);
  Sha256Digest finish();  // resets for reuse

  static Sha256Digest of(ByteView data);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string to_hex(ByteView bytes);
std::string to_hex(const Sha256Digest& d);
Result<Sha256Digest> sha256_from_hex(std::string_view hex);

// SHA-256 of a whole file, streamed.
Result<Sha256Digest> sha256_file(const std::string& path);

}  // namespace kagami
