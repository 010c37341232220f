#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kagami/demo/demo.h"
#include "kagami/demo/demo_apps.h"
#include "kagami/proxy/certificate_authority.h"

namespace kagami::demo {

const std::vector<DemoUser>& demo_users() {
  static const std::vector<DemoUser> users = {{"tanaka", "tanaka-demo-password"},
                                              {"suzuki", "suzuki-demo-password"}};
  return users;
}

const char* const kDemoYaraRule =
    "rule Kagami_Demo_Dropper {\n"
    "  meta: description = \"the demo's stand-in for a dropper\"\n"
    "  strings: $a = \"KAGAMI-DEMO-DROPPER-5e1c\"\n"
    "  condition: $a\n"
    "}\n";

namespace {

std::string page(const std::string& title, const std::string& body) {
  return "<!doctype html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>" + title +
         "</title><link rel=\"stylesheet\" href=\"/style.css\"></head><body><img src=\"/logo.svg\" "
         "alt=\"\"><h1>" +
         title + "</h1>" + body + "</body></html>\n";
}

std::string host_of(const httplib::Request& req) {
  std::string h = req.get_header_value("Host");
  if (const auto colon = h.rfind(':'); colon != std::string::npos) h.resize(colon);
  return h;
}

// The demo's three sites on one server, chosen by Host.
void add_sites(httplib::Server& s) {
  s.Get("/", [](const httplib::Request& req, httplib::Response& res) {
    const std::string host = host_of(req);
    if (host == kUploadHost) {
      res.set_content(page("ファイル共有 / File share",
                           "<form method=\"post\" action=\"/upload\" "
                           "enctype=\"multipart/form-data\"><input type=\"file\" name=\"file\">"
                           "<button>Upload</button></form>"),
                      "text/html; charset=utf-8");
      return;
    }
    if (host == kFilesHost) {
      res.set_content(page("Downloads", "<a href=\"/tools/setup.exe\">setup.exe</a>"),
                      "text/html; charset=utf-8");
      return;
    }
    std::string links;
    for (int i = 1; i <= 5; ++i)
      links += "<li><a href=\"/news/" + std::to_string(i) + "\">ニュース " + std::to_string(i) +
               "</a></li>";
    res.set_content(page("Kagami Demo News", "<ul>" + links + "</ul>"), "text/html; charset=utf-8");
  });
  s.Get(R"(/news/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
    const std::string n = req.matches[1];
    res.set_content(
        page("ニュース " + n, "<p>本日の記事 " + n +
                                  ": 新製品の発表と四半期決算について。 Today's article " + n +
                                  ".</p><a href=\"/\">back</a>"),
        "text/html; charset=utf-8");
  });
  s.Get("/style.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("body{font-family:sans-serif;margin:2rem}h1{color:#2556a8}\n", "text/css");
  });
  s.Get("/logo.svg", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"40\"><circle cx=\"20\" "
        "cy=\"20\" r=\"18\" fill=\"#2556a8\"/></svg>\n",
        "image/svg+xml");
  });
  s.Post("/upload", [](const httplib::Request& req, httplib::Response& res) {
    std::string names;
    for (const auto& [field, file] : req.files)
      names += (names.empty() ? "" : ",") + ("\"" + file.filename + "\"");
    res.set_content("{\"received\":[" + names + "]}\n", "application/json");
  });
  // Like the big sites, each answer advertises HTTP/3: the proxy removes that so the browsers
  // stay on TCP, where it sees them (kagami status: alt_svc_stripped).
  s.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("Alt-Svc", "h3=\":443\"; ma=86400");
  });
  s.Get("/tools/setup.exe", [](const httplib::Request&, httplib::Response& res) {
    // Inert bytes the demo's YARA rule flags: the console shows a malware alert and hands the
    // file out only zipped.
    std::string body = "MZ";
    body += std::string(62, '\0');
    body += "KAGAMI-DEMO-DROPPER-5e1c stands for a dropper; it does nothing.\n";
    body += std::string(512, '\x90');
    res.set_header("Content-Disposition", "attachment; filename=\"setup.exe\"");
    res.set_content(body, "application/octet-stream");
  });
}

int listen_loopback(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return -1;
  }
  port = ntohs(a.sin_port);
  return fd;
}

}  // namespace

struct DemoServers::Impl {
  std::unique_ptr<httplib::SSLServer> web;
  std::thread web_thread;
  SSL_CTX* mail_ctx = nullptr;
  int mail_fd = -1;
  std::thread mail_thread;
  SSL_CTX* apps_ctx = nullptr;
  int apps_fd = -1;
  std::thread apps_thread;
  std::mutex sessions_mutex;
  std::vector<std::thread> sessions;
  std::atomic<bool> stopping{false};

