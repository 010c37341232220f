#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace kagami::console {

// Records (JSON objects) as a CSV table for spreadsheets (RFC 4180, CRLF lines): one column per
// field, in the order first met with the id and times first; lists joined with "; ", objects
// as JSON. It starts with a UTF-8 byte-order mark, without which spreadsheet programs read
// Japanese text as Shift_JIS. A text cell that a spreadsheet would run as a formula (=, +, -, @,
// tab, CR first) gets a leading apostrophe: recorded values are whatever a sender wrote.
std::string csv_table(const nlohmann::json& records);

}  // namespace kagami::console
