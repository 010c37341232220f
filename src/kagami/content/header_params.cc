#include "kagami/content/header_params.h"

#include <cctype>
#include <cerrno>
#include <vector>

#include <iconv.h>

#include "kagami/content/encoded_words.h"

namespace kagami::content {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Raw 8-bit text in a header: UTF-8, else CP932 (what Japanese Windows sends), else the bytes
// as they came (written out later with their exact bytes beside: records/json_text.h).
std::string plain_text(std::string_view raw) {
  if (is_valid_utf8(raw)) return std::string(raw);
  std::string decoded = to_utf8(raw, "CP932");
  if (decoded.find("\xEF\xBF\xBD") != std::string::npos) return std::string(raw);
  return decoded;
}

}  // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string to_utf8(std::string_view text, std::string_view charset) {
  std::string cs = lower(trim(charset));
  if (cs.empty() || cs == "utf-8" || cs == "utf8" || cs == "us-ascii" || cs == "ascii") {
    if (is_valid_utf8(text)) return std::string(text);
    if (cs.empty()) cs = "cp932";
  }
  if (japanese_charset(cs)) return japanese_to_utf8(text, cs);
  iconv_t cd = iconv_open("UTF-8", cs.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::string(text);  // unknown charset: as is
  std::string out;
  std::vector<char> buf(text.size() * 4 + 16);
  char* in = const_cast<char*>(text.data());
  std::size_t in_left = text.size();
  while (in_left > 0) {
    char* o = buf.data();
    std::size_t o_left = buf.size();
    const std::size_t r = iconv(cd, &in, &in_left, &o, &o_left);
    out.append(buf.data(), static_cast<std::size_t>(o - buf.data()));
    if (r == static_cast<std::size_t>(-1)) {
      if (errno == E2BIG) continue;
      out += "\xEF\xBF\xBD";  // U+FFFD for a byte the charset cannot take
      ++in;
      --in_left;
    }
  }
  iconv_close(cd);
  return out;
}

HeaderValue parse_header_value(std::string_view text) {
  HeaderValue hv;
  std::size_t pos = text.find(';');
  hv.value = lower(trim(text.substr(0, pos)));
  // RFC 2231 pieces: name -> (index -> (encoded?, text)), and the charset of piece 0.
  std::map<std::string, std::map<int, std::pair<bool, std::string>>> pieces;
  while (pos != std::string_view::npos && pos < text.size()) {
    ++pos;  // past ';'
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    const std::size_t eq = text.find('=', pos);
    const std::size_t semi = text.find(';', pos);
    if (eq == std::string_view::npos || (semi != std::string_view::npos && semi < eq)) {
      pos = semi;
      continue;
    }
    std::string name = lower(trim(text.substr(pos, eq - pos)));
    std::size_t v = eq + 1;
    while (v < text.size() && std::isspace(static_cast<unsigned char>(text[v]))) ++v;
    std::string value;
    if (v < text.size() && text[v] == '"') {
      ++v;
      while (v < text.size() && text[v] != '"') {
        if (text[v] == '\\' && v + 1 < text.size()) ++v;
        value += text[v++];
      }
      pos = text.find(';', v);
    } else {
      const std::size_t end = text.find(';', v);
      value = std::string(
          trim(text.substr(v, end == std::string_view::npos ? std::string_view::npos : end - v)));
      pos = end;
    }
    // name, name*, name*N, name*N*
    bool encoded = false;
    int index = -1;
    const auto star = name.find('*');
    if (star != std::string::npos) {
      std::string rest = name.substr(star + 1);
      name = name.substr(0, star);
      if (rest.empty()) {
        encoded = true;
        index = 0;
      } else {
        if (rest.back() == '*') {
          encoded = true;
          rest.pop_back();
        }
        index = std::atoi(rest.c_str());
      }
    }
    if (index < 0) {
      if (!hv.params.count(name)) hv.params[name] = plain_text(value);
    } else {
      pieces[name][index] = {encoded, value};
    }
  }
  for (auto& [name, parts] : pieces) {
    std::string charset, joined;
    for (auto& [index, part] : parts) {
      std::string t = part.second;
      if (part.first) {
        if (index == 0) {
          // charset'language'value
          const auto q1 = t.find('\'');
          const auto q2 = q1 == std::string::npos ? std::string::npos : t.find('\'', q1 + 1);
          if (q2 != std::string::npos) {
            charset = t.substr(0, q1);
            t = t.substr(q2 + 1);
          }
        }
        joined += percent_decode(t);
      } else {
        joined += t;
      }
    }
    // An extended value wins over a plain one of the same name (RFC 6266 4.3).
    hv.params[name] = charset.empty() ? plain_text(joined) : to_utf8(joined, charset);
  }
  return hv;
}

}  // namespace kagami::content
