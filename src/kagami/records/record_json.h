#pragma once

#include <nlohmann/json_fwd.hpp>

#include "kagami/records/dns_record.h"
#include "kagami/records/file_record.h"
#include "kagami/records/finding_record.h"
#include "kagami/records/ftp_record.h"
#include "kagami/records/http_record.h"
#include "kagami/records/mail_record.h"
#include "kagami/records/session_record.h"
#include "kagami/records/tls_record.h"

namespace kagami::records {

// The JSON contract of ../shared/DESIGN.md: core fields never change name; more may be added.
nlohmann::json to_json(const SessionRecord& s);
nlohmann::json to_json(const HttpRecord& h);
nlohmann::json to_json(const DnsRecord& d);
nlohmann::json to_json(const TlsRecord& t);
nlohmann::json to_json(const MailRecord& m);
nlohmann::json to_json(const FtpRecord& f);
// A file as the investigator sees it: the object joined with one sighting.
nlohmann::json to_json(const FileRecord& f, const FileEvent& e);
nlohmann::json to_json(const FindingRecord& f);
nlohmann::json to_json(const AlertRecord& a);

}  // namespace kagami::records
