// What the console keeps in the index: its users and the triage of alerts.
#include "kagami/store/sqlite_index.h"
#include "kagami/store/sqlite_util.h"

namespace kagami::store {

using namespace sql;

Status SqliteIndex::put_user(const UserRow& u) {
  auto st = prepare(db_,
                    "INSERT OR REPLACE INTO users(name, role, password, created, disabled) "
                    "VALUES(?,?,?,?,?)");
  if (!st) return st.error();
  bind_text(st->get(), 1, u.name);
  bind_text(st->get(), 2, u.role);
  bind_text(st->get(), 3, u.password);
  bind_i64(st->get(), 4, u.created);
  bind_i64(st->get(), 5, u.disabled ? 1 : 0);
  if (sqlite3_step(st->get()) != SQLITE_DONE) return error(db_, "store user");
  return {};
}

Result<bool> SqliteIndex::remove_user(const std::string& name) {
  auto st = prepare(db_, "DELETE FROM users WHERE name = ?");
  if (!st) return st.error();
  bind_text(st->get(), 1, name);
  if (sqlite3_step(st->get()) != SQLITE_DONE) return error(db_, "remove user");
  return sqlite3_changes(db_) > 0;
}

namespace {

UserRow read_user(sqlite3_stmt* s) {
  UserRow u;
  u.name = column_text(s, 0);
  u.role = column_text(s, 1);
  u.password = column_text(s, 2);
  u.created = sqlite3_column_int64(s, 3);
  u.disabled = sqlite3_column_int(s, 4) != 0;
  return u;
}

}  // namespace

Result<std::optional<UserRow>> SqliteIndex::user(const std::string& name) {
  auto st =
      prepare(db_, "SELECT name, role, password, created, disabled FROM users WHERE name = ?");
  if (!st) return st.error();
  bind_text(st->get(), 1, name);
  const int rc = sqlite3_step(st->get());
  if (rc == SQLITE_DONE) return std::optional<UserRow>();
  if (rc != SQLITE_ROW) return error(db_, "read user");
  return std::optional<UserRow>(read_user(st->get()));
}

Result<std::vector<UserRow>> SqliteIndex::users() {
  auto st = prepare(db_, "SELECT name, role, password, created, disabled FROM users ORDER BY name");
  if (!st) return st.error();
  std::vector<UserRow> out;
  int rc;
  while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) out.push_back(read_user(st->get()));
  if (rc != SQLITE_DONE) return error(db_, "list users");
  return out;
}

Result<std::uint64_t> SqliteIndex::add_alert_note(std::uint64_t alert_id, std::int64_t ts,
                                                  const std::string& user,
                                                  const std::string& action,
                                                  const std::string& text) {
  auto st =
      prepare(db_, "INSERT INTO alert_notes(alert_id, ts, user, action, text) VALUES(?,?,?,?,?)");
  if (!st) return st.error();
  bind_u64(st->get(), 1, alert_id);
  bind_i64(st->get(), 2, ts);
  bind_text(st->get(), 3, user);
  bind_text(st->get(), 4, action);
  bind_text(st->get(), 5, text);
  if (sqlite3_step(st->get()) != SQLITE_DONE) return error(db_, "add alert note");
  return static_cast<std::uint64_t>(sqlite3_last_insert_rowid(db_));
}

}  // namespace kagami::store
