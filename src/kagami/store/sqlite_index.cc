#include "kagami/store/sqlite_index.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <type_traits>

#include "kagami/base/location_codec.h"
#include "kagami/records/record_types.h"
#include "kagami/store/host_key.h"
#include "kagami/store/sqlite_statements.h"
#include "kagami/store/sqlite_util.h"
#include "kagami/store/text_fold.h"

namespace kagami::store {

using namespace sql;

namespace {

constexpr int kSchemaVersion = 10;

// The full-text index's own tables are left to FTS5 without statistics: taken while the index
// held no text (a run without analyzers, the first minutes of a sensor), they made the planner
// scan them on every insert once they had grown (a 150 MB import into such a store: 5.5 min
// instead of 11 s).
constexpr const char* kForgetFtsStatistics =
    "DELETE FROM sqlite_stat1 WHERE tbl GLOB 'text_fts_*'; ANALYZE sqlite_schema;";

// Where the version is kept: read before anything else is touched.
constexpr const char* kMeta =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)";

// Version 1: sessions and the packet archive (the recorder core; the sessions and packet_files
// tables are their declarations', records/session_record.h).
constexpr const char* kSchemaV1 = R"sql(
CREATE INDEX IF NOT EXISTS sessions_client_ip ON sessions(client_ip, ts_first);
CREATE INDEX IF NOT EXISTS sessions_server_ip ON sessions(server_ip, ts_first);
CREATE TABLE IF NOT EXISTS session_packets(
  session_id INTEGER NOT NULL,
  part INTEGER NOT NULL,
  count INTEGER NOT NULL,
  locations BLOB NOT NULL,             -- LocationEncoder bytes
  PRIMARY KEY(session_id, part)
) WITHOUT ROWID;
)sql";

// The tables of declared types (the protocols' records, findings, alerts, the objects, their
// sightings and inspections: records/record_types.h) are not spelled in the steps below: each
// is made, and given the columns and indexes its declaration gained, by
// ensure_record_tables(), which migrate() runs before the steps, so a step that fills a
// declared column finds it there. What each version brought is said beside its step.

// Version 2: what the protocol analyzers record (http, dns, tls, mail, ftp) and the objects
// they carried (files, file_events); the session's host name (sessions.host).
constexpr const char* kSchemaV2 = "";

// Version 3: what the insight proxy knows about the TLS it decrypted (tls: decrypted,
// upstream_version, upstream_cipher, upstream_verdict, policy).
constexpr const char* kSchemaV3 = "";

// Version 4: what inspecting the extracted objects found (findings, inspections) and the
// alerts it raised (alerts).
constexpr const char* kSchemaV4 = "";

// Version 5: what investigators search by. Host names are also kept reversed and lower-cased
// ("moc.elpmaxe.www") so "*.example.com" is an index range, not a scan; a trigram full-text
// index holds URLs, subjects, addresses, file names and the text extracted from documents
// (its rowid: the kind in the top bits, then the record's id); the audit log is append-only
// and hash-chained. (The records' reversed keys, http.host_rev, tls.sni_rev and dns.query_rev,
// are their declarations' columns; this step fills them for the rows already there.)
constexpr const char* kSchemaV5 = R"sql(
UPDATE sessions SET host_rev = kagami_host_key(host) WHERE host != '';
UPDATE http SET host_rev = kagami_host_key(host) WHERE host != '';
UPDATE tls SET sni_rev = kagami_host_key(sni) WHERE sni != '';
UPDATE dns SET query_rev = kagami_host_key(query) WHERE query != '';
DROP INDEX IF EXISTS http_host;
DROP INDEX IF EXISTS tls_sni;
DROP INDEX IF EXISTS dns_query;
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user COLLATE NOCASE, ts_first);
CREATE INDEX IF NOT EXISTS http_user ON http(user COLLATE NOCASE, ts);
INSERT OR REPLACE INTO meta(key, value)
  SELECT 'max_session_ns', coalesce(max(ts_last - ts_first), 0) FROM sessions;
CREATE VIRTUAL TABLE IF NOT EXISTS text_fts USING fts5(
  body, kind UNINDEXED, ref UNINDEXED, session_id UNINDEXED, sha256 UNINDEXED,
  tokenize='trigram');
