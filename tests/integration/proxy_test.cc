// The insight proxy end to end, on loopback: curl and openssl s_client through `kagami proxy`
// to nginx, the mirror pcap read back by tshark and by `kagami record`; then one openssl
// s_server per kind of bad upstream, none of which may ever reach the client as trusted.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kagami/base/ascii.h"

#include "integration/harness.h"
#include "support/temp_dir.h"
#include "unit/wire/tls_builder.h"

namespace kagami::test {
namespace {

// ---- a small PKI, made in the test with OpenSSL ----

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, KeyFree>;

Key ec_key() { return Key(EVP_EC_gen("P-256")); }

struct CertSpec {
  std::string cn;
  std::vector<std::string> sans;  // "DNS:x" / "IP:x"
  long not_before_days = -1;
  long not_after_days = 30;
  bool ca = false;
  std::string eku = "serverAuth";
  const EVP_MD* md = EVP_sha256();
};

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// Signs `spec` for `key` with the issuer's key (self-signed when issuer is null).
Cert make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  static long serial = 1000;
  Cert c(X509_new());
  X509_set_version(c.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), ++serial);
  X509_NAME* name = X509_get_subject_name(c.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), spec.not_before_days * 86400L);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), spec.not_after_days * 86400L);
  X509_set_pubkey(c.get(), key);
  X509* iss = issuer ? issuer : c.get();
  if (spec.ca) {
    add_ext(c.get(), iss, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(c.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(c.get(), iss, NID_basic_constraints, "CA:FALSE");
    if (!spec.eku.empty()) add_ext(c.get(), iss, NID_ext_key_usage, spec.eku);
  }
  add_ext(c.get(), iss, NID_subject_key_identifier, "hash");
  if (issuer) add_ext(c.get(), iss, NID_authority_key_identifier, "keyid:always");
  std::string sans;
  for (const auto& s : spec.sans) sans += (sans.empty() ? "" : ",") + s;
  if (!sans.empty()) add_ext(c.get(), iss, NID_subject_alt_name, sans);
  X509_sign(c.get(), issuer_key ? issuer_key : key, spec.md);
  return c;
}

std::string pem(X509* c) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, c);
  char* p = nullptr;
  const long n = BIO_get_mem_data(b, &p);
  std::string s(p, static_cast<std::size_t>(n));
  BIO_free(b);
  return s;
}

std::string pem(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* p = nullptr;
  const long n = BIO_get_mem_data(b, &p);
  std::string s(p, static_cast<std::size_t>(n));
  BIO_free(b);
  return s;
}

// ---- processes ----

