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
  std::string helo;                   // SMTP: the client's EHLO/HELO name
  std::string folder;                 // IMAP: the mailbox selected (or appended to)
  std::vector<std::string> reply_to;  // headers, decoded
  std::uint32_t flags = 0;            // MailFlag
};

enum MailFlag : std::uint32_t {
  kMailPartial = 1u << 0,        // a gap or the end of the session cut the message
  kMailHeadersOnly = 1u << 1,    // only the header was transferred (POP3 TOP, IMAP HEADER)
  kMailSizeLimit = 1u << 2,      // the message exceeded the bound: kept, not all parsed
  kMailMimeLimit = 1u << 3,      // nesting or part count bound reached
  kMailMalformed = 1u << 4,      // not parseable as a message
  kMailBodyTruncated = 1u << 5,  // body_text holds only the beginning
  kMailEncodingError = 1u << 6,  // a part's transfer encoding was broken
};
std::vector<std::string> mail_flag_names(std::uint32_t flags);

}  // namespace kagami::records
