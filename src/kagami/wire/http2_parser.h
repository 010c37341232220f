#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/wire/http1_parser.h"
#include "kagami/wire/progress.h"

namespace kagami::wire {

// What a client sends first on an HTTP/2 connection (RFC 9113 3.4).
inline constexpr std::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

enum class Http2Frame : std::uint8_t {
  kData = 0,
  kHeaders = 1,
  kPriority = 2,
  kRstStream = 3,
  kSettings = 4,
  kPushPromise = 5,
  kPing = 6,
  kGoaway = 7,
  kWindowUpdate = 8,
  kContinuation = 9,
};
inline constexpr std::size_t kHttp2FrameHeaderBytes = 9;
inline constexpr std::uint16_t kHttp2SettingHeaderTableSize = 1;
inline constexpr std::uint16_t kHttp2SettingEnableConnectProtocol = 8;  // RFC 8441

struct Http2FrameHeader {
  std::uint32_t length = 0;
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::uint32_t stream = 0;
};
// The nine bytes at `p` as a frame header.
Http2FrameHeader read_http2_frame_header(const std::uint8_t* p);

struct Http2Limits {
  // A frame other than DATA is held whole before it is read; a larger one is skipped and
  // flagged (the protocol allows 16 MiB, no control frame needs more than a few KiB).
  std::size_t max_frame_bytes = 256u << 10;
  // One header block's decoded fields: bytes (name + value + 32 each, RFC 9113 6.5.2) and
  // count. Beyond them the block is still decompressed, to keep HPACK's table in step, but
  // the rest of its fields are dropped.
  std::size_t max_header_list_bytes = 64u << 10;
  std::size_t max_fields = 256;
  // The compressed bytes of one header block across its CONTINUATION frames: a block that
  // never ends (CVE-2024-27316) stops being read here.
  std::size_t max_header_block_bytes = 1u << 20;
  // The largest HPACK table a peer's SETTINGS may grant the encoder we decode.
  std::size_t max_header_table_bytes = 64u << 10;
};

// One header block, decoded: a HEADERS frame and its CONTINUATIONs, or a PUSH_PROMISE.
struct Http2Headers {
  std::uint32_t stream = 0;
  std::uint32_t promised_stream = 0;  // PUSH_PROMISE: the stream the server will push on
  bool push_promise = false;
  bool end_stream = false;
  bool truncated = false;         // fields beyond the bounds were dropped
  bool unreadable = false;        // HPACK could not decompress it (or an earlier block)
  std::vector<HttpField> fields;  // pseudo-fields (":method") first, as sent

  const std::string* find(std::string_view name) const;  // case-sensitive: h2 names are lower
};

class Http2Events {
 public:
  virtual ~Http2Events() = default;
  virtual void on_frame(const Http2FrameHeader& header) { (void)header; }
  virtual void on_headers(const Http2Headers& headers) = 0;
  virtual void on_data(std::uint32_t stream, ByteView bytes) = 0;  // padding removed
  virtual void on_data_gap(std::uint32_t stream, std::uint64_t bytes) = 0;
  virtual void on_end_stream(std::uint32_t stream) = 0;  // after DATA's END_STREAM
  virtual void on_rst_stream(std::uint32_t stream, std::uint32_t error_code) = 0;
  virtual void on_goaway(std::uint32_t last_stream, std::uint32_t error_code) = 0;
  virtual void on_setting(std::uint16_t id, std::uint32_t value) = 0;
  // Something that is not HTTP/2: the parser stops reading this direction.
  virtual void on_violation(std::string_view what) = 0;
};

// One direction of an HTTP/2 connection (RFC 9113): frames in, streams' header blocks and
// data out. Header blocks are decompressed with nghttp2's HPACK inflater, fed fragment by
// fragment, so a block is never held whole; DATA is passed on as it arrives, so a frame of
// any size needs no buffer. Does no I/O.
class Http2Parser {
 public:
  enum class Side { kClient, kServer };  // who sends the bytes this parser reads

  // `expect_preface`: the client side begins with the connection preface.
  Http2Parser(Side side, const Http2Limits& limits, Http2Events& events, bool expect_preface);
  ~Http2Parser();
  Http2Parser(const Http2Parser&) = delete;
  Http2Parser& operator=(const Http2Parser&) = delete;

  Progress feed(ByteView data);
  // Bytes were lost. Inside a DATA frame's payload the stream's body has a hole and the frames
  // go on; anywhere else frame boundaries or the HPACK table are gone and the direction stops.
  void gap(std::uint64_t bytes);
  // The other side's SETTINGS_HEADER_TABLE_SIZE: how large a table this side's encoder may use.
  void allow_header_table(std::uint32_t bytes);

  bool failed() const { return state_ == State::kFailed; }

 private:
  enum class State { kPreface, kFrameHeader, kData, kSkip, kFailed };

  Progress frame(ByteView data);
  void control_frame(const Http2FrameHeader& h, ByteView payload);
  void header_fragment(ByteView fragment, bool end_headers);
  void fail(std::string_view what);

  Side side_;
  const Http2Limits& limits_;
  Http2Events& events_;
  State state_;
  struct Inflater;
  std::unique_ptr<Inflater> hpack_;
  bool hpack_broken_ = false;  // a block could not be decompressed: every later one is unreadable
  std::uint32_t table_allowed_ = 4096;  // RFC 9113 6.5.2's initial SETTINGS_HEADER_TABLE_SIZE
  std::uint32_t table_pending_ = 0;     // granted while a block was open: applied after it

  // DATA being passed on, or a frame being skipped.
  Http2FrameHeader current_{};
  std::uint64_t remaining_ = 0;  // data bytes still to pass on, or bytes to skip
  std::uint32_t padding_ = 0;    // skipped after the data

  // A header block awaiting its CONTINUATIONs.
  bool in_block_ = false;
  Http2Headers block_;
  std::size_t block_bytes_ = 0;  // compressed
  std::size_t list_bytes_ = 0;   // decoded, as RFC 9113 counts them
};

}  // namespace kagami::wire
