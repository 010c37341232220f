// TLS and SSL 3.0 that was not decrypted (RFC 5246, RFC 8446): what the handshake shows in the
// clear — SNI, ALPN, versions, cipher, JA3/JA3S/JA4/JA4S, and up to TLS 1.2 the certificates,
// which are also kept as files. One record per session; the session is flagged encrypted.
#include <memory>
#include <vector>

#include "kagami/analyzers/analyzer.h"
#include "kagami/analyzers/tls/cipher_names.h"
#include "kagami/analyzers/tls/hellos.h"
#include "kagami/analyzers/tls/server_certificate.h"
#include "kagami/wire/tls_fingerprint.h"
#include "kagami/wire/tls_handshake.h"
#include "kagami/wire/x509_certificate.h"

namespace kagami::analyzers {
namespace {

constexpr std::size_t kMaxHandshakeBytes = 256u << 10;  // a message (certificate chains)
constexpr std::size_t kMaxCertificates = 16;            // kept per chain

class TlsAnalyzer final : public Analyzer {
 public:
  TlsAnalyzer(SessionState& s, AnalyzerContext& cx) : s_(s), cx_(cx) {
    s_.encrypted = true;
    rec_.session_id = s_.session_id;
    rec_.endpoints = s_.endpoints;
  }

  wire::Progress on_data(Direction dir, TimeNs ts, ByteView bytes) override {
    Side& side = sides_[index(dir)];
    if (side.stopped)
      return s_.tls_over != nullptr ? walk_encrypted(side, bytes) : wire::Progress{bytes.size(), 0};
    if (rec_.ts == 0) rec_.ts = ts;
    std::size_t used = 0;
    while (bytes.size() - used >= wire::kTlsRecordHeaderBytes) {
      wire::TlsRecordHeader h;
      if (!parse_tls_record_header(bytes.subspan(used), h)) {
        violation(side, "TLS record header is malformed");
        return {bytes.size(), 0};
      }
      const std::size_t whole = wire::kTlsRecordHeaderBytes + h.length;
      if (bytes.size() - used < whole) return {used, whole};
      record(dir, ts, h, bytes.subspan(used + wire::kTlsRecordHeaderBytes, h.length));
      used += whole;
      if (side.stopped) {
        maybe_emit();
        return {bytes.size(), 0};
      }
    }
    return {used, wire::kTlsRecordHeaderBytes};
  }

  void on_gap(Direction dir, TimeNs, std::uint64_t) override {
    Side& side = sides_[index(dir)];
    if (side.stopped) return;
    rec_.partial = true;  // the handshake lost bytes
    stop(side);
    maybe_emit();
  }

  void on_end(Direction dir, TimeNs) override {
    Side& side = sides_[index(dir)];
    if (!side.stopped && !side.handshake.empty()) rec_.partial = true;
  }

  void on_close(TimeNs) override { emit(); }

 private:
  struct Side {
    std::vector<std::uint8_t> handshake;  // handshake bytes that are not yet a whole message
    bool change_cipher_spec = false;
    bool stopped = false;  // encrypted (or unreadable) from here on
    bool alerted = false;  // its last record was an alert (a closure, when plaintext follows)
  };

  static std::size_t index(Direction dir) { return dir == Direction::kClientToServer ? 0 : 1; }

  // TLS begun by an upgrade (SessionState::tls_over): encrypted records are stepped over by
  // their headers, so that a side that ended its TLS with an alert (its close_notify, encrypted
  // but visibly an alert record) and goes on in plaintext hands the stream back to the protocol
  // (FTP's CCC). Anything else that is not a record is a violation, as before.
  wire::Progress walk_encrypted(Side& side, ByteView bytes) {
    std::size_t used = 0;
    while (bytes.size() - used >= wire::kTlsRecordHeaderBytes) {
      wire::TlsRecordHeader h;
      if (!parse_tls_record_header(bytes.subspan(used), h)) {
        if (!side.alerted) {
          violation(side, "TLS record header is malformed");
          s_.tls_over = nullptr;
          return {bytes.size(), 0};
        }
        s_.redetect = true;
        s_.upgraded_from = s_.tls_over;
        s_.tls_over = nullptr;
        return {used, 0};
      }
      const std::size_t whole = wire::kTlsRecordHeaderBytes + h.length;
      if (bytes.size() - used < whole) return {used, whole};
      side.alerted = static_cast<wire::TlsContent>(h.type) == wire::TlsContent::kAlert;
      used += whole;
    }
    // A few bytes left: a record's header still coming, or a short plaintext line after the
    // alert ("CCC" answered, then "PWD\r\n"): the end of the stream or more bytes decide.
    if (side.alerted && used < bytes.size() && (bytes[used] < 20 || bytes[used] > 24)) {
      s_.redetect = true;
      s_.upgraded_from = s_.tls_over;
      s_.tls_over = nullptr;
      return {used, 0};
    }
    return {used, wire::kTlsRecordHeaderBytes};
  }
  bool tls13() const { return selected_version_ == 0x0304; }