CREATE TABLE IF NOT EXISTS doc_texts(id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS audit(
  id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, actor TEXT NOT NULL, source TEXT NOT NULL,
  action TEXT NOT NULL, object TEXT NOT NULL, detail TEXT NOT NULL, prev TEXT NOT NULL,
  hash TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

// The full-text rows of the records already in the index, as version 5 made them when it
// upgraded an index (history: a bulk load makes them from the declarations,
// index_record_texts); document text lives in the file store and is indexed as inspected.
constexpr const char* kTextFromRecords = R"sql(
INSERT OR REPLACE INTO text_fts(rowid, body, kind, ref, session_id, sha256)
  SELECT (1 << 48) | id, host || uri, 'http', id, session_id, '' FROM http;
INSERT OR REPLACE INTO text_fts(rowid, body, kind, ref, session_id, sha256)
  SELECT (2 << 48) | id, subject || char(10) || mfrom || char(10) || mto || char(10) || mcc,
         'mail', id, session_id, '' FROM mail;
INSERT OR REPLACE INTO text_fts(rowid, body, kind, ref, session_id, sha256)
  SELECT (3 << 48) | id, name, 'file', id, session_id, sha256 FROM file_events WHERE name != '';
)sql";

// Version 6: the console's users and the triage of alerts.
constexpr const char* kSchemaV6 = R"sql(
CREATE TABLE IF NOT EXISTS users(
  name TEXT PRIMARY KEY, role TEXT NOT NULL, password TEXT NOT NULL, created INTEGER NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_notes(
  id INTEGER PRIMARY KEY, alert_id INTEGER NOT NULL, ts INTEGER NOT NULL, user TEXT NOT NULL,
  action TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alert_notes_alert ON alert_notes(alert_id);
)sql";

// Version 7: the method beside the host key, so "a domain's POSTs" is counted from the index
// alone (a popular domain's every row was read to test its method) and an exact host with a
// method is one range already in time order.
constexpr const char* kSchemaV7 = R"sql(
DROP INDEX IF EXISTS http_host_rev;
CREATE INDEX IF NOT EXISTS http_host_rev ON http(host_rev, method, ts);
)sql";

// Version 8: each alert's triage state, as the console shows it (the last acknowledgement or
// reopening decides; none is new), for the query language's `state:` and the alerts' filters.
constexpr const char* kSchemaV8 = R"sql(
DROP INDEX IF EXISTS alert_notes_alert;
CREATE INDEX IF NOT EXISTS alert_notes_alert ON alert_notes(alert_id, id);
CREATE VIEW IF NOT EXISTS alert_states(alert_id, state) AS
  SELECT a.id, CASE (SELECT n.action FROM alert_notes n
                     WHERE n.alert_id = a.id AND n.action IN ('ack', 'reopen')
                     ORDER BY n.id DESC LIMIT 1)
                 WHEN 'ack' THEN 'acknowledged' ELSE 'new' END
  FROM alerts a;
)sql";

