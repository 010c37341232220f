#pragma once

#include <string>
#include <string_view>

#include "kagami/base/result.h"

namespace kagami {

// Passwords are kept as scrypt hashes (memory-hard: 32 MiB and ~0.1 s per guess here), in
// the self-describing form "scrypt$N$r$p$salt$hash" (base64), so the cost can be raised later
// without invalidating what is stored.
struct ScryptCost {
  unsigned log2_n = 15;
  unsigned r = 8;
  unsigned p = 1;
};

Result<std::string> hash_password(std::string_view password, ScryptCost cost = {});

// Constant-time in the hash comparison; false for a malformed stored value.
bool verify_password(std::string_view password, std::string_view stored);

// Passwords must be at least this long; longer ones are cut by nobody.
inline constexpr std::size_t kMinPasswordLength = 10;
inline constexpr std::size_t kMaxPasswordLength = 1024;

}  // namespace kagami
