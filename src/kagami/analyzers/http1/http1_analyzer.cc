// HTTP/1.0 and 1.1 (RFC 9110, RFC 9112): one record per transaction, every body a file.
#include <cctype>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "kagami/analyzers/analyzer.h"
#include "kagami/analyzers/body_extractor.h"
#include "kagami/analyzers/http_fields.h"
#include "kagami/base/ascii.h"
#include "kagami/wire/http1_parser.h"

namespace kagami::analyzers {
namespace {

std::string field(const wire::HttpHead& h, std::string_view name) {
  const std::string* v = h.find(name);
  return v ? *v : std::string();
}

class Http1Analyzer;

// One direction's parser events, forwarded to the analyzer.
class Side final : public wire::HttpEvents {
 public:
  Side(Http1Analyzer& a, bool requests) : a_(a), requests_(requests) {}
  void on_head(const wire::HttpHead& head) override;
  void on_body(ByteView bytes) override;
  void on_body_gap(std::uint64_t bytes) override;
  void on_message_end(bool complete) override;
  void on_violation(std::string_view what) override;
  void on_evasion(std::uint32_t bits) override;
  bool simple_request_pending() override;

 private:
  Http1Analyzer& a_;
  bool requests_;
};

class Http1Analyzer final : public Analyzer {
 public:
  Http1Analyzer(SessionState& s, AnalyzerContext& cx)
      : s_(s),
        cx_(cx),
        req_events_(*this, true),
        resp_events_(*this, false),
        req_(wire::Http1Parser::Side::kRequests, cx.limits->http, req_events_),
        resp_(wire::Http1Parser::Side::kResponses, cx.limits->http, resp_events_) {}

  wire::Progress on_data(Direction dir, TimeNs ts, ByteView bytes) override {
    now_ = ts;
    const wire::Progress p =
        dir == Direction::kClientToServer ? req_.feed(bytes) : resp_.feed(bytes);
    if (tunnel_pending_) {
      // CONNECT succeeded or a 101 switched protocols: the rest of both directions is
      // something else (TLS, h2c, WebSocket).
      tunnel_pending_ = false;
      s_.redetect = true;
    }
    return p;
  }
  void on_gap(Direction dir, TimeNs ts, std::uint64_t bytes) override {
    now_ = ts;
    (dir == Direction::kClientToServer ? req_ : resp_).gap(bytes);
  }
  void on_end(Direction dir, TimeNs ts) override {
    now_ = ts;
    (dir == Direction::kClientToServer ? req_ : resp_).end();
  }
  // HTTP over UDP (SSDP's HTTPU, RFC-less but everywhere): each datagram is one message head.
  void on_datagram(Direction dir, TimeNs ts, ByteView payload) override {
    (void)dir;
    now_ = ts;
    struct Head final : wire::HttpEvents {
      std::optional<wire::HttpHead> head;
      void on_head(const wire::HttpHead& h) override { head = h; }
      void on_body(ByteView) override {}
      void on_body_gap(std::uint64_t) override {}
      void on_message_end(bool) override {}
      void on_violation(std::string_view) override {}
    } events;
    const bool request = as_chars(payload).substr(0, 5) != "HTTP/";
    wire::Http1Parser parser(
        request ? wire::Http1Parser::Side::kRequests : wire::Http1Parser::Side::kResponses,
        cx_.limits->http, events);
    (void)parser.feed(payload);
    if (!events.head) {
      ++cx_.counters->violations;
      return;
    }
    records::HttpRecord r;
    r.id = cx_.records->new_id<records::HttpRecord>();
    r.session_id = s_.session_id;
    r.endpoints = s_.endpoints;
    r.ts = ts;
    const wire::HttpHead& h = *events.head;
    r.version = h.version;
    if (request) {
      r.method = h.method;
      r.uri = h.target;
      r.host = field(h, "Host");
      r.user_agent = field(h, "User-Agent");
    } else {
      r.status = h.status;
      r.resp_ts = ts;
      r.flags |= records::kHttpNoResponse;  // an answer without its question, by design of HTTPU
    }
    cx_.records->emit(std::move(r));
  }

  void on_close(TimeNs ts) override {
    now_ = ts;
    req_.end();
    resp_.end();
    // Requests never answered are recorded too.
    while (!open_.empty())
      finish_transaction(open_.front()->response_seen ? 0u
                                                      : std::uint32_t{records::kHttpNoResponse});
  }

