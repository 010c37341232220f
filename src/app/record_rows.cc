#include "app/record_rows.h"

#include <cstdio>

#include "kagami/base/time.h"

namespace kagami::app {

std::string endpoint(const IpAddress& ip, std::uint16_t port) {
  return (ip.is_v4() ? ip.to_string() : "[" + ip.to_string() + "]") + ":" + std::to_string(port);
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string cell(std::string_view s, std::size_t max) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char esc[5];
      std::snprintf(esc, sizeof esc, "\\x%02x", u);
      out += esc;
    } else {
      out += c;
    }
  }
  if (out.empty()) out = "-";
  if (max != 0 && out.size() > max) out = out.substr(0, max - 1) + "~";
  return out;
}

namespace {

std::string fmt_row(const char* format, auto... args) {
  char buf[4096];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

}  // namespace

namespace {

std::string session_endpoint(const IpAddress& ip, std::uint16_t port, std::uint8_t transport) {
  const std::string a = ip.is_v4() ? ip.to_string() : "[" + ip.to_string() + "]";
  if (transport != 6 && transport != 17) return a;
  return a + ":" + std::to_string(port);
}

}  // namespace

const char* const kSessionsHeader =
    "ID       START (UTC)                    SECONDS PROTO  CLIENT                             "
    "       SERVER                                       PKTS C>S/S>C         BYTES C>S/S>C FLAGS";

std::string session_row(const records::SessionRecord& r) {
  const std::string pkts = std::to_string(r.pkts_c2s) + "/" + std::to_string(r.pkts_s2c);
  const std::string bytes = std::to_string(r.bytes_c2s) + "/" + std::to_string(r.bytes_s2c);
  const std::string flags = join(records::session_flag_names(r.flags));
  return fmt_row("%-8llu %-27s %10.3f %-6s %-41s %-41s %15s %21s %s",
                 static_cast<unsigned long long>(r.id), format_time_iso(r.ts_first, 6).c_str(),
                 static_cast<double>(r.ts_last - r.ts_first) / 1e9,
                 records::transport_name(r.transport).c_str(),
                 session_endpoint(r.client_ip, r.client_port, r.transport).c_str(),
                 session_endpoint(r.server_ip, r.server_port, r.transport).c_str(), pkts.c_str(),
                 bytes.c_str(), flags.empty() ? "-" : flags.c_str());
}

const char* const kHttpHeader =
    "TIME (UTC)                  CLIENT                  SERVER                  METHOD  HOST  "
    "                         STATUS RESP BYTES  URI";

std::string http_row(const records::HttpRecord& r) {
  return fmt_row("%-27s %-23s %-23s %-7s %-30s %6s %10llu  %s", format_time_iso(r.ts, 6).c_str(),
                 endpoint(r.endpoints.client_ip, r.endpoints.client_port).c_str(),
                 endpoint(r.endpoints.server_ip, r.endpoints.server_port).c_str(),
                 cell(r.method, 7).c_str(), cell(r.host, 30).c_str(),
                 r.status ? std::to_string(r.status).c_str() : "-",
                 static_cast<unsigned long long>(r.resp_bytes), cell(r.uri, 200).c_str());
}

const char* const kDnsHeader =
    "TIME (UTC)                  CLIENT                  SERVER                  QUERY         "
    "                           TYPE   RCODE     ANSWERS";

std::string dns_row(const records::DnsRecord& r) {
  return fmt_row("%-27s %-23s %-23s %-40s %-6s %-9s %s", format_time_iso(r.ts, 6).c_str(),
                 endpoint(r.endpoints.client_ip, r.endpoints.client_port).c_str(),
                 endpoint(r.endpoints.server_ip, r.endpoints.server_port).c_str(),
                 cell(r.query, 40).c_str(), cell(r.qtype).c_str(), cell(r.rcode).c_str(),
                 cell(join(r.answers, "; "), 200).c_str());
}

const char* const kTlsHeader =
    "TIME (UTC)                  CLIENT                  SERVER                  SNI         "
    "                  VERSION  CIPHER                                   JA4                   "
    "               CERTIFICATE";

std::string tls_row(const records::TlsRecord& r) {
  return fmt_row("%-27s %-23s %-23s %-30s %-8s %-40s %-36s %s", format_time_iso(r.ts, 6).c_str(),
                 endpoint(r.endpoints.client_ip, r.endpoints.client_port).c_str(),
                 endpoint(r.endpoints.server_ip, r.endpoints.server_port).c_str(),
                 cell(r.sni, 30).c_str(), cell(r.version).c_str(), cell(r.cipher, 40).c_str(),
                 cell(r.ja4).c_str(),
                 cell(r.encrypted_certificate ? "(encrypted)" : r.cert_subject, 120).c_str());
}

const char* const kMailHeader =
    "TIME (UTC)                  PROTO DIRECTION CLIENT                  SERVER                  "
    "FROM                           TO                             SUBJECT";

std::string mail_row(const records::MailRecord& r) {
  const std::string to = join(r.rcpt_to.empty() ? r.to : r.rcpt_to);
  return fmt_row("%-27s %-5s %-9s %-23s %-23s %-30s %-30s %s", format_time_iso(r.ts, 6).c_str(),
                 cell(r.protocol).c_str(), cell(r.direction).c_str(),
                 endpoint(r.endpoints.client_ip, r.endpoints.client_port).c_str(),
                 endpoint(r.endpoints.server_ip, r.endpoints.server_port).c_str(),
                 cell(r.from.empty() ? r.mail_from : r.from, 30).c_str(), cell(to, 30).c_str(),
                 cell(r.subject, 120).c_str());
}

const char* const kFtpHeader =
    "TIME (UTC)                  CLIENT                  SERVER                  USER         "
    "   COMMAND ARG                                      REPLY";

std::string ftp_row(const records::FtpRecord& r) {
  return fmt_row("%-27s %-23s %-23s %-15s %-7s %-40s %s %s", format_time_iso(r.ts, 6).c_str(),
                 endpoint(r.endpoints.client_ip, r.endpoints.client_port).c_str(),
                 endpoint(r.endpoints.server_ip, r.endpoints.server_port).c_str(),
                 cell(r.user, 15).c_str(), cell(r.command, 7).c_str(), cell(r.arg, 40).c_str(),
                 r.reply_code ? std::to_string(r.reply_code).c_str() : "-",
                 cell(r.reply, 80).c_str());
}

const char* const kFilesHeader =
    "TIME (UTC)                  SHA256                                                          "
    " "
    "      SIZE MIME                           PROTO DIRECTION SESSION  NAME";

std::string files_row(const records::FileRecord& f, const records::FileEvent& e) {
  return fmt_row("%-27s %-64s %10llu %-30s %-5s %-9s %-8llu %s%s", format_time_iso(e.ts, 6).c_str(),
                 f.sha256.c_str(), static_cast<unsigned long long>(f.size),
                 cell(f.mime, 30).c_str(), cell(e.protocol).c_str(), cell(e.direction).c_str(),
                 static_cast<unsigned long long>(e.session_id), cell(e.name, 120).c_str(),
                 e.partial ? " (partial)" : "");
}

const char* const kFindingsHeader =
    "TIME (UTC)                  SEVERITY DETECTOR                 CONF    COUNT SAMPLE        "
    "           DIRECTION SESSION  FILE";

std::string findings_row(const records::FindingRecord& f) {
  const std::string file = f.member.empty() ? f.file_name : f.file_name + " > " + f.member;
  return fmt_row("%-27s %-8s %-24s %-7s %5llu %-24s %-9s %-8llu %s",
                 format_time_iso(f.ts, 6).c_str(), f.severity.c_str(), cell(f.detector, 24).c_str(),
                 f.confidence.c_str(), static_cast<unsigned long long>(f.count),
                 cell(f.sample, 24).c_str(), cell(f.direction).c_str(),
                 static_cast<unsigned long long>(f.session_id), cell(file, 120).c_str());
}

const char* const kAlertsHeader =
    "TIME (UTC)                  SEVERITY CLIENT                  SERVER                  PROTO "
    "DIRECTION SESSION  TITLE / FINDINGS";

std::string alerts_row(const records::AlertRecord& a) {
  return fmt_row(
      "%-27s %-8s %-23s %-23s %-5s %-9s %-8llu %s: %s (%s)", format_time_iso(a.ts, 6).c_str(),
      a.severity.c_str(), endpoint(a.endpoints.client_ip, a.endpoints.client_port).c_str(),
      endpoint(a.endpoints.server_ip, a.endpoints.server_port).c_str(), cell(a.protocol).c_str(),
      cell(a.direction).c_str(), static_cast<unsigned long long>(a.session_id),
      cell(a.title, 80).c_str(), cell(a.findings, 120).c_str(), cell(a.file_name, 60).c_str());
}

}  // namespace kagami::app