  ~Impl() {
    if (mail_ctx != nullptr) SSL_CTX_free(mail_ctx);
    if (apps_ctx != nullptr) SSL_CTX_free(apps_ctx);
  }

  // Accepts TLS connections on `fd` until stopped; each is served on a thread of its own.
  // `starttls`: each speaks SMTP in plaintext first and begins TLS when the client asks
  // (RFC 3207), as submission servers do.
  template <class Serve>
  void accept_loop(int fd, SSL_CTX* ctx, Serve serve, bool starttls = false) {
    while (!stopping.load()) {
      const int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        if (stopping.load()) return;
        continue;
      }
      timeval tv{30, 0};
      ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::lock_guard lock(sessions_mutex);
      if (sessions.size() >= 64) {  // a demo, not a server farm: old sessions are done
        for (auto& t : sessions) t.join();
        sessions.clear();
      }
      sessions.emplace_back([ctx, c, serve, starttls] {
        if (starttls && !smtp_until_starttls(c)) {
          ::close(c);
          return;
        }
        SSL* ssl = SSL_new(ctx);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) == 1) serve(ssl);
        SSL_shutdown(ssl);
        SSL_free(ssl);
        ::close(c);
      });
    }
  }

  // The plaintext before STARTTLS: the greeting, EHLO (offering STARTTLS), and the go-ahead.
  // Read a byte at a time, so nothing of the TLS that follows is taken.
  static bool smtp_until_starttls(int fd) {
    auto say = [fd](std::string_view line) {
      return ::send(fd, line.data(), line.size(), MSG_NOSIGNAL) ==
             static_cast<ssize_t>(line.size());
    };
    auto read_line = [fd](std::string& line) {
      line.clear();
      char c;
      while (line.size() < 1024 && ::recv(fd, &c, 1, 0) == 1) {
        if (c == '\n') return true;
        if (c != '\r') line += c;
      }
      return false;
    };
    if (!say(std::string("220 ") + kMailHost + " ESMTP Kagami demo\r\n")) return false;
    std::string line;
    while (read_line(line)) {
      std::string verb = line.substr(0, line.find(' '));
      for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (verb == "EHLO") {
        say(std::string("250-") + kMailHost + "\r\n250-STARTTLS\r\n250 8BITMIME\r\n");
      } else if (verb == "STARTTLS") {
        return say("220 2.0.0 Ready to start TLS\r\n");
      } else {
        say("530 5.7.0 Must issue a STARTTLS command first\r\n");
      }
    }
    return false;
  }

  // One SMTP conversation over TLS: enough of RFC 5321 for a client to deliver a message.
  static void smtp_session(SSL* ssl, std::atomic<std::uint64_t>& messages, bool after_starttls) {
    auto say = [ssl](const std::string& line) {
      return SSL_write(ssl, line.data(), static_cast<int>(line.size())) > 0;
    };
    std::string in;
    auto read_line = [&](std::string& line) {
      for (;;) {
        const auto eol = in.find("\r\n");
        if (eol != std::string::npos) {
          line = in.substr(0, eol);
          in.erase(0, eol + 2);
          return true;
        }
        if (in.size() > (16u << 20)) return false;
        char buf[4096];
        const int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) return false;
        in.append(buf, static_cast<std::size_t>(n));
      }
    };
    // After STARTTLS the client speaks first (EHLO again, RFC 3207 4.2); no second greeting.
    if (!after_starttls && !say(std::string("220 ") + kMailHost + " ESMTP Kagami demo\r\n")) return;
    std::string line;
    while (read_line(line)) {
      std::string verb = line.substr(0, line.find(' '));
      for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (verb == "EHLO") {
        say(std::string("250-") + kMailHost + "\r\n250-8BITMIME\r\n250 SIZE 16777216\r\n");
      } else if (verb == "HELO" || verb == "MAIL" || verb == "RCPT" || verb == "RSET" ||
                 verb == "NOOP") {
        say("250 OK\r\n");
      } else if (verb == "DATA") {
        say("354 End data with <CR><LF>.<CR><LF>\r\n");
        std::string body;
        while (read_line(line) && line != ".") body += line + "\r\n";
        const std::uint64_t n = ++messages;
        say("250 2.0.0 queued as demo-" + std::to_string(n) + "\r\n");
      } else if (verb == "QUIT") {
        say("221 2.0.0 bye\r\n");
        return;
      } else {
        say("502 5.5.2 not implemented\r\n");
      }
    }
  }
};

