#include <algorithm>
#include <cstring>
#include <string>

#include <nghttp2/nghttp2.h>

#include "kagami/base/ascii.h"
#include "kagami/proxy/alt_svc.h"
#include "kagami/proxy/http_filter.h"

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

struct HeaderField {
  std::string name, value;
  std::uint8_t flags = 0;  // NGHTTP2_NV_FLAG_NO_INDEX kept as the sender asked
  bool keep = true;
};

// One direction's header blocks (HEADERS or PUSH_PROMISE and their CONTINUATIONs): collected,
// decoded with the sender's table, edited, and encoded again with the proxy's own table for
// the receiver, in frames the receiver's SETTINGS allow.
class BlockEditor {
 public:
  explicit BlockEditor(const char* sender) : sender_(sender) {
    nghttp2_hd_inflate_new(&inflater_);
    nghttp2_hd_deflate_new(&deflater_, kDefaultTableSize);
  }
  ~BlockEditor() {
    if (inflater_ != nullptr) nghttp2_hd_inflate_del(inflater_);
    if (deflater_ != nullptr) nghttp2_hd_deflate_del(deflater_);
  }
  BlockEditor(const BlockEditor&) = delete;
  BlockEditor& operator=(const BlockEditor&) = delete;

  bool ready() const { return inflater_ != nullptr && deflater_ != nullptr; }
  bool in_block() const { return in_block_; }
  std::size_t collected() const { return block_.size(); }

  // The receiver's SETTINGS: its header table size bounds the proxy's encoder and the
  // sender's (whose blocks the proxy decodes), its frame size the frames sent to it.
  void receiver_settings(const std::vector<std::uint8_t>& p) {
    for (std::size_t i = 0; i + 6 <= p.size(); i += 6) {
      const std::uint16_t id = static_cast<std::uint16_t>((p[i] << 8) | p[i + 1]);
      const std::uint32_t v = be32(p.data() + i + 2);
      if (id == 0x1) {
        // Never shrink the decoder: the sender may go on with the old size until it
        // acknowledges, and announces the change in its next block.
        nghttp2_hd_deflate_change_table_size(deflater_, std::min(v, kDefaultTableSize));
        if (v > decoder_table_) {
          decoder_table_ = v;
          nghttp2_hd_inflate_change_table_size(inflater_, v);
        }
      } else if (id == 0x5 && v >= 16384 && v <= 16777215) {
        max_frame_ = v;
      }
    }
  }

  // A whole HEADERS, PUSH_PROMISE or CONTINUATION frame: the fragment joins the block; a
  // whole block is decoded, given to `edit`, and what it keeps is encoded again into `out`.
  template <typename Edit>
  Status header_frame(const FrameCursor& f, Edit&& edit, std::vector<std::uint8_t>& out) {
    const std::vector<std::uint8_t>& p = f.payload;
    std::size_t begin = 0, end = p.size();
    const std::uint8_t flags = f.flags();
    if (f.type() != kContinuation) {
      block_type_ = f.type();
      block_stream_ = f.stream();
      block_flags_ = flags & kEndStream;
      block_prefix_.clear();
      if (flags & kPadded) {
        if (p.empty() || p[0] >= p.size())
          return make_error("the {} padded a frame wrongly", sender_);
        end -= p[0];
        begin = 1;
      }
      const std::size_t prefix = f.type() == kPushPromise ? 4 : (flags & kPriority) ? 5 : 0;
      if (end - begin < prefix) return make_error("the {} sent a truncated header frame", sender_);
      block_prefix_.assign(p.begin() + begin, p.begin() + begin + prefix);
      if (f.type() == kHeaders && prefix > 0) block_flags_ |= kPriority;
      begin += prefix;
      block_.clear();
      in_block_ = true;
    } else if (!in_block_ || f.stream() != block_stream_) {
      return make_error("the {} sent a CONTINUATION outside a header block", sender_);
    }
    block_.insert(block_.end(), p.begin() + begin, p.begin() + end);
    if (!(flags & kEndHeaders)) return {};
    in_block_ = false;
    if (auto s = decode_block(); !s) return s;
    edit(fields_);
    return encode_block(out);
  }

