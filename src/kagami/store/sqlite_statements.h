#pragma once
// The index's prepared write statements, shared by its source files (not a public interface).

#include "kagami/store/sqlite_index.h"
#include "kagami/store/sqlite_util.h"

namespace kagami::store {

struct SqliteIndex::Statements {
  sql::Stmt begin, commit, insert_session, insert_locations, upsert_file, insert_http, insert_dns,
      insert_tls, insert_mail, insert_ftp, insert_file, insert_file_event, insert_finding,
      insert_alert, upsert_inspection, insert_text, doc_text_id;
};

}  // namespace kagami::store
