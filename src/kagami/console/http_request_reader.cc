#include "kagami/console/http_request_reader.h"

#include <algorithm>

#include "kagami/base/ascii.h"

namespace kagami::console {
namespace {

constexpr std::size_t kMaxChunkLine = 1024;
constexpr std::size_t kMaxEmptyLines = 8;  // before a request line (RFC 9112 2.2)

// tchar of RFC 9110 5.6.2.
bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Whether a comma-separated field value lists `token` (case-insensitive).
bool lists(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    if (iequals(trim_ows(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

bool HttpRequestReader::fail(int status, std::string why) {
  state_ = State::kError;
  error_status_ = status;
  error_ = std::move(why);
  return false;
}

void HttpRequestReader::reset() {
  const HttpRequestLimits limits = limits_;
  *this = HttpRequestReader(limits);
}

std::size_t HttpRequestReader::feed(ByteView bytes) {
  std::size_t used = 0;
  const auto* data = reinterpret_cast<const char*>(bytes.data());
  while (used < bytes.size() && state_ != State::kDone && state_ != State::kError) {
    switch (state_) {
      case State::kHead: {
        const char c = data[used++];
        if (!started_) {
          // Empty lines before the request line are skipped (RFC 9112 2.2), CRLF only.
          if (pending_cr_) {
            pending_cr_ = false;
            if (c != '\n') return (fail(400, "a bare CR before the request"), used);
            if (++empty_lines_ > kMaxEmptyLines) return (fail(400, "no request"), used);
            break;
          }
          if (c == '\r') {
            pending_cr_ = true;
            break;
          }
          if (c == '\n') return (fail(400, "a bare LF before the request"), used);
        }
        started_ = true;
        line_ += c;
        const std::size_t n = line_.size();
        if (!request_line_done_ && n >= 2 && line_[n - 2] == '\r' && c == '\n')
          request_line_done_ = true;
        if (!request_line_done_ && n > limits_.max_target_bytes + 32)
          return (fail(414, "the request line is too long"), used);
        if (line_.size() > limits_.max_head_bytes)
          return (fail(431, "the request head is too large"), used);
        if (line_.size() >= 4 && line_.compare(line_.size() - 4, 4, "\r\n\r\n") == 0) {
          const std::string head = line_.substr(0, line_.size() - 4);
          line_.clear();
          if (!parse_head(head)) return used;
        }
        break;
      }
      case State::kBody: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size() - used));
        body_.append(data + used, n);
        used += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kDone;
        break;
      }
      case State::kChunkSize:
      case State::kTrailers: {
        const char c = data[used++];
        line_ += c;
        if (state_ == State::kTrailers && ++trailer_bytes_ > limits_.max_head_bytes)
          return (fail(431, "the trailer fields are too large"), used);
        if (line_.size() > kMaxChunkLine) return (fail(400, "a chunk line is too long"), used);
        if (c == '\n') {
          if (line_.size() < 2 || line_[line_.size() - 2] != '\r')
            return (fail(400, "a bare LF in the chunked body"), used);
          const std::string_view l(line_.data(), line_.size() - 2);
          if (l.find_first_of("\r\n", 0) != std::string_view::npos)
            return (fail(400, "a bare CR in the chunked body"), used);
          if (state_ == State::kTrailers) {
            if (l.empty()) state_ = State::kDone;
            line_.clear();
            break;
          }
          // chunk-size [ chunk-ext ] (RFC 9112 7.1); extensions are read and ignored.
          const std::string_view size = l.substr(0, l.find_first_of("; \t"));
          if (size.empty() || size.size() > 8 ||
              size.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos)
            return (fail(400, "a bad chunk size"), used);
          const std::uint64_t n = std::stoull(std::string(size), nullptr, 16);
          line_.clear();
          if (n == 0) {
            state_ = State::kTrailers;
            break;
          }
          if (body_.size() + n > limits_.max_body_bytes)
            return (fail(413, "the request body is too large"), used);
          remaining_ = n;
          state_ = State::kChunkData;
        }
        break;
      }
      case State::kChunkData: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, bytes.size() - used));
        body_.append(data + used, n);
        used += n;
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kChunkEnd;
        break;
      }
      case State::kChunkEnd: {
        line_ += data[used++];
        if (line_.size() < 2) break;
        if (line_ != "\r\n") return (fail(400, "a chunk does not end with CRLF"), used);
        line_.clear();
        state_ = State::kChunkSize;
        break;
      }
      case State::kDone:
      case State::kError:
        break;
    }
  }
  return used;
}

