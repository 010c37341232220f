#include "kagami/proxy/http2_to_http1.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <string_view>

#include <nghttp2/nghttp2.h>

#include "kagami/base/ascii.h"
#include "kagami/proxy/alt_svc.h"
#include "kagami/wire/http1_parser.h"

namespace kagami::proxy {
namespace {

// Streams a client may open at once: as many as browsers expect of a server. Each waiting
// stream may hold up to its window (the default 64 KiB) of request body.
constexpr std::uint32_t kMaxStreams = 100;
// The stream whose request is on the server gets a wider window: its body flows straight on.
constexpr std::int32_t kActiveWindow = 1 << 20;
constexpr std::int32_t kConnectionWindow = 4 << 20;

std::string_view as_view(const std::uint8_t* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

nghttp2_nv make_nv(std::string_view name, std::string_view value) {
  // nghttp2 copies the names and values it is given (NGHTTP2_NV_FLAG_NONE).
  return {const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(name.data())),
          const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(value.data())),
          name.size(), value.size(), NGHTTP2_NV_FLAG_NONE};
}

bool valid_name(std::string_view n) {
  return nghttp2_check_header_name(reinterpret_cast<const std::uint8_t*>(n.data()), n.size()) != 0;
}
bool valid_value(std::string_view v) {
  return nghttp2_check_header_value(reinterpret_cast<const std::uint8_t*>(v.data()), v.size()) != 0;
}

// Fields that describe one HTTP/1 connection, not the message (RFC 9113 8.2.2): never sent
// in HTTP/2.
bool hop_by_hop(std::string_view lower) {
  return lower == "connection" || lower == "keep-alive" || lower == "proxy-connection" ||
         lower == "transfer-encoding" || lower == "upgrade" || lower == "te" ||
         lower == "proxy-authenticate" || lower == "http2-settings";
}

struct Stream {
  std::int32_t id = 0;
  // The request.
  std::string method, path, authority, host_field, cookies;
  std::vector<std::pair<std::string, std::string>> fields;
  std::string trailers;  // HTTP/1 trailer lines, for a chunked body
  std::size_t head_bytes = 0;
  bool has_length = false;         // the client gave Content-Length: its body goes as it is
  bool chunked = false;            // otherwise chunked on the server's leg
  bool queued = false;             // waiting for the server
  bool body_ended = false;         // the client's END_STREAM arrived
  bool request_sent = false;       // all of it is on the server's leg
  std::vector<std::uint8_t> body;  // request body not yet sent
  // The response.
  bool responded = false;   // its final head was submitted
  bool resp_ended = false;  // the server's message is over
  bool deferred = false;    // nghttp2 waits for more body (resume on arrival)
  std::vector<std::uint8_t> resp;
  std::size_t resp_off = 0;
  bool closed = false;  // nghttp2 closed the stream (done, or reset by the client)
};

class Bridge final : public Http2ToHttp1, private wire::HttpEvents {
 public:
  explicit Bridge(const Options& o)
      : options_(o), parser_(wire::Http1Parser::Side::kResponses, limits(o), *this) {
    parser_.pause_at_boundaries();
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
    nghttp2_option* opt = nullptr;
    nghttp2_option_new(&opt);
    // Windows open as the bodies reach the server, so a slow server slows its client.
    nghttp2_option_set_no_auto_window_update(opt, 1);
    nghttp2_session_server_new2(&session_, cb, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxStreams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(o.max_head_bytes)}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  }
  ~Bridge() override { nghttp2_session_del(session_); }
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;

  Status from_client(ByteView bytes, BridgeOutput& out) override {
    out_ = &out;
    const ssize_t n = nghttp2_session_mem_recv(session_, bytes.data(), bytes.size());
    send(out);
    if (n < 0)
      return make_error("the client broke HTTP/2: {}", nghttp2_strerror(static_cast<int>(n)));
    return {};
  }

