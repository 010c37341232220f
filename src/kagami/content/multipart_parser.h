#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kagami/base/byte_view.h"

namespace kagami::content {

struct PartHeaders {
  std::vector<std::pair<std::string, std::string>> fields;
  const std::string* find(std::string_view name) const;  // case-insensitive
};

// A part that is a file of its own: it names one, or says it is something other than plain
// text. Other parts (a form's text fields) are read as the text of the body they are in, so
// nothing is inspected twice and a field keeps its name beside its value.
bool is_file_part(const PartHeaders& headers);

// The boundary of a multipart body that opens with its first delimiter ("--b\r\n"), or "".
std::string_view leading_boundary(std::string_view body);

class MultipartEvents {
 public:
  virtual ~MultipartEvents() = default;
  virtual void on_part_begin(const PartHeaders& headers) = 0;
  virtual void on_part_data(ByteView bytes) = 0;
  virtual void on_part_end(bool complete) = 0;
};

struct MultipartLimits {
  std::size_t max_part_header_bytes = 16u << 10;
  std::size_t max_parts = 10000;
};

// Streaming parser of a multipart body (RFC 2046 5.1; form uploads per RFC 7578): finds the
// parts between boundary delimiters without holding any part in memory.
class MultipartParser {
 public:
  MultipartParser(std::string_view boundary, const MultipartLimits& limits,
                  MultipartEvents& events);

  void feed(ByteView data);
  // The body ended (or was cut): an open part ends incomplete.
  void finish();
  bool failed() const { return state_ == State::kFailed; }
  std::size_t parts() const { return parts_; }

 private:
  enum class State { kPreamble, kHeaders, kBody, kAfterDelimiter, kEpilogue, kFailed };
  void process(bool at_end);

  std::string delimiter_;  // "\r\n--" + boundary
  MultipartLimits limits_;
  MultipartEvents& events_;
  State state_ = State::kPreamble;
  std::string pending_;  // unprocessed bytes (at most a delimiter's length of body)
  std::size_t parts_ = 0;
  bool in_part_ = false;
};

}  // namespace kagami::content
