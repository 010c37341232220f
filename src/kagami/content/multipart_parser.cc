#include "kagami/content/multipart_parser.h"

#include "kagami/base/ascii.h"
#include "kagami/content/header_params.h"

namespace kagami::content {

const std::string* PartHeaders::find(std::string_view name) const {
  for (const auto& [n, v] : fields)
    if (iequals(n, name)) return &v;
  return nullptr;
}

bool is_file_part(const PartHeaders& headers) {
  if (const std::string* cd = headers.find("Content-Disposition")) {
    const HeaderValue v = parse_header_value(*cd);
    if (v.param("filename") != nullptr || v.param("filename*") != nullptr) return true;
  }
  const std::string* ct = headers.find("Content-Type");
  return ct != nullptr && !iequals(parse_header_value(*ct).value, "text/plain");
}

std::string_view leading_boundary(std::string_view body) {
  if (!body.starts_with("--")) return {};
  const std::size_t eol = body.find("\r\n");
  // RFC 2046: 1 to 70 characters, no trailing space.
  if (eol == std::string_view::npos || eol < 3 || eol > 72) return {};
  const std::string_view b = body.substr(2, eol - 2);
  for (char c : b)
    if (static_cast<unsigned char>(c) <= ' ' && c != ' ') return {};
  if (b.back() == ' ') return {};
  const std::string_view after = body.substr(eol + 2);
  if (!istarts_with(after, "Content-")) return {};
  return b;
}

MultipartParser::MultipartParser(std::string_view boundary, const MultipartLimits& limits,
                                 MultipartEvents& events)
    : delimiter_("\r\n--" + std::string(boundary)), limits_(limits), events_(events) {
  // The first delimiter may open the body without a CRLF before it.
  pending_ = "\r\n";
}

void MultipartParser::feed(ByteView data) {
  if (state_ == State::kFailed || state_ == State::kEpilogue) return;
  pending_.append(as_chars(data));
  process(false);
}

void MultipartParser::finish() {
  if (state_ == State::kFailed || state_ == State::kEpilogue) return;
  process(true);
  if (in_part_) {
    if (state_ == State::kBody && !pending_.empty()) events_.on_part_data(as_bytes(pending_));
    pending_.clear();
    events_.on_part_end(false);
    in_part_ = false;
  }
}

void MultipartParser::process(bool at_end) {
  for (;;) {
    switch (state_) {
      case State::kPreamble: {
        const auto at = pending_.find(delimiter_);
        if (at == std::string::npos) {
          // Keep only what could still be the start of a delimiter.
          if (pending_.size() > delimiter_.size())
            pending_.erase(0, pending_.size() - delimiter_.size());
          return;
        }
        pending_.erase(0, at + delimiter_.size());
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kAfterDelimiter: {
        if (pending_.size() < 2) return;
        if (pending_.compare(0, 2, "--") == 0) {
          state_ = State::kEpilogue;
          pending_.clear();
          return;
        }
        // Transport padding (spaces) may follow the boundary before its CRLF.
        const auto eol = pending_.find('\n');
        if (eol == std::string::npos) {
          if (pending_.size() > 1024) state_ = State::kFailed;
          return;
        }
        pending_.erase(0, eol + 1);
        state_ = State::kHeaders;
        break;
      }
      case State::kHeaders: {
        std::size_t end = std::string::npos, skip = 0;
        if (pending_.compare(0, 2, "\r\n") == 0) {
          end = 0;
          skip = 2;
        } else if (!pending_.empty() && pending_[0] == '\n') {
          end = 0;
          skip = 1;
        } else if ((end = pending_.find("\r\n\r\n")) != std::string::npos) {
          skip = 4;
        } else if ((end = pending_.find("\n\n")) != std::string::npos) {
          skip = 2;
        }
        if (end == std::string::npos) {
          if (pending_.size() > limits_.max_part_header_bytes) state_ = State::kFailed;
          return;
        }
        if (++parts_ > limits_.max_parts) {
          state_ = State::kFailed;
          return;
        }
        PartHeaders h;
        std::string_view block(pending_.data(), end);
        while (!block.empty()) {
          const auto eol = block.find('\n');
          std::string_view line = block.substr(0, eol);
          block.remove_prefix(eol == std::string_view::npos ? block.size() : eol + 1);
          line = trim_field(line);
          if (line.empty()) continue;
          if ((line[0] == ' ' || line[0] == '\t') && !h.fields.empty()) {
            h.fields.back().second += " " + std::string(trim_field(line));
            continue;
          }
          const auto colon = line.find(':');
          if (colon == std::string_view::npos) continue;
          h.fields.emplace_back(std::string(trim_field(line.substr(0, colon))),
                                std::string(trim_field(line.substr(colon + 1))));
        }
        pending_.erase(0, end + skip);
        events_.on_part_begin(h);
        in_part_ = true;
        state_ = State::kBody;
        break;
      }
      case State::kBody: {
        const auto at = pending_.find(delimiter_);
        if (at == std::string::npos) {
          // Hand over all but a delimiter's length, which may begin one.
          if (pending_.size() > delimiter_.size()) {
            const std::size_t n = pending_.size() - delimiter_.size();
            events_.on_part_data(as_bytes(std::string_view(pending_).substr(0, n)));
            pending_.erase(0, n);
          }
          if (at_end) return;
          return;
        }
        if (at > 0) events_.on_part_data(as_bytes(std::string_view(pending_).substr(0, at)));
        events_.on_part_end(true);
        in_part_ = false;
        pending_.erase(0, at + delimiter_.size());
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kEpilogue:
      case State::kFailed:
        return;
    }
  }
}

}  // namespace kagami::content
