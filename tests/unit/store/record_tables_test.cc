// The index's tables for protocol records follow from their declarations
// (records/record_schema.h): the columns the migrations built are exactly the declared ones, a
// table or column a declaration gained is added when a store opens, and every declared field
// comes back from a read as it was written.
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "kagami/records/record_json.h"
#include "kagami/records/record_types.h"
#include "kagami/store/session_query.h"
#include "kagami/store/sqlite_index.h"

#include "support/temp_dir.h"

namespace kagami::store {
namespace {

using records::Field;
using records::FieldType;

// The columns a declaration implies, worked out here independently of the store's code.
struct ExpectedColumns : records::FieldVisitor {
  std::set<std::string> columns;
  template <class T>
  void operator()(const T&, const Field& f) {
    if (!f.stored) return;
    columns.insert(std::string(f.column_name()));
    if (f.type == FieldType::kHost) columns.insert(std::string(f.column_name()) + "_rev");
  }
};

template <class R>
std::set<std::string> expected_columns() {
  ExpectedColumns e;
  R r;
  R::describe(r, e);
  return e.columns;
}

// A value in every field, each different, so a field read into another's place shows.
struct Filler : records::FieldVisitor {
  int n = 0;
  template <class T>
  void operator()(T& v, const Field& f) {
    ++n;
    const std::string name(f.name);
    if constexpr (std::is_same_v<T, bool>) {
      v = true;
    } else if constexpr (std::is_integral_v<T>) {
      v = static_cast<T>(f.type == FieldType::kTime ? 1'700'000'000'000'000'000LL + n * 1000 : n);
    } else if constexpr (std::is_same_v<T, std::string>) {
      v = f.type == FieldType::kHost ? name + std::to_string(n) + ".example.org"
                                     : name + "-" + std::to_string(n) + " 日本語";
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      v = {name + "-a", name + "-b"};
    } else if constexpr (std::is_same_v<T, IpAddress>) {
      v = IpAddress::parse("192.0.2." + std::to_string(n)).value();
    } else if constexpr (std::is_same_v<T, std::vector<records::MailAttachment>>) {
      v = {{std::string(64, 'a'), "見積書.xlsx", "application/vnd.ms-excel", 1234},
           {std::string(64, 'b'), std::string("\x8c\xa9\x90\xcf.csv"), "text/csv", 5}};
    } else {
      static_assert(sizeof(T) == 0, "a field type this test cannot fill");
    }
  }
};

// The first column of every row `sql` selects from the index at `path`.
std::set<std::string> names(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::set<std::string> out;
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
  while (sqlite3_step(s) == SQLITE_ROW)
    out.insert(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

std::set<std::string> table_columns(const std::string& path, const std::string& table) {
  return names(path, "SELECT name FROM pragma_table_info('" + table + "')");
}

void exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  sqlite3_free(err);
  sqlite3_close(db);
}

template <class R>
std::vector<R> read_all(SqliteIndex& ix) {
  std::vector<R> out;
  EXPECT_TRUE(ix.query<R>(RecordQuery{}, [&](const R& r) {
                  out.push_back(r);
                  return true;
                }).ok());
  return out;
}

TEST(RecordTables, TheMigratedTablesHaveExactlyTheDeclaredColumns) {
  test::TempDir dir;
  const std::string path = dir.path() + "/index.sqlite";
  ASSERT_TRUE(SqliteIndex::open(path, SqliteIndex::Mode::kReadWrite).ok());
  records::for_each_stored_type([&]<class R>() {
    EXPECT_EQ(table_columns(path, std::string(R::kType.table)), expected_columns<R>())
        << R::kType.kind;
  });
}

TEST(RecordTables, EveryDeclaredFieldComesBackAsWritten) {
  test::TempDir dir;
  auto ix = SqliteIndex::open(dir.path() + "/index.sqlite", SqliteIndex::Mode::kReadWrite);
  ASSERT_TRUE(ix.ok());
  records::for_each_declared_record_type([&]<class R>() {
    R r;
    Filler fill;
    R::describe(r, fill);
    ASSERT_TRUE((*ix)->insert(r).ok()) << R::kType.kind;
    const auto back = read_all<R>(**ix);
    ASSERT_EQ(back.size(), 1u) << R::kType.kind;
    EXPECT_EQ(records::to_json(back[0]), records::to_json(r)) << R::kType.kind;
    EXPECT_EQ(records::id_of(back[0]), records::id_of(r)) << R::kType.kind;
    EXPECT_NE(records::id_of(r), 0u) << R::kType.kind;
  });
}

TEST(RecordTables, ATableMissingIsCreatedFromItsDeclaration) {
  test::TempDir dir;
  const std::string path = dir.path() + "/index.sqlite";
  ASSERT_TRUE(SqliteIndex::open(path, SqliteIndex::Mode::kReadWrite).ok());
  exec(path, "DROP TABLE ftp");
  ASSERT_TRUE(table_columns(path, "ftp").empty());
  auto ix = SqliteIndex::open(path, SqliteIndex::Mode::kReadWrite);
  ASSERT_TRUE(ix.ok()) << ix.error().message;
  EXPECT_EQ(table_columns(path, "ftp"), expected_columns<records::FtpRecord>());
  records::FtpRecord f;
  f.id = 7;
  f.command = "RETR";
  f.arg = "pub/a.zip";
  ASSERT_TRUE((*ix)->insert(f).ok());
  const auto back = read_all<records::FtpRecord>(**ix);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].arg, "pub/a.zip");
  std::int64_t indexes = 0;
  ASSERT_TRUE((*ix)
                  ->select("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                           "('ftp_ts', 'ftp_session')",
                           {},
                           [&](const SqlRow& row) {
                             indexes = row.i64(0);
                             return false;
                           })
                  .ok());
  EXPECT_EQ(indexes, 2);
}

TEST(RecordTables, AColumnTheDeclarationGainedIsAddedAndOlderRowsReadEmpty) {
  test::TempDir dir;
  const std::string path = dir.path() + "/index.sqlite";
  {
    auto ix = SqliteIndex::open(path, SqliteIndex::Mode::kReadWrite);
    ASSERT_TRUE(ix.ok());
    records::FtpRecord f;
    f.id = 1;
    f.command = "PASV";
    f.data = "192.0.2.1:2121";
    ASSERT_TRUE((*ix)->insert(f).ok());
  }
  // A store written before `data` was declared.
  exec(path, "ALTER TABLE ftp DROP COLUMN data");
  ASSERT_EQ(table_columns(path, "ftp").count("data"), 0u);
  auto ix = SqliteIndex::open(path, SqliteIndex::Mode::kReadWrite);
  ASSERT_TRUE(ix.ok()) << ix.error().message;
  EXPECT_EQ(table_columns(path, "ftp").count("data"), 1u);
  records::FtpRecord g;
  g.id = 2;
  g.ts = 5;
  g.command = "EPSV";
  g.data = "192.0.2.1:2122";
  ASSERT_TRUE((*ix)->insert(g).ok());
  const auto back = read_all<records::FtpRecord>(**ix);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].command, "PASV");
  EXPECT_EQ(back[0].data, "");
  EXPECT_EQ(back[1].data, "192.0.2.1:2122");
}

