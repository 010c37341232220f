// QUIC (RFC 9000) as a passive reader sees it: both sides' Initial packets opened with the
// keys anyone on the path can derive (RFC 9001 5.2; versions 1, 2 and draft-29), their CRYPTO
// frames put back in order across packets, and the ClientHello and ServerHello read into the
// TLS listing (via quic, JA4 with its "q"). What follows the handshake stays encrypted.
#include <memory>
#include <optional>
#include <vector>

#include "kagami/analyzers/analyzer.h"
#include "kagami/analyzers/tls/hellos.h"
#include "kagami/wire/quic_initial.h"
#include "kagami/wire/tls_handshake.h"

namespace kagami::analyzers {
namespace {

class QuicAnalyzer final : public Analyzer {
 public:
  QuicAnalyzer(SessionState& s, AnalyzerContext& cx) : s_(s), cx_(cx) {
    rec_.session_id = s_.session_id;
    rec_.endpoints = s_.endpoints;
  }

  wire::Progress on_data(Direction, TimeNs, ByteView bytes) override {
    return {bytes.size(), 0};  // QUIC is datagrams
  }
  void on_gap(Direction, TimeNs, std::uint64_t) override {}
  void on_end(Direction, TimeNs) override {}
  void on_close(TimeNs) override { emit(); }

  void on_datagram(Direction dir, TimeNs ts, ByteView d) override {
    const bool client = dir == Direction::kClientToServer;
    // Several long-header packets may share a datagram (RFC 9000 12.2); a short header ends
    // them, and so does anything unreadable.
    while (!d.empty()) {
      auto h = wire::parse_quic_long_header(d);
      if (!h) break;
      // After a Retry the client's next Initial goes to a new connection ID, which keys it
      // and the server's answers (RFC 9001 5.2): every client Initial says which.
      if (h->type == wire::QuicPacketType::kRetry) break;
      if (h->type == wire::QuicPacketType::kInitial && wire::quic_version_known(h->version)) {
        if (client) client_dcid_ = h->dcid;
        if (!done_[client ? 0 : 1]) initial(client, ts, d.first(h->size), *h);
      }
      d = d.subspan(h->size);
    }
  }

 private:
  struct Side {
    std::vector<std::uint8_t> keyed_by;  // the connection ID the keys came from
    std::optional<wire::QuicKeys> keys;
    wire::QuicCryptoStream crypto;
  };

  void initial(bool client, TimeNs ts, ByteView packet, const wire::QuicLongHeader& h) {
    if (client_dcid_.empty()) return;  // a server's Initial with no client seen: no keys
    Side& side = sides_[client ? 0 : 1];
    if (!side.keys || side.keyed_by != client_dcid_ || version_ != h.version) {
      auto k = wire::quic_initial_keys(h.version,
                                       ByteView(client_dcid_.data(), client_dcid_.size()), !client);
      if (!k) return;
      side.keys = k.value();
      side.keyed_by = client_dcid_;
      version_ = h.version;
    }
    auto plain = wire::open_quic_initial(packet, h, *side.keys);
    if (!plain) {
      // Another connection's keys (a Retry we did not see, a migrated path) or damage.
      ++cx_.counters->violations;
      (void)cx_.log_once->first(plain.error().message);
      return;
    }
    auto frames = wire::quic_crypto_frames(ByteView(plain->data(), plain->size()));
    if (!frames) {
      ++cx_.counters->violations;
      s_.analyzer_violation = true;
      (void)cx_.log_once->first(frames.error().message);
      return;
    }
    for (const wire::QuicCrypto& c : frames.value()) side.crypto.add(c.offset, c.bytes);
    if (rec_.ts == 0 || (client && !rec_.client_hello_seen)) rec_.ts = ts;
    hello(client);
  }

  // The stream's first handshake message, once it is whole.
  void hello(bool client) {
    Side& side = sides_[client ? 0 : 1];
    const ByteView c = side.crypto.contiguous();
    if (c.size() < 4) return;
    const std::size_t len = (std::size_t{c[1]} << 16) | (std::size_t{c[2]} << 8) | c[3];
    if (c.size() < 4 + len) {
      if (side.crypto.truncated()) give_up(client, "quic.crypto_limit");
      return;
    }
    const ByteView body = c.subspan(4, len);
    if (client && c[0] == 1) {
      auto parsed = wire::parse_client_hello(body);
      if (!parsed) return give_up(client, parsed.error().message);
      describe_client_hello(parsed.value(), 'q', rec_);
      if (!rec_.sni.empty() && s_.host.empty()) s_.host = rec_.sni;
    } else if (!client && c[0] == 2) {
      auto parsed = wire::parse_server_hello(body);
      if (!parsed) return give_up(client, parsed.error().message);
      (void)describe_server_hello(parsed.value(), 'q', rec_);
      rec_.encrypted_certificate = true;  // QUIC is TLS 1.3: the rest is encrypted
    } else {
      return give_up(client, "quic.first_message_not_a_hello");
    }
    done_[client ? 0 : 1] = true;
  }

  void give_up(bool client, std::string_view why) {
    ++cx_.counters->violations;
    s_.analyzer_violation = true;
    (void)cx_.log_once->first(why);
    rec_.partial = true;
    done_[client ? 0 : 1] = true;
  }

  void emit() {
    if (emitted_ || (!rec_.client_hello_seen && !rec_.server_hello_seen)) return;
    emitted_ = true;
    rec_.via = "quic";
    cx_.records->emit(std::move(rec_));
  }

  SessionState& s_;
  AnalyzerContext& cx_;
  records::TlsRecord rec_;
  Side sides_[2];
  std::vector<std::uint8_t> client_dcid_;
  std::uint32_t version_ = 0;
  bool done_[2] = {false, false};
  bool emitted_ = false;
};

// A client's Initial: a long header with the fixed bit, a version we can open, padded to the
// 1200 bytes every client Initial must fill (RFC 9000 14.1). A server's Initial answers one.
Verdict detect(const DetectInput& in) {
  if (in.transport != 17) return Verdict::kNo;
  const ByteView d = in.c2s.empty() ? in.s2c : in.c2s;
  auto h = wire::parse_quic_long_header(d);
  if (!h || (d[0] & 0x40) == 0 || !wire::quic_version_known(h->version) ||
      h->type != wire::QuicPacketType::kInitial)
    return Verdict::kNo;
  return !in.c2s.empty() && in.c2s.size() < 1200 ? Verdict::kNo : Verdict::kYes;
}

std::unique_ptr<Analyzer> create(SessionState& s, AnalyzerContext& cx) {
  return std::make_unique<QuicAnalyzer>(s, cx);
}

}  // namespace

extern const AnalyzerSpec kQuicAnalyzer{"quic", detect, create};

}  // namespace kagami::analyzers
