#pragma once

#include <cstdint>
#include <string>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"
#include "kagami/records/record_schema.h"

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

  static constexpr RecordType kType{"ftp", "ftp", "FTP command(s)", "list FTP commands and replies",
                                    "id"};
  static constexpr Column kColumns[] = {{"TIME (UTC)", Shown::kTime, "ts", {}, 27},
                                        {"CLIENT", Shown::kEndpoint, "client", {}, 23},
                                        {"SERVER", Shown::kEndpoint, "server", {}, 23},
                                        {"USER", Shown::kText, "user", {}, 15, 15},
                                        {"COMMAND", Shown::kText, "command", {}, 7, 7},
                                        {"ARG", Shown::kText, "arg", {}, 40, 40},
                                        {"REPLY", Shown::kNumberOrDash, "reply_code", {}, 0},
                                        {"", Shown::kText, "reply", {}, 0, 80}};
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.id, as::id("id", "the command's number"));
    v(r.session_id, as::ref("session_id", "the control connection"));
    Endpoints::describe(r.endpoints, v);
    v(r.ts, as::time("ts", "when the command was sent"));
    v(r.user, as::text("user", "who logged in").also_searched_as("user"));
    v(r.command, as::name_of_set("command", "the command (RETR, STOR, ...)")
                     .searched("ftp.command", "", "FTP command: STOR, RETR"));
    v(r.arg,
      as::text("arg", "its argument (never a password)").searched("ftp.arg", "", "its argument"));
    v(r.reply_code, as::count("reply_code", "the final reply's code (0: none seen)"));
    v(r.reply, as::text("reply", "the final reply's text"));
    v(r.data, as::text("data", "the data address announced (ip:port)").omitted_when_empty());
  }
};

}  // namespace kagami::records
