#pragma once
// What the console needs to show a kind of record without code of its own, derived from the
// record types' declarations (records/record_schema.h): each kind's title, its list's columns
// and the fields of its detail view, in English and Japanese. Served as /api/kinds.

#include <nlohmann/json_fwd.hpp>

namespace kagami::console {

const nlohmann::json& kinds_metadata();

}  // namespace kagami::console
