// Japanese office content end to end, from a capture through `kagami record` to the listings:
// PPAP (an encrypted zip mailed, its password in a second mail) and form uploads.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kagami/base/base64.h"
#include "kagami/base/time.h"

#include "integration/harness.h"
#include "support/conversation_pcap.h"
#include "support/encrypted_zip.h"
#include "support/investigation_fixture.h"
#include "support/temp_dir.h"

namespace kagami::test {
namespace {

std::string base64_lines(const std::string& bytes) {
  const std::string b = base64_encode(bytes);
  std::string out;
  for (std::size_t i = 0; i < b.size(); i += 76) out += b.substr(i, 76) + "\r\n";
  return out;
}

// A message as a Japanese mail client writes it: ISO-2022-JP would do as well, UTF-8 is
// simpler to read here. With `zip`, the zip is attached under `zip_name`.
std::string message(const std::string& from, const std::string& to, const std::string& subject,
                    const std::string& body, const std::string& zip = "",
                    const std::string& zip_name = "") {
  std::string m = "From: " + from + "\r\nTo: " + to + "\r\nSubject: =?UTF-8?B?" +
                  base64_encode(subject) + "?=\r\nMIME-Version: 1.0\r\n";
  const std::string text_part =
      "Content-Type: text/plain; charset=UTF-8\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      base64_lines(body);
  if (zip.empty()) return m + text_part;
  m += "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n" + text_part +
       "--b1\r\nContent-Type: application/zip\r\nContent-Disposition: attachment; "
       "filename*=UTF-8''" +
       zip_name + "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64_lines(zip) +
       "--b1--\r\n";
  return m;
}

Conversation smtp(const std::string& client, std::uint16_t port, TimeNs ts,
                  const std::string& mail_from, const std::string& rcpt, const std::string& msg) {
  return {client,
          "192.0.2.25",
          port,
          25,
          ts,
          {{false, "220 mail.example.com ESMTP\r\n"},
           {true, "EHLO pc\r\n"},
           {false, "250 mail.example.com\r\n"},
           {true, "MAIL FROM:<" + mail_from + ">\r\n"},
           {false, "250 OK\r\n"},
           {true, "RCPT TO:<" + rcpt + ">\r\n"},
           {false, "250 OK\r\n"},
           {true, "DATA\r\n"},
           {false, "354 go ahead\r\n"},
           {true, msg + ".\r\n"},
           {false, "250 queued\r\n"},
           {true, "QUIT\r\n"},
           {false, "221 bye\r\n"}}};
}

std::string staff_csv() {
  std::string csv = "氏名,マイナンバー\n";
  for (unsigned i = 0; i < 8; ++i)
    csv += "社員" + std::to_string(i) + "," + valid_my_number_from(i + 11) + "\n";
  return csv;
}

// "顧客一覧.zip" as RFC 2231 writes it.
const std::string kZipName = "%E9%A1%A7%E5%AE%A2%E4%B8%80%E8%A6%A7.zip";

class Ppap : public ::testing::Test {
 protected:
  void SetUp() override {
    const TimeNs t = parse_time("2026-11-20T01:00:00Z").value();
    const std::string csv = staff_csv();
    std::vector<Conversation> cs;
    // 1-2. PPAP as practised: the zip (traditional encryption), its password a minute later.
    cs.push_back(
        smtp("10.1.0.5", 50001, t, "tanaka@example.jp", "kobayashi@partner.example",
             message("田中 <tanaka@example.jp>", "kobayashi@partner.example", "顧客一覧の送付",
                     "ファイルを送付いたします。パスワードは別途お送りします。",
                     encrypted_zip({{"顧客.csv", csv}}, "Xy7#kP2q"), kZipName)));
    cs.push_back(smtp(
        "10.1.0.5", 50002, t + 60 * kNsPerSec, "tanaka@example.jp", "kobayashi@partner.example",
        message("田中 <tanaka@example.jp>", "kobayashi@partner.example", "パスワードのお知らせ",
                "先ほどお送りしたファイルのパスワードです。\n\nパスワード：Xy7#kP2q\n\n"
                "よろしくお願いいたします。")));
    // 3-4. An AES zip, its password from someone else: no pair.
    cs.push_back(
        smtp("10.1.0.6", 50003, t + 120 * kNsPerSec, "sato@example.jp", "buyer@shop.example",
             message("sato@example.jp", "buyer@shop.example", "見積書", "見積書を送付します。",
                     encrypted_zip({{"見積.csv", csv}}, "Ab12cd34", "aes256"), "estimate.zip")));
    cs.push_back(smtp("10.1.0.7", 50004, t + 150 * kNsPerSec, "other@example.jp",
                      "buyer@shop.example",
                      message("other@example.jp", "buyer@shop.example", "パスワード送付",
                              "パスワード：Ab12cd34")));
    // 5-6. The same sender, the same recipient, a password that does not open it.
    cs.push_back(smtp("10.1.0.8", 50005, t + 200 * kNsPerSec, "suzuki@example.jp",
                      "client@corp.example",
                      message("suzuki@example.jp", "client@corp.example", "資料", "資料です。",
                              encrypted_zip({{"資料.csv", csv}}, "RightOne99"), "docs.zip")));
    cs.push_back(
        smtp("10.1.0.8", 50006, t + 230 * kNsPerSec, "suzuki@example.jp", "client@corp.example",
             message("suzuki@example.jp", "client@corp.example", "パスワード", "PW: WrongOne11")));
    ASSERT_TRUE(write_conversations_pcap(dir.path() + "/ppap.pcap", cs));
    store = dir.path() + "/store";
    const auto r = kagami({"record", "-q", "--read", dir.path() + "/ppap.pcap", "--store", store});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& m : listing("mail", store)) mail_by_subject[m["subject"]] = m;
  }

