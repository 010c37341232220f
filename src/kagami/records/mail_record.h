#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kagami/base/time.h"
#include "kagami/records/endpoints.h"
#include "kagami/records/record_schema.h"

namespace kagami::records {

struct MailAttachment {
  std::string sha256;
  std::string name;  // decoded to UTF-8
  std::string type;  // Content-Type as declared
  std::uint64_t size = 0;
};
// Attachments in JSON, as listed and as kept in the index.
nlohmann::json to_json_value(const std::vector<MailAttachment>& list);
void from_json_value(const nlohmann::json& j, std::vector<MailAttachment>& list);

std::vector<std::string> mail_flag_names(std::uint32_t flags);

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
  bool decrypted = false;             // the proxy decrypted it (TLS or STARTTLS)

  static constexpr RecordType kType{.kind = "mail",
                                    .table = "mail",
                                    .noun = "message(s)",
                                    .help = "list mail messages (SMTP, POP3, IMAP)",
                                    .id_column = "id",
                                    .title = "Mail",
                                    .title_ja = "メール"};
  static constexpr Column kColumns[] = {
      {"TIME (UTC)", "時刻", Shown::kTime, "ts", {}, 27},
      {"PROTO", "プロトコル", Shown::kText, "protocol", {}, 5},
      {"DIRECTION", "方向", Shown::kText, "direction", {}, 9},
      {"CLIENT", "クライアント", Shown::kEndpoint, "client", {}, 23},
      {"SERVER", "サーバー", Shown::kEndpoint, "server", {}, 23},
      {"FROM", "差出人", Shown::kText, "from", "mail_from", 30, 30},
      {"TO", "宛先", Shown::kList, "rcpt_to", "to", 30, 30},
      {"SUBJECT", "件名", Shown::kText, "subject", {}, 0, 120}};
  template <class Self, class V>
  static void describe(Self& r, V& v) {
    v(r.id, as::id("id", "the message's number").ja("メッセージの番号"));
    v(r.session_id, as::ref("session_id", "the session that carried it").ja("運んだセッション"));
    Endpoints::describe(r.endpoints, v);
    v(r.ts, as::time("ts", "when the transfer began").ja("転送の開始時刻"));
    v(r.protocol,
      as::name_of_set("protocol", "smtp, pop3 or imap").ja("smtp、pop3、imap のいずれか"));
    v(r.direction, as::name_of_set("direction", "sent or received")
                       .ja("送信か受信か")
                       .also_searched_as("direction"));
    v(r.mail_from, as::text("mail_from", "the envelope sender (MAIL FROM)")
                       .ja("エンベロープの送信者 (MAIL FROM)")
                       .searched("mail.from", "from,sender", "envelope or header sender"));
    v(r.rcpt_to,
      as::list("rcpt_to", "the envelope recipients (RCPT TO; Bcc shows here)")
          .ja("エンベロープの宛先 (RCPT TO。Bcc はここに出る)")
          .searched("mail.to", "to,rcpt,recipient", "envelope or header recipient (To, Cc)"));
    v(r.from, as::text("from", "the From header, decoded")
                  .ja("From ヘッダー (デコード済み)")
                  .in_column("mfrom")
                  .searched("mail.from", "from,sender", "envelope or header sender"));
    v(r.to, as::list("to", "the To header, decoded")
                .ja("To ヘッダー (デコード済み)")
                .in_column("mto")
                .searched("mail.to", "to,rcpt,recipient", "envelope or header recipient (To, Cc)"));
    v(r.cc, as::list("cc", "the Cc header, decoded")
                .ja("Cc ヘッダー (デコード済み)")
                .in_column("mcc")
                .searched("mail.to", "to,rcpt,recipient", "envelope or header recipient (To, Cc)"));
    v(r.subject, as::text("subject", "the Subject header, decoded")
                     .ja("Subject ヘッダー (デコード済み)")
                     .searched("subject", "mail.subject", "mail subject"));
    v(r.message_id, as::text("message_id", "the Message-ID header")
                        .ja("Message-ID ヘッダー")
                        .searched("message_id", "mail.message_id", "mail Message-ID"));
    v(r.date, as::text("date", "the Date header as written")
                  .ja("書かれたままの Date ヘッダー")
                  .in_column("mdate"));
    v(r.body_text,
      as::text("body_text", "the text body, UTF-8, bounded").ja("本文テキスト (UTF-8、上限あり)"));
    v(r.attachments, as::object("attachments", "each attachment: sha256, name, type, size")
                         .ja("各添付ファイル: sha256、名前、タイプ、サイズ"));
    v(r.eml_sha256, as::hash("eml_sha256", "SHA-256 of the whole message as a file")
                        .ja("メッセージ全体をファイルとした SHA-256"));
    v(r.size, as::size("size", "the message's size").ja("メッセージのサイズ"));
    v(r.user,
      as::text("user", "who logged in").ja("ログインしたユーザー").also_searched_as("user"));
    v(r.decrypted, as::boolean("decrypted", "the proxy decrypted it (TLS or STARTTLS)")
                       .ja("プロキシで復号 (TLS または STARTTLS)")
                       .also_searched_as("decrypted")
                       .omitted_when_empty());
    v(r.helo, as::text("helo", "SMTP: the client's EHLO/HELO name")
                  .ja("SMTP: クライアントの EHLO/HELO 名")
                  .omitted_when_empty());
    v(r.folder,
      as::text("folder", "IMAP: the mailbox").ja("IMAP: メールボックス").omitted_when_empty());
    v(r.reply_to, as::list("reply_to", "the Reply-To header, decoded")
                      .ja("Reply-To ヘッダー (デコード済み)")
                      .omitted_when_empty());
    v(r.flags, as::flags("flags", "what went wrong", mail_flag_names).ja("問題のあった点"));
    v.full_text(TextKind::kMail, [&r] {
      std::string text = r.subject + "\n" + (r.from.empty() ? r.mail_from : r.from);
      for (const auto* addresses : {&r.to, &r.cc, &r.rcpt_to})
        for (const auto& a : *addresses) text += "\n" + a;
      return text;
    });
  }
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

}  // namespace kagami::records
