// Every record type's declaration is consistent with itself: names are unique, what its type,
// columns and listing refer to exists, and a listing's header lines up with its rows.
#include <set>

#include <gtest/gtest.h>

#include "kagami/records/record_types.h"

namespace kagami::records {
namespace {

struct Names : FieldVisitor {
  std::vector<std::string> fields, columns, stored;
  std::set<std::string> booleans;
  template <class T>
  void operator()(const T&, const Field& f) {
    fields.emplace_back(f.name);
    if (!f.stored) return;
    stored.emplace_back(f.name);
    columns.emplace_back(f.column_name());
    if constexpr (std::is_same_v<T, bool>) booleans.emplace(f.name);
  }
};

template <class R>
Names names_of() {
  Names n;
  R r;
  R::describe(r, n);
  return n;
}

bool unique(const std::vector<std::string>& v) {
  return std::set(v.begin(), v.end()).size() == v.size();
}
bool has(const std::vector<std::string>& v, std::string_view x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(RecordDeclarations, NamesAreUniqueAndTheTypeNamesDeclaredColumns) {
  std::set<std::string_view> kinds, tables;
  for_each_record_type([&]<class R>() {
    const Names n = names_of<R>();
    const std::string kind(R::kType.kind);
    EXPECT_TRUE(unique(n.fields)) << kind;
    EXPECT_TRUE(unique(n.columns)) << kind;
    EXPECT_TRUE(has(n.columns, R::kType.id_column)) << kind;
    EXPECT_TRUE(has(n.columns, "ts")) << kind << ": listings are in time order";
    EXPECT_TRUE(has(n.columns, "session_id")) << kind;
    if (!R::kType.host_column.empty()) {
      EXPECT_TRUE(has(n.columns, R::kType.host_column)) << kind;
    }
    EXPECT_TRUE(kinds.insert(R::kType.kind).second) << kind;
    EXPECT_TRUE(tables.insert(R::kType.table).second) << kind;
    EXPECT_FALSE(R::kType.noun.empty()) << kind;
    EXPECT_FALSE(R::kType.help.empty()) << kind;
  });
  EXPECT_EQ(kinds.size(), RecordTypes::size);
}

TEST(RecordDeclarations, EveryListingColumnShowsDeclaredFieldsAndItsHeaderLinesUp) {
  for_each_declared_record_type([&]<class R>() {
    const Names n = names_of<R>();
    const std::string kind(R::kType.kind);
    const std::size_t count = std::size(R::kColumns);
    ASSERT_GT(count, 0u) << kind;
    for (std::size_t i = 0; i < count; ++i) {
      const Column& c = R::kColumns[i];
      const std::string where = kind + " column " + std::string(c.label);
      if (c.shown == Shown::kEndpoint) {
        EXPECT_TRUE(has(n.stored, std::string(c.field) + "_ip")) << where;
        EXPECT_TRUE(has(n.stored, std::string(c.field) + "_port")) << where;
      } else {
        EXPECT_TRUE(has(n.stored, c.field)) << where;
      }
      if (c.shown == Shown::kTextUnless) {
        EXPECT_TRUE(n.booleans.count(std::string(c.other))) << where;
        EXPECT_FALSE(c.note.empty()) << where;
      } else if (!c.other.empty()) {
        EXPECT_TRUE(has(n.stored, c.other)) << where;
      }
      // A label wider than its column would push the header's later labels off their rows.
      if (c.width > 0) {
        EXPECT_LE(c.label.size(), c.width) << where;
      }
      // The console shows every column, in Japanese too.
      EXPECT_FALSE(c.label_ja.empty()) << where;
      if (c.shown == Shown::kTextUnless) {
        EXPECT_FALSE(c.note_ja.empty()) << where;
      }
      if (c.console_only) continue;
      std::size_t next = i + 1;  // the command line's next column
      while (next < count && R::kColumns[next].console_only) ++next;
      if (next < count && c.width == 0) {
        EXPECT_TRUE(c.shown == Shown::kNumber || c.shown == Shown::kNumberOrDash ||
                    R::kColumns[next].label.empty())
            << where << ": only a short value may go unpadded before another column";
      }
    }
  });
}

// Everything of a declaration the console shows exists in English and Japanese: the type's
// title, and the meaning of each field it keeps.
struct MeaningCheck : FieldVisitor {
  std::string kind;
  template <class T>
  void operator()(const T&, const Field& f) {
    if (!f.stored) return;
    EXPECT_FALSE(f.meaning.empty()) << kind << "." << f.name;
    EXPECT_FALSE(f.meaning_ja.empty()) << kind << "." << f.name;
  }
};

TEST(RecordDeclarations, EveryTypeAndFieldTheConsoleShowsHasEnglishAndJapanese) {
  for_each_declared_record_type([&]<class R>() {
    EXPECT_FALSE(R::kType.title.empty()) << R::kType.kind;
    EXPECT_FALSE(R::kType.title_ja.empty()) << R::kType.kind;
    MeaningCheck check;
    check.kind = R::kType.kind;
    R r;
    R::describe(r, check);
  });
}

// A field the index does not keep cannot be searched, listed or shown.
struct UnstoredCheck : FieldVisitor {
  std::string kind;
  template <class T>
  void operator()(const T&, const Field& f) {
    if (f.stored) return;
    EXPECT_TRUE(f.search.empty()) << kind << "." << f.name;
    EXPECT_TRUE(f.shared.empty()) << kind << "." << f.name;
  }
};

TEST(RecordDeclarations, OnlyStoredFieldsAreSearched) {
  for_each_record_type([&]<class R>() {
    UnstoredCheck c;
    c.kind = R::kType.kind;
    R r;
    R::describe(r, c);
  });
}

}  // namespace
}  // namespace kagami::records
