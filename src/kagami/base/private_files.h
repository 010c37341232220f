#pragma once

#include <string>
#include <vector>

namespace kagami {

// Kagami's files hold decrypted traffic, extracted files, password hashes and CA keys: they
// are for the user Kagami runs as alone (files 0600, folders 0700; main() sets the umask so).
// What an older version, a copy or a hand made looser is reported, not changed: `path`
// itself, what is in it, and what is in its folders (a bounded look, not a walk of millions
// of packet files). Returns "PATH (mode 0644)" for each finding, at most `max_found`.
std::vector<std::string> not_private(const std::string& path, std::size_t max_found = 20);

// Logs a warning for each of not_private(path), naming what to run; quiet when all is well
// or the path does not exist.
void warn_if_not_private(const std::string& path, const char* what);

}  // namespace kagami
