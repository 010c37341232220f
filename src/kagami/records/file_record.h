#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"
#include "kagami/records/record_schema.h"

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

  static constexpr RecordType kType{.kind = "files",
                                    .table = "files",
                                    .noun = "object(s)",
                                    .id_column = "sha256",
                                    .time_column = "first_seen",
                                    .keep_first = true};
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.sha256, as::hash("sha256", "SHA-256 of the content").ja("内容の SHA-256"));
    v(r.md5, as::hash("md5", "MD5 of the content").ja("内容の MD5"));
    v(r.size, as::size("size", "its size").ja("サイズ"));
    v(r.mime, as::name_of_set("mime", "its type by content (libmagic)").ja("内容から判定した種類"));
    v(r.first_seen, as::time("first_seen", "when it was first seen").ja("最初に見えた時刻"));
    // Read with the object from its inspection's row, not kept in this one.
    v(r.inspected, as::boolean("inspected", "whether it was inspected").internal());
    v(r.inspect_flags, as::text("inspect_flags", "what inspecting it met").internal());
    v(r.inspect_note, as::text("inspect_note", "why").internal());
    v(r.text_sha256, as::hash("text_sha256", "its extracted text").internal());
    v(r.text_bytes, as::size("text_bytes", "its extracted text's size").internal());
  }
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

  static constexpr RecordType kType{
      .kind = "file_events", .table = "file_events", .noun = "sighting(s)", .id_column = "id"};
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.id, as::id("id", "the sighting's number").ja("出現の番号"));
    v(r.sha256, as::hash("sha256", "the object").ja("オブジェクト").looked_up());
    v(r.session_id, as::ref("session_id", "the session that carried it").ja("運んだセッション"));
    Endpoints::describe(r.endpoints, v);
    v(r.ts, as::time("ts", "when it went by").ja("通過した時刻"));
    v(r.protocol, as::name_of_set("protocol", "the protocol").ja("プロトコル"));
    v(r.direction, as::name_of_set("direction", "sent or received").ja("送信または受信"));
    v(r.name, as::text("name", "the name it was given").ja("付けられた名前"));
    v(r.field, as::text("field", "the form field or the part's role")
                   .ja("フォームの項目またはパートの役割"));
    v(r.claimed_type,
      as::text("claimed_type", "the Content-Type as sent").ja("送られた Content-Type"));
    v(r.record_kind, as::name_of_set("record_kind", "the kind of record that carried it")
                         .ja("運んだレコードの種類"));
    v(r.record_id, as::ref("record_id", "that record's number").ja("そのレコードの番号"));
    v(r.partial, as::boolean("partial", "cut short (gaps, truncation, a bound)")
                     .ja("欠けている (ギャップ・切り詰め・上限)"));
    v(r.note, as::text("note", "why it is partial, or how it was decoded")
                  .ja("欠けた理由または復号の方法"));
    v(r.user, as::text("user", "who, as the session knew it").internal());
    v(r.host, as::host("host", "where, as the session knew it").internal());
    v.full_text(
        TextKind::kFileName, [&r] { return r.name; }, "name");
  }
};

// A sighting as the store and inspection need it, whoever emits it: its object's hash, the
// object's first sighting as this one when it has none, and who and where as the session knew
// them when the analyzer did not know better (empty: not known here).
inline void complete_sighting(FileRecord& file, FileEvent& event, std::string_view user,
                              std::string_view host) {
  if (event.user.empty()) event.user = user;
  if (event.host.empty()) event.host = host;
  event.sha256 = file.sha256;
  if (file.first_seen == 0) file.first_seen = event.ts;
}

}  // namespace kagami::records
