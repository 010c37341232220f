#include "kagami/wire/http1_parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "kagami/base/ascii.h"

namespace kagami::wire {
namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// "HTTP/1.1" and friends.
bool is_version(std::string_view v) {
  return v.size() == 8 && v.substr(0, 5) == "HTTP/" &&
         std::isdigit(static_cast<unsigned char>(v[5])) && v[6] == '.' &&
         std::isdigit(static_cast<unsigned char>(v[7]));
}

// A status line as browsers read it: "HTTP/", a version of any digits ("HTTP/1.10"), a blank,
// three digits. Returns the version's length, or 0.
std::size_t status_version_length(std::string_view line) {
  if (line.substr(0, 5) != "HTTP/") return 0;
  std::size_t i = 5;
  auto digits = [&] {
    const std::size_t from = i;
    while (i < line.size() && i < from + 4 && std::isdigit(static_cast<unsigned char>(line[i])))
      ++i;
    return i > from;
  };
  if (!digits() || i >= line.size() || line[i] != '.') return 0;
  ++i;
  if (!digits()) return 0;
  const std::size_t version = i;
  if (i + 4 > line.size() || line[i] != ' ') return 0;
  for (std::size_t d = i + 1; d < i + 4; ++d)
    if (!std::isdigit(static_cast<unsigned char>(line[d]))) return 0;
  return version;
}

// Does a Transfer-Encoding list name chunked? Any member of any such field will do, in any
// case, as browsers read it ("identity, chunked", "CHUNKED"); "chunked;" or "xchunked" will not.
bool names_chunked(const HttpHead& head) {
  for (const HttpField& f : head.fields) {
    if (!iequals(f.name, "Transfer-Encoding")) continue;
    for (std::string_view m : list_members(f.value))
      if (iequals(m, "chunked")) return true;
  }
  return false;
}

// Browsers take a response as chunked when a Transfer-Encoding names chunked, but never on
// HTTP/1.0 (the body then runs to the close, chunk lines and all).
bool response_is_chunked(const HttpHead& head) {
  return head.version != "HTTP/1.0" && names_chunked(head);
}

// The framing tricks of a head: its Transfer-Encoding and Content-Length fields.
std::uint32_t framing_evasions(const HttpHead& head) {
  std::uint32_t e = 0;
  int te = 0, cl = 0;
  for (const HttpField& f : head.fields) {
    if (iequals(f.name, "Transfer-Encoding")) {
      ++te;
      if (f.value != "chunked") e |= kEvasionTransferEncoding;
    } else if (iequals(f.name, "Content-Length")) {
      ++cl;
      if (f.value.find(',') != std::string::npos) e |= kEvasionContentLength;
    }
  }
  if (te > 1 || (te > 0 && cl > 0)) e |= kEvasionTransferEncoding;
  if (cl > 1) e |= kEvasionContentLength;
  if (!head.request && head.version == "HTTP/1.0" && names_chunked(head))
    e |= kEvasionChunkedHttp10;
  return e;
}

// Where the head ends (index just past its blank line), or npos.
std::size_t head_end(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\n') continue;
    if (i + 1 < s.size() && s[i + 1] == '\n') return i + 2;
    if (i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

// A request line as clients really send them: a method token, then optionally the target and
// the version. Lenient on purpose: malformed requests are evidence too (a strict server
// answers them with 400, and the record should show what was asked).
bool lenient_request_line(std::string_view line) {
  const auto sp = line.find(' ');
  const std::string_view method = line.substr(0, sp);
  return !method.empty() && method.size() <= 64 &&
         std::all_of(method.begin(), method.end(), is_token_char);
}

// Does a message start at `line` (one line of text, without its end)? Strict: used to find
// messages again after missing bytes, where anything lenient would match noise.
bool looks_like_start(std::string_view line, bool request) {
  if (!request) {
    return line.size() >= 12 && is_version(line.substr(0, 8)) && line[8] == ' ' &&
           std::isdigit(static_cast<unsigned char>(line[9])) &&
           std::isdigit(static_cast<unsigned char>(line[10])) &&
           std::isdigit(static_cast<unsigned char>(line[11]));
  }
  const auto sp1 = line.find(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos || sp1 > 24) return false;
  for (std::size_t i = 0; i < sp1; ++i)
    if (!std::isupper(static_cast<unsigned char>(line[i])) && line[i] != '-' && line[i] != '_')
      return false;
  const auto sp2 = line.rfind(' ');
  return sp2 > sp1 + 1 && is_version(trim_field(line.substr(sp2 + 1)));
}

}  // namespace

std::vector<std::string> http_evasion_names(std::uint32_t e) {
  static constexpr std::pair<HttpEvasion, const char*> kNames[] = {
      {kEvasionTransferEncoding, "transfer_encoding"},
      {kEvasionChunkedHttp10, "chunked_http10"},
      {kEvasionHeaderSyntax, "header_syntax"},
      {kEvasionFolding, "folding"},
      {kEvasionLineEnds, "line_ends"},
      {kEvasionContentLength, "content_length"},
      {kEvasionStatusLine, "status_line"},
      {kEvasionChunkSize, "chunk_size"},
      {kEvasionContentEncoding, "content_encoding"},
      {kEvasionGzipHeader, "gzip_header"},
  };
  std::vector<std::string> out;
  for (const auto& [bit, name] : kNames)
    if (e & bit) out.emplace_back(name);
  return out;
}

const std::string* HttpHead::find(std::string_view name) const {
  for (const HttpField& f : fields)
    if (iequals(f.name, name)) return &f.value;
  return nullptr;
}

std::string HttpHead::joined(std::string_view name) const {
  std::string out;
  for (const HttpField& f : fields) {
    if (!iequals(f.name, name)) continue;
    if (!out.empty()) out += ", ";
    out += f.value;
  }
  return out;
}

void Http1Parser::fail(std::string_view why) {
  if (in_message()) finish_message(false);
  state_ = State::kFailed;
  events_.on_violation(why);
}

bool Http1Parser::take_simple_request() {
  if (side_ != Side::kRequests || state_ != State::kHead || simple_line_bytes_ == 0) return false;
  skip_ = simple_line_bytes_;
  simple_line_bytes_ = 0;
  head_ = simple_head_;
  events_.on_head(head_);
  finish_message(true);
  return true;
}

Progress Http1Parser::feed(ByteView data) {
  std::size_t used = 0;
  if (skip_ > 0) {
    used = std::min(skip_, data.size());
    skip_ -= used;
  }
  while (used < data.size()) {
    const ByteView rest = data.subspan(used);
    const State before = state_;
    switch (state_) {
      case State::kHead: {
        const Progress p = parse_head(rest);
        if (p.consumed == 0 && state_ == State::kHead) return {used, p.need};
        used += p.consumed;
        if (pause_ && p.consumed > 0) return {used, 0};
        break;
      }
      case State::kLengthBody:
      case State::kChunkData: {
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
        events_.on_body(rest.first(take));
        remaining_ -= take;
        used += take;
        if (remaining_ == 0) {
          if (state_ == State::kLengthBody) {
            finish_message(true);
          } else {
            state_ = State::kChunkEnd;
          }
        }
        break;
      }
      case State::kChunkEnd: {
        // The CRLF after a chunk's data (a bare LF is tolerated).
        if (rest[0] == '\n') {
          events_.on_evasion(kEvasionLineEnds);
          used += 1;
        } else if (rest[0] == '\r') {
          if (rest.size() < 2) return {used, 2};
          if (rest[1] != '\n') {
            fail("http.chunk_missing_crlf");
            break;
          }
          used += 2;
        } else {
          fail("http.chunk_missing_crlf");
          break;
        }
        state_ = State::kChunkSize;
        break;
      }
      case State::kChunkSize: {
        const Progress p = parse_chunk_size(rest);
        if (p.consumed == 0 && state_ == State::kChunkSize) return {used, p.need};
        used += p.consumed;
        break;
      }
      case State::kTrailers: {
        const Progress p = parse_trailers(rest);
        if (p.consumed == 0 && state_ == State::kTrailers) return {used, p.need};
        used += p.consumed;
        break;
      }
      case State::kCloseBody:
        events_.on_body(rest);
        used = data.size();
        break;
      case State::kResync: {
        const Progress p = resync(rest);
        if (p.consumed == 0 && state_ == State::kResync) return {used, p.need};
        used += p.consumed;
        break;
      }
      case State::kTunnel:
        return {used, 0};  // not HTTP: left for whoever takes the connection over
      case State::kFailed:
        used = data.size();
        break;
    }
    if (pause_ && before != State::kHead && state_ == State::kHead) return {used, 0};
  }
  return {used, 0};
}

Progress Http1Parser::parse_head(ByteView data) {
  if (side_ == Side::kResponses) {
    // An HTTP/0.9 simple response: no status line, the body runs to the close.
    const std::string_view t = as_chars(data);
    const std::string_view http = "HTTP/";
    const bool no_status = t.substr(0, std::min(t.size(), http.size())) !=
                           http.substr(0, std::min(t.size(), http.size()));
    if (no_status &&
        ((!pending_.empty() && pending_.front().simple_allowed) ||
         (pending_.empty() && events_.simple_request_pending() && !pending_.empty()))) {
      pending_.pop_front();
      head_ = HttpHead{};
      head_.request = false;
      head_.version = "HTTP/0.9";
      events_.on_head(head_);
      state_ = State::kCloseBody;
      return {0, 0};
    }
  }
  std::string_view s = as_chars(data);
  // Empty lines before a message are tolerated (RFC 9112 2.2).
  std::size_t skip = 0;
  while (skip < s.size() && (s[skip] == '\r' || s[skip] == '\n')) ++skip;
  if (skip == s.size()) return {skip, 0};
  s.remove_prefix(skip);
  const std::size_t end = head_end(s);
  if (end == std::string_view::npos) {
    if (s.size() > limits_.max_head_bytes) {
      fail("http.header_limit");
      return {data.size(), 0};
    }
    // Before waiting for more, make sure this can be HTTP at all.
    const auto eol = s.find('\n');
    const bool request = side_ == Side::kRequests;
    const std::string_view first = trim_field(s.substr(0, eol));
    if (eol != std::string_view::npos &&
        !(request ? lenient_request_line(first) : status_version_length(first) > 0)) {
      fail(side_ == Side::kRequests ? "http.bad_request_line" : "http.bad_status_line");
      return {data.size(), 0};
    }
    if (skip > 0) return {skip, 0};
    // "GET /path" and its line end, nothing after: an HTTP/0.9 simple request if the answer
    // comes without a status line (or the direction ends here). Remember it.
    if (request && eol != std::string_view::npos && eol + 1 == s.size()) {
      const auto sp = first.find(' ');
      if (first.substr(0, sp) == "GET" && sp != std::string_view::npos &&
          first.find(' ', sp + 1) == std::string_view::npos) {
        simple_line_bytes_ = eol + 1;
        simple_head_ = HttpHead{};
        simple_head_.method = "GET";
        simple_head_.target = std::string(first.substr(sp + 1));
        simple_head_.version = "HTTP/0.9";
        simple_head_.bytes = simple_line_bytes_;
      }
    } else {
      simple_line_bytes_ = 0;
    }
    return {0, data.size() + 1};
  }
  if (end > limits_.max_head_bytes) {
    fail("http.header_limit");
    return {data.size(), 0};
  }
  head_ = HttpHead{};
  simple_line_bytes_ = 0;
  head_.request = side_ == Side::kRequests;
  head_.bytes = skip + end;
  std::string_view text = s.substr(0, end);
  bool bare_lf = false;
  auto next_line = [&text, &bare_lf]() {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    } else if (eol != std::string_view::npos) {
      bare_lf = true;
    }
    return line;
  };
  const std::string_view start = next_line();
  if (head_.request) {
    // method [SP target [SP version]]; a missing or odd version is kept as sent.
    const std::string_view line = trim_field(start);
    if (!lenient_request_line(line)) {
      fail("http.bad_request_line");
      return {data.size(), 0};
    }
    const auto sp1 = line.find(' ');
    head_.method = std::string(line.substr(0, sp1));
    if (sp1 != std::string_view::npos) {
      std::string_view rest = trim_field(line.substr(sp1 + 1));
      const auto sp2 = rest.rfind(' ');
      if (sp2 != std::string_view::npos && rest.substr(sp2 + 1).substr(0, 5) == "HTTP/") {
        head_.version = std::string(rest.substr(sp2 + 1));
        rest = trim_field(rest.substr(0, sp2));
      }
      head_.target = std::string(rest);
    }
  } else {
    const std::size_t v = status_version_length(start);
    if (v == 0) {
      fail("http.bad_status_line");
      return {data.size(), 0};
    }
    head_.version = std::string(start.substr(0, v));
    head_.status = (start[v + 1] - '0') * 100 + (start[v + 2] - '0') * 10 + (start[v + 3] - '0');
    if (start.size() > v + 5) head_.reason = std::string(start.substr(v + 5));
    if (head_.version != "HTTP/1.1" && head_.version != "HTTP/1.0")
      head_.evasions |= kEvasionStatusLine;
  }
  while (!text.empty()) {
    const std::string_view line = next_line();
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      if (head_.fields.empty()) {
        head_.evasions |= kEvasionHeaderSyntax;
        continue;
      }
      // obs-fold (RFC 9112 5.2): a continuation of the previous field's value.
      head_.evasions |= kEvasionFolding;
      head_.fields.back().value += ' ';
      head_.fields.back().value += std::string(trim_field(line));
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {  // not a field: ignored, as browsers do
      head_.evasions |= kEvasionHeaderSyntax;
      continue;
    }
    if (line[colon - 1] == ' ' || line[colon - 1] == '\t') head_.evasions |= kEvasionHeaderSyntax;
    if (head_.fields.size() >= limits_.max_fields) {
      head_.fields_truncated = true;
      continue;
    }
    head_.fields.push_back(HttpField{std::string(trim_field(line.substr(0, colon))),
                                     std::string(trim_field(line.substr(colon + 1)))});
  }
  if (bare_lf) head_.evasions |= kEvasionLineEnds;
  head_.evasions |= framing_evasions(head_);
  events_.on_head(head_);
  begin_body(head_);
  return {skip + end, 0};
}

void Http1Parser::begin_body(const HttpHead& head) {
  auto chunked = [&]() {
    const std::string* te = head.find("Transfer-Encoding");
    if (te == nullptr) return 0;    // none
    if (side_ == Side::kResponses)  // as browsers decide it
      return response_is_chunked(head) ? 1 : -1;
    std::string_view v = trim_field(*te);
    const auto comma = v.rfind(',');
    if (comma != std::string_view::npos) v = trim_field(v.substr(comma + 1));
    return iequals(v, "chunked") ? 1 : -1;  // -1: another final coding
  };
  auto content_length = [&](std::uint64_t& n) {
    const std::string* cl = head.find("Content-Length");
    if (cl == nullptr) return false;
    std::string_view v = trim_field(*cl);
    const auto comma = v.find(',');  // "5, 5" is allowed if the values agree
    if (comma != std::string_view::npos) v = trim_field(v.substr(0, comma));
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    return ec == std::errc() && p == v.data() + v.size();
  };

  std::uint64_t length = 0;
  if (side_ == Side::kRequests) {
    const int te = chunked();
    if (te == 1) {
      state_ = State::kChunkSize;
    } else if (te == -1) {
      fail("http.request_transfer_coding");  // RFC 9112 6.3: no way to find the length
    } else if (content_length(length) && length > 0) {
      remaining_ = length;
      state_ = State::kLengthBody;
    } else {
      finish_message(true);
    }
    return;
  }

  std::string method;
  const bool interim = head.status >= 100 && head.status < 200 && head.status != 101;
  if (!pending_.empty()) {
    method = pending_.front().method;
    if (!interim) pending_.pop_front();
  }
  if (interim) {
    finish_message(true);  // 100 Continue and friends: the real response follows
    return;
  }
  if (head.status == 101 || (method == "CONNECT" && head.status >= 200 && head.status < 300)) {
    finish_message(true);
    state_ = State::kTunnel;
    return;
  }
  if (method == "HEAD" || head.status == 204 || head.status == 304) {
    finish_message(true);
    return;
  }
  const int te = chunked();
  if (te == 1) {
    state_ = State::kChunkSize;
  } else if (te == -1) {
    state_ = State::kCloseBody;
  } else if (content_length(length)) {
    if (length == 0) {
      finish_message(true);
    } else {
      remaining_ = length;
      state_ = State::kLengthBody;
    }
  } else {
    state_ = State::kCloseBody;
  }
}

Progress Http1Parser::parse_chunk_size(ByteView data) {
  const std::string_view s = as_chars(data);
  const auto eol = s.find('\n');
  if (eol == std::string_view::npos) {
    if (s.size() > limits_.max_chunk_line) {
      fail("http.chunk_line_limit");
      return {data.size(), 0};
    }
    return {0, data.size() + 1};
  }
  std::string_view raw = s.substr(0, eol);
  std::uint32_t evasions = 0;
  if (!raw.empty() && raw.back() == '\r') {
    raw.remove_suffix(1);
  } else {
    evasions |= kEvasionLineEnds;
  }
  std::string_view line = trim_field(raw);
  if (line.size() != raw.size()) evasions |= kEvasionChunkSize;  // blanks around it
  const auto semi = line.find(';');                              // chunk extensions are ignored
  if (semi != std::string_view::npos) {
    line = trim_field(line.substr(0, semi));
    evasions |= kEvasionChunkSize;
  }
  if (line.size() > 1 && line[0] == '0') evasions |= kEvasionChunkSize;  // leading zeros
  std::uint64_t size = 0;
  auto [p, ec] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
  if (line.empty() || line.size() > 15 || ec != std::errc() || p != line.data() + line.size()) {
    fail("http.bad_chunk_size");
    return {data.size(), 0};
  }
  if (evasions != 0) events_.on_evasion(evasions);
  if (size == 0) {
    state_ = State::kTrailers;
  } else {
    remaining_ = size;
    state_ = State::kChunkData;
  }
  return {eol + 1, 0};
}

Progress Http1Parser::parse_trailers(ByteView data) {
  const std::string_view s = as_chars(data);
  // Trailers end at an empty line; right after the last chunk that may be the only line.
  if (!s.empty() && s[0] == '\n') {
    finish_message(true);
    return {1, 0};
  }
  if (s.size() >= 2 && s[0] == '\r' && s[1] == '\n') {
    finish_message(true);
    return {2, 0};
  }
  const std::size_t end = head_end(s);
  if (end == std::string_view::npos) {
    if (s.size() > limits_.max_trailer_bytes) {
      fail("http.trailer_limit");
      return {data.size(), 0};
    }
    return {0, data.size() + 1};
  }
  finish_message(true);
  return {end, 0};
}

Progress Http1Parser::resync(ByteView data) {
  const std::string_view s = as_chars(data);
  const bool request = side_ == Side::kRequests;
  std::size_t pos = 0;
  while (pos < s.size()) {
    const auto eol = s.find('\n', pos);
    if (eol == std::string_view::npos) break;
    if (looks_like_start(trim_field(s.substr(pos, eol - pos)), request)) {
      state_ = State::kHead;
      scanned_ = 0;
      return {pos, 0};
    }
    pos = eol + 1;
  }
  scanned_ += pos;
  if (scanned_ > limits_.max_resync_scan) {
    fail("http.resync_failed");
    return {data.size(), 0};
  }
  if (pos == 0) return {0, data.size() + 1};  // a partial line: wait for its end
  return {pos, 0};
}

void Http1Parser::finish_message(bool complete) {
  state_ = State::kHead;
  remaining_ = 0;
  events_.on_message_end(complete);
}

void Http1Parser::gap(std::uint64_t bytes) {
  switch (state_) {
    case State::kLengthBody:
      if (bytes < remaining_) {
        events_.on_body_gap(bytes);
        remaining_ -= bytes;
        return;
      }
      events_.on_body_gap(remaining_);
      finish_message(false);
      state_ = State::kResync;
      return;
    case State::kCloseBody:
      events_.on_body_gap(bytes);
      return;
    case State::kChunkData:
    case State::kChunkSize:
    case State::kChunkEnd:
    case State::kTrailers:
      events_.on_body_gap(bytes);
      finish_message(false);
      state_ = State::kResync;
      return;
    case State::kHead:
      state_ = State::kResync;
      return;
    case State::kResync:
    case State::kTunnel:
    case State::kFailed:
      return;
  }
}

void Http1Parser::end() {
  if (side_ == Side::kRequests && simple_line_bytes_ > 0) {
    (void)take_simple_request();  // the client said no more: it was a simple request
    return;
  }
  switch (state_) {
    case State::kCloseBody:
      finish_message(true);
      return;
    case State::kLengthBody:
    case State::kChunkSize:
    case State::kChunkData:
    case State::kChunkEnd:
    case State::kTrailers:
      finish_message(false);
      return;
    default:
      return;
  }
}

}  // namespace kagami::wire
