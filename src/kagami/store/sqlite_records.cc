// Everything the index keeps from a declaration (records/record_types.h): the tables, inserts
// and reads of the protocols' records, findings, alerts, sessions, packet files and objects.
#include <algorithm>
#include <optional>
#include <set>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "kagami/records/json_text.h"
#include "kagami/records/record_types.h"
#include "kagami/store/host_key.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/sqlite_statements.h"
#include "kagami/store/sqlite_util.h"

namespace kagami::store {

using namespace sql;

namespace {

std::string json_list(const std::vector<std::string>& v) { return records::encode_string_list(v); }

std::vector<std::string> parse_list(const std::string& text) {
  return records::decode_string_list(text);
}

// The record listings' common filters; `host_column` is what --host matches.
Where record_where(const RecordQuery& q, const char* ts_column, const char* host_column,
                   const char* prefix = "", const char* id_column = "id") {
  Where w;
  const std::string p(prefix);
  if (q.since) w.compare(p + ts_column, ">=", std::int64_t{*q.since});
  if (q.until) w.compare(p + ts_column, "<=", std::int64_t{*q.until});
  w.any_address(q.ips, p);
  w.any_port(q.ports, p);
  if (q.host && host_column != nullptr) w.glob(p + host_column, *q.host);
  w.in(p + "session_id", q.session_ids);
  w.in(p + id_column, q.ids);
  return w;
}

std::string order_limit(const RecordQuery& q, const std::string& ts, const std::string& id) {
  std::string t =
      q.newest_first ? " ORDER BY " + ts + " DESC, " + id + " DESC" : " ORDER BY " + ts + ", " + id;
  if (q.limit > 0) t += " LIMIT " + std::to_string(q.limit);
  return t;
}

template <typename Row, typename Read>
Status run_query(sqlite3* db, const std::string& text, const Where& w, Read read,
                 const std::function<bool(const Row&)>& fn, const char* what) {
  auto st = prepare(db, text);
  if (!st) return st.error();
  w.bind_all(st->get());
  int rc;
  while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
    if (!fn(read(st->get()))) return {};
  }
  if (rc != SQLITE_DONE) return error(db, what);
  return {};
}

}  // namespace

// --- Everything the index keeps from a declaration (records/record_schema.h, record_types.h) ---

namespace {

using records::Field;
using records::FieldType;

// A record type's columns in its declaration's order: each stored field's, and beside a
// host field the reversed key its *.suffix searches use (written, never read back).
struct Columns : records::FieldVisitor {
  std::vector<std::string> written, read;
  std::vector<std::pair<std::string, std::string>> ddl;  // column, type and default
  std::vector<std::string> reversed;                     // the host keys, each indexed
  std::vector<std::string> looked_up;                    // indexed alone (Field::indexed)

  template <class T>
  void operator()(const T&, const Field& f) {
    if (!f.stored) return;
    const std::string c(f.column_name());
    written.push_back(c);
    read.push_back(c);
    ddl.emplace_back(c, sql_type<T>());
    if (f.indexed) looked_up.push_back(c);
    if (f.type == FieldType::kHost) {
      written.push_back(c + "_rev");
      ddl.emplace_back(c + "_rev", "TEXT NOT NULL DEFAULT ''");
      reversed.push_back(c + "_rev");
    }
  }

  template <class T>
  static const char* sql_type() {
    if constexpr (std::is_integral_v<T>)
      return "INTEGER NOT NULL DEFAULT 0";
    else if constexpr (std::is_same_v<T, IpAddress>)
      return "BLOB NOT NULL DEFAULT x''";
    else
      return "TEXT NOT NULL DEFAULT ''";
  }
};

template <class R>
const Columns& columns_of() {
  static const Columns c = [] {
    Columns out;
    R r;
    R::describe(r, out);
    return out;
  }();
  return c;
}

// "a, b, c", each name after `prefix` ("e." for a table in a join).
std::string joined(const std::vector<std::string>& v, const std::string& prefix = {}) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ", ") + prefix + x;
  return out;
}

// A record's full-text row: the text its declaration's full_text makes, under its id.
class RecordText : public records::FieldVisitor {
 public:
  template <class T>
  void operator()(const T& v, const Field& f) {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      if (f.type == FieldType::kId) id = static_cast<std::uint64_t>(v);
      if (f.type == FieldType::kRef && f.name == "session_id")
        session_id = static_cast<std::uint64_t>(v);
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (f.type == FieldType::kHash && f.name == "sha256") sha256 = v;  // an object's sighting
    }
  }
  template <class Make>
  void full_text(records::TextKind k, Make&& make, std::string_view row_sql = {}) {
    (void)row_sql;
    text_kind = k;
    text = make();
  }

  std::uint64_t id = 0, session_id = 0;
  std::string sha256;
  std::optional<records::TextKind> text_kind;
  std::string text;
};

