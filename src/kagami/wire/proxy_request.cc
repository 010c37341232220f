#include "kagami/wire/proxy_request.h"

#include <charconv>
#include <optional>
#include <vector>

#include "kagami/base/ascii.h"
#include "kagami/base/base64.h"

namespace kagami::wire {
namespace {

// Keeps the first head and ignores what follows it (a tunnel's bytes, a body).
class FirstHead final : public HttpEvents {
 public:
  void on_head(const HttpHead& head) override {
    if (!head_) head_ = head;
  }
  void on_body(ByteView) override {}
  void on_body_gap(std::uint64_t) override {}
  void on_message_end(bool) override {}
  void on_violation(std::string_view what) override {
    if (!head_ && error_.empty()) error_ = what;
  }
  std::optional<HttpHead> head_;
  std::string error_;
};

bool valid_host(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  for (const char c : h) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == ':';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool split_authority(std::string_view a, std::uint16_t default_port, std::string& host,
                     std::uint16_t& port) {
  std::string_view h = a, p;
  if (!a.empty() && a.front() == '[') {
    const std::size_t close = a.find(']');
    if (close == std::string_view::npos) return false;
    h = a.substr(1, close - 1);
    std::string_view rest = a.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      p = rest.substr(1);
    }
  } else if (const std::size_t colon = a.rfind(':'); colon != std::string_view::npos) {
    if (a.find(':') != colon) return false;  // a bare IPv6 address needs brackets
    h = a.substr(0, colon);
    p = a.substr(colon + 1);
  }
  if (!valid_host(h)) return false;
  port = default_port;
  if (!p.empty() || (a.size() && a.back() == ':')) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (ec != std::errc() || end != p.data() + p.size() || v == 0 || v > 65535) return false;
    port = static_cast<std::uint16_t>(v);
  }
  if (port == 0) return false;
  host.assign(h);
  return true;
}

ProxyRequestParse parse_proxy_request(ByteView bytes, const HttpLimits& limits) {
  ProxyRequestParse out;
  // A method is letters: anything else (a TLS ClientHello from a client that took the proxy
  // for the server, binary noise) is refused at once instead of waiting for a line end.
  for (std::size_t i = 0; i < bytes.size() && i < 16 && bytes[i] != ' '; ++i) {
    const char c = static_cast<char>(bytes[i]);
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_')) {
      out.result = ProxyRequestParse::Result::kError;
      out.error = bytes[0] == 0x16 ? "a TLS handshake instead of a proxy request (is the client "
                                     "set to use this address as an HTTP proxy?)"
                                   : "not an HTTP request";
      return out;
    }
  }
  const std::string_view text = as_chars(bytes);
  if (const std::size_t eol = text.find('\n');
      eol != std::string_view::npos &&
      text.substr(0, eol).find(" HTTP/") == std::string_view::npos) {
    out.result = ProxyRequestParse::Result::kError;
    out.error = "the request line has no HTTP version (HTTP/0.9 cannot go through a proxy)";
    return out;
  }
  FirstHead events;
  Http1Parser parser(Http1Parser::Side::kRequests, limits, events);
  (void)parser.feed(bytes);
  if (!events.head_) {
    if (!events.error_.empty() || parser.failed()) {
      out.result = ProxyRequestParse::Result::kError;
      const std::string& kind = events.error_;
      out.error = kind == "http.header_limit" ? "the request head exceeds " +
                                                    std::to_string(limits.max_head_bytes) + " bytes"
                  : kind == "http.bad_request_line" ? "the request line is malformed"
                  : kind == "http.request_transfer_coding"
                      ? "the request body's length cannot be known"
                      : "malformed request head (" + (kind.empty() ? "unknown" : kind) + ")";
    }
    return out;
  }
  ProxyRequest& r = out.request;
  r.head = std::move(*events.head_);
  auto fail = [&](std::string why) {
    out.result = ProxyRequestParse::Result::kError;
    out.error = std::move(why);
    return out;
  };
  if (r.head.version.empty()) return fail("HTTP/0.9 requests cannot go through a proxy");
  if (iequals(r.head.method, "CONNECT")) {
    r.connect = true;
    if (!split_authority(r.head.target, 0, r.host, r.port) || r.port == 0)
      return fail("CONNECT needs host:port, not \"" + r.head.target.substr(0, 200) + "\"");
  } else {
    std::string_view t = r.head.target;
    if (!istarts_with(t, "http://"))
      return fail(istarts_with(t, "https://") ? "https:// URIs go through CONNECT"
                                              : "a proxy request needs an absolute http:// URI");
    t.remove_prefix(7);
    const std::size_t slash = t.find_first_of("/?#");
    std::string_view authority = t.substr(0, slash);
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos)
      authority.remove_prefix(at + 1);  // user info is never forwarded (RFC 9110 4.2.4)
    if (!split_authority(authority, 80, r.host, r.port)) return fail("the URI's host is not valid");
    r.origin_target = slash == std::string_view::npos ? "/" : std::string(t.substr(slash));
    if (r.origin_target.front() != '/') r.origin_target.insert(0, "/");
    if (const std::size_t hash = r.origin_target.find('#'); hash != std::string::npos)
      r.origin_target.resize(hash);
  }
  if (const std::string* auth = r.head.find("Proxy-Authorization")) {
    std::string_view v = trim_field(*auth);
    if (istarts_with(v, "basic ")) {
      if (auto decoded = base64_decode(trim_field(v.substr(6)))) {
        const std::size_t colon = decoded->find(':');
        r.has_proxy_auth = colon != std::string::npos;
        if (r.has_proxy_auth) {
          r.proxy_user = decoded->substr(0, colon);
          r.proxy_password = decoded->substr(colon + 1);
        }
      }
    }
  }
  out.result = ProxyRequestParse::Result::kRequest;
  return out;
}

std::string origin_request_head(const ProxyRequest& r) {
  // Fields named by Connection are hop-by-hop too.
  std::vector<std::string> hop = {
      "connection", "proxy-connection", "keep-alive", "proxy-authorization",
      "te",         "trailer",          "upgrade"};
  for (const HttpField& f : r.head.fields) {
    if (!iequals(f.name, "Connection")) continue;
    for (std::string_view token : list_members(f.value)) hop.emplace_back(token);
  }
  std::string out = r.head.method + " " + r.origin_target + " " + r.head.version + "\r\n";
  bool host = false;
  for (const HttpField& f : r.head.fields) {
    bool drop = false;
    for (const std::string& h : hop) drop = drop || iequals(f.name, h);
    if (drop) continue;
    host = host || iequals(f.name, "Host");
    out += f.name + ": " + f.value + "\r\n";
  }
  if (!host) {
    const bool v6 = r.host.find(':') != std::string::npos;
    out += "Host: " + (v6 ? "[" + r.host + "]" : r.host) +
           (r.port != 80 ? ":" + std::to_string(r.port) : std::string()) + "\r\n";
  }
  out += "Connection: close\r\n\r\n";
  return out;
}

}  // namespace kagami::wire
