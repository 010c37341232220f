// The search language: any text is parsed and, when it parses, compiled for a kind chosen by
// the first byte and run against a small index (a few requests and a message, so free text
// has pieces to estimate and candidates to test). Every compiled query must be SQL that SQLite
// accepts: a query the compiler lets through and the database rejects is a bug. Free-text
// planning is checked on its own too: a lead is always part of the text, and folding never
// breaks a text's match with itself.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <unistd.h>

#include "kagami/query/search.h"
#include "kagami/query/search_compiler.h"
#include "kagami/query/text_match.h"
#include "kagami/records/record_types.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/text_fold.h"

namespace {

kagami::store::SqliteIndex& index() {
  static std::unique_ptr<kagami::store::SqliteIndex> ix = [] {
    char dir[] = "/tmp/kagami-fuzz-query-XXXXXX";
    if (mkdtemp(dir) == nullptr) std::abort();
    auto opened = kagami::store::SqliteIndex::open(std::string(dir) + "/index.sqlite",
                                                   kagami::store::SqliteIndex::Mode::kReadWrite);
    if (!opened) std::abort();
    kagami::store::SqliteIndex& ix = *opened.value();
    if (!ix.begin()) std::abort();
    for (std::uint64_t id = 1; id <= 40; ++id) {
      kagami::records::HttpRecord h;
      h.id = id;
      h.session_id = id;
      h.ts = static_cast<kagami::TimeNs>(id) * 1'000'000'000;
      h.method = id % 4 == 0 ? "POST" : "GET";
      h.host = id % 2 ? "www.example.com" : "ファイル.example.jp";
      h.uri = "/item?id=" + std::to_string(id * 7919 % 1000) + (id % 5 ? "/Déjà" : "/report.xlsx");
      if (!ix.insert(h)) std::abort();
    }
    kagami::records::MailRecord m;
    m.id = 1;
    m.session_id = 1;
    m.subject = "見積書の送付 Quarterly REPORT";
    m.mail_from = "tanaka@example.jp";
    if (!ix.insert(m) || !ix.commit()) std::abort();
    return std::move(opened.value());
  }();
  return *ix;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using namespace kagami::query;
  const Kind kinds[] = {Kind::kSessions,  Kind::kHttpRecord, Kind::kDnsRecord,
                        Kind::kTlsRecord, Kind::kMailRecord, Kind::kFtpRecord,
                        Kind::kFiles,     Kind::kFindings,   Kind::kAlerts};
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
  const TextMatch m = plan_text_match(r.query, [&](std::string_view piece) -> std::uint64_t {
    return (static_cast<std::uint64_t>(piece.empty() ? 0 : static_cast<unsigned char>(piece[0])) *
            2654435761u) %
           (data[0] + 1u) * 1000;
  });
  if (m.verify) {
    std::string lead;
    for (std::size_t i = 1; i + 1 < m.expression.size(); ++i) {
      lead += m.expression[i];
      if (m.expression[i] == '"') ++i;  // a doubled quote
    }
    if (r.query.find(lead) == std::string::npos) __builtin_trap();
  }
  const std::string folded = kagami::store::fold_case(r.query);
  if (!kagami::store::holds_folded(r.query, folded)) __builtin_trap();
  return 0;
}
