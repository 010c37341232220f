#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kagami/base/byte_view.h"

namespace kagami::console {

struct HttpRequestLimits {
  std::size_t max_head_bytes = 16 * 1024;   // request line and fields: 431 beyond
  std::size_t max_target_bytes = 8 * 1024;  // the request target: 414 beyond
  std::size_t max_fields = 100;             // 431 beyond
  std::size_t max_body_bytes = 64 * 1024;   // Content-Length or chunked, decoded: 413 beyond
};

// Reads one HTTP/1.1 request from a connection's bytes, strictly, for a server that must
// never disagree with a proxy in front of it about where a request ends (RFC 9112): CRLF line
// ends only, no obsolete line folding, no space before a field's colon, one Host, a
// Content-Length that is digits (repeated only with the same value), Transfer-Encoding only
// "chunked" and never beside Content-Length. Anything else is an error with the status to
// answer before the connection is closed. Bytes in, state out; no I/O.
//
// The request comes out normalized (normalized()): the request line, the fields but
// Transfer-Encoding, Content-Length and Expect, then a Content-Length of the decoded body and
// the body, so the routes behind read exactly one request and nothing of the next.
class HttpRequestReader {
 public:
  explicit HttpRequestReader(const HttpRequestLimits& limits) : limits_(limits) {}

  // Takes bytes, returns how many it used: it stops at the end of the request (done()) or at
  // an error (failed()); what it did not use belongs to the next request.
  std::size_t feed(ByteView bytes);

  bool started() const { return started_; }  // any byte of this request seen
  bool head_done() const { return state_ > State::kHead; }
  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kError; }
  int error_status() const { return error_status_; }  // 400, 413, 414, 431, 501, 505
  const std::string& error() const { return error_; }

  const std::string& method() const { return method_; }
  const std::string& target() const { return target_; }
  bool http10() const { return http10_; }
  // The client asked "Expect: 100-continue" and a body is coming.
  bool expects_continue() const { return expect_continue_; }
  // Whether the client wants the connection kept after this request.
  bool keep_alive() const { return keep_alive_; }
  std::string normalized() const;

  // Ready for the next request on the same connection.
  void reset();

 private:
  enum class State {
    kHead,
    kBody,       // Content-Length bytes
    kChunkSize,  // a chunk-size line
    kChunkData,  // its bytes
    kChunkEnd,   // the CRLF after them
    kTrailers,   // trailer fields after the last chunk, read and dropped
    kDone,
    kError,
  };
  bool fail(int status, std::string why);
  bool parse_head(std::string_view head);
  bool parse_field(std::string_view line);

  HttpRequestLimits limits_;
  State state_ = State::kHead;
  bool started_ = false;
  bool pending_cr_ = false;  // a CR of an empty line before the request
  bool request_line_done_ = false;
  std::size_t empty_lines_ = 0;
  int error_status_ = 0;
  std::string error_;
  std::string line_;  // bytes of the head (or of a chunk-size/trailer line) so far
  std::string method_, target_;
  bool http10_ = false, keep_alive_ = true, expect_continue_ = false;
  std::vector<std::pair<std::string, std::string>> fields_;
  std::uint64_t remaining_ = 0;  // of the Content-Length body or of the current chunk
  bool has_body_ = false;
  std::string body_;
  std::size_t trailer_bytes_ = 0;
};

}  // namespace kagami::console
