#include "kagami/analyzers/websocket/websocket_messages.h"

#include <algorithm>
#include <string>

#include <zlib.h>

#include "kagami/base/ascii.h"

namespace kagami::analyzers {
namespace {

constexpr std::size_t kTextBytes = 4096;  // of a text message kept in its record

std::string opcode_name(std::uint8_t op) {
  switch (op) {
    case 0:
      return "continuation";
    case 1:
      return "text";
    case 2:
      return "binary";
    case 8:
      return "close";
    case 9:
      return "ping";
    case 10:
      return "pong";
    default:
      return std::to_string(op);
  }
}

// The first `max` bytes of `s`, cut back to a whole UTF-8 character.
std::string utf8_prefix(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  return s.substr(0, n);
}

}  // namespace

class WebSocketMessages::Reader final : public wire::WebSocketEvents {
 public:
  Reader(WebSocketMessages& a, bool client) : a_(a), client_(client), parser_(*this) {}
  ~Reader() override {
    if (z_ready_) inflateEnd(&z_);
  }
  void on_frame(const wire::WebSocketFrameHeader& h) override;
  void on_payload(ByteView bytes) override;
  void on_payload_gap(std::uint64_t bytes) override;
  void on_frame_end() override;
  void on_violation(std::string_view what) override;

  wire::WebSocketParser& parser() { return parser_; }
  void close();
  std::string held;  // feed_all: bytes the parser could not take yet

 private:
  struct Message {
    bool open = false;
    records::WebSocketRecord rec;
    std::string bytes;  // as framed (compressed), up to the bound
    bool over = false;  // bytes beyond the bound were not kept
  };
  void start(Message& m, const std::string& opcode, bool compressed);
  void finish(Message& m);
  bool inflate_message(Message& m, std::string& out);

  WebSocketMessages& a_;
  bool client_;
  wire::WebSocketParser parser_;
  wire::WebSocketFrameHeader frame_;
  Message data_, control_;
  z_stream z_{};
  bool z_ready_ = false;
};

WebSocketMessages::WebSocketMessages(SessionState& s, AnalyzerContext& cx, Origin origin)
    : s_(s),
      cx_(cx),
      origin_(std::move(origin)),
      client_(std::make_unique<Reader>(*this, true)),
      server_(std::make_unique<Reader>(*this, false)) {
  // "permessage-deflate; client_max_window_bits=15; server_no_context_takeover"
  std::string_view v = origin_.extensions;
  while (!v.empty()) {
    const auto semi = v.find(';');
    const std::string_view param = trim_field(v.substr(0, semi));
    if (iequals(param, "permessage-deflate")) deflate_ = true;
    if (iequals(param, "client_no_context_takeover")) no_takeover_[0] = true;
    if (iequals(param, "server_no_context_takeover")) no_takeover_[1] = true;
    if (semi == std::string_view::npos) break;
    v.remove_prefix(semi + 1);
    if (!v.empty() && v.front() == ',') break;  // a second, unused extension offer
  }
}

WebSocketMessages::~WebSocketMessages() = default;

wire::Progress WebSocketMessages::feed(bool client, TimeNs ts, ByteView bytes) {
  now_ = ts;
  return (client ? *client_ : *server_).parser().feed(bytes);
}

void WebSocketMessages::feed_all(bool client, TimeNs ts, ByteView bytes) {
  now_ = ts;
  Reader& d = client ? *client_ : *server_;
  ByteView data = bytes;
  if (!d.held.empty()) {
    d.held.append(as_chars(bytes));
    data = as_bytes(d.held);
  }
  const wire::Progress p = d.parser().feed(data);
  // The parser takes payload as it comes and leaves only a frame head (14 bytes at most).
  std::string rest(as_chars(data.subspan(std::min(p.consumed, data.size()))));
  d.held.swap(rest);
}

void WebSocketMessages::gap(bool client, TimeNs ts, std::uint64_t bytes) {
  now_ = ts;
  Reader& d = client ? *client_ : *server_;
  d.held.clear();
  d.parser().gap(bytes);
}

void WebSocketMessages::close(TimeNs ts) {
  now_ = ts;
  client_->close();
  server_->close();
}

void WebSocketMessages::Reader::start(Message& m, const std::string& opcode, bool compressed) {
  m = Message{};
  m.open = true;
  records::WebSocketRecord& r = m.rec;
  r.session_id = a_.s_.session_id;
  r.endpoints = a_.s_.endpoints;
  r.ts = a_.now_;
  r.sender = client_ ? "client" : "server";
  r.opcode = opcode;
  r.compressed = compressed;
  r.host = a_.origin_.host;
  r.uri = a_.origin_.uri;
  r.stream = a_.origin_.stream;
}

void WebSocketMessages::Reader::on_frame(const wire::WebSocketFrameHeader& h) {
  frame_ = h;
  if (h.control()) {
    start(control_, opcode_name(h.opcode), false);
  } else if (h.opcode != 0) {
    if (data_.open) {
      // A new message while one is unfinished (RFC 6455 5.4 forbids it): the old one ends.
      data_.rec.flags |= records::kWsPartial;
      finish(data_);
    }
    start(data_, opcode_name(h.opcode), h.rsv1 && a_.deflate_);
  } else if (!data_.open) {
    // A continuation of a message whose start was not seen (the capture began late).
    start(data_, "continuation", false);
    data_.rec.flags |= records::kWsPartial;
  }
  Message& m = h.control() ? control_ : data_;
  ++m.rec.frames;
  m.rec.wire += h.length;
}

void WebSocketMessages::Reader::on_payload(ByteView bytes) {
  Message& m = frame_.control() ? control_ : data_;
  const std::size_t bound = a_.cx_.limits->max_websocket_message_bytes;
  const std::size_t room = bound - std::min(m.bytes.size(), bound);
  if (bytes.size() > room) m.over = true;
  m.bytes.append(as_chars(bytes.first(std::min(room, bytes.size()))));
}

void WebSocketMessages::Reader::on_payload_gap(std::uint64_t) {
  Message& m = frame_.control() ? control_ : data_;
  m.rec.flags |= records::kWsPartial;
  m.over = true;  // what is kept is no longer the message
}

void WebSocketMessages::Reader::on_frame_end() {
  if (frame_.control())
    finish(control_);
  else if (frame_.fin)
    finish(data_);
}

void WebSocketMessages::Reader::on_violation(std::string_view what) {
  ++a_.cx_.counters->violations;
  a_.s_.analyzer_violation = true;
  (void)a_.cx_.log_once->first(what);
  for (Message* m : {&control_, &data_})
    if (m->open) m->rec.flags |= records::kWsMalformed;
}

void WebSocketMessages::Reader::close() {
  for (Message* m : {&control_, &data_}) {
    if (!m->open) continue;
    m->rec.flags |= records::kWsPartial;
    finish(*m);
  }
}

// The message's compressed bytes and the empty block RFC 7692 7.2.2 strips, through one
// direction's inflater; bounded.
bool WebSocketMessages::Reader::inflate_message(Message& m, std::string& out) {
  if (!z_ready_) {
    if (inflateInit2(&z_, -15) != Z_OK) return false;
    z_ready_ = true;
  }
  m.bytes.append("\x00\x00\xff\xff", 4);
  z_.next_in = reinterpret_cast<Bytef*>(m.bytes.data());
  z_.avail_in = static_cast<uInt>(m.bytes.size());
  const std::size_t bound = a_.cx_.limits->max_websocket_message_bytes;
  char buf[16384];
  bool ok = true;
  while (z_.avail_in > 0) {
    z_.next_out = reinterpret_cast<Bytef*>(buf);
    z_.avail_out = sizeof buf;
    const int rc = inflate(&z_, Z_SYNC_FLUSH);
    const std::size_t n = sizeof buf - z_.avail_out;
    m.rec.size += n;
    if (out.size() < bound) out.append(buf, std::min(n, bound - out.size()));
    if (m.rec.size > bound) {
      m.rec.flags |= records::kWsSizeLimit;  // a decompression bomb stops here
      break;
    }
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK) {
      ok = rc == Z_BUF_ERROR && n > 0;
      if (!ok) break;
    }
  }
  const bool no_takeover = a_.no_takeover_[client_ ? 0 : 1];
  if (no_takeover || !ok) inflateReset(&z_);
  return ok;
}

