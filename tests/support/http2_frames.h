#pragma once

// HTTP/2 frames as real peers write them, for tests: header blocks compressed by nghttp2's
// HPACK deflater (one per sending side, so its dynamic table carries across blocks).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nghttp2/nghttp2.h>

namespace kagami::testing {

class Http2Writer {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;
  static constexpr std::uint8_t kData = 0, kHeaders = 1, kRstStream = 3, kSettings = 4,
                                kPushPromise = 5, kPing = 6, kGoaway = 7, kContinuation = 9;
  static constexpr std::uint8_t kEndStream = 0x1, kEndHeaders = 0x4, kPadded = 0x8;

  Http2Writer() { nghttp2_hd_deflate_new(&deflater_, 4096); }
  ~Http2Writer() { nghttp2_hd_deflate_del(deflater_); }
  Http2Writer(const Http2Writer&) = delete;
  Http2Writer& operator=(const Http2Writer&) = delete;

  static std::string preface() { return "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"; }

  static std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                           const std::string& payload) {
    std::string f;
    const std::size_t n = payload.size();
    f.push_back(static_cast<char>(n >> 16));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n));
    f.push_back(static_cast<char>(type));
    f.push_back(static_cast<char>(flags));
    f += be32(stream);
    return f + payload;
  }
  static std::string be32(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
  }
  static std::string settings(const std::vector<std::pair<std::uint16_t, std::uint32_t>>& s = {}) {
    std::string p;
    for (auto [id, v] : s)
      p += std::string{static_cast<char>(id >> 8), static_cast<char>(id)} + be32(v);
    return frame(kSettings, 0, 0, p);
  }
  static std::string data(std::uint32_t stream, const std::string& bytes, bool end = true) {
    return frame(kData, end ? kEndStream : 0, stream, bytes);
  }
  static std::string rst(std::uint32_t stream, std::uint32_t code = 8) {
    return frame(kRstStream, 0, stream, be32(code));
  }
  static std::string goaway(std::uint32_t last, std::uint32_t code = 0) {
    return frame(kGoaway, 0, 0, be32(last) + be32(code));
  }

  // The block alone, compressed (for splitting over CONTINUATIONs by hand).
  std::string block(const Fields& fields) {
    std::vector<nghttp2_nv> nv;
    for (const auto& [n, v] : fields)
      nv.push_back(nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(n.data())),
                              reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())),
                              n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    std::string out(nghttp2_hd_deflate_bound(deflater_, nv.data(), nv.size()), '\0');
    const auto n = nghttp2_hd_deflate_hd(deflater_, reinterpret_cast<std::uint8_t*>(out.data()),
                                         out.size(), nv.data(), nv.size());
    out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
    return out;
  }
  std::string headers(std::uint32_t stream, const Fields& fields, bool end_stream) {
    return frame(kHeaders, kEndHeaders | (end_stream ? kEndStream : 0), stream, block(fields));
  }
  std::string push_promise(std::uint32_t stream, std::uint32_t promised, const Fields& fields) {
    return frame(kPushPromise, kEndHeaders, stream, be32(promised) + block(fields));
  }

 private:
  nghttp2_hd_deflater* deflater_ = nullptr;
};

}  // namespace kagami::testing
