#pragma once

#include <cstdint>
#include <string>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"
#include "kagami/records/record_schema.h"

namespace kagami::records {

// One action on a file share over SMB: a logon (who, and whether the server let them in), a
// file opened and closed (with what was read from it or written to it), renamed, deleted, or a
// folder listed. The content read or written is
// an extracted file (a file event links to this record), named \\server\share\path.
struct SmbRecord {
  std::uint64_t id = 0;
  std::uint64_t session_id = 0;
  Endpoints endpoints;
  TimeNs ts = 0;            // when the file was opened (or the action asked)
  std::string user;         // DOMAIN\user of the SMB session (NTLMSSP)
  std::string workstation;  // the client computer its NTLMSSP logon names
  std::string kerberos;     // the service a Kerberos logon's ticket is for: cifs/fs01@CORP.EXAMPLE
  std::string dialect;      // "SMB 3.1.1"
  std::string action;       // logon, open, read, write, rename, delete, listing
  std::string share;        // \\server\share
  std::string path;         // the file or folder within the share
  std::string new_path;     // a rename's new name
  std::uint64_t bytes_read = 0, bytes_written = 0;
  std::string sha256;  // the content read or written, when any was
  std::string status;  // the logon's or open's NTSTATUS when it failed ("0xc0000034")

  static constexpr RecordType kType{.kind = "smb",
                                    .table = "smb",
                                    .noun = "SMB action(s)",
                                    .help = "list actions on SMB file shares",
                                    .id_column = "id",
                                    .title = "SMB file actions",
                                    .title_ja = "SMB ファイル操作"};
  static constexpr Column kColumns[] = {
      {"TIME (UTC)", "時刻", Shown::kTime, "ts", {}, 27},
      {"CLIENT", "クライアント", Shown::kEndpoint, "client", {}, 23},
      {"SERVER", "サーバー", Shown::kEndpoint, "server", {}, 23},
      {"USER", "ユーザー", Shown::kText, "user", {}, 15, 15},
      {"ACTION", "操作", Shown::kText, "action", {}, 7, 7},
      {"SHARE", "共有", Shown::kText, "share", {}, 24, 24},
      {"PATH", "パス", Shown::kText, "path", {}, 0, 60}};
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.id, as::id("id", "the action's number").ja("操作の番号"));
    v(r.session_id, as::ref("session_id", "the SMB connection").ja("SMB のコネクション"));
    Endpoints::describe(r.endpoints, v);
    v(r.ts, as::time("ts", "when the file was opened").ja("ファイルを開いた時刻"));
    v(r.user, as::text("user", "who (DOMAIN\\user of the SMB session)")
                  .ja("誰が (SMB セッションの ドメイン\\ユーザー)")
                  .also_searched_as("user"));
    v(r.workstation, as::text("workstation", "the client's computer, as its NTLMSSP logon names it")
                         .ja("クライアントのコンピューター名 (NTLMSSP ログオンによる)")
                         .searched("smb.workstation", "workstation", "client computer: DESKTOP-*")
                         .omitted_when_empty());
    v(r.kerberos,
      as::text("kerberos",
               "the service a Kerberos logon presented its ticket to (the client's "
               "name is encrypted in it)")
          .ja("Kerberos ログオンのチケットの宛先サービス (クライアント名は暗号化されている)")
          .searched("smb.kerberos", "", "Kerberos service: cifs/fs01*")
          .omitted_when_empty());
    v(r.dialect, as::name_of_set("dialect", "the SMB dialect").ja("SMB のバージョン"));
    v(r.action, as::name_of_set("action", "logon, open, read, write, rename, delete or listing")
                    .ja("logon、open、read、write、rename、delete、listing")
                    .searched("smb.action", "", "SMB action: write, delete"));
    v(r.share, as::text("share", "the share (\\\\server\\share)")
                   .ja("共有 (\\\\サーバー\\共有名)")
                   .searched("smb.share", "share", "SMB share: \\\\fs01\\経理"));
    v(r.path, as::text("path", "the file or folder in the share")
                  .ja("共有内のファイルまたはフォルダー")
                  .searched("smb.path", "", "path in the share: *.xlsx"));
    v(r.new_path,
      as::text("new_path", "a rename's new name").ja("名前の変更後の名前").omitted_when_empty());
    v(r.bytes_read, as::size("bytes_read", "bytes read from the file").ja("読み取ったバイト数"));
    v(r.bytes_written,
      as::size("bytes_written", "bytes written to the file").ja("書き込んだバイト数"));
    v(r.sha256, as::hash("sha256", "SHA-256 of the content read or written")
                    .ja("読み書きした内容の SHA-256")
                    .omitted_when_empty());
    v(r.status, as::text("status", "why the logon or open failed (NTSTATUS)")
                    .ja("ログオンまたはオープンが失敗した理由 (NTSTATUS)")
                    .omitted_when_empty());
  }
};

}  // namespace kagami::records
