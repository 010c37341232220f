#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/result.h"
#include "kagami/store/session_query.h"

namespace CLI {
class App;
}

namespace kagami::app {

// The time/address filters shared by `sessions`, `export` and the record listings to come.
struct SessionFilterOptions {
  std::string since, until;
  std::vector<std::string> ips;
  std::vector<std::uint16_t> ports;
  std::string proto;
  std::vector<std::uint64_t> ids;
  std::uint64_t limit = 0;
};

void add_session_filters(CLI::App& cmd, SessionFilterOptions& o);
Result<store::SessionQuery> to_query(const SessionFilterOptions& o);
bool has_filters(const SessionFilterOptions& o);

}  // namespace kagami::app
