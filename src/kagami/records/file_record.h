#pragma once

#include <cstdint>
#include <string>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"

namespace kagami::records {

// An extracted object, identified by its content; stored once however often it was seen.
struct FileRecord {
  std::string sha256;  // hex; the name under STORE/files
  std::string md5;
  std::uint64_t size = 0;
  std::string mime;  // by content (libmagic), not by what the protocol claimed
  TimeNs first_seen = 0;
  // Content inspection (read with the object; written by the inspector, not the extractor).
  bool inspected = false;
  std::string inspect_flags, inspect_note, text_sha256;
  std::uint64_t text_bytes = 0;
};

// One sighting of an object: which session carried it, in which record, named how.
struct FileEvent {
  std::uint64_t id = 0;
  std::string sha256;
  std::uint64_t session_id = 0;
  Endpoints endpoints;
  TimeNs ts = 0;
  std::string protocol;   // "http", "smtp", "pop3", "imap", "ftp"
  std::string direction;  // "sent" (client to server: uploads, outgoing mail) or "received"
  std::string name;       // the name it was given (Content-Disposition, RETR argument, ...)
  std::string field;  // multipart form field, or the part's role ("body", "attachment", "message")
  std::string claimed_type;  // Content-Type as sent
  std::string record_kind;   // "http", "mail", "ftp"
  std::uint64_t record_id = 0;
  bool partial = false;  // gaps, truncation or a bound cut it short
  std::string note;      // why it is partial, or how it was decoded ("gzip", ...)
  // Who and where, as the session knew them when the object went by (for inspection rules
  // and alerts; the index keeps them on the session, not here).
  std::string user, host;
};

}  // namespace kagami::records