// The names in an index's schema of one type ("table", "index", "trigger"), SQLite's own and the
// full-text index's shadow tables left out.
std::set<std::string> schema_names(const std::string& path, const std::string& type) {
  return names(path, "SELECT name FROM sqlite_master WHERE type = '" + type +
                         "' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'text_fts_%'");
}

std::string meta_value(SqliteIndex& ix, const std::string& key) {
  std::string v;
  EXPECT_TRUE(ix.select("SELECT value FROM meta WHERE key = ?", {key}, [&](const SqlRow& r) {
                  v = r.text(0);
                  return false;
                }).ok());
  return v;
}

// An index as version 1 left it (sessions and the packet archive, nothing else) is brought up
// to the last version by the explicit steps and the declarations together: the same tables,
// columns and indexes as a new index, and its session as it was.
TEST(RecordTables, AVersion1IndexIsBroughtUpToWhatANewIndexHas) {
  test::TempDir dir;
  const std::string fresh = dir.path() + "/fresh.sqlite", old = dir.path() + "/old.sqlite";
  ASSERT_TRUE(SqliteIndex::open(fresh, SqliteIndex::Mode::kReadWrite).ok());
  records::SessionRecord session;
  session.id = 42;
  session.sensor = "s1";
  session.ts_first = 1'700'000'000'000'000'000LL;
  session.ts_last = session.ts_first + 5;
  session.transport = 6;
  session.client_ip = IpAddress::parse("192.0.2.7").value();
  session.server_ip = IpAddress::parse("198.51.100.9").value();
  session.client_port = 50000;
  session.server_port = 80;
  session.app = "http";
  session.user = "tanaka";
  {
    auto ix = SqliteIndex::open(old, SqliteIndex::Mode::kReadWrite);
    ASSERT_TRUE(ix.ok());
    ASSERT_TRUE((*ix)->begin().ok());
    ASSERT_TRUE((*ix)->insert_session(session).ok());
    ASSERT_TRUE((*ix)->commit().ok());
  }
  // Version 1: meta, sessions without the host columns, session_packets, packet_files.
  std::string downgrade =
      "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; DROP VIEW alert_states; "
      "DROP TRIGGER sessions_roll_insert; DROP TRIGGER sessions_roll_delete; "
      "DROP TRIGGER sessions_roll_update;";
  for (const std::string& t : schema_names(old, "table"))
    if (t != "meta" && t != "sessions" && t != "session_packets" && t != "packet_files")
      downgrade += "DROP TABLE " + t + ";";
  downgrade +=
      "DROP INDEX sessions_host_rev; DROP INDEX sessions_user; ALTER TABLE sessions DROP COLUMN "
      "host_rev; ALTER TABLE sessions DROP COLUMN host; DELETE FROM meta WHERE key != "
      "'schema_version'; UPDATE meta SET value = '1' WHERE key = 'schema_version'";
  exec(old, downgrade);
  ASSERT_EQ(schema_names(old, "table"),
            (std::set<std::string>{"meta", "sessions", "session_packets", "packet_files"}));

  auto ix = SqliteIndex::open(old, SqliteIndex::Mode::kReadWrite);
  ASSERT_TRUE(ix.ok()) << ix.error().message;
  auto reference = SqliteIndex::open(fresh, SqliteIndex::Mode::kReadOnly);
  ASSERT_TRUE(reference.ok());
  EXPECT_EQ(meta_value(**ix, "schema_version"), meta_value(**reference, "schema_version"));
  for (const char* type : {"table", "index", "trigger", "view"})
    EXPECT_EQ(schema_names(old, type), schema_names(fresh, type)) << type;
  for (const std::string& t : schema_names(fresh, "table"))
    EXPECT_EQ(table_columns(old, t), table_columns(fresh, t)) << t;
  std::vector<records::SessionRecord> back;
  ASSERT_TRUE((*ix)
                  ->query_sessions(SessionQuery{},
                                   [&](const records::SessionRecord& s) {
                                     back.push_back(s);
                                     return true;
                                   })
                  .ok());
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(records::to_json(back[0]), records::to_json(session));
}

