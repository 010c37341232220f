// The console's request reader, fed a connection's bytes in pieces of varying size: it must
// never read past what it was given, never be done and failed at once, and what it reads as a
// request must read again, normalized, as the very same request (no byte of one request can
// become another).
#include <cstddef>
#include <cstdint>
#include <string>

#include "kagami/console/http_request_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kagami;
  if (size < 1) return 0;
  console::HttpRequestLimits limits;
  limits.max_head_bytes = 2048;
  limits.max_target_bytes = 512;
  limits.max_fields = 16;
  limits.max_body_bytes = 4096;
  console::HttpRequestReader reader(limits);
  const std::size_t piece = 1 + (data[0] & 63);
  std::size_t at = 1;
  int requests = 0;
  while (at < size && requests < 16) {
    const std::size_t n = std::min(piece, size - at);
    const std::size_t used = reader.feed(ByteView(data + at, n));
    if (used > n) __builtin_trap();
    at += used;
    if (reader.done() && reader.failed()) __builtin_trap();
    if (reader.failed()) {
      const int s = reader.error_status();
      if (s < 400 || s > 505) __builtin_trap();
      break;
    }
    if (reader.done()) {
      const std::string once = reader.normalized();
      // Normalizing writes "name: value" and a Content-Length: a little more head, never more
      // body or fields beyond the one length.
      console::HttpRequestLimits roomier = limits;
      roomier.max_head_bytes += 1024;
      roomier.max_fields += 1;
      console::HttpRequestReader again(roomier);
      const std::size_t took = again.feed(as_bytes(once));
      if (!again.done() || took != once.size() || again.normalized() != once) __builtin_trap();
      reader.reset();
      ++requests;
      continue;
    }
    if (used < n) __builtin_trap();  // not done, not failed: it takes everything it is given
  }
  return 0;
}
