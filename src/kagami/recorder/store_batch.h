#pragma once

#include <vector>

#include "kagami/records/dns_record.h"
#include "kagami/records/file_record.h"
#include "kagami/records/finding_record.h"
#include "kagami/records/ftp_record.h"
#include "kagami/records/http_record.h"
#include "kagami/records/mail_record.h"
#include "kagami/records/session_record.h"
#include "kagami/records/tls_record.h"

namespace kagami::recorder {

// What producers (workers, the capture thread) hand the store writer in one go.
struct StoreBatch {
  std::vector<records::SessionRecord> sessions;
  std::vector<records::PacketLocationChunk> locations;
  std::vector<records::ArchiveFileRecord> files;
  std::vector<records::HttpRecord> http;
  std::vector<records::DnsRecord> dns;
  std::vector<records::TlsRecord> tls;
  std::vector<records::MailRecord> mail;
  std::vector<records::FtpRecord> ftp;
  std::vector<records::FileRecord> objects;
  std::vector<records::FileEvent> object_events;
  std::vector<records::InspectionRecord> inspections;
  std::vector<records::FindingRecord> findings;
  std::vector<records::AlertRecord> alerts;

  std::size_t rows() const {
    return sessions.size() + locations.size() + files.size() + http.size() + dns.size() +
           tls.size() + mail.size() + ftp.size() + objects.size() + object_events.size() +
           inspections.size() + findings.size() + alerts.size();
  }
  bool empty() const { return rows() == 0; }
};

}  // namespace kagami::recorder
