// The index's part of retention (store/retention.h): which sessions a packet file holds,
// flagging what lost its packets, removing what outlived its metadata horizon.
#include <algorithm>
#include <set>

#include "kagami/records/session_record.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/sqlite_util.h"

namespace kagami::store {

using namespace sql;

std::uint64_t SqliteIndex::id_floor(const std::string& table) {
  auto v = meta("next_id:" + table);
  if (!v || v->empty()) return 0;
  return std::strtoull(v->c_str(), nullptr, 10);
}

Result<std::string> SqliteIndex::meta(const std::string& key) {
  auto st = prepare(db_, "SELECT value FROM meta WHERE key = ?");
  if (!st) return st.error();
  bind_text(st->get(), 1, key);
  const int rc = sqlite3_step(st->get());
  if (rc == SQLITE_ROW) return column_text(st->get(), 0);
  if (rc != SQLITE_DONE) return error(db_, "read meta");
  return std::string();
}

Status SqliteIndex::set_meta(const std::string& key, const std::string& value) {
  auto st = prepare(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
  if (!st) return st.error();
  bind_text(st->get(), 1, key);
  bind_text(st->get(), 2, value);
  return step_done(db_, st->get(), "write meta");
}

Result<std::vector<std::uint64_t>> SqliteIndex::sessions_overlapping(std::int64_t first,
                                                                     std::int64_t last,
                                                                     bool evidence_only) {
  auto longest = max_session_ns();
  if (!longest) return longest.error();
  // ts_first is indexed: bound it from both sides with the longest session.
  std::string q =
      "SELECT id FROM sessions WHERE ts_first <= ?1 AND ts_first >= ?2 AND ts_last >= ?3";
  if (evidence_only)
    // An informational finding (an e-mail address in a page) does not make evidence of a
    // session: nearly every mail has one.
    q += " AND (id IN (SELECT session_id FROM findings WHERE severity != 'info') OR"
         " id IN (SELECT session_id FROM alerts) OR id IN (SELECT session_id FROM evidence_holds))";
  auto st = prepare(db_, q);
  if (!st) return st.error();
  bind_i64(st->get(), 1, last);
  bind_i64(st->get(), 2, first - longest.value());
  bind_i64(st->get(), 3, first);
  std::vector<std::uint64_t> out;
  int rc;
  while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) out.push_back(column_u64(st->get(), 0));
  if (rc != SQLITE_DONE) return error(db_, "sessions of a packet file");
  return out;
}

Result<std::vector<std::uint64_t>> SqliteIndex::sessions_after(std::uint64_t after,
                                                               std::size_t limit) {
  auto st = prepare(db_, "SELECT id FROM sessions WHERE id > ? ORDER BY id LIMIT ?");
  if (!st) return st.error();
  bind_u64(st->get(), 1, after);
  bind_u64(st->get(), 2, limit);
  std::vector<std::uint64_t> out;
  int rc;
  while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) out.push_back(column_u64(st->get(), 0));
  if (rc != SQLITE_DONE) return error(db_, "sessions since a mark");
  return out;
}

Result<std::uint64_t> SqliteIndex::flag_sessions(const std::vector<std::uint64_t>& ids,
                                                 std::uint32_t flag) {
  if (ids.empty()) return std::uint64_t{0};
  const std::string f = std::to_string(flag);
  const std::string q = "UPDATE sessions SET flags = flags | " + f + " WHERE id IN (" +
                        id_list(ids) + ") AND (flags & " + f + ") = 0";
  if (auto s = exec(q.c_str()); !s) return s.error();
  return static_cast<std::uint64_t>(sqlite3_changes(db_));
}

Status SqliteIndex::mark_files_evicted(const std::vector<std::uint32_t>& file_ids) {
  if (file_ids.empty()) return {};
  const std::string q = "UPDATE packet_files SET evicted = 1 WHERE evicted = 0 AND file_id IN (" +
                        id_list(file_ids) + ")";
  return exec(q.c_str());
}

