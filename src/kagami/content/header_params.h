#pragma once

#include <map>
#include <string>
#include <string_view>

#include "kagami/base/utf8.h"

namespace kagami::content {

// A MIME-style header value with parameters, as in Content-Type and Content-Disposition:
// `form-data; name="file"; filename*=UTF-8''%E5%A0%B1%E5%91%8A.xlsx`.
struct HeaderValue {
  std::string value;                          // lower-cased ("form-data", "multipart/form-data")
  std::map<std::string, std::string> params;  // names lower-cased, values decoded to UTF-8

  const std::string* param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? nullptr : &it->second;
  }
};

// Parses quoted strings with escapes, RFC 2231 / RFC 5987 extended values (charset and
// percent-encoding) and continuations (name*0, name*1*, ...). Text in an unnamed charset is
// taken as UTF-8 when it is valid UTF-8, else as Shift_JIS (CP932), which Japanese Windows
// software sends raw.
HeaderValue parse_header_value(std::string_view text);

// Converts text in `charset` to UTF-8 (iconv); invalid sequences become U+FFFD.
std::string to_utf8(std::string_view text, std::string_view charset);
// "%41b%zz" -> "Ab%zz": %XX escapes undone (URIs, RFC 2231 values); a malformed one stays.
std::string percent_decode(std::string_view s);

}  // namespace kagami::content
