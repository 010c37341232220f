#pragma once

#include <string>
#include <string_view>

namespace kagami::analyzers {

// What HTTP/1 and HTTP/2 read the same way from a message's fields.

// The user of "Basic dXNlcjpwYXNz" (RFC 7617): what comes before the colon; empty if none.
std::string basic_user(const std::string* authorization);

// The object's name from a request target: its last path segment, decoded
// ("/a/b%20c.pdf?x" -> "b c.pdf").
std::string name_from_uri(std::string_view uri);

// The filename parameter of a Content-Disposition value; empty if none.
std::string disposition_name(const std::string* content_disposition);

}  // namespace kagami::analyzers
