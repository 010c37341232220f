#include "kagami/base/password_hash.h"

#include <charconv>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "kagami/base/base64.h"

namespace kagami {

namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
// The most a stored hash may ask for: a tampered users table must not make a login allocate
// gigabytes.
constexpr unsigned kMaxLog2N = 20;
constexpr std::uint64_t kMaxMem = 1ull << 30;

bool derive(std::string_view password, const std::string& salt, const ScryptCost& c,
            std::uint8_t* out, std::size_t out_len) {
  const std::uint64_t n = 1ull << c.log2_n;
  return EVP_PBE_scrypt(password.data(), password.size(),
                        reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), n, c.r,
                        c.p, kMaxMem, out, out_len) == 1;
}

bool parse_uint(std::string_view s, unsigned& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = s.find(sep, start);
    out.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

}  // namespace

Result<std::string> hash_password(std::string_view password, ScryptCost cost) {
  if (password.size() > kMaxPasswordLength) return make_error("the password is too long");
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1)
    return make_error("no random bytes for a salt");
  std::uint8_t hash[kHashBytes];
  if (cost.log2_n > kMaxLog2N || !derive(password, salt, cost, hash, sizeof hash))
    return make_error("scrypt failed");
  return "scrypt$" + std::to_string(cost.log2_n) + "$" + std::to_string(cost.r) + "$" +
         std::to_string(cost.p) + "$" + base64_encode(salt) + "$" +
         base64_encode(std::string_view(reinterpret_cast<const char*>(hash), sizeof hash));
}

bool verify_password(std::string_view password, std::string_view stored) {
  if (password.size() > kMaxPasswordLength) return false;
  const auto parts = split(stored, '$');
  if (parts.size() != 6 || parts[0] != "scrypt") return false;
  ScryptCost c;
  if (!parse_uint(parts[1], c.log2_n) || !parse_uint(parts[2], c.r) || !parse_uint(parts[3], c.p) ||
      c.log2_n < 10 || c.log2_n > kMaxLog2N || c.r == 0 || c.r > 32 || c.p == 0 || c.p > 16)
    return false;
  const auto salt = base64_decode(parts[4]);
  const auto want = base64_decode(parts[5]);
  if (!salt || !want || want->size() != kHashBytes) return false;
  std::uint8_t got[kHashBytes];
  if (!derive(password, *salt, c, got, sizeof got)) return false;
  return CRYPTO_memcmp(got, want->data(), kHashBytes) == 0;
}

}  // namespace kagami
