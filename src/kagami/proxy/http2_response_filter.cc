#include <algorithm>
#include <cstring>
#include <string>

#include <nghttp2/nghttp2.h>

#include "kagami/base/ascii.h"
#include "kagami/proxy/alt_svc.h"
#include "kagami/proxy/response_filter.h"

namespace kagami::proxy {
namespace {

constexpr std::uint8_t kHeaders = 0x1, kPushPromise = 0x5, kContinuation = 0x9, kAltSvc = 0xa;
constexpr std::uint8_t kSettings = 0x4;
constexpr std::uint8_t kEndStream = 0x1, kAck = 0x1, kEndHeaders = 0x4, kPadded = 0x8,
                       kPriority = 0x20;
constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// Bounds on what a server may make the proxy hold or decode: a header block (HEADERS and its
// CONTINUATIONs: the CONTINUATION flood of CVE-2024-27316 ends here), the header list it
// decodes to (an HPACK bomb), and an ALTSVC frame.
constexpr std::size_t kMaxBlockBytes = 1u << 20;
constexpr std::size_t kMaxListBytes = 1u << 20;
constexpr std::size_t kMaxAltSvcFrame = 16u << 10;
constexpr std::uint32_t kDefaultTableSize = 4096;

std::uint32_t be24(const std::uint8_t* p) { return (p[0] << 16) | (p[1] << 8) | p[2]; }
std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

void put_frame_head(std::vector<std::uint8_t>& out, std::size_t len, std::uint8_t type,
                    std::uint8_t flags, std::uint32_t stream) {
  const std::uint8_t h[9] = {static_cast<std::uint8_t>(len >> 16),
                             static_cast<std::uint8_t>(len >> 8),
                             static_cast<std::uint8_t>(len),
                             type,
                             flags,
                             static_cast<std::uint8_t>(stream >> 24),
                             static_cast<std::uint8_t>(stream >> 16),
                             static_cast<std::uint8_t>(stream >> 8),
                             static_cast<std::uint8_t>(stream)};
  out.insert(out.end(), h, h + 9);
}

// Frames of one direction, as they come in pieces: the 9-byte head, then the payload, which
// the caller either passes along as it arrives or holds until it is whole.
struct FrameCursor {
  std::uint8_t head[9];
  std::size_t head_len = 0;
  std::size_t left = 0;  // payload bytes still to come
  bool hold = false;     // the payload is collected whole
  std::vector<std::uint8_t> payload;

  // Takes what is missing of the 9-byte head from bytes[off...]; true once it is whole (the
  // payload then begins: `left` set, nothing held yet).
  bool take_head(ByteView bytes, std::size_t& off) {
    const std::size_t take = std::min<std::size_t>(9 - head_len, bytes.size() - off);
    std::memcpy(head + head_len, bytes.data() + off, take);
    head_len += take;
    off += take;
    if (head_len < 9) return false;
    left = length();
    payload.clear();
    return true;
  }
  // Takes payload bytes from bytes[off...], into `payload` when held; true once it is whole.
  bool take_payload(ByteView bytes, std::size_t& off, std::vector<std::uint8_t>* pass_to) {
    const std::size_t take = std::min<std::size_t>(left, bytes.size() - off);
    const std::uint8_t* p = bytes.data() + off;
    if (hold)
      payload.insert(payload.end(), p, p + take);
    else if (pass_to != nullptr)
      pass_to->insert(pass_to->end(), p, p + take);
    left -= take;
    off += take;
    if (left > 0) return false;
    head_len = 0;
    return true;
  }
  std::uint32_t length() const { return be24(head); }
  std::uint8_t type() const { return head[3]; }
  std::uint8_t flags() const { return head[4]; }
  std::uint32_t stream() const { return be32(head + 5) & 0x7fffffffu; }
};

class Http2AltSvcFilter final : public ResponseFilter {
 public:
  Http2AltSvcFilter() {
    nghttp2_hd_inflate_new(&inflater_);
    nghttp2_hd_deflate_new(&deflater_, kDefaultTableSize);
  }
  ~Http2AltSvcFilter() override {
    if (inflater_ != nullptr) nghttp2_hd_inflate_del(inflater_);
    if (deflater_ != nullptr) nghttp2_hd_deflate_del(deflater_);
  }
  Http2AltSvcFilter(const Http2AltSvcFilter&) = delete;
  Http2AltSvcFilter& operator=(const Http2AltSvcFilter&) = delete;

  // Only the client's SETTINGS matter: its header table size bounds the proxy's encoder and
  // the server's (whose blocks the proxy decodes), its frame size the frames sent to it.
  Status from_client(ByteView bytes) override {
    if (inflater_ == nullptr || deflater_ == nullptr) return make_error("out of memory");
    std::size_t off = 0;
    while (off < bytes.size() && preface_seen_ < kPreface.size()) {
      if (bytes[off] != static_cast<std::uint8_t>(kPreface[preface_seen_]))
        return make_error("the client did not begin with the HTTP/2 preface");
      ++preface_seen_;
      ++off;
    }
    while (off < bytes.size()) {
      FrameCursor& f = client_;
      if (f.head_len < 9) {
        if (!f.take_head(bytes, off)) break;
        f.hold = f.type() == kSettings && !(f.flags() & kAck) && f.left <= 6 * 64;
      }
      if (!f.take_payload(bytes, off, nullptr)) break;
      if (f.hold) apply_client_settings(f.payload);
    }
    return {};
  }