Result<std::unique_ptr<DemoServers>> DemoServers::start(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error("cannot create {}: {}", dir, ec.message());
  // A root of the demo's own, and one certificate for all its names.
  proxy::CaOptions root_options;
  root_options.name = "Kagami Demo Internet Root";
  auto root = proxy::CertificateAuthority::generate(root_options);
  if (!root) return root.error();
  auto key = proxy::generate_key(false, 0);
  if (!key) return key.error();
  auto cert = proxy::issue_server_certificate(
      **root, key->get(), {kWebHost, kUploadHost, kFilesHost, kMailHost, kAppsHost}, 30);
  if (!cert) return cert.error();
  const std::string cert_path = dir + "/servers.crt", key_path = dir + "/servers.key";
  std::filesystem::remove(cert_path, ec);
  std::filesystem::remove(key_path, ec);
  if (auto s = proxy::write_certificate_and_key(cert->get(), key->get(), cert_path, key_path); !s)
    return s.error();
  std::unique_ptr<DemoServers> d(new DemoServers());
  // What the proxy trusts upstream: the system's roots (the real Internet still works) and
  // the demo's.
  d->bundle_ = dir + "/upstream-roots.pem";
  {
    std::ofstream out(d->bundle_, std::ios::trunc);
    std::ifstream system_roots("/etc/ssl/certs/ca-certificates.crt");
    if (system_roots) out << system_roots.rdbuf();
    out << (*root)->cert_pem();
    if (!out) return make_error("cannot write {}", d->bundle_);
  }
  d->impl_ = std::make_unique<Impl>();
  Impl& impl = *d->impl_;
  impl.web = std::make_unique<httplib::SSLServer>(cert_path.c_str(), key_path.c_str());
  if (!impl.web->is_valid()) return make_error("demo web server: bad certificate");
  add_sites(*impl.web);
  const int port = impl.web->bind_to_any_port("127.0.0.1");
  if (port <= 0) return make_error("demo web server: cannot listen on 127.0.0.1");
  d->web_port_ = static_cast<std::uint16_t>(port);
  impl.web_thread = std::thread([&impl] { impl.web->listen_after_bind(); });

  impl.mail_ctx = SSL_CTX_new(TLS_server_method());
  if (impl.mail_ctx == nullptr ||
      SSL_CTX_use_certificate_file(impl.mail_ctx, cert_path.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_use_PrivateKey_file(impl.mail_ctx, key_path.c_str(), SSL_FILETYPE_PEM) != 1)
    return make_error("demo mail server: bad certificate");
  impl.mail_fd = listen_loopback(d->mail_port_);
  if (impl.mail_fd < 0) return make_error("demo mail server: cannot listen on 127.0.0.1");
  DemoServers* raw = d.get();
  impl.mail_thread = std::thread([raw, &impl] {
    impl.accept_loop(
        impl.mail_fd, impl.mail_ctx,
        [raw](SSL* ssl) { Impl::smtp_session(ssl, raw->messages_, /*after_starttls=*/true); },
        /*starttls=*/true);
  });
  impl.apps_ctx = SSL_CTX_new(TLS_server_method());
  if (impl.apps_ctx == nullptr ||
      SSL_CTX_use_certificate_file(impl.apps_ctx, cert_path.c_str(), SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_use_PrivateKey_file(impl.apps_ctx, key_path.c_str(), SSL_FILETYPE_PEM) != 1)
    return make_error("demo apps server: bad certificate");
  configure_apps_server(impl.apps_ctx);
  impl.apps_fd = listen_loopback(d->apps_port_);
  if (impl.apps_fd < 0) return make_error("demo apps server: cannot listen on 127.0.0.1");
  impl.apps_thread =
      std::thread([&impl] { impl.accept_loop(impl.apps_fd, impl.apps_ctx, serve_app); });
  return d;
}

std::unordered_map<std::string, std::string> DemoServers::hosts() const {
  return {{kWebHost, "127.0.0.1"},
          {kUploadHost, "127.0.0.1"},
          {kFilesHost, "127.0.0.1"},
          {kMailHost, "127.0.0.1"},
          {kAppsHost, "127.0.0.1"}};
}

void DemoServers::stop() {
  if (!impl_) return;
  impl_->stopping = true;
  if (impl_->web) impl_->web->stop();
  if (impl_->web_thread.joinable()) impl_->web_thread.join();
  if (impl_->mail_fd >= 0) {
    ::shutdown(impl_->mail_fd, SHUT_RDWR);
    ::close(impl_->mail_fd);
    impl_->mail_fd = -1;
  }
  if (impl_->mail_thread.joinable()) impl_->mail_thread.join();
  if (impl_->apps_fd >= 0) {
    ::shutdown(impl_->apps_fd, SHUT_RDWR);
    ::close(impl_->apps_fd);
    impl_->apps_fd = -1;
  }
  if (impl_->apps_thread.joinable()) impl_->apps_thread.join();
  std::lock_guard lock(impl_->sessions_mutex);
  for (auto& t : impl_->sessions) t.join();
  impl_->sessions.clear();
}

DemoServers::~DemoServers() { stop(); }

}  // namespace kagami::demo