bool HttpRequestReader::parse_head(std::string_view head) {
  std::vector<std::string_view> lines;
  for (std::size_t at = 0;;) {
    const std::size_t end = head.find("\r\n", at);
    lines.push_back(head.substr(at, end == std::string_view::npos ? end : end - at));
    if (end == std::string_view::npos) break;
    at = end + 2;
  }
  // Every line must end in CRLF: after splitting on CRLF no CR or LF may be left.
  for (const std::string_view l : lines)
    if (l.find_first_of("\r\n") != std::string_view::npos)
      return fail(400, "a bare CR or LF in the request head");
  // request-line = method SP request-target SP HTTP-version (RFC 9112 3)
  const std::string_view rl = lines[0];
  const std::size_t sp1 = rl.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : rl.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || rl.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(400, "not an HTTP request line");
  const std::string_view method = rl.substr(0, sp1);
  const std::string_view target = rl.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = rl.substr(sp2 + 1);
  if (!is_token(method)) return fail(400, "a bad method");
  if (target.size() > limits_.max_target_bytes) return fail(414, "the request target is too long");
  if (target.empty() || target.front() != '/' ||
      !std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
    return fail(400, "a bad request target");
  if (version == "HTTP/1.1") {
    http10_ = false;
  } else if (version == "HTTP/1.0") {
    http10_ = true;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/") {
    return fail(505, "only HTTP/1.1 and HTTP/1.0 are served");
  } else {
    return fail(400, "a bad HTTP version");
  }
  method_ = std::string(method);
  target_ = std::string(target);
  if (lines.size() - 1 > limits_.max_fields) return fail(431, "too many header fields");
  for (std::size_t i = 1; i < lines.size(); ++i)
    if (!parse_field(lines[i])) return false;

  std::size_t hosts = 0;
  std::string content_length;
  bool chunked = false;
  keep_alive_ = !http10_;
  for (const auto& [name, value] : fields_) {
    if (iequals(name, "host")) ++hosts;
    if (iequals(name, "content-length")) {
      if (!all_digits(value) || value.size() > 18) return fail(400, "a bad Content-Length");
      if (!content_length.empty() && content_length != value)
        return fail(400, "Content-Length given twice with different values");
      content_length = value;
    } else if (iequals(name, "transfer-encoding")) {
      if (chunked || !iequals(value, "chunked"))
        return fail(501, "only the chunked transfer coding is accepted");
      chunked = true;
    } else if (iequals(name, "connection")) {
      if (lists(value, "close")) keep_alive_ = false;
      if (http10_ && lists(value, "keep-alive")) keep_alive_ = true;
    } else if (iequals(name, "expect")) {
      if (!iequals(value, "100-continue")) return fail(417, "only 100-continue is expected");
      expect_continue_ = true;
    }
  }
  if (hosts > 1 || (hosts == 0 && !http10_)) return fail(400, "a request needs one Host field");
  if (chunked && http10_) return fail(400, "HTTP/1.0 has no chunked transfer coding");
  if (chunked && !content_length.empty())
    return fail(400, "both Transfer-Encoding and Content-Length");
  if (chunked) {
    has_body_ = true;
    state_ = State::kChunkSize;
    return true;
  }
  if (!content_length.empty()) {
    has_body_ = true;
    remaining_ = std::stoull(content_length);
    if (remaining_ > limits_.max_body_bytes) return fail(413, "the request body is too large");
    state_ = remaining_ > 0 ? State::kBody : State::kDone;
    if (remaining_ == 0) expect_continue_ = false;
    return true;
  }
  expect_continue_ = false;
  state_ = State::kDone;
  return true;
}

bool HttpRequestReader::parse_field(std::string_view line) {
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
    return fail(400, "obsolete line folding");
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return fail(400, "a header field without a colon");
  const std::string_view name = line.substr(0, colon);
  if (!is_token(name)) return fail(400, "a bad header field name");
  const std::string_view value = trim_ows(line.substr(colon + 1));
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f)
      return fail(400, "a control character in a header field");
  }
  fields_.emplace_back(std::string(name), std::string(value));
  return true;
}

std::string HttpRequestReader::normalized() const {
  std::string out = method_ + " " + target_ + (http10_ ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  for (const auto& [name, value] : fields_) {
    if (iequals(name, "transfer-encoding") || iequals(name, "content-length") ||
        iequals(name, "expect"))
      continue;
    out += name + ": " + value + "\r\n";
  }
  if (has_body_) out += "Content-Length: " + std::to_string(body_.size()) + "\r\n";
  out += "\r\n";
  out += body_;
  return out;
}

}  // namespace kagami::console
