#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kagami/records/record_types.h"

namespace kagami::query {

// What a search lists: one kind of record per search. Sessions, then one kind per declared
// record type of records/record_types.h (Kind::kHttpRecord, ..., Kind::kFindingRecord,
// Kind::kAlertRecord; in the list's order), then files. Findings and alerts are also called
// by their kinds' names.
#define KAGAMI_KIND_ENUMERATOR(R) k##R,
enum class Kind : std::uint8_t {
  kSessions,
  KAGAMI_DECLARED_RECORD_TYPES(KAGAMI_KIND_ENUMERATOR) kFiles,
  kFindings = kFindingRecord,
  kAlerts = kAlertRecord
};
#undef KAGAMI_KIND_ENUMERATOR
#define KAGAMI_KIND_ITEM(R) Kind::k##R,
inline constexpr Kind kAllKinds[] = {Kind::kSessions,
                                     KAGAMI_RECORD_TYPES(KAGAMI_KIND_ITEM) Kind::kFiles,
                                     Kind::kFindings, Kind::kAlerts};
#undef KAGAMI_KIND_ITEM

// The kind that lists record type R.
template <class R>
constexpr Kind kind_of() {
  return static_cast<Kind>(1 + records::declared_type_index<R>());
}
// The record type a kind lists, when it is a protocol's (nullptr for sessions, files, ...).
const records::RecordType* record_type_of(Kind k);

const char* kind_name(Kind k);  // "sessions", "http", ..., "files", "findings", "alerts"
bool kind_from_name(std::string_view name, Kind& out);
std::string kind_names();          // "sessions, http, dns, ...": every kind, for help and errors
const char* id_column_of(Kind k);  // what numbers a kind's records ("id"; TLS: "session_id")
// The full text a kind's records have in the index (their declaration's full_text), if any,
// and the SQL expression of that text over a record's own row ("": read the full-text row).
std::optional<records::TextKind> text_kind_of(Kind k);
std::string_view row_text_of(Kind k);
// The kinds whose records have a full text, in the list's order.
const std::vector<Kind>& text_kinds();

enum class ValueType {
  kText,       // case-insensitive; '*' and '?' wildcards
  kTextList,   // a JSON list of strings: any element
  kHost,       // a host name: exact or "*.domain" through the reversed key, else a wildcard scan
  kIp,         // an address or CIDR prefix
  kInt,        // a number: N, >N, [A TO B]
  kSize,       // a number of bytes with k, M, G suffixes
  kTime,       // a time or date, comparisons and ranges, "now-24h"
  kBool,       // true/false, yes/no
  kSeverity,   // info < low < medium < high < critical
  kFileType,   // "xlsx", "pdf", "image/*": MIME type or file name extension
  kTransport,  // tcp, udp, icmp, or a protocol number
  kApp,        // one of the session's application protocols
  kHash,       // hex digest, case-insensitive, exact
};

// Where a field lives in one table. `columns` lists the columns any of which may match
// ("client_ip,server_ip"); `via`, when set, reaches another table:
// "sha256 IN (SELECT sha256 FROM files WHERE %)", % being the predicate over its columns.
struct FieldColumn {
  Kind table;
  const char* columns;
  const char* via = nullptr;
  const char* reversed = nullptr;  // kHost: the reversed-key column
  const char* end = nullptr;       // kTime on sessions: when it ended (ranges overlap)
};

struct Field {
  const char* name;
  std::vector<const char*> aliases;
  ValueType type;
  std::vector<FieldColumn> columns;  // the first is the field's home
  bool suggests_kind;                // a query naming it lists the home table's records
  const char* help;
  const char* help_ja = "";  // the same in Japanese, for the console
};

const std::vector<Field>& fields();
const Field* find_field(std::string_view name);

}  // namespace kagami::query
