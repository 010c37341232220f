#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"
#include "kagami/records/record_schema.h"

namespace kagami::records {

// Severity names in order, 0 (info) to 4 (critical): what sinks' bounds and digests compare.
inline int severity_rank(std::string_view severity) {
  if (severity == "critical") return 4;
  if (severity == "high") return 3;
  if (severity == "medium") return 2;
  if (severity == "low") return 1;
  return 0;
}

// What inspecting one object found, once per detector and confidence, for each sighting of
// the object (a file sent twice gives two sets of findings, one per session).
struct FindingRecord {
  std::uint64_t id = 0;
  std::string sha256;
  std::uint64_t session_id = 0;
  std::uint64_t file_event_id = 0;
  Endpoints endpoints;
  TimeNs ts = 0;  // the sighting's time
  std::string protocol, direction, file_name;
  std::string detector;    // "jp_my_number", "keyword", "yara:<rule>", "clamav:<signature>", ...
  std::string confidence;  // "low", "medium", "high"
  std::uint64_t count = 0;
  std::string severity;        // "info" (recorded, no alert), "low", "medium", "high", "critical"
  std::string sample;          // masked: never a whole value
  std::string member;          // inside an archive or document package; "" for the object itself
  std::uint64_t alert_id = 0;  // 0: no alert

  static constexpr RecordType kType{.kind = "findings",
                                    .table = "findings",
                                    .noun = "finding(s)",
                                    .help = "list what content inspection found in extracted files",
                                    .id_column = "id",
                                    .title = "Findings",
                                    .title_ja = "検出"};
  static constexpr Column kColumns[] = {
      {"TIME (UTC)", "時刻", Shown::kTime, "ts", {}, 27},
      {"SEVERITY", "重要度", Shown::kText, "severity", {}, 8},
      {"DETECTOR", "検出器", Shown::kText, "detector", {}, 24, 24},
      {"CONF", "確度", Shown::kText, "confidence", {}, 7},
      {"COUNT", "件数", Shown::kNumber, "count", {}, 5, 0, true},
      {"SAMPLE", "サンプル", Shown::kText, "sample", {}, 24, 24},
      {"DIRECTION", "方向", Shown::kText, "direction", {}, 9},
      {"SESSION", "セッション", Shown::kNumber, "session_id", {}, 8},
      {"FILE", "ファイル", Shown::kTextAndOther, "file_name", "member", 0, 120, false, 1, " > "}};
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.id, as::id("id", "the finding's number").ja("検出の番号"));
    v(r.sha256, as::hash("sha256", "SHA-256 of the object inspected")
                    .ja("検査したオブジェクトの SHA-256")
                    .looked_up());
    v(r.session_id, as::ref("session_id", "the session that carried it").ja("運んだセッション"));
    v(r.file_event_id,
      as::ref("file_event_id", "the sighting of the object").ja("オブジェクトの目撃記録"));
    v(r.ts, as::time("ts", "when the object was seen").ja("オブジェクトが見えた時刻"));
    Endpoints::describe(r.endpoints, v);
    v(r.protocol, as::name_of_set("protocol", "how it travelled (http, smtp, ...)")
                      .ja("運んだプロトコル (http、smtp など)"));
    v(r.direction, as::name_of_set("direction", "sent or received").ja("送信か受信か"));
    v(r.file_name, as::text("file_name", "the name it was given").ja("付けられていた名前"));
    v(r.detector, as::name_of_set("detector", "what found it (jp_my_number, yara:<rule>, ...)")
                      .ja("検出したもの (jp_my_number、yara:<ルール> など)")
                      .looked_up());
    v(r.confidence,
      as::name_of_set("confidence", "low, medium or high").ja("low、medium、high のいずれか"));
    v(r.count, as::count("count", "how many times it was found").ja("見つかった回数"));
    v(r.severity, as::name_of_set("severity", "info, low, medium, high or critical")
                      .ja("info、low、medium、high、critical のいずれか"));
    v(r.sample, as::text("sample", "what was found, masked").ja("見つかったもの (マスク済み)"));
    v(r.member, as::text("member", "inside an archive or package")
                    .ja("アーカイブやパッケージの中のメンバー")
                    .omitted_when_empty());
    v(r.alert_id,
      as::ref("alert_id", "the alert it raised").ja("上げたアラート").omitted_when_empty());
  }
};

// An alert to the administrator: the findings of one sighting that a rule made worth telling.
struct AlertRecord {
  std::uint64_t id = 0;
  TimeNs ts = 0;
  std::string severity;
  std::string title;  // the rules that fired, e.g. "My Numbers sent"
  std::uint64_t session_id = 0;
  std::uint64_t file_event_id = 0;
  std::string sha256;
  Endpoints endpoints;
  std::string protocol, direction, file_name, user, host;
  std::string findings;  // a summary: "jp_my_number x12 (high); keyword x1 (high)"