// The indexes a declaration implies, worked out here independently of the store's code: its
// time column's (unless keyed by a hash or ordered by its id), its session's, each reversed host
// key's and each field looked up by value.
struct ExpectedIndexes : records::FieldVisitor {
  std::string table;
  std::set<std::string> names;
  template <class T>
  void operator()(const T&, const Field& f) {
    if (!f.stored) return;
    const std::string c(f.column_name());
    if (f.type == FieldType::kHost) names.insert(table + "_" + c + "_rev");
    if (f.indexed) names.insert(table + "_" + c);
    if (c == "session_id") has_session = true;
  }
  bool has_session = false;
};

// Every index of a new store: those its declarations imply, and those the steps make, pinned
// by name, with the looked-up fields the searches depend on. One lost (a field no longer
// .looked_up(), a step's index dropped) would still read right, only slowly.
TEST(RecordTables, ANewIndexHasEveryIndexTheSearchesUse) {
  test::TempDir dir;
  const std::string path = dir.path() + "/index.sqlite";
  ASSERT_TRUE(SqliteIndex::open(path, SqliteIndex::Mode::kReadWrite).ok());
  std::set<std::string> expected = {"alert_notes_alert",  "http_user",     "sessions_client_ip",
                                    "sessions_server_ip", "sessions_user", "session_totals_rank",
                                    "session_totals_key"};
  records::for_each_stored_type([&]<class R>() {
    ExpectedIndexes e;
    e.table = std::string(R::kType.table);
    R r;
    R::describe(r, e);
    const std::string id(R::kType.id_column), ts(R::kType.time_column);
    const bool keyed_by_hash = id == "sha256";
    if (!keyed_by_hash && ts != id) e.names.insert(e.table + "_" + ts);
    if (e.has_session && id != "session_id") e.names.insert(e.table + "_session");
    expected.insert(e.names.begin(), e.names.end());
  });
  const std::set<std::string> have = schema_names(path, "index");
  EXPECT_EQ(have, expected);
  for (const char* name :
       {"tls_ja3", "findings_sha256", "findings_detector", "alerts_sha256", "file_events_sha256",
        "sessions_ts_first", "sessions_host_rev", "http_host_rev", "tls_sni_rev", "dns_query_rev"})
    EXPECT_EQ(have.count(name), 1u) << name;
}