// Binds a record's fields to its insert, in the order of Columns::written.
class Binder : public RecordText {
 public:
  explicit Binder(sqlite3_stmt* s) : s_(s) {}

  template <class T>
  void operator()(const T& v, const Field& f) {
    if (!f.stored) return;
    RecordText::operator()(v, f);
    if constexpr (std::is_same_v<T, bool>) {
      bind_i64(s_, i_++, v ? 1 : 0);
    } else if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_unsigned_v<T>)
        bind_u64(s_, i_++, v);
      else
        bind_i64(s_, i_++, v);
    } else if constexpr (std::is_same_v<T, std::string>) {
      bind_text(s_, i_++, v);
      if (f.type == FieldType::kHost) bind_text(s_, i_++, host_key(v));
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      bind_text(s_, i_++, json_list(v));
    } else if constexpr (std::is_same_v<T, IpAddress>) {
      bind_ip(s_, i_++, v);
    } else {
      bind_text(s_, i_++, records::dump_json(to_json_value(v)));
    }
  }

 private:
  sqlite3_stmt* s_;
  int i_ = 1;
};

// Reads a row selected with Columns::read into a record.
class Reader : public records::FieldVisitor {
 public:
  // `first`: where the record's columns start in the row (a join selects several records').
  explicit Reader(sqlite3_stmt* s, int first = 0) : s_(s), i_(first) {}

  template <class T>
  void operator()(T& v, const Field& f) {
    if (!f.stored) return;
    const int i = i_++;
    if constexpr (std::is_same_v<T, bool>) {
      v = sqlite3_column_int64(s_, i) != 0;
    } else if constexpr (std::is_integral_v<T>) {
      v = static_cast<T>(sqlite3_column_int64(s_, i));
    } else if constexpr (std::is_same_v<T, std::string>) {
      v = column_text(s_, i);
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      v = parse_list(column_text(s_, i));
    } else if constexpr (std::is_same_v<T, IpAddress>) {
      v = column_ip(s_, i);
    } else {
      from_json_value(nlohmann::json::parse(column_text(s_, i), nullptr, false), v);
    }
  }

 private:
  sqlite3_stmt* s_;
  int i_;
};

// Reads one record of type R from a row, its columns from `first` on.
template <class R>
R read_record(sqlite3_stmt* s, int first = 0) {
  R r;
  Reader reader(s, first);
  R::describe(r, reader);
  return r;
}

}  // namespace

template <class R>
Status SqliteIndex::insert(const R& r) {
  sqlite3_stmt* s = stmts_->insert_record[records::stored_type_index<R>()].get();
  Binder b(s);
  R::describe(r, b);
  if (auto st = step_done(db_, s, "insert"); !st)
    return make_error("{} ({})", st.error().message, R::kType.kind);
  if (!b.text_kind || b.text.empty()) return {};
  return index_text(*b.text_kind, b.id, b.session_id, b.sha256, b.text);
}

// The full-text rows of the records already in the index, made as each record's insert makes
// them: what a bulk load leaves to its end.
Status SqliteIndex::index_record_texts() {
  Status out;
  records::for_each_stored_type([&]<class R>() {
    if (!out) return;
    RecordText probe;
    R sample;
    R::describe(sample, probe);
    if (!probe.text_kind) return;  // a type without full text
    RecordQuery all;
    const Status st = query<R>(all, [&](const R& r) {
      RecordText t;
      R::describe(r, t);
      if (t.text.empty()) return true;
      out = index_text(*t.text_kind, t.id, t.session_id, t.sha256, t.text);
      return static_cast<bool>(out);
    });
    if (out && !st) out = st;
  });
  return out;
}

std::vector<SqliteIndex::SessionTable> SqliteIndex::session_tables() const {
  std::vector<SessionTable> out;
  records::for_each_stored_type([&]<class R>() {
    const Columns& c = columns_of<R>();
    if (std::find(c.read.begin(), c.read.end(), "session_id") == c.read.end()) return;
    RecordText probe;
    R sample;
    R::describe(sample, probe);
    out.push_back({std::string(R::kType.table), std::string(R::kType.id_column),
                   std::string(R::kType.time_column), probe.text_kind});
  });
  return out;
}

