#pragma once

#include <string>
#include <vector>

#include "kagami/base/result.h"

namespace kagami::console {

struct ConsoleCertificate {
  std::string cert, key;  // what the console serves
  std::string ca;         // what browsers import to trust it ("" when given by the user)
  bool created = false;   // made now
};

// The console's own certificate in `dir` (STORE/console): a CA of its own and a server
// certificate for `names`, made on first start and kept, so a browser that trusted it once
// keeps trusting it.
Result<ConsoleCertificate> ensure_console_certificate(const std::string& dir,
                                                      const std::vector<std::string>& names);

}  // namespace kagami::console