  void from_server(ByteView bytes, BridgeOutput& out) override {
    out_ = &out;
    if (!server_broken_) {
      // The parser takes whole heads only: a head cut by the network waits here for the rest
      // (bounded by the parser's head limit).
      ByteView data = bytes;
      if (!in_.empty()) {
        in_.insert(in_.end(), bytes.begin(), bytes.end());
        data = ByteView(in_.data(), in_.size());
      }
      std::size_t off = 0;
      // The parser pauses at each head and message end, so each byte is known to belong to
      // the response of the request on the server.
      while (off < data.size() && !server_broken_) {
        if (active_ == nullptr) {
          on_violation("bytes no request asked for");
          break;
        }
        const wire::Progress p = parser_.feed(data.subspan(off));
        off += p.consumed;
        if (p.consumed == 0) break;
      }
      if (server_broken_ || off == data.size()) {
        in_.clear();
      } else if (data.data() == in_.data()) {
        in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(off));
      } else {
        in_.assign(data.begin() + static_cast<std::ptrdiff_t>(off), data.end());
      }
    }
    send(out);
  }

  void server_ended(BridgeOutput& out) override {
    out_ = &out;
    if (!server_broken_) parser_.end();
    // A response cut before its end: a client must not take it for whole.
    if (active_ != nullptr) fail_active(NGHTTP2_INTERNAL_ERROR);
    stop_server("");
    send(out);
  }

  bool server_done() const override { return server_stopped_ && active_ == nullptr; }
  bool finished() const override {
    return nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0;
  }
  std::size_t held_for_client() const override { return held_; }
  std::string take_server_error() override { return std::exchange(server_error_, {}); }

 private:
  static wire::HttpLimits limits(const Options& o) {
    wire::HttpLimits l;
    l.max_head_bytes = o.max_head_bytes;
    return l;
  }
  static Bridge& self(void* user) { return *static_cast<Bridge*>(user); }

  Stream* find(std::int32_t id) {
    const auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second.get();
  }

