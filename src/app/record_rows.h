#pragma once
// One line per record for the table output of the listings and of `kagami search`.

#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "kagami/records/file_record.h"
#include "kagami/records/record_types.h"
#include "kagami/records/session_record.h"

namespace kagami::app {

std::string endpoint(const IpAddress& ip, std::uint16_t port);
std::string join(const std::vector<std::string>& v, const char* sep = ",");
// Table cells are one line: control characters from the wire would break the table (or the
// terminal), so they are shown escaped.
std::string cell(std::string_view s, std::size_t max = 0);

// A protocol record's row, rendered from its type's declared columns (records::Column).
// The same declaration gives the console its columns.
struct CellValue {
  std::string_view name;
  const std::string* text = nullptr;
  const std::vector<std::string>* list = nullptr;
  const IpAddress* ip = nullptr;
  std::string number;  // an integer field, as written
  std::int64_t integer = 0;
  bool set = false;  // true, or not zero
};
std::string header_of(std::span<const records::Column> columns);
std::string row_of(std::span<const records::Column> columns, const std::vector<CellValue>& cells);

struct CellCollector : records::FieldVisitor {
  std::vector<CellValue> cells;
  template <class T>
  void operator()(const T& v, const records::Field& f) {
    if (!f.stored) return;
    CellValue c;
    c.name = f.name;
    if constexpr (std::is_integral_v<T>) {
      c.number = std::to_string(v);
      c.integer = static_cast<std::int64_t>(v);
      c.set = v != 0;
    } else if constexpr (std::is_same_v<T, std::string>) {
      c.text = &v;
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      c.list = &v;
    } else if constexpr (std::is_same_v<T, IpAddress>) {
      c.ip = &v;
    }
    cells.push_back(std::move(c));
  }
};

template <class R>
std::string header_of() {
  return header_of(R::kColumns);
}
template <class R>
std::string row_of(const R& r) {
  CellCollector c;
  R::describe(r, c);
  return row_of(R::kColumns, c.cells);
}

std::string sessions_header();
std::string session_row(const records::SessionRecord& r);
std::string files_header();
std::string files_row(const records::FileRecord& f, const records::FileEvent& e);

}  // namespace kagami::app
