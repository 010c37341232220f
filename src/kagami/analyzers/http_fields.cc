#include "kagami/analyzers/http_fields.h"

#include "kagami/base/ascii.h"
#include "kagami/base/base64.h"
#include "kagami/content/header_params.h"

namespace kagami::analyzers {

std::string basic_user(const std::string* authorization) {
  if (authorization == nullptr) return {};
  std::string_view v = *authorization;
  if (v.size() < 6 || !iequals(v.substr(0, 6), "basic ")) return {};
  auto decoded = base64_decode(v.substr(6));
  if (!decoded) return {};
  const auto colon = decoded->find(':');
  return decoded->substr(0, colon);
}

std::string name_from_uri(std::string_view uri) {
  const auto q = uri.find_first_of("?#");
  std::string_view path = uri.substr(0, q);
  const auto scheme = path.find("://");
  if (scheme != std::string_view::npos) {
    const auto slash = path.find('/', scheme + 3);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  const auto slash = path.rfind('/');
  return content::to_utf8(
      content::percent_decode(path.substr(slash == std::string_view::npos ? 0 : slash + 1)), "");
}

std::string disposition_name(const std::string* content_disposition) {
  if (content_disposition == nullptr) return {};
  const content::HeaderValue v = content::parse_header_value(*content_disposition);
  const std::string* f = v.param("filename");
  return f ? *f : std::string();
}

}  // namespace kagami::analyzers
