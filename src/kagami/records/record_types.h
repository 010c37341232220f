#pragma once
// The one list of the protocol analyzers' record types. Each is declared once, in its own
// header (its fields and RecordType, see record_schema.h); this list is how the JSON writer,
// the index, the store batch, the search language, the command line and the REST API learn
// that it exists (the console's columns are next). A new record type is its analyzer's
// folder, its header and one line here (docs/analyzers.md).
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "kagami/records/dcerpc_record.h"
#include "kagami/records/dns_record.h"
#include "kagami/records/file_record.h"
#include "kagami/records/finding_record.h"
#include "kagami/records/ftp_record.h"
#include "kagami/records/http_record.h"
#include "kagami/records/mail_record.h"
#include "kagami/records/session_record.h"
#include "kagami/records/smb_record.h"
#include "kagami/records/tls_record.h"
#include "kagami/records/websocket_record.h"

// X(struct name), in the order listings and the help show them.
#define KAGAMI_RECORD_TYPES(X) \
  X(HttpRecord)                \
  X(DnsRecord)                 \
  X(TlsRecord)                 \
  X(MailRecord)                \
  X(FtpRecord)                 \
  X(SmbRecord)                 \
  X(DceRpcRecord)              \
  X(WebSocketRecord)

// X(struct name): record types declared the same way that no analyzer emits (content
// inspection's): their JSON and their table come from their declarations too.
#define KAGAMI_INSPECTION_RECORD_TYPES(X) \
  X(FindingRecord)                        \
  X(AlertRecord)

// Every declared record type.
#define KAGAMI_DECLARED_RECORD_TYPES(X) KAGAMI_RECORD_TYPES(X) KAGAMI_INSPECTION_RECORD_TYPES(X)

// X(struct name): the recorder's sessions, its packet files and the extracted objects' tables (each
// object once, each sighting of it, what inspecting it made): declared the same way, so the index
// derives their columns, inserts and reads, but listed by their own commands (`kagami
// sessions`, `kagami files`), not as record kinds.
#define KAGAMI_CORE_TABLES(X) \
  X(SessionRecord)            \
  X(ArchiveFileRecord)        \
  X(FileRecord)               \
  X(FileEvent)                \
  X(InspectionRecord)

// Everything the index keeps from a declaration.
#define KAGAMI_STORED_TYPES(X) KAGAMI_DECLARED_RECORD_TYPES(X) KAGAMI_CORE_TABLES(X)

namespace kagami::records {

template <class... R>
struct TypeList {
  static constexpr std::size_t size = sizeof...(R);
};

#define KAGAMI_RECORD_TYPE_ITEM(R) , R
template <class Ignored, class... R>
using DropFirst = TypeList<R...>;
using RecordTypes = DropFirst<void KAGAMI_RECORD_TYPES(KAGAMI_RECORD_TYPE_ITEM)>;
using DeclaredRecordTypes = DropFirst<void KAGAMI_DECLARED_RECORD_TYPES(KAGAMI_RECORD_TYPE_ITEM)>;
using StoredTypes = DropFirst<void KAGAMI_STORED_TYPES(KAGAMI_RECORD_TYPE_ITEM)>;
#undef KAGAMI_RECORD_TYPE_ITEM

namespace detail {
template <template <class...> class To, class List>
struct Rebind;
template <template <class...> class To, class... R>
struct Rebind<To, TypeList<R...>> {
  using type = To<R...>;
};
template <class List>
struct Vectors;
template <class... R>
struct Vectors<TypeList<R...>> {
  using type = std::tuple<std::vector<R>...>;
};
template <class List>
struct Each;
template <class... R>
struct Each<TypeList<R...>> {
  template <class F>
  static void run(F& f) {
    (f.template operator()<R>(), ...);
  }
  template <class T>
  static constexpr std::size_t index() {
    std::size_t i = 0;
    const bool found = ((std::is_same_v<T, R> ? true : (++i, false)) || ...);
    return found ? i : sizeof...(R);
  }
};
}  // namespace detail

// Any one protocol record, as analyzers hand them on.
using AnyRecord = detail::Rebind<std::variant, RecordTypes>::type;
// A std::vector of each declared record type, the inspection's included (a batch's), reached
// by std::get<std::vector<R>>.
using RecordVectors = detail::Vectors<DeclaredRecordTypes>::type;

// Calls f.template operator()<R>() for each record type, in the list's order.
template <class F>
void for_each_record_type(F&& f) {
  detail::Each<RecordTypes>::run(f);
}

// The same over every declared type, the inspection's included (what the store keeps).
template <class F>
void for_each_declared_record_type(F&& f) {
  detail::Each<DeclaredRecordTypes>::run(f);
}

// The same over everything the index keeps from a declaration (the content tables included).
template <class F>
void for_each_stored_type(F&& f) {
  detail::Each<StoredTypes>::run(f);
}

// Whether T is a protocol's record (KAGAMI_RECORD_TYPES), not the inspection's.
template <class T>
constexpr bool is_protocol_record_type() {
  return detail::Each<RecordTypes>::template index<T>() < RecordTypes::size;
}

// A record type's place in the list (a table of per-type state is indexed by it).
template <class T>
constexpr std::size_t record_type_index() {
  constexpr std::size_t i = detail::Each<RecordTypes>::index<T>();
  static_assert(i < RecordTypes::size, "not in KAGAMI_RECORD_TYPES");
  return i;
}
template <class T>
constexpr std::size_t declared_type_index() {
  constexpr std::size_t i = detail::Each<DeclaredRecordTypes>::index<T>();
  static_assert(i < DeclaredRecordTypes::size, "not a declared record type");
  return i;
}
template <class T>
constexpr std::size_t stored_type_index() {
  constexpr std::size_t i = detail::Each<StoredTypes>::index<T>();
  static_assert(i < StoredTypes::size, "not a type the index keeps");
  return i;
}

namespace detail {
struct IdFinder : FieldVisitor {
  std::string_view column;
  std::uint64_t id = 0;
  template <class T>
  void operator()(const T& v, const Field& f) {
    if constexpr (std::is_integral_v<T>)
      if (f.column_name() == column) id = static_cast<std::uint64_t>(v);
  }
};
}  // namespace detail

// The number that names a record (its RecordType::id_column).
template <class R>
std::uint64_t id_of(const R& r) {
  detail::IdFinder finder;
  finder.column = R::kType.id_column;
  R::describe(r, finder);
  return finder.id;
}

}  // namespace kagami::records