  static constexpr RecordType kType{.kind = "alerts",
                                    .table = "alerts",
                                    .noun = "alert(s)",
                                    .help = "list alerts raised by content inspection",
                                    .id_column = "id",
                                    .host_column = "host",
                                    .title = "Alerts",
                                    .title_ja = "アラート"};
  static constexpr Column kColumns[] = {
      {"TIME (UTC)", "時刻", Shown::kTime, "ts", {}, 27},
      {"SEVERITY", "重要度", Shown::kText, "severity", {}, 8},
      {"CLIENT", "クライアント", Shown::kEndpoint, "client", {}, 23},
      {"SERVER", "サーバー", Shown::kEndpoint, "server", {}, 23},
      {"PROTO", "プロトコル", Shown::kText, "protocol", {}, 5},
      {"DIRECTION", "方向", Shown::kText, "direction", {}, 9},
      {"SESSION", "セッション", Shown::kNumber, "session_id", {}, 8},
      {"TITLE / FINDINGS", "件名 / 検出", Shown::kText, "title", {}, 0, 80},
      Column{"", "検出", Shown::kText, "findings", {}, 0, 120, false, 0}.around(": ", ""),
      Column{"", "ファイル", Shown::kText, "file_name", {}, 0, 60, false, 0}.around(" (", ")")};
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.id, as::id("id", "the alert's number").ja("アラートの番号"));
    v(r.ts, as::time("ts", "when the object was seen").ja("オブジェクトが見えた時刻"));
    v(r.severity, as::name_of_set("severity", "low, medium, high or critical")
                      .ja("low、medium、high、critical のいずれか"));
    v(r.title, as::text("title", "the rules that fired").ja("発火したルール"));
    v(r.session_id, as::ref("session_id", "the session that carried it").ja("運んだセッション"));
    v(r.file_event_id,
      as::ref("file_event_id", "the sighting of the object").ja("オブジェクトの目撃記録"));
    v(r.sha256,
      as::hash("sha256", "SHA-256 of the object").ja("オブジェクトの SHA-256").looked_up());
    Endpoints::describe(r.endpoints, v);
    v(r.protocol, as::name_of_set("protocol", "how it travelled (http, smtp, ...)")
                      .ja("運んだプロトコル (http、smtp など)"));
    v(r.direction, as::name_of_set("direction", "sent or received").ja("送信か受信か"));
    v(r.file_name, as::text("file_name", "the name it was given").ja("付けられていた名前"));
    v(r.user, as::text("user", "who sent or received it")
                  .ja("送信または受信したユーザー")
                  .omitted_when_empty());
    v(r.host, as::text("host", "the server's name").ja("サーバーの名前").omitted_when_empty());
    v(r.findings, as::text("findings", "what was found: detector x count (severity); ...")
                      .ja("見つかったもの: 検出器 x 回数 (重大度); ..."));
  }
};

// How one object's inspection went (once per content).
struct InspectionRecord {
  std::string sha256;
  TimeNs ts = 0;
  std::uint64_t text_bytes = 0;
  std::string text_sha256;  // the extracted text, stored as an object of its own ("" for none)
  std::string flags;  // "encrypted,bomb,too_deep,truncated,corrupt,unsupported,scan_error,..."
  std::string note;   // the first reason
  std::uint32_t findings = 0;
  // The extracted text for the full-text index, cut at a bound (not kept in the record's row).
  std::string search_text;

  static constexpr RecordType kType{.kind = "inspections",
                                    .table = "inspections",
                                    .noun = "inspection(s)",
                                    .id_column = "sha256"};
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.sha256, as::hash("sha256", "the object inspected").ja("検査したオブジェクト"));
    v(r.ts, as::time("ts", "when it was inspected").ja("検査した時刻"));
    v(r.text_bytes,
      as::size("text_bytes", "the size of the text extracted").ja("抽出したテキストのサイズ"));
    v(r.text_sha256, as::hash("text_sha256", "the text extracted, stored as an object")
                         .ja("抽出したテキスト (オブジェクトとして保存)"));
    v(r.flags, as::text("flags", "what inspecting it met").ja("検査で見つかった問題"));
    v(r.note, as::text("note", "the first reason").ja("最初の理由"));
    v(r.findings, as::count("findings", "how many findings it made").ja("検出の数"));
    v(r.search_text, as::text("search_text", "the text for the full-text index").internal());
  }
};

}  // namespace kagami::records
