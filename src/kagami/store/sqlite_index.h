#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kagami/base/packet_location.h"
#include "kagami/base/result.h"
#include "kagami/records/file_record.h"
#include "kagami/records/finding_record.h"
#include "kagami/records/record_schema.h"
#include "kagami/records/session_record.h"
#include "kagami/store/session_query.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kagami::store {

namespace sql {
struct Where;
}

// A value bound to a statement of the query layer: values are bound, never pasted into SQL.
using SqlValue = std::variant<std::int64_t, std::string, IpAddress>;

// A console user (the password is a self-describing hash, never the password).
struct UserRow {
  std::string name, role, password;
  std::int64_t created = 0;
  bool disabled = false;
};

// One row of such a statement.
class SqlRow {
 public:
  explicit SqlRow(sqlite3_stmt* s) : s_(s) {}
  std::int64_t i64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  IpAddress ip(int column) const;
  bool null(int column) const;

 private:
  sqlite3_stmt* s_;
};

// The embedded index: SQLite in WAL mode. One writer (the recorder's store thread) batches
// rows into transactions; any number of readers query at the same time. A crash loses at
// most the transaction in progress; WAL keeps the file consistent.
// Full-text rows are numbered kind << 48 | the record's id (records::TextKind), so one kind's
// rows are one rowid range and a row's number says which record it is.
inline constexpr int kTextKindShift = 48;
constexpr std::int64_t text_rowid(records::TextKind kind, std::int64_t id = 0) {
  return (static_cast<std::int64_t>(kind) << kTextKindShift) | id;
}
constexpr std::int64_t last_text_rowid(records::TextKind kind) {
  return ((static_cast<std::int64_t>(kind) + 1) << kTextKindShift) - 1;
}

class SqliteIndex {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  static Result<std::unique_ptr<SqliteIndex>> open(const std::string& path, Mode mode);
  ~SqliteIndex();
  SqliteIndex(const SqliteIndex&) = delete;
  SqliteIndex& operator=(const SqliteIndex&) = delete;

  Status begin();
  Status commit();
  // Ends a transaction a failed commit left open (nothing if none is).
  Status rollback();

  Status insert_session(const records::SessionRecord& s);
  Status insert_locations(const records::PacketLocationChunk& c);
  Status upsert_archive_file(const records::ArchiveFileRecord& f);
  // A declared record or a content table's row (records/record_types.h), into the table its
  // declaration derives (an object already there is kept: RecordType::keep_first).
  template <class R>
  Status insert(const R& r);
  // An inspection's row and the document text it extracted, for full-text search.
  Status upsert_inspection(const records::InspectionRecord& r);

  // The longest session recorded (ns): searches by time bound the start time with it.
  Result<std::int64_t> max_session_ns();
  // A bulk load (a large import): secondary and full-text indexes are built once at the end
  // instead of row by row. Searches during the load are slow; a crash during it leaves the
  // indexes missing until the next end_bulk_load.
  Status begin_bulk_load();
  Status end_bulk_load();

  // Gives the pages deletions freed back to the file system (an index made with auto_vacuum;
  // others keep them for reuse); the bytes still free inside the file, which the index fills
  // before it grows.
  Result<std::uint64_t> reclaim_free_pages();
  // Refreshes the query planner's statistics where they went stale (cheap when they did not).
  Status optimize();

  // The next free ids, so a restarted recorder never reuses one (orphaned location chunks of
  // a crashed run included).
  Result<std::uint64_t> next_session_id();
  Result<std::uint32_t> next_file_id();
  // "http", "mail", "dns", "ftp", "file_events".
  Result<std::uint64_t> next_record_id(std::string_view table);

  using SessionFn = std::function<bool(const records::SessionRecord&)>;  // false stops
  Status query_sessions(const SessionQuery& q, const SessionFn& fn);
  Result<std::uint64_t> count_sessions(const SessionQuery& q);
  // Declared records matching q (records/record_types.h), read by column name, in time order
  // (q.newest_first: reversed); --sha256, --severity and --detector for a type with such fields.
  template <class R>
  Status query(const RecordQuery& q, const std::function<bool(const R&)>& fn);
  // How each object's inspection went, by digest (absent: never inspected).
  Result<std::optional<records::InspectionRecord>> inspection(const std::string& sha256);
  Status query_files(
      const RecordQuery& q,
      const std::function<bool(const records::FileRecord&, const records::FileEvent&)>& fn);

  // Every packet location of a session, in capture order.
  Result<std::vector<PacketLocation>> session_locations(std::uint64_t session_id);

  Result<std::vector<records::ArchiveFileRecord>> archive_files();

  // Runs one read-only statement of the query layer (anything that would write is refused)
  // and gives up with an error once it has run longer than `budget_ms` (0: no limit), so a
  // query that would scan for minutes cannot hold a console thread.
  using RowFn = std::function<bool(const SqlRow&)>;  // false stops
  Status select(const std::string& sql, const std::vector<SqlValue>& binds, const RowFn& fn,
                std::uint32_t budget_ms = 0);

  // Console users and alert triage (written by `kagami user` and `kagami serve`).
  Status put_user(const UserRow& u);
  Result<bool> remove_user(const std::string& name);  // false: there was none
  Result<std::optional<UserRow>> user(const std::string& name);
  Result<std::vector<UserRow>> users();
  Result<std::uint64_t> add_alert_note(std::uint64_t alert_id, std::int64_t ts,
                                       const std::string& user, const std::string& action,
                                       const std::string& text);

