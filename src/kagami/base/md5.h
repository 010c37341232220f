#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "kagami/base/byte_view.h"

namespace kagami {

using Md5Digest = std::array<std::uint8_t, 16>;

// Incremental MD5 (OpenSSL EVP). Only for identifying files the way other tools and threat
// intelligence feeds do; never for integrity (that is SHA-256's job).
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(Md5&&) noexcept;
  Md5& operator=(Md5&&) noexcept;
  void update(ByteView data);
  Md5Digest finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kagami
