// Running as a service: the systemd units (packaging/systemd) verify and are confined as
// systemd-analyze scores them, scripts/install.sh stages what they need, and live capture runs
// as an unprivileged user with CAP_NET_RAW and CAP_NET_ADMIN only — as the recorder's unit
// runs it.
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "integration/harness.h"
#include "support/temp_dir.h"

namespace kagami::test {
namespace {

const std::string kUnits = std::string(KAGAMI_SOURCE_DIR) + "/packaging/systemd";

// Each unit as installed, but starting the binary under test; templates as an instance.
std::vector<std::string> staged_units(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(kUnits)) {
    std::string text = read_file(e.path().string());
    text = std::regex_replace(text, std::regex("/usr/local/bin/kagami"), KAGAMI_BINARY);
    const std::string name = e.path().filename().string();
    write_file(dir + "/" + name, text);
    const std::size_t at = name.find("@.");
    if (at == std::string::npos) {
      out.push_back(dir + "/" + name);
    } else {
      const std::string instance = name.substr(0, at + 1) + "lo" + name.substr(at + 1);
      write_file(dir + "/" + instance, text);
      out.push_back(dir + "/" + instance);
    }
  }
  return out;
}

// Starts a web site on lo serving `dir` at port `web`, fetches its index (through the proxy at
// `proxy` when given) and stops the site: what the recorder or proxy under test then saw.
// Returns the answer's status, or why there was none.
std::string fetch_from_site(const std::string& dir, const std::string& web,
                            const std::string& proxy = "") {
  Background site(
      {"/usr/bin/python3", "-m", "http.server", "--bind", "127.0.0.1", web, "--directory", dir});
  if (!port_open(std::stoi(web), 10000)) return "the site did not start: " + site.err();
  const std::string opener =
      proxy.empty() ? "u.build_opener()"
                    : "u.build_opener(u.ProxyHandler({'http': 'http://" + proxy + "'}))";
  auto r = run({"/usr/bin/python3", "-c",
                "import urllib.request as u; print(" + opener + ".open('http://127.0.0.1:" + web +
                    "/').status, end='')"});
  site.signal(SIGTERM);
  site.wait(5000);
  return r.exit_code == 0 ? r.out : r.err;
}

TEST(Services, UnitsVerifyAndAreConfined) {
  if (!have_program("systemd-analyze")) GTEST_SKIP() << "systemd-analyze missing";
  TempDir dir;
  const auto units = staged_units(dir.path());
  ASSERT_EQ(units.size(), 3u);
  for (const std::string& unit : units) {
    auto r = run({"systemd-analyze", "verify", "--man=no", unit});
    EXPECT_EQ(r.exit_code, 0) << unit << "\n" << r.out << r.err;
    EXPECT_EQ(r.err, "") << unit;  // warnings too
    r = run({"systemd-analyze", "security", "--offline=true", "--no-pager", unit});
    std::smatch m;
    ASSERT_TRUE(
        std::regex_search(r.out, m, std::regex(R"(Overall exposure level for \S+: ([0-9.]+))")))
        << r.out << r.err;
    // 0 is a unit that can do nothing, 10 one that can do anything; "OK" is below 4.
    EXPECT_LT(std::stod(m[1]), 3.0) << unit << "\n" << r.out;
  }
}

TEST(Services, InstallStagesWhatTheUnitsNeed) {
  TempDir dir;
  const std::string stage = dir.path() + "/stage";
  auto r = run({std::string(KAGAMI_SOURCE_DIR) + "/scripts/install.sh", "--destdir", stage});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* f :
       {"/usr/local/bin/kagami", "/etc/systemd/system/kagami-record@.service",
        "/etc/systemd/system/kagami-proxy.service", "/etc/systemd/system/kagami-serve@.service",
        "/etc/kagami/record.toml", "/etc/kagami/proxy.toml"})
    EXPECT_TRUE(std::filesystem::exists(stage + f)) << f;
  EXPECT_EQ(std::filesystem::status(stage + "/var/lib/kagami").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  // The configuration it writes is one the commands take.
  r = run({KAGAMI_BINARY, "record", "--config", stage + "/etc/kagami/record.toml", "--read",
           corpus_dir() + "/pcap/http/ak-http-post-upload.pcap", "--store", dir.path() + "/s"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(run({KAGAMI_BINARY, "ca", "init", "--dir", dir.path() + "/ca"}).exit_code, 0);
  Background proxy({KAGAMI_BINARY, "proxy", "--config", stage + "/etc/kagami/proxy.toml", "--ca",
                    dir.path() + "/ca", "--listen", "127.0.0.1:0"});
  EXPECT_TRUE(proxy.wait_for_stderr("listening on port", 10000)) << proxy.err();
  proxy.signal(SIGTERM);
  EXPECT_EQ(proxy.wait(10000), 0) << proxy.err();
  // Installing again keeps an administrator's edits.
  write_file(stage + "/etc/kagami/proxy.toml", "# edited\n");
  r = run({std::string(KAGAMI_SOURCE_DIR) + "/scripts/install.sh", "--destdir", stage});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(stage + "/etc/kagami/proxy.toml"), "# edited\n");
}

// `kagami record --interface lo` as nobody, with the two capabilities the unit grants and no
// others: packets are captured and sessions recorded. Without them the same command is
// refused, so the capabilities are what made it work.
TEST(Services, CaptureRunsWithCapabilitiesOnly) {
  if (::geteuid() != 0 || !have_program("setpriv"))
    GTEST_SKIP() << "needs root to hand capabilities to another user";
  TempDir dir;
  const std::string store = dir.path() + "/store";
  ASSERT_EQ(run({"chmod", "0755", dir.path()}).exit_code, 0);
  std::filesystem::create_directories(store);
  ASSERT_EQ(run({"chown", "nobody:nogroup", store}).exit_code, 0);
  const std::string web = std::to_string(free_port());
  auto as_nobody = [&](bool caps) {
    std::vector<std::string> argv = {"setpriv", "--reuid=nobody", "--regid=nogroup",
                                     "--clear-groups"};
    if (caps) {
      argv.insert(argv.end(),
                  {"--inh-caps=+net_raw,+net_admin", "--ambient-caps=+net_raw,+net_admin",
                   "--bounding-set=-all,+net_raw,+net_admin"});
    } else {
      argv.insert(argv.end(), {"--inh-caps=-all", "--bounding-set=-all"});
    }
    argv.insert(argv.end(), {KAGAMI_BINARY, "record", "--interface", "lo", "--filter",
                             "tcp port " + web, "--store", store});
    return argv;
  };
  auto refused = run(as_nobody(false));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("cannot capture on lo"), std::string::npos) << refused.err;

  Background rec(as_nobody(true));
  ASSERT_TRUE(rec.wait_for_stderr("recording lo", 10000)) << rec.err();
  // Who it runs as: nobody, with exactly CAP_NET_RAW (13) and CAP_NET_ADMIN (12) effective.
  const std::string status = read_file("/proc/" + std::to_string(rec.pid()) + "/status");
  EXPECT_NE(status.find("Uid:\t65534\t65534\t65534\t65534"), std::string::npos) << status;
  EXPECT_NE(status.find("CapEff:\t0000000000003000"), std::string::npos) << status;
  EXPECT_EQ(fetch_from_site(dir.path(), web), "200");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  rec.signal(SIGINT);
  ASSERT_EQ(rec.wait(30000), 0) << rec.err();
  EXPECT_FALSE(listing("http", store).empty()) << rec.err();
}

// Started as root, `kagami record --user nobody` opens the capture and then gives root up: it
// runs as nobody with no capability at all, records what lo carries, and the store it made as
// root is nobody's. A user that does not exist is refused before anything is recorded.
TEST(Services, RootIsDroppedOnceTheCaptureIsOpen) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  TempDir dir;
  ASSERT_EQ(run({"chmod", "0755", dir.path()}).exit_code, 0);
  const std::string store = dir.path() + "/store";
  const std::string web = std::to_string(free_port());
  const auto none =
      kagami({"record", "--interface", "lo", "--user", "no-such-user-kagami", "--store", store});
  EXPECT_NE(none.exit_code, 0);
  EXPECT_NE(none.err.find("no such user"), std::string::npos) << none.err;

