#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kagami::wire {

// A data connection's address as FTP announces it. `ip` is empty when the form carries none
// (EPSV): the control connection's server is meant.
struct FtpAddress {
  std::string ip;
  std::uint16_t port = 0;
};

// PORT h1,h2,h3,h4,p1,p2 (RFC 959) and the same six numbers in a 227 PASV reply, wherever
// they stand in its text ("227 Entering Passive Mode (192,0,2,1,4,1)").
std::optional<FtpAddress> parse_ftp_host_port(std::string_view text);
// EPRT |1|192.0.2.1|1025| or |2|2001:db8::1|1025| (RFC 2428); any delimiter in 33..126.
std::optional<FtpAddress> parse_ftp_eprt(std::string_view arg);
// A 229 EPSV reply: "229 Entering Extended Passive Mode (|||1025|)".
std::optional<FtpAddress> parse_ftp_epsv_reply(std::string_view text);

}  // namespace kagami::wire
