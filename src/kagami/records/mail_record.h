#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"

namespace kagami::records {

struct MailAttachment {
  std::string sha256;
  std::string name;  // decoded to UTF-8
  std::string type;  // Content-Type as declared
  std::uint64_t size = 0;
};

// One message carried by SMTP, POP3 or IMAP, parsed.
struct MailRecord {
  std::uint64_t id = 0;
  std::uint64_t session_id = 0;
  Endpoints endpoints;
  TimeNs ts = 0;
  std::string protocol;   // "smtp", "pop3", "imap"
  std::string direction;  // "sent" (SMTP, IMAP APPEND) or "received" (POP3 RETR, IMAP FETCH)
  std::string mail_from;  // envelope
  std::vector<std::string> rcpt_to;  // envelope: Bcc recipients show here
  std::string from;                  // headers, decoded to UTF-8
  std::vector<std::string> to, cc;
  std::string subject;
  std::string message_id;
  std::string date;
  std::string body_text;  // the text body, UTF-8, bounded
  std::vector<MailAttachment> attachments;
  std::string eml_sha256;  // the raw message as a file
  std::uint64_t size = 0;
  std::string user;
  bool partial = false;
};

}  // namespace kagami::records