  Background rec({KAGAMI_BINARY, "record", "--interface", "lo", "--filter", "tcp port " + web,
                  "--user", "nobody", "--store", store});
  ASSERT_TRUE(rec.wait_for_stderr("recording lo", 10000)) << rec.err();
  EXPECT_NE(rec.err().find("running as nobody"), std::string::npos) << rec.err();
  const std::string status = read_file("/proc/" + std::to_string(rec.pid()) + "/status");
  EXPECT_NE(status.find("Uid:\t65534\t65534\t65534\t65534"), std::string::npos) << status;
  EXPECT_NE(status.find("CapEff:\t0000000000000000"), std::string::npos) << status;
  EXPECT_NE(status.find("CapPrm:\t0000000000000000"), std::string::npos) << status;
  EXPECT_NE(status.find("NoNewPrivs:\t1"), std::string::npos) << status;
  EXPECT_EQ(fetch_from_site(dir.path(), web), "200");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  rec.signal(SIGINT);
  ASSERT_EQ(rec.wait(30000), 0) << rec.err();
  EXPECT_FALSE(listing("http", store).empty()) << rec.err();
  // What it wrote after the change (the sealed archive file) is nobody's, as is the store.
  struct stat st {};
  ASSERT_EQ(::stat((store + "/packets/00000001.pcap").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  ASSERT_EQ(::stat((store + "/index.sqlite").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(kagami({"verify", "--store", store, "--strict"}).exit_code, 0);
}

// A free port below 1024: only root may listen there.
int free_privileged_port(int from = 900) {
  for (int p = from; p < 1024; ++p) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(p));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return p;
  }
  return 0;
}

void expect_unprivileged(pid_t pid) {
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  EXPECT_NE(status.find("Uid:\t65534\t65534\t65534\t65534"), std::string::npos) << status;
  EXPECT_NE(status.find("CapEff:\t0000000000000000"), std::string::npos) << status;
  EXPECT_NE(status.find("CapPrm:\t0000000000000000"), std::string::npos) << status;
}

// The proxy and the console, started as root, listen on ports only root may open, then go on
// as nobody: the proxy still relays and records what it relays into a store that is now
// nobody's, and the console still answers.
TEST(Services, ProxyAndConsoleDropRootOnceListening) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  TempDir dir;
  ASSERT_EQ(run({"chmod", "0755", dir.path()}).exit_code, 0);
  const std::string store = dir.path() + "/store";
  ASSERT_EQ(run({KAGAMI_BINARY, "ca", "init", "--dir", dir.path() + "/ca"}).exit_code, 0);
  const int proxy_port = free_privileged_port();
  ASSERT_NE(proxy_port, 0);
  Background proxy({KAGAMI_BINARY, "proxy", "--ca", dir.path() + "/ca", "--listen",
                    "127.0.0.1:" + std::to_string(proxy_port), "--allow-destination", "127.0.0.0/8",
                    "--record", store, "--user", "nobody"});
  ASSERT_TRUE(proxy.wait_for_stderr("running as nobody", 10000)) << proxy.err();
  expect_unprivileged(proxy.pid());
  const std::string web = std::to_string(free_port());
  EXPECT_EQ(fetch_from_site(dir.path(), web, "127.0.0.1:" + std::to_string(proxy_port)), "200")
      << proxy.err();
  proxy.signal(SIGTERM);
  ASSERT_EQ(proxy.wait(30000), 0) << proxy.err();
  EXPECT_FALSE(listing("http", store).empty()) << proxy.err();
  struct stat st {};
  ASSERT_EQ(::stat((store + "/index.sqlite").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);

  const int console_port = free_privileged_port();
  Background console({KAGAMI_BINARY, "serve", "--store", store, "--listen",
                      "127.0.0.1:" + std::to_string(console_port), "--user", "nobody"});
  ASSERT_TRUE(console.wait_for_stderr("console at", 15000)) << console.err();
  EXPECT_NE(console.err().find("running as nobody"), std::string::npos) << console.err();
  expect_unprivileged(console.pid());
  auto r = run({"curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}",
                "https://127.0.0.1:" + std::to_string(console_port) + "/api/search?q=*"});
  EXPECT_EQ(r.out, "401") << r.err;  // answering, and asking for a login
  console.signal(SIGTERM);
  EXPECT_EQ(console.wait(10000), 0) << console.err();

  // kagami up: proxy, recorder and console in one process, the same way.
  const std::string up_store = dir.path() + "/up";
  const int up_proxy = free_privileged_port();
  const int up_console = free_privileged_port(up_proxy + 1);
  ASSERT_NE(up_console, 0);
  Background up({KAGAMI_BINARY, "up", "--store", up_store, "--proxy",
                 "127.0.0.1:" + std::to_string(up_proxy), "--console",
                 "127.0.0.1:" + std::to_string(up_console), "--user", "nobody"});
  ASSERT_TRUE(up.wait_for_stderr("stop     Ctrl-C", 20000)) << up.err();
  EXPECT_NE(up.err().find("running as nobody"), std::string::npos) << up.err();
  expect_unprivileged(up.pid());
  r = run({"curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}",
           "https://127.0.0.1:" + std::to_string(up_console) + "/api/search?q=*"});
  EXPECT_EQ(r.out, "401") << r.err;
  up.signal(SIGTERM);
  EXPECT_EQ(up.wait(30000), 0) << up.err();
  ASSERT_EQ(::stat((up_store + "/index.sqlite").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
}

}  // namespace
}  // namespace kagami::test
