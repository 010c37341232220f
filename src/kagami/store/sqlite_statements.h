#pragma once
// The index's prepared write statements, shared by its source files (not a public interface).

#include <array>

#include "kagami/records/record_types.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/sqlite_util.h"

namespace kagami::store {

struct SqliteIndex::Statements {
  sql::Stmt begin, commit, insert_locations, insert_text, doc_text_id, same_text;
  std::array<sql::Stmt, records::StoredTypes::size> insert_record;  // by stored_type_index
};

}  // namespace kagami::store