  // --- Retention (store/retention.h): each call is a transaction of its own. ---
  // Sessions whose time overlaps [first, last] (those that may have packets in a file of that
  // span); only those that are evidence (a finding, an alert or a hold) when `evidence_only`.
  Result<std::vector<std::uint64_t>> sessions_overlapping(std::int64_t first, std::int64_t last,
                                                          bool evidence_only);
  // Sets `flag` on the sessions; returns how many did not have it yet.
  Result<std::uint64_t> flag_sessions(const std::vector<std::uint64_t>& ids, std::uint32_t flag);
  // Up to `limit` session ids above `after`, in order (sessions written since a mark).
  Result<std::vector<std::uint64_t>> sessions_after(std::uint64_t after, std::size_t limit);
  Status mark_files_evicted(const std::vector<std::uint32_t>& file_ids);
  struct DeletedRows {
    std::uint64_t sessions = 0, records = 0;
    std::vector<std::string> orphaned_objects;  // digests no sighting refers to any more
  };
  // Removes the sessions and everything they carried (records, sightings, full-text rows,
  // packet locations). Their ids are never given again.
  Result<DeletedRows> delete_sessions(const std::vector<std::uint64_t>& ids);
  // Removes an object's rows (the object, its inspection, its document text).
  Status delete_object(const std::string& sha256);
  // Sessions an investigator exported or noted: evidence, kept longer by retention.
  Status hold_sessions(const std::vector<std::uint64_t>& ids, std::int64_t ts,
                       const std::string& reason);
  Result<std::string> meta(const std::string& key);  // "" when unset
  Status set_meta(const std::string& key, const std::string& value);

  // --- Reanalysis (`kagami reanalyze`): a new analysis of archived packets writes its sessions
  // beside the old ones, numbered from `first_new`, and settle_reanalysis() then puts them in
  // the old ones' place in one transaction. The mark is written first, so a run that dies
  // before settling is undone by the next open (abandon_reanalysis) instead of leaving both. ---
  struct Reanalysis {
    std::uint64_t first_new = 0;        // the first session id the new analysis gives
    std::int64_t since = 0, until = 0;  // sessions that began in [since, until] are replaced
    // The packets read (whole packet files): [read_from, read_until]. A new session that began
    // in them outside the window is kept only if the index has none of its connection then.
    std::int64_t read_from = 0, read_until = 0;
    std::uint32_t run = 0;  // the analysis that makes the new sessions (sessions.analysis)
  };
  // Takes the next analysis number (run) and marks the run as under way.
  Result<Reanalysis> begin_reanalysis(std::uint64_t first_new, std::int64_t since,
                                      std::int64_t until, std::int64_t read_from,
                                      std::int64_t read_until);
  Result<std::optional<Reanalysis>> pending_reanalysis();
  // Removes what an unsettled run wrote (sessions from first_new and all they carry) and the
  // mark; the number of sessions removed (0 when none was under way).
  Result<std::uint64_t> abandon_reanalysis();
  struct Settled {
    std::uint64_t replaced = 0;  // old sessions whose records the new analysis replaced
    std::uint64_t merged = 0;    // of them, folded into another (the new analysis joined them)
    std::uint64_t added = 0;     // new sessions the old analysis did not have (it skipped them)
    std::uint64_t kept = 0;      // old sessions in the window no new one overlaps (kept as were)
    std::uint64_t outside = 0;   // new sessions dropped: begun outside the window or the tail
                                 // of a session kept (its packets expired, or before the window)
    std::uint64_t alerts_repeated = 0;  // new alerts an old one already said (the old one kept)
    // Sessions whose records were in the index without the session (a recorder killed while
    // they were open) and that the new analysis gave whole.
    std::uint64_t orphans = 0;
    std::vector<std::uint64_t> new_alerts;  // alerts no earlier analysis raised
  };
  Result<Settled> settle_reanalysis();

  // The audit log's one write: appends `fields` (a JSON array) chained to the last entry's
  // hash, in a transaction of its own. Returns the new entry's id.
  Result<std::uint64_t> append_audit(std::int64_t ts, const std::string& actor,
                                     const std::string& source, const std::string& action,
                                     const std::string& object, const std::string& detail);

 private:
  // The full-text rows of every declared record with a full text (the end of a bulk load).
  Status index_record_texts();
  // What a full-text row holds; the number is the top bits of its rowid.
  Status index_text(records::TextKind kind, std::uint64_t ref, std::uint64_t session_id,
                    const std::string& sha256, std::string_view body);

  struct Statements;
  explicit SqliteIndex(sqlite3* db);
  Status exec(const char* sql);
  Status migrate();
  // The rows of every declared table carried by these sessions (full-text rows included);
  // the digests of the objects their sightings named.
  // `keep`: tables left as they are.
  Status delete_session_records(const std::string& id_list, DeletedRows& out,
                                std::vector<std::string>& sighted,
                                const std::vector<std::string>& keep = {});
  // Every stored table with a session_id column: its name, its id column and its full-text
  // kind (the number its rows' full-text rows carry), if it has one.
  struct SessionTable {
    std::string table, id_column, time_column;
    std::optional<records::TextKind> text_kind;
  };
  std::vector<SessionTable> session_tables() const;
  // The next id of a table never goes below what retention removed.
  std::uint64_t id_floor(const std::string& table);
  Status ensure_record_tables(bool read_only = false);
  template <class R>
  Status query_where(const RecordQuery& q, const sql::Where& w,
                     const std::function<bool(const R&)>& fn);
  Status prepare_record_inserts();
  Status prepare_writes();

  sqlite3* db_ = nullptr;
  std::unique_ptr<Statements> stmts_;
  std::int64_t max_session_ns_ = 0;
  bool bulk_ = false;
  std::vector<std::pair<std::string, std::string>> bulk_indexes_;  // name, CREATE statement
};

}  // namespace kagami::store
