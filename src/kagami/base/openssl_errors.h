#pragma once

#include <string>

namespace kagami {

// The reasons OpenSSL queued on this thread, oldest first, joined by "; " (and cleared).
std::string openssl_errors();

}  // namespace kagami