  void send(BridgeOutput& out) {
    const std::uint8_t* data = nullptr;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(session_, &data)) > 0)
      out.to_client.insert(out.to_client.end(), data, data + n);
    out_ = nullptr;
  }

  // --- The client's side (nghttp2 callbacks) ---

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    auto s = std::make_unique<Stream>();
    s->id = frame->hd.stream_id;
    self(user).streams_[s->id] = std::move(s);
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                       std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                       std::uint8_t, void* user) {
    Bridge& b = self(user);
    Stream* s = b.find(frame->hd.stream_id);
    if (s == nullptr || frame->hd.type != NGHTTP2_HEADERS) return 0;
    const std::string_view n = as_view(name, namelen), v = as_view(value, valuelen);
    s->head_bytes += namelen + valuelen + 4;
    // A field the server would read differently from the client (a line break in a value
    // is a second field, or a second request) never reaches it.
    if (n.empty() || s->head_bytes > b.options_.max_head_bytes || !valid_value(v) ||
        (n[0] != ':' && (!valid_name(n) || (hop_by_hop(n) && n != "te"))))
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // the stream is reset
    if (frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
      // Trailers: they follow a chunked body; a body of declared length has no place for them.
      if (s->chunked && n[0] != ':') s->trailers += std::string(n) + ": " + std::string(v) + "\r\n";
      return 0;
    }
    if (n == ":method") {
      s->method = v;
    } else if (n == ":path") {
      if (!nghttp2_check_path(value, valuelen)) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
      s->path = v;
    } else if (n == ":authority") {
      if (!nghttp2_check_authority(value, valuelen)) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
      s->authority = v;
    } else if (n[0] == ':') {
      // :scheme is implied by the leg (TLS); :protocol would be a WebSocket, not offered.
    } else if (n == "host") {
      if (!nghttp2_check_authority(value, valuelen)) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
      s->host_field = v;
    } else if (n == "cookie") {
      // HTTP/2 splits cookies into crumbs; HTTP/1 servers expect one field (RFC 9113 8.2.3).
      if (!s->cookies.empty()) s->cookies += "; ";
      s->cookies += v;
    } else if (n == "te") {
      // Only "trailers" is allowed, and an HTTP/1 server would not send them to us anyway.
    } else if (n == "proxy-authorization" && b.options_.consume_proxy_login &&
               s->method != "CONNECT") {  // pseudo-fields come first: the method is known
      ++b.logins_consumed_;
    } else {
      if (n == "content-length") s->has_length = true;
      s->fields.emplace_back(n, v);
    }
    return 0;
  }

  static int on_frame(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    Bridge& b = self(user);
    Stream* s = b.find(frame->hd.stream_id);
    if (s == nullptr) return 0;
    const bool end = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      if (end) s->body_ended = true;
      b.request_ready(*s);
    } else if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) && end) {
      s->body_ended = true;
    }
    b.pump();
    return 0;
  }

  static int on_data(nghttp2_session* session, std::uint8_t, std::int32_t id,
                     const std::uint8_t* data, std::size_t len, void* user) {
    Bridge& b = self(user);
    // The connection's window opens at once (each stream's own window bounds what waits);
    // the stream's opens as its bytes reach the server.
    nghttp2_session_consume_connection(session, len);
    Stream* s = b.find(id);
    if (s == nullptr || s->request_sent) return 0;
    s->body.insert(s->body.end(), data, data + len);
    return 0;
  }

  static int on_close(nghttp2_session*, std::int32_t id, std::uint32_t, void* user) {
    Bridge& b = self(user);
    Stream* s = b.find(id);
    if (s == nullptr) return 0;
    s->closed = true;
    b.held_ -= s->resp.size() - s->resp_off;
    s->resp.clear();
    s->resp_off = 0;
    if (s == b.active_) {
      // Reset while the server still reads its request: the rest of the body will never
      // come, and the server cannot be told where the request ends. Its connection is
      // done; the response already on the way is read and dropped.
      if (!s->request_sent) b.stop_server("");
      return 0;
    }
    if (const auto it = std::find(b.queue_.begin(), b.queue_.end(), id); it != b.queue_.end())
      b.queue_.erase(it);
    b.streams_.erase(id);
    b.maybe_goaway();
    return 0;
  }

  // The request's head is whole: checked, written as HTTP/1.1, queued for the server.
  void request_ready(Stream& s) {
    if (s.method == "CONNECT") {
      // A tunnel inside a stream (and RFC 8441 WebSockets, never offered) has no HTTP/1
      // request to become: refused as a server without it would.
      submit_status(s.id, 501);
      last_answered_ = std::max(last_answered_, s.id);
      return;
    }
    if (server_stopped_) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_REFUSED_STREAM);
      return;
    }
    s.chunked = !s.body_ended && !s.has_length;
    s.queued = true;
    queue_.push_back(s.id);
  }

  std::string request_head(const Stream& s) const {
    std::string h;
    h.reserve(s.head_bytes + 64);
    h += s.method;
    h += ' ';
    h += s.path;
    h += " HTTP/1.1\r\nHost: ";
    // :authority wins over a Host field (RFC 9113 8.3.1).
    h += !s.authority.empty()    ? s.authority
         : !s.host_field.empty() ? s.host_field
                                 : options_.default_authority;
    h += "\r\n";
    for (const auto& [n, v] : s.fields) {
      h += n;
      h += ": ";
      h += v;
      h += "\r\n";
    }
    if (!s.cookies.empty()) h += "cookie: " + s.cookies + "\r\n";
    if (s.chunked) {
      h += "transfer-encoding: chunked\r\n";
    } else if (!s.has_length && (s.method == "POST" || s.method == "PUT" || s.method == "PATCH")) {
      h += "content-length: 0\r\n";  // some servers refuse a body-less POST without it (411)
    }
    h += "\r\n";
    return h;
  }

  // Puts on the server's leg what may go now: the next request once the previous response
  // is over, and the body of the one in progress.
  void pump() {
    if (out_ == nullptr) return;
    while (active_ == nullptr) {
      if (queue_.empty() || server_stopped_) return;
      Stream* s = find(queue_.front());
      queue_.pop_front();
      if (s == nullptr) continue;
      s->queued = false;
      active_ = s;
      const std::string head = request_head(*s);
      out_->to_server.insert(out_->to_server.end(), head.begin(), head.end());
      parser_.expect_response_to(s->method);
      ++requests_;
      nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, s->id, kActiveWindow);
    }
    Stream& s = *active_;
    if (s.request_sent) return;
    if (!s.body.empty()) {
      if (s.chunked) {
        char size[24];
        const int n = std::snprintf(size, sizeof size, "%zx\r\n", s.body.size());
        out_->to_server.insert(out_->to_server.end(), size, size + n);
      }
      out_->to_server.insert(out_->to_server.end(), s.body.begin(), s.body.end());
      if (s.chunked) out_->to_server.insert(out_->to_server.end(), {'\r', '\n'});
      nghttp2_session_consume_stream(session_, s.id, s.body.size());
      s.body.clear();
    }
    if (s.body_ended) {
      if (s.chunked) {
        const std::string last = "0\r\n" + s.trailers + "\r\n";
        out_->to_server.insert(out_->to_server.end(), last.begin(), last.end());
      }
      s.request_sent = true;
    }
  }

  void submit_status(std::int32_t id, int status) {
    const std::string code = std::to_string(status);
    const nghttp2_nv nv[] = {make_nv(":status", code)};
    nghttp2_submit_response(session_, id, nv, 1, nullptr);
  }

  // No more requests for the server: its leg ends once the response in progress is read.
  // The streams it never saw are refused at once (REFUSED_STREAM: clients retry those on a
  // new connection, RFC 9113 8.7), and so is any the client opens from now on. GOAWAY waits
  // until the last answer is out: some clients (hyper-h2) take GOAWAY as the end of
  // everything, even of streams it allows to finish.
  void stop_server(std::string_view why) {
    if (!why.empty() && server_error_.empty()) server_error_ = why;
    if (server_stopped_) return;
    server_stopped_ = true;
    for (const std::int32_t id : queue_) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
      if (Stream* s = find(id)) s->queued = false;
    }
    queue_.clear();
    maybe_goaway();
  }

  void maybe_goaway() {
    if (!server_stopped_ || goaway_sent_ || active_ != nullptr) return;
    for (const auto& [id, s] : streams_)
      if (s->responded && !s->closed) return;
    goaway_sent_ = true;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, last_answered_, NGHTTP2_NO_ERROR, nullptr,
                          0);
  }

  // The response in progress cannot be completed: 502 when nothing of it was sent yet, else
  // a reset stream.
  void fail_active(std::uint32_t code) {
    Stream* s = active_;
    active_ = nullptr;
    if (s == nullptr) return;
    last_answered_ = std::max(last_answered_, s->id);
    if (!s->closed) {
      if (!s->responded) {
        submit_status(s->id, 502);
      } else {
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s->id, code);
      }
    }
    if (s->closed) streams_.erase(s->id);
    maybe_goaway();
  }

  // --- The server's side (Http1Parser events) ---

  void on_head(const wire::HttpHead& head) override {
    Stream* s = active_;
    if (s == nullptr) return;
    if (head.status >= 100 && head.status < 200) {
      // 100 Continue and 103 Early Hints are passed on as interim heads; a 101 was never
      // asked for (no Upgrade is sent).
      if (head.status == 101) return on_violation("the server switched protocols unasked");
      interim_ = true;  // its message end is not the response's
      if (!s->closed) submit_head(*s, head, /*final=*/false);
      return;
    }
    const std::string connection = head.joined("connection");
    bool keep_alive = head.version != "HTTP/1.0";
    for (const std::string_view m : list_members(connection)) {
      if (iequals(m, "close")) keep_alive = false;
      if (iequals(m, "keep-alive")) keep_alive = true;
    }
    if (!keep_alive) stop_server("");
    if (s->closed) return;
    s->responded = true;
    submit_head(*s, head, /*final=*/true);
  }

  void submit_head(Stream& s, const wire::HttpHead& head, bool final) {
    std::vector<std::pair<std::string, std::string>> kept;
    kept.reserve(head.fields.size() + 1);
    kept.emplace_back(":status", std::to_string(head.status));
    const std::string connection = head.joined("connection");
    const auto named = list_members(connection);
    const bool framed_by_length = head.find("transfer-encoding") == nullptr &&
                                  head.joined("content-length").find(',') == std::string::npos;
    for (const wire::HttpField& f : head.fields) {
      std::string name = ascii_lowered(f.name);
      if (hop_by_hop(name) || !valid_name(name) || !valid_value(f.value)) continue;
      if (std::any_of(named.begin(), named.end(),
                      [&](std::string_view m) { return iequals(m, name); }))
        continue;
      if (name == "content-length" && !framed_by_length) continue;
      std::string value = f.value;
      if (name == "alt-svc" && options_.strip_alt_svc) {
        if (auto edited = alt_svc_without_quic(value)) {
          ++stripped_;
          if (edited->empty()) continue;
          value = std::move(*edited);
        }
      }
      kept.emplace_back(std::move(name), std::move(value));
    }
    std::vector<nghttp2_nv> nv;
    nv.reserve(kept.size());
    for (const auto& [n, v] : kept) nv.push_back(make_nv(n, v));
    if (!final) {
      nghttp2_submit_headers(session_, NGHTTP2_FLAG_NONE, s.id, nullptr, nv.data(), nv.size(),
                             nullptr);
      return;
    }
    const bool bodiless = s.method == "HEAD" || head.status == 204 || head.status == 304;
    nghttp2_data_provider provider{};
    provider.read_callback = read_response;
    nghttp2_submit_response(session_, s.id, nv.data(), nv.size(), bodiless ? nullptr : &provider);
    if (bodiless) s.resp_ended = true;
  }

  static ssize_t read_response(nghttp2_session*, std::int32_t id, std::uint8_t* buf,
                               std::size_t length, std::uint32_t* flags, nghttp2_data_source*,
                               void* user) {
    Bridge& b = self(user);
    Stream* s = b.find(id);
    if (s == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    const std::size_t avail = s->resp.size() - s->resp_off;
    if (avail == 0 && !s->resp_ended) {
      s->deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    const std::size_t n = std::min(avail, length);
    if (n > 0) std::memcpy(buf, s->resp.data() + s->resp_off, n);
    s->resp_off += n;
    b.held_ -= n;
    if (s->resp_off == s->resp.size()) {
      s->resp.clear();
      s->resp_off = 0;
      if (s->resp_ended) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        b.response_sent(*s);
      }
    }
    return static_cast<ssize_t>(n);
  }

  // The response went out whole while the client was still sending its request (a server
  // that answers early, such as 413): the rest of the request is declined (RFC 9113 8.1).
  void response_sent(Stream& s) {
    if (!s.body_ended)
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, NGHTTP2_NO_ERROR);
  }

  void on_body(ByteView bytes) override {
    Stream* s = active_;
    if (s == nullptr || s->closed) return;  // a cancelled stream's answer is read and dropped
    s->resp.insert(s->resp.end(), bytes.begin(), bytes.end());
    held_ += bytes.size();
    resume(*s);
  }

  void on_body_gap(std::uint64_t) override {}  // a live connection has no gaps

  void on_message_end(bool complete) override {
    Stream* s = active_;
    if (std::exchange(interim_, false) || s == nullptr) return;
    if (!complete) return fail_active(NGHTTP2_INTERNAL_ERROR);
    // Answered before the whole request was sent: the server reads the rest as a next
    // request, so it gets none again.
    active_ = nullptr;
    last_answered_ = std::max(last_answered_, s->id);
    if (!s->request_sent) stop_server("");
    if (s->closed) {
      streams_.erase(s->id);
    } else if (s->responded) {
      s->resp_ended = true;
      resume(*s);
    }
    maybe_goaway();
    pump();
  }

  void on_violation(std::string_view what) override {
    server_broken_ = true;
    stop_server("the server's HTTP/1 is broken: " + std::string(what));
    fail_active(NGHTTP2_INTERNAL_ERROR);
  }

  void resume(Stream& s) {
    if (!s.deferred) return;
    s.deferred = false;
    nghttp2_session_resume_data(session_, s.id);
  }

  Options options_;
  wire::Http1Parser parser_;
  nghttp2_session* session_ = nullptr;
  BridgeOutput* out_ = nullptr;  // during a step
  std::map<std::int32_t, std::unique_ptr<Stream>> streams_;
  std::deque<std::int32_t> queue_;  // requests waiting for the server, in order
  Stream* active_ = nullptr;        // the request on the server, whose response is read
  std::int32_t last_answered_ = 0;  // the highest stream answered (GOAWAY's last stream)
  bool server_stopped_ = false;     // no request goes to the server again
  bool goaway_sent_ = false;
  bool server_broken_ = false;    // what it sends is not read any more
  bool interim_ = false;          // the message being read is a 1xx head
  std::vector<std::uint8_t> in_;  // the start of a head, waiting for the rest
  std::size_t held_ = 0;
  std::string server_error_;
};

}  // namespace

std::unique_ptr<Http2ToHttp1> Http2ToHttp1::make(const Options& options) {
  return std::make_unique<Bridge>(options);
}

}  // namespace kagami::proxy