Status SqliteIndex::delete_session_records(const std::string& id_list, DeletedRows& out,
                                           std::vector<std::string>& sighted,
                                           const std::vector<std::string>& keep) {
  for (const SessionTable& t : session_tables()) {
    if (std::find(keep.begin(), keep.end(), t.table) != keep.end()) continue;
    const std::string& table = t.table;
    const std::string& id = t.id_column;
    const std::string where = " FROM " + table + " WHERE session_id IN (" + id_list + ")";
    // Full-text rows are numbered by the record's id (records::TextKind).
    if (t.text_kind && id != "sha256") {
      const std::string q = "DELETE FROM text_fts WHERE rowid IN (SELECT " +
                            std::to_string(text_rowid(*t.text_kind)) + " | " + id + where + ")";
      if (auto s = exec(q.c_str()); !s) return s;
    }
    if (table == "file_events") {
      auto st = prepare(db_, "SELECT DISTINCT sha256" + where);
      if (!st) return st.error();
      while (sqlite3_step(st->get()) == SQLITE_ROW) sighted.push_back(column_text(st->get(), 0));
    }
    if (id == "id") {  // its next id stays above the rows removed
      auto st = prepare(db_, "SELECT coalesce(max(id), 0)" + where);
      if (st && sqlite3_step(st->get()) == SQLITE_ROW) {
        const std::uint64_t next = column_u64(st->get(), 0) + 1;
        if (next > id_floor(table))
          if (auto s = set_meta("next_id:" + table, std::to_string(next)); !s) return s;
      }
    }
    const std::string del = "DELETE" + where;
    if (auto s = exec(del.c_str()); !s) return s;
    out.records += static_cast<std::uint64_t>(sqlite3_changes(db_));
  }
  return {};
}

namespace {

// Severity names in order; what --severity compares.
constexpr const char* kSeverityRank =
    "(CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 "
    "WHEN 'low' THEN 1 ELSE 0 END)";

// The filters of a record type's listing: time, addresses, ports, --host, sessions and ids for
// every type, and those its fields answer (--sha256, --severity, --detector) for a type that
// has them (the same fields give the command its options).
template <class R>
Where where_of(const RecordQuery& q) {
  const std::string host(R::kType.host_column), id(R::kType.id_column), ts(R::kType.time_column);
  Where w = record_where(q, ts.c_str(), host.empty() ? nullptr : host.c_str(), "", id.c_str());
  const std::vector<std::string>& has = columns_of<R>().read;
  auto answers = [&](const char* column) {
    return std::find(has.begin(), has.end(), column) != has.end();
  };
  if (q.sha256 && answers("sha256")) w.compare("sha256", "=", std::string(*q.sha256));
  if (q.min_severity && answers("severity"))
    w.compare(kSeverityRank, ">=", std::int64_t{*q.min_severity});
  if (q.detector && answers("detector")) w.compare("detector", "GLOB", std::string(*q.detector));
  return w;
}

}  // namespace

template <class R>
Status SqliteIndex::query(const RecordQuery& q, const std::function<bool(const R&)>& fn) {
  return query_where<R>(q, where_of<R>(q), fn);
}

template <class R>
Status SqliteIndex::query_where(const RecordQuery& q, const Where& w,
                                const std::function<bool(const R&)>& fn) {
  constexpr const records::RecordType& t = R::kType;
  const std::string id(t.id_column);
  const std::string text = "SELECT " + joined(columns_of<R>().read) + " FROM " +
                           std::string(t.table) + w.text +
                           order_limit(q, std::string(t.time_column), id);
  const std::string what = "query " + std::string(t.kind);
  return run_query<R>(
      db_, text, w, [](sqlite3_stmt* s) { return read_record<R>(s); }, fn, what.c_str());
}

// The insert of each record type, naming its columns.
Status SqliteIndex::prepare_record_inserts() {
  Status out;
  records::for_each_stored_type([&]<class R>() {
    if (!out) return;
    const Columns& c = columns_of<R>();
    std::string marks;
    for (std::size_t i = 0; i < c.written.size(); ++i) marks += i ? ",?" : "?";
    const std::string text =
        std::string(R::kType.keep_first ? "INSERT OR IGNORE" : "INSERT OR REPLACE") + " INTO " +
        std::string(R::kType.table) + "(" + joined(c.written) + ") VALUES(" + marks + ")";
    auto st = prepare(db_, text, true);
    if (!st) {
      out = make_error("{} ({})", st.error().message, R::kType.kind);
      return;
    }
    stmts_->insert_record[records::stored_type_index<R>()] = std::move(*st);
  });
  return out;
}

