#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kagami/base/byte_view.h"
#include "kagami/content/byte_sink.h"

namespace kagami::content {

// Bounds on what decompression may produce: a compression bomb stops here, flagged.
struct DecodeLimits {
  std::uint64_t max_output_bytes = 1ull << 30;
  std::uint64_t max_ratio = 1000;              // output per input byte...
  std::uint64_t ratio_grace_bytes = 1u << 20;  // ...once the output passed this
};

// What a decoded stream showed that a plain encoder never writes: browsers accept all of it,
// and a scanner that does not sees nothing.
enum CodingOddity : std::uint32_t {
  kOddRawDeflate = 1u << 0,        // "deflate" without its zlib wrapper
  kOddUnended = 1u << 1,           // the stream stops without its end (no final block, no trailer)
  kOddGzipHeaderFields = 1u << 2,  // a gzip header with FEXTRA, FCOMMENT or FHCRC
  kOddAfterEnd = 1u << 3,          // bytes after the stream's end (a second gzip member)
};

// Undoes HTTP content codings (RFC 9110 8.4) as browsers do: gzip / x-gzip (the first member),
// deflate (zlib or raw), br, zstd, and stacks of them ("gzip, br" is undone right to left).
// Streaming: memory stays bounded whatever the body's size.
class BodyDecoder {
 public:
  enum class State { kOk, kError, kLimit };

  // nullptr if a coding is unknown (the caller keeps the body as it came).
  static std::unique_ptr<BodyDecoder> create(std::string_view content_encoding,
                                             const DecodeLimits& limits);
  virtual ~BodyDecoder() = default;

  // Decodes `in`, writing to `out`. Once the state is not kOk further input is ignored.
  virtual State feed(ByteView in, ByteSink& out) = 0;
  // The body ended; kError if a coding's stream was incomplete and gave nothing (a stream
  // that gave output and then stopped is what browsers show: kOk, noted kOddUnended).
  virtual State finish(ByteSink& out) = 0;
  virtual std::uint64_t output_bytes() const = 0;
  virtual std::uint32_t oddities() const = 0;  // CodingOddity bits
  virtual std::string error() const = 0;
};

// "gzip, br" -> {"gzip", "br"}; identity codings dropped, names lower-cased.
std::vector<std::string> parse_content_codings(std::string_view header);

}  // namespace kagami::content
