// Content inspection end to end: a real mail client sends spreadsheets through a local SMTP
// server while `kagami record --interface lo` captures; the recorder extracts the
// attachments, inspects them, and raises (or does not raise) alerts.
#include <iostream>
#include <memory>

#include <gtest/gtest.h>

#include "integration/harness.h"
#include "support/temp_dir.h"

namespace kagami::test {
namespace {

const char* const kPython = "/usr/bin/python3";

// Writes DIR/staff.xlsx (a header row "氏名 | マイナンバー" above 20 valid My Numbers) and
// DIR/orders.xlsx (20 random 12-digit order numbers under "注文番号", some of which pass the
// check digit by chance), then mails each as an attachment through 127.0.0.1:PORT.
const char* const kSend = R"py(
import random, smtplib, sys, zipfile
from email.message import EmailMessage
d, port = sys.argv[1], int(sys.argv[2])
def check(base):
    s = sum(int(base[11 - n]) * (n + 1 if n <= 6 else n - 5) for n in range(1, 12))
    r = s % 11
    return base + str(0 if r <= 1 else 11 - r)
random.seed(5)
def xlsx(path, header, values):
    rows = ''.join('<row><c t="inlineStr"><is><t>%d</t></is></c><c><v>%s</v></c></row>' % (i, v)
                   for i, v in enumerate(values))
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml', '<Types/>')
        z.writestr('xl/worksheets/sheet1.xml', '<worksheet><sheetData><row><c t="s"><v>0</v></c>'
                   '<c t="s"><v>1</v></c></row>' + rows + '</sheetData></worksheet>')
        z.writestr('xl/sharedStrings.xml', '<sst><si><t>氏名</t></si><si><t>%s</t></si></sst>' % header)
digits = lambda n: ''.join(random.choice('0123456789') for _ in range(n))
xlsx(d + '/staff.xlsx', 'マイナンバー', [check(digits(11)) for _ in range(20)])
xlsx(d + '/orders.xlsx', '注文番号', [digits(12) for _ in range(20)])
s = smtplib.SMTP('127.0.0.1', port)
for name, subject in (('staff.xlsx', '社員名簿'), ('orders.xlsx', '注文一覧')):
    m = EmailMessage()
    m['From'], m['To'], m['Subject'] = 'tanaka@example.jp', 'outside@example.com', subject
    m.set_content('添付します。')
    m.add_attachment(open(d + '/' + name, 'rb').read(), maintype='application',
                     subtype='vnd.openxmlformats-officedocument.spreadsheetml.sheet', filename=name)
    s.send_message(m)
s.quit()
)py";

// An SMTP server (Python's smtpd) that files every message it receives into an mbox: the
// administrator's mailbox.
const char* const kMailbox = R"py(
import asyncore, mailbox, smtpd, sys, warnings
warnings.simplefilter('ignore')
class Mailbox(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kw):
        box = mailbox.mbox(sys.argv[2])
        box.add(data)
        box.flush()
Mailbox(('127.0.0.1', int(sys.argv[1])), None, decode_data=False)
asyncore.loop()
)py";

// rsyslog from Debian, in the foreground with a configuration of its own: a TCP input on
// loopback, every message written to a file in RFC 5424 form.
std::string rsyslog_conf(const std::string& d, int port) {
  return "global(workDirectory=\"" + d +
         "\")\n"
         "module(load=\"imtcp\")\n"
         "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" +
         std::to_string(port) +
         "\")\n"
         "*.* action(type=\"omfile\" file=\"" +
         d +
         "/syslog.log\" "
         "template=\"RSYSLOG_SyslogProtocol23Format\")\n";
}

