#pragma once

#include <cstdint>
#include <string>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"

namespace kagami::records {

// One FTP command on a control connection and its final reply. Transfers (RETR, STOR, ...)
// link to their data connection's file through the file event's record id.
struct FtpRecord {
  std::uint64_t id = 0;
  std::uint64_t session_id = 0;
  Endpoints endpoints;
  TimeNs ts = 0;
  std::string user;
  std::string command;  // "RETR"
  std::string arg;      // "pub/file.zip"; a password is never kept
  int reply_code = 0;   // 0: no reply seen
  std::string reply;    // the reply's text (its last line)
  std::string data;     // PORT/EPRT/PASV/EPSV: the data address announced, "ip:port"
};

}  // namespace kagami::records
