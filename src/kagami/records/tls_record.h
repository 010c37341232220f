#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"
#include "kagami/records/record_schema.h"

namespace kagami::records {

// TLS seen without decryption: the handshake's metadata.
struct TlsRecord {
  std::uint64_t session_id = 0;
  Endpoints endpoints;
  TimeNs ts = 0;
  std::string sni;
  std::vector<std::string> alpn;  // offered by the client
  std::string alpn_selected;
  std::vector<std::string> client_versions;  // supported_versions, or the hello's version
  std::string version;                       // negotiated ("TLS 1.3")
  std::string cipher;                        // negotiated, IANA name
  std::string ja3, ja3s, ja4, ja4s;          // ja3/ja3s: MD5 hex of their strings
  std::string ja3_string, ja3s_string;
  // The server's certificate (its leaf), readable up to TLS 1.2.
  std::string cert_subject, cert_issuer, cert_sha256, cert_serial;
  std::vector<std::string> cert_sans;
  TimeNs cert_not_before = 0, cert_not_after = 0;
  std::uint32_t cert_count = 0;        // certificates in the server's chain
  bool encrypted_certificate = false;  // TLS 1.3: certificates are encrypted
  std::string client_cert_subject;     // a client certificate sent in the clear
  // The first alert sent in the clear ("unknown_ca"); for sessions through the insight proxy,
  // why it refused the connection ("upstream refused: certificate has expired").
  std::string alert;
  bool hello_retry = false;  // TLS 1.3 HelloRetryRequest
  bool client_hello_seen = false, server_hello_seen = false;
  bool partial = false;  // a gap or a malformed message cut the handshake short
  // Set when the insight proxy carried the session: it decrypted it (the version and cipher
  // above are then the client leg's), the upstream leg's version and cipher, its verdict on
  // the server's certificate ("" when valid) and the policy decision with its reason.
  bool decrypted = false;
  std::string upstream_version, upstream_cipher, upstream_verdict, policy;
  std::string via;  // "quic": the handshake rode in QUIC Initial packets over UDP; empty: TCP

