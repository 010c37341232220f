#include "kagami/wire/http2_parser.h"

#include <algorithm>

#include <nghttp2/nghttp2.h>

namespace kagami::wire {
namespace {

constexpr std::uint8_t kEndStream = 0x1;
constexpr std::uint8_t kAck = 0x1;
constexpr std::uint8_t kEndHeaders = 0x4;
constexpr std::uint8_t kPadded = 0x8;
constexpr std::uint8_t kPriority = 0x20;

}  // namespace

Http2FrameHeader read_http2_frame_header(const std::uint8_t* p) {
  Http2FrameHeader h;
  h.length = (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | p[2];
  h.type = p[3];
  h.flags = p[4];
  h.stream = load_be32(p + 5) & 0x7fffffffu;
  return h;
}

const std::string* Http2Headers::find(std::string_view name) const {
  for (const HttpField& f : fields)
    if (f.name == name) return &f.value;
  return nullptr;
}

struct Http2Parser::Inflater {
  nghttp2_hd_inflater* hd = nullptr;
  Inflater() {
    if (nghttp2_hd_inflate_new(&hd) != 0) hd = nullptr;
  }
  ~Inflater() {
    if (hd) nghttp2_hd_inflate_del(hd);
  }
};

Http2Parser::Http2Parser(Side side, const Http2Limits& limits, Http2Events& events,
                         bool expect_preface)
    : side_(side),
      limits_(limits),
      events_(events),
      state_(expect_preface && side == Side::kClient ? State::kPreface : State::kFrameHeader),
      hpack_(std::make_unique<Inflater>()) {
  hpack_broken_ = hpack_->hd == nullptr;
}

Http2Parser::~Http2Parser() = default;

void Http2Parser::fail(std::string_view what) {
  if (state_ == State::kFailed) return;
  state_ = State::kFailed;
  events_.on_violation(what);
}

Progress Http2Parser::feed(ByteView data) {
  std::size_t used = 0;
  while (used < data.size()) {
    const ByteView rest = data.subspan(used);
    switch (state_) {
      case State::kPreface: {
        const std::size_t n = std::min(rest.size(), kHttp2Preface.size());
        if (as_chars(rest.first(n)) != kHttp2Preface.substr(0, n)) {
          fail("http2.bad_preface");
          return {data.size(), 0};
        }
        if (n < kHttp2Preface.size()) return {used, kHttp2Preface.size()};
        used += n;
        state_ = State::kFrameHeader;
        break;
      }
      case State::kFrameHeader: {
        const Progress p = frame(rest);
        if (p.consumed == 0 && state_ == State::kFrameHeader) return {used, p.need};
        used += p.consumed;
        break;
      }
      case State::kData: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
        if (n > 0) events_.on_data(current_.stream, rest.first(n));
        used += n;
        remaining_ -= n;
        if (remaining_ == 0) {
          if (current_.flags & kEndStream) events_.on_end_stream(current_.stream);
          remaining_ = padding_;
          state_ = padding_ > 0 ? State::kSkip : State::kFrameHeader;
        }
        break;
      }
      case State::kSkip: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
        used += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kFrameHeader;
        break;
      }
      case State::kFailed:
        return {data.size(), 0};
    }
  }
  return {used, 0};
}

