#include "kagami/records/http_record.h"

#include <iterator>

#include "kagami/records/mail_record.h"

namespace kagami::records {

std::vector<std::string> http_flag_names(std::uint32_t flags) {
  static constexpr const char* kNames[] = {"no_response",  "partial", "decode_error", "body_limit",
                                           "connect",      "upgrade", "websocket",    "malformed",
                                           "header_limit", "reset",   "goaway",       "pushed",
                                           "trailers"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < std::size(kNames); ++i)
    if (flags & (1u << i)) out.emplace_back(kNames[i]);
  return out;
}

std::vector<std::string> mail_flag_names(std::uint32_t flags) {
  static constexpr const char* kNames[] = {"partial",       "headers_only", "size_limit",
                                           "mime_limit",    "malformed",    "body_truncated",
                                           "encoding_error"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < std::size(kNames); ++i)
    if (flags & (1u << i)) out.emplace_back(kNames[i]);
  return out;
}

}  // namespace kagami::records