// Version 9: the sessions rolled up, so a dashboard over a day, a month or everything reads a
// few thousand rows instead of every session: sessions and payload bytes per minute
// (session_minutes), per hour for every host and user and for all of them ('*') (session_hours),
// and per host and user over all time (session_totals, ranked by an index so the most frequent
// come first whatever their number, and with each host's reversed key, so "*.example.com"
// finds its names as sessions.host_rev does). Triggers keep them with the sessions table whoever
// writes it: an insert, the old row of a REPLACE (which the write connection's recursive_triggers
// turns into a delete), a correction, a deletion; so they never drift from it. (Adding up a
// transaction's sessions in memory and writing each minute, hour and value once at its commit
// was measured no faster: the cost is in the scattered B-tree pages, not the statements.)
// Empty hosts and users are not rolled up: no one asks for the top of them. Upgrading fills
// them from the sessions.
#define KAGAMI_ROLL(sign, row)                                                                  \
  "INSERT INTO session_minutes(minute, sessions, bytes) VALUES(" row                            \
  ".ts_first / 60000000000, " sign "1, " sign "(" row ".bytes_c2s + " row                       \
  ".bytes_s2c)) ON CONFLICT DO UPDATE SET "                                                     \
  "sessions = sessions + excluded.sessions, bytes = bytes + excluded.bytes;\n"                  \
  "INSERT INTO session_hours(field, value, hour, sessions, bytes) "                             \
  "SELECT f, v, " row ".ts_first / 3600000000000, " sign "1, " sign "(" row ".bytes_c2s + " row \
  ".bytes_s2c) FROM (SELECT '*' AS f, '' AS v UNION ALL SELECT 'host', " row                    \
  ".host UNION ALL "                                                                            \
  "SELECT 'user', " row                                                                         \
  ".user) WHERE f = '*' OR v != '' ON CONFLICT DO UPDATE SET "                                  \
  "sessions = sessions + excluded.sessions, bytes = bytes + excluded.bytes;\n"                  \
  "INSERT INTO session_totals(field, value, key, sessions, bytes) "                             \
  "SELECT f, v, k, " sign "1, " sign "(" row ".bytes_c2s + " row                                \
  ".bytes_s2c) FROM (SELECT "                                                                   \
  "'host' AS f, " row ".host AS v, " row ".host_rev AS k UNION ALL SELECT 'user', " row         \
  ".user, "                                                                                     \
  "'') WHERE v != '' ON CONFLICT DO UPDATE SET sessions = sessions + excluded.sessions, "       \
  "bytes = bytes + excluded.bytes;\n"
// Rows a deletion emptied are dropped (a store that evicts keeps no trail of zeros).
#define KAGAMI_ROLL_PRUNE                                                                     \
  "DELETE FROM session_minutes WHERE minute = old.ts_first / 60000000000 AND sessions = 0;\n" \
  "DELETE FROM session_hours WHERE hour = old.ts_first / 3600000000000 AND sessions = 0 "     \
  "AND field IN ('*', 'host', 'user') AND value IN ('', old.host, old.user);\n"               \
  "DELETE FROM session_totals WHERE sessions = 0 AND field IN ('host', 'user') "              \
  "AND value IN (old.host, old.user);\n"
constexpr const char* kSchemaV9 =
    "CREATE TABLE IF NOT EXISTS session_minutes(\n"
    "  minute INTEGER PRIMARY KEY, sessions INTEGER NOT NULL, bytes INTEGER NOT NULL);\n"
    "CREATE TABLE IF NOT EXISTS session_hours(\n"
    "  field TEXT NOT NULL, value TEXT NOT NULL, hour INTEGER NOT NULL,\n"
    "  sessions INTEGER NOT NULL, bytes INTEGER NOT NULL,\n"
    "  PRIMARY KEY(field, value, hour)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS session_totals(\n"
    "  field TEXT NOT NULL, value TEXT NOT NULL, key TEXT NOT NULL, sessions INTEGER NOT NULL,\n"
    "  bytes INTEGER NOT NULL, PRIMARY KEY(field, value)) WITHOUT ROWID;\n"
    "CREATE INDEX IF NOT EXISTS session_totals_rank ON session_totals(field, sessions DESC, value);\n"
    "CREATE INDEX IF NOT EXISTS session_totals_key ON session_totals(field, key);\n"
    "DELETE FROM session_minutes; DELETE FROM session_hours; DELETE FROM session_totals;\n"
    "INSERT INTO session_minutes(minute, sessions, bytes)\n"
    "  SELECT ts_first / 60000000000, count(*), sum(bytes_c2s + bytes_s2c) FROM sessions\n"
    "  GROUP BY 1;\n"
    "INSERT INTO session_hours(field, value, hour, sessions, bytes)\n"
    "  SELECT '*', '', minute / 60, sum(sessions), sum(bytes) FROM session_minutes GROUP BY 3;\n"
    "INSERT INTO session_hours(field, value, hour, sessions, bytes)\n"
    "  SELECT 'host', host, ts_first / 3600000000000, count(*), sum(bytes_c2s + bytes_s2c)\n"
    "  FROM sessions WHERE host != '' GROUP BY 2, 3;\n"
    "INSERT INTO session_hours(field, value, hour, sessions, bytes)\n"
    "  SELECT 'user', user, ts_first / 3600000000000, count(*), sum(bytes_c2s + bytes_s2c)\n"
    "  FROM sessions WHERE user != '' GROUP BY 2, 3;\n"
    "INSERT INTO session_totals(field, value, key, sessions, bytes)\n"
    "  SELECT field, value, CASE field WHEN 'host' THEN kagami_host_key(value) ELSE '' END,\n"
    "  sum(sessions), sum(bytes) FROM session_hours WHERE field != '*' GROUP BY 1, 2;\n"
    "CREATE TRIGGER IF NOT EXISTS sessions_roll_insert AFTER INSERT ON sessions BEGIN\n" KAGAMI_ROLL(
        "", "new") "END;\n"
    "CREATE TRIGGER IF NOT EXISTS sessions_roll_delete AFTER DELETE ON sessions BEGIN\n" KAGAMI_ROLL(
        "-", "old") KAGAMI_ROLL_PRUNE "END;\n"
    "CREATE TRIGGER IF NOT EXISTS sessions_roll_update AFTER UPDATE OF ts_first, host, user, "
    "bytes_c2s, bytes_s2c ON sessions BEGIN\n" KAGAMI_ROLL("-", "old") KAGAMI_ROLL("", "new")
        KAGAMI_ROLL_PRUNE "END;\n";
