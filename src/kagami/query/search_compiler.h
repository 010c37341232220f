#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kagami/base/time.h"
#include "kagami/base/time_zone.h"
#include "kagami/query/query_parser.h"
#include "kagami/query/search_fields.h"
#include "kagami/query/text_match.h"
#include "kagami/store/sqlite_index.h"

namespace kagami::query {

// A query turned into a WHERE predicate over one table of the index. Field names come from
// the fixed field table and values are bound, so nothing typed reaches the SQL text.
// Something a query says that is probably not what its writer meant, though it is valid:
// `code` for a console to say it in the reader's language, `word` what it is about.
struct QueryHint {
  std::string code;  // "lowercase_operator"
  std::string word;
  std::string message;  // in English
};

struct CompiledQuery {
  Kind kind = Kind::kSessions;
  std::vector<QueryHint> hints;
  std::string table;      // "sessions", "http", ..., "file_events"
  std::string id_column;  // "id" ("session_id" for tls)
  std::string ts_column;  // what results are sorted by
  std::string ts_index;   // the index on it ("" if none)
  std::string where;      // "1" for everything
  std::vector<store::SqlValue> binds;
  // The same predicate for testing rows one by one (walking the time index): free text in
  // the listed record's own text is read from the row, not gathered from the full-text index
  // first, which for a common phrase means every match.
  std::string where_rows;
  std::vector<store::SqlValue> binds_rows;
  // Free text that every match must hold (listing http, mail, or sessions through their
  // URLs): the full-text index can list candidates in its order and stop at a count's cap.
  // Kind 0: none.
  records::TextKind driver_kind = records::TextKind::kNone;
  std::string driver_table;   // the table of the records the text lists (sessions: through it)
  std::string driver_match;   // the FTS5 expression
  std::string driver_verify;  // if not empty: candidates must also hold this text
  // The rest of the query, tested on each candidate's row ("1": nothing else).
  std::string driver_rest;
  std::vector<store::SqlValue> driver_rest_binds;
  // Records the text reaches only some other way (an attached document; a session's
  // messages): with the driver's, every match once.
  std::string driver_beyond;
  std::vector<store::SqlValue> driver_beyond_binds;
  // Sessions and nothing but when they were active ("*", or one time range: those active in
  // [window_lo, window_hi), an unset end open): what the rollups answer aggregates for.
  bool sessions_in_window = false;
  std::optional<TimeNs> window_lo, window_hi;
  // Sessions matched by one term on their host or user and nothing else: "host" or "user"
  // (`where` is the term, over the column of that name, and host_rev), else "".
  std::string value_field;
};

struct CompileOptions {
  std::optional<Kind> kind;    // unset: what the query's fields suggest
  TimeNs now = 0;              // for "now-24h"
  TimeZone zone;               // times typed without a zone are wall times here
  TimeNs max_session_ns = -1;  // the longest session; -1: unknown (no start-time lower bound)
  bool document_text = true;   // free text in documents' extracted text too (4 below)
  // How free text is found in one kind of full-text row (1 http, 2 mail, 3 file names,
  // 4 documents); unset: the text as one phrase. search.cc leads it with its rarest part.
  std::function<TextMatch(records::TextKind text_kind, std::string_view text)> text_match;
};

// The kind a query lists when none is asked for: the most specific record its fields name
// (files > mail > http > findings > alerts > dns > tls > ftp), else sessions.
Kind suggest_kind(const Node& root);

bool compile_query(const Node& root, const CompileOptions& options, CompiledQuery& out,
                   QueryError& error);

const char* table_of(Kind k);
const char* time_index_of(Kind k);

}  // namespace kagami::query