// An index written before version 5 had no reversed host keys: upgrading adds the column from
// the declaration and the step fills it, so "*.suffix" finds the records written before.
TEST(RecordTables, AnIndexBeforeVersion5GetsTheHostKeysOfItsRecords) {
  test::TempDir dir;
  const std::string path = dir.path() + "/index.sqlite";
  {
    auto ix = SqliteIndex::open(path, SqliteIndex::Mode::kReadWrite);
    ASSERT_TRUE(ix.ok());
    records::TlsRecord t;
    t.session_id = 3;
    t.sni = "Mail.Example.JP";
    ASSERT_TRUE((*ix)->insert(t).ok());
  }
  exec(path,
       "DROP TRIGGER sessions_roll_insert; DROP TRIGGER sessions_roll_delete; "
       "DROP TRIGGER sessions_roll_update; "
       "DROP INDEX tls_sni_rev; ALTER TABLE tls DROP COLUMN sni_rev; DROP INDEX sessions_host_rev; "
       "ALTER TABLE sessions DROP COLUMN host_rev; UPDATE meta SET value = '4' WHERE key = "
       "'schema_version'");
  ASSERT_EQ(table_columns(path, "tls").count("sni_rev"), 0u);
  auto ix = SqliteIndex::open(path, SqliteIndex::Mode::kReadWrite);
  ASSERT_TRUE(ix.ok()) << ix.error().message;
  std::string key;
  ASSERT_TRUE((*ix)
                  ->select("SELECT sni_rev FROM tls WHERE session_id = 3", {},
                           [&](const SqlRow& r) {
                             key = r.text(0);
                             return false;
                           })
                  .ok());
  EXPECT_EQ(key, "pj.elpmaxe.liam");
  EXPECT_EQ(schema_names(path, "index").count("tls_sni_rev"), 1u);
}

}  // namespace
}  // namespace kagami::store