// A record type's table as its declaration says: created when new, a column added when the
// declaration gained one (with its default, so older rows read as empty). Renames and type
// changes are not derived: they are steps of migrate(), written and tested by hand.
Status SqliteIndex::ensure_record_tables(bool read_only) {
  Status out;
  records::for_each_stored_type([&]<class R>() {
    if (!out) return;
    const records::RecordType& t = R::kType;
    const std::string table(t.table), id(t.id_column);
    if (read_only) {
      // A reader of a store this version has not yet written (a record type added since):
      // the new kind's table is an empty temporary one, so it lists nothing instead of
      // failing. The recorder's next start creates the real one.
      auto st = prepare(db_, "SELECT 1 FROM main.sqlite_master WHERE type='table' AND name=?");
      if (!st) {
        out = st.error();
        return;
      }
      bind_text(st->get(), 1, table);
      const bool exists = sqlite3_step(st->get()) == SQLITE_ROW;
      sqlite3_reset(st->get());
      if (exists) return;
    }
    const Columns& c = columns_of<R>();
    // A table keyed by a number has it as its rowid; one keyed by an object's hash is that
    // hash's b-tree (no rowid), looked up by it rather than listed by time.
    bool keyed_by_hash = false;
    std::string cols;
    for (const auto& [name, type] : c.ddl) {
      std::string column_type = type;
      if (name == id) {
        keyed_by_hash = type.starts_with("TEXT");
        column_type = keyed_by_hash ? "TEXT PRIMARY KEY" : "INTEGER PRIMARY KEY";
      }
      cols += (cols.empty() ? "" : ", ") + name + " " + column_type;
    }
    const std::string create = std::string(read_only ? "CREATE TEMP TABLE" : "CREATE TABLE") +
                               " IF NOT EXISTS " + table + "(" + cols + ")" +
                               (keyed_by_hash ? " WITHOUT ROWID" : "");
    if (auto s = exec(create.c_str()); !s) {
      out = s;
      return;
    }
    if (read_only) return;
    std::set<std::string> have;
    auto st = prepare(db_, "SELECT name FROM pragma_table_info(?)");
    if (!st) {
      out = st.error();
      return;
    }
    bind_text(st->get(), 1, table);
    while (sqlite3_step(st->get()) == SQLITE_ROW) have.insert(column_text(st->get(), 0));
    sqlite3_reset(st->get());  // done with it before the schema changes below
    for (const auto& [name, type] : c.ddl) {
      if (have.count(name)) continue;
      const std::string alter = "ALTER TABLE " + table + " ADD COLUMN " + name + " " + type;
      if (auto s = exec(alter.c_str()); !s) {
        out = s;
        return;
      }
    }
    auto index = [&](const std::string& name, const std::string& columns) {
      return "CREATE INDEX IF NOT EXISTS " + table + "_" + name + " ON " + table + "(" + columns +
             ")";
    };
    const std::string ts(t.time_column);
    const bool has_session = std::find(c.read.begin(), c.read.end(), "session_id") != c.read.end();
    std::vector<std::string> indexes;
    if (!keyed_by_hash && ts != id) indexes.push_back(index(ts, ts));
    if (has_session && id != "session_id") indexes.push_back(index("session", "session_id"));
    for (const std::string& rev : c.reversed) indexes.push_back(index(rev, rev + ", " + ts));
    for (const std::string& col : c.looked_up) indexes.push_back(index(col, col));
    for (const auto& ddl : indexes) {
      if (auto s = exec(ddl.c_str()); !s) {
        out = s;
        return;
      }
    }
  });
  return out;
}

#define KAGAMI_INSTANTIATE(R)                                                                    \
  template Status SqliteIndex::insert<records::R>(const records::R&);                            \
  template Status SqliteIndex::query<records::R>(const RecordQuery&,                             \
                                                 const std::function<bool(const records::R&)>&); \
  template Status SqliteIndex::query_where<records::R>(                                          \
      const RecordQuery&, const Where&, const std::function<bool(const records::R&)>&);
KAGAMI_STORED_TYPES(KAGAMI_INSTANTIATE)
#undef KAGAMI_INSTANTIATE