void WebSocketMessages::Reader::finish(Message& m) {
  m.open = false;
  records::WebSocketRecord& r = m.rec;
  auto& cx = a_.cx_;
  std::string payload;
  if (r.compressed && !m.over) {
    if (!inflate_message(m, payload)) r.flags |= records::kWsDecodeError;
  } else {
    if (r.compressed) r.flags |= records::kWsDecodeError;  // a hole or a cut: cannot inflate
    r.size = r.wire;
    payload.swap(m.bytes);
  }
  if (m.over) r.flags |= records::kWsSizeLimit;
  if (r.opcode == "close" && payload.size() >= 2) {
    r.close_code =
        (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
    r.text = utf8_prefix(payload.substr(2), kTextBytes);
  } else if (r.opcode == "text") {
    r.text = utf8_prefix(payload, kTextBytes);
  }
  r.id = cx.records->new_id<records::WebSocketRecord>();
  if (r.opcode == "binary" && payload.size() >= cx.limits->websocket_file_bytes &&
      cx.files != nullptr) {
    auto writer = cx.files->open();
    writer->write(as_bytes(payload));
    records::FileRecord file = writer->finish();
    records::FileEvent e;
    e.id = cx.records->new_file_event_id();
    e.session_id = r.session_id;
    e.endpoints = r.endpoints;
    e.ts = r.ts;
    e.protocol = "websocket";
    e.direction = client_ ? "sent" : "received";
    e.record_kind = "websocket";
    e.record_id = r.id;
    e.partial = (r.flags & (records::kWsPartial | records::kWsSizeLimit)) != 0;
    r.sha256 = file.sha256;
    ++cx.counters->files;
    cx.counters->file_bytes += file.size;
    cx.records->emit(std::move(file), std::move(e));
  }
  cx.records->emit(std::move(r));
  m.bytes.clear();
}

}  // namespace kagami::analyzers
