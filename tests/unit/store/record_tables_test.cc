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

std::set<std::string> table_columns(const std::string& path, const std::string& table) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::set<std::string> out;
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, ("SELECT name FROM pragma_table_info('" + table + "')").c_str(), -1, &s,
                     nullptr);
  while (sqlite3_step(s) == SQLITE_ROW)
    out.insert(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
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
  records::for_each_declared_record_type([&]<class R>() {
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

}  // namespace
}  // namespace kagami::store
