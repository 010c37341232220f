#pragma once
// What a mail shows of PPAP (パスワード付きZIP + パスワード別送) as it goes by: its sender and
// recipients, the archives it carried, the passwords it gives. The mail builder hands each
// mail's sighting to a MailObserver when the recorder offers one (AnalyzerContext::services):
// the recorder's PPAP correlator pairs archive mails with password mails.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kagami/base/time.h"
#include "kagami/records/file_record.h"
#include "kagami/records/mail_record.h"

namespace kagami::analyzers {

struct MailSighting {
  std::uint64_t mail_id = 0;
  TimeNs ts = 0;
  std::string sender;                   // lower-cased address
  std::vector<std::string> recipients;  // lower-cased addresses, sorted, unique
  std::vector<std::pair<records::FileRecord, records::FileEvent>> archives;
  records::FileEvent message;  // the message itself as an object (id 0: none)
  std::vector<std::string> passwords;
};

class MailObserver {
 public:
  virtual ~MailObserver() = default;
  virtual void observe(MailSighting&& mail) = 0;
};

// The sender's address (the envelope's, else the From header's) and every recipient's, as
// PPAP compares them.
void mail_addresses(const records::MailRecord& m, std::string& sender,
                    std::vector<std::string>& recipients);
// Whether an attachment may be a password-protected archive worth a password.
bool may_be_archive(const records::FileRecord& f, const records::FileEvent& e);

}  // namespace kagami::analyzers