  Status from_server(ByteView bytes, std::vector<std::uint8_t>& out) override {
    std::size_t off = 0;
    FrameCursor& f = server_;
    while (off < bytes.size()) {
      if (f.head_len < 9) {
        if (!f.take_head(bytes, off)) break;
        const std::uint8_t type = f.type();
        if (in_block_ && type != kContinuation)
          return make_error("the server interrupted a header block with a frame of type {}", type);
        if (type == kHeaders || type == kPushPromise || type == kContinuation) {
          if (block_.size() + f.left > kMaxBlockBytes)
            return make_error("the server's header block exceeds {} bytes", kMaxBlockBytes);
          f.hold = true;
        } else {
          f.hold = type == kAltSvc && f.left <= kMaxAltSvcFrame;
        }
        if (!f.hold) out.insert(out.end(), f.head, f.head + 9);
      }
      if (!f.take_payload(bytes, off, &out)) break;
      if (!f.hold) continue;
      if (auto s = f.type() == kAltSvc ? altsvc_frame(f, out) : header_frame(f, out); !s) return s;
    }
    return {};
  }

  // A frame cut by the end of the connection is passed as far as it came.
  void server_ended(std::vector<std::uint8_t>& out) override {
    FrameCursor& f = server_;
    if (f.hold && f.head_len == 9) {
      out.insert(out.end(), f.head, f.head + 9);
      out.insert(out.end(), f.payload.begin(), f.payload.end());
    } else if (f.head_len < 9) {
      out.insert(out.end(), f.head, f.head + f.head_len);
    }
    f.head_len = 0;
    f.payload.clear();
  }

 private:
  void apply_client_settings(const std::vector<std::uint8_t>& p) {
    for (std::size_t i = 0; i + 6 <= p.size(); i += 6) {
      const std::uint16_t id = static_cast<std::uint16_t>((p[i] << 8) | p[i + 1]);
      const std::uint32_t v = be32(p.data() + i + 2);
      if (id == 0x1) {
        // The proxy's encoder stays within what the client allows; the server's may grow to
        // it. (Never shrink the decoder: the server may go on with the old size until it
        // acknowledges, and announces the change in its next block.)
        nghttp2_hd_deflate_change_table_size(deflater_, std::min(v, kDefaultTableSize));
        if (v > decoder_table_) {
          decoder_table_ = v;
          nghttp2_hd_inflate_change_table_size(inflater_, v);
        }
      } else if (id == 0x5 && v >= 16384 && v <= 16777215) {
        client_max_frame_ = v;
      }
    }
  }

  // HEADERS, PUSH_PROMISE or CONTINUATION: the fragment joins the block; a whole block is
  // decoded, edited and encoded again.
  Status header_frame(const FrameCursor& f, std::vector<std::uint8_t>& out) {
    const std::vector<std::uint8_t>& p = f.payload;
    std::size_t begin = 0, end = p.size();
    const std::uint8_t flags = f.flags();
    if (f.type() != kContinuation) {
      block_type_ = f.type();
      block_stream_ = f.stream();
      block_flags_ = flags & kEndStream;
      block_prefix_.clear();
      if (f.type() == kHeaders || f.type() == kPushPromise) {
        if (flags & kPadded) {
          if (p.empty() || p[0] >= p.size()) return make_error("the server padded a frame wrongly");
          end -= p[0];
          begin = 1;
        }
        const std::size_t prefix = f.type() == kPushPromise ? 4 : (flags & kPriority) ? 5 : 0;
        if (end - begin < prefix) return make_error("the server sent a truncated header frame");
        block_prefix_.assign(p.begin() + begin, p.begin() + begin + prefix);
        if (f.type() == kHeaders && prefix > 0) block_flags_ |= kPriority;
        begin += prefix;
      }
      block_.clear();
      in_block_ = true;
    } else if (!in_block_ || f.stream() != block_stream_) {
      return make_error("the server sent a CONTINUATION outside a header block");
    }
    block_.insert(block_.end(), p.begin() + begin, p.begin() + end);
    if (!(flags & kEndHeaders)) return {};
    in_block_ = false;
    if (auto s = decode_block(); !s) return s;
    return encode_block(out);
  }