 private:
  Status decode_block() {
    fields_.clear();
    std::size_t listed = 0;
    const std::uint8_t* in = block_.data();
    std::size_t left = block_.size();
    while (true) {
      nghttp2_nv nv;
      int inflate_flags = 0;
      const auto rv = nghttp2_hd_inflate_hd2(inflater_, &nv, &inflate_flags, in, left, 1);
      if (rv < 0) return make_error("the {}'s header block does not decode (HPACK)", sender_);
      in += rv;
      left -= static_cast<std::size_t>(rv);
      if (inflate_flags & NGHTTP2_HD_INFLATE_EMIT) {
        listed += nv.namelen + nv.valuelen + 32;  // the size RFC 9113 counts
        if (listed > kMaxListBytes)
          return make_error("the {}'s header list exceeds {} bytes", sender_, kMaxListBytes);
        fields_.push_back(
            HeaderField{std::string(reinterpret_cast<const char*>(nv.name), nv.namelen),
                        std::string(reinterpret_cast<const char*>(nv.value), nv.valuelen),
                        static_cast<std::uint8_t>(nv.flags & NGHTTP2_NV_FLAG_NO_INDEX), true});
      }
      if (inflate_flags & NGHTTP2_HD_INFLATE_FINAL) {
        nghttp2_hd_inflate_end_headers(inflater_);
        return {};
      }
      if (rv == 0 && left == 0 && !(inflate_flags & NGHTTP2_HD_INFLATE_EMIT))
        return make_error("the {}'s header block ends inside a field (HPACK)", sender_);
    }
  }