#undef KAGAMI_ROLL
#undef KAGAMI_ROLL_PRUNE

// Version 10: retention. Sessions an investigator exported (evidence, kept longer), and the
// packet files' `evicted` column (from its declaration).
constexpr const char* kSchemaV10 = R"sql(
CREATE TABLE IF NOT EXISTS evidence_holds(
  session_id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, reason TEXT NOT NULL) WITHOUT ROWID;
)sql";

Where build_where(const SessionQuery& q) {
  Where w;
  if (q.since) w.compare("ts_last", ">=", std::int64_t{*q.since});
  if (q.until) w.compare("ts_first", "<=", std::int64_t{*q.until});
  w.any_address(q.ips);
  w.any_port(q.ports);
  if (q.transport) w.compare("transport", "=", std::int64_t{*q.transport});
  if (q.app) {
    // app lists every protocol recognized, "http,tls": match any of them.
    w.add("(',' || app || ',') LIKE ('%,' || ? || ',%')");
    w.bind(std::string(*q.app));
  }
  if (q.host) w.glob("host", *q.host);
  w.in("id", q.ids);
  return w;
}

std::string_view value_text(sqlite3_value* v) {
  const unsigned char* t = sqlite3_value_text(v);
  return t ? std::string_view(reinterpret_cast<const char*>(t),
                              static_cast<std::size_t>(sqlite3_value_bytes(v)))
           : std::string_view();
}

// The reversed host key in SQL, for upgrading an index written before version 5.
void host_key_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const std::string key = host_key(value_text(argv[0]));
  sqlite3_result_text(ctx, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
}

// kagami_has_text(text, needle): whether a row's text holds `needle` as the trigram index
// would match it, for walking rows in time order where the index lists matches in its own.
// The folded needle is kept with the statement (SQLite's auxiliary data), not refolded per row.
void has_text_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  auto* needle = static_cast<std::string*>(sqlite3_get_auxdata(ctx, 1));
  if (needle == nullptr) {
    needle = new std::string(fold_case(value_text(argv[1])));
    sqlite3_set_auxdata(ctx, 1, needle, [](void* p) { delete static_cast<std::string*>(p); });
    // SQLite may drop it at once; then it is refolded next row, and still right.
    needle = static_cast<std::string*>(sqlite3_get_auxdata(ctx, 1));
    if (needle == nullptr) {
      sqlite3_result_int(ctx,
                         holds_folded(value_text(argv[0]), fold_case(value_text(argv[1]))) ? 1 : 0);
      return;
    }
  }
  sqlite3_result_int(ctx, holds_folded(value_text(argv[0]), *needle) ? 1 : 0);
}

}  // namespace

SqliteIndex::SqliteIndex(sqlite3* db) : db_(db) {}

SqliteIndex::~SqliteIndex() {
  stmts_.reset();
  sqlite3_close_v2(db_);
}