  Status decode_block() {
    names_.clear();
    values_.clear();
    nv_flags_.clear();
    std::size_t listed = 0;
    const std::uint8_t* in = block_.data();
    std::size_t left = block_.size();
    while (true) {
      nghttp2_nv nv;
      int inflate_flags = 0;
      const auto rv = nghttp2_hd_inflate_hd2(inflater_, &nv, &inflate_flags, in, left, 1);
      if (rv < 0) return make_error("the server's header block does not decode (HPACK)");
      in += rv;
      left -= static_cast<std::size_t>(rv);
      if (inflate_flags & NGHTTP2_HD_INFLATE_EMIT) {
        listed += nv.namelen + nv.valuelen + 32;  // the size RFC 9113 counts
        if (listed > kMaxListBytes)
          return make_error("the server's header list exceeds {} bytes", kMaxListBytes);
        names_.emplace_back(reinterpret_cast<const char*>(nv.name), nv.namelen);
        values_.emplace_back(reinterpret_cast<const char*>(nv.value), nv.valuelen);
        nv_flags_.push_back(nv.flags & NGHTTP2_NV_FLAG_NO_INDEX);
      }
      if (inflate_flags & NGHTTP2_HD_INFLATE_FINAL) {
        nghttp2_hd_inflate_end_headers(inflater_);
        return {};
      }
      if (rv == 0 && left == 0 && !(inflate_flags & NGHTTP2_HD_INFLATE_EMIT))
        return make_error("the server's header block ends inside a field (HPACK)");
    }
  }

  Status encode_block(std::vector<std::uint8_t>& out) {
    nva_.clear();
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == "alt-svc") {
        if (auto kept = alt_svc_without_quic(values_[i])) {
          ++stripped_;
          if (kept->empty()) continue;
          values_[i] = std::move(*kept);
        }
      }
      nva_.push_back(nghttp2_nv{
          reinterpret_cast<std::uint8_t*>(names_[i].data()),
          reinterpret_cast<std::uint8_t*>(values_[i].data()), names_[i].size(), values_[i].size(),
          static_cast<std::uint8_t>(NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE |
                                    nv_flags_[i])});
    }
    encoded_.resize(nghttp2_hd_deflate_bound(deflater_, nva_.data(), nva_.size()));
    const auto n = nghttp2_hd_deflate_hd(deflater_, encoded_.data(), encoded_.size(), nva_.data(),
                                         nva_.size());
    if (n < 0) return make_error("cannot encode a header block again (HPACK)");
    // HEADERS or PUSH_PROMISE with the first piece, CONTINUATIONs with the rest, each within
    // the frame size the client allows. Padding is not kept: it hid nothing the client needs.
    std::size_t off = 0;
    const std::size_t total = static_cast<std::size_t>(n);
    bool first = true;
    do {
      const std::size_t room = client_max_frame_ - (first ? block_prefix_.size() : 0);
      const std::size_t piece = std::min(room, total - off);
      const bool last = off + piece == total;
      const std::uint8_t flags =
          static_cast<std::uint8_t>((first ? block_flags_ : 0) | (last ? kEndHeaders : 0));
      put_frame_head(out, piece + (first ? block_prefix_.size() : 0),
                     first ? block_type_ : kContinuation, flags, block_stream_);
      if (first) out.insert(out.end(), block_prefix_.begin(), block_prefix_.end());
      out.insert(out.end(), encoded_.begin() + off, encoded_.begin() + off + piece);
      off += piece;
      first = false;
    } while (off < total);
    return {};
  }

  // ALTSVC (RFC 7838 section 4): origin length, origin, the field value.
  Status altsvc_frame(const FrameCursor& f, std::vector<std::uint8_t>& out) {
    const std::vector<std::uint8_t>& p = f.payload;
    const std::size_t origin = p.size() >= 2 ? static_cast<std::size_t>((p[0] << 8) | p[1]) : 0;
    std::optional<std::string> kept;
    if (p.size() >= 2 + origin)
      kept = alt_svc_without_quic(std::string_view(
          reinterpret_cast<const char*>(p.data()) + 2 + origin, p.size() - 2 - origin));
    if (!kept) {  // nothing to remove, or not an ALTSVC frame the client could use either
      out.insert(out.end(), f.head, f.head + 9);
      out.insert(out.end(), p.begin(), p.end());
      return {};
    }
    ++stripped_;
    if (kept->empty()) return {};
    put_frame_head(out, 2 + origin + kept->size(), kAltSvc, f.flags(), f.stream());
    out.insert(out.end(), p.begin(), p.begin() + 2 + static_cast<std::ptrdiff_t>(origin));
    out.insert(out.end(), kept->begin(), kept->end());
    return {};
  }

  nghttp2_hd_inflater* inflater_ = nullptr;
  nghttp2_hd_deflater* deflater_ = nullptr;
  std::uint32_t decoder_table_ = kDefaultTableSize;
  std::uint32_t client_max_frame_ = 16384;
  std::size_t preface_seen_ = 0;
  FrameCursor client_, server_;
  // The header block being collected.
  bool in_block_ = false;
  std::uint8_t block_type_ = 0, block_flags_ = 0;
  std::uint32_t block_stream_ = 0;
  std::vector<std::uint8_t> block_prefix_;  // PRIORITY fields or the promised stream
  std::vector<std::uint8_t> block_, encoded_;
  std::vector<std::string> names_, values_;
  std::vector<std::uint8_t> nv_flags_;
  std::vector<nghttp2_nv> nva_;
};

}  // namespace

std::unique_ptr<ResponseFilter> make_http2_alt_svc_filter() {
  return std::make_unique<Http2AltSvcFilter>();
}

}  // namespace kagami::proxy
