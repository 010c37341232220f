// The search language's fields for protocol records come from their declarations: every
// declared search name and shared field answers for its kind, over the declared columns.
#include "kagami/query/search_fields.h"

#include <gtest/gtest.h>

#include "kagami/records/record_types.h"
#include "kagami/store/sqlite_index.h"

#include "support/temp_dir.h"

namespace kagami::query {
namespace {

const FieldColumn* column_for(const Field& f, Kind k) {
  for (const FieldColumn& c : f.columns)
    if (c.table == k) return &c;
  return nullptr;
}

struct SearchedFields : records::FieldVisitor {
  Kind kind;
  std::string name;
  template <class T>
  void operator()(const T&, const records::Field& f) {
    const std::string column(f.column_name());
    for (std::string_view n : {f.search, f.shared}) {
      if (n.empty()) continue;
      const Field* q = find_field(n);
      ASSERT_NE(q, nullptr) << name << "." << f.name << ": " << n;
      const FieldColumn* c = column_for(*q, kind);
      ASSERT_NE(c, nullptr) << name << "." << f.name << ": " << n;
      EXPECT_NE(("," + std::string(c->columns) + ",").find("," + column + ","), std::string::npos)
          << n << " over " << c->columns << " lacks " << column;
      if (f.type == records::FieldType::kHost) {
        ASSERT_NE(c->reversed, nullptr) << n;
        EXPECT_EQ(std::string(c->reversed), column + "_rev");
      }
    }
    if (!f.search_aliases.empty()) {
      const Field* q = find_field(f.search);
      ASSERT_NE(q, nullptr);
      const std::string first(f.search_aliases.substr(0, f.search_aliases.find(',')));
      EXPECT_EQ(find_field(first), q) << first;
    }
  }
};

TEST(SearchFields, EveryDeclaredSearchNameAnswersForItsKind) {
  records::for_each_record_type([&]<class R>() {
    SearchedFields s;
    ASSERT_TRUE(kind_from_name(R::kType.kind, s.kind)) << R::kType.kind;
    s.name = R::kType.kind;
    R r;
    R::describe(r, s);
  });
}

TEST(SearchFields, FieldsOfOneNameAreSearchedTogether) {
  const Field* to = find_field("mail.to");
  ASSERT_NE(to, nullptr);
  EXPECT_EQ(to->type, ValueType::kTextList);
  ASSERT_EQ(to->columns.size(), 1u);
  EXPECT_STREQ(to->columns[0].columns, "rcpt_to,mto,mcc");
  EXPECT_EQ(find_field("recipient"), to);
  const Field* ct = find_field("content_type");
  ASSERT_NE(ct, nullptr);
  EXPECT_STREQ(ct->columns[0].columns, "req_content_type,resp_content_type");
  EXPECT_TRUE(ct->suggests_kind);
  const Field* host = find_field("host");
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->columns.front().table, Kind::kSessions);  // the home stays first
  EXPECT_EQ(host->columns.size(), 8u);  // sessions, alerts, files, findings, http, dns, tls, ws
  EXPECT_FALSE(host->suggests_kind);
  EXPECT_EQ(find_field("ja3")->type, ValueType::kText);  // wildcards, as before
}

// The console shows each field's help in the reader's language: none may lack Japanese.
TEST(SearchFields, EveryFieldIsExplainedInJapaneseToo) {
  for (const Field& f : fields()) {
    EXPECT_STRNE(f.help, "") << f.name;
    EXPECT_STRNE(f.help_ja, "") << f.name;
  }
}

}  // namespace
}  // namespace kagami::query

namespace kagami::query {
namespace {

// A record type's full text, when its declaration also gives it as SQL over its row, is the
// same text both ways: the search tests a row with the SQL, the index holds the C++ text.
struct FullText : records::FieldVisitor {
  template <class T>
  void operator()(const T&, const records::Field&) {}
  template <class Make>
  void full_text(records::TextKind, Make&& make, std::string_view = {}) {
    text = make();
  }
  std::string text;
};

// Every text field a distinct value, so a column left out or doubled shows; the record's
// number 5.
struct Fill : records::FieldVisitor {
  int n = 0;
  template <class T>
  void operator()(T& v, const records::Field& f) {
    if constexpr (std::is_same_v<T, std::string>) v = "t" + std::to_string(++n);
    if constexpr (std::is_integral_v<T>)
      if (f.type == records::FieldType::kId) v = 5;
  }
};

TEST(SearchFields, ARowsOwnTextIsTheTextTheIndexHolds) {
  test::TempDir dir;
  auto opened =
      store::SqliteIndex::open(dir.path() + "/index.sqlite", store::SqliteIndex::Mode::kReadWrite);
  ASSERT_TRUE(opened.ok());
  store::SqliteIndex& ix = **opened;
  std::size_t checked = 0;
  records::for_each_record_type([&]<class R>() {
    const Kind k = kind_of<R>();
    if (row_text_of(k).empty()) return;
    R r;
    Fill fill;
    R::describe(r, fill);
    ASSERT_TRUE(ix.insert(r).ok());
    FullText t;
    R::describe(r, t);
    std::string from_row;
    ASSERT_TRUE(ix.select("SELECT " + std::string(row_text_of(k)) + " FROM " +
                              std::string(R::kType.table) + " WHERE " +
                              std::string(R::kType.id_column) + " = 5",
                          {},
                          [&](const store::SqlRow& row) {
                            from_row = row.text(0);
                            return false;
                          })
                    .ok());
    EXPECT_EQ(from_row, t.text) << R::kType.kind;
    ++checked;
  });
  EXPECT_GE(checked, 1u);  // HTTP's at least
}

}  // namespace
}  // namespace kagami::query
