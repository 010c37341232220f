#include "kagami/console/kind_metadata.h"

#include <string>

#include <nlohmann/json.hpp>

#include "kagami/query/search_fields.h"
#include "kagami/records/record_types.h"

namespace kagami::console {

namespace {

using nlohmann::json;
using records::FieldType;
using records::Shown;

const char* type_name(FieldType t) {
  switch (t) {
    case FieldType::kId:
      return "id";
    case FieldType::kRef:
      return "ref";
    case FieldType::kTime:
      return "time";
    case FieldType::kIp:
      return "ip";
    case FieldType::kPort:
      return "port";
    case FieldType::kCount:
      return "count";
    case FieldType::kSize:
      return "size";
    case FieldType::kText:
      return "text";
    case FieldType::kHost:
      return "host";
    case FieldType::kEnum:
      return "enum";
    case FieldType::kHash:
      return "hash";
    case FieldType::kBool:
      return "bool";
    case FieldType::kList:
      return "list";
    case FieldType::kFlags:
      return "flags";
    case FieldType::kObject:
      return "object";
  }
  return "text";
}

const char* shown_name(Shown s) {
  switch (s) {
    case Shown::kTime:
      return "time";
    case Shown::kEndpoint:
      return "endpoint";
    case Shown::kText:
      return "text";
    case Shown::kList:
      return "list";
    case Shown::kNumber:
      return "number";
    case Shown::kNumberOrDash:
      return "number_or_dash";
    case Shown::kTextUnless:
      return "text_unless";
    case Shown::kTextAndOther:
      return "text_and_other";
  }
  return "text";
}

struct FieldLister : records::FieldVisitor {
  json fields = json::array();
  template <class T>
  void operator()(const T&, const records::Field& f) {
    if (!f.stored) return;
    fields.push_back({{"name", f.name},
                      {"type", type_name(f.type)},
                      {"meaning", {{"en", f.meaning}, {"ja", f.meaning_ja}}},
                      {"search", f.search}});
  }
};

template <class R>
json columns_of() {
  json out = json::array();
  if constexpr (requires { R::kColumns; }) {
    for (const records::Column& c : R::kColumns) {
      json col = {{"label", {{"en", c.label.empty() ? c.label_ja : c.label}, {"ja", c.label_ja}}},
                  {"shown", shown_name(c.shown)},
                  {"field", c.field}};
      if (!c.other.empty()) col["other"] = c.other;
      if (c.shown == Shown::kList) col["separator"] = c.separator;
      if (!c.note.empty()) col["note"] = {{"en", c.note}, {"ja", c.note_ja}};
      if (c.shown == Shown::kTextAndOther) col["separator"] = c.separator;
      if (!c.before.empty() || !c.after.empty()) {
        col["before"] = c.before;
        col["after"] = c.after;
      }
      out.push_back(std::move(col));
    }
  }
  return out;
}

json build() {
  json kinds = json::array();
  for (const query::Kind k : query::kAllKinds) kinds.push_back({{"kind", query::kind_name(k)}});
  records::for_each_declared_record_type([&]<class R>() {
    const std::string name(R::kType.kind);
    for (json& k : kinds) {
      if (k["kind"] != name) continue;
      FieldLister lister;
      R r;
      R::describe(r, lister);
      k["title"] = {{"en", R::kType.title}, {"ja", R::kType.title_ja}};
      k["id_field"] = R::kType.id_column;
      k["columns"] = columns_of<R>();
      k["fields"] = std::move(lister.fields);
      // A protocol's records open in the detail view; the inspection kinds have pages of
      // their own (a file's, an alert's triage).
      k["detail"] = records::is_protocol_record_type<R>();
    }
  });
  return kinds;
}

}  // namespace

const json& kinds_metadata() {
  static const json kinds = build();
  return kinds;
}

}  // namespace kagami::console
