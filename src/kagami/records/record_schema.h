#pragma once
// How a record type is declared once. Each record struct carries
//
//   static constexpr RecordType kType{...};           // its kind, table and nouns
//   static constexpr Column kColumns[] = {...};       // its listing
//   template <class Self, class V> static void describe(Self& r, V& v) {
//     v(r.id, as::id("id", "the transaction's id"));
//     v(r.method, as::text("method", "HTTP method"));
//     ...
//   }
//
// and everything else is derived by visiting that one list: the JSON of every listing and
// answer (record_json), the index's columns, inserts and reads by column name (store), the
// search language's fields and kinds, the command line's listing, the REST routes and the
// console's lists and detail view (served as /api/kinds, in English and Japanese). A visitor is
// called with each member (const or not, so the same list writes and reads) and the Field saying
// what it is; the member's C++ type says how it is stored.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kagami::records {

// What a field means, beyond its C++ type: how it is shown, searched and stored.
enum class FieldType : std::uint8_t {
  kId,     // this record's number
  kRef,    // another record's number (session_id)
  kTime,   // TimeNs; epoch seconds with fraction in JSON
  kIp,     // IpAddress; a 16-byte key in the index, searchable by CIDR
  kPort,   // 0-65535
  kCount,  // a plain number
  kSize,   // bytes
  kText,   // free text off the wire
  kHost,   // a DNS name: the index keeps a reversed key beside it for *.suffix searches
  kEnum,   // one of a small set of names ("smtp", "NXDOMAIN")
  kHash,   // hex digest
  kBool,
  kList,   // several texts, in order
  kFlags,  // a bit set: a number in the index, names in JSON
  kObject  // structured (a JSON value of its own)
};

using FlagNamesFn = std::vector<std::string> (*)(std::uint32_t);

// One field of a record type. Built with the helpers below and chained modifiers, so a
// declaration reads as a table: as::time("resp_ts", "...").omitted_when_empty().
struct Field {
  std::string_view name;  // the JSON key, the search field, the API's property
  FieldType type = FieldType::kText;
  std::string_view meaning;     // one line for --help, the API document and the console
  std::string_view meaning_ja;  // the same in Japanese, for the console
  std::string_view column;      // the index column when it differs from name
  bool omit_empty = false;      // JSON leaves it out when zero, false or empty
  bool keep = false;            // ... unless this is set (decided per record)
  bool stored = true;           // false: the analyzer's working state, neither shown nor kept
  bool indexed = false;         // the index keeps an index on it alone (looked up by value)
  FlagNamesFn flag_names = nullptr;
  // The search language (query/search_fields): the field's own name there, other names for
  // it (comma-separated) and its line in `kagami search --fields`; fields of one record type
  // sharing a search name are searched together ("mail.to": rcpt_to, to and cc). `shared`
  // names a field every kind answers ("host", "user") that this one also answers for its kind.
  std::string_view search, search_aliases, search_help;
  std::string_view shared;

  constexpr std::string_view column_name() const { return column.empty() ? name : column; }
  constexpr Field in_column(std::string_view c) const { return with(&Field::column, c); }
  constexpr Field omitted_when_empty() const { return with(&Field::omit_empty, true); }
  // Left out when empty, unless `keep_it` (a condition on the record: upstream_verdict is
  // written for every decrypted session, even when empty, meaning valid).
  constexpr Field omitted_when_empty_unless(bool keep_it) const {
    return omitted_when_empty().with(&Field::keep, keep_it);
  }
  constexpr Field searched(std::string_view as_name, std::string_view aliases,
                           std::string_view help) const {
    return with(&Field::search, as_name)
        .with(&Field::search_aliases, aliases)
        .with(&Field::search_help, help);
  }
  constexpr Field also_searched_as(std::string_view shared_name) const {
    return with(&Field::shared, shared_name);
  }
  constexpr Field ja(std::string_view japanese) const { return with(&Field::meaning_ja, japanese); }
  constexpr Field internal() const { return with(&Field::stored, false); }
  constexpr Field looked_up() const { return with(&Field::indexed, true); }

  // A copy with one member set: what each modifier above is.
  template <class M>
  constexpr Field with(M Field::*member, M value) const {
    Field f = *this;
    f.*member = value;
    return f;
  }
};

