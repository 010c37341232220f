#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kagami/base/time.h"
#include "kagami/query/query_parser.h"
#include "kagami/query/search_fields.h"
#include "kagami/store/sqlite_index.h"

namespace kagami::query {

// A query turned into a WHERE predicate over one table of the index. Field names come from
// the fixed field table and values are bound, so nothing typed reaches the SQL text.
struct CompiledQuery {
  Kind kind = Kind::kSessions;
  std::string table;      // "sessions", "http", ..., "file_events"
  std::string id_column;  // "id" ("session_id" for tls)
  std::string ts_column;  // what results are sorted by
  std::string ts_index;   // the index on it ("" if none)
  std::string where;      // "1" for everything
  std::vector<store::SqlValue> binds;
};

struct CompileOptions {
  std::optional<Kind> kind;    // unset: what the query's fields suggest
  TimeNs now = 0;              // for "now-24h"
  TimeNs max_session_ns = -1;  // the longest session; -1: unknown (no start-time lower bound)
};

// The kind a query lists when none is asked for: the most specific record its fields name
// (files > mail > http > findings > alerts > dns > tls > ftp), else sessions.
Kind suggest_kind(const Node& root);

bool compile_query(const Node& root, const CompileOptions& options, CompiledQuery& out,
                   QueryError& error);

const char* table_of(Kind k);
const char* time_index_of(Kind k);

}  // namespace kagami::query
