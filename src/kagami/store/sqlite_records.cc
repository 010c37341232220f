// The protocol records in the index: inserts and the listings' queries.
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

int bind_endpoints(sqlite3_stmt* s, int i, const records::Endpoints& e) {
  bind_ip(s, i++, e.client_ip);
  bind_i64(s, i++, e.client_port);
  bind_ip(s, i++, e.server_ip);
  bind_i64(s, i++, e.server_port);
  return i;
}

int read_endpoints(sqlite3_stmt* s, int i, records::Endpoints& e) {
  e.client_ip = column_ip(s, i++);
  e.client_port = static_cast<std::uint16_t>(sqlite3_column_int(s, i++));
  e.server_ip = column_ip(s, i++);
  e.server_port = static_cast<std::uint16_t>(sqlite3_column_int(s, i++));
  return i;
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

Status SqliteIndex::insert_file(const records::FileRecord& f) {
  sqlite3_stmt* s = stmts_->insert_file.get();
  bind_text(s, 1, f.sha256);
  bind_text(s, 2, f.md5);
  bind_u64(s, 3, f.size);
  bind_text(s, 4, f.mime);
  bind_i64(s, 5, f.first_seen);
  return step_done(db_, s, "insert file");
}

Status SqliteIndex::insert_file_event(const records::FileEvent& e) {
  sqlite3_stmt* s = stmts_->insert_file_event.get();
  int i = 1;
  bind_u64(s, i++, e.id);
  bind_text(s, i++, e.sha256);
  bind_u64(s, i++, e.session_id);
  bind_i64(s, i++, e.ts);
  i = bind_endpoints(s, i, e.endpoints);
  bind_text(s, i++, e.protocol);
  bind_text(s, i++, e.direction);
  bind_text(s, i++, e.name);
  bind_text(s, i++, e.field);
  bind_text(s, i++, e.claimed_type);
  bind_text(s, i++, e.record_kind);
  bind_u64(s, i++, e.record_id);
  bind_i64(s, i++, e.partial ? 1 : 0);
  bind_text(s, i++, e.note);
  if (auto st = step_done(db_, s, "insert file event"); !st) return st;
  if (e.name.empty()) return {};
  return index_text(records::TextKind::kFileName, e.id, e.session_id, e.sha256, e.name);
}

// --- The protocol records: everything from their declarations (records/record_schema.h) ---

namespace {

using records::Field;
using records::FieldType;

// A record type's columns in its declaration's order: each stored field's, and beside a
// host field the reversed key its *.suffix searches use (written, never read back).
struct Columns : records::FieldVisitor {
  std::vector<std::string> written, read;
  std::vector<std::pair<std::string, std::string>> ddl;  // column, type and default
  std::vector<std::string> reversed;                     // the host keys, each indexed

  template <class T>
  void operator()(const T&, const Field& f) {
    if (!f.stored) return;
    const std::string c(f.column_name());
    written.push_back(c);
    read.push_back(c);
    ddl.emplace_back(c, sql_type<T>());
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

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
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
    }
  }
  template <class Make>
  void full_text(records::TextKind k, Make&& make, std::string_view row_sql = {}) {
    (void)row_sql;
    text_kind = k;
    text = make();
  }

  std::uint64_t id = 0, session_id = 0;
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
  explicit Reader(sqlite3_stmt* s) : s_(s) {}

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
  int i_ = 0;
};

}  // namespace

template <class R>
Status SqliteIndex::insert(const R& r) {
  sqlite3_stmt* s = stmts_->insert_record[records::declared_type_index<R>()].get();
  Binder b(s);
  R::describe(r, b);
  if (auto st = step_done(db_, s, "insert"); !st)
    return make_error("{} ({})", st.error().message, R::kType.kind);
  if (!b.text_kind) return {};
  return index_text(*b.text_kind, b.id, b.session_id, {}, b.text);
}

// The full-text rows of the records already in the index, made as each record's insert makes
// them: what a bulk load leaves to its end.
Status SqliteIndex::index_record_texts() {
  Status out;
  records::for_each_declared_record_type([&]<class R>() {
    if (!out) return;
    RecordText probe;
    R sample;
    R::describe(sample, probe);
    if (!probe.text_kind) return;  // a type without full text
    RecordQuery all;
    const Status st = query<R>(all, [&](const R& r) {
      RecordText t;
      R::describe(r, t);
      out = index_text(*t.text_kind, t.id, t.session_id, {}, t.text);
      return static_cast<bool>(out);
    });
    if (out && !st) out = st;
  });
  return out;
}