// `kagami proxy` on a free port; stopped with SIGTERM at the end.
class Proxy {
 public:
  // The test's servers are on loopback, which the proxy refuses unless it is allowed:
  // `allow_loopback` opens 127.0.0.0/8 for them.
  Proxy(const std::string& ca_dir, const std::string& upstream_ca, const std::string& mirror_dir,
        const std::vector<std::string>& extra = {}, bool allow_loopback = true) {
    port_ = free_port();
    std::vector<std::string> argv = {
        KAGAMI_BINARY, "proxy", "--listen",      "127.0.0.1:" + std::to_string(port_),
        "--ca",        ca_dir,  "--upstream-ca", upstream_ca};
    if (allow_loopback) {
      argv.push_back("--allow-destination");
      argv.push_back("127.0.0.0/8");
    }
    if (!mirror_dir.empty()) {
      argv.push_back("--mirror");
      argv.push_back("pcap:" + mirror_dir);
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<Background>(argv);
    started_ = proc_->wait_for_stderr("listening on port", 10000);
  }
  bool started() const { return started_; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int stop() {
    proc_->signal(SIGTERM);
    return proc_->wait(20000);
  }
  void signal(int sig) { proc_->signal(sig); }
  int pid() const { return proc_->pid(); }
  bool wait_for(const std::string& text, int timeout_ms) {
    return proc_->wait_for_stderr(text, timeout_ms);
  }
  std::string log() {
    proc_->wait_for_stderr("\x01", 200);  // collect what it wrote so far
    return proc_->err();
  }

 private:
  std::unique_ptr<Background> proc_;
  int port_ = 0;
  bool started_ = false;
};

// An nginx configuration in the test's directory, up to the http block's servers (left open).
std::string nginx_preamble(const std::string& d) {
  return "daemon off;\npid " + d + "/nginx.pid;\nerror_log " + d + "/error.log;\n" +
         "worker_processes 1;\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path " + d +
         "/body;\n  proxy_temp_path " + d + "/proxy;\n  fastcgi_temp_path " + d +
         "/fcgi;\n  uwsgi_temp_path " + d + "/uwsgi;\n  scgi_temp_path " + d +
         "/scgi;\n  types { text/plain txt; application/octet-stream bin; }\n";
}

std::string nginx_conf(const std::string& d, int port, int plain_port) {
  return nginx_preamble(d) + "  gzip on;\n  gzip_types text/plain;\n  gzip_min_length 0;\n" +
         "  server {\n    listen 127.0.0.1:" + std::to_string(port) + " ssl;\n" +
         "    server_name site.test;\n    ssl_certificate " + d + "/site.pem;\n" +
         "    ssl_certificate_key " + d + "/site.key;\n    root " + d + "/www;\n  }\n" +
         "  server {\n    listen 127.0.0.1:" + std::to_string(port) + " ssl;\n" +
         "    server_name other.test;\n    ssl_certificate " + d + "/other.pem;\n" +
         "    ssl_certificate_key " + d + "/other.key;\n    root " + d + "/www-other;\n  }\n" +
         "  server {\n    listen 127.0.0.1:" + std::to_string(plain_port) + ";\n    root " + d +
         "/www;\n  }\n}\n";
}

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_program("curl") || !have_program("openssl"))
      GTEST_SKIP() << "curl or openssl missing";
    d_ = dir_.path();
    // The origin PKI: a root the proxy trusts (--upstream-ca), an intermediate, leaves.
    root_key_ = ec_key();
    CertSpec root;
    root.cn = "Test Origin Root";
    root.ca = true;
    root.not_after_days = 365;
    root_ = make_cert(root, root_key_.get(), nullptr, nullptr);
    inter_key_ = ec_key();
    CertSpec inter;
    inter.cn = "Test Origin Intermediate";
    inter.ca = true;
    inter.not_after_days = 300;
    inter_ = make_cert(inter, inter_key_.get(), root_.get(), root_key_.get());
    write_file(d_ + "/root.pem", pem(root_.get()));
    auto r = kagami({"ca", "init", "--dir", d_ + "/ca"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    kagami_ca_ = d_ + "/ca/ca.crt";
  }

  // An FTPS server (pyftpdlib, TLS required on control and data) for files.test on
  // `host`:`port`, serving report.bin (`down`), with customers.csv (`up`) ready to upload:
  // the script to run it.
  std::string ftps_server(const std::string& host, int port, const std::string& down,
                          const std::string& up) {
    CertSpec spec;
    spec.cn = "files.test";
    spec.sans = {"DNS:files.test"};
    leaf("files", spec);
    write_file(d_ + "/files-both.pem", read_file(d_ + "/files.key") + read_file(d_ + "/files.pem"));
    std::filesystem::create_directories(d_ + "/ftp");
    write_file(d_ + "/ftp/report.bin", down);
    write_file(d_ + "/customers.csv", up);
    return "from pyftpdlib.authorizers import DummyAuthorizer\n"
           "from pyftpdlib.handlers import TLS_FTPHandler\n"
           "from pyftpdlib.servers import FTPServer\n"
           "a = DummyAuthorizer(); a.add_user('tanaka', 'secret', '" +
           d_ +
           "/ftp', perm='elradfmw')\n"
           "h = TLS_FTPHandler; h.certfile = '" +
           d_ +
           "/files-both.pem'; h.authorizer = a\n"
           "h.tls_control_required = True; h.tls_data_required = True\n"
           "FTPServer(('" +
           host + "', " + std::to_string(port) + "), h).serve_forever()\n";
  }
  // The upload arrived, and the recorder has both files, by name, byte for byte.
  void expect_ftp_files(const std::string& store, const std::string& down, const std::string& up) {
    EXPECT_EQ(read_file(d_ + "/ftp/customers.csv"), up);
    std::map<std::string, std::string> files;  // name: sha256
    for (const auto& f : listing("files", store))
      if (f["protocol"] == "ftp") files[f["name"]] = f["sha256"];
    EXPECT_EQ(files["report.bin"], sha256_of(down)) << ::testing::PrintToString(files);
    EXPECT_EQ(files["customers.csv"], sha256_of(up)) << ::testing::PrintToString(files);
  }

  // A leaf for `spec` under the intermediate, written as NAME.pem (leaf + intermediate, as
  // nginx takes it), NAME.crt and NAME.chain (leaf and intermediate apart, as s_server takes
  // them) and NAME.key.
  void leaf(const std::string& name, const CertSpec& spec, EVP_PKEY* key = nullptr) {
    Key own;
    if (key == nullptr) {
      own = ec_key();
      key = own.get();
    }
    Cert c = make_cert(spec, key, inter_.get(), inter_key_.get());
    write_file(d_ + "/" + name + ".pem", pem(c.get()) + pem(inter_.get()));
    write_file(d_ + "/" + name + ".crt", pem(c.get()));
    write_file(d_ + "/" + name + ".chain", pem(inter_.get()));
    write_file(d_ + "/" + name + ".key", pem(key));
  }

  // A leaf "site" for `sans` and `openssl s_server -www` with it on a free port (`port`).
  std::unique_ptr<Background> start_site(const std::vector<std::string>& sans, int& port) {
    CertSpec spec;
    spec.cn = "site.test";
    spec.sans = sans;
    leaf("site", spec);
    port = free_port();
    auto server = origin_server("site", port);
    EXPECT_TRUE(port_open(port, 10000)) << server->err();
    return server;
  }

  // `openssl s_server -www` on 127.0.0.1:port with the leaf NAME made by leaf().
  std::unique_ptr<Background> origin_server(const std::string& name, int port) {
    return std::make_unique<Background>(std::vector<std::string>{
        "openssl", "s_server", "-quiet", "-www", "-accept", "127.0.0.1:" + std::to_string(port),
        "-cert", d_ + "/" + name + ".crt", "-key", d_ + "/" + name + ".key", "-cert_chain",
        d_ + "/" + name + ".chain"});
  }

  TempDir dir_;
  std::string d_;
  Key root_key_, inter_key_;
  Cert root_, inter_;
  std::string kagami_ca_;
};

// curl through the proxy; the client trusts only the Kagami CA.
CommandResult curl_via(const Proxy& p, const std::string& ca,
                       const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"curl",    "-sS",   "--max-time", "20",
                                   "--proxy", p.url(), "--cacert",   ca};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

TEST_F(ProxyTest, DownloadsAreByteIdenticalAndTheMirrorHoldsThePlaintext) {
  if (!have_program("nginx") || !have_program("tshark")) GTEST_SKIP() << "nginx or tshark missing";
  CertSpec site{"site.test", {"DNS:site.test", "DNS:www.site.test", "IP:127.0.0.1"}};
  leaf("site", site);
  CertSpec other{"other.test", {"DNS:other.test"}};
  leaf("other", other);
  std::filesystem::create_directories(d_ + "/www");
  std::filesystem::create_directories(d_ + "/www-other");
  const std::string big = pattern(100u << 20, 11);
  write_file(d_ + "/www/big.bin", big);
  std::string page;
  for (int i = 0; i < 3000; ++i) page += "line " + std::to_string(i) + " of a compressible page\n";
  write_file(d_ + "/www/page.txt", page);
  write_file(d_ + "/www-other/hello.txt", "the other virtual host\n");
  write_file(d_ + "/www/plain.txt", "plain text through a tunnel\n");
  const int port = free_port(), plain_port = free_port();
  write_file(d_ + "/nginx.conf", nginx_conf(d_, port, plain_port));
  ASSERT_EQ(run({"chmod", "-R", "a+rX", d_}).exit_code, 0);
  Background nginx({"nginx", "-p", d_, "-c", d_ + "/nginx.conf"});
  ASSERT_TRUE(port_open(port, 10000)) << read_file(d_ + "/error.log");

  const std::string p = std::to_string(port);
  // Host names reach the proxy in CONNECT; --connect-to makes curl CONNECT to 127.0.0.1 while
  // it still sends the name in SNI and Host.
  auto to = [&](const std::string& host) { return host + ":" + p + ":127.0.0.1:" + p; };
  {
    // 100 MB through a proxy of its own: tshark takes minutes to reassemble a body that size,
    // so the recorder checks this mirror (its extracted file must hash like the served one).
    Proxy bulk(d_ + "/ca", d_ + "/root.pem", d_ + "/mirror-bulk");
    ASSERT_TRUE(bulk.started()) << bulk.log();
    auto r = curl_via(bulk, kagami_ca_,
                      {"--connect-to", to("site.test"), "-o", d_ + "/got.bin",
                       "https://site.test:" + p + "/big.bin"});
    ASSERT_EQ(r.exit_code, 0) << r.err << bulk.log();
    EXPECT_EQ(sha256_of_file(d_ + "/got.bin"), sha256_of(big));
    ASSERT_EQ(bulk.stop(), 0);
    const std::string store = d_ + "/store-bulk";
    for (const auto& e : std::filesystem::directory_iterator(d_ + "/mirror-bulk")) {
      r = kagami({"record", "-q", "--read", e.path().string(), "--store", store});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    r = kagami({"files", "--store", store, "--sha256", sha256_of(big), "--json"});
    EXPECT_NE(r.out.find("big.bin"), std::string::npos) << r.out << r.err << bulk.log();
  }

  // This one also records in-process (--record), with what it knows about each connection.
  const std::string live_store = d_ + "/store-inprocess";
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", d_ + "/mirror", {"--record", live_store});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  auto r = curl_via(
      proxy, kagami_ca_,
      {"--compressed", "--connect-to", to("site.test"), "https://site.test:" + p + "/page.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, page);
  r = curl_via(proxy, kagami_ca_,
               {"--connect-to", to("other.test"), "https://other.test:" + p + "/hello.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "the other virtual host\n");
  // A name the upstream certificate does not carry: refused, never shown as valid.
  r = curl_via(proxy, kagami_ca_,
               {"--connect-to", to("wrong.test"), "https://wrong.test:" + p + "/hello.txt"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  // openssl s_client through the proxy verifies the minted chain up to the Kagami CA.
  r = run(
      {"sh", "-c",
       "printf 'GET /plain.txt HTTP/1.1\\r\\nHost: site.test\\r\\nConnection: close\\r\\n\\r\\n' | "
       "timeout 20 openssl s_client -quiet -verify_return_error -CAfile " +
           kagami_ca_ + " -proxy 127.0.0.1:" + std::to_string(proxy.port()) +
           " -connect 127.0.0.1:" + p + " -servername site.test -verify_hostname site.test"});
  EXPECT_NE(r.out.find("plain text through a tunnel"), std::string::npos) << r.out << r.err;
  // Not TLS inside CONNECT: relayed unchanged. And an absolute-form request.
  r = run({"curl", "-sS", "--max-time", "20", "--proxytunnel", "--proxy", proxy.url(),
           "http://127.0.0.1:" + std::to_string(plain_port) + "/plain.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "plain text through a tunnel\n");
  r = run({"curl", "-sS", "--max-time", "20", "--proxy", proxy.url(),
           "http://127.0.0.1:" + std::to_string(plain_port) + "/page.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, page);
  ASSERT_EQ(proxy.stop(), 0);
  const std::string log = proxy.log();
  EXPECT_NE(log.find("decrypted 3"), std::string::npos) << log;
  EXPECT_NE(log.find("upstream invalid 1"), std::string::npos) << log;
  EXPECT_NE(log.find("upstream refused: hostname mismatch"), std::string::npos) << log;
  EXPECT_NE(log.find("dropped 0"), std::string::npos) << log;
  nginx.signal(SIGTERM);
  nginx.wait(10000);

  // tshark reads the mirror and exports the very bytes nginx served.
  std::vector<std::string> pcaps;
  for (const auto& e : std::filesystem::directory_iterator(d_ + "/mirror"))
    pcaps.push_back(e.path().string());
  ASSERT_EQ(pcaps.size(), 1u);
  std::filesystem::create_directories(d_ + "/objects");
  r = run({"tshark", "-r", pcaps[0], "-q", "-o", "tcp.check_checksum:TRUE", "--export-objects",
           "http," + d_ + "/objects"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> exported;
  for (const auto& e : std::filesystem::directory_iterator(d_ + "/objects"))
    exported.insert(sha256_of_file(e.path().string()));
  EXPECT_TRUE(exported.count(sha256_of("the other virtual host\n")));
  EXPECT_TRUE(exported.count(sha256_of("plain text through a tunnel\n")));
  EXPECT_TRUE(exported.count(sha256_of(page)));  // the absolute-form request, not compressed
  // No packet with a bad checksum or that tshark's TCP analysis finds wrong.
  r = run({"tshark", "-r", pcaps[0], "-o", "tcp.check_checksum:TRUE", "-o",
           "ip.check_checksum:TRUE", "-Y",
           "tcp.checksum.status == 0 || ip.checksum.status == 0 || tcp.analysis.lost_segment || "
           "tcp.analysis.retransmission || tcp.analysis.out_of_order || "
           "tcp.analysis.ack_lost_segment"});
  EXPECT_EQ(r.out, "");

  // The recorder reads the mirror like any capture: URLs and hosts as the client asked.
  const std::string store = d_ + "/store";
  r = kagami({"record", "-q", "--read", pcaps[0], "--store", store});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> uris;
  for (const auto& h : listing("http", store))
    uris.insert(h["host"].get<std::string>() + h["uri"].get<std::string>());
  EXPECT_TRUE(uris.count("site.test:" + p + "/page.txt"));
  EXPECT_TRUE(uris.count("other.test:" + p + "/hello.txt"));

  // The in-process recorder: the same URLs, decrypted sessions flagged, their TLS metadata.
  std::set<std::string> live_uris;
  for (const auto& h : listing("http", live_store))
    live_uris.insert(h["host"].get<std::string>() + h["uri"].get<std::string>());
  EXPECT_EQ(live_uris, uris);
  int decrypted = 0;
  for (const auto& s : sessions(live_store))
    if (s["decrypted"] == true) ++decrypted;
  EXPECT_EQ(decrypted, 3);
  const auto tls = listing("tls", live_store);
  std::set<std::string> snis;
  for (const auto& t : tls) {
    if (t["decrypted"] != true) continue;
    snis.insert(t["sni"].get<std::string>());
    EXPECT_EQ(t["upstream_verdict"], "");
    EXPECT_EQ(t["policy"], "decrypt: default");
    EXPECT_FALSE(t["upstream_version"].get<std::string>().empty());
    EXPECT_NE(t["cert_issuer"].get<std::string>().find("Test Origin Intermediate"),
              std::string::npos);
  }
  EXPECT_EQ(snis, (std::set<std::string>{"site.test", "other.test"}));
}

// One openssl s_server per kind of bad upstream (ISSUE: none may reach the client as trusted).
struct BadUpstream {
  std::string name;
  std::string cert, chain, key;    // files; chain may be empty
  std::vector<std::string> extra;  // s_server options
  std::string reason;              // expected in the proxy's log
};

std::string serial_hex(X509* c) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(c), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string s(hex);
  OPENSSL_free(hex);
  BN_free(bn);
  return s;
}

TEST_F(ProxyTest, NoBadUpstreamEverReachesTheClientAsTrusted) {
  const std::string host = "site.test";
  const std::vector<std::string> san = {"DNS:site.test"};
  // The upstream trust store holds the origin root and, as a proxy host's system store
  // would, the organisation's own CA.
  write_file(d_ + "/bundle.pem", read_file(d_ + "/root.pem") + read_file(kagami_ca_));
  std::vector<BadUpstream> cases;
  auto add = [&](const std::string& name, Cert leaf_cert, EVP_PKEY* key, std::string chain,
                 std::vector<std::string> extra, std::string reason) {
    BadUpstream b{name,
                  d_ + "/" + name + ".crt",
                  "",
                  d_ + "/" + name + ".key",
                  std::move(extra),
                  std::move(reason)};
    write_file(b.cert, pem(leaf_cert.get()));
    write_file(b.key, pem(key));
    if (!chain.empty()) {
      b.chain = d_ + "/" + name + ".chain";
      write_file(b.chain, chain);
    }
    cases.push_back(std::move(b));
  };
  const std::string inter_pem = pem(inter_.get());
  auto spec = [&](long nb, long na) {
    CertSpec c;
    c.cn = host;
    c.sans = san;
    c.not_before_days = nb;
    c.not_after_days = na;
    return c;
  };
  Key k = ec_key();
  add("good", make_cert(spec(-1, 30), k.get(), inter_.get(), inter_key_.get()), k.get(), inter_pem,
      {}, "");
  add("expired", make_cert(spec(-60, -1), k.get(), inter_.get(), inter_key_.get()), k.get(),
      inter_pem, {}, "certificate has expired");
  add("not-yet-valid", make_cert(spec(1, 30), k.get(), inter_.get(), inter_key_.get()), k.get(),
      inter_pem, {}, "certificate is not yet valid");
  CertSpec wrong = spec(-1, 30);
  wrong.sans = {"DNS:elsewhere.test"};
  add("wrong-host", make_cert(wrong, k.get(), inter_.get(), inter_key_.get()), k.get(), inter_pem,
      {}, "hostname mismatch");
  add("self-signed", make_cert(spec(-1, 30), k.get(), nullptr, nullptr), k.get(), "", {},
      "self-signed certificate");
  Key other_root_key = ec_key();
  CertSpec other_root;
  other_root.cn = "Unknown Root";
  other_root.ca = true;
  Cert unknown_root = make_cert(other_root, other_root_key.get(), nullptr, nullptr);
  add("unknown-ca", make_cert(spec(-1, 30), k.get(), unknown_root.get(), other_root_key.get()),
      k.get(), pem(unknown_root.get()), {}, "self-signed certificate in certificate chain");
  add("incomplete-chain", make_cert(spec(-1, 30), k.get(), inter_.get(), inter_key_.get()), k.get(),
      "", {}, "unable to get local issuer certificate");
  CertSpec client_only = spec(-1, 30);
  client_only.eku = "clientAuth";
  add("not-for-servers", make_cert(client_only, k.get(), inter_.get(), inter_key_.get()), k.get(),
      inter_pem, {}, "unsuitable certificate purpose");
  // Issued by a certificate that is not a CA (a leaf signing a leaf).
  Key fake_key = ec_key();
  CertSpec fake = spec(-1, 30);
  fake.cn = "not a CA";
  fake.sans = {};
  Cert fake_issuer = make_cert(fake, fake_key.get(), inter_.get(), inter_key_.get());
  add("issuer-not-ca", make_cert(spec(-1, 30), k.get(), fake_issuer.get(), fake_key.get()), k.get(),
      pem(fake_issuer.get()) + inter_pem, {}, "invalid CA certificate");
  // Issued by Kagami's own CA: a loop through the proxy itself.
  std::FILE* f = std::fopen((d_ + "/ca/ca.key").c_str(), "r");
  ASSERT_NE(f, nullptr);
  Key kagami_key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  f = std::fopen(kagami_ca_.c_str(), "r");
  Cert kagami_cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  add("own-ca", make_cert(spec(-1, 30), k.get(), kagami_cert.get(), kagami_key.get()), k.get(), "",
      {}, "Kagami's own CA");
  CertSpec sha1 = spec(-1, 30);
  sha1.md = EVP_sha1();
  add("sha1", make_cert(sha1, k.get(), inter_.get(), inter_key_.get()), k.get(), inter_pem,
      {"-cipher", "DEFAULT@SECLEVEL=0"}, "too weak");
  Key small_rsa(EVP_RSA_gen(1024));
  add("rsa-1024", make_cert(spec(-1, 30), small_rsa.get(), inter_.get(), inter_key_.get()),
      small_rsa.get(), inter_pem, {"-cipher", "DEFAULT@SECLEVEL=0"}, "EE certificate key too weak");
  Key rsa(EVP_RSA_gen(2048));
  add("tls-1.1", make_cert(spec(-1, 30), rsa.get(), inter_.get(), inter_key_.get()), rsa.get(),
      inter_pem, {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"}, "upstream TLS handshake failed");
  add("rsa-key-exchange", make_cert(spec(-1, 30), rsa.get(), inter_.get(), inter_key_.get()),
      rsa.get(), inter_pem, {"-no_tls1_3", "-cipher", "AES128-GCM-SHA256"},
      "upstream TLS handshake failed");
  ASSERT_EQ(run({"openssl", "dhparam", "-out", d_ + "/dh1024.pem", "1024"}).exit_code, 0);
  add("dh-1024", make_cert(spec(-1, 30), rsa.get(), inter_.get(), inter_key_.get()), rsa.get(),
      inter_pem,
      {"-no_tls1_3", "-cipher", "DHE-RSA-AES128-GCM-SHA256@SECLEVEL=0", "-dhparam",
       d_ + "/dh1024.pem"},
      "dh key too small");
  // A stapled OCSP response, signed by the issuer, that says revoked.
  Cert revoked = make_cert(spec(-1, 30), k.get(), inter_.get(), inter_key_.get());
  write_file(d_ + "/inter.pem", inter_pem);
  write_file(d_ + "/inter.key", pem(inter_key_.get()));
  write_file(d_ + "/revoked.pem", pem(revoked.get()));
  write_file(d_ + "/index.txt", "R\t301231000000Z\t261101000000Z\t" + serial_hex(revoked.get()) +
                                    "\tunknown\t/CN=" + host + "\n");
  auto r = run({"openssl", "ocsp", "-index", d_ + "/index.txt", "-rsigner", d_ + "/inter.pem",
                "-rkey", d_ + "/inter.key", "-CA", d_ + "/inter.pem", "-issuer", d_ + "/inter.pem",
                "-cert", d_ + "/revoked.pem", "-respout", d_ + "/ocsp.der", "-ndays", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  add("ocsp-revoked", std::move(revoked), k.get(), inter_pem, {"-status_file", d_ + "/ocsp.der"},
      "revoked");
  // A server that demands a client certificate: the client must not hang.
  add("client-cert", make_cert(spec(-1, 30), k.get(), inter_.get(), inter_key_.get()), k.get(),
      inter_pem, {"-Verify", "1"}, "demands a client certificate");

  Proxy reject(d_ + "/ca", d_ + "/bundle.pem", "");
  ASSERT_TRUE(reject.started()) << reject.log();
  Proxy untrusted(d_ + "/ca", d_ + "/bundle.pem", "", {"--on-invalid-upstream", "untrusted"});
  ASSERT_TRUE(untrusted.started()) << untrusted.log();
  for (const BadUpstream& b : cases) {
    SCOPED_TRACE(b.name);
    const int port = free_port();
    std::vector<std::string> argv = {
        "openssl", "s_server", "-quiet", "-www", "-accept", "127.0.0.1:" + std::to_string(port),
        "-cert",   b.cert,     "-key",   b.key};
    if (!b.chain.empty()) {
      argv.push_back("-cert_chain");
      argv.push_back(b.chain);
    }
    argv.insert(argv.end(), b.extra.begin(), b.extra.end());
    Background server(argv);
    ASSERT_TRUE(port_open(port, 10000)) << server.err();
    const std::string p = std::to_string(port);
    const std::vector<std::string> args = {
        "--connect-to", host + ":" + p + ":127.0.0.1:" + p, "-o", "/dev/null", "-w",
        "%{http_code}", "https://" + host + ":" + p + "/"};
    const auto started = std::chrono::steady_clock::now();
    auto got = curl_via(reject, kagami_ca_, args);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_LT(took, std::chrono::seconds(15));  // refused promptly, never left hanging
    auto loose = curl_via(untrusted, kagami_ca_, args);
    if (b.reason.empty()) {
      EXPECT_EQ(got.exit_code, 0) << got.err << reject.log();
      EXPECT_EQ(got.out, "200");
      EXPECT_EQ(loose.exit_code, 0) << loose.err;
      continue;
    }
    EXPECT_NE(got.exit_code, 0) << got.out;
    EXPECT_NE(loose.exit_code, 0) << loose.out;
    // A certificate problem, not a protocol one: the client saw the untrusted CA's certificate
    // (curl 60: "SSL certificate problem") and would show its warning.
    const bool protocol_problem = b.reason.find("handshake failed") != std::string::npos ||
                                  b.name == "dh-1024" || b.name == "client-cert";
    if (!protocol_problem) {
      EXPECT_EQ(loose.exit_code, 60) << loose.err;
    }
    EXPECT_NE(reject.log().find(b.reason), std::string::npos) << reject.log();
    server.signal(SIGTERM);
    server.wait(5000);
  }
  ASSERT_EQ(reject.stop(), 0);
  ASSERT_EQ(untrusted.stop(), 0);
}

// The policy decides per connection: decrypt by default, bypass a privacy list (the client sees
// the real certificate), block a host; SIGHUP swaps the policy; proxy users are the "who";
// a client that refuses the minted certificate gets its destination bypassed next time.
TEST_F(ProxyTest, PolicyAuthAndAutoBypassDecideEachConnection) {
  CertSpec spec;
  spec.cn = "site.test";
  spec.sans = {"DNS:site.test", "DNS:www.bank.test", "DNS:blocked.test", "DNS:pinned.test"};
  leaf("origin", spec);
  const int port = free_port();
  auto server = origin_server("origin", port);
  ASSERT_TRUE(port_open(port, 10000)) << server->err();
  write_file(d_ + "/privacy.txt", "# banking and health\n.bank.test\nhealth.test\n");
  const std::string policy =
      "[policy]\ndefault = \"decrypt\"\n"
      "[[policy.rules]]\naction = \"bypass\"\nreason = \"privacy: banking\"\nhost_lists = [\"" +
      d_ +
      "/privacy.txt\"]\n"
      "[[policy.rules]]\naction = \"block\"\nreason = \"forbidden site\"\nhosts = "
      "[\"blocked.test\"]\n";
  // alice's password is "s3cret": the file holds its SHA-256.
  write_file(d_ + "/users", "alice:" + sha256_of("s3cret") + "\n");
  write_file(d_ + "/proxy.toml", "[auth]\nusers_file = \"" + d_ + "/users\"\n" + policy);
  const std::string store = d_ + "/store";
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", "",
              {"--config", d_ + "/proxy.toml", "--record", store});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  // The client trusts the Kagami CA and the origin's root: a bypassed connection shows the
  // origin's own certificate, which only the root vouches for.
  write_file(d_ + "/both.pem", read_file(kagami_ca_) + read_file(d_ + "/root.pem"));
  const std::string p = std::to_string(port);
  auto get = [&](const std::string& host, const std::string& ca, bool auth = true,
                 const std::string& user = "alice:s3cret") {
    std::vector<std::string> args = {
        "--connect-to", host + ":" + p + ":127.0.0.1:" + p, "-o", "/dev/null", "-w",
        "%{http_code}", "https://" + host + ":" + p + "/"};
    if (auth) args.insert(args.begin(), {"--proxy-user", user});
    return curl_via(proxy, ca, args);
  };
  const std::string root = d_ + "/root.pem";
  EXPECT_NE(get("site.test", kagami_ca_, false).exit_code, 0);  // 407 without a user
  EXPECT_NE(get("site.test", kagami_ca_, true, "alice:wrong").exit_code, 0);
  EXPECT_NE(get("site.test", kagami_ca_, true, "bob:b0b").exit_code, 0);  // not a user yet
  auto r = get("site.test", kagami_ca_);
  EXPECT_EQ(r.exit_code, 0) << r.err << proxy.log();  // decrypted: the minted certificate
  EXPECT_EQ(get("site.test", root).exit_code, 60);    // and not the origin's
  r = get("www.bank.test", root);
  EXPECT_EQ(r.exit_code, 0) << r.err << proxy.log();  // bypassed: the origin's certificate
  EXPECT_EQ(get("www.bank.test", kagami_ca_).exit_code, 60);
  EXPECT_NE(get("blocked.test", d_ + "/both.pem").exit_code, 0);
  r = curl_via(proxy, kagami_ca_,
               {"--proxy-user", "alice:s3cret", "https://blocked.test:" + p + "/"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("403"), std::string::npos) << r.err;
  // A pinned client (it trusts only the origin's root) refuses the minted certificate once;
  // then its destination is bypassed and it gets through.
  EXPECT_EQ(get("pinned.test", root).exit_code, 60);
  r = get("pinned.test", root);
  EXPECT_EQ(r.exit_code, 0) << r.err << proxy.log();

  // SIGHUP: site.test joins the privacy list, bob becomes a proxy user.
  write_file(d_ + "/privacy.txt", ".bank.test\nsite.test\n");
  write_file(d_ + "/users", "alice:" + sha256_of("s3cret") + "\nbob:" + sha256_of("b0b") + "\n");
  proxy.signal(SIGHUP);
  ASSERT_TRUE(proxy.wait_for("policy reloaded", 10000)) << proxy.log();
  r = get("site.test", root);
  EXPECT_EQ(r.exit_code, 0) << r.err << proxy.log();
  r = get("site.test", root, true, "bob:b0b");
  EXPECT_EQ(r.exit_code, 0) << r.err << proxy.log();
  ASSERT_EQ(proxy.stop(), 0);
  const std::string log = proxy.log();
  EXPECT_NE(log.find("site.test) user alice: decrypt: default"), std::string::npos) << log;
  EXPECT_NE(log.find("www.bank.test) user alice: bypass: privacy: banking"), std::string::npos);
  EXPECT_NE(log.find("block: forbidden site"), std::string::npos);
  EXPECT_NE(log.find("bypass: auto: the client refused the minted certificate"), std::string::npos);
  EXPECT_NE(log.find("authentication missing"), std::string::npos);
  // The unsalted SHA-256 entries let their users in once and were rewritten as scrypt.
  const std::string users = read_file(d_ + "/users");
  EXPECT_NE(users.find("alice:scrypt$"), std::string::npos) << users;
  EXPECT_NE(users.find("bob:scrypt$"), std::string::npos) << users;
  EXPECT_EQ(users.find(sha256_of("s3cret")), std::string::npos) << users;
  EXPECT_NE(log.find("user alice: its unsalted SHA-256"), std::string::npos) << log;
  server->signal(SIGTERM);
  server->wait(5000);

  // Who: the proxy user. How: decrypted or not, and the policy that said so.
  std::map<std::string, std::string> policy_by_sni;
  for (const auto& t : listing("tls", store))
    policy_by_sni[t["sni"].get<std::string>()] += t["policy"].get<std::string>() + ";";
  EXPECT_NE(policy_by_sni["www.bank.test"].find("bypass: privacy: banking"), std::string::npos);
  EXPECT_NE(policy_by_sni["pinned.test"].find("bypass: auto"), std::string::npos);
  int alice = 0, decrypted = 0;
  for (const auto& s : sessions(store)) {
    if (s["user"] == "alice") ++alice;
    if (s["decrypted"] == true) ++decrypted;
  }
  EXPECT_GE(alice, 5);
  EXPECT_EQ(decrypted, 1);  // site.test before the reload
  // Refused handshakes are sessions too, with the reason.
  std::string alerts;
  for (const auto& t : listing("tls", store)) alerts += t.value("alert", "") + "\n";
  EXPECT_NE(alerts.find("the client refused the minted certificate"), std::string::npos) << alerts;
  EXPECT_NE(alerts.find("block: forbidden site"), std::string::npos) << alerts;
  // A bypassed connection is not decrypted, but what its handshake shows is kept: version,
  // suite, what the client offered and its fingerprints, the server's. (TLS 1.3 encrypts the
  // certificate; the relay cannot read it.) The in-process recorder never stalls the proxy:
  // on a machine too loaded for it to keep up it drops packets (and says so), and then the
  // server's half may be what was dropped.
  std::smatch behind;
  ASSERT_TRUE(std::regex_search(log, behind, std::regex(R"((\d+) dropped \(recorder behind\))")))
      << log;
  const bool recorder_kept_up = behind[1] == "0";
  int bypassed = 0;
  for (const auto& t : listing("tls", store)) {
    if (t["sni"] != "www.bank.test") continue;
    ++bypassed;
    EXPECT_EQ(t["decrypted"], false);
    EXPECT_EQ(t["ja3"].get<std::string>().size(), 32u) << t;
    EXPECT_EQ(t["alpn"], (std::vector<std::string>{"h2", "http/1.1"})) << t;
    if (!recorder_kept_up) continue;
    EXPECT_FALSE(t["version"].get<std::string>().empty()) << t;
    EXPECT_FALSE(t["cipher"].get<std::string>().empty()) << t;
    EXPECT_EQ(t["ja4"].get<std::string>().substr(0, 1), "t") << t;
    EXPECT_EQ(t["ja3s"].get<std::string>().size(), 32u) << t;
    EXPECT_EQ(t["encrypted_certificate"], true) << t;
  }
  EXPECT_EQ(bypassed, 2);  // with the origin's root, and with only Kagami's (refused: 60)
  // The CONNECT refused by policy by its name (403, before any lookup) is a session: the host
  // asked for and the user, refused by the proxy; its server is 0.0.0.0, never resolved.
  int refused = 0;
  for (const auto& s : sessions(store))
    if (s["host"] == "blocked.test" && s["user"] == "alice" && s["server_ip"] == "0.0.0.0" &&
        s["end_reason"] == "proxy_refused")
      ++refused;
  EXPECT_EQ(refused, 1);
}

// Three network namespaces made by the test: a client, a router running the proxy in
// transparent mode (iptables REDIRECT of everything the client sends), and a server. Their
// addresses exist only inside them; everything is removed at the end.
class Namespaces {
 public:
  Namespaces() {
    const std::string tag = std::to_string(::getpid() % 100000);
    client_ = "kgc" + tag;
    router_ = "kgr" + tag;
    server_ = "kgs" + tag;
    const std::vector<std::vector<std::string>> steps = {
        {"ip", "netns", "add", client_},
        {"ip", "netns", "add", router_},
        {"ip", "netns", "add", server_},
        {"ip", "link", "add", "kgc0", "netns", client_, "type", "veth", "peer", "name", "kgr0",
         "netns", router_},
        {"ip", "link", "add", "kgs0", "netns", server_, "type", "veth", "peer", "name", "kgr1",
         "netns", router_},
        in(client_, {"ip", "addr", "add", "10.77.1.2/24", "dev", "kgc0"}),
        in(client_, {"ip", "link", "set", "kgc0", "up"}),
        in(client_, {"ip", "link", "set", "lo", "up"}),
        in(client_, {"ip", "route", "add", "default", "via", "10.77.1.1"}),
        in(router_, {"ip", "addr", "add", "10.77.1.1/24", "dev", "kgr0"}),
        in(router_, {"ip", "addr", "add", "10.77.2.1/24", "dev", "kgr1"}),
        in(router_, {"ip", "link", "set", "kgr0", "up"}),
        in(router_, {"ip", "link", "set", "kgr1", "up"}),
        in(router_, {"ip", "link", "set", "lo", "up"}),
        in(router_, {"sysctl", "-q", "-w", "net.ipv4.ip_forward=1"}),
        in(router_, {"iptables", "-t", "nat", "-A", "PREROUTING", "-i", "kgr0", "-p", "tcp", "-j",
                     "REDIRECT", "--to-ports", "15080"}),
        in(server_, {"ip", "addr", "add", "10.77.2.2/24", "dev", "kgs0"}),
        in(server_, {"ip", "link", "set", "kgs0", "up"}),
        in(server_, {"ip", "link", "set", "lo", "up"}),
        in(server_, {"ip", "route", "add", "default", "via", "10.77.2.1"}),
    };
    for (const auto& step : steps) {
      const CommandResult r = run(step);
      if (r.exit_code != 0) {
        problem_ = step[0] + " " + step[1] + " " + step[2] + ": " + r.err;
        return;
      }
    }
  }
  ~Namespaces() {
    for (const std::string& ns : {client_, router_, server_}) run({"ip", "netns", "del", ns});
  }
  static std::vector<std::string> in(const std::string& ns, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"ip", "netns", "exec", ns});
    return argv;
  }
  // Whether something accepts on ip:port inside `ns` within 10 s: the server is up before any
  // client comes (through a transparent proxy a server not up yet shows as a reset).
  static bool listening(const std::string& ns, const std::string& ip, int port) {
    const std::string probe = "for i in $(seq 200); do (exec 3<>/dev/tcp/" + ip + "/" +
                              std::to_string(port) +
                              ") 2>/dev/null && exit 0; sleep 0.05; done; exit 1";
    return run(in(ns, {"bash", "-c", probe})).exit_code == 0;
  }
  // `kagami proxy --transparent` on the router (port 15080, where its rule redirects), with a
  // pcap mirror in `dir`/mirror and an in-process recorder into `store`.
  std::unique_ptr<Background> transparent_proxy(const std::string& dir,
                                                const std::string& store) const {
    auto p = std::make_unique<Background>(
        in(router_, {KAGAMI_BINARY, "proxy", "--transparent", "0.0.0.0:15080", "--ca", dir + "/ca",
                     "--upstream-ca", dir + "/root.pem", "--mirror", "pcap:" + dir + "/mirror",
                     "--record", store}));
    p->wait_for_stderr("transparent on port 15080", 10000);
    return p;
  }
  const std::string& problem() const { return problem_; }
  std::string client_, router_, server_;

 private:
  std::string problem_;
};

TEST_F(ProxyTest, TransparentModeInterceptsRedirectedTrafficOnAnyPort) {
  if (::geteuid() != 0 || !have_program("ip") || !have_program("iptables"))
    GTEST_SKIP() << "network namespaces need root, ip and iptables";
  Namespaces ns;
  if (!ns.problem().empty()) GTEST_SKIP() << "cannot make network namespaces: " << ns.problem();
  CertSpec spec;
  spec.cn = "site.test";
  spec.sans = {"DNS:site.test", "IP:10.77.2.2"};
  leaf("origin", spec);
  // A TLS server on an unusual port and a plain one, in the server namespace.
  Background tls_server(Namespaces::in(
      ns.server_,
      {"openssl", "s_server", "-quiet", "-www", "-accept", "10.77.2.2:8443", "-cert",
       d_ + "/origin.crt", "-key", d_ + "/origin.key", "-cert_chain", d_ + "/origin.chain"}));
  write_file(d_ + "/hello.txt", "plain through the router\n");
  ASSERT_EQ(run({"chmod", "-R", "a+rX", d_}).exit_code, 0);
  Background plain_server(Namespaces::in(
      ns.server_,
      {"/usr/bin/python3", "-m", "http.server", "--bind", "10.77.2.2", "--directory", d_, "8080"}));
  // Both listening before any client comes: through a transparent proxy, a server that is not
  // up yet shows as a reset (as the server itself would), which curl does not retry.
  for (const int port : {8443, 8080}) ASSERT_TRUE(ns.listening(ns.server_, "10.77.2.2", port));
  const std::string store = d_ + "/store";
  auto proxy_process = ns.transparent_proxy(d_, store);
  Background& proxy = *proxy_process;
  ASSERT_TRUE(proxy.wait_for_stderr("transparent on port 15080", 0)) << proxy.err();
  auto curl = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"curl",    "-sS", "--max-time",          "20",
                                     "--retry", "5",   "--retry-connrefused", "--retry-delay",
                                     "1"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(Namespaces::in(ns.client_, argv));
  };
  // The client knows nothing of the proxy: it trusts the Kagami CA, and the router redirects.
  auto r = curl({"--cacert", kagami_ca_, "--resolve", "site.test:8443:10.77.2.2", "-o", "/dev/null",
                 "-w", "%{http_code}", "https://site.test:8443/"});
  EXPECT_EQ(r.exit_code, 0) << r.err << proxy.err();
  EXPECT_EQ(r.out, "200");
  r = curl({"http://10.77.2.2:8080/hello.txt"});
  EXPECT_EQ(r.exit_code, 0) << r.err << proxy.err();
  EXPECT_EQ(r.out, "plain through the router\n");
  // A redirected connection to the router itself (a service only it should reach) is refused:
  // the original destination is one of the proxy host's own addresses.
  Background router_service(Namespaces::in(
      ns.router_,
      {"/usr/bin/python3", "-m", "http.server", "--bind", "10.77.1.1", "--directory", d_, "8081"}));
  ASSERT_TRUE(ns.listening(ns.router_, "10.77.1.1", 8081));
  r = run(Namespaces::in(ns.client_,
                         {"curl", "-sS", "--max-time", "10", "http://10.77.1.1:8081/hello.txt"}));
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("plain through the router"), std::string::npos);
  router_service.signal(SIGTERM);
  proxy.signal(SIGTERM);
  ASSERT_EQ(proxy.wait(20000), 0) << proxy.err();
  tls_server.signal(SIGTERM);
  plain_server.signal(SIGTERM);
  EXPECT_NE(proxy.err().find("destination refused: this host's address 10.77.1.1"),
            std::string::npos)
      << proxy.err();
  EXPECT_NE(proxy.err().find("decrypted 1"), std::string::npos) << proxy.err();
  EXPECT_NE(proxy.err().find("relayed plain 1"), std::string::npos) << proxy.err();
  // Recorded with the original addresses: the client's, and the server's it asked for.
  std::set<std::string> seen;
  for (const auto& h : listing("http", store))
    seen.insert(h["client_ip"].get<std::string>() + " " + h["server_ip"].get<std::string>() + ":" +
                std::to_string(h["server_port"].get<int>()) + " " + h["uri"].get<std::string>());
  EXPECT_TRUE(seen.count("10.77.1.2 10.77.2.2:8443 /")) << ::testing::PrintToString(seen);
  EXPECT_TRUE(seen.count("10.77.1.2 10.77.2.2:8080 /hello.txt")) << ::testing::PrintToString(seen);
}

std::size_t open_fds(int pid) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
    ++n;
  return n;
}

long rss_kib(int pid) {
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  const std::size_t at = status.find("VmRSS:");
  return at == std::string::npos ? -1 : std::stol(status.substr(at + 6));
}

// 500 connections at once and 20,000 one after another through the proxy: every one answered,
// and afterwards no descriptor and no memory left behind.
TEST_F(ProxyTest, ManyConnectionsLeaveNoDescriptorOrMemoryBehind) {
  if (!have_program("nginx")) GTEST_SKIP() << "nginx missing";
  CertSpec site;
  site.cn = "site.test";
  site.sans = {"DNS:site.test"};
  leaf("site", site);
  const int port = free_port();
  write_file(d_ + "/nginx.conf",
             "daemon off;\npid " + d_ + "/nginx.pid;\nerror_log " + d_ +
                 "/error.log;\nworker_processes 1;\nworker_rlimit_nofile 4096;\n"
                 "events { worker_connections 2048; }\nhttp {\n  access_log off;\n"
                 "  client_body_temp_path " +
                 d_ + "/body;\n  proxy_temp_path " + d_ + "/proxy;\n  fastcgi_temp_path " + d_ +
                 "/fcgi;\n  uwsgi_temp_path " + d_ + "/uwsgi;\n  scgi_temp_path " + d_ +
                 "/scgi;\n  server {\n    listen 127.0.0.1:" + std::to_string(port) +
                 " ssl backlog=4096;\n    ssl_certificate " + d_ +
                 "/site.pem;\n    ssl_certificate_key " + d_ +
                 "/site.key;\n    location / { return 200 \"ok\\n\"; }\n  }\n}\n");
  ASSERT_EQ(run({"chmod", "-R", "a+rX", d_}).exit_code, 0);
  Background nginx({"nginx", "-p", d_, "-c", d_ + "/nginx.conf"});
  ASSERT_TRUE(port_open(port, 10000)) << read_file(d_ + "/error.log");
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", d_ + "/mirror", {"-q"});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  const std::string p = std::to_string(port);
  auto batch = [&](int first, int last, int parallel) {
    std::vector<std::string> args = {
        "--connect-to",
        "site.test:" + p + ":127.0.0.1:" + p,
        "-H",
        "Connection: close",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}\n",
        "https://site.test:" + p + "/[" + std::to_string(first) + "-" + std::to_string(last) + "]"};
    if (parallel > 1) {
      args.insert(args.begin(), {"-Z", "--parallel-max", std::to_string(parallel)});
    }
    std::vector<std::string> argv = {"curl",    "-sS",       "--max-time", "120",
                                     "--proxy", proxy.url(), "--cacert",   kagami_ca_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  };
  auto count_ok = [](const std::string& out) {
    std::size_t n = 0;
    for (std::size_t at = out.find("200"); at != std::string::npos; at = out.find("200", at + 3))
      ++n;
    return n;
  };
  auto r = batch(1, 200, 1);  // warm up: the certificate minted, buffers and caches grown
  ASSERT_EQ(count_ok(r.out), 200u) << r.err;
  usleep(300000);
  const std::size_t fds_before = open_fds(proxy.pid());
  r = batch(1, 500, 500);
  EXPECT_EQ(count_ok(r.out), 500u) << r.err;
  usleep(300000);
  EXPECT_EQ(open_fds(proxy.pid()), fds_before);
  // The allocator keeps what 500 connections at once needed; from here on, memory must not
  // grow with the number of connections.
  const long rss_before = rss_kib(proxy.pid());
  r = batch(1, 20000, 1);
  EXPECT_EQ(count_ok(r.out), 20000u) << r.err.substr(0, 2000);
  usleep(500000);  // the last connections' ends reach the proxy
  EXPECT_EQ(open_fds(proxy.pid()), fds_before);
  const long rss_after = rss_kib(proxy.pid());
  EXPECT_LT(rss_after - rss_before, 4 * 1024) << rss_before << " KiB -> " << rss_after << " KiB";
  ASSERT_EQ(proxy.stop(), 0);
  const std::string log = proxy.log();
  EXPECT_NE(log.find("decrypted 20700"), std::string::npos) << log;
  EXPECT_NE(log.find("dropped 0"), std::string::npos) << log;
  nginx.signal(SIGTERM);
  nginx.wait(10000);
}

// A raw client: sends `bytes` (slowly, `gap_ms` between bytes, if asked), then reads until the
// proxy closes or `timeout_ms` passes. Returns what it read and how long the proxy took.
struct RawExchange {
  std::string reply;
  int ms = 0;
  bool closed = false;
};

RawExchange raw_exchange(int port, const std::string& bytes, int gap_ms, int timeout_ms) {
  RawExchange out;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - start)
                                .count());
  };
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return out;
  }
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t n = gap_ms > 0 ? 1 : bytes.size() - i;
    if (::send(fd, bytes.data() + i, n, MSG_NOSIGNAL) <= 0) break;
    i += n;
    if (gap_ms > 0) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, gap_ms) > 0) break;  // the proxy answered or closed: stop sending
    }
  }
  char buf[4096];
  while (elapsed() < timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      out.closed = true;
      break;
    }
    out.reply.append(buf, static_cast<std::size_t>(n));
  }
  out.ms = elapsed();
  ::close(fd);
  return out;
}

// Garbage, silence, slowness, oversized heads and upstreams that reset: each costs bounded
// time, gets a logged reason, and the next client is served as if nothing happened.
TEST_F(ProxyTest, BadClientsAndUpstreamsAreBoundedAndHarmless) {
  CertSpec site;
  site.cn = "site.test";
  site.sans = {"DNS:site.test"};
  leaf("site", site);
  const int port = free_port();
  auto server = origin_server("site", port);
  ASSERT_TRUE(port_open(port, 10000)) << server->err();
  // An upstream that accepts, reads the ClientHello and resets.
  const int reset_port = free_port();
  Background resetter(
      {"/usr/bin/python3", "-c",
       "import socket,struct\n"
       "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
       "s.bind(('127.0.0.1'," +
           std::to_string(reset_port) +
           ")); s.listen(16)\n"
           "while True:\n"
           "  c,_=s.accept(); c.recv(4096)\n"
           "  c.setsockopt(socket.SOL_SOCKET,socket.SO_LINGER,struct.pack('ii',1,0))\n"
           "  c.close()\n"});
  ASSERT_TRUE(port_open(reset_port, 10000)) << resetter.err();
  write_file(d_ + "/proxy.toml", "[proxy]\nhandshake_timeout_s = 2\nmax_head_kb = 16\n");
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", "", {"--config", d_ + "/proxy.toml"});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  const std::string p = std::to_string(port);
  const std::string connect = "CONNECT 127.0.0.1:" + p + " HTTP/1.1\r\nHost: x\r\n\r\n";

  auto garbage =
      raw_exchange(proxy.port(), std::string("\x01\x02\x03\x04garbage\r\n\r\n", 15), 0, 5000);
  EXPECT_TRUE(garbage.closed);
  EXPECT_EQ(garbage.reply.substr(0, 12), "HTTP/1.1 400");
  auto bad_hello = raw_exchange(
      proxy.port(), connect + std::string("\x16\x03\x01\x00\x05\x02\x00\x00\x01\x00", 10), 0, 5000);
  EXPECT_TRUE(bad_hello.closed);
  EXPECT_LT(bad_hello.ms, 1500);
  auto huge = raw_exchange(
      proxy.port(), "CONNECT 127.0.0.1:" + p + " HTTP/1.1\r\nX: " + std::string(64 << 10, 'a'), 0,
      5000);
  EXPECT_TRUE(huge.closed);
  EXPECT_EQ(huge.reply.substr(0, 12), "HTTP/1.1 400");
  auto silent = raw_exchange(proxy.port(), "", 0, 8000);
  EXPECT_TRUE(silent.closed);
  EXPECT_GE(silent.ms, 1500);
  EXPECT_LT(silent.ms, 5000);
  auto half_hello = raw_exchange(proxy.port(), connect + "\x16\x03\x01\x02\x00", 0, 8000);
  EXPECT_TRUE(half_hello.closed);
  EXPECT_LT(half_hello.ms, 5000);
  auto slow =
      raw_exchange(proxy.port(), "CONNECT 127.0.0.1:" + p + " HTTP/1.1\r\nX: slow\r\n", 300, 8000);
  EXPECT_TRUE(slow.closed);
  EXPECT_LT(slow.ms, 5000);
  // The upstream resets in the middle of the handshake: the client is told, promptly.
  const std::string rp = std::to_string(reset_port);
  auto reset = curl_via(
      proxy, kagami_ca_,
      {"--connect-to", "site.test:" + rp + ":127.0.0.1:" + rp, "https://site.test:" + rp + "/"});
  EXPECT_NE(reset.exit_code, 0);
  // And a well-behaved client still gets through.
  auto ok = curl_via(proxy, kagami_ca_,
                     {"--connect-to", "site.test:" + p + ":127.0.0.1:" + p, "-o", "/dev/null", "-w",
                      "%{http_code}", "https://site.test:" + p + "/"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "200");
  ASSERT_EQ(proxy.stop(), 0);
  const std::string log = proxy.log();
  EXPECT_NE(log.find("bad request: not an HTTP request"), std::string::npos) << log;
  EXPECT_NE(log.find("malformed ClientHello"), std::string::npos) << log;
  EXPECT_NE(log.find("timed out before the relay began"), std::string::npos) << log;
  EXPECT_NE(log.find("upstream TLS handshake failed"), std::string::npos) << log;
  EXPECT_NE(log.find("active 0"), std::string::npos) << log;
  server->signal(SIGTERM);
  resetter.signal(SIGTERM);
}

// The mirror as a pcap-over-IP stream: a client connected before the traffic reads a pcap
// that tshark opens, holding the decrypted request.
TEST_F(ProxyTest, PcapOverIpStreamsTheMirror) {
  if (!have_program("tshark")) GTEST_SKIP() << "tshark missing";
  CertSpec site;
  site.cn = "site.test";
  site.sans = {"DNS:site.test"};
  leaf("site", site);
  const int port = free_port();
  auto server = origin_server("site", port);
  ASSERT_TRUE(port_open(port, 10000)) << server->err();
  const int stream_port = free_port();
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", "",
              {"--mirror", "pcap-over-ip:127.0.0.1:" + std::to_string(stream_port),
               "--mirror-receiver", "127.0.0.1"});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  // The reader: everything the stream sends until the proxy closes it.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(stream_port));
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  std::string stream;
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
      stream.append(buf, static_cast<std::size_t>(n));
  });
  // The mirror thread has taken the reader before anything is sent (under load it may lag).
  ASSERT_TRUE(proxy.wait_for("pcap-over-ip: receiver", 10000)) << proxy.log();
  const std::string p = std::to_string(port);
  auto r = curl_via(proxy, kagami_ca_,
                    {"--connect-to", "site.test:" + p + ":127.0.0.1:" + p, "-o", "/dev/null",
                     "https://site.test:" + p + "/streamed-request"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(proxy.stop(), 0);
  reader.join();
  ::close(fd);
  server->signal(SIGTERM);
  write_file(d_ + "/stream.pcap", stream);
  r = run({"tshark", "-r", d_ + "/stream.pcap", "-Y", "http.request", "-T", "fields", "-e",
           "http.request.uri"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "/streamed-request\n");
}

// What a Prometheus scrape of http://127.0.0.1:PORT/metrics says `name` is (-1: absent).
long long scraped(const std::string& log, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(log, m, std::regex("metrics on port ([0-9]+)"))) return -2;
  auto r = run({"curl", "-sf", "http://127.0.0.1:" + m[1].str() + "/metrics"});
  if (!std::regex_search(r.out, m, std::regex("\n" + name + " ([0-9]+)\n"))) return -1;
  return std::stoll(m[1]);
}

// The proxy's pcap-over-IP mirror read by a recorder elsewhere (`kagami record --pcap-over-ip`):
// the decrypted request is an HTTP record there; when the proxy stops, the recorder says its
// sender went away and keeps trying until it is stopped. Both say how it goes to Prometheus.
TEST_F(ProxyTest, ARecorderReadsThePcapOverIpMirror) {
  CertSpec site;
  site.cn = "site.test";
  site.sans = {"DNS:site.test"};
  leaf("site", site);
  const int port = free_port();
  auto server = origin_server("site", port);
  ASSERT_TRUE(port_open(port, 10000)) << server->err();
  const int stream_port = free_port();
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", "",
              {"--mirror", "pcap-over-ip:127.0.0.1:" + std::to_string(stream_port),
               "--mirror-receiver", "127.0.0.1", "--metrics", "127.0.0.1:0"});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  const std::string store = d_ + "/remote-store";
  Background rec({KAGAMI_BINARY, "record", "--pcap-over-ip",
                  "127.0.0.1:" + std::to_string(stream_port), "--store", store, "--metrics",
                  "127.0.0.1:0"});
  ASSERT_TRUE(rec.wait_for_stderr(": connected", 10000)) << rec.err();
  ASSERT_TRUE(proxy.wait_for("pcap-over-ip: receiver", 10000)) << proxy.log();
  const std::string p = std::to_string(port);
  auto r = curl_via(proxy, kagami_ca_,
                    {"--connect-to", "site.test:" + p + ":127.0.0.1:" + p, "-o", "/dev/null",
                     "https://site.test:" + p + "/to-the-remote-recorder"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(scraped(proxy.log(), "kagami_proxy_decrypted_total"), 1) << proxy.log();
  // The recorder's counters are taken about once a second.
  long long packets = 0;
  for (int i = 0; i < 50 && packets <= 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    packets = scraped(rec.err(), "kagami_capture_packets_total");
  }
  EXPECT_GT(packets, 0) << rec.err();
  EXPECT_EQ(scraped(rec.err(), "kagami_source_streams_total"), 1);
  ASSERT_EQ(proxy.stop(), 0);
  EXPECT_TRUE(rec.wait_for_stderr("went away", 10000)) << rec.err();
  rec.signal(SIGINT);
  ASSERT_EQ(rec.wait(30000), 0) << rec.err();
  server->signal(SIGTERM);
  std::set<std::string> uris;
  for (const auto& h : listing("http", store)) uris.insert(h["uri"].get<std::string>());
  EXPECT_TRUE(uris.count("/to-the-remote-recorder")) << ::testing::PrintToString(uris);
}

// gRPC's unary and bidirectional streaming calls, server and client in one Python process
// (python3-grpcio, no generated code: the methods take and give raw bytes). The client goes
// through the proxy and trusts only the Kagami CA.
constexpr const char* kGrpcScript = R"(
import sys, grpc
from concurrent import futures
d, port, proxy_port, ca = sys.argv[1:5]
def echo(req, ctx): return b"echo:" + req
def chat(requests, ctx):
    for m in requests: yield b"re:" + m
server = grpc.server(futures.ThreadPoolExecutor(4))
server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("kagami.Test", {
    "Echo": grpc.unary_unary_rpc_method_handler(echo),
    "Chat": grpc.stream_stream_rpc_method_handler(chat)}),))
server.add_secure_port("127.0.0.1:" + port, grpc.ssl_server_credentials(
    [(open(d + "/site.key", "rb").read(), open(d + "/site.pem", "rb").read())]))
server.start()
channel = grpc.secure_channel("127.0.0.1:" + port,
    grpc.ssl_channel_credentials(open(ca, "rb").read()),
    options=[("grpc.http_proxy", "http://127.0.0.1:" + proxy_port),
             ("grpc.ssl_target_name_override", "site.test")])
print(channel.unary_unary("/kagami.Test/Echo")(b"hello", timeout=20).decode())
chat = channel.stream_stream("/kagami.Test/Chat")(iter([b"a", b"b", b"c"]), timeout=20)
print(",".join(r.decode() for r in chat))
channel.close()
server.stop(0)
)";