// At a frame boundary: read the header and either the whole frame (control frames) or the
// start of a DATA frame's payload.
Progress Http2Parser::frame(ByteView data) {
  if (data.size() < kHttp2FrameHeaderBytes) return {0, kHttp2FrameHeaderBytes};
  const Http2FrameHeader h = read_http2_frame_header(data.data());
  const auto type = static_cast<Http2Frame>(h.type);
  if (in_block_ && (type != Http2Frame::kContinuation || h.stream != block_.stream)) {
    fail("http2.continuation_expected");  // RFC 9113 6.10: nothing may come between
    return {data.size(), 0};
  }
  if (type == Http2Frame::kData) {
    if (h.stream == 0) {
      fail("http2.data_on_stream_0");
      return {data.size(), 0};
    }
    std::size_t head = kHttp2FrameHeaderBytes;
    std::uint32_t pad = 0;
    if (h.flags & kPadded) {
      if (h.length < 1) {
        fail("http2.bad_padding");
        return {data.size(), 0};
      }
      if (data.size() < head + 1) return {0, head + 1};
      pad = data[head];
      head += 1;
      if (pad + 1u > h.length) {
        fail("http2.bad_padding");
        return {data.size(), 0};
      }
    }
    events_.on_frame(h);
    current_ = h;
    remaining_ = h.length - (head - kHttp2FrameHeaderBytes) - pad;
    padding_ = pad;
    state_ = State::kData;
    if (remaining_ == 0) {
      if (h.flags & kEndStream) events_.on_end_stream(h.stream);
      remaining_ = padding_;
      state_ = padding_ > 0 ? State::kSkip : State::kFrameHeader;
    }
    return {head, 0};
  }
  if (h.length > limits_.max_frame_bytes) {
    events_.on_frame(h);
    if (type == Http2Frame::kHeaders || type == Http2Frame::kContinuation ||
        type == Http2Frame::kPushPromise) {
      // Its header block cannot be read, and so no later one (HPACK's table is lost).
      fail("http2.frame_limit");
      return {data.size(), 0};
    }
    events_.on_violation("http2.frame_limit");
    current_ = h;
    remaining_ = h.length;
    state_ = State::kSkip;
    return {kHttp2FrameHeaderBytes, 0};
  }
  const std::size_t total = kHttp2FrameHeaderBytes + h.length;
  if (data.size() < total) return {0, total};
  events_.on_frame(h);
  control_frame(h, data.subspan(kHttp2FrameHeaderBytes, h.length));
  return {state_ == State::kFailed ? data.size() : total, 0};
}

void Http2Parser::control_frame(const Http2FrameHeader& h, ByteView payload) {
  switch (static_cast<Http2Frame>(h.type)) {
    case Http2Frame::kHeaders:
    case Http2Frame::kPushPromise: {
      const bool push = h.type == static_cast<std::uint8_t>(Http2Frame::kPushPromise);
      if (h.stream == 0 || (push && side_ == Side::kClient)) {
        fail(push ? "http2.bad_push_promise" : "http2.headers_on_stream_0");
        return;
      }
      std::size_t off = 0, pad = 0;
      if (h.flags & kPadded) {
        if (payload.empty()) return fail("http2.bad_padding");
        pad = payload[0];
        off = 1;
      }
      std::uint32_t promised = 0;
      if (push) {
        if (payload.size() < off + 4) return fail("http2.bad_push_promise");
        promised = load_be32(payload.data() + off) & 0x7fffffffu;
        off += 4;
      } else if (h.flags & kPriority) {
        off += 5;
      }
      if (off + pad > payload.size()) return fail("http2.bad_padding");
      block_ = Http2Headers{};
      block_.stream = h.stream;
      block_.promised_stream = promised;
      block_.push_promise = push;
      block_.end_stream = !push && (h.flags & kEndStream);
      block_bytes_ = 0;
      list_bytes_ = 0;
      in_block_ = true;
      header_fragment(payload.subspan(off, payload.size() - off - pad), h.flags & kEndHeaders);
      return;
    }
    case Http2Frame::kContinuation:
      if (!in_block_) return fail("http2.unexpected_continuation");
      header_fragment(payload, h.flags & kEndHeaders);
      return;
    case Http2Frame::kRstStream:
      if (h.stream == 0 || payload.size() != 4) return fail("http2.bad_rst_stream");
      events_.on_rst_stream(h.stream, load_be32(payload.data()));
      return;
    case Http2Frame::kSettings:
      if (h.stream != 0 || payload.size() % 6 != 0) return fail("http2.bad_settings");
      if (h.flags & kAck) return;
      for (std::size_t i = 0; i < payload.size(); i += 6)
        events_.on_setting(load_be16(payload.data() + i), load_be32(payload.data() + i + 2));
      return;
    case Http2Frame::kGoaway:
      if (h.stream != 0 || payload.size() < 8) return fail("http2.bad_goaway");
      events_.on_goaway(load_be32(payload.data()) & 0x7fffffffu, load_be32(payload.data() + 4));
      return;
    case Http2Frame::kData:
    case Http2Frame::kPriority:
    case Http2Frame::kPing:
    case Http2Frame::kWindowUpdate:
      return;  // flow control and liveness: nothing an investigator reads
  }
  // Extension frames (RFC 9113 5.5) are ignored, as the protocol requires.
}

