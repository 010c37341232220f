#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/wire/tls_handshake.h"

namespace kagami::wire {

// What the first bytes of a connection are, as far as a TLS interceptor must know.
struct ClientHelloScan {
  enum class Result {
    kNeedMore,   // could still be a ClientHello: wait for `need` bytes in all
    kNotTls,     // some other protocol: relay it unchanged
    kHello,      // a whole ClientHello, parsed into `hello`
    kMalformed,  // starts as TLS but breaks its own rules (`error` says how)
  };
  Result result = Result::kNeedMore;
  std::size_t need = kTlsRecordHeaderBytes;
  TlsClientHello hello;
  std::vector<std::uint8_t> body;  // the ClientHello's body, as parse_client_hello reads it
  std::string error;
};

// Reads a ClientHello from the first bytes a client sent, across as many handshake records
// as it spans, without consuming anything: the same bytes go to the TLS library afterwards.
// A ClientHello longer than `max_hello_bytes` is malformed (bounded memory and time).
ClientHelloScan scan_client_hello(ByteView first_bytes, std::size_t max_hello_bytes = 64u << 10);

}  // namespace kagami::wire
