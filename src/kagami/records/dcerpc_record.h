#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"
#include "kagami/records/notable.h"
#include "kagami/records/record_schema.h"

namespace kagami::records {

// One remote procedure call over DCE/RPC (a named pipe of SMB's IPC$): which interface and
// operation, by whom, and how it ended. Calls that change a machine the way intruders do are
// named as an event (a service created and started remotely is how PsExec looks); a service's
// name and command line are kept with them.
struct DceRpcRecord {
  std::uint64_t id = 0;
  std::uint64_t session_id = 0;
  Endpoints endpoints;
  TimeNs ts = 0;               // the request
  std::string user;            // DOMAIN\user of the SMB session
  std::string workstation;     // the client computer its NTLMSSP logon names
  std::string pipe;            // \\server\IPC$\svcctl
  std::string interface;       // svcctl, samr, drsuapi, ... (the UUID when not a known one)
  std::string interface_uuid;  // 367abb81-9844-35f1-ad32-98f038001003
  std::string operation;       // RCreateServiceW ("opnum 12" when not a known one)
  std::uint64_t opnum = 0;
  std::string event;             // service_created, task_registered, log_cleared, ...
  std::string status;            // the call's result (the return code, or "fault 0x1c010003")
  std::string service;           // svcctl: the service's name
  std::string command;           // svcctl: the command line it runs
  std::uint64_t stub_bytes = 0;  // the request's arguments

  static constexpr RecordType kType{.kind = "dcerpc",
                                    .table = "dcerpc",
                                    .noun = "RPC call(s)",
                                    .help = "list remote procedure calls (DCE/RPC over SMB pipes)",
                                    .id_column = "id",
                                    .title = "Remote procedure calls",
                                    .title_ja = "リモートプロシージャコール"};
  static constexpr Column kColumns[] = {
      {"TIME (UTC)", "時刻", Shown::kTime, "ts", {}, 27},
      {"CLIENT", "クライアント", Shown::kEndpoint, "client", {}, 23},
      {"SERVER", "サーバー", Shown::kEndpoint, "server", {}, 23},
      {"USER", "ユーザー", Shown::kText, "user", {}, 15, 15},
      {"OPERATION", "操作", Shown::kTextAndOther, "interface", "operation", 30, 40, false, 1, " "},
      {"EVENT", "イベント", Shown::kText, "event", {}, 16, 24},
      {"STATUS", "結果", Shown::kText, "status", {}, 10, 20},
      {"SERVICE", "サービス", Shown::kTextAndOther, "service", "command", 0, 80, false, 1, " "}};
  // A call that is an event is told to the alert policy (detector "dcerpc:<event>"), whether
  // or not the server let it through: the attempt is what an intruder leaves behind.
  static std::optional<Notable> notable(const DceRpcRecord& r) {
    if (r.event.empty()) return std::nullopt;
    Notable n;
    n.detector = "dcerpc:" + r.event;
    n.sample = r.service.empty() ? r.operation : r.service;
    if (!r.command.empty()) n.sample += ": " + r.command;
    if (!r.status.empty() && r.status != "0x00000000") n.sample += " (" + r.status + ")";
    n.name = r.pipe + " " + r.operation;
    n.protocol = std::string(kType.kind);
    n.user = r.user;
    n.session_id = r.session_id;
    n.endpoints = r.endpoints;
    n.ts = r.ts;
    return n;
  }

  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.id, as::id("id", "the call's number").ja("呼び出しの番号"));
    v(r.session_id, as::ref("session_id", "the SMB connection").ja("SMB のコネクション"));
    Endpoints::describe(r.endpoints, v);
    v(r.ts, as::time("ts", "when it was called").ja("呼び出した時刻"));
    v(r.user, as::text("user", "who (DOMAIN\\user of the SMB session)")
                  .ja("誰が (SMB セッションの ドメイン\\ユーザー)")
                  .also_searched_as("user"));
    v(r.workstation, as::text("workstation", "the client's computer, as its NTLMSSP logon names it")
                         .ja("クライアントのコンピューター名 (NTLMSSP ログオンによる)")
                         .searched("dcerpc.workstation", "", "client computer: DESKTOP-*")
                         .omitted_when_empty());
    v(r.pipe, as::text("pipe", "the named pipe (\\\\server\\IPC$\\name)")
                  .ja("名前付きパイプ (\\\\サーバー\\IPC$\\名前)"));
    v(r.interface, as::name_of_set("interface", "the RPC interface (svcctl, samr, drsuapi, ...)")
                       .ja("RPC インターフェース (svcctl、samr、drsuapi など)")
                       .searched("dcerpc.interface", "rpc.interface", "RPC interface: svcctl"));
    v(r.interface_uuid,
      as::text("interface_uuid", "the interface's UUID").ja("インターフェースの UUID"));
    v(r.operation,
      as::name_of_set("operation", "the operation (RCreateServiceW, ...)")
          .ja("操作 (RCreateServiceW など)")
          .searched("dcerpc.operation", "rpc.operation", "RPC operation: RCreateServiceW"));
    v(r.opnum, as::count("opnum", "the operation's number").ja("操作の番号"));
    v(r.event, as::name_of_set("event",
                               "what the call did, when intruders do it too (service_created, "
                               "task_registered, log_cleared, directory_replication, ...)")
                   .ja("侵入者も行う操作の種類 (service_created、task_registered、log_cleared、"
                       "directory_replication など)")
                   .searched("dcerpc.event", "rpc.event", "RPC event: service_created")
                   .omitted_when_empty());
    v(r.status, as::text("status", "how the call ended (its return code, or a fault)")
                    .ja("呼び出しの結果 (戻り値またはフォールト)")
                    .omitted_when_empty());
    v(r.service, as::text("service", "svcctl: the service's name")
                     .ja("svcctl: サービス名")
                     .searched("dcerpc.service", "service", "service name: PSEXESVC")
                     .omitted_when_empty());
    v(r.command, as::text("command", "svcctl: the command line the service runs")
                     .ja("svcctl: サービスが実行するコマンドライン")
                     .searched("dcerpc.command", "", "service command line: *cmd.exe*")
                     .omitted_when_empty());
    v(r.stub_bytes,
      as::size("stub_bytes", "bytes of the request's arguments").ja("要求の引数のバイト数"));
  }
};

}  // namespace kagami::records