Status SqliteIndex::query_files(
    const RecordQuery& q,
    const std::function<bool(const records::FileRecord&, const records::FileEvent&)>& fn) {
  Where w = record_where(q, "ts", nullptr, "e.");
  if (q.sha256) w.compare("e.sha256", "=", std::string(*q.sha256));
  if (q.name) w.glob("e.name", *q.name);
  // Each sighting with its object and, when inspected, the inspection's row.
  const Columns &object = columns_of<records::FileRecord>(),
                &sighting = columns_of<records::FileEvent>(),
                &inspection = columns_of<records::InspectionRecord>();
  const std::string text = "SELECT " + joined(object.read, "f.") + ", " +
                           joined(sighting.read, "e.") + ", " + joined(inspection.read, "i.") +
                           " FROM file_events e JOIN files f ON f.sha256 = e.sha256 "
                           "LEFT JOIN inspections i ON i.sha256 = e.sha256" +
                           w.text + order_limit(q, "e.ts", "e.id");
  const int at_sighting = static_cast<int>(object.read.size());
  const int at_inspection = at_sighting + static_cast<int>(sighting.read.size());
  auto st = prepare(db_, text);
  if (!st) return st.error();
  w.bind_all(st->get());
  int rc;
  while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
    sqlite3_stmt* s = st->get();
    auto f = read_record<records::FileRecord>(s);
    const auto e = read_record<records::FileEvent>(s, at_sighting);
    f.inspected = sqlite3_column_type(s, at_inspection) != SQLITE_NULL;
    if (f.inspected) {
      const auto in = read_record<records::InspectionRecord>(s, at_inspection);
      f.inspect_flags = in.flags;
      f.inspect_note = in.note;
      f.text_sha256 = in.text_sha256;
      f.text_bytes = in.text_bytes;
    }
    if (!fn(f, e)) return {};
  }
  if (rc != SQLITE_DONE) return error(db_, "query files");
  return {};
}

Status SqliteIndex::upsert_inspection(const records::InspectionRecord& r) {
  // An object inspected again (a reanalysis) mostly gives the same text: its full-text row is
  // left as it is then (replacing one tokenizes the old text to remove it and the new to add
  // it). The text's digest says whether it is the same.
  bool same_text = false;
  if (!r.search_text.empty() && !r.text_sha256.empty()) {
    sqlite3_stmt* same = stmts_->same_text.get();
    bind_text(same, 1, r.sha256);
    if (sqlite3_step(same) == SQLITE_ROW) same_text = column_text(same, 0) == r.text_sha256;
    sqlite3_reset(same);
  }
  if (auto st = insert(r); !st) return st;
  if (r.search_text.empty() || same_text) return {};
  sqlite3_stmt* d = stmts_->doc_text_id.get();
  bind_text(d, 1, r.sha256);
  if (sqlite3_step(d) != SQLITE_ROW) {
    sqlite3_reset(d);
    return error(db_, "document text id");
  }
  const std::uint64_t doc = column_u64(d, 0);
  sqlite3_reset(d);
  return index_text(records::TextKind::kDocument, doc, 0, r.sha256, r.search_text);
}

Status SqliteIndex::index_text(records::TextKind kind, std::uint64_t ref, std::uint64_t session_id,
                               const std::string& sha256, std::string_view body) {
  // Records get their full-text rows at the end of a bulk load; document text only now.
  if (bulk_ && kind != records::TextKind::kDocument) return {};
  sqlite3_stmt* s = stmts_->insert_text.get();
  bind_u64(s, 1, static_cast<std::uint64_t>(text_rowid(kind)) | ref);
  sqlite3_bind_text(s, 2, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
  const std::string_view name = records::text_kind_name(kind);
  sqlite3_bind_text(s, 3, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
  bind_u64(s, 4, ref);
  bind_u64(s, 5, session_id);
  bind_text(s, 6, sha256);
  return step_done(db_, s, "index text");
}

Result<std::optional<records::InspectionRecord>> SqliteIndex::inspection(
    const std::string& sha256) {
  Where w;
  w.compare("sha256", "=", sha256);
  std::optional<records::InspectionRecord> out;
  auto st = query_where<records::InspectionRecord>(RecordQuery{}, w,
                                                   [&](const records::InspectionRecord& r) {
                                                     out = r;
                                                     return false;
                                                   });
  if (!st) return st.error();
  return out;
}

}  // namespace kagami::store
