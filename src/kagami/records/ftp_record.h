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

  static constexpr RecordType kType{.kind = "ftp",
                                    .table = "ftp",
                                    .noun = "FTP command(s)",
                                    .help = "list FTP commands and replies",
                                    .id_column = "id",
                                    .title = "FTP commands",
                                    .title_ja = "FTP コマンド"};
  static constexpr Column kColumns[] = {
      {"TIME (UTC)", "時刻", Shown::kTime, "ts", {}, 27},
      {"CLIENT", "クライアント", Shown::kEndpoint, "client", {}, 23},
      {"SERVER", "サーバー", Shown::kEndpoint, "server", {}, 23},
      {"USER", "ユーザー", Shown::kText, "user", {}, 15, 15},
      {"COMMAND", "コマンド", Shown::kText, "command", {}, 7, 7},
      {"ARG", "引数", Shown::kText, "arg", {}, 40, 40},
      {"REPLY", "応答", Shown::kNumberOrDash, "reply_code", {}},
      {"", "応答テキスト", Shown::kText, "reply", {}, 0, 80}};
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.id, as::id("id", "the command's number").ja("コマンドの番号"));
    v(r.session_id, as::ref("session_id", "the control connection").ja("制御コネクション"));
    Endpoints::describe(r.endpoints, v);
    v(r.ts, as::time("ts", "when the command was sent").ja("コマンドを送った時刻"));
    v(r.user,
      as::text("user", "who logged in").ja("ログインしたユーザー").also_searched_as("user"));
    v(r.command, as::name_of_set("command", "the command (RETR, STOR, ...)")
                     .ja("コマンド (RETR、STOR など)")
                     .searched("ftp.command", "", "FTP command: STOR, RETR"));
    v(r.arg, as::text("arg", "its argument (never a password)")
                 .ja("引数 (パスワードは記録しない)")
                 .searched("ftp.arg", "", "its argument"));
    v(r.reply_code, as::count("reply_code", "the final reply's code (0: none seen)")
                        .ja("最終応答のコード (0: 見えず)"));
    v(r.reply, as::text("reply", "the final reply's text").ja("最終応答のテキスト"));
    v(r.data, as::text("data", "the data address announced (ip:port)")
                  .ja("通知されたデータ接続のアドレス (ip:port)")
                  .omitted_when_empty());
  }
};

}  // namespace kagami::records