Status SqliteIndex::exec(const char* text) {
  char* err = nullptr;
  if (sqlite3_exec(db_, text, nullptr, nullptr, &err) != SQLITE_OK) {
    Error e = make_error("index: {}", err ? err : "unknown error");
    sqlite3_free(err);
    return e;
  }
  return {};
}

Status SqliteIndex::migrate() {
  if (auto s = exec(kMeta); !s) return s;
  auto st = prepare(db_, "SELECT value FROM meta WHERE key='schema_version'");
  if (!st) return st.error();
  int version = 0;
  if (sqlite3_step(st->get()) == SQLITE_ROW) version = sqlite3_column_int(st->get(), 0);
  // Done with it before the steps: a statement still on its row keeps the schema locked, and
  // an upgrade that drops an index fails ("database table is locked").
  sqlite3_reset(st->get());
  if (version > kSchemaVersion)
    return make_error("the index has schema version {}; this kagami reads up to {}", version,
                      kSchemaVersion);
  if (version == 0) version = 1;  // a new index starts at 1 and is brought up below
  // The declared tables first: the steps below fill and index their columns, and an index
  // already at the last version gets what its declarations gained since.
  if (auto s = ensure_record_tables(); !s) return s;
  if (auto s = exec(kSchemaV1); !s) return s;
  // Each step in a transaction of its own: a failed upgrade leaves the last good version.
  constexpr const char* kSteps[] = {kSchemaV2, kSchemaV3, kSchemaV4, kSchemaV5, kSchemaV6,
                                    kSchemaV7, kSchemaV8, kSchemaV9, kSchemaV10};
  static_assert(std::size(kSteps) == kSchemaVersion - 1);
  for (int next = version + 1; next <= kSchemaVersion; ++next) {
    if (auto s = exec("BEGIN"); !s) return s;
    if (auto s = exec(kSteps[next - 2]); !s) {
      (void)exec("ROLLBACK");
      return s;
    }
    if (next == 5) {
      if (auto s = exec(kTextFromRecords); !s) {
        (void)exec("ROLLBACK");
        return s;
      }
    }
    const std::string v = "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version','" +
                          std::to_string(next) + "')";
    if (auto s = exec(v.c_str()); !s) {
      (void)exec("ROLLBACK");
      return s;
    }
    if (auto s = exec("COMMIT"); !s) return s;
  }
  return {};
}