  // --- request side ---
  void request_head(const wire::HttpHead& h) {
    if (open_.size() >= cx_.limits->max_pipelined_requests)
      finish_transaction(records::kHttpNoResponse);
    auto t = std::make_unique<Transaction>();
    records::HttpRecord& r = t->rec;
    r.id = cx_.records->new_id<records::HttpRecord>();
    r.session_id = s_.session_id;
    r.endpoints = s_.endpoints;
    r.ts = now_;
    r.method = h.method;
    r.uri = h.target;
    r.version = h.version;
    r.host = field(h, "Host");
    r.user_agent = field(h, "User-Agent");
    r.referer = field(h, "Referer");
    r.req_content_type = field(h, "Content-Type");
    r.user = basic_user(h.find("Authorization"));
    if (r.user.empty()) r.user = basic_user(h.find("Proxy-Authorization"));
    if (h.fields_truncated) r.flags |= records::kHttpHeaderLimit;
    t->evasions |= h.evasions;
    if (!r.user.empty() && s_.user.empty()) s_.user = r.user;
    if (!r.host.empty() && s_.host.empty()) s_.host = r.host;
    t->request_body =
        make_body(h, "sent", r.method == "PUT" ? name_from_uri(r.uri) : std::string(), true);
    resp_.expect_response_to(h.method, h.version.empty() || h.version == "HTTP/0.9");
    request_ = t.get();
    open_.push_back(std::move(t));
  }
  void request_body(ByteView b) {
    if (request_ && request_->request_body) request_->request_body->body(b);
    if (request_) request_->rec.req_bytes += b.size();
  }
  void request_gap(std::uint64_t n) {
    if (request_ && request_->request_body) request_->request_body->gap(n);
    if (request_) request_->rec.flags |= records::kHttpPartial;
  }
  void request_end(bool complete) {
    if (request_ == nullptr) return;
    if (request_->request_body) collect(*request_, *request_->request_body, complete);
    request_->request_body.reset();
    if (!complete) request_->rec.flags |= records::kHttpPartial;
    request_ = nullptr;
    finish_answered();  // its response may have ended first (an early answer, 413 or 200)
  }

  // --- response side ---
  void response_head(const wire::HttpHead& h) {
    if (h.status >= 100 && h.status < 200 && h.status != 101) return;  // interim: 100 Continue
    Transaction* t = nullptr;
    for (auto& o : open_)
      if (!o->response_seen) {
        t = o.get();
        break;
      }
    if (t == nullptr) {
      // A response to a request we did not see (the capture began mid-connection) or could
      // not read (then the record says so).
      auto orphan = std::make_unique<Transaction>();
      orphan->rec.id = cx_.records->new_id<records::HttpRecord>();
      orphan->rec.session_id = s_.session_id;
      orphan->rec.endpoints = s_.endpoints;
      orphan->rec.ts = now_;
      if (unreadable_request_) orphan->rec.flags |= records::kHttpMalformed;
      unreadable_request_ = false;
      t = orphan.get();
      open_.push_back(std::move(orphan));
    }
    t->response_seen = true;
    records::HttpRecord& r = t->rec;
    r.status = h.status;
    r.resp_ts = now_;
    r.resp_content_type = field(h, "Content-Type");
    if (r.version.empty()) r.version = h.version;
    if (h.fields_truncated) r.flags |= records::kHttpHeaderLimit;
    t->evasions |= h.evasions;
    std::string name = disposition_name(h.find("Content-Disposition"));
    if (name.empty()) name = name_from_uri(r.uri);
    if (h.status == 101) {
      // What follows is another protocol (h2c, WebSocket): it is handed the request and the
      // response, and the rest of both directions.
      r.flags |= records::kHttpUpgrade;
      const std::string* up = h.find("Upgrade");
      if (up && iequals(*up, "websocket")) r.flags |= records::kHttpWebSocket;
      req_.set_tunnel();
      s_.upgrade = Upgrade{up ? ascii_lowered(trim_field(*up)) : std::string(), r, h};
      tunnel_pending_ = true;
    } else if (r.method == "CONNECT" && h.status >= 200 && h.status < 300) {
      r.flags |= records::kHttpConnect;
      req_.set_tunnel();
      tunnel_pending_ = true;
    }
    t->response_body = make_body(h, "received", name, false);
    response_ = t;
  }
  void response_body(ByteView b) {
    if (response_ && response_->response_body) response_->response_body->body(b);
    if (response_) response_->rec.resp_bytes += b.size();
  }
  void response_gap(std::uint64_t n) {
    if (response_ && response_->response_body) response_->response_body->gap(n);
    if (response_) response_->rec.flags |= records::kHttpPartial;
  }
  void response_end(bool complete) {
    if (response_ == nullptr) return;
    Transaction* t = response_;
    response_ = nullptr;
    if (t->response_body) collect(*t, *t->response_body, complete);
    t->response_body.reset();
    if (!complete) t->rec.flags |= records::kHttpPartial;
    t->response_done = true;
    finish_answered();
  }