  Status encode_block(std::vector<std::uint8_t>& out) {
    nva_.clear();
    for (HeaderField& f : fields_) {
      if (!f.keep) continue;
      nva_.push_back(
          nghttp2_nv{reinterpret_cast<std::uint8_t*>(f.name.data()),
                     reinterpret_cast<std::uint8_t*>(f.value.data()), f.name.size(), f.value.size(),
                     static_cast<std::uint8_t>(NGHTTP2_NV_FLAG_NO_COPY_NAME |
                                               NGHTTP2_NV_FLAG_NO_COPY_VALUE | f.flags)});
    }
    encoded_.resize(nghttp2_hd_deflate_bound(deflater_, nva_.data(), nva_.size()));
    const auto n = nghttp2_hd_deflate_hd(deflater_, encoded_.data(), encoded_.size(), nva_.data(),
                                         nva_.size());
    if (n < 0) return make_error("cannot encode a header block again (HPACK)");
    // HEADERS or PUSH_PROMISE with the first piece, CONTINUATIONs with the rest, each within
    // the frame size the receiver allows. Padding is not kept: it hid nothing the receiver
    // needs.
    std::size_t off = 0;
    const std::size_t total = static_cast<std::size_t>(n);
    bool first = true;
    do {
      const std::size_t room = max_frame_ - (first ? block_prefix_.size() : 0);
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

  const char* sender_;
  nghttp2_hd_inflater* inflater_ = nullptr;
  nghttp2_hd_deflater* deflater_ = nullptr;
  std::uint32_t decoder_table_ = kDefaultTableSize;
  std::uint32_t max_frame_ = 16384;
  bool in_block_ = false;
  std::uint8_t block_type_ = 0, block_flags_ = 0;
  std::uint32_t block_stream_ = 0;
  std::vector<std::uint8_t> block_prefix_;  // PRIORITY fields or the promised stream
  std::vector<std::uint8_t> block_, encoded_;
  std::vector<HeaderField> fields_;
  std::vector<nghttp2_nv> nva_;
};

class Http2Filter final : public HttpFilter {
 public:
  explicit Http2Filter(const HttpFilterOptions& options) : options_(options) {}

  Status from_client(ByteView bytes, std::vector<std::uint8_t>& out) override {
    if (!requests_.ready() || !responses_.ready()) return make_error("out of memory");
    std::size_t off = 0;
    while (!aside_ && off < bytes.size() && preface_seen_ < kPreface.size()) {
      // Not HTTP/2: nothing to edit (what came of the preface before went on unchanged).
      if (bytes[off] != static_cast<std::uint8_t>(kPreface[preface_seen_])) aside_ = true;
      ++preface_seen_;
      ++off;
    }
    if (aside_) {
      out.insert(out.end(), bytes.begin(), bytes.end());
      return {};
    }
    out.insert(out.end(), bytes.begin(), bytes.begin() + off);
    return frames(ByteView(bytes.data() + off, bytes.size() - off), true, out);
  }

  Status from_server(ByteView bytes, std::vector<std::uint8_t>& out) override {
    if (aside_) {
      out.insert(out.end(), bytes.begin(), bytes.end());
      return {};
    }
    return frames(bytes, false, out);
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
  // One direction's frames: header blocks re-encoded when that direction is edited, SETTINGS
  // read (they shape the other direction's encoding), ALTSVC frames edited; the rest passes
  // as it comes.
  Status frames(ByteView bytes, bool from_client, std::vector<std::uint8_t>& out) {
    FrameCursor& f = from_client ? client_ : server_;
    BlockEditor& editor = from_client ? requests_ : responses_;
    const bool edit = from_client ? options_.consume_proxy_login : options_.strip_alt_svc;
    const char* sender = from_client ? "client" : "server";
    std::size_t off = 0;
    while (off < bytes.size()) {
      if (f.head_len < 9) {
        if (!f.take_head(bytes, off)) break;
        const std::uint8_t type = f.type();
        if (edit && editor.in_block() && type != kContinuation)
          return make_error("the {} interrupted a header block with a frame of type {}", sender,
                            type);
        if (edit && (type == kHeaders || type == kPushPromise || type == kContinuation)) {
          if (editor.collected() + f.left > kMaxBlockBytes)
            return make_error("the {}'s header block exceeds {} bytes", sender, kMaxBlockBytes);
          f.hold = true;
        } else if (type == kSettings) {
          f.hold = !(f.flags() & kAck) && f.left <= 6 * 64;
        } else {
          f.hold = !from_client && edit && type == kAltSvc && f.left <= kMaxAltSvcFrame;
        }
        if (!f.hold) out.insert(out.end(), f.head, f.head + 9);
      }
      if (!f.take_payload(bytes, off, &out)) break;
      if (!f.hold) continue;
      Status s;
      if (f.type() == kSettings) {
        // A sender's SETTINGS describe what it receives: the other direction's encoding.
        (from_client ? responses_ : requests_).receiver_settings(f.payload);
        out.insert(out.end(), f.head, f.head + 9);
        out.insert(out.end(), f.payload.begin(), f.payload.end());
      } else if (f.type() == kAltSvc) {
        s = altsvc_frame(f, out);
      } else if (from_client) {
        s = editor.header_frame(
            f, [this](std::vector<HeaderField>& fields) { consume_login(fields); }, out);
      } else {
        s = editor.header_frame(
            f, [this](std::vector<HeaderField>& fields) { strip_alt_svc(fields); }, out);
      }
      if (!s) return s;
    }
    return {};
  }

  // A request to the origin loses its proxy login; a CONNECT (a tunnel through a proxy
  // further on) keeps it.
  void consume_login(std::vector<HeaderField>& fields) {
    for (const HeaderField& f : fields)
      if (f.name == ":method" && f.value == "CONNECT") return;
    for (HeaderField& f : fields) {
      if (f.name != "proxy-authorization") continue;
      f.keep = false;
      ++logins_consumed_;
    }
  }

  void strip_alt_svc(std::vector<HeaderField>& fields) {
    for (HeaderField& f : fields) {
      if (f.name != "alt-svc") continue;
      if (auto kept = alt_svc_without_quic(f.value)) {
        ++alt_svc_stripped_;
        f.keep = !kept->empty();
        f.value = std::move(*kept);
      }
    }
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
    ++alt_svc_stripped_;
    if (kept->empty()) return {};
    put_frame_head(out, 2 + origin + kept->size(), kAltSvc, f.flags(), f.stream());
    out.insert(out.end(), p.begin(), p.begin() + 2 + static_cast<std::ptrdiff_t>(origin));
    out.insert(out.end(), kept->begin(), kept->end());
    return {};
  }

  HttpFilterOptions options_;
  std::size_t preface_seen_ = 0;
  bool aside_ = false;
  FrameCursor client_, server_;
  BlockEditor requests_{"client"}, responses_{"server"};
};

}  // namespace

std::unique_ptr<HttpFilter> make_http2_filter(const HttpFilterOptions& options) {
  return std::make_unique<Http2Filter>(options);
}

}  // namespace kagami::proxy