Result<std::unique_ptr<SqliteIndex>> SqliteIndex::open(const std::string& path, Mode mode) {
  sqlite3* db = nullptr;
  const int flags =
      mode == Mode::kReadWrite ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
  if (sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    Error e =
        make_error("cannot open index {}: {}", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close_v2(db);
    return e;
  }
  std::unique_ptr<SqliteIndex> idx(new SqliteIndex(db));
  sqlite3_busy_timeout(db, 10000);
  sqlite3_create_function_v2(db, "kagami_host_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                             host_key_function, nullptr, nullptr, nullptr);
  sqlite3_create_function_v2(db, "kagami_has_text", 2,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                             has_text_function, nullptr, nullptr, nullptr);
  if (mode == Mode::kReadWrite) {
    // WAL: readers never block the writer; NORMAL sync: a power cut may lose the last
    // transactions but never corrupts the database. A larger page cache and rarer
    // checkpoints for the one writer: fewer reads of pages it just wrote.
    // auto_vacuum before anything else: a new index can give the pages retention frees back
    // to the file system (an existing one keeps its setting: it reuses them instead).
    if (auto s = idx->exec("PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; "
                           "PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=67108864; "
                           "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=8192; "
                           "PRAGMA recursive_triggers=ON;");
        !s)
      return s.error();
    if (auto s = idx->migrate(); !s) return s.error();
    // An index analysed before that rule keeps such statistics until told to forget them.
    if (auto has = prepare(db, "SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat1'");
        has && sqlite3_step(has->get()) == SQLITE_ROW)
      if (auto f = idx->exec(kForgetFtsStatistics); !f) return f.error();
    if (auto s = idx->prepare_writes(); !s) return s.error();
    if (auto m = idx->max_session_ns(); m) idx->max_session_ns_ = *m;
    return idx;
  }
  auto st = prepare(db, "SELECT value FROM meta WHERE key='schema_version'");
  if (!st) return st.error();
  const int version = sqlite3_step(st->get()) == SQLITE_ROW ? sqlite3_column_int(st->get(), 0) : 0;
  if (version != kSchemaVersion)
    return make_error(
        "index {} has schema version {}; this kagami reads version {} (record into "
        "the store once with this version to upgrade it)",
        path, version, kSchemaVersion);
  sqlite3_reset(st->get());
  if (auto s = idx->ensure_record_tables(true); !s) return s.error();
  return idx;
}

Status SqliteIndex::prepare_writes() {
  stmts_ = std::make_unique<Statements>();
  auto mk = [&](Stmt& into, const std::string& text) -> Status {
    auto s = prepare(db_, text, true);
    if (!s) return s.error();
    into = std::move(s.value());
    return {};
  };
  if (auto s = mk(stmts_->begin, "BEGIN"); !s) return s;
  if (auto s = mk(stmts_->commit, "COMMIT"); !s) return s;
  if (auto s = mk(stmts_->insert_locations,
                  "INSERT OR REPLACE INTO session_packets(session_id, part, count, locations) "
                  "VALUES(?,?,?,?)");
      !s)
    return s;
  if (auto s = prepare_record_inserts(); !s) return s;
  if (auto s = mk(stmts_->insert_text,
                  "INSERT OR REPLACE INTO text_fts(rowid, body, kind, ref, session_id, sha256) "
                  "VALUES(?,?,?,?,?,?)");
      !s)
    return s;
  // (Not a comparison in text_fts: `body = ?` there is a phrase query over the whole index.)
  if (auto s = mk(stmts_->same_text,
                  "SELECT i.text_sha256 FROM inspections i JOIN doc_texts d ON d.sha256 = "
                  "i.sha256 WHERE i.sha256 = ?");
      !s)
    return s;
  return mk(stmts_->doc_text_id,
            "INSERT INTO doc_texts(sha256) VALUES(?) ON CONFLICT(sha256) DO UPDATE SET "
            "sha256 = excluded.sha256 RETURNING id");
}

Status SqliteIndex::begin() { return step_done(db_, stmts_->begin.get(), "begin"); }
Status SqliteIndex::commit() { return step_done(db_, stmts_->commit.get(), "commit"); }
Status SqliteIndex::rollback() {
  if (sqlite3_get_autocommit(db_)) return {};
  return exec("ROLLBACK");
}

Status SqliteIndex::insert_session(const records::SessionRecord& r) {
  if (auto st = insert(r); !st) return st;
  // The longest session bounds time searches from below: a session active at T started no
  // earlier than T minus this, so the start-time index can be used for both ends.
  if (r.ts_last - r.ts_first > max_session_ns_) {
    max_session_ns_ = r.ts_last - r.ts_first;
    const std::string v = "INSERT OR REPLACE INTO meta(key, value) VALUES('max_session_ns','" +
                          std::to_string(max_session_ns_) + "')";
    return exec(v.c_str());
  }
  return {};
}

Status SqliteIndex::insert_locations(const records::PacketLocationChunk& c) {
  sqlite3_stmt* s = stmts_->insert_locations.get();
  bind_u64(s, 1, c.session_id);
  bind_u64(s, 2, c.part);
  bind_u64(s, 3, c.count);
  bind_blob(s, 4, c.bytes.data(), c.bytes.size());
  return step_done(db_, s, "insert packet locations");
}

Status SqliteIndex::upsert_archive_file(const records::ArchiveFileRecord& f) { return insert(f); }

Result<std::int64_t> SqliteIndex::max_session_ns() {
  auto st = prepare(db_, "SELECT value FROM meta WHERE key='max_session_ns'");
  if (!st) return st.error();
  if (sqlite3_step(st->get()) != SQLITE_ROW) return std::int64_t{0};
  return static_cast<std::int64_t>(sqlite3_column_int64(st->get(), 0));
}

// Approximate statistics (a thousand rows per index) are enough to choose between indexes,
// and cheap enough to take at every start.
Status SqliteIndex::begin_bulk_load() {
  if (bulk_) return {};
  // Secondary indexes are dropped (their definitions kept) and the full-text index skipped:
  // building them once at the end sorts instead of inserting at random, several times faster.
  bulk_indexes_.clear();
  std::string tables;
  records::for_each_stored_type([&]<class R>() {
    tables += (tables.empty() ? "'" : ", '") + std::string(R::kType.table) + "'";
  });
  auto st = prepare(db_,
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                    "AND tbl_name IN (" +
                        tables + ")");
  if (!st) return st.error();
  while (sqlite3_step(st->get()) == SQLITE_ROW)
    bulk_indexes_.emplace_back(column_text(st->get(), 0), column_text(st->get(), 1));
  for (const auto& [name, sql] : bulk_indexes_)
    if (auto s = exec(("DROP INDEX IF EXISTS \"" + name + "\"").c_str()); !s) return s;
  if (auto s = exec("PRAGMA synchronous=OFF; PRAGMA cache_size=-1048576;"); !s) return s;
  bulk_ = true;
  return {};
}

Status SqliteIndex::end_bulk_load() {
  if (!bulk_) return {};
  bulk_ = false;
  for (const auto& [name, sql] : bulk_indexes_)
    if (auto s = exec(sql.c_str()); !s) return s;
  bulk_indexes_.clear();
  if (auto s = exec("BEGIN"); !s) return s;
  Status texts = index_record_texts();
  if (!texts) {
    (void)exec("ROLLBACK");
    return texts;
  }
  if (auto s = exec("COMMIT"); !s) return s;
  if (auto s = exec("PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"); !s) return s;
  return optimize();
}

Status SqliteIndex::optimize() {
  if (auto s = exec("PRAGMA analysis_limit=1000; ANALYZE;"); !s) return s;
  return exec(kForgetFtsStatistics);
}

Result<std::uint64_t> SqliteIndex::reclaim_free_pages() {
  // Nothing where auto_vacuum is off (an index made before it was set): its free pages are
  // reused before the file grows, which is as good for a store's limit.
  if (auto s = exec("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(PASSIVE);"); !s)
    return s.error();
  auto pages = prepare(db_, "PRAGMA freelist_count");
  if (!pages || sqlite3_step(pages->get()) != SQLITE_ROW) return error(db_, "free pages");
  auto size = prepare(db_, "PRAGMA page_size");
  if (!size || sqlite3_step(size->get()) != SQLITE_ROW) return error(db_, "page size");
  return column_u64(pages->get(), 0) * column_u64(size->get(), 0);
}

Result<std::uint64_t> SqliteIndex::next_session_id() {
  // A session is written when it ends, its transactions as they complete: a recorder killed
  // while sessions were open leaves records naming sessions that have no row. Their numbers
  // are not given again (each table's session index makes its max one lookup).
  std::string q =
      "SELECT max(coalesce((SELECT max(id) FROM sessions), 0), "
      "coalesce((SELECT max(session_id) FROM session_packets), 0)";
  for (const SessionTable& t : session_tables())
    q += ", coalesce((SELECT max(session_id) FROM " + t.table + "), 0)";
  q += ")";
  auto st = prepare(db_, q);
  if (!st) return st.error();
  if (sqlite3_step(st->get()) != SQLITE_ROW) return error(db_, "next session id");
  return std::max(column_u64(st->get(), 0) + 1, id_floor("sessions"));
}

Result<std::uint32_t> SqliteIndex::next_file_id() {
  auto st = prepare(db_, "SELECT coalesce(max(file_id), 0) FROM packet_files");
  if (!st) return st.error();
  if (sqlite3_step(st->get()) != SQLITE_ROW) return error(db_, "next file id");
  return static_cast<std::uint32_t>(column_u64(st->get(), 0) + 1);
}

Result<std::uint64_t> SqliteIndex::next_record_id(std::string_view table) {
  bool known = table == "file_events" || table == "findings" || table == "alerts";
  records::for_each_record_type(
      [&]<class R>() { known = known || (R::kType.table == table && R::kType.id_column == "id"); });
  if (!known) return make_error("index: no id sequence for table '{}'", table);
  auto st = prepare(db_, "SELECT coalesce(max(id), 0) FROM " + std::string(table));
  if (!st) return st.error();
  if (sqlite3_step(st->get()) != SQLITE_ROW) return error(db_, "next record id");
  return std::max(column_u64(st->get(), 0) + 1, id_floor(std::string(table)));
}

Status SqliteIndex::query_sessions(const SessionQuery& q, const SessionFn& fn) {
  RecordQuery order;
  order.newest_first = q.newest_first;
  order.limit = q.limit;
  return query_where<records::SessionRecord>(order, build_where(q), fn);
}

Result<std::uint64_t> SqliteIndex::count_sessions(const SessionQuery& q) {
  Where w = build_where(q);
  auto st = prepare(db_, "SELECT count(*) FROM sessions" + w.text);
  if (!st) return st.error();
  w.bind_all(st->get());
  if (sqlite3_step(st->get()) != SQLITE_ROW) return error(db_, "count sessions");
  return column_u64(st->get(), 0);
}

Result<std::vector<PacketLocation>> SqliteIndex::session_locations(std::uint64_t session_id) {
  auto st = prepare(
      db_, "SELECT part, locations FROM session_packets WHERE session_id = ? ORDER BY part");
  if (!st) return st.error();
  bind_u64(st->get(), 1, session_id);
  std::vector<PacketLocation> out;
  int rc;
  while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(st->get(), 1));
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(st->get(), 1));
    if (!decode_locations(data, size, out))
      return make_error("index: packet locations of session {} part {} are corrupt", session_id,
                        sqlite3_column_int64(st->get(), 0));
  }
  if (rc != SQLITE_DONE) return error(db_, "session locations");
  return out;
}