  static constexpr RecordType kType{.kind = "tls",
                                    .table = "tls",
                                    .noun = "TLS handshake(s)",
                                    .help = "list TLS handshakes seen without decryption",
                                    .id_column = "session_id",
                                    .host_column = "sni",
                                    .title = "TLS handshakes",
                                    .title_ja = "TLS ハンドシェイク"};
  static constexpr Column kColumns[] = {
      {"TIME (UTC)", "時刻", Shown::kTime, "ts", {}, 27},
      {"CLIENT", "クライアント", Shown::kEndpoint, "client", {}, 23},
      {"SERVER", "サーバー", Shown::kEndpoint, "server", {}, 23},
      {"SNI", "SNI", Shown::kText, "sni", {}, 30, 30},
      {"VERSION", "バージョン", Shown::kText, "version", {}, 8},
      {"CIPHER", "暗号スイート", Shown::kText, "cipher", {}, 40, 40},
      {"JA4", "JA4", Shown::kText, "ja4", {}, 36},
      {"CERTIFICATE", "証明書", Shown::kTextUnless, "cert_subject", "encrypted_certificate", 0, 120,
       false, 1, ",", "(encrypted)", "(暗号化)"}};
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.session_id, as::ref("session_id", "the session (one handshake per session)")
                        .ja("セッション (セッションごとにハンドシェイク一つ)"));
    Endpoints::describe(r.endpoints, v);
    v(r.ts, as::time("ts", "the ClientHello").ja("ClientHello の時刻"));
    v(r.sni, as::host("sni", "the server name the client asked for (SNI)")
                 .ja("クライアントが求めたサーバー名 (SNI)")
                 .searched("sni", "tls.sni", "TLS server name")
                 .also_searched_as("host"));
    v(r.alpn, as::list("alpn", "the protocols the client offered (ALPN)")
                  .ja("クライアントが提示したプロトコル (ALPN)"));
    v(r.alpn_selected, as::name_of_set("alpn_selected", "the protocol the server chose")
                           .ja("サーバーが選んだプロトコル"));
    v(r.client_versions, as::list("client_versions", "the versions the client offered")
                             .ja("クライアントが提示したバージョン"));
    v(r.version, as::name_of_set("version", "the version negotiated (TLS 1.3)")
                     .ja("合意したバージョン (TLS 1.3)")
                     .searched("tls.version", "", "TLSv1.3, TLSv1.2, ..."));
    v(r.cipher, as::name_of_set("cipher", "the cipher suite negotiated (IANA name)")
                    .ja("合意した暗号スイート (IANA 名)")
                    .searched("tls.cipher", "cipher", "negotiated suite"));
    v(r.ja3, as::text("ja3", "JA3 of the ClientHello (MD5 hex)")
                 .ja("ClientHello の JA3 (MD5 16進)")
                 .searched("ja3", "tls.ja3", "JA3 client fingerprint")
                 .looked_up());
    v(r.ja3s, as::text("ja3s", "JA3S of the ServerHello (MD5 hex)")
                  .ja("ServerHello の JA3S (MD5 16進)")
                  .searched("ja3s", "tls.ja3s", "JA3S server fingerprint"));
    v(r.ja4, as::text("ja4", "JA4 of the ClientHello")
                 .ja("ClientHello の JA4")
                 .searched("ja4", "tls.ja4", "JA4 client fingerprint"));
    v(r.ja4s, as::text("ja4s", "JA4S of the ServerHello").ja("ServerHello の JA4S"));
    v(r.ja3_string, as::text("ja3_string", "the string JA3 hashes").ja("JA3 がハッシュする文字列"));
    v(r.ja3s_string,
      as::text("ja3s_string", "the string JA3S hashes").ja("JA3S がハッシュする文字列"));
    v(r.cert_subject, as::text("cert_subject", "the server certificate's subject")
                          .ja("サーバー証明書のサブジェクト")
                          .searched("cert.subject", "", "server certificate"));
    v(r.cert_issuer, as::text("cert_issuer", "the server certificate's issuer")
                         .ja("サーバー証明書の発行者")
                         .searched("cert.issuer", "", "its issuer"));
    v(r.cert_sha256, as::hash("cert_sha256", "the server certificate's SHA-256")
                         .ja("サーバー証明書の SHA-256")
                         .searched("cert.sha256", "", "its fingerprint"));
    v(r.cert_serial, as::text("cert_serial", "the server certificate's serial number")
                         .ja("サーバー証明書のシリアル番号"));
    v(r.cert_sans, as::list("cert_sans", "the server certificate's subject alternative names")
                       .ja("サーバー証明書のサブジェクト代替名"));
    v(r.cert_not_before, as::time("cert_not_before", "the certificate is valid from")
                             .ja("証明書の有効期間の開始")
                             .omitted_when_empty());
    v(r.cert_not_after, as::time("cert_not_after", "the certificate is valid until")
                            .ja("証明書の有効期間の終了")
                            .omitted_when_empty());
    v(r.cert_count, as::count("cert_count", "certificates in the server's chain")
                        .ja("サーバーの証明書チェーンの枚数"));
    v(r.encrypted_certificate,
      as::boolean("encrypted_certificate", "TLS 1.3: the certificates were encrypted")
          .ja("TLS 1.3: 証明書は暗号化されていた"));
    v(r.client_cert_subject,
      as::text("client_cert_subject", "a client certificate's subject, sent in the clear")
          .ja("平文で送られたクライアント証明書のサブジェクト")
          .omitted_when_empty());
    v(r.alert, as::text("alert", "the first alert in the clear, or why the proxy refused")
                   .ja("平文の最初のアラート、またはプロキシが拒否した理由")
                   .omitted_when_empty());
    v(r.hello_retry, as::boolean("hello_retry", "TLS 1.3 HelloRetryRequest")
                         .ja("TLS 1.3 HelloRetryRequest")
                         .omitted_when_empty());
    v(r.client_hello_seen, as::boolean("client_hello_seen", "").ja("").internal());
    v(r.server_hello_seen, as::boolean("server_hello_seen", "").ja("").internal());
    v(r.partial, as::boolean("partial", "a gap or a malformed message cut the handshake short")
                     .ja("欠落か不正なメッセージでハンドシェイクが途切れた")
                     .omitted_when_empty());
    v(r.decrypted, as::boolean("decrypted", "the proxy decrypted the session")
                       .ja("プロキシがセッションを復号した")
                       .also_searched_as("decrypted"));
    v(r.upstream_version, as::name_of_set("upstream_version", "the proxy's upstream leg: version")
                              .ja("プロキシの上流側: バージョン")
                              .omitted_when_empty());
    v(r.upstream_cipher,
      as::name_of_set("upstream_cipher", "the proxy's upstream leg: cipher suite")
          .ja("プロキシの上流側: 暗号スイート")
          .omitted_when_empty());
    v(r.upstream_verdict,
      as::text("upstream_verdict", "the proxy's verdict on the server's certificate (empty: valid)")
          .ja("サーバー証明書に対するプロキシの判定 (空: 有効)")
          .searched("tls.verdict", "", "the proxy's verification of the real server")
          .omitted_when_empty_unless(r.decrypted));
    v(r.policy, as::text("policy", "the proxy's policy decision and its reason")
                    .ja("プロキシのポリシー判断とその理由")
                    .omitted_when_empty());
    v(r.via, as::name_of_set("via", "what carried the handshake: quic, empty for TCP")
                 .ja("ハンドシェイクを運んだもの: quic、TCP なら空")
                 .searched("tls.via", "", "what carried TLS: quic")
                 .omitted_when_empty());
  }
};

}  // namespace kagami::records