  // Transactions leave in order once their response is over. Responses come in request
  // order, so those before an answered one got none. One whose request body is still
  // arriving (the server answered early) waits for it: the upload is still evidence.
  void finish_answered() {
    std::size_t answered = 0;
    for (std::size_t i = 0; i < open_.size(); ++i)
      if (open_[i]->response_done) answered = i + 1;
    for (; answered > 0 && open_.front().get() != request_; --answered)
      finish_transaction(open_.front()->response_seen ? 0u
                                                      : std::uint32_t{records::kHttpNoResponse});
  }

  bool simple_request_pending() { return req_.take_simple_request(); }

  void evasion(std::uint32_t bits, bool requests) {
    if (Transaction* t = requests ? request_ : response_) t->evasions |= bits;
  }

  void violation(std::string_view what, bool requests) {
    ++cx_.counters->violations;
    s_.analyzer_violation = true;
    (void)cx_.log_once->first(what);  // counted per kind; the recorder reports them
    Transaction* t = requests ? request_ : response_;
    if (t) t->rec.flags |= records::kHttpMalformed;
    if (!t && requests) unreadable_request_ = true;
  }

 private:
  struct Transaction {
    records::HttpRecord rec;
    std::unique_ptr<BodyExtractor> request_body, response_body;
    std::vector<ExtractedFile> files;
    bool response_seen = false;
    bool response_done = false;
    std::uint32_t evasions = 0;  // wire::HttpEvasion bits of either message
  };

  std::unique_ptr<BodyExtractor> make_body(const wire::HttpHead& h, const char* direction,
                                           std::string name, bool request) {
    BodyExtractor::Meta m;
    m.session_id = s_.session_id;
    m.endpoints = s_.endpoints;
    m.ts = now_;
    m.protocol = "http";
    m.direction = direction;
    m.name = std::move(name);
    m.claimed_type = field(h, "Content-Type");
    m.content_encoding = h.joined("Content-Encoding");
    if (request) m.multipart_boundary = multipart_boundary(m.claimed_type);
    return std::make_unique<BodyExtractor>(cx_, std::move(m));
  }

  void collect(Transaction& t, BodyExtractor& body, bool complete) {
    auto files = body.finish(complete);
    if (body.decode_error()) t.rec.flags |= records::kHttpDecodeError;
    if (body.limit_hit()) t.rec.flags |= records::kHttpBodyLimit;
    t.evasions |= body.evasions();
    for (auto& f : files) t.files.push_back(std::move(f));
  }

  void finish_transaction(std::uint32_t extra_flags) {
    std::unique_ptr<Transaction> t = std::move(open_.front());
    open_.pop_front();
    if (request_ == t.get()) {
      request_end(false);
    }
    if (response_ == t.get()) {
      if (t->response_body) collect(*t, *t->response_body, false);
      t->response_body.reset();
      response_ = nullptr;
    }
    if (t->request_body) {
      collect(*t, *t->request_body, false);
      t->request_body.reset();
    }
    t->rec.flags |= extra_flags;
    t->rec.evasion = wire::http_evasion_names(t->evasions);
    for (ExtractedFile& f : t->files) {
      f.event.id = cx_.records->new_file_event_id();
      f.event.record_kind = "http";
      f.event.record_id = t->rec.id;
      t->rec.files.push_back(f.file.sha256);
      cx_.records->emit(std::move(f.file), std::move(f.event));
    }
    cx_.records->emit(std::move(t->rec));
  }