Result<std::vector<records::ArchiveFileRecord>> SqliteIndex::archive_files() {
  std::vector<records::ArchiveFileRecord> out;
  auto st = query_where<records::ArchiveFileRecord>(RecordQuery{}, Where{},
                                                    [&](const records::ArchiveFileRecord& f) {
                                                      out.push_back(f);
                                                      return true;
                                                    });
  if (!st) return st.error();
  return out;
}

}  // namespace kagami::store

namespace kagami::store {

std::int64_t SqlRow::i64(int c) const { return sqlite3_column_int64(s_, c); }
double SqlRow::real(int c) const { return sqlite3_column_double(s_, c); }
std::string SqlRow::text(int c) const { return sql::column_text(s_, c); }
IpAddress SqlRow::ip(int c) const { return sql::column_ip(s_, c); }
bool SqlRow::null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }

namespace {

struct Deadline {
  std::chrono::steady_clock::time_point at;
};

int past_deadline(void* p) {
  return std::chrono::steady_clock::now() > static_cast<Deadline*>(p)->at ? 1 : 0;
}

}  // namespace

Status SqliteIndex::select(const std::string& text, const std::vector<SqlValue>& binds,
                           const RowFn& fn, std::uint32_t budget_ms) {
  auto st = sql::prepare(db_, text);
  if (!st) return st.error();
  if (!sqlite3_stmt_readonly(st->get()))
    return make_error("index: refused a statement that writes");
  for (std::size_t i = 0; i < binds.size(); ++i) {
    const int at = static_cast<int>(i + 1);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::int64_t>)
            sql::bind_i64(st->get(), at, v);
          else if constexpr (std::is_same_v<T, std::string>)
            sql::bind_text(st->get(), at, v);
          else
            sql::bind_ip(st->get(), at, v);
        },
        binds[i]);
  }
  Deadline deadline{std::chrono::steady_clock::now() + std::chrono::milliseconds(budget_ms)};
  // Checked every few thousand virtual-machine steps: cheap, and a runaway scan stops soon.
  if (budget_ms > 0) sqlite3_progress_handler(db_, 4000, past_deadline, &deadline);
  int rc;
  while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
    if (!fn(SqlRow(st->get()))) {
      rc = SQLITE_DONE;
      break;
    }
  }
  if (budget_ms > 0) sqlite3_progress_handler(db_, 0, nullptr, nullptr);
  if (rc == SQLITE_INTERRUPT)
    return make_error(
        "the query ran longer than {} ms and was stopped; narrow it (a time range, "
        "a host, a user)",
        budget_ms);
  if (rc != SQLITE_DONE) return sql::error(db_, "search");
  return {};
}

}  // namespace kagami::store
