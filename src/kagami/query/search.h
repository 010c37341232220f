#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kagami/base/result.h"
#include "kagami/base/time.h"
#include "kagami/base/time_zone.h"
#include "kagami/query/query_parser.h"
#include "kagami/query/search_compiler.h"
#include "kagami/query/search_fields.h"
#include "kagami/store/sqlite_index.h"

namespace kagami::query {

inline constexpr std::uint64_t kMaxPageSize = 10'000;
inline constexpr std::uint64_t kMaxOffset = 1'000'000;
// How long a page may try walking the time index before the planner's way is taken.
inline constexpr std::uint32_t kOrderedScanMs = 150;

struct SearchRequest {
  std::string query;         // "" or "*": everything
  std::optional<Kind> kind;  // unset: what the query suggests
  std::uint64_t limit = 50;
  std::uint64_t offset = 0;
  bool oldest_first = false;  // default: newest first
  // A column of the kind's table to sort by instead of time ("host", "size"; "-size" for
  // descending; sessions also "bytes", both directions' payload). Ties go by time.
  std::string sort;
  std::uint64_t count_cap = 10'000;  // counting stops here (0: no count)
  std::uint32_t budget_ms = 10'000;  // each statement; longer ones are stopped with an error
  TimeNs now = 0;                    // for "now-24h"; 0: the clock
  TimeZone zone;                     // a time typed without a zone is wall time here
  // Free text also in the text extracted from documents. A role that sees findings masked
  // must not search it: matching digits one at a time would rebuild every masked value.
  bool document_text = true;
};

struct SearchPage {
  Kind kind = Kind::kSessions;
  std::vector<QueryHint> hints;    // a valid query that may not say what was meant
  std::vector<std::uint64_t> ids;  // the page, in order (TLS: session ids)
  std::uint64_t total = 0;         // matches, up to count_cap
  bool total_capped = false;       // there are at least `total`
  double elapsed_ms = 0;
};

struct CompiledQuery;

// The request's query as SQL over its kind's table (what search and the aggregates run).
Result<CompiledQuery> compile_request(store::SqliteIndex& index, const SearchRequest& request,
                                      QueryError* where = nullptr);

// Runs a query. A query that cannot be read or compiled is an error whose message points at
// the spot (and `where`, if given, gets the position for a console to underline).
Result<SearchPage> search(store::SqliteIndex& index, const SearchRequest& request,
                          QueryError* where = nullptr);

// Records of one kind a filter names (sessions: by `ids`), as JSON with their ids; false from
// `fn` stops.
using RecordJsonFn = std::function<bool(std::uint64_t id, nlohmann::json record)>;
Status for_each_record_json(store::SqliteIndex& index, Kind kind, const store::RecordQuery& q,
                            const RecordJsonFn& fn);

// The page's records as JSON objects, in the page's order (records gone since are skipped).
Result<nlohmann::json> page_records(store::SqliteIndex& index, Kind kind,
                                    const std::vector<std::uint64_t>& ids);

// Counts over time: `buckets` equal spans from the first match to the last.
struct Timeline {
  TimeNs start = 0;
  TimeNs width = 0;                   // of one bucket
  std::vector<std::uint64_t> counts;  // records per bucket
  std::vector<std::uint64_t> bytes;   // sessions: payload bytes that started in the bucket
};
// Without `bytes` only the counts are made: from an index alone when the query's is one (a
// user's or a host's sessions), where summing bytes reads every matching row.
Result<Timeline> timeline(store::SqliteIndex& index, const SearchRequest& request,
                          std::size_t buckets, QueryError* where = nullptr, bool bytes = true);

// The most frequent values of a field among the matches ("host", "user", "client.ip", ...).
struct TopValue {
  std::string value;
  std::uint64_t count = 0;
};
// With `sample`, among the newest `sample` matches only: a busy user's hundreds of thousands
// of sessions are not all read for a sidebar (0: every match).
Result<std::vector<TopValue>> top_values(store::SqliteIndex& index, const SearchRequest& request,
                                         const std::string& field, std::size_t n,
                                         QueryError* where = nullptr, std::uint64_t sample = 0);

// Who talks to whom among the matches: the most frequent client and server address pairs.
struct Talk {
  std::string client, server;
  std::uint64_t count = 0;
};
Result<std::vector<Talk>> talkers(store::SqliteIndex& index, const SearchRequest& request,
                                  std::size_t n, QueryError* where = nullptr,
                                  std::uint64_t sample = 0);

// Whether top_values can count a field's values in one table (one column of its own, values
// worth counting: not times, sizes or lists).
bool countable(const Field& f, const FieldColumn& c);

// The fields the language knows, for --fields and the console's help ("counted": the kinds
// whose records top_values counts it among).
nlohmann::json field_help();

}  // namespace kagami::query
