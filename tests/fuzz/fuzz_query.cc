// The search language: any text is parsed and, when it parses, compiled for a kind chosen by
// the first byte and run against an empty index. Every compiled query must be SQL that SQLite
// accepts: a query the compiler lets through and the database rejects is a bug.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include "kagami/query/search.h"
#include "kagami/query/search_compiler.h"
#include "kagami/store/sqlite_index.h"

namespace {

kagami::store::SqliteIndex& index() {
  static std::unique_ptr<kagami::store::SqliteIndex> ix = [] {
    char dir[] = "/tmp/kagami-fuzz-query-XXXXXX";
    if (mkdtemp(dir) == nullptr) std::abort();
    auto opened = kagami::store::SqliteIndex::open(std::string(dir) + "/index.sqlite",
                                                   kagami::store::SqliteIndex::Mode::kReadWrite);
    if (!opened) std::abort();
    return std::move(opened.value());
  }();
  return *ix;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using namespace kagami::query;
  const Kind kinds[] = {Kind::kSessions, Kind::kHttp,  Kind::kDns,      Kind::kTls,   Kind::kMail,
                        Kind::kFtp,      Kind::kFiles, Kind::kFindings, Kind::kAlerts};
  SearchRequest r;
  r.query.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 10 < 9) r.kind = kinds[data[0] % 10];
  r.now = 1'800'000'000'000'000'000;
  r.budget_ms = 2000;
  QueryError where;
  auto page = search(index(), r, &where);
  if (!page) {
    // A language error points inside the query; an error from the database (anything but
    // the time budget) is a query the compiler should have refused or written differently.
    if (where.message.empty() && page.error().message.find("ran longer") == std::string::npos)
      __builtin_trap();
    if (!where.message.empty() && where.pos > r.query.size()) __builtin_trap();
  }
  return 0;
}
