#include <string>
#include <string_view>

#include "kagami/base/ascii.h"
#include "kagami/proxy/alt_svc.h"
#include "kagami/proxy/response_filter.h"
#include "kagami/wire/http1_parser.h"

namespace kagami::proxy {
namespace {

class NoEvents : public wire::HttpEvents {
 public:
  void on_head(const wire::HttpHead&) override {}
  void on_body(ByteView) override {}
  void on_body_gap(std::uint64_t) override {}
  void on_message_end(bool) override {}
  void on_violation(std::string_view) override {}
};

// Tells the response parser what each request was (HEAD and CONNECT answers differ).
class RequestEvents : public NoEvents {
 public:
  explicit RequestEvents(wire::Http1Parser& responses) : responses_(responses) {}
  void on_head(const wire::HttpHead& head) override {
    responses_.expect_response_to(head.method);
    ++requests;
  }
  std::uint64_t requests = 0;

 private:
  wire::Http1Parser& responses_;
};

void append(std::vector<std::uint8_t>& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}

class Http1AltSvcFilter final : public ResponseFilter {
 public:
  Http1AltSvcFilter() : request_events_(responses_) { responses_.pause_at_boundaries(); }

  Status from_client(ByteView bytes) override {
    if (aside_) return {};
    ByteView data = bytes;
    if (!client_rest_.empty()) {
      client_rest_.insert(client_rest_.end(), bytes.begin(), bytes.end());
      data = ByteView(client_rest_.data(), client_rest_.size());
    }
    // HTTP/2 with prior knowledge is not ours to read.
    const std::string_view preface = "PRI * HTTP/2.0";
    if (request_events_.requests == 0 && as_chars(data).substr(0, preface.size()) == preface) {
      aside_ = true;
      client_rest_.clear();
      return {};
    }
    const wire::Progress p = requests_.feed(data);
    if (requests_.failed()) {
      aside_ = true;  // not HTTP/1 (or not any more): nothing to edit
      client_rest_.clear();
      return {};
    }
    std::vector<std::uint8_t> rest(data.begin() + static_cast<std::ptrdiff_t>(p.consumed),
                                   data.end());
    client_rest_.swap(rest);
    return {};
  }

  Status from_server(ByteView bytes, std::vector<std::uint8_t>& out) override {
    // A server that speaks before any request is not an HTTP/1 server.
    if (!aside_ && request_events_.requests == 0) aside_ = true;
    if (aside_) {
      pass_held(out);
      out.insert(out.end(), bytes.begin(), bytes.end());
      return {};
    }
    ByteView data = bytes;
    if (!held_.empty()) {
      held_.insert(held_.end(), bytes.begin(), bytes.end());
      data = ByteView(held_.data(), held_.size());
    }
    std::size_t off = 0;
    while (off < data.size() && !aside_) {
      const bool at_head = !responses_.in_message();
      // Held only while it can still become a status line: anything else passes at once.
      if (at_head && !may_start_status_line(as_chars(data.subspan(off)))) {
        aside_ = true;
        break;
      }
      const wire::Progress p = responses_.feed(data.subspan(off));
      if (responses_.failed() || responses_.tunnel()) aside_ = true;  // the rest is not ours
      if (p.consumed == 0) break;
      const ByteView part = data.subspan(off, p.consumed);
      if (at_head)
        edit_head(as_chars(part), out);
      else
        out.insert(out.end(), part.begin(), part.end());
      off += p.consumed;
    }
    if (aside_) {
      out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(off), data.end());
      off = data.size();
    }
    std::vector<std::uint8_t> rest(data.begin() + static_cast<std::ptrdiff_t>(off), data.end());
    held_.swap(rest);
    // The parser bounds heads and chunk lines; this is only the belt to its braces.
    if (held_.size() > kMaxHeld) {
      aside_ = true;
      pass_held(out);
    }
    return {};
  }

  void server_ended(std::vector<std::uint8_t>& out) override { pass_held(out); }

 private:
  static constexpr std::size_t kMaxHeld = 128u << 10;

  // "HTTP/" or the beginning of it, after the empty lines a message may follow.
  static bool may_start_status_line(std::string_view s) {
    while (!s.empty() && (s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    const std::string_view http = "HTTP/";
    const std::size_t n = std::min(s.size(), http.size());
    return s.substr(0, n) == http.substr(0, n);
  }

  void pass_held(std::vector<std::uint8_t>& out) {
    out.insert(out.end(), held_.begin(), held_.end());
    held_.clear();
  }

  // Copies a response head, leaving out (or shortening) Alt-Svc fields that advertise QUIC.
  // Everything else is kept byte for byte, line ends and folded lines included.
  void edit_head(std::string_view head, std::vector<std::uint8_t>& out) {
    if (head.find("HTTP/") == std::string_view::npos) return append(out, head);
    std::size_t pos = 0;
    bool status_line = true;
    while (pos < head.size()) {
      std::size_t end = head.find('\n', pos);
      end = end == std::string_view::npos ? head.size() : end + 1;
      // The field and its folded continuation lines (obs-fold, RFC 9112 5.2).
      while (!status_line && end < head.size() && (head[end] == ' ' || head[end] == '\t')) {
        const std::size_t next = head.find('\n', end);
        end = next == std::string_view::npos ? head.size() : next + 1;
      }
      const std::string_view field = head.substr(pos, end - pos);
      pos = end;
      const std::size_t colon = field.find(':');
      if (status_line || colon == std::string_view::npos ||
          !iequals(trim_field(field.substr(0, colon)), "alt-svc")) {
        status_line = status_line && trim_field(field).empty();  // CRLFs before a status line
        append(out, field);
        continue;
      }
      std::string value;
      for (char c : field.substr(colon + 1)) value += c == '\r' || c == '\n' ? ' ' : c;
      const auto kept = alt_svc_without_quic(trim_field(value));
      if (!kept) {
        append(out, field);
        continue;
      }
      ++stripped_;
      if (kept->empty()) continue;
      append(out, field.substr(0, colon + 1));
      append(out,
             " " + *kept + (field.size() >= 2 && field[field.size() - 2] == '\r' ? "\r\n" : "\n"));
    }
  }

  wire::HttpLimits limits_;
  NoEvents response_events_;
  wire::Http1Parser responses_{wire::Http1Parser::Side::kResponses, limits_, response_events_};
  RequestEvents request_events_;
  wire::Http1Parser requests_{wire::Http1Parser::Side::kRequests, limits_, request_events_};
  std::vector<std::uint8_t> client_rest_, held_;
  bool aside_ = false;
};

}  // namespace

std::unique_ptr<ResponseFilter> make_http1_alt_svc_filter() {
  return std::make_unique<Http1AltSvcFilter>();
}

}  // namespace kagami::proxy
