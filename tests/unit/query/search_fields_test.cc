// The search language's fields for protocol records come from their declarations: every
// declared search name and shared field answers for its kind, over the declared columns.
#include "kagami/query/search_fields.h"

#include <gtest/gtest.h>

#include "kagami/records/record_types.h"

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
  EXPECT_EQ(host->columns.size(), 5u);                      // sessions, alerts, http, dns, tls
  EXPECT_FALSE(host->suggests_kind);
  EXPECT_EQ(find_field("ja3")->type, ValueType::kText);  // wildcards, as before
}

}  // namespace
}  // namespace kagami::query
