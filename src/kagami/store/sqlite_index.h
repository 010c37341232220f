#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kagami/base/packet_location.h"
#include "kagami/base/result.h"
#include "kagami/records/dns_record.h"
#include "kagami/records/file_record.h"
#include "kagami/records/finding_record.h"
#include "kagami/records/ftp_record.h"
#include "kagami/records/http_record.h"
#include "kagami/records/mail_record.h"
#include "kagami/records/session_record.h"
#include "kagami/records/tls_record.h"
#include "kagami/store/session_query.h"

struct sqlite3;

namespace kagami::store {

// The embedded index: SQLite in WAL mode. One writer (the recorder's store thread) batches
// rows into transactions; any number of readers query at the same time. A crash loses at
// most the transaction in progress; WAL keeps the file consistent.
class SqliteIndex {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  static Result<std::unique_ptr<SqliteIndex>> open(const std::string& path, Mode mode);
  ~SqliteIndex();
  SqliteIndex(const SqliteIndex&) = delete;
  SqliteIndex& operator=(const SqliteIndex&) = delete;

  Status begin();
  Status commit();

  Status insert_session(const records::SessionRecord& s);
  Status insert_locations(const records::PacketLocationChunk& c);
  Status upsert_archive_file(const records::ArchiveFileRecord& f);
  Status insert_http(const records::HttpRecord& r);
  Status insert_dns(const records::DnsRecord& r);
  Status insert_tls(const records::TlsRecord& r);
  Status insert_mail(const records::MailRecord& r);
  Status insert_ftp(const records::FtpRecord& r);
  Status insert_file(const records::FileRecord& f);  // once per content; later ones ignored
  Status insert_file_event(const records::FileEvent& e);
  Status insert_finding(const records::FindingRecord& f);
  Status insert_alert(const records::AlertRecord& a);
  Status upsert_inspection(const records::InspectionRecord& r);

  // The next free ids, so a restarted recorder never reuses one (orphaned location chunks of
  // a crashed run included).
  Result<std::uint64_t> next_session_id();
  Result<std::uint32_t> next_file_id();
  // "http", "mail", "dns", "ftp", "file_events".
  Result<std::uint64_t> next_record_id(std::string_view table);

  using SessionFn = std::function<bool(const records::SessionRecord&)>;  // false stops
  Status query_sessions(const SessionQuery& q, const SessionFn& fn);
  Result<std::uint64_t> count_sessions(const SessionQuery& q);
  Status query_http(const RecordQuery& q,
                    const std::function<bool(const records::HttpRecord&)>& fn);
  Status query_dns(const RecordQuery& q, const std::function<bool(const records::DnsRecord&)>& fn);
  Status query_tls(const RecordQuery& q, const std::function<bool(const records::TlsRecord&)>& fn);
  Status query_mail(const RecordQuery& q,
                    const std::function<bool(const records::MailRecord&)>& fn);
  Status query_ftp(const RecordQuery& q, const std::function<bool(const records::FtpRecord&)>& fn);
  Status query_findings(const RecordQuery& q,
                        const std::function<bool(const records::FindingRecord&)>& fn);
  Status query_alerts(const RecordQuery& q,
                      const std::function<bool(const records::AlertRecord&)>& fn);
  // How each object's inspection went, by digest (absent: never inspected).
  Result<std::optional<records::InspectionRecord>> inspection(const std::string& sha256);
  Status query_files(
      const RecordQuery& q,
      const std::function<bool(const records::FileRecord&, const records::FileEvent&)>& fn);

  // Every packet location of a session, in capture order.
  Result<std::vector<PacketLocation>> session_locations(std::uint64_t session_id);

  Result<std::vector<records::ArchiveFileRecord>> archive_files();

 private:
  struct Statements;
  explicit SqliteIndex(sqlite3* db);
  Status exec(const char* sql);
  Status migrate();
  Status prepare_writes();

  sqlite3* db_ = nullptr;
  std::unique_ptr<Statements> stmts_;
};

}  // namespace kagami::store
