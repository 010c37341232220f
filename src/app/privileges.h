#pragma once

#include <string>
#include <vector>

#include "kagami/base/result.h"

namespace kagami::app {

// Gives up root once what needs it is open (a capture handle, a port below 1024): the process
// goes on as `user`, with no capabilities left. `user` empty: `kagami` when that user exists
// and the process is root, else nothing changes; "root": nothing changes. The paths in
// `writable` (the store) are handed to the user first, directories and files alike, so it can
// go on writing them. Returns the user it now runs as ("" when nothing changed).
Result<std::string> drop_privileges(const std::string& user,
                                    const std::vector<std::string>& writable);

}  // namespace kagami::app