Result<SqliteIndex::DeletedRows> SqliteIndex::delete_sessions(
    const std::vector<std::uint64_t>& ids) {
  DeletedRows out;
  if (ids.empty()) return out;
  const std::string list = id_list(ids);
  if (auto s = exec("BEGIN IMMEDIATE"); !s) return s.error();
  auto fail = [&](Error e) -> Result<DeletedRows> {
    (void)exec("ROLLBACK");
    return e;
  };
  // Ids are never given twice: keep each table's next id above what goes now.
  for (const char* table : {"sessions"}) {
    auto st = prepare(db_, std::string("SELECT coalesce(max(id), 0) FROM ") + table);
    if (!st || sqlite3_step(st->get()) != SQLITE_ROW) return fail(error(db_, "id floor"));
    const std::uint64_t next = column_u64(st->get(), 0) + 1;
    if (next > id_floor(table))
      if (auto s = set_meta(std::string("next_id:") + table, std::to_string(next)); !s)
        return fail(s.error());
  }
  std::vector<std::string> sighted;
  if (auto s = delete_session_records(list, out, sighted); !s) return fail(s.error());
  for (const std::string& q : {"DELETE FROM session_packets WHERE session_id IN (" + list + ")",
                               "DELETE FROM evidence_holds WHERE session_id IN (" + list + ")",
                               "DELETE FROM sessions WHERE id IN (" + list + ")"}) {
    if (auto s = exec(q.c_str()); !s) return fail(s.error());
    if (q.rfind("DELETE FROM sessions", 0) == 0)
      out.sessions += static_cast<std::uint64_t>(sqlite3_changes(db_));
  }
  // An object stays while any sighting of it does.
  std::sort(sighted.begin(), sighted.end());
  sighted.erase(std::unique(sighted.begin(), sighted.end()), sighted.end());
  auto still = prepare(db_, "SELECT 1 FROM file_events WHERE sha256 = ? LIMIT 1");
  if (!still) return fail(still.error());
  for (const std::string& sha : sighted) {
    bind_text(still->get(), 1, sha);
    const int rc = sqlite3_step(still->get());
    sqlite3_reset(still->get());
    if (rc == SQLITE_DONE) out.orphaned_objects.push_back(sha);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(error(db_, "object sightings"));
  }
  if (auto s = exec("COMMIT"); !s) return fail(s.error());
  return out;
}

Status SqliteIndex::delete_object(const std::string& sha256) {
  if (auto s = exec("BEGIN IMMEDIATE"); !s) return s;
  auto run = [&](const char* q) -> Status {
    auto st = prepare(db_, q);
    if (!st) return st.error();
    bind_text(st->get(), 1, sha256);
    return step_done(db_, st->get(), "remove an object");
  };
  // The document text's full-text row is numbered by doc_texts' id.
  const std::string doc_rows = "DELETE FROM text_fts WHERE rowid = (SELECT " +
                               std::to_string(text_rowid(records::TextKind::kDocument)) +
                               " | id FROM doc_texts WHERE sha256 = ?1)";
  for (const char* q :
       {doc_rows.c_str(), "DELETE FROM doc_texts WHERE sha256 = ?1",
        "DELETE FROM inspections WHERE sha256 = ?1", "DELETE FROM files WHERE sha256 = ?1"}) {
    if (auto s = run(q); !s) {
      (void)exec("ROLLBACK");
      return s;
    }
  }
  return exec("COMMIT");
}

Status SqliteIndex::hold_sessions(const std::vector<std::uint64_t>& ids, std::int64_t ts,
                                  const std::string& reason) {
  if (ids.empty()) return {};
  if (auto s = exec("BEGIN IMMEDIATE"); !s) return s;
  auto st = prepare(db_,
                    "INSERT INTO evidence_holds(session_id, ts, reason) VALUES(?, ?, ?) "
                    "ON CONFLICT(session_id) DO NOTHING");
  if (!st) {
    (void)exec("ROLLBACK");
    return st.error();
  }
  for (const std::uint64_t id : ids) {
    bind_u64(st->get(), 1, id);
    bind_i64(st->get(), 2, ts);
    bind_text(st->get(), 3, reason);
    if (auto s = step_done(db_, st->get(), "hold a session"); !s) {
      (void)exec("ROLLBACK");
      return s;
    }
    sqlite3_reset(st->get());
  }
  return exec("COMMIT");
}

}  // namespace kagami::store
