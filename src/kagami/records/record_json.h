#pragma once

#include <nlohmann/json_fwd.hpp>

#include "kagami/records/session_record.h"

namespace kagami::records {

// The JSON contract of ../shared/DESIGN.md: core fields never change name; more may be added.
nlohmann::json to_json(const SessionRecord& s);

}  // namespace kagami::records
