#include <string>
#include <vector>

#include <archive.h>
#include <archive_entry.h>
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kagami/base/base64.h"
#include "kagami/demo/demo.h"
#include "kagami/demo/demo_apps.h"

namespace kagami::demo {

namespace {

// Twelve digits that pass the My Number check (the check digit per the Japanese standard).
std::string my_number(unsigned seed) {
  std::string d = std::to_string(30000000000ULL + seed * 104729ULL).substr(0, 11);
  int sum = 0;
  for (int n = 1; n <= 11; ++n) {
    const int p = d[static_cast<std::size_t>(11 - n)] - '0';
    const int q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  const int r = sum % 11;
  return d + std::to_string(r <= 1 ? 0 : 11 - r);
}

std::string customer_list(unsigned round) {
  std::string csv = "氏名,マイナンバー,電話番号\n";
  static const char* const kNames[] = {"佐藤 花子", "鈴木 一郎", "高橋 美咲", "田中 健太",
                                       "伊藤 陽菜", "渡辺 翔",   "山本 結衣", "中村 大輔"};
  for (unsigned i = 0; i < 8; ++i)
    csv += std::string(kNames[i]) + ",マイナンバー " + my_number(round * 10 + i + 1) + ",03-5555-" +
           std::to_string(1000 + i) + "\n";
  return csv;
}

std::unique_ptr<httplib::SSLClient> client(const TrafficTarget& t, const char* host,
                                           const DemoUser& user) {
  auto c = std::make_unique<httplib::SSLClient>(host, t.web_port);
  c->set_proxy(t.proxy_host.c_str(), t.proxy_port);
  c->set_proxy_basic_auth(user.name.c_str(), user.password.c_str());
  // The organisation's CA: what a managed PC trusts, so the proxy's certificates pass.
  c->set_ca_cert_path(t.org_ca.c_str());
  c->enable_server_certificate_verification(true);
  c->set_keep_alive(true);  // as browsers do: one connection for a page and its parts
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(10, 0);
  c->set_default_headers(
      {{"User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) KagamiDemo/1"}});
  return c;
}

void failed(TrafficReport& r, const std::string& what) {
  ++r.failures;
  if (r.first_failure.empty()) r.first_failure = what;
}

// A connection to the proxy with a CONNECT to `target` sent on it; the proxy's reply line, or
// "" (and -1) when it cannot be reached. The descriptor stays open for what follows.
int proxy_connect(const TrafficTarget& t, const DemoUser& user, const std::string& target,
                  std::string& reply) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(t.proxy_port);
  ::inet_pton(AF_INET, t.proxy_host.c_str(), &a.sin_addr);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  const std::string connect = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target +
                              "\r\nProxy-Authorization: Basic " +
                              base64_encode(user.name + ":" + user.password) + "\r\n\r\n";
  bool ok = ::send(fd, connect.data(), connect.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(connect.size());
  reply.clear();
  while (ok && reply.find("\r\n\r\n") == std::string::npos && reply.size() < 4096) {
    char c;
    ok = ::recv(fd, &c, 1, 0) == 1;
    reply += c;
  }
  reply = reply.substr(0, reply.find('\r'));
  return fd;
}

// A TLS connection to `host`:`port` through the proxy's CONNECT, trusting only the
// organisation's CA (as a managed PC does), offering `alpn` (wire format) when not empty.
class TlsThroughProxy {
 public:
  // `smtp_starttls`: the server speaks SMTP in plaintext first; TLS begins after STARTTLS.
  TlsThroughProxy(const TrafficTarget& t, const DemoUser& user, const std::string& host,
                  std::uint16_t port, std::string_view alpn, bool smtp_starttls = false) {
    std::string reply;
    fd_ = proxy_connect(t, user, host + ":" + std::to_string(port), reply);
    if (fd_ < 0) {
      why = "cannot reach the proxy";
      return;
    }
    if (reply.compare(0, 12, "HTTP/1.1 200") != 0) {
      why = "CONNECT refused: " + reply;
      return;
    }
    if (smtp_starttls && !starttls()) return;
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx_, t.org_ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl = SSL_new(ctx_);
    SSL_set_fd(ssl, fd_);
    SSL_set_tlsext_host_name(ssl, host.c_str());
    SSL_set1_host(ssl, host.c_str());
    if (!alpn.empty())
      SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(alpn.data()),
                          static_cast<unsigned>(alpn.size()));
    if (SSL_connect(ssl) != 1) {
      why = "TLS to " + host + " failed";
      return;
    }
    ok = true;
  }
  ~TlsThroughProxy() {
    if (ssl != nullptr) {
      SSL_shutdown(ssl);
      SSL_free(ssl);
    }
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  TlsThroughProxy(const TlsThroughProxy&) = delete;
  TlsThroughProxy& operator=(const TlsThroughProxy&) = delete;

  bool ok = false;
  std::string why;
  SSL* ssl = nullptr;

 private:
  // The greeting, EHLO and STARTTLS in plaintext, a byte at a time (nothing of the TLS after).
  bool starttls() {
    auto reply = [&](const char* code) {
      std::string line;
      char c;
      while (::recv(fd_, &c, 1, 0) == 1) {
        if (c != '\n') {
          line += c;
          if (line.size() > 1024) break;
          continue;
        }
        if (line.size() >= 4 && line[3] == '-') {  // a continued reply
          line.clear();
          continue;
        }
        if (line.compare(0, 3, code) == 0) return true;
        why = "mail server said: " + line;
        return false;
      }
      if (why.empty()) why = "the mail server closed the connection";
      return false;
    };
    auto say = [&](std::string_view line) {
      return ::send(fd_, line.data(), line.size(), MSG_NOSIGNAL) ==
             static_cast<ssize_t>(line.size());
    };
    return reply("220") && say("EHLO pc.kagami-demo.test\r\n") && reply("250") &&
           say("STARTTLS\r\n") && reply("220");
  }

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
};

// SMTP submission with STARTTLS through the proxy's CONNECT, as mail clients send (the proxy
// takes part in the upgrade and the recorder sees the mail decrypted).
bool send_mail(const TrafficTarget& t, const DemoUser& user, const std::string& message,
               std::string& why) {
  TlsThroughProxy tls(t, user, kMailHost, t.mail_port, "", /*smtp_starttls=*/true);
  SSL* ssl = tls.ssl;
  std::string in;
  auto expect = [&](const char* code) {
    // A reply is done at a line "NNN text" (not "NNN-text").
    for (;;) {
      std::size_t start = 0;
      for (std::size_t eol; (eol = in.find("\r\n", start)) != std::string::npos; start = eol + 2) {
        if (eol - start >= 4 && in[start + 3] == ' ') {
          const bool good = in.compare(start, 3, code) == 0;
          if (!good) why = "mail server said: " + in.substr(start, eol - start);
          in.erase(0, eol + 2);
          return good;
        }
      }
      char buf[2048];
      const int n = SSL_read(ssl, buf, sizeof buf);
      if (n <= 0) {
        why = "the mail server closed the connection";
        return false;
      }
      in.append(buf, static_cast<std::size_t>(n));
    }
  };
  auto say = [&](const std::string& s) {
    return SSL_write(ssl, s.data(), static_cast<int>(s.size())) == static_cast<int>(s.size());
  };
  if (!tls.ok) {
    why = tls.why;
    return false;
  }
  // The greeting came before STARTTLS; over TLS the client begins again with EHLO.
  return say("EHLO pc-" + user.name + ".office.example\r\n") && expect("250") &&
         say("MAIL FROM:<" + user.name + "@kagami-demo.test>\r\n") && expect("250") &&
         say("RCPT TO:<partner@example.com>\r\n") && expect("250") && say("DATA\r\n") &&
         expect("354") && say(message + "\r\n.\r\n") && expect("250") && say("QUIT\r\n") &&
         expect("221");
}

std::string quote_mail(const DemoUser& user, unsigned round) {
  const std::string attachment = base64_encode(customer_list(round));
  std::string wrapped;
  for (std::size_t i = 0; i < attachment.size(); i += 76)
    wrapped += attachment.substr(i, 76) + "\r\n";
  // Subject "見積書の送付" in ISO-2022-JP, as Japanese mail clients still send it.
  return "From: " + user.name + " <" + user.name +
         "@kagami-demo.test>\r\nTo: Partner <partner@example.com>\r\n"
         "Subject: =?ISO-2022-JP?B?GyRCOCtAUT1xJE5Bd0lVGyhC?=\r\n"
         "Message-ID: <demo-" +
         std::to_string(round) +
         "@kagami-demo.test>\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"demo-boundary\"\r\n\r\n"
         "--demo-boundary\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n"
         "Content-Transfer-Encoding: 7bit\r\n\r\n\x1b$B$*@$OC$K$J$C$F$*$j$^$9!#\x1b(B\r\n"
         "--demo-boundary\r\nContent-Type: text/csv; name=\"customers.csv\"\r\n"
         "Content-Disposition: attachment; filename=\"customers.csv\"\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n" +
         wrapped + "--demo-boundary--";
}

// What a PPAP sender's tool makes: a zip with traditional (PKWARE) encryption; "" if
// libarchive cannot write one.
std::string encrypted_zip(const std::string& name, const std::string& data,
                          const std::string& password) {
  archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  std::string out;
  bool ok = archive_write_set_options(a, "zip:encryption=zipcrypt") == ARCHIVE_OK &&
            archive_write_set_passphrase(a, password.c_str()) == ARCHIVE_OK;
  archive_write_set_bytes_in_last_block(a, 1);
  ok = ok && archive_write_open(
                 a, &out, nullptr,
                 [](archive*, void* into, const void* buf, size_t n) -> la_ssize_t {
                   static_cast<std::string*>(into)->append(static_cast<const char*>(buf), n);
                   return static_cast<la_ssize_t>(n);
                 },
                 nullptr) == ARCHIVE_OK;
  if (ok) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    ok = archive_write_header(a, e) == ARCHIVE_OK &&
         archive_write_data(a, data.data(), data.size()) == static_cast<la_ssize_t>(data.size());
    archive_entry_free(e);
  }
  ok = archive_write_close(a) == ARCHIVE_OK && ok;
  archive_write_free(a);
  return ok ? out : std::string();
}

// PPAP (パスワード付きZIP + パスワード別送), as Japanese offices still practise it: the list in a
// password-protected zip, then the password in a second mail to the same partner.
std::string ppap_zip_mail(const DemoUser& user, unsigned round, const std::string& zip) {
  const std::string b64 = base64_encode(zip);
  std::string wrapped;
  for (std::size_t i = 0; i < b64.size(); i += 76) wrapped += b64.substr(i, 76) + "\r\n";
  return "From: " + user.name + " <" + user.name +
         "@kagami-demo.test>\r\nTo: Partner <partner@example.com>\r\n"
         "Subject: =?UTF-8?B?" +
         base64_encode("顧客リストの送付（パスワード別送）") + "?=\r\nMessage-ID: <demo-ppap-" +
         std::to_string(round) +
         "@kagami-demo.test>\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"ppap\"\r\n\r\n"
         "--ppap\r\nContent-Type: text/plain; charset=UTF-8\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n" +
         base64_encode("顧客リストを送付いたします。パスワードは別途お送りします。") +
         "\r\n--ppap\r\nContent-Type: application/zip\r\n"
         "Content-Disposition: attachment; filename*=UTF-8''" +
         "%E9%A1%A7%E5%AE%A2%E3%83%AA%E3%82%B9%E3%83%88.zip\r\n"  // 顧客リスト.zip
         "Content-Transfer-Encoding: base64\r\n\r\n" +
         wrapped + "--ppap--";
}

std::string ppap_password_mail(const DemoUser& user, unsigned round, const std::string& password) {
  return "From: " + user.name + " <" + user.name +
         "@kagami-demo.test>\r\nTo: Partner <partner@example.com>\r\n"
         "Subject: =?UTF-8?B?" +
         base64_encode("パスワードのお知らせ") + "?=\r\nMessage-ID: <demo-ppap-pw-" +
         std::to_string(round) +
         "@kagami-demo.test>\r\nMIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
         base64_encode("先ほどお送りしたファイルのパスワードです。\n\nパスワード：" + password +
                       "\n\nよろしくお願いいたします。\n");
}

}  // namespace

TrafficReport drive_round(const TrafficTarget& t, unsigned round) {
  TrafficReport r;
  const DemoUser& tanaka = demo_users()[0];
  const DemoUser& suzuki = demo_users()[1];
  // Browsing: pages, their style and logo, a few articles.
  for (const DemoUser* u : {&tanaka, &suzuki}) {
    auto c = client(t, kWebHost, *u);
    const std::vector<std::string> paths = {
        "/", "/style.css", "/logo.svg", "/news/" + std::to_string(1 + (round + u->name.size()) % 5),
        "/news/" + std::to_string(1 + (round * 3) % 5)};
    for (const std::string& path : paths) {
      auto res = c->Get(path.c_str());
      ++r.requests;
      if (!res || res->status != 200)
        failed(r, "GET https://" + std::string(kWebHost) + path + ": " +
                      (res ? std::to_string(res->status) : httplib::to_string(res.error())));
    }
  }
  // An upload of personal data.
  {
    auto c = client(t, kUploadHost, tanaka);
    httplib::MultipartFormDataItems form = {
        {"file", customer_list(round), "顧客リスト_" + std::to_string(round) + ".csv", "text/csv"},
        {"comment", "共有お願いします", "", ""}};
    auto res = c->Post("/upload", form);
    ++r.requests;
    ++r.uploads;
    if (!res || res->status != 200)
      failed(r, "upload: " + (res ? std::to_string(res->status) : httplib::to_string(res.error())));
  }
  // A download a rule calls malware.
  {
    auto c = client(t, kFilesHost, suzuki);
    auto res = c->Get("/tools/setup.exe");
    ++r.requests;
    ++r.downloads;
    if (!res || res->status != 200)
      failed(r,
             "download: " + (res ? std::to_string(res->status) : httplib::to_string(res.error())));
  }
  // A quote mailed with the list attached.
  std::string why;
  ++r.mails;
  if (!send_mail(t, tanaka, quote_mail(tanaka, round), why)) failed(r, "mail: " + why);
  // The same list the PPAP way: an encrypted zip, then its password. The recorder pairs the
  // two, opens the zip and finds the My Numbers inside.
  {
    const std::string password = "Kg#" + std::to_string(4821 + round * 37) + "x";
    const std::string zip = encrypted_zip("顧客リスト.csv", customer_list(round + 100), password);
    r.mails += 2;
    if (zip.empty()) {
      failed(r, "PPAP: libarchive cannot write an encrypted zip");
    } else if (!send_mail(t, tanaka, ppap_zip_mail(tanaka, round, zip), why) ||
               !send_mail(t, tanaka, ppap_password_mail(tanaka, round, password), why)) {
      failed(r, "PPAP mail: " + why);
    }
  }
  // The apps of today: an HTTP/2 API that takes tanaka's report (the list in it), suzuki's
  // HTTP/2-only news reader on the HTTP/1.1 intranet site, and his WebSocket chat, where a My
  // Number is pasted too.
  if (t.apps_port != 0) {
    {
      TlsThroughProxy tls(t, tanaka, kAppsHost, t.apps_port, std::string_view("\x02h2", 3));
      const std::string authority = std::string(kAppsHost) + ":" + std::to_string(t.apps_port);
      if (!tls.ok ||
          !h2_requests(tls.ssl, authority, customer_list(round + 200), r.h2_requests, why))
        failed(r, "HTTP/2 API: " + (tls.ok ? why : tls.why));
    }
    {
      // suzuki's news reader speaks only HTTP/2; the intranet site only HTTP/1.1.
      TlsThroughProxy tls(t, suzuki, kWebHost, t.web_port, std::string_view("\x02h2", 3));
      const std::string authority = std::string(kWebHost) + ":" + std::to_string(t.web_port);
      if (!tls.ok || !h2_news(tls.ssl, authority, r.h2_requests, why))
        failed(r, tls.ok ? why : "news reader: " + tls.why);
    }
    {
      TlsThroughProxy tls(t, suzuki, kAppsHost, t.apps_port, std::string_view("\x08http/1.1", 9));
      const std::vector<std::string> lines = {
          "お疲れさまです。見積もりの件、確認しました。",
          "念のため顧客のマイナンバーを貼ります: " + my_number(round * 10 + 300),
          "See you at the meeting."};
      if (!tls.ok || !chat(tls.ssl, kAppsHost, lines, r.chat_messages, why))
        failed(r, "chat: " + (tls.ok ? why : tls.why));
    }
  }
  // A curious user asks the proxy for the console (and its stored traffic) on this host: the
  // proxy never connects to its own listeners, and the attempt is a session in the store.
  if (t.console_port != 0) {
    std::string reply;
    const int fd = proxy_connect(t, suzuki, "127.0.0.1:" + std::to_string(t.console_port), reply);
    if (fd >= 0) ::close(fd);
    if (reply.compare(0, 12, "HTTP/1.1 403") == 0)
      ++r.refused;
    else
      failed(r, "the proxy did not refuse the console as a destination: " + reply);
  }
  return r;
}

}  // namespace kagami::demo
