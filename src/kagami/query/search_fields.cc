#include "kagami/query/search_fields.h"

namespace kagami::query {

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kSessions:
      return "sessions";
    case Kind::kHttp:
      return "http";
    case Kind::kDns:
      return "dns";
    case Kind::kTls:
      return "tls";
    case Kind::kMail:
      return "mail";
    case Kind::kFtp:
      return "ftp";
    case Kind::kFiles:
      return "files";
    case Kind::kFindings:
      return "findings";
    case Kind::kAlerts:
      return "alerts";
  }
  return "";
}

bool kind_from_name(std::string_view name, Kind& out) {
  for (const Kind k : kAllKinds) {
    if (name == kind_name(k)) {
      out = k;
      return true;
    }
  }
  return false;
}

namespace {

using K = Kind;
using T = ValueType;

// Every table but sessions copies its session's endpoints and has its own time.
std::vector<FieldColumn> everywhere(const char* columns) {
  std::vector<FieldColumn> v;
  for (const Kind k : kAllKinds) v.push_back({k, columns});
  return v;
}

std::vector<Field> build() {
  std::vector<FieldColumn> time = everywhere("ts");
  time[0] = {K::kSessions, "ts_first", nullptr, nullptr, "ts_last"};
  std::vector<FieldColumn> session = everywhere("session_id");
  session[0] = {K::kSessions, "id"};
  const char* kViaFiles = "sha256 IN (SELECT sha256 FROM files WHERE %)";
  const char* kViaFindings = "sha256 IN (SELECT sha256 FROM findings WHERE %)";
  return {
      {"time",
       {"ts", "date"},
       T::kTime,
       time,
       false,
       "when: 2026-11-01, >=2026-11-01T10:00+09:00, [2026-11-01 TO 2026-11-02], >now-24h"},
      {"ip",
       {"addr"},
       T::kIp,
       everywhere("client_ip,server_ip"),
       false,
       "client or server address or CIDR prefix"},
      {"client.ip",
       {"src", "src.ip", "client"},
       T::kIp,
       everywhere("client_ip"),
       false,
       "client address or prefix"},
      {"server.ip",
       {"dst", "dst.ip", "server"},
       T::kIp,
       everywhere("server_ip"),
       false,
       "server address or prefix"},
      {"port", {}, T::kInt, everywhere("client_port,server_port"), false, "client or server port"},
      {"client.port", {"src.port"}, T::kInt, everywhere("client_port"), false, "client port"},
      {"server.port", {"dst.port"}, T::kInt, everywhere("server_port"), false, "server port"},
      {"session", {"session.id"}, T::kInt, session, false, "session id"},
      {"host",
       {"hostname", "domain"},
       T::kHost,
       {{K::kSessions, "host", nullptr, "host_rev"},
        {K::kHttp, "host", nullptr, "host_rev"},
        {K::kTls, "sni", nullptr, "sni_rev"},
        {K::kDns, "query", nullptr, "query_rev"},
        {K::kAlerts, "host"}},
       false,
       "server name (HTTP Host, TLS SNI, DNS): www.example.com, *.example.com"},
      {"user",
       {"username"},
       T::kText,
       {{K::kSessions, "user"},
        {K::kHttp, "user"},
        {K::kMail, "user"},
        {K::kFtp, "user"},
        {K::kAlerts, "user"}},
       false,
       "who: proxy or protocol login"},
      {"app",
       {"proto", "protocol"},
       T::kApp,
       {{K::kSessions, "app"}},
       false,
       "application protocol: http, tls, smtp, dns, ..."},
      {"transport", {}, T::kTransport, {{K::kSessions, "transport"}}, false, "tcp, udp, icmp"},
      {"decrypted",
       {},
       T::kBool,
       {{K::kSessions, "decrypted"}, {K::kTls, "decrypted"}},
       false,
       "seen in plaintext through the proxy: true or false"},
      {"sensor", {}, T::kText, {{K::kSessions, "sensor"}}, false, "the recording sensor"},
      {"method", {"http.method"}, T::kText, {{K::kHttp, "method"}}, true, "HTTP method"},
      {"status", {"http.status"}, T::kInt, {{K::kHttp, "status"}}, true, "HTTP status code"},
      {"uri",
       {"url", "path", "http.uri"},
       T::kText,
       {{K::kHttp, "uri"}},
       true,
       "HTTP request target: /login*"},
      {"ua",
       {"user_agent", "http.user_agent"},
       T::kText,
       {{K::kHttp, "user_agent"}},
       true,
       "HTTP User-Agent"},
      {"referer", {"http.referer"}, T::kText, {{K::kHttp, "referer"}}, true, "HTTP Referer"},
      {"content_type",
       {"http.content_type"},
       T::kText,
       {{K::kHttp, "req_content_type,resp_content_type"}},
       true,
       "HTTP Content-Type of request or response"},
      {"mail.from",
       {"from", "sender"},
       T::kText,
       {{K::kMail, "mail_from,mfrom"}},
       true,
       "envelope or header sender"},
      {"mail.to",
       {"to", "rcpt", "recipient"},
       T::kTextList,
       {{K::kMail, "rcpt_to,mto,mcc"}},
       true,
       "envelope or header recipient (To, Cc)"},
      {"subject", {"mail.subject"}, T::kText, {{K::kMail, "subject"}}, true, "mail subject"},
      {"message_id",
       {"mail.message_id"},
       T::kText,
       {{K::kMail, "message_id"}},
       true,
       "mail Message-ID"},
      {"direction",
       {},
       T::kText,
       {{K::kFiles, "direction"},
        {K::kMail, "direction"},
        {K::kFindings, "direction"},
        {K::kAlerts, "direction"}},
       false,
       "sent (uploads, outgoing mail) or received"},
      {"dns.query",
       {"query"},
       T::kHost,
       {{K::kDns, "query", nullptr, "query_rev"}},
       true,
       "DNS query name"},
      {"dns.type", {"qtype"}, T::kText, {{K::kDns, "qtype"}}, true, "DNS query type: A, AAAA"},
      {"dns.rcode", {"rcode"}, T::kText, {{K::kDns, "rcode"}}, true, "DNS response code"},
      {"dns.answer", {"answer"}, T::kTextList, {{K::kDns, "answers"}}, true, "DNS answer"},
      {"sni",
       {"tls.sni"},
       T::kHost,
       {{K::kTls, "sni", nullptr, "sni_rev"}},
       true,
       "TLS server name"},
      {"ja3", {"tls.ja3"}, T::kText, {{K::kTls, "ja3"}}, true, "JA3 client fingerprint"},
      {"ja3s", {"tls.ja3s"}, T::kText, {{K::kTls, "ja3s"}}, true, "JA3S server fingerprint"},
      {"ja4", {"tls.ja4"}, T::kText, {{K::kTls, "ja4"}}, true, "JA4 client fingerprint"},
      {"tls.version", {}, T::kText, {{K::kTls, "version"}}, true, "TLSv1.3, TLSv1.2, ..."},
      {"tls.cipher", {"cipher"}, T::kText, {{K::kTls, "cipher"}}, true, "negotiated suite"},
      {"cert.subject", {}, T::kText, {{K::kTls, "cert_subject"}}, true, "server certificate"},
      {"cert.issuer", {}, T::kText, {{K::kTls, "cert_issuer"}}, true, "its issuer"},
      {"cert.sha256", {}, T::kHash, {{K::kTls, "cert_sha256"}}, true, "its fingerprint"},
      {"tls.verdict",
       {},
       T::kText,
       {{K::kTls, "upstream_verdict"}},
       true,
       "the proxy's verification of the real server"},
      {"ftp.command", {}, T::kText, {{K::kFtp, "command"}}, true, "FTP command: STOR, RETR"},
      {"ftp.arg", {}, T::kText, {{K::kFtp, "arg"}}, true, "its argument"},
      {"sha256",
       {"hash", "file.sha256"},
       T::kHash,
       {{K::kFiles, "sha256"}, {K::kFindings, "sha256"}, {K::kAlerts, "sha256"}},
       true,
       "SHA-256 of an extracted file"},
      {"md5",
       {"file.md5"},
       T::kHash,
       {{K::kFiles, "md5", kViaFiles}},
       true,
       "MD5 of an extracted file"},
      {"file.name",
       {"filename", "name"},
       T::kText,
       {{K::kFiles, "name"}, {K::kFindings, "file_name"}, {K::kAlerts, "file_name"}},
       true,
       "the name a file was given: *.xlsx"},
      {"file.type",
       {"type", "mime"},
       T::kFileType,
       {{K::kFiles, "name,sha256"},
        {K::kFindings, "file_name,sha256"},
        {K::kAlerts, "file_name,sha256"}},
       true,
       "xlsx, pdf, exe, or a MIME type: image/*"},
      {"file.size",
       {"size"},
       T::kSize,
       {{K::kFiles, "size", kViaFiles}},
       true,
       "bytes: >10M, [1k TO 1M]"},
      {"finding",
       {"detector"},
       T::kText,
       {{K::kFindings, "detector"},
        {K::kFiles, "detector", kViaFindings},
        {K::kAlerts, "detector", kViaFindings}},
       true,
       "what inspection found: jp_my_number, credit_card, yara:*, clamav:*"},
      {"severity",
       {},
       T::kSeverity,
       {{K::kFindings, "severity"}, {K::kAlerts, "severity"}},
       true,
       "info, low, medium, high, critical: severity:>=high"},
      {"confidence", {}, T::kText, {{K::kFindings, "confidence"}}, true, "low, medium, high"},
      {"alert", {"alert.title"}, T::kText, {{K::kAlerts, "title"}}, true, "alert title"},
      {"text",
       {"content", "body"},
       T::kText,
       {},
       false,
       "free text in URLs, subjects, addresses, file names and document text"},
  };
}

}  // namespace

const std::vector<Field>& fields() {
  static const std::vector<Field> all = build();
  return all;
}

const Field* find_field(std::string_view name) {
  for (const Field& f : fields()) {
    if (name == f.name) return &f;
    for (const char* a : f.aliases)
      if (name == a) return &f;
  }
  return nullptr;
}

}  // namespace kagami::query
