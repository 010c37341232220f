#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/wire/progress.h"

namespace kagami::wire {

// Ways a message departs from what RFC 9112 asks, which browsers accept and inspection
// devices have been known to read differently (the HTTP-Evader kinds): a file delivered so may
// pass a scanner unseen. The parser decodes what a browser decodes and reports each trick.
enum HttpEvasion : std::uint32_t {
  kEvasionTransferEncoding = 1u << 0,  // Transfer-Encoding other than one exact "chunked"
  kEvasionChunkedHttp10 = 1u << 1,     // chunked on an HTTP/1.0 response (browsers ignore it)
  kEvasionHeaderSyntax = 1u << 2,      // blanks before a colon, lines that are not fields
  kEvasionFolding = 1u << 3,           // obs-fold continuation lines
  kEvasionLineEnds = 1u << 4,          // bare LF line ends in a head or a chunk line
  kEvasionContentLength = 1u << 5,     // several Content-Length values, agreeing or not
  kEvasionStatusLine = 1u << 6,        // a version other than HTTP/1.0 or HTTP/1.1
  kEvasionChunkSize = 1u << 7,         // chunk extensions, leading zeros, blanks
  kEvasionContentEncoding = 1u << 8,   // odd or stacked codings, raw deflate, unended streams
  kEvasionGzipHeader = 1u << 9,        // gzip members with FEXTRA, FCOMMENT or FHCRC
};
// "transfer_encoding", ...: the names search and JSON use (evasion:chunk_size).
std::vector<std::string> http_evasion_names(std::uint32_t evasions);

struct HttpField {
  std::string name;
  std::string value;
};

// A request line or status line and its header fields.
struct HttpHead {
  bool request = true;
  std::string method, target;  // requests
  std::string version;         // "HTTP/1.1"
  int status = 0;              // responses
  std::string reason;
  std::vector<HttpField> fields;
  std::size_t bytes = 0;          // of the whole head, CRLFs included
  bool fields_truncated = false;  // more fields than the bound: the rest were dropped
  std::uint32_t evasions = 0;     // HttpEvasion bits its head showed

  // The first field of that name (case-insensitive), or nullptr.
  const std::string* find(std::string_view name) const;
  // Every field of that name, joined with ", " as one list (RFC 9110 5.3).
  std::string joined(std::string_view name) const;
};

struct HttpLimits {
  std::size_t max_head_bytes = 64u << 10;
  std::size_t max_fields = 256;
  std::size_t max_chunk_line = 4096;  // chunk size and extensions
  std::size_t max_trailer_bytes = 16u << 10;
  std::size_t max_resync_scan = 1u << 20;  // bytes searched for the next message after a gap
};

class HttpEvents {
 public:
  virtual ~HttpEvents() = default;
  virtual void on_head(const HttpHead& head) = 0;
  virtual void on_body(ByteView bytes) = 0;  // transfer coding (chunking) removed
  virtual void on_body_gap(std::uint64_t bytes) = 0;
  // The message is over; `complete` is false when a gap or the end of the connection cut it.
  virtual void on_message_end(bool complete) = 0;
  // Something that is not HTTP; the parser stops (or resynchronizes after a gap).
  virtual void on_violation(std::string_view what) = 0;
  // Response side: the response begins without a status line and no request is known to
  // allow that. May the parser take it as an HTTP/0.9 simple response? (The analyzer checks
  // whether the other direction holds a simple request.)
  virtual bool simple_request_pending() { return false; }
  // A trick met after the head (in chunk lines): HttpEvasion bits.
  virtual void on_evasion(std::uint32_t evasions) { (void)evasions; }
};

// One direction of an HTTP/1.0 or 1.1 connection (RFC 9112): request heads and bodies, or
// response heads and bodies. Does no I/O: feed() takes bytes and calls the events.
//
// The response side must be told what each response answers, in order: a HEAD request's
// response has no body, and a CONNECT's 2xx turns the connection into a tunnel.
class Http1Parser {
 public:
  enum class Side { kRequests, kResponses };

  Http1Parser(Side side, const HttpLimits& limits, HttpEvents& events)
      : side_(side), limits_(limits), events_(events) {}

  Progress feed(ByteView data);
  // Bytes of this direction were lost. Inside a body of known length the body goes on;
  // anywhere else the parser searches for the next message start.
  void gap(std::uint64_t bytes);
  // The direction ended: a body delimited by the close ends here.
  void end();

  // `simple_allowed`: the request had no version, so the answer may be an HTTP/0.9 simple
  // response (the body alone, up to the close).
  void expect_response_to(std::string_view method, bool simple_allowed = false) {
    pending_.push_back(Pending{std::string(method), simple_allowed});
  }
  // Request side: a request line without a version and nothing after it yet is an HTTP/0.9
  // simple request once the response has begun; report it (on_head) and skip its bytes.
  bool take_simple_request();
  // The other direction agreed to a tunnel (CONNECT 2xx, 101): stop reading HTTP here too.
  void set_tunnel() {
    if (in_message()) finish_message(true);
    state_ = State::kTunnel;
  }
  // After a CONNECT's 2xx or a 101: the rest of the direction is not HTTP, and feed() leaves
  // it unconsumed.
  bool tunnel() const { return state_ == State::kTunnel; }
  bool failed() const { return state_ == State::kFailed; }
  // feed() returns after each head and at the end of each message, so a caller that edits
  // heads (the proxy's response filter) knows which bytes were a head.
  void pause_at_boundaries() { pause_ = true; }
  bool in_message() const { return state_ != State::kHead && state_ != State::kResync; }

 private:
  enum class State {
    kHead,
    kLengthBody,
    kChunkSize,
    kChunkData,
    kChunkEnd,
    kTrailers,
    kCloseBody,
    kTunnel,
    kResync,
    kFailed
  };

  Progress parse_head(ByteView data);
  Progress parse_chunk_size(ByteView data);
  Progress parse_trailers(ByteView data);
  Progress resync(ByteView data);
  void begin_body(const HttpHead& head);
  void finish_message(bool complete);
  void fail(std::string_view why);

  Side side_;
  HttpLimits limits_;
  HttpEvents& events_;
  State state_ = State::kHead;
  bool pause_ = false;
  std::uint64_t remaining_ = 0;  // of a Content-Length body or the current chunk
  std::size_t scanned_ = 0;      // resync: bytes searched so far
  struct Pending {
    std::string method;
    bool simple_allowed;
  };
  std::deque<Pending> pending_;
  HttpHead head_;
  std::size_t skip_ = 0;               // bytes of a simple request already reported
  std::size_t simple_line_bytes_ = 0;  // a version-less GET line waiting for what follows
  HttpHead simple_head_;
};

}  // namespace kagami::wire
