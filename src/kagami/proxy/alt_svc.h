#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kagami::proxy {

// An Alt-Svc value (RFC 7838) without its HTTP/3 and gQUIC alternatives, which would take a
// browser to UDP where the proxy cannot see it. nullopt: nothing to remove, keep the value as
// it was; an empty string: nothing is left, drop the field (or frame).
std::optional<std::string> alt_svc_without_quic(std::string_view value);

}  // namespace kagami::proxy