// An h2-only server (nghttpd) and gRPC through the proxy: the server is offered what the
// client offered, the client gets the server's choice, and both legs speak h2. The mirror and
// the in-process recorder get the decrypted h2 as it was sent.
TEST_F(ProxyTest, Http2AndGrpcWorkThroughTheProxy) {
  if (!have_program("nghttpd") || !have_program("tshark") ||
      run({"/usr/bin/python3", "-c", "import grpc"}).exit_code != 0)
    GTEST_SKIP() << "nghttpd, tshark or python3-grpcio missing";
  CertSpec site{"site.test", {"DNS:site.test"}};
  leaf("site", site);
  std::filesystem::create_directories(d_ + "/h2");
  const std::string bulk = pattern(8u << 20, 5);
  write_file(d_ + "/h2/bulk.bin", bulk);
  write_file(d_ + "/h2/hello.txt", "spoken over h2 only\n");
  const int port = free_port();
  const std::string p = std::to_string(port);
  Background nghttpd(
      {"nghttpd", "-a", "127.0.0.1", "-d", d_ + "/h2", p, d_ + "/site.key", d_ + "/site.pem"});
  ASSERT_TRUE(port_open(port, 10000)) << nghttpd.err();
  const std::string store = d_ + "/store";
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", d_ + "/mirror", {"--record", store});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  const std::string to = "site.test:" + p + ":127.0.0.1:" + p;
  auto r = curl_via(proxy, kagami_ca_,
                    {"--http2", "-w", "%{http_version}", "--connect-to", to,
                     "https://site.test:" + p + "/hello.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err << proxy.log();
  EXPECT_EQ(r.out, "spoken over h2 only\n2");
  r = curl_via(proxy, kagami_ca_,
               {"--http2", "--connect-to", to, "-o", d_ + "/got.bin",
                "https://site.test:" + p + "/bulk.bin"});
  ASSERT_EQ(r.exit_code, 0) << r.err << proxy.log();
  EXPECT_EQ(sha256_of_file(d_ + "/got.bin"), sha256_of(bulk));
  // A client that offers only HTTP/1.1 to an h2-only server: the server refuses the
  // handshake (nghttpd has nothing else to speak), and the client is told so, not hung up on.
  r = curl_via(proxy, kagami_ca_,
               {"--http1.1", "--connect-to", to, "https://site.test:" + p + "/hello.txt"});
  EXPECT_NE(r.exit_code, 0) << r.out;

  // gRPC: a unary call and a bidirectional stream, with trailers, through the proxy.
  const int grpc_port = free_port();
  write_file(d_ + "/grpc_echo.py", kGrpcScript);
  r = run({"timeout", "60", "/usr/bin/python3", d_ + "/grpc_echo.py", d_, std::to_string(grpc_port),
           std::to_string(proxy.port()), kagami_ca_});
  ASSERT_EQ(r.exit_code, 0) << r.err << proxy.log();
  EXPECT_EQ(r.out, "echo:hello\nre:a,re:b,re:c\n");
  ASSERT_EQ(proxy.stop(), 0);
  nghttpd.signal(SIGTERM);
  nghttpd.wait(10000);

  // The in-process recorder: every stream an HTTP/2 record; the client's ClientHello details
  // (what it offered, its JA3/JA4) beside the server leg's.
  std::set<std::string> got;
  for (const auto& h : listing("http", store)) {
    if (h["version"] != "HTTP/2") continue;
    got.insert(h["host"].get<std::string>() + h["uri"].get<std::string>() + " " +
               std::to_string(h["status"].get<int>()));
    if (h["uri"] == "/kagami.Test/Chat") {
      const auto flags = h["flags"].get<std::vector<std::string>>();
      EXPECT_NE(std::find(flags.begin(), flags.end(), "trailers"), flags.end());
    }
  }
  EXPECT_TRUE(got.count("site.test:" + p + "/hello.txt 200")) << ::testing::PrintToString(got);
  EXPECT_TRUE(got.count("site.test:" + p + "/bulk.bin 200"));
  EXPECT_TRUE(got.count("site.test/kagami.Test/Echo 200") ||
              got.count("site.test:" + std::to_string(grpc_port) + "/kagami.Test/Echo 200"))
      << ::testing::PrintToString(got);
  auto files = kagami({"files", "--store", store, "--sha256", sha256_of(bulk), "--json"});
  EXPECT_NE(files.out.find("bulk.bin"), std::string::npos) << files.out;
  int h2_sessions = 0;
  for (const auto& t : listing("tls", store)) {
    // gRPC's own ALPN token ("grpc-exp") is h2 as well.
    if (t["decrypted"] != true || (t["alpn_selected"] != "h2" && t["alpn_selected"] != "grpc-exp"))
      continue;
    ++h2_sessions;
    const auto offered = t["alpn"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(offered.begin(), offered.end(), "h2"), offered.end()) << t;
    EXPECT_EQ(t["ja3"].get<std::string>().size(), 32u);
    EXPECT_EQ(t["ja4"].get<std::string>().substr(0, 1), "t");
  }
  EXPECT_EQ(h2_sessions, 3);

  // tshark reads the mirror's h2 as HTTP/2, given the port.
  std::vector<std::string> pcaps;
  for (const auto& e : std::filesystem::directory_iterator(d_ + "/mirror"))
    pcaps.push_back(e.path().string());
  ASSERT_EQ(pcaps.size(), 1u);
  r = run({"tshark", "-r", pcaps[0], "-d", "tcp.port==" + p + ",http2", "-Y", "http2.headers.path",
           "-T", "fields", "-e", "http2.headers.path"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("/hello.txt"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/bulk.bin"), std::string::npos) << r.out;
}

// nginx over h2 and HTTP/1.1 advertising HTTP/3: the proxy removes the advertisement by
// default, so browsers stay on TCP where they are inspected, and keeps it when told to.
TEST_F(ProxyTest, AltSvcH3IsStrippedFromDecryptedResponsesUnlessKept) {
  if (!have_program("nginx") || !have_program("tshark")) GTEST_SKIP() << "nginx or tshark missing";
  CertSpec site{"site.test", {"DNS:site.test"}};
  leaf("site", site);
  std::filesystem::create_directories(d_ + "/www");
  const std::string bulk = pattern(4u << 20, 9);
  write_file(d_ + "/www/bulk.bin", bulk);
  write_file(d_ + "/www/page.txt", "a page\n");
  const int port = free_port();
  const std::string p = std::to_string(port);
  // A head of 24 KB: the proxy edits it and sends it on in more than one TLS record.
  std::string big_fields;
  for (int i = 0; i < 6; ++i)
    big_fields += "    add_header X-Big-" + std::to_string(i) + " '" + std::string(4000, 'a' + i) +
                  "' always;\n";
  const std::string conf =
      nginx_preamble(d_) + "  large_client_header_buffers 4 32k;\n" +
      "  server {\n    listen 127.0.0.1:" + p + " ssl http2;\n    server_name site.test;\n" +
      "    ssl_certificate " + d_ + "/site.pem;\n    ssl_certificate_key " + d_ + "/site.key;\n" +
      "    add_header Alt-Svc 'h3=\":" + p + "\"; ma=86400, h2=\":" + p + "\"' always;\n" +
      "    add_header X-Kept 'yes' always;\n" + big_fields + "    root " + d_ + "/www;\n  }\n}\n";
  write_file(d_ + "/nginx.conf", conf);
  ASSERT_EQ(run({"chmod", "-R", "a+rX", d_}).exit_code, 0);  // nginx's workers read as nobody
  Background nginx({"nginx", "-p", d_, "-c", d_ + "/nginx.conf"});
  ASSERT_TRUE(port_open(port, 10000)) << nginx.err();
  const std::string to = "site.test:" + p + ":127.0.0.1:" + p;
  const std::string url = "https://site.test:" + p;

  auto headers_via = [&](Proxy& proxy, const std::string& version) {
    return curl_via(proxy, kagami_ca_,
                    {version, "-D", "-", "-o", "/dev/null", "--connect-to", to, url + "/page.txt"});
  };
  const std::string store = d_ + "/store";
  {
    Proxy proxy(d_ + "/ca", d_ + "/root.pem", d_ + "/mirror", {"--record", store});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    for (const std::string version : {"--http2", "--http1.1"}) {
      auto r = headers_via(proxy, version);
      ASSERT_EQ(r.exit_code, 0) << r.err << proxy.log();
      const std::string lower = ascii_lowered(r.out);
      EXPECT_NE(lower.find(" 200"), std::string::npos) << version << r.out;
      EXPECT_NE(lower.find("x-kept: yes"), std::string::npos) << version << r.out;
      EXPECT_NE(lower.find("x-big-5: " + std::string(4000, 'f')), std::string::npos) << version;
      // The h2 alternative stays; the h3 one is gone.
      EXPECT_NE(lower.find("alt-svc: h2=\":" + p + "\""), std::string::npos) << version << r.out;
      EXPECT_EQ(lower.find("h3="), std::string::npos) << version << r.out;
    }
    // Many responses on one h2 connection: the client's HPACK table stays right throughout,
    // and bodies pass byte for byte.
    std::vector<std::string> args = {"--http2", "--connect-to",  to,
                                     "-o",      d_ + "/got.bin", url + "/bulk.bin"};
    for (int i = 0; i < 20; ++i) {
      args.push_back("-o");
      args.push_back("/dev/null");
      args.push_back(url + "/page.txt");
    }
    auto r = curl_via(proxy, kagami_ca_, args);
    ASSERT_EQ(r.exit_code, 0) << r.err << proxy.log();
    EXPECT_EQ(sha256_of_file(d_ + "/got.bin"), sha256_of(bulk));
    ASSERT_EQ(proxy.stop(), 0);
    EXPECT_NE(proxy.log().find("Alt-Svc h3 stripped 23"), std::string::npos) << proxy.log();
  }
  // The recorder reads the client leg, re-encoded header blocks and all: every response.
  int pages = 0;
  for (const auto& h : listing("http", store)) {
    if (h["uri"] != "/page.txt") continue;
    ++pages;
  }
  EXPECT_EQ(pages, 22);
  {
    write_file(d_ + "/proxy.toml", "[quic]\nalt_svc = \"keep\"\n");
    Proxy proxy(d_ + "/ca", d_ + "/root.pem", "", {"--config", d_ + "/proxy.toml"});
    ASSERT_TRUE(proxy.started()) << proxy.log();
    auto r = headers_via(proxy, "--http2");
    ASSERT_EQ(r.exit_code, 0) << r.err << proxy.log();
    EXPECT_NE(ascii_lowered(r.out).find("alt-svc: h3=\":" + p + "\"; ma=86400"), std::string::npos)
        << r.out;
    ASSERT_EQ(proxy.stop(), 0);
  }
  write_file(d_ + "/bad.toml", "[quic]\nalt_svc = \"sometimes\"\n");
  auto bad = kagami({"proxy", "--listen", "127.0.0.1:" + std::to_string(free_port()), "--ca",
                     d_ + "/ca", "--config", d_ + "/bad.toml"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("quic.alt_svc"), std::string::npos) << bad.err;
  nginx.signal(SIGTERM);
  nginx.wait(10000);
}

// An HTTP/2 client that offers nothing else (hyper-h2, as gRPC stacks and h2-only libraries
// do), through the proxy's CONNECT: many requests at once, uploads with and without a length,
// and retries of the streams a server refused, on new connections, as RFC 9113 8.7 allows.
// Prints one JSON object: what each request got, and how many connections it took.
constexpr const char* kH2OnlyClient = R"(
import hashlib, json, socket, ssl, sys
import h2.config, h2.connection, h2.events, h2.errors
proxy_port, target, name, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
reqs = json.loads(sys.argv[5])
for r in reqs:
    r["body"] = bytes((i * 7 + len(r["path"])) % 251 for i in range(r.get("upload", 0)))
def connect():
    s = socket.create_connection(("127.0.0.1", proxy_port), timeout=20)
    s.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert b" 200 " in head.split(b"\r\n")[0], head
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["h2"])
    t = ctx.wrap_socket(s, server_hostname=name)
    assert t.selected_alpn_protocol() == "h2", t.selected_alpn_protocol()
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    c.initiate_connection()
    c.increment_flow_control_window(16 << 20)
    t.sendall(c.data_to_send())
    return t, c
def send(t, c):
    try:
        t.sendall(c.data_to_send())
        return True
    except (ssl.SSLError, OSError):
        return False
results, todo, connections = {}, list(range(len(reqs))), 0
while todo:
    t, c = connect()
    connections += 1
    streams, sending = {}, {}
    for i in todo:
        r = reqs[i]
        sid = c.get_next_available_stream_id()
        hdrs = [(":method", r["method"]), (":scheme", "https"), (":authority", name),
                (":path", r["path"]), ("user-agent", "h2-only-test")]
        if r["body"] and r.get("length"):
            hdrs.append(("content-length", str(len(r["body"]))))
        c.send_headers(sid, hdrs, end_stream=not r["body"])
        streams[sid] = {"i": i, "status": 0, "headers": {}, "body": b"", "done": False}
        if r["body"]:
            sending[sid] = memoryview(r["body"])
    retry = []
    alive = True
    while alive and not all(v["done"] for v in streams.values()):
        for sid in list(sending):
            if streams[sid]["done"]:
                del sending[sid]
                continue
            room = min(c.local_flow_control_window(sid), c.max_outbound_frame_size)
            while room > 0 and sending[sid]:
                chunk, sending[sid] = sending[sid][:room], sending[sid][room:]
                c.send_data(sid, bytes(chunk), end_stream=not sending[sid])
                room = min(c.local_flow_control_window(sid), c.max_outbound_frame_size)
            if not sending[sid]:
                del sending[sid]
        # A server that has said GOAWAY may close before the last acknowledgements get out:
        # the connection has ended, and what did not finish is asked again on a new one.
        if not send(t, c):
            break
        try:
            data = t.recv(65536)
        except (ssl.SSLError, OSError):
            data = b""
        if not data:
            break
        for e in c.receive_data(data):
            if isinstance(e, h2.events.ResponseReceived):
                h = {k.decode(): v.decode() for k, v in e.headers}
                streams[e.stream_id]["status"] = int(h[":status"])
                streams[e.stream_id]["headers"] = h
            elif isinstance(e, h2.events.DataReceived):
                streams[e.stream_id]["body"] += e.data
                c.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
            elif isinstance(e, h2.events.StreamEnded):
                streams[e.stream_id]["done"] = True
            elif isinstance(e, h2.events.StreamReset):
                streams[e.stream_id]["done"] = True
                if e.error_code == h2.errors.ErrorCodes.REFUSED_STREAM:
                    retry.append(streams[e.stream_id]["i"])
                else:
                    streams[e.stream_id]["reset"] = int(e.error_code)
            elif isinstance(e, h2.events.ConnectionTerminated):
                for sid, v in streams.items():
                    if sid > e.last_stream_id and not v["done"]:
                        v["done"] = True
                        retry.append(v["i"])
        if not send(t, c):
            break
    for sid, v in streams.items():
        if v["i"] in retry:
            continue
        results[v["i"]] = {"status": v["status"], "length": len(v["body"]),
                           "sha256": hashlib.sha256(v["body"]).hexdigest(),
                           "alt_svc": v["headers"].get("alt-svc", ""),
                           "kept": v["headers"].get("x-kept", ""), "reset": v.get("reset", 0)}
    todo = sorted(set(retry) | {v["i"] for v in streams.values() if not v["done"]})
    t.close()
print(json.dumps({"connections": connections, "results": [results[i] for i in range(len(reqs))]}))
)";

// A client that speaks only HTTP/2 and a server that speaks only HTTP/1.1 (nginx without
// http2): the proxy bridges them. Requests are served one after another on the server's
// connection, uploads arrive whole, the server's "Connection: close" sends the client to a new
// connection for the rest, and the recorder holds the client's HTTP/2 leg.
TEST_F(ProxyTest, AnHttp2OnlyClientIsBridgedToAnHttp1Server) {
  if (!have_program("nginx")) GTEST_SKIP() << "nginx missing";
  if (run({"/usr/bin/python3", "-c", "import h2"}).exit_code != 0)
    GTEST_SKIP() << "python3-h2 missing";
  CertSpec site{"site.test", {"DNS:site.test"}};
  leaf("site", site);
  std::filesystem::create_directories(d_ + "/www/up");
  const std::string bulk = pattern(4u << 20, 5);
  write_file(d_ + "/www/bulk.bin", bulk);
  write_file(d_ + "/www/page.txt", "a page\n");
  const int port = free_port();
  const std::string p = std::to_string(port);
  // keepalive_requests: nginx says "Connection: close" on every fifth response.
  const std::string conf =
      nginx_preamble(d_) + "  keepalive_requests 5;\n  client_max_body_size 16m;\n" +
      "  server {\n    listen 127.0.0.1:" + p + " ssl;\n    server_name site.test;\n" +
      "    ssl_certificate " + d_ + "/site.pem;\n    ssl_certificate_key " + d_ + "/site.key;\n" +
      "    add_header Alt-Svc 'h3=\":" + p + "\"; ma=86400' always;\n" +
      "    add_header X-Kept 'yes' always;\n    root " + d_ + "/www;\n" +
      "    location /up/ { dav_methods PUT; }\n  }\n}\n";
  write_file(d_ + "/nginx.conf", conf);
  // nginx's workers run as nobody: they read the site and write the uploads.
  ASSERT_EQ(run({"chmod", "-R", "a+rX", d_}).exit_code, 0);
  ASSERT_EQ(run({"chmod", "a+rwx", d_ + "/www/up"}).exit_code, 0);
  Background nginx({"nginx", "-p", d_, "-c", d_ + "/nginx.conf"});
  ASSERT_TRUE(port_open(port, 10000)) << nginx.err();
  nlohmann::json reqs = nlohmann::json::array();
  for (int i = 0; i < 8; ++i) reqs.push_back({{"method", "GET"}, {"path", "/page.txt"}});
  reqs.push_back({{"method", "GET"}, {"path", "/bulk.bin"}});
  reqs.push_back({{"method", "HEAD"}, {"path", "/page.txt"}});
  reqs.push_back({{"method", "GET"}, {"path", "/missing"}});
  reqs.push_back({{"method", "PUT"}, {"path", "/up/chunked.bin"}, {"upload", 300000}});
  reqs.push_back(
      {{"method", "PUT"}, {"path", "/up/known.bin"}, {"upload", 100000}, {"length", true}});
  write_file(d_ + "/client.py", kH2OnlyClient);
  const std::string store = d_ + "/store";
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", d_ + "/mirror", {"--record", store});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  const auto r = run({"/usr/bin/python3", d_ + "/client.py", std::to_string(proxy.port()),
                      "127.0.0.1:" + p, "site.test", kagami_ca_, reqs.dump()});
  ASSERT_EQ(r.exit_code, 0) << r.err << proxy.log();
  const auto got = nlohmann::json::parse(r.out);
  const auto& res = got["results"];
  ASSERT_EQ(res.size(), reqs.size()) << got;
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(res[i]["status"], 200) << res[i];
    EXPECT_EQ(res[i]["sha256"], sha256_of("a page\n")) << res[i];
  }
  EXPECT_EQ(res[8]["status"], 200);
  EXPECT_EQ(res[8]["sha256"], sha256_of(bulk));
  EXPECT_EQ(res[9]["status"], 200);
  EXPECT_EQ(res[9]["length"], 0);
  EXPECT_EQ(res[10]["status"], 404);
  EXPECT_EQ(res[11]["status"], 201);
  EXPECT_EQ(res[12]["status"], 201);
  for (const auto& one : res) {
    EXPECT_EQ(one["alt_svc"], "") << one;  // the h3 advertisement is gone
    EXPECT_EQ(one["kept"], "yes") << one;
    EXPECT_EQ(one["reset"], 0) << one;
  }
  // What the server stored is what the client uploaded (the same bytes as the script makes).
  auto upload = [](const std::string& path, std::size_t n) {
    std::string b(n, '\0');
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<char>((i * 7 + path.size()) % 251);
    return b;
  };
  EXPECT_EQ(read_file(d_ + "/www/up/chunked.bin"), upload("/up/chunked.bin", 300000));
  EXPECT_EQ(read_file(d_ + "/www/up/known.bin"), upload("/up/known.bin", 100000));
  // 13 requests, 5 per server connection: the client went to at least three connections.
  const int connections = got["connections"];
  EXPECT_GE(connections, 3) << got;
  ASSERT_EQ(proxy.stop(), 0);
  EXPECT_NE(proxy.log().find("h2 bridged to HTTP/1.1 " + std::to_string(connections)),
            std::string::npos)
      << proxy.log();
  // The recorder read the client's leg: HTTP/2 transactions, the answered ones only once.
  int pages = 0, puts = 0;
  for (const auto& h : listing("http", store)) {
    EXPECT_EQ(h["version"], "HTTP/2") << h;
    if (h["uri"] == "/page.txt" && h["method"] == "GET" && h["status"] == 200) ++pages;
    if (h["method"] == "PUT" && h["status"] == 201) ++puts;
  }
  EXPECT_EQ(pages, 8);
  EXPECT_EQ(puts, 2);
  nginx.signal(SIGTERM);
  nginx.wait(10000);
}

// A hostile HTTP/2 server: a header block that never ends (CONTINUATION flood,
// CVE-2024-27316). The proxy holds at most its bound of it, ends the connection, counts it,
// and goes on serving others.
constexpr const char* kContinuationFlood = R"(
import socket, ssl, struct, sys
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.set_alpn_protocols(["h2"])
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", port))
listener.listen()
print("ready", file=sys.stderr, flush=True)
while True:
    conn, _ = listener.accept()
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
        tls.recv(65536)
        tls.sendall(frame(4, 0, 0, b"") + frame(1, 0, 1, b"\x88"))
        for _ in range(1000):  # 16 MiB of header block, if nobody stops it
            tls.sendall(frame(9, 0, 1, b"\x40\x01a\x01b" * 3276))
    except OSError:
        pass
    conn.close()
)";

