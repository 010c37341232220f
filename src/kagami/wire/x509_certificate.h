#pragma once

#include <string>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/base/result.h"
#include "kagami/base/time.h"

namespace kagami::wire {

// What an investigator asks of a certificate seen on the wire.
struct X509Summary {
  std::string subject;  // RFC 2253, UTF-8 ("CN=www.example.com,O=Example,C=JP")
  std::string issuer;
  std::string common_name;        // the subject's last CN, for naming the file
  std::string serial;             // hex
  std::vector<std::string> sans;  // "DNS:…", "IP:…", "email:…", "URI:…"
  TimeNs not_before = 0, not_after = 0;
  std::string key;  // "RSA 2048", "EC 256", …
  bool self_issued = false;
};

// Parses one DER certificate (OpenSSL d2i_X509). Untrusted input: anything OpenSSL rejects
// is an error, and nothing is verified here (that is the proxy's job).
Result<X509Summary> parse_x509(ByteView der);

}  // namespace kagami::wire
