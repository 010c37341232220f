#include "kagami/store/audit_log.h"

#include <chrono>

#include <nlohmann/json.hpp>

#include "kagami/base/sha256.h"
#include "kagami/base/time.h"
#include "kagami/records/json_text.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/sqlite_util.h"

namespace kagami::store {

using namespace sql;

std::string audit_hash(const AuditEntry& e) {
  const nlohmann::json fields = {e.id, e.ts, e.actor, e.source, e.action, e.object, e.detail};
  const std::string text = e.prev + "\n" + records::dump_json(fields);
  return to_hex(
      Sha256::of(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size())));
}

Result<std::uint64_t> SqliteIndex::append_audit(std::int64_t ts, const std::string& actor,
                                                const std::string& source,
                                                const std::string& action,
                                                const std::string& object,
                                                const std::string& detail) {
  // IMMEDIATE: two writers (console and a CLI search) must not both chain to the same entry.
  if (auto s = exec("BEGIN IMMEDIATE"); !s) return s.error();
  auto fail = [this](Error e) -> Result<std::uint64_t> {
    (void)exec("ROLLBACK");
    return e;
  };
  auto last = prepare(db_, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1");
  if (!last) return fail(last.error());
  AuditEntry e;
  e.id = 1;
  if (sqlite3_step(last->get()) == SQLITE_ROW) {
    e.id = column_u64(last->get(), 0) + 1;
    e.prev = column_text(last->get(), 1);
  }
  e.ts = ts;
  e.actor = actor;
  e.source = source;
  e.action = action;
  e.object = object;
  e.detail = detail;
  e.hash = audit_hash(e);
  auto ins = prepare(db_,
                     "INSERT INTO audit(id, ts, actor, source, action, object, detail, prev, hash) "
                     "VALUES(?,?,?,?,?,?,?,?,?)");
  if (!ins) return fail(ins.error());
  sqlite3_stmt* s = ins->get();
  bind_u64(s, 1, e.id);
  bind_i64(s, 2, e.ts);
  bind_text(s, 3, e.actor);
  bind_text(s, 4, e.source);
  bind_text(s, 5, e.action);
  bind_text(s, 6, e.object);
  bind_text(s, 7, e.detail);
  bind_text(s, 8, e.prev);
  bind_text(s, 9, e.hash);
  if (sqlite3_step(s) != SQLITE_DONE) return fail(error(db_, "append to the audit log"));
  if (auto c = exec("COMMIT"); !c) return fail(c.error());
  return e.id;
}

Status audit(SqliteIndex& index, const std::string& actor, const std::string& source,
             const std::string& action, const std::string& object, const std::string& detail) {
  auto id = index.append_audit(wall_clock_ns(), actor, source, action, object, detail);
  if (!id) return make_error("audit log: {}", id.error().message);
  return {};
}

namespace {

constexpr const char* kAuditColumns = "id, ts, actor, source, action, object, detail, prev, hash";

AuditEntry read_entry(const SqlRow& r) {
  AuditEntry e;
  e.id = static_cast<std::uint64_t>(r.i64(0));
  e.ts = r.i64(1);
  e.actor = r.text(2);
  e.source = r.text(3);
  e.action = r.text(4);
  e.object = r.text(5);
  e.detail = r.text(6);
  e.prev = r.text(7);
  e.hash = r.text(8);
  return e;
}

}  // namespace

Result<AuditReport> verify_audit(SqliteIndex& index) {
  AuditReport report;
  std::string prev;
  std::uint64_t expect_id = 1;
  const Status s = index.select(
      std::string("SELECT ") + kAuditColumns + " FROM audit ORDER BY id", {},
      [&](const SqlRow& row) {
        const AuditEntry e = read_entry(row);
        ++report.entries;
        if (e.id != expect_id)
          report.problems.push_back("entry " + std::to_string(e.id) + ": expected id " +
                                    std::to_string(expect_id) + " (entries missing)");
        if (e.prev != prev)
          report.problems.push_back("entry " + std::to_string(e.id) +
                                    ": does not link to the entry before it");
        if (audit_hash(e) != e.hash)
          report.problems.push_back("entry " + std::to_string(e.id) +
                                    ": its hash does not match its contents (altered)");
        prev = e.hash;
        expect_id = e.id + 1;
        return report.problems.size() < 100;
      });
  if (!s) return s.error();
  return report;
}

Result<std::vector<AuditEntry>> audit_entries(SqliteIndex& index, std::uint64_t limit,
                                              std::uint64_t before_id) {
  std::vector<AuditEntry> out;
  std::vector<SqlValue> binds;
  std::string sql = std::string("SELECT ") + kAuditColumns + " FROM audit";
  if (before_id > 0) {
    sql += " WHERE id < ?";
    binds.emplace_back(static_cast<std::int64_t>(before_id));
  }
  sql += " ORDER BY id DESC LIMIT ?";
  binds.emplace_back(static_cast<std::int64_t>(limit));
  const Status s = index.select(sql, binds, [&](const SqlRow& r) {
    out.push_back(read_entry(r));
    return true;
  });
  if (!s) return s.error();
  return out;
}

}  // namespace kagami::store