  SessionState& s_;
  AnalyzerContext& cx_;
  Side req_events_, resp_events_;
  wire::Http1Parser req_, resp_;
  std::deque<std::unique_ptr<Transaction>> open_;  // requests in order, awaiting responses
  Transaction* request_ = nullptr;                 // whose request body is arriving
  Transaction* response_ = nullptr;                // whose response body is arriving
  TimeNs now_ = 0;
  bool tunnel_pending_ = false;
  bool unreadable_request_ = false;  // a request line that could not be read: no record yet
};

void Side::on_head(const wire::HttpHead& head) {
  requests_ ? a_.request_head(head) : a_.response_head(head);
}
void Side::on_body(ByteView bytes) { requests_ ? a_.request_body(bytes) : a_.response_body(bytes); }
void Side::on_body_gap(std::uint64_t bytes) {
  requests_ ? a_.request_gap(bytes) : a_.response_gap(bytes);
}
void Side::on_message_end(bool complete) {
  requests_ ? a_.request_end(complete) : a_.response_end(complete);
}
void Side::on_violation(std::string_view what) { a_.violation(what, requests_); }
void Side::on_evasion(std::uint32_t bits) { a_.evasion(bits, requests_); }
bool Side::simple_request_pending() { return !requests_ && a_.simple_request_pending(); }

// A request line ("GET /x HTTP/1.1") or a status line ("HTTP/1.1 200") starts the stream.
Verdict detect(const DetectInput& in) {
  if (in.transport == 17) {
    // HTTPU (SSDP and friends): a datagram that is a request or status line with headers.
    const std::string_view d = as_chars(in.c2s.empty() ? in.s2c : in.c2s);
    const auto eol = d.find('\n');
    if (eol == std::string_view::npos) return Verdict::kNo;
    std::string_view line = d.substr(0, eol);
    while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 7) == "HTTP/1.") return Verdict::kYes;
    const auto sp = line.rfind(' ');
    return sp != std::string_view::npos && line.substr(sp + 1).substr(0, 7) == "HTTP/1." &&
                   std::isupper(static_cast<unsigned char>(line[0]))
               ? Verdict::kYes
               : Verdict::kNo;
  }
  if (in.transport != 6) return Verdict::kNo;
  auto line_verdict = [](std::string_view s, bool request) {
    if (s.empty()) return Verdict::kMaybe;
    const auto eol = s.find('\n');
    const std::string_view line = s.substr(0, eol);
    if (!request) {
      const std::string_view prefix = "HTTP/1.";
      if (line.size() < prefix.size())
        return prefix.substr(0, line.size()) == line ? Verdict::kMaybe : Verdict::kNo;
      return line.substr(0, prefix.size()) == prefix ? Verdict::kYes : Verdict::kNo;
    }
    std::size_t i = 0;
    while (i < line.size() && i < 24 &&
           (std::isupper(static_cast<unsigned char>(line[i])) || line[i] == '-'))
      ++i;
    if (i == line.size())
      return eol == std::string_view::npos && i < 24 ? Verdict::kMaybe : Verdict::kNo;
    if (i == 0 || line[i] != ' ') return Verdict::kNo;
    if (eol == std::string_view::npos) return line.size() < 8192 ? Verdict::kMaybe : Verdict::kNo;
    std::string_view rest = line;
    while (!rest.empty() && (rest.back() == '\r' || rest.back() == ' ')) rest.remove_suffix(1);
    const auto sp = rest.rfind(' ');
    if (sp != std::string_view::npos && rest.substr(sp + 1).substr(0, 7) == "HTTP/1.")
      return Verdict::kYes;
    // HTTP/0.9: "GET /path" alone.
    if (rest.substr(0, 4) == "GET " && rest.size() > 4 && rest[4] == '/' && sp == 3)
      return Verdict::kYes;
    return Verdict::kNo;
  };
  const Verdict c = line_verdict(as_chars(in.c2s), true);
  const Verdict s = line_verdict(as_chars(in.s2c), false);
  if (c == Verdict::kYes || s == Verdict::kYes) return Verdict::kYes;
  if (c == Verdict::kNo && s == Verdict::kNo) return Verdict::kNo;
  return Verdict::kMaybe;
}

std::unique_ptr<Analyzer> create(SessionState& s, AnalyzerContext& cx) {
  return std::make_unique<Http1Analyzer>(s, cx);
}

}  // namespace

extern const AnalyzerSpec kHttp1Analyzer{"http", detect, create};

}  // namespace kagami::analyzers