void Http2Parser::header_fragment(ByteView fragment, bool end_headers) {
  block_bytes_ += fragment.size();
  if (block_bytes_ > limits_.max_header_block_bytes) {
    fail("http2.header_block_limit");
    return;
  }
  while (!hpack_broken_) {
    nghttp2_nv nv;
    int flags = 0;
    const ssize_t rv = nghttp2_hd_inflate_hd2(hpack_->hd, &nv, &flags, fragment.data(),
                                              fragment.size(), end_headers ? 1 : 0);
    if (rv < 0) {
      hpack_broken_ = true;
      events_.on_violation("http2.hpack");
      break;
    }
    fragment = fragment.subspan(static_cast<std::size_t>(rv));
    if (flags & NGHTTP2_HD_INFLATE_EMIT) {
      list_bytes_ += nv.namelen + nv.valuelen + 32;
      if (list_bytes_ > limits_.max_header_list_bytes ||
          block_.fields.size() >= limits_.max_fields) {
        block_.truncated = true;
      } else {
        block_.fields.push_back(
            HttpField{std::string(reinterpret_cast<const char*>(nv.name), nv.namelen),
                      std::string(reinterpret_cast<const char*>(nv.value), nv.valuelen)});
      }
    }
    if (flags & NGHTTP2_HD_INFLATE_FINAL) {
      nghttp2_hd_inflate_end_headers(hpack_->hd);
      break;
    }
    if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && fragment.empty()) break;
  }
  if (!end_headers) return;
  in_block_ = false;
  if (hpack_broken_) block_.unreadable = true;
  if (table_pending_ > 0) {
    allow_header_table(table_pending_);
    table_pending_ = 0;
  }
  events_.on_headers(block_);
  block_.fields.clear();
}

void Http2Parser::allow_header_table(std::uint32_t bytes) {
  const std::uint32_t granted =
      static_cast<std::uint32_t>(std::min<std::size_t>(bytes, limits_.max_header_table_bytes));
  // Only growth is applied here: a smaller table is announced by the encoder itself in its
  // next block (a dynamic table size update), which the inflater follows.
  if (granted <= table_allowed_ || hpack_broken_) return;
  if (in_block_) {
    table_pending_ = std::max(table_pending_, granted);
    return;
  }
  if (nghttp2_hd_inflate_change_table_size(hpack_->hd, granted) == 0) table_allowed_ = granted;
}

void Http2Parser::gap(std::uint64_t bytes) {
  if (state_ == State::kData && bytes <= remaining_) {
    events_.on_data_gap(current_.stream, bytes);
    remaining_ -= bytes;
    if (remaining_ == 0) {
      if (current_.flags & kEndStream) events_.on_end_stream(current_.stream);
      remaining_ = padding_;
      state_ = padding_ > 0 ? State::kSkip : State::kFrameHeader;
    }
    return;
  }
  if (state_ == State::kSkip && bytes <= remaining_) {
    remaining_ -= bytes;
    if (remaining_ == 0) state_ = State::kFrameHeader;
    return;
  }
  fail("http2.gap");
}

}  // namespace kagami::wire
