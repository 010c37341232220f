#include "kagami/base/md5.h"

#include <cstdlib>

#include <openssl/evp.h>

namespace kagami {

struct Md5::Impl {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Impl() {
    if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) != 1) std::abort();
  }
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Md5::Md5() : impl_(std::make_unique<Impl>()) {}
Md5::~Md5() = default;
Md5::Md5(Md5&&) noexcept = default;
Md5& Md5::operator=(Md5&&) noexcept = default;

void Md5::update(ByteView data) { EVP_DigestUpdate(impl_->ctx, data.data(), data.size()); }

Md5Digest Md5::finish() {
  Md5Digest d{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, d.data(), &len);
  EVP_DigestInit_ex(impl_->ctx, EVP_md5(), nullptr);
  return d;
}

}  // namespace kagami