namespace {
// The common filters of a record type's listing (time, addresses, ports, --host, sessions, ids).
template <class R>
Where where_of(const RecordQuery& q) {
  const std::string host(R::kType.host_column), id(R::kType.id_column);
  return record_where(q, "ts", host.empty() ? nullptr : host.c_str(), "", id.c_str());
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
                           std::string(t.table) + w.text + order_limit(q, "ts", id);
  const std::string what = "query " + std::string(t.kind);
  return run_query<R>(
      db_, text, w,
      [](sqlite3_stmt* s) {
        R r;
        Reader reader(s);
        R::describe(r, reader);
        return r;
      },
      fn, what.c_str());
}

// The insert of each record type, naming its columns.
Status SqliteIndex::prepare_record_inserts() {
  Status out;
  records::for_each_declared_record_type([&]<class R>() {
    if (!out) return;
    const Columns& c = columns_of<R>();
    std::string marks;
    for (std::size_t i = 0; i < c.written.size(); ++i) marks += i ? ",?" : "?";
    const std::string text = "INSERT OR REPLACE INTO " + std::string(R::kType.table) + "(" +
                             joined(c.written) + ") VALUES(" + marks + ")";
    auto st = prepare(db_, text, true);
    if (!st) {
      out = make_error("{} ({})", st.error().message, R::kType.kind);
      return;
    }
    stmts_->insert_record[records::declared_type_index<R>()] = std::move(*st);
  });
  return out;
}

// A record type's table as its declaration says: created when new, a column added when the
// declaration gained one (with its default, so older rows read as empty). Renames and type
// changes are not derived: they are steps of migrate(), written and tested by hand.
Status SqliteIndex::ensure_record_tables() {
  Status out;
  records::for_each_declared_record_type([&]<class R>() {
    if (!out) return;
    const records::RecordType& t = R::kType;
    const std::string table(t.table), id(t.id_column);
    const Columns& c = columns_of<R>();
    std::string cols;
    for (const auto& [name, type] : c.ddl)
      cols += (cols.empty() ? "" : ", ") + name + " " +
              (name == id ? std::string("INTEGER PRIMARY KEY") : type);
    if (auto s = exec(("CREATE TABLE IF NOT EXISTS " + table + "(" + cols + ")").c_str()); !s) {
      out = s;
      return;
    }
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
    std::vector<std::string> indexes = {"CREATE INDEX IF NOT EXISTS " + table + "_ts ON " + table +
                                        "(ts)"};
    if (id != "session_id")
      indexes.push_back("CREATE INDEX IF NOT EXISTS " + table + "_session ON " + table +
                        "(session_id)");
    for (const std::string& rev : c.reversed)
      indexes.push_back("CREATE INDEX IF NOT EXISTS " + table + "_" + rev + " ON " + table + "(" +
                        rev + ", ts)");
    for (const auto& ddl : indexes) {
      if (auto s = exec(ddl.c_str()); !s) {
        out = s;
        return;
      }
    }
  });
  return out;
}

#define KAGAMI_INSTANTIATE(R)                                         \
  template Status SqliteIndex::insert<records::R>(const records::R&); \
  template Status SqliteIndex::query<records::R>(const RecordQuery&,  \
                                                 const std::function<bool(const records::R&)>&);
KAGAMI_DECLARED_RECORD_TYPES(KAGAMI_INSTANTIATE)
#undef KAGAMI_INSTANTIATE

Status SqliteIndex::query_files(
    const RecordQuery& q,
    const std::function<bool(const records::FileRecord&, const records::FileEvent&)>& fn) {
  Where w = record_where(q, "ts", nullptr, "e.");
  if (q.sha256) w.compare("e.sha256", "=", std::string(*q.sha256));
  if (q.name) w.glob("e.name", *q.name);
  const std::string text =
      "SELECT f.sha256, f.md5, f.size, f.mime, f.first_seen, e.id, e.session_id, e.ts, "
      "e.client_ip, e.client_port, e.server_ip, e.server_port, e.protocol, e.direction, e.name, "
      "e.field, e.claimed_type, e.record_kind, e.record_id, e.partial, e.note, "
      "i.sha256, i.flags, i.note, i.text_sha256, i.text_bytes "
      "FROM file_events e JOIN files f ON f.sha256 = e.sha256 "
      "LEFT JOIN inspections i ON i.sha256 = e.sha256" +
      w.text + order_limit(q, "e.ts", "e.id");
  auto st = prepare(db_, text);
  if (!st) return st.error();
  w.bind_all(st->get());
  int rc;
  while ((rc = sqlite3_step(st->get())) == SQLITE_ROW) {
    sqlite3_stmt* s = st->get();
    records::FileRecord f;
    records::FileEvent e;
    int i = 0;
    f.sha256 = column_text(s, i++);
    f.md5 = column_text(s, i++);
    f.size = column_u64(s, i++);
    f.mime = column_text(s, i++);
    f.first_seen = sqlite3_column_int64(s, i++);
    e.id = column_u64(s, i++);
    e.sha256 = f.sha256;
    e.session_id = column_u64(s, i++);
    e.ts = sqlite3_column_int64(s, i++);
    i = read_endpoints(s, i, e.endpoints);
    e.protocol = column_text(s, i++);
    e.direction = column_text(s, i++);
    e.name = column_text(s, i++);
    e.field = column_text(s, i++);
    e.claimed_type = column_text(s, i++);
    e.record_kind = column_text(s, i++);
    e.record_id = column_u64(s, i++);
    e.partial = sqlite3_column_int(s, i++) != 0;
    e.note = column_text(s, i++);
    f.inspected = sqlite3_column_type(s, i++) != SQLITE_NULL;
    f.inspect_flags = column_text(s, i++);
    f.inspect_note = column_text(s, i++);
    f.text_sha256 = column_text(s, i++);
    f.text_bytes = column_u64(s, i++);
    if (!fn(f, e)) return {};
  }
  if (rc != SQLITE_DONE) return error(db_, "query files");
  return {};
}

namespace {

// Severity names in order; what --severity compares.
constexpr const char* kSeverityRank =
    "(CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 "
    "WHEN 'low' THEN 1 ELSE 0 END)";

void add_inspection_filters(const RecordQuery& q, Where& w, bool detector) {
  if (q.sha256) w.compare("sha256", "=", std::string(*q.sha256));
  if (q.min_severity) w.compare(kSeverityRank, ">=", std::int64_t{*q.min_severity});
  if (detector && q.detector) w.compare("detector", "GLOB", std::string(*q.detector));
}

}  // namespace

Status SqliteIndex::upsert_inspection(const records::InspectionRecord& r) {
  sqlite3_stmt* s = stmts_->upsert_inspection.get();
  bind_text(s, 1, r.sha256);
  bind_i64(s, 2, r.ts);
  bind_u64(s, 3, r.text_bytes);
  bind_text(s, 4, r.text_sha256);
  bind_text(s, 5, r.flags);
  bind_text(s, 6, r.note);
  bind_i64(s, 7, r.findings);
  if (auto st = step_done(db_, s, "upsert inspection"); !st) return st;
  if (r.search_text.empty()) return {};
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
  static constexpr const char* kNames[] = {"", "http", "mail", "file", "doc"};
  const auto k = static_cast<std::uint64_t>(kind);
  sqlite3_stmt* s = stmts_->insert_text.get();
  bind_u64(s, 1, static_cast<std::uint64_t>(text_rowid(kind)) | ref);
  sqlite3_bind_text(s, 2, body.data(), static_cast<int>(body.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 3, kNames[k], -1, SQLITE_STATIC);
  bind_u64(s, 4, ref);
  bind_u64(s, 5, session_id);
  bind_text(s, 6, sha256);
  return step_done(db_, s, "index text");
}

Status SqliteIndex::query_findings(const RecordQuery& q,
                                   const std::function<bool(const records::FindingRecord&)>& fn) {
  Where w = where_of<records::FindingRecord>(q);
  add_inspection_filters(q, w, true);
  return query_where<records::FindingRecord>(q, w, fn);
}

Status SqliteIndex::query_alerts(const RecordQuery& q,
                                 const std::function<bool(const records::AlertRecord&)>& fn) {
  Where w = where_of<records::AlertRecord>(q);
  add_inspection_filters(q, w, false);
  return query_where<records::AlertRecord>(q, w, fn);
}

Result<std::optional<records::InspectionRecord>> SqliteIndex::inspection(
    const std::string& sha256) {
  auto st = prepare(db_, "SELECT * FROM inspections WHERE sha256 = ?");
  if (!st) return st.error();
  bind_text(st->get(), 1, sha256);
  const int rc = sqlite3_step(st->get());
  if (rc == SQLITE_DONE) return std::optional<records::InspectionRecord>();
  if (rc != SQLITE_ROW) return error(db_, "query inspection");
  records::InspectionRecord r;
  sqlite3_stmt* s = st->get();
  r.sha256 = column_text(s, 0);
  r.ts = sqlite3_column_int64(s, 1);
  r.text_bytes = column_u64(s, 2);
  r.text_sha256 = column_text(s, 3);
  r.flags = column_text(s, 4);
  r.note = column_text(s, 5);
  r.findings = static_cast<std::uint32_t>(sqlite3_column_int64(s, 6));
  return std::optional<records::InspectionRecord>(std::move(r));
}

}  // namespace kagami::store
