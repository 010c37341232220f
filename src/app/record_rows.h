#pragma once
// One line per record for the table output of the listings and of `kagami search`.

#include <string>

#include "kagami/records/dns_record.h"
#include "kagami/records/file_record.h"
#include "kagami/records/finding_record.h"
#include "kagami/records/ftp_record.h"
#include "kagami/records/http_record.h"
#include "kagami/records/mail_record.h"
#include "kagami/records/session_record.h"
#include "kagami/records/tls_record.h"

namespace kagami::app {

std::string endpoint(const IpAddress& ip, std::uint16_t port);
std::string join(const std::vector<std::string>& v, const char* sep = ",");
// Table cells are one line: control characters from the wire would break the table (or the
// terminal), so they are shown escaped.
std::string cell(std::string_view s, std::size_t max = 0);

extern const char* const kSessionsHeader;
std::string session_row(const records::SessionRecord& r);
extern const char* const kHttpHeader;
std::string http_row(const records::HttpRecord& r);
extern const char* const kDnsHeader;
std::string dns_row(const records::DnsRecord& r);
extern const char* const kTlsHeader;
std::string tls_row(const records::TlsRecord& r);
extern const char* const kMailHeader;
std::string mail_row(const records::MailRecord& r);
extern const char* const kFtpHeader;
std::string ftp_row(const records::FtpRecord& r);
extern const char* const kFilesHeader;
std::string files_row(const records::FileRecord& f, const records::FileEvent& e);
extern const char* const kFindingsHeader;
std::string findings_row(const records::FindingRecord& f);
extern const char* const kAlertsHeader;
std::string alerts_row(const records::AlertRecord& a);

}  // namespace kagami::app
