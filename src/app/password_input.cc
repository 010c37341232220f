#include "app/password_input.h"

#include <cstdio>
#include <iostream>

#include <termios.h>
#include <unistd.h>

#include "kagami/base/password_hash.h"

namespace kagami::app {

Result<std::string> read_password(const std::string& file) {
  std::string pw;
  if (!file.empty()) {
    std::FILE* f = std::fopen(file.c_str(), "r");
    if (f == nullptr) return make_error("cannot read {}", file);
    char buf[1100];
    if (std::fgets(buf, sizeof buf, f) != nullptr) pw = buf;
    std::fclose(f);
  } else {
    const bool tty = ::isatty(STDIN_FILENO) != 0;
    termios old{};
    if (tty) {
      std::fprintf(stderr, "password: ");
      ::tcgetattr(STDIN_FILENO, &old);
      termios quiet = old;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::getline(std::cin, pw);
    if (tty) {
      ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
      std::fprintf(stderr, "\n");
    }
  }
  while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
  if (pw.size() < kMinPasswordLength)
    return make_error("a password has at least {} characters", kMinPasswordLength);
  return pw;
}

}  // namespace kagami::app
