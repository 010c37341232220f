// `kagami up [--demo]`: the proxy, the recorder in the same process and the console on one
// store, with a CA made on first start; with --demo, local HTTPS and mail servers and an
// office's traffic through the proxy, so the console has something to show.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "kagami/base/base64.h"
#include "kagami/base/password_hash.h"
#include "kagami/base/private_files.h"
#include "kagami/base/sha256.h"
#include "kagami/console/api_server.h"
#include "kagami/console/login_sessions.h"
#include "kagami/demo/demo.h"
#include "kagami/proxy/certificate_authority.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/store_layout.h"

#include "app/commands.h"
#include "app/config.h"
#include "app/privileges.h"
#include "app/proxy_stack.h"
#include "app/status_file.h"

namespace kagami::app {
namespace {

struct UpOptions {
  std::string store = "kagami-store";
  std::string proxy_listen = "127.0.0.1:3128";
  std::string console_listen = "127.0.0.1:8443";
  std::string record_config;
  RetentionFlags retention;
  bool demo = false;
  unsigned demo_rounds = 3;
  bool quiet = false;
  std::string user;  // run as, once the proxy and console listen (only when given)
};

// The first console user, when there is none: an admin with a random password, shown once
// and kept in a file only root can read.
Result<std::string> ensure_admin(const store::StoreLayout& layout) {
  auto index = store::SqliteIndex::open(layout.index_path(), store::SqliteIndex::Mode::kReadWrite);
  if (!index) return index.error();
  auto users = (*index)->users();
  if (!users) return users.error();
  if (!users->empty()) return std::string();
  std::string password = console::random_token().substr(0, 20);
  auto hash = hash_password(password);
  if (!hash) return hash.error();
  if (auto s = (*index)->put_user({"admin", "admin", *hash, wall_clock_ns(), false}); !s)
    return s.error();
  const std::string path = layout.root + "/console/admin-password";
  std::filesystem::create_directories(layout.root + "/console");
  {
    std::ofstream f(path, std::ios::trunc);
    f << password << "\n";
  }
  ::chmod(path.c_str(), 0600);
  return password;
}

int run_up(const UpOptions& o) {
  if (o.quiet) spdlog::set_level(spdlog::level::warn);
  std::error_code ec;
  std::filesystem::create_directories(o.store, ec);
  if (ec) {
    std::cerr << "error: cannot create " << o.store << ": " << ec.message() << "\n";
    return 1;
  }
  const store::StoreLayout layout{std::filesystem::absolute(o.store).string()};
  warn_if_not_private(layout.root, "store");
  // The organisation's CA, made on first start and kept: clients import ca.crt once.
  const std::string ca_dir = layout.root + "/ca";
  if (!std::filesystem::exists(proxy::CaFiles::cert(ca_dir))) {
    if (auto s = proxy::init_ca_dir(ca_dir, {}); !s) {
      std::cerr << "error: " << s.error().message << "\n";
      return 1;
    }
  }
  recorder::RecorderConfig rc;
  if (!o.record_config.empty()) {
    if (auto s = load_recorder_config(o.record_config, rc); !s) {
      std::cerr << "error: " << s.error().message << "\n";
      return 2;
    }
  }
  if (auto s = apply_retention_flags(o.retention, rc.retention); !s) {
    std::cerr << "error: " << s.error().message << "\n";
    return 2;
  }
  // The demo's store is a sensor's in small: unless told otherwise it keeps what a laptop can
  // spare (2 GiB, and 1 GiB of the disk free), as the console's sensor page then shows.
  if (o.demo && !rc.retention.enabled()) {
    rc.retention.max_bytes = 2ull << 30;
    rc.retention.min_free_bytes = 1ull << 30;
  }
  const std::string kept = rc.retention.describe();
  rc.store_dir = layout.root;
  rc.sensor = "proxy";

  ProxyStackConfig config;
  config.proxy.listen = o.proxy_listen;
  auto policy = proxy::Policy::build({});
  auto minter = make_minter(ca_dir, "", "", 4096);
  if (!policy || !minter) {
    std::cerr << "error: " << (policy ? minter.error().message : policy.error().message) << "\n";
    return 1;
  }
  config.policy = policy.value();
  config.minter = std::move(minter.value());

  std::unique_ptr<demo::DemoServers> demo_servers;
  if (o.demo) {
    auto d = demo::DemoServers::start(layout.root + "/demo");
    if (!d) {
      std::cerr << "error: demo: " << d.error().message << "\n";
      return 1;
    }
    demo_servers = std::move(d.value());
    config.proxy.upstream.ca_bundle = demo_servers->upstream_bundle();
    config.proxy.hosts = demo_servers->hosts();
    // The demo's Internet is on this host's loopback: opened for it alone. The proxy's own
    // listeners and the console stay refused.
    for (const auto& [name, address] : config.proxy.hosts)
      config.proxy.allow_destinations.push_back(address + "/32");
    for (const auto& u : demo::demo_users()) {
      auto hash = hash_password(u.password, ScryptCost{14, 8, 1});
      if (!hash) {
        std::cerr << "error: demo users: " << hash.error().message << "\n";
        return 1;
      }
      config.proxy.users[u.name] = *hash;
    }
    const std::string rules = layout.root + "/demo/rules.yar";
    std::ofstream(rules, std::ios::trunc) << demo::kDemoYaraRule;
    rc.inspect_options.yara_rule_files.push_back(rules);
  }
  config.record = std::move(rc);
  // The console is no destination for the proxy's clients (its port again once it is bound).
  if (o.console_listen.substr(o.console_listen.rfind(':') + 1) != "0")
    config.proxy.own_endpoints.push_back(o.console_listen);

  // Signals are taken by this thread alone (sigwait): every thread started below inherits the
  // blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto stack = ProxyStack::start(std::move(config));
  if (!stack) {
    std::cerr << "error: proxy: " << stack.error().message << "\n";
    return 1;
  }
  auto admin = ensure_admin(layout);
  if (!admin) {
    std::cerr << "error: console users: " << admin.error().message << "\n";
    return 1;
  }
  console::ServeOptions so;
  so.store = layout.root;
  so.listen = o.console_listen;
  auto console_server = console::ApiServer::start(so);
  if (!console_server) {
    std::cerr << "error: console: " << console_server.error().message << "\n";
    (void)(*stack)->stop();
    return 1;
  }

  // Both listen (ports below 1024 included) and the keys are in memory: root is no longer
  // needed. Only when asked: `up` is the command that tries Kagami out; a sensor in service
  // runs its units (packaging/).
  if (!o.user.empty()) {
    auto u = drop_privileges(o.user, {layout.root});
    if (!u) {
      std::cerr << "error: " << u.error().message << "\n";
      (*console_server)->stop();
      (void)(*stack)->stop();
      return 1;
    }
    if (!u->empty())
      std::cerr << "kagami up: running as " << *u
                << " (root dropped once the proxy and console were listening)\n";
  }

  if (auto st = (*stack)->server().add_own_endpoint(
          (*console_server)->url().substr((*console_server)->url().find("://") + 3));
      !st)
    spdlog::warn("console address: {}", st.error().message);

  std::cerr << "\nkagami up: store " << layout.root << "\n"
            << "  proxy    " << o.proxy_listen.substr(0, o.proxy_listen.rfind(':')) << ":"
            << (*stack)->server().port() << "  (clients trust " << proxy::CaFiles::cert(ca_dir)
            << ")\n"
            << "  console  " << (*console_server)->url() << "/  (browsers trust "
            << (*console_server)->ca_path() << ")\n";
  if (!admin->empty())
    std::cerr << "  login    admin / " << *admin << "  (also in " << layout.root
              << "/console/admin-password; add users with kagami user set)\n";
  if (demo_servers)
    std::cerr << "  demo     https://" << demo::kWebHost << ":" << demo_servers->web_port()
              << "/ through the proxy as tanaka / " << demo::demo_users()[0].password << "\n";
  std::cerr << "  keeps    " << (kept == "none" ? "everything (no retention limit)" : kept)
            << "  (the console's Sensor page)\n";
  std::cerr << "  stop     Ctrl-C\n\n";

  // The demo's office at work: a few rounds, a little apart, so the timeline has a shape.
  std::atomic<bool> stopping{false};
  std::mutex m;
  std::condition_variable cv;
  std::thread driver;
  if (demo_servers) {
    demo::TrafficTarget target;
    target.proxy_port = (*stack)->server().port();
    target.org_ca = proxy::CaFiles::cert(ca_dir);
    target.web_port = demo_servers->web_port();
    target.mail_port = demo_servers->mail_port();
    target.apps_port = demo_servers->apps_port();
    target.console_port = (*console_server)->port();
    driver = std::thread([&, target] {
      for (unsigned round = 0; round < o.demo_rounds && !stopping; ++round) {
        const demo::TrafficReport r = demo::drive_round(target, round);
        std::cerr << "demo: round " << round + 1 << ": " << r.requests << " requests, " << r.uploads
                  << " upload(s), " << r.downloads << " download(s), " << r.mails << " mail(s), "
                  << r.h2_requests << " HTTP/2 request(s), " << r.chat_messages
                  << " WebSocket message(s), " << r.refused
                  << " attempt(s) to reach the console through the proxy refused";
        if (r.failures > 0) std::cerr << ", " << r.failures << " failed: " << r.first_failure;
        std::cerr << "\n";
        std::unique_lock lock(m);
        cv.wait_for(lock, std::chrono::seconds(3), [&] { return stopping.load(); });
      }
      std::cerr << "demo: done; the console shows it once the sessions close (a few seconds)\n";
    });
  }

  const std::string status_file = status_path(layout.root, "up");
  auto write_state = [&] {
    if (auto st = write_status(status_file, (*stack)->status()); !st)
      spdlog::warn("{}", st.error().message);
  };
  write_state();
  while (true) {
    const timespec every{1, 0};
    const int sig = sigtimedwait(&signals, nullptr, &every);
    if (sig < 0) {
      write_state();
      continue;
    }
    if (sig == SIGUSR1) {
      (*stack)->print_counters();
      continue;
    }
    break;
  }
  {
    std::lock_guard lock(m);
    stopping = true;
  }
  cv.notify_all();
  if (driver.joinable()) driver.join();
  (*console_server)->stop();
  int exit_code = 0;
  if (auto s = (*stack)->stop(); !s) {
    std::cerr << "error: " << s.error().message << "\n";
    exit_code = 1;
  }
  if (demo_servers) demo_servers->stop();
  return exit_code;
}

}  // namespace

void add_up_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<UpOptions>();
  CLI::App* cmd = app.add_subcommand(
      "up", "proxy, recorder and console on one store, with a CA made on first start");
  cmd->add_option("--store,-s", o->store, "store directory (made if missing)")
      ->capture_default_str();
  cmd->add_option("--proxy", o->proxy_listen, "explicit proxy address")->capture_default_str();
  cmd->add_option("--console", o->console_listen, "console address (HTTPS)")->capture_default_str();
  cmd->add_option("-c,--config", o->record_config, "recorder settings (TOML)");
  add_retention_options(cmd, o->retention);
  cmd->add_flag("--demo", o->demo,
                "also start local HTTPS and mail servers and drive an office's traffic through "
                "the proxy");
  cmd->add_option("--demo-rounds", o->demo_rounds, "rounds of demo traffic")->capture_default_str();
  cmd->add_flag("-q,--quiet", o->quiet, "log warnings and errors only");
  cmd->add_option("--user", o->user,
                  "run as this user once the proxy and console listen (root opens ports below "
                  "1024 and reads the keys first); the store is handed to it");
  cmd->callback([o, &exit_code] { exit_code = run_up(*o); });
}

}  // namespace kagami::app
