#include <string>
#include <string_view>

#include "kagami/base/ascii.h"
#include "kagami/proxy/alt_svc.h"
#include "kagami/proxy/http_filter.h"
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

// Tells the response parser what each request was (HEAD and CONNECT answers differ), and
// the filter whether the request now in its head addresses the origin.
class RequestEvents : public NoEvents {
 public:
  explicit RequestEvents(wire::Http1Parser& responses) : responses_(responses) {}
  void on_head(const wire::HttpHead& head) override {
    responses_.expect_response_to(head.method);
    ++requests;
  }
  void on_message_end(bool) override { ++ended; }
  std::uint64_t requests = 0, ended = 0;

 private:
  wire::Http1Parser& responses_;
};

void append(std::vector<std::uint8_t>& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}

// The bytes of one direction not passed on yet (a head still incomplete).
class Pending {
 public:
  // What is held, followed by `more`.
  ByteView join(ByteView more) {
    if (bytes_.empty()) return more;
    bytes_.insert(bytes_.end(), more.begin(), more.end());
    return ByteView(bytes_.data(), bytes_.size());
  }
  // Holds data[off...] (which may be what join() returned) for next time, or passes it to
  // `out` when `pass`.
  void keep(ByteView data, std::size_t off, bool pass, std::vector<std::uint8_t>& out) {
    const auto from = data.begin() + static_cast<std::ptrdiff_t>(std::min(off, data.size()));
    if (pass) {
      out.insert(out.end(), from, data.end());
      bytes_.clear();
      return;
    }
    std::vector<std::uint8_t> rest(from, data.end());
    bytes_.swap(rest);
  }
  // Everything held goes to `out`.
  void flush(std::vector<std::uint8_t>& out) {
    out.insert(out.end(), bytes_.begin(), bytes_.end());
    bytes_.clear();
  }

 private:
  std::vector<std::uint8_t> bytes_;
};

// Calls take(line, name) for each line of a head: the start line (with the empty lines a
// message may follow) with an empty name, then each field, its folded continuation lines
// (obs-fold, RFC 9112 5.2) included, with its name. Lines keep their own line ends.
template <typename Take>
void for_each_line(std::string_view head, Take take) {
  std::size_t pos = 0;
  bool start_line = true;
  while (pos < head.size()) {
    std::size_t end = head.find('\n', pos);
    end = end == std::string_view::npos ? head.size() : end + 1;
    while (!start_line && end < head.size() && (head[end] == ' ' || head[end] == '\t')) {
      const std::size_t next = head.find('\n', end);
      end = next == std::string_view::npos ? head.size() : next + 1;
    }
    const std::string_view line = head.substr(pos, end - pos);
    pos = end;
    const std::size_t colon = line.find(':');
    if (start_line || colon == std::string_view::npos) {
      take(line, std::string_view());
      start_line = start_line && trim_field(line).empty();
      continue;
    }
    take(line, trim_field(line.substr(0, colon)));
  }
}

// Whether a request line's target is the origin's (origin form, or "*"): not a CONNECT's
// authority or an absolute URI, which a proxy further on is to read.
bool to_origin(std::string_view head) {
  while (!head.empty() && (head.front() == '\r' || head.front() == '\n')) head.remove_prefix(1);
  const std::size_t sp = head.find(' ');
  if (sp == std::string_view::npos) return false;
  std::string_view target = head.substr(sp + 1);
  while (!target.empty() && target.front() == ' ') target.remove_prefix(1);
  return !iequals(head.substr(0, sp), "CONNECT") && !target.empty() &&
         (target.front() == '/' || target.front() == '*');
}

class Http1Filter final : public HttpFilter {
 public:
  explicit Http1Filter(const HttpFilterOptions& options)
      : options_(options), request_events_(responses_) {
    responses_.pause_at_boundaries();
    requests_.pause_at_boundaries();
  }

  Status from_client(ByteView bytes, std::vector<std::uint8_t>& out) override {
    if (dropping_) return {};
    const ByteView data = client_rest_.join(bytes);
    // HTTP/2 with prior knowledge is not ours to read.
    const std::string_view preface = "PRI * HTTP/2.0";
    if (request_events_.requests == 0 && as_chars(data).substr(0, preface.size()) == preface)
      aside_ = true;
    const std::size_t off = walk(
        requests_, data,
        [&](bool, ByteView) {
          if (!options_.one_request || request_events_.ended == 0) return true;
          ++requests_dropped_;  // once: nothing more is read from this client
          dropping_ = true;
          return false;
        },
        [&](std::string_view head) {
          if (options_.consume_proxy_login) return edit_request_head(head, out);
          append(out, head);
        },
        out);
    // A connection for one request sends nothing it cannot read either.
    if (options_.one_request && aside_ && !dropping_) {
      ++requests_dropped_;
      dropping_ = true;
    }
    client_rest_.keep(data, dropping_ ? data.size() : off, aside_, out);
    return {};
  }

