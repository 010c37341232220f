#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace kagami::records {

// Text off the wire in JSON. JSON strings are UTF-8 and traffic is not (a CP932 zip member
// name, an 8-bit header, a binary DNS TXT record); nlohmann::json throws when asked to write
// anything else, so every listing, API answer, alert and stored list goes through these.
//
// A string that is not UTF-8 is written with U+FFFD for each byte that is not, and its exact
// bytes in a sibling "<name>_raw" (base64): nothing fails, nothing is lost. In an array of
// strings, "<name>_raw" is an array beside it, null where the element was fine.
void make_json_safe(nlohmann::json& j);
// The JSON text of `j` made safe (a copy is made only when something needs escaping).
std::string dump_json(const nlohmann::json& j, int indent = -1);
// The string `key` of an object made by make_json_safe, its raw bytes if it had any.
std::string raw_string(const nlohmann::json& object, const char* key);

// A list of strings as stored in the index: a JSON array where a string that is not UTF-8 is
// {"raw": base64}. decode_string_list gives the exact strings back.
std::string encode_string_list(const std::vector<std::string>& list);
std::vector<std::string> decode_string_list(std::string_view text);

}  // namespace kagami::records