  std::vector<nlohmann::json> findings(const std::string& detector) {
    std::vector<nlohmann::json> out;
    for (const auto& f : listing("findings", store))
      if (f["detector"] == detector) out.push_back(f);
    return out;
  }

  TempDir dir;
  std::string store;
  std::map<std::string, nlohmann::json> mail_by_subject;
};

TEST_F(Ppap, TheZipIsAnAlertAndItsPasswordMailOpensIt) {
  ASSERT_EQ(mail_by_subject.size(), 6u);
  const auto& zip_mail = mail_by_subject.at("顧客一覧の送付");
  const auto& pw_mail = mail_by_subject.at("パスワードのお知らせ");
  const std::uint64_t zip_mail_id = zip_mail["id"], pw_mail_id = pw_mail["id"];

  // Each encrypted zip sent is an alert of its own.
  std::map<std::string, std::vector<nlohmann::json>> alerts;
  for (const auto& a : listing("alerts", store)) alerts[a["title"]].push_back(a);
  ASSERT_EQ(alerts["Encrypted file sent"].size(), 3u);
  for (const auto& a : alerts["Encrypted file sent"]) EXPECT_EQ(a["severity"], "medium");

  // The member, decrypted with the password mail's password, is an object of the zip's mail,
  // inspected like any attachment: its My Numbers are a high alert.
  bool member_listed = false;
  std::string member_sha;
  for (const auto& f : listing("files", store)) {
    if (f["field"] != "decrypted") continue;
    EXPECT_EQ(f["name"], "顧客一覧.zip/顧客.csv");
    EXPECT_EQ(f["record_kind"], "mail");
    EXPECT_EQ(f["record_id"], zip_mail_id);
    EXPECT_EQ(f["session_id"], zip_mail["session_id"]);
    EXPECT_NE(f["note"].get<std::string>().find("mail " + std::to_string(pw_mail_id)),
              std::string::npos)
        << f.dump();
    EXPECT_EQ(f["sha256"], sha256_of(staff_csv()));
    member_sha = f["sha256"];
    member_listed = true;
  }
  EXPECT_TRUE(member_listed);
  ASSERT_EQ(alerts["My Numbers sent"].size(), 1u);
  EXPECT_EQ(alerts["My Numbers sent"][0]["severity"], "high");
  EXPECT_EQ(alerts["My Numbers sent"][0]["sha256"], member_sha);
  EXPECT_EQ(alerts["My Numbers sent"][0]["file_name"], "顧客一覧.zip/顧客.csv");

  // The link shows on both mails' sessions, and never the password.
  const auto opened = findings("ppap_opened");
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0]["session_id"], zip_mail["session_id"]);
  EXPECT_EQ(opened[0]["sample"], "password in mail " + std::to_string(pw_mail_id));
  const auto password = findings("ppap_password");
  ASSERT_EQ(password.size(), 2u);  // the one that opened, and the one that did not
  bool linked = false;
  for (const auto& p : password) {
    if (p["session_id"] != pw_mail["session_id"]) continue;
    EXPECT_EQ(p["confidence"], "high");
    EXPECT_EQ(p["sample"], "opens 顧客一覧.zip in mail " + std::to_string(zip_mail_id));
    linked = true;
  }
  EXPECT_TRUE(linked);

  // A password is a credential: masked in the mail record, never in a finding or alert.
  EXPECT_EQ(pw_mail["body_text"].get<std::string>().find("Xy7#kP2q"), std::string::npos);
  EXPECT_NE(pw_mail["body_text"].get<std::string>().find("パスワード：********"), std::string::npos)
      << pw_mail["body_text"];
  for (const char* listing_name : {"findings", "alerts", "mail"}) {
    const auto r = kagami({listing_name, "--store", store, "--json"});
    EXPECT_EQ(r.out.find("Xy7#kP2q"), std::string::npos) << listing_name;
    EXPECT_EQ(r.out.find("WrongOne11"), std::string::npos) << listing_name;
  }
}