  void stop(Side& side) {
    side.stopped = true;
    side.handshake.clear();
    side.handshake.shrink_to_fit();
  }

  void violation(Side& side, std::string_view what) {
    ++cx_.counters->violations;
    s_.analyzer_violation = true;
    rec_.partial = true;
    (void)cx_.log_once->first(std::string(what));
    stop(side);
  }

  void record(Direction dir, TimeNs ts, const wire::TlsRecordHeader& h, ByteView payload) {
    Side& side = sides_[index(dir)];
    switch (static_cast<wire::TlsContent>(h.type)) {
      case wire::TlsContent::kChangeCipherSpec:
        side.change_cipher_spec = true;
        // TLS 1.3 sends it only for middlebox compatibility (RFC 8446 D.4); before that, every
        // record after it is encrypted.
        if (!tls13()) stop(side);
        return;
      case wire::TlsContent::kApplicationData:
        stop(side);
        return;
      case wire::TlsContent::kAlert:
        if (payload.size() == 2 && rec_.alert.empty())
          rec_.alert = wire::tls_alert_name(payload[1]);
        return;
      case wire::TlsContent::kHeartbeat:
        return;
      case wire::TlsContent::kHandshake:
        break;
    }
    if (side.handshake.size() + payload.size() > kMaxHandshakeBytes + 4) {
      ++cx_.counters->buffer_limit;
      s_.analyzer_limit = true;
      violation(side, "TLS handshake message exceeds its bound");
      return;
    }
    side.handshake.insert(side.handshake.end(), payload.begin(), payload.end());
    std::size_t used = 0;
    while (!side.stopped && side.handshake.size() - used >= 4) {
      const std::uint8_t* p = side.handshake.data() + used;
      const std::size_t len = (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
      if (len > kMaxHandshakeBytes) {
        violation(side, "TLS handshake message exceeds its bound");
        return;
      }
      if (side.handshake.size() - used < 4 + len) break;
      message(dir, ts, p[0], ByteView(p + 4, len));
      used += 4 + len;
    }
    if (!side.stopped) side.handshake.erase(side.handshake.begin(), side.handshake.begin() + used);
  }

  void message(Direction dir, TimeNs ts, std::uint8_t type, ByteView body) {
    Side& side = sides_[index(dir)];
    const bool from_client = dir == Direction::kClientToServer;
    switch (static_cast<wire::TlsHandshakeType>(type)) {
      case wire::TlsHandshakeType::kClientHello:
        if (from_client) client_hello(side, ts, body);
        return;
      case wire::TlsHandshakeType::kServerHello:
        if (!from_client) server_hello(side, body);
        return;
      case wire::TlsHandshakeType::kCertificate:
        certificates(side, ts, from_client, body);
        return;
      default:
        return;
    }
  }

  void client_hello(Side& side, TimeNs ts, ByteView body) {
    if (rec_.client_hello_seen) return;  // the second hello after a HelloRetryRequest
    auto parsed = wire::parse_client_hello(body);
    if (!parsed) return violation(side, parsed.error().message);
    const wire::TlsClientHello& h = parsed.value();
    rec_.ts = ts;
    describe_client_hello(h, 't', rec_);
    if (!h.sni.empty() && s_.host.empty()) s_.host = h.sni;
  }

  void server_hello(Side& side, ByteView body) {
    auto parsed = wire::parse_server_hello(body);
    if (!parsed) return violation(side, parsed.error().message);
    const wire::TlsServerHello& h = parsed.value();
    selected_version_ = describe_server_hello(h, 't', rec_);
    if (tls13() && !h.hello_retry_request) {
      // Everything the server sends next is encrypted, its certificates included.
      rec_.encrypted_certificate = true;
      stop(side);
    }
  }

  void certificates(Side& side, TimeNs ts, bool from_client, ByteView body) {
    auto parsed = wire::parse_certificate_list(body, false);
    if (!parsed) return violation(side, parsed.error().message);
    const std::vector<ByteView>& chain = parsed.value();
    if (chain.empty()) return;  // a client declining to authenticate
    bool readable = true;
    if (from_client) {
      auto leaf = wire::parse_x509(chain[0]);
      readable = leaf.ok();
      if (leaf) rec_.client_cert_subject = leaf->subject;
    } else {
      readable =
          describe_server_certificate(chain[0], static_cast<std::uint32_t>(chain.size()), rec_);
    }
    if (!readable) (void)cx_.log_once->first("TLS certificate that OpenSSL cannot parse");
    // Certificates are objects like any other: searchable by hash, kept once.
    for (std::size_t i = 0; i < chain.size() && i < kMaxCertificates; ++i)
      keep_certificate(ts, from_client, i, chain[i]);
  }

  void keep_certificate(TimeNs ts, bool from_client, std::size_t position, ByteView der) {
    std::unique_ptr<FileWriter> w = cx_.files->open();
    if (!w) return;
    w->write(der);
    records::FileRecord file = w->finish();
    records::FileEvent e;
    e.id = cx_.records->new_file_event_id();
    e.session_id = s_.session_id;
    e.endpoints = s_.endpoints;
    e.ts = ts;
    e.protocol = "tls";
    e.direction = from_client ? "sent" : "received";
    auto summary = wire::parse_x509(der);
    e.name =
        (summary && !summary->common_name.empty() ? summary->common_name : "certificate") + ".cer";
    e.field = position == 0 ? "certificate" : "chain";
    e.claimed_type = "application/pkix-cert";
    e.record_kind = "tls";
    e.record_id = s_.session_id;
    ++cx_.counters->files;
    cx_.counters->file_bytes += der.size();
    cx_.records->emit(std::move(file), std::move(e));
  }

  void maybe_emit() {
    if (sides_[0].stopped && sides_[1].stopped) emit();
  }

  void emit() {
    if (emitted_ || (!rec_.client_hello_seen && !rec_.server_hello_seen)) return;
    emitted_ = true;
    cx_.records->emit(std::move(rec_));
  }

  SessionState& s_;
  AnalyzerContext& cx_;
  records::TlsRecord rec_;
  Side sides_[2];
  std::uint16_t selected_version_ = 0;
  bool emitted_ = false;
};

// The first bytes of one direction: a handshake record holding `hello` (ClientHello from the
// client, ServerHello from the server), or — a session picked up mid-stream — an
// application-data record.
Verdict first_record(ByteView b, std::uint8_t hello) {
  if (b.empty()) return Verdict::kMaybe;
  const bool handshake = b[0] == static_cast<std::uint8_t>(wire::TlsContent::kHandshake);
  if (!handshake && b[0] != static_cast<std::uint8_t>(wire::TlsContent::kApplicationData))
    return Verdict::kNo;
  if (b.size() >= 2 && b[1] != 3) return Verdict::kNo;
  if (b.size() >= 3 && b[2] > 4) return Verdict::kNo;
  if (b.size() < 5) return Verdict::kMaybe;
  if (load_be16(b.data() + 3) > wire::kTlsMaxRecordBytes) return Verdict::kNo;
  if (!handshake) return Verdict::kYes;
  if (b.size() < 6) return Verdict::kMaybe;
  return b[5] == hello ? Verdict::kYes : Verdict::kNo;
}

Verdict detect(const DetectInput& in) {
  if (in.transport != 6) return Verdict::kNo;
  const Verdict c = first_record(in.c2s, 1);
  const Verdict s = first_record(in.s2c, 2);
  if (c == Verdict::kYes || s == Verdict::kYes) return Verdict::kYes;
  if (c == Verdict::kNo || s == Verdict::kNo) return Verdict::kNo;  // one side speaks otherwise
  return Verdict::kMaybe;
}

std::unique_ptr<Analyzer> create(SessionState& s, AnalyzerContext& cx) {
  return std::make_unique<TlsAnalyzer>(s, cx);
}

}  // namespace

extern const AnalyzerSpec kTlsAnalyzer{"tls", detect, create};

}  // namespace kagami::analyzers
