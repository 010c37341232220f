// HTTP/2 (RFC 9113): one HTTP record per stream, every body a file, DNS over HTTPS (RFC 8484)
// as DNS records. Frames and HPACK are read by wire::Http2Parser (nghttp2's inflater).
//
// Recognized by the client's connection preface, not by port, so h2c on any port and the h2
// the proxy decrypts are read alike; after an HTTP/1.1 "Upgrade: h2c" the upgraded request is
// stream 1 (RFC 7540 3.2).
#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "kagami/analyzers/analyzer.h"
#include "kagami/analyzers/body_extractor.h"
#include "kagami/analyzers/dns/dns_records.h"
#include "kagami/analyzers/http_fields.h"
#include "kagami/analyzers/websocket/websocket_messages.h"
#include "kagami/base/base64.h"
#include "kagami/content/header_params.h"
#include "kagami/wire/dns_message.h"
#include "kagami/wire/http1_parser.h"
#include "kagami/wire/http2_parser.h"

namespace kagami::analyzers {
namespace {

constexpr std::string_view kDnsMessage = "application/dns-message";

std::string value_of(const wire::Http2Headers& h, std::string_view name) {
  const std::string* v = h.find(name);
  return v ? *v : std::string();
}

bool is_dns_message(const std::string& content_type) {
  return content::parse_header_value(content_type).value == kDnsMessage;
}

// A DoH GET carries its query in the target: "/dns-query?dns=<base64url>" (RFC 8484 4.1).
std::optional<std::string> doh_get_query(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view param = rest.substr(0, amp);
    if (param.substr(0, 4) == "dns=") {
      std::string b64(param.substr(4));
      for (char& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
      while (b64.size() % 4 != 0) b64.push_back('=');
      auto decoded = base64_decode(b64);
      if (decoded) return std::move(*decoded);
      return std::nullopt;
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return std::nullopt;
}

class Http2Analyzer;

// One direction's frames, forwarded to the analyzer with the side they came from.
class Side final : public wire::Http2Events {
 public:
  Side(Http2Analyzer& a, bool client) : a_(a), client_(client) {}
  void on_frame(const wire::Http2FrameHeader& h) override;
  void on_headers(const wire::Http2Headers& h) override;
  void on_data(std::uint32_t stream, ByteView bytes) override;
  void on_data_gap(std::uint32_t stream, std::uint64_t bytes) override;
  void on_end_stream(std::uint32_t stream) override;
  void on_rst_stream(std::uint32_t stream, std::uint32_t error_code) override;
  void on_goaway(std::uint32_t last_stream, std::uint32_t error_code) override;
  void on_setting(std::uint16_t id, std::uint32_t value) override;
  void on_violation(std::string_view what) override;

 private:
  Http2Analyzer& a_;
  bool client_;
};

class Http2Analyzer final : public Analyzer {
 public:
  Http2Analyzer(SessionState& s, AnalyzerContext& cx)
      : s_(s),
        cx_(cx),
        client_events_(*this, true),
        server_events_(*this, false),
        client_(wire::Http2Parser::Side::kClient, cx.limits->http2, client_events_, true),
        server_(wire::Http2Parser::Side::kServer, cx.limits->http2, server_events_, false) {}

  wire::Progress on_data(Direction dir, TimeNs ts, ByteView bytes) override {
    now_ = ts;
    return (dir == Direction::kClientToServer ? client_ : server_).feed(bytes);
  }
  void on_gap(Direction dir, TimeNs ts, std::uint64_t bytes) override {
    now_ = ts;
    (dir == Direction::kClientToServer ? client_ : server_).gap(bytes);
  }
  void on_end(Direction, TimeNs ts) override { now_ = ts; }
  void on_close(TimeNs ts) override {
    now_ = ts;
    // Streams still open when the connection ended: what was seen of them is recorded.
    while (!streams_.empty()) {
      Stream& st = *streams_.begin()->second;
      if (!st.response_seen) st.rec.flags |= records::kHttpNoResponse;
      if ((st.request_seen && !st.request_done) || (st.response_seen && !st.response_done))
        st.rec.flags |= records::kHttpPartial;
      finish(streams_.begin());
    }
  }

  // A header block's time is its first frame's, however many CONTINUATIONs follow.
  void block_begins(bool client) { block_ts_[client ? 0 : 1] = now_; }

  // --- what the client sent ---
  void request_headers(const wire::Http2Headers& h) {
    Stream& st = stream(h.stream);
    if (st.request_seen) {
      st.rec.flags |= records::kHttpTrailers;
      if (h.end_stream) request_done(st);
      return;
    }
    st.request_seen = true;
    fill_request(st, h, false);
    if (h.end_stream)
      request_done(st);
    else if (!st.doh_request && !(st.rec.flags & records::kHttpWebSocket))
      st.request_body =
          make_body(st, h, "sent", st.rec.method == "PUT" ? name_from_uri(st.rec.uri) : "", true);
    after_change(h.stream);
  }

  // --- what the server sent ---
  void response_headers(const wire::Http2Headers& h) {
    if (h.push_promise) {
      // The server will answer a request nobody made: the promise carries that request.
      Stream& st = stream(h.promised_stream);
      st.request_seen = true;
      fill_request(st, h, true);
      st.rec.flags |= records::kHttpPushed;
      request_done(st);
      return;
    }
    Stream& st = stream(h.stream);
    if (!st.request_seen) {
      if (h.stream == 1 && s_.upgrade && s_.upgrade->protocol == "h2c") {
        // The HTTP/1.1 request that asked for the upgrade is stream 1's.
        const records::HttpRecord& up = s_.upgrade->request;
        st.rec.ts = up.ts;
        st.rec.method = up.method;
        st.rec.uri = up.uri;
        st.rec.host = up.host;
        st.rec.user_agent = up.user_agent;
        st.rec.referer = up.referer;
        st.rec.user = up.user;
        st.rec.req_content_type = up.req_content_type;
        st.request_seen = true;
      }
      request_done(st);  // unseen (the capture began late) or sent as HTTP/1.1
    }
    if (st.response_seen) {
      st.rec.flags |= records::kHttpTrailers;
      if (h.end_stream) response_done(st);
      after_change(h.stream);
      return;
    }
    const std::string status = value_of(h, ":status");
    int code = 0;
    for (char c : status) code = c >= '0' && c <= '9' && code < 1000 ? code * 10 + (c - '0') : code;
    if (code >= 100 && code < 200 && !h.end_stream) return;  // interim: 103 Early Hints
    st.response_seen = true;
    records::HttpRecord& r = st.rec;
    r.status = code;
    r.resp_ts = block_ts_[1];
    r.resp_content_type = value_of(h, "content-type");
    if (h.truncated) r.flags |= records::kHttpHeaderLimit;
    if (h.unreadable) r.flags |= records::kHttpMalformed;
    st.doh_response = is_dns_message(r.resp_content_type);
    if (h.end_stream) {
      response_done(st);
    } else if ((r.flags & records::kHttpWebSocket) && code >= 200 && code < 300) {
      // RFC 8441: the stream's DATA is now a WebSocket connection's frames, both ways.
      WebSocketMessages::Origin o;
      o.host = r.host;
      o.uri = r.uri;
      o.stream = h.stream;
      o.extensions = value_of(h, "sec-websocket-extensions");
      st.websocket = std::make_unique<WebSocketMessages>(s_, cx_, std::move(o));
      if (!st.websocket_early.empty())
        st.websocket->feed_all(true, now_, as_bytes(st.websocket_early));
      if (st.websocket_early_lost) st.websocket->gap(true, now_, 1);
      st.websocket_early.clear();
    } else if (!st.doh_response) {
      std::string name = disposition_name(h.find("content-disposition"));
      if (name.empty()) name = name_from_uri(r.uri);
      st.response_body = make_body(st, h, "received", std::move(name), false);
    }
    after_change(h.stream);
  }

  void data(bool client, std::uint32_t id, ByteView bytes) {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;  // its headers were never read (or it was evicted)
    Stream& st = *it->second;
    if (st.websocket) {
      st.websocket->feed_all(client, now_, bytes);
      (client ? st.rec.req_bytes : st.rec.resp_bytes) += bytes.size();
      return;
    }
    if (client && (st.rec.flags & records::kHttpWebSocket) && !st.response_seen) {
      // Frames before the server's answer (or read before it): kept until it says yes.
      st.rec.req_bytes += bytes.size();
      const std::size_t room = kEarlyWebSocketBytes - st.websocket_early.size();
      st.websocket_early.append(as_chars(bytes.first(std::min(room, bytes.size()))));
      if (bytes.size() > room) st.websocket_early_lost = true;
      return;
    }
    if (client) {
      st.rec.req_bytes += bytes.size();
      if (st.request_body) st.request_body->body(bytes);
      if (st.doh_request) append_dns(st.doh_query, bytes);
    } else {
      st.rec.resp_bytes += bytes.size();
      if (st.response_body) st.response_body->body(bytes);
      if (st.doh_response) append_dns(st.doh_answer, bytes);
    }
  }
  void data_gap(bool client, std::uint32_t id, std::uint64_t bytes) {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    Stream& st = *it->second;
    st.rec.flags |= records::kHttpPartial;
    auto& body = client ? st.request_body : st.response_body;
    if (body) body->gap(bytes);
    if (st.websocket) st.websocket->gap(client, now_, bytes);
    (client ? st.doh_query_lost : st.doh_answer_lost) = true;
  }
  void end_stream(bool client, std::uint32_t id) {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    client ? request_done(*it->second) : response_done(*it->second);
    after_change(id);
  }
  void reset(bool client, std::uint32_t id) {
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    Stream& st = *it->second;
    st.rec.flags |= records::kHttpReset;
    if (!st.response_seen) st.rec.flags |= records::kHttpNoResponse;
    if (client && !st.response_seen && ++resets_ > cx_.limits->max_http2_reset_records) {
      // Rapid reset: streams opened and cancelled by the thousand. Counted, not recorded.
      if (resets_ == cx_.limits->max_http2_reset_records + 1) {
        violation("http2.rapid_reset");
        s_.analyzer_limit = true;
      }
      st.dropped = true;
    }
    finish(it);
  }
  void goaway(std::uint32_t last_stream) { goaway_last_ = std::min(goaway_last_, last_stream); }
  void setting(bool client, std::uint16_t id, std::uint32_t value) {
    // A side's SETTINGS_HEADER_TABLE_SIZE sizes the table of the encoder that sends to it.
    if (id == wire::kHttp2SettingHeaderTableSize)
      (client ? server_ : client_).allow_header_table(value);
  }
  void violation(std::string_view what) {
    ++cx_.counters->violations;
    s_.analyzer_violation = true;
    (void)cx_.log_once->first(what);
  }

 private:
  struct Stream {
    records::HttpRecord rec;
    std::unique_ptr<BodyExtractor> request_body, response_body;
    std::vector<ExtractedFile> files;
    bool request_seen = false, request_done = false;
    bool response_seen = false, response_done = false;
    bool doh_request = false, doh_response = false;
    bool doh_query_lost = false, doh_answer_lost = false;
    std::string doh_query, doh_answer;             // DNS messages, bounded
    bool dropped = false;                          // counted in a flood, not recorded
    std::uint32_t evasions = 0;                    // wire::HttpEvasion bits of its content codings
    std::unique_ptr<WebSocketMessages> websocket;  // an extended CONNECT's, once accepted
    std::string websocket_early;                   // its client's frames before that
    bool websocket_early_lost = false;
  };
  static constexpr std::size_t kEarlyWebSocketBytes = 64u << 10;
  using Streams = std::map<std::uint32_t, std::unique_ptr<Stream>>;

  Stream& stream(std::uint32_t id) {
    auto it = streams_.find(id);
    if (it != streams_.end()) return *it->second;
    if (streams_.size() >= cx_.limits->max_http2_streams) {
      // More streams open than the bound: the oldest is recorded as it stands.
      ++cx_.counters->buffer_limit;
      s_.analyzer_limit = true;
      streams_.begin()->second->rec.flags |= records::kHttpPartial;
      finish(streams_.begin());
    }
    auto st = std::make_unique<Stream>();
    records::HttpRecord& r = st->rec;
    r.id = cx_.records->new_id<records::HttpRecord>();
    r.session_id = s_.session_id;
    r.endpoints = s_.endpoints;
    r.ts = now_;
    r.version = "HTTP/2";
    r.stream = id;
    return *streams_.emplace(id, std::move(st)).first->second;
  }

  void fill_request(Stream& st, const wire::Http2Headers& h, bool promised) {
    records::HttpRecord& r = st.rec;
    r.ts = block_ts_[promised ? 1 : 0];
    r.method = value_of(h, ":method");
    r.uri = value_of(h, ":path");
    r.host = value_of(h, ":authority");
    if (r.host.empty()) r.host = value_of(h, "host");
    r.user_agent = value_of(h, "user-agent");
    r.referer = value_of(h, "referer");
    r.req_content_type = value_of(h, "content-type");
    r.user = basic_user(h.find("authorization"));
    if (r.user.empty()) r.user = basic_user(h.find("proxy-authorization"));
    if (h.truncated) r.flags |= records::kHttpHeaderLimit;
    if (h.unreadable) r.flags |= records::kHttpMalformed;
    if (r.method == "CONNECT") {
      // RFC 8441's extended CONNECT names what the stream becomes (":protocol: websocket").
      r.flags |= records::kHttpConnect;
      if (value_of(h, ":protocol") == "websocket") r.flags |= records::kHttpWebSocket;
    }
    if (!promised) {
      if (!r.user.empty() && s_.user.empty()) s_.user = r.user;
      if (!r.host.empty() && s_.host.empty()) s_.host = r.host;
    }
    st.doh_request = is_dns_message(r.req_content_type);
    if (r.method == "GET") {
      if (auto q = doh_get_query(r.uri)) {
        st.doh_request = true;
        append_dns(st.doh_query, as_bytes(*q));
      }
    }
  }

  std::unique_ptr<BodyExtractor> make_body(const Stream& st, const wire::Http2Headers& h,
                                           const char* direction, std::string name, bool request) {
    BodyExtractor::Meta m;
    m.session_id = s_.session_id;
    m.endpoints = s_.endpoints;
    m.ts = now_;
    m.protocol = "http";
    m.direction = direction;
    m.name = std::move(name);
    m.claimed_type = request ? st.rec.req_content_type : st.rec.resp_content_type;
    m.content_encoding = value_of(h, "content-encoding");
    if (request) m.multipart_boundary = multipart_boundary(m.claimed_type);
    return std::make_unique<BodyExtractor>(cx_, std::move(m));
  }

  void append_dns(std::string& to, ByteView bytes) {
    const std::size_t room =
        cx_.limits->max_dns_message_bytes - std::min(to.size(), cx_.limits->max_dns_message_bytes);
    to.append(as_chars(bytes.first(std::min(room, bytes.size()))));
  }

  void request_done(Stream& st) { st.request_done = true; }
  void response_done(Stream& st) { st.response_done = true; }
  void after_change(std::uint32_t id) {
    auto it = streams_.find(id);
    if (it != streams_.end() && it->second->request_done && it->second->response_done) finish(it);
  }

  void collect(Stream& st, std::unique_ptr<BodyExtractor>& body, bool complete) {
    if (!body) return;
    auto files = body->finish(complete);
    if (body->decode_error()) st.rec.flags |= records::kHttpDecodeError;
    if (body->limit_hit()) st.rec.flags |= records::kHttpBodyLimit;
    st.evasions |= body->evasions();
    for (auto& f : files) st.files.push_back(std::move(f));
    body.reset();
  }

  void finish(Streams::iterator it) {
    std::unique_ptr<Stream> st = std::move(it->second);
    streams_.erase(it);
    if (st->websocket) st->websocket->close(now_);
    if (st->dropped) return;
    records::HttpRecord& r = st->rec;
    if (r.stream > goaway_last_) r.flags |= records::kHttpGoaway;
    collect(*st, st->request_body, st->request_done);
    collect(*st, st->response_body, st->response_done);
    if (st->doh_request || st->doh_response) dns_over_https(*st);
    r.evasion = wire::http_evasion_names(st->evasions);
    for (ExtractedFile& f : st->files) {
      f.event.id = cx_.records->new_file_event_id();
      f.event.record_kind = "http";
      f.event.record_id = r.id;
      r.files.push_back(f.file.sha256);
      cx_.records->emit(std::move(f.file), std::move(f.event));
    }
    cx_.records->emit(std::move(r));
  }

  // The stream's DNS query and answer as one DNS record, marked as carried by HTTPS.
  void dns_over_https(const Stream& st) {
    std::optional<wire::DnsMessage> query, answer;
    if (!st.doh_query.empty() && !st.doh_query_lost) {
      auto parsed = wire::parse_dns(as_bytes(st.doh_query));
      if (parsed)
        query = std::move(parsed.value());
      else
        violation(parsed.error().message);
    }
    if (!st.doh_answer.empty() && !st.doh_answer_lost) {
      auto parsed = wire::parse_dns(as_bytes(st.doh_answer));
      if (parsed)
        answer = std::move(parsed.value());
      else
        violation(parsed.error().message);
    }
    if (!query && !answer) return;
    records::DnsRecord d;
    d.id = cx_.records->new_id<records::DnsRecord>();
    d.session_id = s_.session_id;
    d.endpoints = s_.endpoints;
    d.ts = st.rec.ts;
    d.via = "https";
    record_query(d, query ? *query : *answer);
    if (answer) record_response(d, *answer, cx_.names, st.rec.resp_ts);
    cx_.records->emit(std::move(d));
  }

  SessionState& s_;
  AnalyzerContext& cx_;
  Side client_events_, server_events_;
  wire::Http2Parser client_, server_;
  Streams streams_;
  std::uint32_t goaway_last_ = 0x7fffffffu;
  std::size_t resets_ = 0;
  TimeNs now_ = 0;
  TimeNs block_ts_[2] = {0, 0};  // the client's and the server's header block being read
};

void Side::on_frame(const wire::Http2FrameHeader& h) {
  if (h.type == static_cast<std::uint8_t>(wire::Http2Frame::kHeaders) ||
      h.type == static_cast<std::uint8_t>(wire::Http2Frame::kPushPromise))
    a_.block_begins(client_);
}
void Side::on_headers(const wire::Http2Headers& h) {
  client_ ? a_.request_headers(h) : a_.response_headers(h);
}
void Side::on_data(std::uint32_t stream, ByteView bytes) { a_.data(client_, stream, bytes); }
void Side::on_data_gap(std::uint32_t stream, std::uint64_t bytes) {
  a_.data_gap(client_, stream, bytes);
}
void Side::on_end_stream(std::uint32_t stream) { a_.end_stream(client_, stream); }
void Side::on_rst_stream(std::uint32_t stream, std::uint32_t) { a_.reset(client_, stream); }
void Side::on_goaway(std::uint32_t last_stream, std::uint32_t) { a_.goaway(last_stream); }
void Side::on_setting(std::uint16_t id, std::uint32_t value) { a_.setting(client_, id, value); }
void Side::on_violation(std::string_view what) { a_.violation(what); }

// The client's connection preface, or an HTTP/1.1 connection that switched to h2c.
Verdict detect(const DetectInput& in) {
  if (in.transport != 6) return Verdict::kNo;
  if (in.session != nullptr && in.session->upgrade && in.session->upgrade->protocol == "h2c")
    return Verdict::kYes;
  const std::string_view c = as_chars(in.c2s);
  const std::size_t n = std::min(c.size(), wire::kHttp2Preface.size());
  if (c.substr(0, n) != wire::kHttp2Preface.substr(0, n)) return Verdict::kNo;
  return n == wire::kHttp2Preface.size() ? Verdict::kYes : Verdict::kMaybe;
}

std::unique_ptr<Analyzer> create(SessionState& s, AnalyzerContext& cx) {
  return std::make_unique<Http2Analyzer>(s, cx);
}

}  // namespace

extern const AnalyzerSpec kHttp2Analyzer{"http2", detect, create};

}  // namespace kagami::analyzers