TEST(InspectLive, MyNumbersMailedOutRaiseAHighSeverityAlert) {
  TempDir dir;
  const std::string d = dir.path(), store = d + "/store";
  const int port = free_port(), syslog_port = free_port(), mailbox_port = free_port();
  std::unique_ptr<Background> rsyslog;
  if (have_program("rsyslogd")) {
    write_file(d + "/rsyslog.conf", rsyslog_conf(d, syslog_port));
    rsyslog = std::make_unique<Background>(std::vector<std::string>{
        "rsyslogd", "-n", "-f", d + "/rsyslog.conf", "-i", d + "/rsyslog.pid"});
    ASSERT_TRUE(port_open(syslog_port, 10000)) << rsyslog->err();
  }
  Background mailbox({kPython, "-c", kMailbox, std::to_string(mailbox_port), d + "/admin.mbox"});
  ASSERT_TRUE(port_open(mailbox_port, 10000)) << mailbox.err();
  std::string config =
      "[[alert.sinks]]\ntype = \"email\"\nsmtp = \"127.0.0.1:" + std::to_string(mailbox_port) +
      "\"\nfrom = \"kagami@example.jp\"\nto = [\"soc@example.jp\"]\nbatch_seconds = 1\n"
      "[[alert.sinks]]\ntype = \"jsonl\"\npath = \"" +
      d + "/alerts.jsonl\"\n";
  if (rsyslog)
    config += "[[alert.sinks]]\ntype = \"syslog\"\ntransport = \"tcp\"\naddress = \"127.0.0.1:" +
              std::to_string(syslog_port) + "\"\nmin_severity = \"high\"\n";
  write_file(d + "/kagami.toml", config);
  LiveRecorder rec(store, "tcp port " + std::to_string(port), {"--config", d + "/kagami.toml"});
  START_RECORDER(rec);
  Background server({kPython, "-W", "ignore", "-m", "smtpd", "-n", "-c", "DebuggingServer",
                     "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(port_open(port, 10000)) << server.err();
  auto r = run({kPython, "-c", kSend, d, std::to_string(port)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  server.signal(SIGTERM);
  server.wait(10000);
  ASSERT_EQ(rec.stop(), 0) << rec.err();

  const std::string staff = sha256_of(read_file(d + "/staff.xlsx"));
  const std::string orders = sha256_of(read_file(d + "/orders.xlsx"));
  const auto alerts = listing("alerts", store);
  ASSERT_EQ(alerts.size(), 1u) << alerts.back().dump();
  const auto& a = alerts[0];
  EXPECT_EQ(a["severity"], "high");
  EXPECT_EQ(a["sha256"], staff);
  EXPECT_EQ(a["protocol"], "smtp");
  EXPECT_EQ(a["direction"], "sent");
  EXPECT_EQ(a["file_name"], "staff.xlsx");
  EXPECT_NE(a["title"].get<std::string>().find("My Numbers sent"), std::string::npos);
  EXPECT_NE(a["findings"].get<std::string>().find("jp_my_number x20 (high)"), std::string::npos)
      << a["findings"];

  // Every finding is kept, alerting or not; no sample shows a whole number.
  const auto findings = listing("findings", store);
  bool staff_high = false;
  for (const auto& f : findings) {
    const std::string sample = f["sample"];
    if (f["detector"] == "jp_my_number") {
      EXPECT_EQ(sample.substr(0, 8), "********") << sample;
    }
    if (f["sha256"] == staff && f["detector"] == "jp_my_number") {
      staff_high = f["confidence"] == "high" && f["count"] == 20 && f["alert_id"] == a["id"];
    }
    if (f["sha256"] == orders) {
      // Numbers that pass the check digit by chance, with no My Number word near: low.
      EXPECT_EQ(f["confidence"], "low") << f.dump();
      EXPECT_EQ(f["severity"], "info") << f.dump();
    }
  }
  EXPECT_TRUE(staff_high);
  // The listings' options come from the record's fields; each filters as the index does.
  const auto high = listing("findings", store, {"--severity", "high", "--detector", "jp_*"});
  ASSERT_FALSE(high.empty());
  for (const auto& f : high) {
    EXPECT_EQ(f["sha256"], staff) << f.dump();
    EXPECT_EQ(f["detector"], "jp_my_number") << f.dump();
  }
  for (const auto& f : listing("findings", store, {"--sha256", orders}))
    EXPECT_EQ(f["sha256"], orders) << f.dump();
  EXPECT_TRUE(listing("alerts", store, {"--severity", "critical"}).empty());
  EXPECT_EQ(listing("alerts", store, {"--sha256", staff}).size(), 1u);
  EXPECT_TRUE(listing("alerts", store, {"--sha256", orders}).empty());

  // The spreadsheet's text is kept for later search, as an object of its own.
  bool text_kept = false;
  for (const auto& f : listing("files", store)) {
    if (f["sha256"] != staff || !f.contains("inspection")) continue;
    const std::string text_sha = f["inspection"].value("text_sha256", "");
    ASSERT_EQ(text_sha.size(), 64u) << f.dump();
    const auto got = kagami({"file", "get", "--store", store, text_sha, "-o", d + "/staff.txt"});
    ASSERT_EQ(got.exit_code, 0) << got.err;
    const std::string text = read_file(d + "/staff.txt");
    EXPECT_NE(text.find("マイナンバー"), std::string::npos) << text.substr(0, 300);
    text_kept = true;
  }
  EXPECT_TRUE(text_kept);

  // The sinks: the JSON lines file, the administrator's mailbox, the syslog receiver.
  const std::string jsonl = read_file(d + "/alerts.jsonl");
  ASSERT_FALSE(jsonl.empty());
  const auto eve = nlohmann::json::parse(jsonl.substr(0, jsonl.find('\n')));
  EXPECT_EQ(eve["event_type"], "alert");
  EXPECT_EQ(eve["fileinfo"]["sha256"], staff);
  EXPECT_EQ(eve["kagami"]["alert_id"], a["id"]);
  std::string mbox;
  for (int i = 0; i < 100 && mbox.find("My Numbers sent") == std::string::npos; ++i) {
    usleep(100000);
    mbox = read_file(d + "/admin.mbox");
  }
  EXPECT_NE(mbox.find("Subject: [Kagami] 1 alert (high)"), std::string::npos) << mbox;
  EXPECT_NE(mbox.find("[high] My Numbers sent"), std::string::npos) << mbox;
  EXPECT_NE(mbox.find(staff), std::string::npos);
  if (rsyslog) {
    std::string log;
    for (int i = 0; i < 100 && log.find("My Numbers sent") == std::string::npos; ++i) {
      usleep(100000);
      log = read_file(d + "/syslog.log");
    }
    EXPECT_NE(log.find("kagami - alert [kagami@32473 severity=\"high\""), std::string::npos) << log;
    EXPECT_NE(log.find("\"signature\":\"My Numbers sent\""), std::string::npos) << log;
    rsyslog->signal(SIGTERM);
    rsyslog->wait(10000);
  } else {
    std::cerr << "rsyslogd not installed: the syslog sink is covered by the unit tests only\n";
  }
  mailbox.signal(SIGTERM);
  mailbox.wait(10000);
  // The alert leads to its session, and the session to its packets.
  const auto s = sessions(store, {"--id", std::to_string(a["session_id"].get<std::uint64_t>())});
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0]["server_port"], port);
}

}  // namespace
}  // namespace kagami::test
