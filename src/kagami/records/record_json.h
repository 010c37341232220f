#pragma once

#include <nlohmann/json_fwd.hpp>

#include "kagami/records/file_record.h"
#include "kagami/records/finding_record.h"
#include "kagami/records/record_types.h"
#include "kagami/records/session_record.h"

namespace kagami::records {

// The JSON contract of ../shared/DESIGN.md: core fields never change name; more may be added.
nlohmann::json to_json(const SessionRecord& s);
// A declared record: every field its declaration shows (record_schema.h).
template <class R>
requires requires { R::kType; }
nlohmann::json to_json(const R& r);
// A file as the investigator sees it: the object joined with one sighting.
nlohmann::json to_json(const FileRecord& f, const FileEvent& e);

}  // namespace kagami::records