TEST_F(ProxyTest, AnHttp2ServerCannotMakeTheProxyHoldAnEndlessHeaderBlock) {
  CertSpec site{"site.test", {"DNS:site.test"}};
  leaf("site", site);
  const int port = free_port();
  write_file(d_ + "/flood.py", kContinuationFlood);
  Background server({"/usr/bin/python3", d_ + "/flood.py", std::to_string(port), d_ + "/site.pem",
                     d_ + "/site.key"});
  ASSERT_TRUE(server.wait_for_stderr("ready", 10000)) << server.err();
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", "");
  ASSERT_TRUE(proxy.started()) << proxy.log();
  const std::string to = "site.test:" + std::to_string(port) + ":127.0.0.1:" + std::to_string(port);
  auto r = curl_via(proxy, kagami_ca_,
                    {"--http2", "--max-time", "20", "--connect-to", to,
                     "https://site.test:" + std::to_string(port) + "/"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  ASSERT_EQ(proxy.stop(), 0);
  const std::string log = proxy.log();
  EXPECT_NE(log.find("upstream: the server's header block exceeds 1048576 bytes"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("responses refused 1"), std::string::npos) << log;
  server.signal(SIGTERM);
  server.wait(5000);
}

// SMTP, FTP, POP3 and IMAP servers greet before the client says anything: after CONNECT the
// proxy must not wait for a ClientHello that never comes, but relay (and mirror) in plain.
TEST_F(ProxyTest, ServerFirstProtocolsAreRelayedAfterConnect) {
  if (!have_program("python3") || !have_program("tshark"))
    GTEST_SKIP() << "python3 or tshark missing";
  // Greets the connection and answers the first line it is sent; binds a port of its own and
  // says which (no race for a port picked beforehand).
  const std::string script =
      "import socket, sys\n"
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(4)\n"
      "print('port', s.getsockname()[1], file=sys.stderr, flush=True)\n"
      "c, _ = s.accept(); c.sendall(b'220 mail.test ESMTP ready\\r\\n')\n"
      "line = c.makefile('rb').readline()\n"
      "c.sendall(b'250 got ' + line); c.close()\n";
  Background server({"python3", "-c", script});
  ASSERT_TRUE(server.wait_for_stderr("\n", 10000)) << server.err();
  const int port = std::stoi(server.err().substr(server.err().find(' ') + 1));
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", d_ + "/mirror");
  ASSERT_TRUE(proxy.started()) << proxy.log();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(proxy.port()));
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string connect = "CONNECT 127.0.0.1:" + std::to_string(port) + " HTTP/1.1\r\n\r\n";
  ASSERT_EQ(::send(fd, connect.data(), connect.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(connect.size()));
  auto read_until = [&](const std::string& end) {
    std::string got;
    char c;
    while (got.find(end) == std::string::npos && ::recv(fd, &c, 1, 0) == 1) got += c;
    return got;
  };
  EXPECT_NE(read_until("\r\n\r\n").find(" 200 "), std::string::npos);
  // The greeting arrives although the client has sent nothing yet.
  EXPECT_EQ(read_until("\r\n"), "220 mail.test ESMTP ready\r\n");
  const std::string ehlo = "EHLO client.test\r\n";
  ::send(fd, ehlo.data(), ehlo.size(), MSG_NOSIGNAL);
  EXPECT_EQ(read_until("\r\n"), "250 got EHLO client.test\r\n");
  ::close(fd);
  EXPECT_EQ(server.wait(10000), 0);
  ASSERT_EQ(proxy.stop(), 0);
  // Both sides' words are in the mirror, in order.
  auto r = run({"sh", "-c", "tshark -r " + d_ + "/mirror/*.pcap -q -z follow,tcp,ascii,0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto greeting = r.out.find("220 mail.test ESMTP ready");
  const auto answer = r.out.find("EHLO client.test");
  ASSERT_NE(greeting, std::string::npos) << r.out;
  ASSERT_NE(answer, std::string::npos) << r.out;
  EXPECT_LT(greeting, answer);
}

// Postfix on 127.0.0.1:port with STARTTLS (the leaf NAME), accepting mail for anyone from
// loopback and discarding it: no outbound delivery, no local delivery. Its own configuration,
// queue and log in `dir`; stopped by the destructor.
class Postfix {
 public:
  Postfix(const std::string& dir, int port, const std::string& cert, const std::string& key)
      : conf_(dir + "/conf") {
    for (const char* sub : {"/conf", "/spool", "/data"})
      std::filesystem::create_directories(dir + sub);
    write_file(conf_ + "/main.cf",
               "compatibility_level = 3.6\nqueue_directory = " + dir + "/spool\n" +
                   "data_directory = " + dir + "/data\nmail_owner = postfix\n" +
                   "myhostname = mail.test\nmydestination =\ninet_interfaces = loopback-only\n" +
                   "inet_protocols = ipv4\nmynetworks = 127.0.0.0/8\n" +
                   "smtpd_relay_restrictions = permit_mynetworks, reject\n" +
                   "default_transport = discard\nlocal_transport = discard\n" +
                   "alias_maps =\nalias_database =\n" + "smtpd_tls_cert_file = " + cert +
                   "\nsmtpd_tls_key_file = " + key + "\n" +
                   "smtpd_tls_security_level = may\nmaillog_file = " + dir + "/maillog\n" +
                   "maillog_file_prefixes = " + dir + "\nshlib_directory = /usr/lib/postfix\n");
    std::string master = "127.0.0.1:" + std::to_string(port) + " inet n - n - - smtpd\n";
    for (const char* service :
         {"pickup unix n - n 60 1 pickup", "cleanup unix n - n - 0 cleanup",
          "qmgr unix n - n 300 1 qmgr", "rewrite unix - - n - - trivial-rewrite",
          "bounce unix - - n - 0 bounce", "defer unix - - n - 0 bounce",
          "trace unix - - n - 0 bounce", "verify unix - - n - 1 verify",
          "proxymap unix - - n - - proxymap", "showq unix n - n - - showq",
          "error unix - - n - - error", "retry unix - - n - - error",
          "discard unix - - n - - discard", "anvil unix - - n - 1 anvil",
          "scache unix - - n - 1 scache", "postlog unix-dgram n - n - 1 postlogd",
          "tlsmgr unix - - n 1000? 1 tlsmgr", "flush unix n - n 1000? 0 flush"})
      master += std::string(service) + "\n";
    write_file(conf_ + "/master.cf", master);
    // The master takes a lock in data_directory as the mail owner.
    run({"chown", "postfix:postfix", dir + "/data"});
    run({"postfix", "-c", conf_, "set-permissions"});
    proc_ =
        std::make_unique<Background>(std::vector<std::string>{"postfix", "-c", conf_, "start-fg"});
    log_ = dir + "/maillog";
  }
  ~Postfix() {
    run({"postfix", "-c", conf_, "stop"});
    proc_->wait(10000);
  }
  std::string log() const { return read_file(log_); }

 private:
  std::string conf_, log_;
  std::unique_ptr<Background> proc_;
};

// Dovecot's configuration in `d` for IMAP and POP3 on `listen`, STARTTLS and STLS with the
// leaf "mail" and required before a login (disable_plaintext_auth), hanako's mailbox holding
// one message.
void write_starttls_dovecot(const std::string& d, const std::string& listen, int imap, int pop3) {
  const std::string box = d + "/mail/hanako";
  for (const char* s : {"/cur", "/new", "/tmp"}) std::filesystem::create_directories(box + s);
  write_file(box + "/new/1.hanako:2,",
             "From: suzuki@example.jp\nTo: hanako@example.jp\nSubject: over STARTTLS\n"
             "Message-ID: <starttls-1@example.jp>\n\nread after the upgrade\n");
  // Dovecot refuses to run mail processes as root: the mailbox belongs to nobody.
  run({"chmod", "755", d});
  run({"chown", "-R", "65534:65534", d + "/mail"});
  write_file(
      d + "/dovecot.conf",
      "base_dir = " + d + "/run\nlog_path = " + d + "/dovecot.log\n" +
          "protocols = imap pop3\nlisten = " + listen + "\nssl = yes\nssl_cert = <" + d +
          "/mail.pem\nssl_key = <" + d + "/mail.key\n" +
          "disable_plaintext_auth = yes\nauth_mechanisms = plain login\n" +
          "first_valid_uid = 0\nmail_location = maildir:" + d + "/mail/%u\n" +
          "passdb {\n  driver = static\n  args = password=secret\n}\n" +
          "userdb {\n  driver = static\n  args = uid=65534 gid=65534 home=" + d + "/mail/%u\n}\n" +
          "service imap-login {\n  inet_listener imap {\n    port = " + std::to_string(imap) +
          "\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}\n" +
          "service pop3-login {\n  inet_listener pop3 {\n    port = " + std::to_string(pop3) +
          "\n  }\n  inet_listener pop3s {\n    port = 0\n  }\n}\n");
}

// Mail submitted and read with STARTTLS (RFC 3207), IMAP STARTTLS and POP3 STLS through the
// proxy's CONNECT: the plaintext before the upgrade is relayed as it is, then the proxy takes
// part in the TLS the server accepted, verifying the server as for HTTPS, and the recorder
// sees the mail decrypted. Postfix and dovecot, driven by Python's smtplib, imaplib and
// poplib; the clients trust only the Kagami CA.
TEST_F(ProxyTest, StartTlsMailIsDecryptedThroughConnect) {
  if (!have_program("postfix") || !have_program("dovecot"))
    GTEST_SKIP() << "postfix or dovecot missing";
  CertSpec spec;
  spec.cn = "mail.test";
  spec.sans = {"DNS:mail.test"};
  leaf("mail", spec);
  const int smtp = free_port(), imap = free_port(), pop3 = free_port();
  Postfix postfix(d_ + "/postfix", smtp, d_ + "/mail.pem", d_ + "/mail.key");
  write_starttls_dovecot(d_, "127.0.0.1", imap, pop3);
  Background dovecot({"dovecot", "-F", "-c", d_ + "/dovecot.conf"});
  ASSERT_TRUE(port_open(smtp, 15000)) << postfix.log();
  ASSERT_TRUE(port_open(imap, 10000) && port_open(pop3, 10000))
      << dovecot.err() << read_file(d_ + "/dovecot.log");

  const std::string store = d_ + "/store";
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", d_ + "/mirror", {"--record", store});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  const std::string attachment = "氏名,マイナンバー\n山田太郎,123456789018\n";
  write_file(d_ + "/customers.csv", attachment);
  const std::string client =
      "import imaplib, poplib, smtplib, socket, ssl, sys\n"
      "from email.message import EmailMessage\n"
      "ctx = ssl.create_default_context(cafile='" +
      kagami_ca_ +
      "')\n"
      "def tunnel(port):\n"
      "    s = socket.create_connection(('127.0.0.1', " +
      std::to_string(proxy.port()) +
      "), timeout=20)\n"
      "    s.sendall(b'CONNECT 127.0.0.1:%d HTTP/1.1\\r\\n\\r\\n' % port)\n"
      "    head = b''\n"
      "    while not head.endswith(b'\\r\\n\\r\\n'):\n"
      "        c = s.recv(1)\n"
      "        if not c: sys.exit('the proxy closed: %r' % head)\n"
      "        head += c\n"
      "    if b' 200 ' not in head: sys.exit(head)\n"
      "    return s\n"
      "class S(smtplib.SMTP):\n"
      "    def _get_socket(self, host, port, timeout): return tunnel(" +
      std::to_string(smtp) +
      ")\n"
      "class I(imaplib.IMAP4):\n"
      "    def _create_socket(self, timeout): return tunnel(" +
      std::to_string(imap) +
      ")\n"
      "class P(poplib.POP3):\n"
      "    def _create_socket(self, timeout): return tunnel(" +
      std::to_string(pop3) +
      ")\n"
      "m = EmailMessage()\n"
      "m['From'] = 'tanaka@example.jp'; m['To'] = 'partner@example.com'\n"
      "m['Subject'] = '顧客リスト'\n"
      "m.set_content('添付します')\n"
      "m.add_attachment(open('" +
      d_ +
      "/customers.csv', 'rb').read(), maintype='text',"
      " subtype='csv', filename='customers.csv')\n"
      "s = S('mail.test', " +
      std::to_string(smtp) +
      ")\n"
      "s.starttls(context=ctx)\n"
      "s.send_message(m)\n"
      "s.quit()\n"
      "i = I('mail.test', " +
      std::to_string(imap) +
      ")\n"
      "i.starttls(ssl_context=ctx)\n"
      "i.login('hanako', 'secret'); i.select('INBOX'); i.fetch('1', '(BODY[])'); i.logout()\n"
      "p = P('mail.test', " +
      std::to_string(pop3) +
      ")\n"
      "p.stls(context=ctx)\n"
      "p.user('hanako'); p.pass_('secret'); p.retr(1); p.quit()\n";
  auto r = run({"/usr/bin/python3", "-c", client});
  ASSERT_EQ(r.exit_code, 0) << r.err << proxy.log() << postfix.log();
  EXPECT_TRUE(proxy.wait_for("smtp: the server accepted the upgrade to TLS", 5000));
  EXPECT_TRUE(proxy.wait_for("imap: the server accepted the upgrade to TLS", 5000));
  EXPECT_TRUE(proxy.wait_for("pop3: the server accepted the upgrade to TLS", 5000));
  dovecot.signal(SIGTERM);
  dovecot.wait(10000);
  ASSERT_EQ(proxy.stop(), 0) << proxy.log();
  // Postfix took the message (queued, then discarded).
  EXPECT_NE(postfix.log().find("starttls=1"), std::string::npos) << postfix.log();

  std::map<std::string, std::vector<nlohmann::json>> by_protocol;
  for (const auto& m : listing("mail", store)) by_protocol[m["protocol"]].push_back(m);
  ASSERT_EQ(by_protocol["smtp"].size(), 1u) << proxy.log();
  const auto& sent = by_protocol["smtp"][0];
  EXPECT_EQ(sent["subject"], "顧客リスト");
  EXPECT_EQ(sent["direction"], "sent");
  ASSERT_EQ(sent["attachments"].size(), 1u);
  EXPECT_EQ(sent["attachments"][0]["sha256"], sha256_of(attachment));
  ASSERT_EQ(by_protocol["imap"].size(), 1u);
  EXPECT_EQ(by_protocol["imap"][0]["subject"], "over STARTTLS");
  EXPECT_EQ(by_protocol["imap"][0]["user"], "hanako");
  ASSERT_EQ(by_protocol["pop3"].size(), 1u);
  EXPECT_EQ(by_protocol["pop3"][0]["user"], "hanako");
  // Each message says it was decrypted: read after the upgrade, in the proxy's plaintext.
  for (const auto& [protocol, messages] : by_protocol)
    for (const auto& m : messages) EXPECT_EQ(m.value("decrypted", false), true) << m.dump();
  // Each session decrypted, the plaintext prelude and the upgraded part one session.
  int decrypted = 0;
  for (const auto& s : listing("sessions", store)) {
    for (const int port : {smtp, imap, pop3}) {
      if (s["server_port"] != port) continue;
      EXPECT_EQ(s["decrypted"], true) << s.dump();
      ++decrypted;
    }
  }
  EXPECT_EQ(decrypted, 3);
  // The customer list raised its finding like any upload.
  r = kagami(
      {"search", "--store", store, "--kind", "findings", "--count", "detector:jp_my_number"});
  EXPECT_NE(r.err.find(" of 1 findings"), std::string::npos) << r.out << r.err;
}

// The same upgrade where the client knows nothing of the proxy: a router redirects IMAP (143)
// and POP3 (110) to the transparent listener, the client trusts the Kagami CA and names the
// server (SNI); the original destination is the recorded server.
TEST_F(ProxyTest, TransparentStartTlsIsDecrypted) {
  if (::geteuid() != 0 || !have_program("ip") || !have_program("iptables"))
    GTEST_SKIP() << "network namespaces need root, ip and iptables";
  if (!have_program("dovecot")) GTEST_SKIP() << "dovecot missing";
  Namespaces ns;
  if (!ns.problem().empty()) GTEST_SKIP() << "cannot make network namespaces: " << ns.problem();
  CertSpec spec;
  spec.cn = "mail.test";
  spec.sans = {"DNS:mail.test"};
  leaf("mail", spec);
  write_starttls_dovecot(d_, "10.77.2.2", 143, 110);
  Background dovecot(Namespaces::in(ns.server_, {"dovecot", "-F", "-c", d_ + "/dovecot.conf"}));
  for (const int port : {143, 110})
    ASSERT_TRUE(ns.listening(ns.server_, "10.77.2.2", port)) << read_file(d_ + "/dovecot.log");
  const std::string store = d_ + "/store";
  auto proxy_process = ns.transparent_proxy(d_, store);
  Background& proxy = *proxy_process;
  ASSERT_TRUE(proxy.wait_for_stderr("transparent on port 15080", 0)) << proxy.err();
  const std::string client =
      "import imaplib, poplib, socket, ssl\n"
      "ctx = ssl.create_default_context(cafile='" +
      kagami_ca_ +
      "')\n"
      "class I(imaplib.IMAP4):\n"
      "    def _create_socket(self, timeout):\n"
      "        return socket.create_connection(('10.77.2.2', 143), timeout=20)\n"
      "class P(poplib.POP3):\n"
      "    def _create_socket(self, timeout):\n"
      "        return socket.create_connection(('10.77.2.2', 110), timeout=20)\n"
      "i = I('mail.test', 143)\n"
      "i.starttls(ssl_context=ctx)\n"
      "i.login('hanako', 'secret'); i.select('INBOX'); i.fetch('1', '(BODY[])'); i.logout()\n"
      "p = P('mail.test', 110)\n"
      "p.stls(context=ctx)\n"
      "p.user('hanako'); p.pass_('secret'); p.retr(1); p.quit()\n";
  auto r = run(Namespaces::in(ns.client_, {"/usr/bin/python3", "-c", client}));
  EXPECT_EQ(r.exit_code, 0) << r.err << proxy.err() << read_file(d_ + "/dovecot.log");
  proxy.signal(SIGTERM);
  ASSERT_EQ(proxy.wait(20000), 0) << proxy.err();
  dovecot.signal(SIGTERM);
  dovecot.wait(10000);
  EXPECT_NE(proxy.err().find("imap: the server accepted the upgrade to TLS"), std::string::npos)
      << proxy.err();
  std::set<std::string> seen;
  for (const auto& m : listing("mail", store))
    seen.insert(m["protocol"].get<std::string>() + " " + m["server_ip"].get<std::string>() + " " +
                m["subject"].get<std::string>());
  EXPECT_TRUE(seen.count("imap 10.77.2.2 over STARTTLS")) << ::testing::PrintToString(seen);
  EXPECT_TRUE(seen.count("pop3 10.77.2.2 over STARTTLS")) << ::testing::PrintToString(seen);
}

// Explicit FTPS (RFC 4217) through the transparent proxy: AUTH TLS upgrades the control
// connection, PROT P puts each data connection in TLS too; the router redirects both, the proxy
// decrypts both, and the recorder gets the commands and the files as from a plain FTP session.
// pyftpdlib's TLS handler, ftplib's FTP_TLS.
TEST_F(ProxyTest, TransparentFtpsControlAndDataAreDecrypted) {
  if (::geteuid() != 0 || !have_program("ip") || !have_program("iptables"))
    GTEST_SKIP() << "network namespaces need root, ip and iptables";
  if (run({"/usr/bin/python3", "-c", "import pyftpdlib, OpenSSL"}).exit_code != 0)
    GTEST_SKIP() << "python3-pyftpdlib or python3-openssl missing";
  Namespaces ns;
  if (!ns.problem().empty()) GTEST_SKIP() << "cannot make network namespaces: " << ns.problem();
  const std::string down = pattern(150000, 31), up = "氏名,マイナンバー\n山田太郎,123456789018\n";
  const std::string server_py = ftps_server("10.77.2.2", 21, down, up);
  ASSERT_EQ(run({"chmod", "-R", "a+rwX", d_}).exit_code, 0);
  Background server(Namespaces::in(ns.server_, {"/usr/bin/python3", "-c", server_py}));
  ASSERT_TRUE(ns.listening(ns.server_, "10.77.2.2", 21)) << server.err();
  const std::string store = d_ + "/store";
  auto proxy_process = ns.transparent_proxy(d_, store);
  Background& proxy = *proxy_process;
  ASSERT_TRUE(proxy.wait_for_stderr("transparent on port 15080", 0)) << proxy.err();
  const std::string client =
      "import ftplib, io, ssl\n"
      "ctx = ssl.create_default_context(cafile='" +
      kagami_ca_ +
      "')\n"
      "f = ftplib.FTP_TLS(context=ctx, timeout=20)\n"
      "f.connect('10.77.2.2', 21)\n"
      "f.host = 'files.test'\n"  // the name the certificates are checked for (SNI)
      "f.auth(); f.login('tanaka', 'secret'); f.prot_p()\n"
      "got = io.BytesIO(); f.retrbinary('RETR report.bin', got.write)\n"
      "f.storbinary('STOR customers.csv', open('" +
      d_ +
      "/customers.csv', 'rb'))\n"
      "f.quit()\n"
      "assert got.getvalue() == open('" +
      d_ + "/ftp/report.bin', 'rb').read()\n";
  auto r = run(Namespaces::in(ns.client_, {"/usr/bin/python3", "-c", client}));
  EXPECT_EQ(r.exit_code, 0) << r.err << proxy.err() << server.err();
  proxy.signal(SIGTERM);
  ASSERT_EQ(proxy.wait(20000), 0) << proxy.err();
  server.signal(SIGTERM);
  server.wait(10000);
  EXPECT_NE(proxy.err().find("ftp: the server accepted the upgrade to TLS"), std::string::npos)
      << proxy.err();
  expect_ftp_files(store, down, up);
  bool stor = false, auth = false;
  for (const auto& c : listing("ftp", store)) {
    // AUTH TLS comes before the login; everything after the upgrade is tanaka's.
    if (c["command"] == "AUTH") {
      auth = c["reply_code"] == 234;
      continue;
    }
    EXPECT_EQ(c["user"], "tanaka") << c.dump();
    stor = stor || (c["command"] == "STOR" && c["reply_code"] == 226);
  }
  EXPECT_TRUE(auth);
  EXPECT_TRUE(stor);
}

// The same FTPS through an explicit proxy, as FileZilla and WinSCP do it with an HTTP proxy set:
// CONNECT to the control port, AUTH TLS and PROT P inside it, then a CONNECT of its own to each
// PASV port, where the client begins TLS again. Both are decrypted; the recorder pairs each data
// connection with the command that opened it and names the files.
TEST_F(ProxyTest, FtpsControlAndDataAreDecryptedThroughConnect) {
  if (run({"/usr/bin/python3", "-c", "import pyftpdlib, OpenSSL"}).exit_code != 0)
    GTEST_SKIP() << "python3-pyftpdlib or python3-openssl missing";
  const std::string down = pattern(150000, 33), up = "氏名,マイナンバー\n山田太郎,123456789018\n";
  const int port = free_port();
  Background server({"/usr/bin/python3", "-c", ftps_server("127.0.0.1", port, down, up)});
  ASSERT_TRUE(port_open(port, 10000)) << server.err();
  const std::string store = d_ + "/store";
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", d_ + "/mirror", {"--record", store});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  // ftplib has no proxy setting: every connection it opens (control and data) becomes a tunnel.
  write_file(d_ + "/ftp_client.py", R"(import ftplib, io, socket, ssl, sys
proxy, port, ca, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
direct = socket.create_connection

def tunnel(address, timeout=None, source_address=None):
    host, to = address
    s = direct(("127.0.0.1", proxy), timeout=20)
    s.sendall(b"CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host.encode(), to, host.encode(), to))
    answer = b""
    while b"\r\n\r\n" not in answer:
        b = s.recv(1)
        if not b:
            raise SystemExit("the proxy closed the tunnel")
        answer += b
    assert b" 200 " in answer, answer
    return s

socket.create_connection = tunnel
f = ftplib.FTP_TLS(context=ssl.create_default_context(cafile=ca), timeout=20)
f.connect("127.0.0.1", port)
f.host = "files.test"  # the name the certificates are checked for (SNI)
f.auth(); f.login("tanaka", "secret"); f.prot_p()
got = io.BytesIO(); f.retrbinary("RETR report.bin", got.write)
f.storbinary("STOR customers.csv", open(d + "/customers.csv", "rb"))
f.quit()
assert got.getvalue() == open(d + "/ftp/report.bin", "rb").read()
)");
  auto r = run({"/usr/bin/python3", d_ + "/ftp_client.py", std::to_string(proxy.port()),
                std::to_string(port), kagami_ca_, d_});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << proxy.log() << server.err();
  ASSERT_EQ(proxy.stop(), 0);
  server.signal(SIGTERM);
  server.wait(10000);
  expect_ftp_files(store, down, up);
  int decrypted = 0;
  for (const auto& session : listing("sessions", store))
    if (session.value("decrypted", false)) ++decrypted;
  EXPECT_EQ(decrypted, 3);  // the control connection and both data connections
}

// An LDAP client through CONNECT: it speaks first, searches in plaintext, asks for StartTLS
// (RFC 4511 4.14); slapd accepts, the proxy takes part in the TLS that follows (minted for the
// name the client verifies, slapd verified against the origin root), and the bind and the
// search after it reach the mirror and the recorder in plaintext. A raw BER client in Python,
// so the test reads every message itself.
TEST_F(ProxyTest, LdapStartTlsIsDecryptedThroughConnect) {
  if (!have_program("slapd") || !have_program("slapadd")) GTEST_SKIP() << "slapd missing";
  CertSpec spec;
  spec.cn = "ldap.test";
  spec.sans = {"DNS:ldap.test"};
  leaf("ldap", spec);
  std::filesystem::create_directories(d_ + "/db");
  write_file(d_ + "/slapd.conf",
             "include /etc/ldap/schema/core.schema\ninclude /etc/ldap/schema/cosine.schema\n"
             "include /etc/ldap/schema/inetorgperson.schema\npidfile " +
                 d_ + "/slapd.pid\nargsfile " + d_ +
                 "/slapd.args\nmodulepath /usr/lib/ldap\nmoduleload back_mdb\n"
                 "TLSCertificateFile " +
                 d_ + "/ldap.pem\nTLSCertificateKeyFile " + d_ +
                 "/ldap.key\ndatabase mdb\nmaxsize 10485760\nsuffix \"dc=example,dc=jp\"\n"
                 "rootdn \"cn=admin,dc=example,dc=jp\"\nrootpw secret\ndirectory " +
                 d_ + "/db\n");
  write_file(d_ + "/data.ldif",
             "dn: dc=example,dc=jp\nobjectClass: dcObject\nobjectClass: organization\n"
             "dc: example\no: Example\n\n"
             "dn: cn=tanaka,dc=example,dc=jp\nobjectClass: inetOrgPerson\ncn: tanaka\n"
             "sn: Tanaka\ndescription: kagami-ldap-secret-value\n");
  auto r = run({"slapadd", "-f", d_ + "/slapd.conf", "-l", d_ + "/data.ldif"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const int port = free_port();
  Background slapd({"slapd", "-d", "0", "-h", "ldap://127.0.0.1:" + std::to_string(port) + "/",
                    "-f", d_ + "/slapd.conf"});
  ASSERT_TRUE(port_open(port, 10000)) << slapd.err();
  const std::string store = d_ + "/store";
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", d_ + "/mirror", {"--record", store});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  write_file(d_ + "/ldap_client.py", R"(import socket, ssl, sys, time
proxy, port, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def tlv(tag, body):
    n = len(body)
    head = bytes([n]) if n < 128 else bytes([0x81, n]) if n < 256 else bytes([0x82, n >> 8, n & 255])
    return bytes([tag]) + head + body

def message(mid, op):
    return tlv(0x30, tlv(0x02, bytes([mid])) + op)

def recvn(s, n):
    out = b""
    while len(out) < n:
        b = s.recv(n - len(out))
        if not b:
            raise SystemExit("the connection ended")
        out += b
    return out

def read(s):
    head = recvn(s, 2)
    n = head[1]
    if n & 0x80:
        more = recvn(s, n & 0x7F)
        head += more
        n = int.from_bytes(more, "big")
    body = recvn(s, n)
    op_at = 2 + body[1]  # after the message ID
    return body[op_at], body

s = socket.create_connection(("127.0.0.1", proxy), timeout=20)
s.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (port, port))
answer = b""
while b"\r\n\r\n" not in answer:
    answer += recvn(s, 1)
assert b" 200 " in answer, answer
# In plaintext: the root DSE's supportedExtension, as clients check before StartTLS.
s.sendall(message(1, tlv(0x63, tlv(0x04, b"") + b"\x0a\x01\x00\x0a\x01\x00\x02\x01\x00"
                         b"\x02\x01\x00\x01\x01\x00" + tlv(0x87, b"objectClass") +
                         tlv(0x30, tlv(0x04, b"supportedExtension")))))
while True:
    op, body = read(s)
    if op == 0x65:
        break
oid = b"1.3.6.1.4.1.1466.20037"
# slapd answers the search before it retires the operation, and refuses StartTLS while one is
# outstanding (resultCode 1): a careful client asks again, and the proxy watches on.
for mid in range(2, 40):
    s.sendall(message(mid, tlv(0x77, tlv(0x80, oid))))
    op, body = read(s)
    if not (op == 0x78 and b"\x0a\x01\x01" in body):
        break
    time.sleep(0.05)
assert op == 0x78 and b"\x0a\x01\x00" in body, body
t = ssl.create_default_context(cafile=ca).wrap_socket(s, server_hostname="ldap.test")
t.sendall(message(50, tlv(0x60, b"\x02\x01\x03" + tlv(0x04, b"cn=admin,dc=example,dc=jp") +
                         tlv(0x80, b"secret"))))
op, body = read(t)
assert op == 0x61 and b"\x0a\x01\x00" in body, body
t.sendall(message(51, tlv(0x63, tlv(0x04, b"dc=example,dc=jp") + b"\x0a\x01\x02\x0a\x01\x00"
                         b"\x02\x01\x00\x02\x01\x00\x01\x01\x00" +
                         tlv(0xA3, tlv(0x04, b"cn") + tlv(0x04, b"tanaka")) + tlv(0x30, b""))))
found = b""
while True:
    op, body = read(t)
    found += body
    if op == 0x65:
        break
print(found.decode("latin-1"))
t.close()
)");
  r = run({"/usr/bin/python3", d_ + "/ldap_client.py", std::to_string(proxy.port()),
           std::to_string(port), kagami_ca_});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err << proxy.log();
  EXPECT_NE(r.out.find("kagami-ldap-secret-value"), std::string::npos) << r.out;
  ASSERT_EQ(proxy.stop(), 0);
  slapd.signal(SIGTERM);
  slapd.wait(10000);
  EXPECT_NE(proxy.log().find("ldap: the server accepted the upgrade to TLS"), std::string::npos)
      << proxy.log();
  // The mirror carries the search after StartTLS in plaintext, and the recorder calls the
  // session decrypted.
  std::string mirrored;
  for (const auto& e : std::filesystem::directory_iterator(d_ + "/mirror"))
    mirrored += read_file(e.path().string());
  EXPECT_NE(mirrored.find("kagami-ldap-secret-value"), std::string::npos);
  int decrypted = 0;
  for (const auto& session : listing("sessions", store))
    if (session["server_port"] == port && session.value("decrypted", false)) ++decrypted;
  EXPECT_EQ(decrypted, 1);
}

// A server that accepts STARTTLS and goes on in plaintext in the same breath (the injection of
// CVE-2011-0411's kind): the client gets the acceptance and nothing after it, the connection
// ends and is counted; no plaintext is ever passed off as coming through TLS.
TEST_F(ProxyTest, PlaintextAfterAnAcceptedStartTlsIsRefused) {
  if (!have_program("python3")) GTEST_SKIP() << "python3 missing";
  const std::string script =
      "import socket, sys\n"
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(4)\n"
      "print('port', s.getsockname()[1], file=sys.stderr, flush=True)\n"
      "c, _ = s.accept(); f = c.makefile('rb')\n"
      "c.sendall(b'220 mail.test ESMTP\\r\\n')\n"
      "f.readline(); c.sendall(b'250-mail.test\\r\\n250 STARTTLS\\r\\n')\n"
      "f.readline(); c.sendall(b'220 go ahead\\r\\n250 injected as if over TLS\\r\\n')\n"
      "c.recv(100); c.close()\n";
  Background server({"python3", "-c", script});
  ASSERT_TRUE(server.wait_for_stderr("\n", 10000)) << server.err();
  const int port = std::stoi(server.err().substr(server.err().find(' ') + 1));
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", "");
  ASSERT_TRUE(proxy.started()) << proxy.log();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(proxy.port()));
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string got;
  auto read_until = [&](const std::string& end) {
    char c;
    while (got.find(end) == std::string::npos && ::recv(fd, &c, 1, 0) == 1) got += c;
  };
  // As a mail client: each line after the answer to the one before.
  for (const auto& [say, answer] : std::vector<std::pair<std::string, std::string>>{
           {"CONNECT 127.0.0.1:" + std::to_string(port) + " HTTP/1.1\r\n\r\n", "ESMTP\r\n"},
           {"EHLO pc.test\r\n", "250 STARTTLS\r\n"},
           {"STARTTLS\r\n", "go ahead\r\n"}}) {
    ASSERT_EQ(::send(fd, say.data(), say.size(), MSG_NOSIGNAL), static_cast<ssize_t>(say.size()));
    read_until(answer);
  }
  char buf[512];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  EXPECT_NE(got.find("220 go ahead\r\n"), std::string::npos) << got;
  EXPECT_EQ(got.find("injected"), std::string::npos) << got;
  EXPECT_TRUE(proxy.wait_for("plaintext after accepting the upgrade", 5000)) << proxy.log();
  server.wait(5000);
  ASSERT_EQ(proxy.stop(), 0);
}

// One client that refuses the minted certificate must not switch decryption off for anyone
// else: the bypass is that client's alone, and none is made for a destination other clients
// accept the minted certificate for. `kagami status` lists what is bypassed, for whom.
TEST_F(ProxyTest, OneClientCannotSwitchOffDecryptionForOthers) {
  int port = 0;
  auto server = start_site({"DNS:exfil.test", "DNS:popular.test"}, port);
  const std::string store = d_ + "/store";
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", "", {"--record", store});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  const std::string p = std::to_string(port), root = d_ + "/root.pem";
  // From a source address of its own: each is a different client to the proxy.
  auto get = [&](const std::string& from, const std::string& host, const std::string& ca) {
    return curl_via(proxy, ca,
                    {"--interface", from, "--connect-to", host + ":" + p + ":127.0.0.1:" + p, "-o",
                     "/dev/null", "-w", "%{http_code}", "https://" + host + ":" + p + "/"});
  };
  // Mallory (127.0.0.66) refuses the minted certificate for exfil.test: from then on she, and
  // only she, sees the real one.
  EXPECT_EQ(get("127.0.0.66", "exfil.test", root).exit_code, 60);
  EXPECT_EQ(get("127.0.0.66", "exfil.test", root).exit_code, 0);
  // Anyone else still gets the minted certificate (trusting only the organisation's CA, the
  // connection succeeds: it was decrypted).
  EXPECT_EQ(get("127.0.0.7", "exfil.test", kagami_ca_).exit_code, 0);
  // popular.test is accepted with the minted certificate by another client first: Mallory's
  // refusal bypasses nothing.
  EXPECT_EQ(get("127.0.0.8", "popular.test", kagami_ca_).exit_code, 0);
  EXPECT_EQ(get("127.0.0.66", "popular.test", root).exit_code, 60);
  EXPECT_EQ(get("127.0.0.66", "popular.test", root).exit_code, 60);
  // What is bypassed, for whom (the proxy rewrites its status every second).
  CommandResult status;
  for (int i = 0; i < 50; ++i) {
    status = kagami({"status", "--store", store});
    if (status.out.find("exfil.test") != std::string::npos) break;
    usleep(100000);
  }
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("127.0.0.66 -> exfil.test:" + p), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find("popular.test"), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find("127.0.0.7 ->"), std::string::npos) << status.out;
  status = kagami({"status", "--store", store, "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  // One object per component: the store, then each that writes a status.
  nlohmann::json j;
  std::istringstream lines(status.out);
  for (std::string line; std::getline(lines, line);) {
    const auto one = nlohmann::json::parse(line);
    if (one["component"] == "proxy") j = one;
  }
  ASSERT_EQ(j["auto_bypass"].size(), 1u) << status.out;
  EXPECT_EQ(j["auto_bypass"][0]["client"], "127.0.0.66");
  EXPECT_FALSE(j["stale"].get<bool>());
  ASSERT_EQ(proxy.stop(), 0);
  const std::string log = proxy.log();
  EXPECT_NE(log.find("auto-bypass for this client to exfil.test:" + p), std::string::npos) << log;
  EXPECT_NE(log.find("no auto-bypass: other clients accept the minted certificate"),
            std::string::npos)
      << log;
  server->signal(SIGTERM);
}

// Names from the wire are escaped in the log: a newline in an SNI cannot start a forged line,
// a NUL is not written raw.
TEST_F(ProxyTest, ClientNamesCannotForgeLogLines) {
  int port = 0;
  auto server = start_site({"DNS:site.test"}, port);
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", "");
  ASSERT_TRUE(proxy.started()) << proxy.log();
  using namespace kagami::testing;
  HelloSpec h;
  h.ciphers = {0x1301, 0xc02f};
  h.extensions = {{0x0000, sni_ext(std::string("evil.test\ninfo: proxy: forged\0line", 34))}};
  const auto hello = record(22, handshake(1, client_hello_body(h))).bytes();
  const std::string connect = "CONNECT 127.0.0.1:" + std::to_string(port) + " HTTP/1.1\r\n\r\n";
  raw_exchange(proxy.port(), connect + std::string(hello.begin(), hello.end()), 0, 3000);
  ASSERT_EQ(proxy.stop(), 0);
  const std::string log = proxy.log();
  EXPECT_NE(log.find("(sni evil.test\\x0ainfo: proxy: forged\\x00line)"), std::string::npos) << log;
  EXPECT_EQ(log.find("\ninfo: proxy: forged"), std::string::npos) << log;
  EXPECT_EQ(log.find('\0'), std::string::npos);
  server->signal(SIGTERM);
}

// Users made with `kagami proxy-user`: salted scrypt in the file, checked off the event loop,
// a wrong password refused (407), the right one let through.
TEST_F(ProxyTest, ProxyUsersAreSaltedAndCheckedOffTheLoop) {
  int port = 0;
  auto server = start_site({"DNS:site.test"}, port);
  write_file(d_ + "/pw", "hanako-password-1\n");
  auto set = kagami(
      {"proxy-user", "set", "--file", d_ + "/users", "hanako", "--password-file", d_ + "/pw"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  write_file(d_ + "/pw", "hanako-password-1\n");
  set =
      kagami({"proxy-user", "set", "--file", d_ + "/users", "jiro", "--password-file", d_ + "/pw"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  const std::string file = read_file(d_ + "/users");
  // Two users, one password: two different salted hashes.
  const auto h1 = file.substr(file.find("hanako:") + 7, file.find('\n') - 7);
  EXPECT_EQ(h1.rfind("scrypt$", 0), 0u) << file;
  EXPECT_EQ(file.find(h1, file.find('\n')), std::string::npos) << file;
  auto list = kagami({"proxy-user", "list", "--file", d_ + "/users"});
  EXPECT_NE(list.out.find("hanako  scrypt"), std::string::npos) << list.out;
  EXPECT_NE(kagami({"proxy-user", "set", "--file", d_ + "/users", "bad:name", "--password-file",
                    d_ + "/pw"})
                .exit_code,
            0);
  write_file(d_ + "/proxy.toml", "[auth]\nusers_file = \"" + d_ + "/users\"\n");
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", "", {"--config", d_ + "/proxy.toml"});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  const std::string p = std::to_string(port);
  auto get = [&](const std::string& user) {
    return curl_via(proxy, kagami_ca_,
                    {"--proxy-user", user, "--connect-to", "site.test:" + p + ":127.0.0.1:" + p,
                     "-o", "/dev/null", "-w", "%{http_code}", "https://site.test:" + p + "/"});
  };
  EXPECT_EQ(get("hanako:hanako-password-1").exit_code, 0);
  EXPECT_EQ(get("hanako:hanako-password-1").exit_code, 0);  // remembered: no second scrypt
  EXPECT_NE(get("hanako:wrong").exit_code, 0);
  EXPECT_NE(get("nobody:hanako-password-1").exit_code, 0);
  ASSERT_EQ(kagami({"proxy-user", "remove", "--file", d_ + "/users", "jiro"}).exit_code, 0);
  EXPECT_EQ(read_file(d_ + "/users").find("jiro"), std::string::npos);
  ASSERT_EQ(proxy.stop(), 0);
  server->signal(SIGTERM);
}

// Toward its clients the proxy offers TLS 1.2 with ECDHE and AEAD suites only (and 1.3).
TEST_F(ProxyTest, OnlyAeadSuitesAreOfferedToClients) {
  int port = 0;
  auto server = start_site({"DNS:site.test"}, port);
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", "");
  ASSERT_TRUE(proxy.started()) << proxy.log();
  auto hello = [&](const std::string& ciphers) {
    return run({"bash", "-c",
                "timeout 10 openssl s_client -proxy 127.0.0.1:" + std::to_string(proxy.port()) +
                    " -connect 127.0.0.1:" + std::to_string(port) +
                    " -servername site.test -tls1_2 -cipher '" + ciphers + "' -CAfile " +
                    kagami_ca_ + " </dev/null 2>&1"});
  };
  const auto cbc = hello("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:AES128-SHA");
  EXPECT_EQ(cbc.out.find("Cipher is ECDHE"), std::string::npos) << cbc.out;
  const auto gcm = hello("ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_NE(gcm.out.find("Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"), std::string::npos) << gcm.out;
  ASSERT_EQ(proxy.stop(), 0);
  server->signal(SIGTERM);
}

// ---- destinations: the proxy never relays to itself, nor by default to loopback ----

// What the proxy answered a raw request (its status line's code, or 0) and its body.
struct Answer {
  int status = 0;
  std::string text;
};

Answer ask(int proxy_port, const std::string& request) {
  const RawExchange e = raw_exchange(proxy_port, request, 0, 5000);
  Answer a;
  a.text = e.reply;
  if (e.reply.rfind("HTTP/1.1 ", 0) == 0) a.status = std::atoi(e.reply.c_str() + 9);
  return a;
}

// The mirror's pcap-over-IP stream carries every client's plaintext. A proxy client that
// asks for it — in any spelling of the address, by CONNECT or absolute-form, allowed
// loopback or not, with a valid proxy login — gets 403, and the stream sees no new reader.
TEST_F(ProxyTest, NoSpellingOfItsOwnListenersIsADestination) {
  const int stream_port = free_port();
  write_file(d_ + "/users", "mallory:" + sha256_of("m4llory") + "\n");
  write_file(d_ + "/proxy.toml", "[auth]\nusers_file = \"" + d_ + "/users\"\n");
  // Loopback deliberately allowed: the proxy's own listeners must stay closed all the same.
  Proxy proxy(
      d_ + "/ca", d_ + "/root.pem", "",
      {"--config", d_ + "/proxy.toml", "--mirror",
       "pcap-over-ip:127.0.0.1:" + std::to_string(stream_port), "--mirror-receiver", "127.0.0.1"});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  const std::string auth = "Proxy-Authorization: Basic bWFsbG9yeTptNGxsb3J5\r\n";  // mallory
  const std::string sp = std::to_string(stream_port), pp = std::to_string(proxy.port());
  for (const std::string& host :
       {std::string("127.0.0.1"), std::string("127.1"), std::string("2130706433"),
        std::string("0x7f000001"), std::string("0177.0.0.1"), std::string("127.0.0.2"),
        std::string("0.0.0.0"), std::string("[::ffff:127.0.0.1]"), std::string("[::1]"),
        std::string("localhost")}) {
    for (const std::string& port : {sp, pp}) {
      const Answer c =
          ask(proxy.port(), "CONNECT " + host + ":" + port + " HTTP/1.1\r\nHost: " + host + ":" +
                                port + "\r\n" + auth + "\r\n");
      EXPECT_EQ(c.status, 403) << host << ":" << port << " " << c.text;
      const Answer g =
          ask(proxy.port(), "GET http://" + host + ":" + port + "/ HTTP/1.1\r\nHost: " + host +
                                ":" + port + "\r\n" + auth + "\r\n");
      EXPECT_EQ(g.status, 403) << host << ":" << port << " " << g.text;
    }
  }
  ASSERT_EQ(proxy.stop(), 0);
  const std::string log = proxy.log();
  EXPECT_NE(log.find("destination refused: this proxy's own listener (127.0.0.1:" + sp + ")"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("destination refused: this proxy's own listener (127.0.0.1:" + pp + ")"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("receiver 127.0.0.1 connected"), std::string::npos) << log;
}

// Loopback (and link-local, this host's addresses, ...) is refused unless --allow-destination
// opens it; a name that resolves there is refused the same way; refusals are recorded.
TEST_F(ProxyTest, LoopbackIsRefusedByDefaultAndAllowedByFlag) {
  if (!have_program("python3")) GTEST_SKIP() << "python3 missing";
  write_file(d_ + "/www-hello.txt", "a local service\n");
  ASSERT_EQ(run({"chmod", "-R", "a+rX", d_}).exit_code, 0);
  const int port = free_port();
  Background local({"python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", d_,
                    std::to_string(port)});
  ASSERT_TRUE(port_open(port, 10000)) << local.err();
  const std::string p = std::to_string(port);
  const std::string store = d_ + "/store";
  {
    Proxy closed(d_ + "/ca", d_ + "/root.pem", "", {"--record", store}, false);
    ASSERT_TRUE(closed.started()) << closed.log();
    for (const std::string& host : {std::string("127.0.0.1"), std::string("localhost"),
                                    std::string("2130706433"), std::string("[::1]")}) {
      const Answer c =
          ask(closed.port(), "CONNECT " + host + ":" + p + " HTTP/1.1\r\nHost: x\r\n\r\n");
      EXPECT_EQ(c.status, 403) << host << " " << c.text;
      EXPECT_NE(c.text.find("loopback address"), std::string::npos) << c.text;
    }
    auto r = run({"curl", "-sS", "--max-time", "10", "--proxy", closed.url(),
                  "http://127.0.0.1:" + p + "/www-hello.txt"});
    EXPECT_EQ(r.out.find("a local service"), std::string::npos) << r.out;
    ASSERT_EQ(closed.stop(), 0);
    EXPECT_NE(closed.log().find("destination refused: loopback address 127.0.0.1"),
              std::string::npos)
        << closed.log();
  }
  // Each refusal is a session the proxy reset before connecting.
  int refused = 0;
  for (const auto& s : sessions(store))
    if (s["end_reason"] == "proxy_refused" && s["server_port"] == port) ++refused;
  EXPECT_EQ(refused, 5);
  // Opened deliberately: the same request goes through.
  Proxy open(d_ + "/ca", d_ + "/root.pem", "", {"--allow-destination", "127.0.0.1/32"}, false);
  ASSERT_TRUE(open.started()) << open.log();
  auto r = run({"curl", "-sS", "--max-time", "10", "--proxy", open.url(),
                "http://127.0.0.1:" + p + "/www-hello.txt"});
  EXPECT_EQ(r.out, "a local service\n") << r.err;
  // ::1 is not in the range that was opened.
  EXPECT_EQ(ask(open.port(), "CONNECT [::1]:" + p + " HTTP/1.1\r\n\r\n").status, 403);
  ASSERT_EQ(open.stop(), 0);
  local.signal(SIGTERM);
}

// Only named receivers read the pcap-over-IP stream; over TLS a receiver also needs a client
// certificate from the CA given.
TEST_F(ProxyTest, PcapOverIpLetsInOnlyNamedReceivers) {
  if (!have_program("openssl")) GTEST_SKIP() << "openssl missing";
  // Without receivers the stream does not start at all.
  const int unnamed_port = free_port();
  Proxy unnamed(d_ + "/ca", d_ + "/root.pem", "",
                {"--mirror", "pcap-over-ip:127.0.0.1:" + std::to_string(unnamed_port)});
  EXPECT_FALSE(unnamed.started());
  EXPECT_NE(unnamed.log().find("name the receivers"), std::string::npos) << unnamed.log();

  // A receiver's certificate, signed by a CA of the test's own.
  CertSpec rcv;
  rcv.cn = "mirror receiver";
  rcv.eku = "clientAuth";
  leaf("receiver", rcv);
  CertSpec srv;
  srv.cn = "mirror.test";
  srv.sans = {"DNS:mirror.test", "IP:127.0.0.1"};
  leaf("mirror", srv);
  const int tls_port = free_port();
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", "",
              {"--mirror", "pcap-over-ip:127.0.0.1:" + std::to_string(tls_port),
               "--mirror-receiver", "127.0.0.1/32", "--mirror-tls-cert", d_ + "/mirror.pem",
               "--mirror-tls-key", d_ + "/mirror.key", "--mirror-client-ca", d_ + "/root.pem"});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  auto first_bytes = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {"openssl",
                                     "s_client",
                                     "-quiet",
                                     "-connect",
                                     "127.0.0.1:" + std::to_string(tls_port),
                                     "-CAfile",
                                     d_ + "/root.pem",
                                     "-verify_return_error"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::string cmd;
    for (const auto& a : argv) cmd += "'" + a + "' ";
    // The pcap header is 24 bytes, then nothing while no traffic flows: s_client is stopped
    // after a few seconds either way.
    return run(
        {"bash", "-c", "timeout 3 " + cmd + " </dev/null 2>/dev/null | head -c 24 | od -An -tx1"});
  };
  // With the certificate: the pcap header (nanosecond magic, little-endian here).
  auto with = first_bytes({"-cert", d_ + "/receiver.crt", "-key", d_ + "/receiver.key",
                           "-cert_chain", d_ + "/receiver.chain"});
  EXPECT_NE(with.out.find("4d 3c b2 a1"), std::string::npos) << with.out << with.err;
  // Without it: nothing.
  auto without = first_bytes({});
  EXPECT_EQ(without.out.find("4d 3c b2 a1"), std::string::npos) << without.out;
  // From an address not named (127.0.0.2): refused before TLS.
  auto elsewhere =
      run({"bash", "-c",
           "timeout 10 openssl s_client -quiet -connect 127.0.0.1:" + std::to_string(tls_port) +
               " -bind 127.0.0.2:0 </dev/null 2>&1 | head -c 200"});
  ASSERT_EQ(proxy.stop(), 0);
  const std::string log = proxy.log();
  EXPECT_NE(log.find("127.0.0.2 refused: not an allowed receiver"), std::string::npos)
      << log << elsewhere.out;
  EXPECT_NE(log.find("refused: TLS handshake"), std::string::npos) << log;
  EXPECT_NE(log.find("receivers refused 2"), std::string::npos) << log;
}

// A proxy login is for the proxy. A client that repeats it inside its CONNECT tunnel (as some
// HTTP libraries do on every request) must not hand it to the origin: the proxy decrypts the
// tunnel, so it is the hop that consumes the field (RFC 9110 11.7.2) — over HTTP/1.1 on a
// kept-alive connection, over HTTP/2 end to end, and over HTTP/2 bridged to an HTTP/1 server.
// The origin's own Authorization passes untouched; so does a plain http:// request's body,
// but a second request pipelined behind it is not sent to the first one's server.
TEST_F(ProxyTest, ProxyCredentialsNeverReachTheOrigin) {
  if (!have_program("nginx")) GTEST_SKIP() << "nginx missing";
  CertSpec site{"site.test", {"DNS:site.test"}};
  leaf("site", site);
  const int h2_port = free_port(), h1_port = free_port(), plain_port = free_port();
  // Each server answers with what it was given, so the test reads what reached the origin.
  const std::string echo =
      "    location / { default_type text/plain; return 200 "
      "\"proxy-authorization=[$http_proxy_authorization] "
      "authorization=[$http_authorization] uri=[$request_uri]\\n\"; }\n";
  auto tls_server = [&](int port, bool h2) {
    return "  server {\n    listen 127.0.0.1:" + std::to_string(port) + " ssl" +
           (h2 ? " http2" : "") + ";\n    server_name site.test;\n    ssl_certificate " + d_ +
           "/site.pem;\n    ssl_certificate_key " + d_ + "/site.key;\n" + echo + "  }\n";
  };
  const int plain_http = free_port();
  write_file(d_ + "/nginx.conf",
             nginx_preamble(d_) + tls_server(h2_port, true) + tls_server(h1_port, false) +
                 "  server {\n    listen 127.0.0.1:" + std::to_string(plain_http) + ";\n" + echo +
                 "  }\n}\n");
  ASSERT_EQ(run({"chmod", "-R", "a+rX", d_}).exit_code, 0);
  Background nginx({"nginx", "-p", d_, "-c", d_ + "/nginx.conf"});
  ASSERT_TRUE(port_open(h2_port, 10000) && port_open(h1_port, 10000)) << nginx.err();
  write_file(d_ + "/users", "mallory:" + sha256_of("m4llory") + "\n");
  write_file(d_ + "/proxy.toml", "[auth]\nusers_file = \"" + d_ + "/users\"\n");
  Proxy proxy(d_ + "/ca", d_ + "/root.pem", "", {"--config", d_ + "/proxy.toml"});
  ASSERT_TRUE(proxy.started()) << proxy.log();
  const std::string login = "Proxy-Authorization: Basic bWFsbG9yeTptNGxsb3J5";  // mallory
  for (const auto& [port, version] : std::vector<std::pair<int, std::string>>{
           {h1_port, "--http1.1"}, {h2_port, "--http2"}, {h1_port, "--http2"}}) {
    const std::string p = std::to_string(port);
    const std::string url = "https://site.test:" + p;
    // Two requests on one connection: the second is edited as well as the first.
    auto r = curl_via(proxy, kagami_ca_,
                      {version, "--proxy-user", "mallory:m4llory", "-H", login, "-H",
                       "Authorization: Bearer origin-token", "--connect-to",
                       "site.test:" + p + ":127.0.0.1:" + p, url + "/one", url + "/two"});
    ASSERT_EQ(r.exit_code, 0) << version << " " << r.err << proxy.log();
    EXPECT_NE(r.out.find("proxy-authorization=[] authorization=[Bearer origin-token] uri=[/one]"),
              std::string::npos)
        << version << " " << p << " " << r.out;
    EXPECT_NE(r.out.find("proxy-authorization=[] authorization=[Bearer origin-token] uri=[/two]"),
              std::string::npos)
        << version << " " << p << " " << r.out;
  }
  // Plain HTTP inside a CONNECT tunnel: not decrypted, still the proxy's login.
  const std::string tunnel = "127.0.0.1:" + std::to_string(plain_http);
  const RawExchange plain_tunnel = raw_exchange(
      proxy.port(),
      "CONNECT " + tunnel + " HTTP/1.1\r\nHost: " + tunnel + "\r\n" + login +
          "\r\n\r\nGET /inside HTTP/1.1\r\nHost: x\r\n" + login + "\r\nConnection: close\r\n\r\n",
      0, 5000);
  EXPECT_NE(plain_tunnel.reply.find("proxy-authorization=[] authorization=[] uri=[/inside]"),
            std::string::npos)
      << plain_tunnel.reply;
  // A plain request, then a second one pipelined on the same connection: the server (which
  // keeps every byte it is sent) gets the first without the login, and never the second (the
  // proxy asked it to close after the first; the second may name another server entirely).
  write_file(d_ + "/keep.py", R"(import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
got = b""
while not got:  # the test's own probe of the port sends nothing
    c, _ = s.accept()
    c.settimeout(1.0)
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            got += b
    except socket.timeout:
        pass
open(sys.argv[2], "wb").write(got)
c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
c.close()
)");
  Background keeper({"python3", d_ + "/keep.py", std::to_string(plain_port), d_ + "/got"});
  ASSERT_TRUE(port_open(plain_port, 10000)) << keeper.err();
  const std::string target = "http://127.0.0.1:" + std::to_string(plain_port);
  const RawExchange e =
      raw_exchange(proxy.port(),
                   "GET " + target + "/first HTTP/1.1\r\nHost: x\r\n" + login + "\r\n\r\nGET " +
                       target + "/second HTTP/1.1\r\nHost: x\r\n" + login + "\r\n\r\n",
                   0, 5000);
  EXPECT_NE(e.reply.find("ok"), std::string::npos) << e.reply;
  EXPECT_EQ(keeper.wait(10000), 0) << keeper.err();
  const std::string got = read_file(d_ + "/got");
  EXPECT_NE(got.find("GET /first HTTP/1.1"), std::string::npos) << got;
  EXPECT_EQ(got.find("second"), std::string::npos) << got;
  EXPECT_EQ(got.find("bWFsbG9y"), std::string::npos) << got;
  ASSERT_EQ(proxy.stop(), 0);
  const std::string log = proxy.log();
  EXPECT_NE(log.find("proxy logins kept from origins 7, pipelined requests not sent 1"),
            std::string::npos)
      << log;
}

}  // namespace
}  // namespace kagami::test