// The helpers are in `as` so a declaration reads `as::text("uri", ...)` and never meets a
// member of the same name (a record's `host` or `size`).
namespace as {
constexpr Field field(std::string_view name, FieldType type, std::string_view meaning) {
  Field f;
  f.name = name;
  f.type = type;
  f.meaning = meaning;
  return f;
}
// as::id("id", "..."), as::time(...), ...: a field of one type.
template <FieldType T>
struct Typed {
  constexpr Field operator()(std::string_view name, std::string_view meaning) const {
    return field(name, T, meaning);
  }
};
inline constexpr Typed<FieldType::kId> id;
inline constexpr Typed<FieldType::kRef> ref;
inline constexpr Typed<FieldType::kTime> time;
inline constexpr Typed<FieldType::kCount> count;
inline constexpr Typed<FieldType::kSize> size;
inline constexpr Typed<FieldType::kText> text;
inline constexpr Typed<FieldType::kHost> host;
inline constexpr Typed<FieldType::kEnum> name_of_set;
inline constexpr Typed<FieldType::kHash> hash;
inline constexpr Typed<FieldType::kBool> boolean;
inline constexpr Typed<FieldType::kList> list;
inline constexpr Typed<FieldType::kObject> object;
constexpr Field flags(std::string_view n, std::string_view m, FlagNamesFn names) {
  Field f = field(n, FieldType::kFlags, m);
  f.flag_names = names;
  return f;
}
}  // namespace as

// What the full-text index holds for a record; the number is the top bits of its rowid and
// never changes for a kind once stored.
enum class TextKind : std::uint8_t {
  kNone = 0,
  kHttp = 1,
  kMail = 2,
  kFileName = 3,
  kDocument = 4
};

// Its name in the full-text index's `kind` column (kept beside the enumerator it names).
constexpr std::string_view text_kind_name(TextKind k) {
  switch (k) {
    case TextKind::kHttp:
      return "http";
    case TextKind::kMail:
      return "mail";
    case TextKind::kFileName:
      return "file";
    case TextKind::kDocument:
      return "doc";
    case TextKind::kNone:
      break;
  }
  return "";
}

// A column of a record type's listing: the command line's table and the console's list. Its
// value is one of a few renderings of declared fields, named so that the command line (from
// the record) and the console (from its JSON) render alike.
enum class Shown : std::uint8_t {
  kTime,          // `field` as ISO 8601 UTC with microseconds
  kEndpoint,      // `field` is "client" or "server": its ip and port, "ip:port" / "[v6]:port"
  kText,          // `field`, or `other` when empty; "-" when both are
  kList,          // the list `field` (or `other` when empty) joined with `separator`
  kNumber,        // `field` as a number
  kNumberOrDash,  // `field`, "-" when zero
  kTextUnless,    // `note` when the boolean `other` is set, else `field`
  kTextAndOther,  // `field`, then `separator` and `other` when that is not empty
};

struct Column {
  std::string_view label;     // the header
  std::string_view label_ja;  // the console's header in Japanese
  Shown shown = Shown::kText;
  std::string_view field, other;
  std::uint16_t width = 0;  // padded to it in the command line's table (0: not padded)
  std::uint16_t max = 0;    // cut to it, ending "~" (0: whole)
  bool right = false;       // right-aligned
  std::uint8_t gap = 1;     // spaces before it
  std::string_view separator = ",";
  std::string_view note = {};
  std::string_view note_ja = {};
  bool console_only = false;  // shown in the console's list, not in the command line's table
  std::string_view before = {}, after = {};  // written around the value, whatever it is

  constexpr Column in_console_only() const {
    Column c = *this;
    c.console_only = true;
    return c;
  }
  constexpr Column around(std::string_view open, std::string_view close) const {
    Column c = *this;
    c.before = open;
    c.after = close;
    return c;
  }
};

// A record type as a whole.
struct RecordType {
  std::string_view kind;                       // "http": the command, the search kind, the API path
  std::string_view table;                      // its table in the index
  std::string_view noun = {};                  // "HTTP transaction(s)", for counts
  std::string_view help = {};                  // one line for the command's --help
  std::string_view id_column;                  // what numbers a record ("id"; TLS: its session's)
  std::string_view host_column = {};           // what --host matches (empty: no --host)
  std::string_view title = {}, title_ja = {};  // the console's name for a list of them
  std::string_view time_column = "ts";         // what orders them and --since/--until compare
  bool keep_first = false;  // a second insert under the same id is ignored, not a replacement
};

// A visitor's defaults for what it does not handle: a record's full text (a lazily built
// string: only the index asks for it), and the same text as an SQL expression over the
// record's own row when it can be one ("host || uri"; a test holds the two equal), which lets
// a search test a row without reading its full-text row back.
struct FieldVisitor {
  template <class Make>
  void full_text(TextKind, Make&&, std::string_view row_sql = {}) {
    (void)row_sql;
  }
};

}  // namespace kagami::records