  Status from_server(ByteView bytes, std::vector<std::uint8_t>& out) override {
    // A server that speaks before any request is not an HTTP/1 server.
    if (request_events_.requests == 0) aside_ = true;
    const ByteView data = held_.join(bytes);
    const std::size_t off = walk(
        responses_, data,
        [&](bool at_head, ByteView rest) {
          // Held only while it can still become a status line: anything else passes at once.
          if (at_head && !may_start_status_line(as_chars(rest))) aside_ = true;
          return !aside_;
        },
        [&](std::string_view head) {
          if (options_.strip_alt_svc) return edit_response_head(head, out);
          append(out, head);
        },
        out);
    // The parser bounds heads and chunk lines; this is only the belt to its braces.
    if (data.size() - off > kMaxHeld) aside_ = true;
    held_.keep(data, off, aside_, out);
    return {};
  }

  void server_ended(std::vector<std::uint8_t>& out) override { held_.flush(out); }

 private:
  static constexpr std::size_t kMaxHeld = 128u << 10;

  // "HTTP/" or the beginning of it, after the empty lines a message may follow.
  static bool may_start_status_line(std::string_view s) {
    while (!s.empty() && (s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    const std::string_view http = "HTTP/";
    const std::size_t n = std::min(s.size(), http.size());
    return s.substr(0, n) == http.substr(0, n);
  }

  // Feeds `data` to `parser` from its start while `go(at_head, rest)` allows: heads go to
  // `edit`, bodies straight to `out`. Returns the bytes taken; a parser that fails or turns to
  // a tunnel sets the filter aside (the rest is not HTTP/1).
  template <typename Go, typename Edit>
  std::size_t walk(wire::Http1Parser& parser, ByteView data, Go go, Edit edit,
                   std::vector<std::uint8_t>& out) {
    std::size_t off = 0;
    while (off < data.size() && !aside_) {
      const bool at_head = !parser.in_message();
      if (!go(at_head, data.subspan(off))) break;
      const wire::Progress p = parser.feed(data.subspan(off));
      if (parser.failed()) {
        aside_ = true;
        break;
      }
      aside_ = parser.tunnel();
      if (p.consumed == 0) break;
      const ByteView part = data.subspan(off, p.consumed);
      if (at_head)
        edit(as_chars(part));
      else
        out.insert(out.end(), part.begin(), part.end());
      off += p.consumed;
    }
    return off;
  }

  // Copies a request head without its Proxy-Authorization fields when it is for the origin.
  void edit_request_head(std::string_view head, std::vector<std::uint8_t>& out) {
    if (!to_origin(head)) return append(out, head);
    for_each_line(head, [&](std::string_view line, std::string_view name) {
      if (iequals(name, "proxy-authorization"))
        ++logins_consumed_;
      else
        append(out, line);
    });
  }

  // Copies a response head, leaving out (or shortening) Alt-Svc fields that advertise QUIC.
  // Everything else is kept byte for byte, line ends and folded lines included.
  void edit_response_head(std::string_view head, std::vector<std::uint8_t>& out) {
    if (head.find("HTTP/") == std::string_view::npos) return append(out, head);
    for_each_line(head, [&](std::string_view field, std::string_view name) {
      if (!iequals(name, "alt-svc")) return append(out, field);
      const std::size_t colon = field.find(':');
      std::string value;
      for (char c : field.substr(colon + 1)) value += c == '\r' || c == '\n' ? ' ' : c;
      const auto kept = alt_svc_without_quic(trim_field(value));
      if (!kept) return append(out, field);
      ++alt_svc_stripped_;
      if (kept->empty()) return;
      append(out, field.substr(0, colon + 1));
      append(out,
             " " + *kept + (field.size() >= 2 && field[field.size() - 2] == '\r' ? "\r\n" : "\n"));
    });
  }

  HttpFilterOptions options_;
  wire::HttpLimits limits_;
  NoEvents response_events_;
  wire::Http1Parser responses_{wire::Http1Parser::Side::kResponses, limits_, response_events_};
  RequestEvents request_events_;
  wire::Http1Parser requests_{wire::Http1Parser::Side::kRequests, limits_, request_events_};
  Pending client_rest_, held_;
  bool aside_ = false;
  bool dropping_ = false;
};

}  // namespace

std::unique_ptr<HttpFilter> make_http1_filter(const HttpFilterOptions& options) {
  return std::make_unique<Http1Filter>(options);
}

}  // namespace kagami::proxy