TEST_F(Ppap, OnlyTheSameSenderToTheSameRecipientIsPairedAndAWrongPasswordIsSaidSo) {
  // The AES zip's password came from someone else: never tried.
  const auto& estimate = mail_by_subject.at("見積書");
  for (const auto& f : listing("findings", store)) {
    if (f["session_id"] == estimate["session_id"]) {
      EXPECT_EQ(f["detector"].get<std::string>().rfind("ppap", 0), std::string::npos) << f.dump();
    }
  }
  // Suzuki's password does not open Suzuki's zip: the pair is recorded as such.
  const auto not_opened = findings("ppap_not_opened");
  ASSERT_EQ(not_opened.size(), 1u);
  EXPECT_EQ(not_opened[0]["session_id"], mail_by_subject.at("資料")["session_id"]);
  EXPECT_EQ(not_opened[0]["confidence"], "low");
  // Nothing decrypted but the one zip.
  int decrypted = 0;
  for (const auto& f : listing("files", store)) decrypted += f["field"] == "decrypted" ? 1 : 0;
  EXPECT_EQ(decrypted, 1);
}

// A file uploaded through a web form is inspected once: as itself, not again inside the form's
// whole body (which is kept, and read for its text fields).
TEST(FormUpload, AFileUploadedThroughAFormRaisesOneAlert) {
  TempDir dir;
  const TimeNs start = parse_time("2026-11-21T01:00:00Z").value();
  ASSERT_TRUE(
      write_conversations_pcap(dir.path() + "/up.pcap", investigation_conversations(start)));
  const std::string store = dir.path() + "/store";
  const auto r = kagami({"record", "-q", "--read", dir.path() + "/up.pcap", "--store", store});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int upload_alerts = 0;
  std::string titles;
  for (const auto& a : listing("alerts", store)) {
    titles += a["title"].get<std::string>() + " / " + a["file_name"].get<std::string>() + "\n";
    if (a["protocol"] == "http" && a["direction"] == "sent") ++upload_alerts;
  }
  EXPECT_EQ(upload_alerts, 1) << titles;
  // The form's whole body is still kept, as evidence.
  bool body_kept = false;
  for (const auto& f : listing("files", store))
    body_kept = body_kept || (f["field"] == "body" && f["direction"] == "sent");
  EXPECT_TRUE(body_kept);
}

}  // namespace
}  // namespace kagami::test
