// `kagami serve`: the REST API and the web console; `kagami user`: who may log in.
#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <termios.h>
#include <unistd.h>

#include "kagami/base/password_hash.h"
#include "kagami/base/private_files.h"
#include "kagami/console/api_server.h"
#include "kagami/console/login_sessions.h"
#include "kagami/store/audit_log.h"
#include "kagami/store/sqlite_index.h"
#include "kagami/store/store_layout.h"

#include "app/cli_audit.h"
#include "app/commands.h"
#include "app/password_input.h"
#include "app/privileges.h"

namespace kagami::app {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

int run_serve(const console::ServeOptions& o, const std::string& user) {
  // A browser that goes away mid-download is that request's end, not the server's.
  std::signal(SIGPIPE, SIG_IGN);
  warn_if_not_private(o.store, "store");
  auto server = console::ApiServer::start(o);
  if (!server) {
    std::cerr << "error: " << server.error().message << "\n";
    return 1;
  }
  // Listening (on 443, say) and holding its key: root is no longer needed.
  if (auto u = drop_privileges(user, {o.store}); !u) {
    std::cerr << "error: " << u.error().message << "\n";
    (*server)->stop();
    return 1;
  } else if (!u->empty()) {
    std::fprintf(stderr, "kagami: running as %s (root dropped once listening)\n", u->c_str());
  }
  std::fprintf(stderr, "kagami: console at %s/\n", (*server)->url().c_str());
  if (!(*server)->ca_path().empty())
    std::fprintf(stderr, "kagami: browsers trust it after importing %s\n",
                 (*server)->ca_path().c_str());
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  while (!g_stop) ::usleep(100 * 1000);
  (*server)->stop();
  return 0;
}

struct UserOptions {
  std::string store, name, role = "investigator", password_file;
};

Result<std::unique_ptr<store::SqliteIndex>> open_rw(const std::string& dir) {
  store::StoreLayout layout{dir};
  if (auto s = layout.check_exists(); !s) return s.error();
  return store::SqliteIndex::open(layout.index_path(), store::SqliteIndex::Mode::kReadWrite);
}

int run_user_set(const UserOptions& o) {
  console::Role role;
  if (!console::role_from_name(o.role, role)) {
    std::cerr << "error: --role is viewer, investigator or admin\n";
    return 2;
  }
  if (!console::valid_user_name(o.name)) {
    std::cerr << "error: a user name is 1 to 64 letters, digits and . _ - @\n";
    return 2;
  }
  auto pw = read_password(o.password_file);
  if (!pw) {
    std::cerr << "error: " << pw.error().message << "\n";
    return 2;
  }
  auto hash = hash_password(*pw);
  auto index = open_rw(o.store);
  if (!hash || !index) {
    std::cerr << "error: " << (hash ? index.error().message : hash.error().message) << "\n";
    return 1;
  }
  if (auto s = cli_audit(store::StoreLayout{o.store}, "user_set", "user:" + o.name,
                         "{\"role\":\"" + o.role + "\"}");
      !s) {
    std::cerr << "error: " << s.error().message << "\n";
    return 1;
  }
  if (auto s = (*index)->put_user({o.name, o.role, *hash, wall_clock_ns(), false}); !s) {
    std::cerr << "error: " << s.error().message << "\n";
    return 1;
  }
  std::fprintf(stderr, "kagami: user %s, role %s\n", o.name.c_str(), o.role.c_str());
  return 0;
}

int run_user_remove(const UserOptions& o) {
  auto index = open_rw(o.store);
  if (!index) {
    std::cerr << "error: " << index.error().message << "\n";
    return 1;
  }
  if (auto s = cli_audit(store::StoreLayout{o.store}, "user_remove", "user:" + o.name); !s) {
    std::cerr << "error: " << s.error().message << "\n";
    return 1;
  }
  auto r = (*index)->remove_user(o.name);
  if (!r || !*r) {
    std::cerr << "error: " << (r ? "no user " + o.name : r.error().message) << "\n";
    return 1;
  }
  return 0;
}

int run_user_list(const UserOptions& o) {
  auto index = open_rw(o.store);
  if (!index) {
    std::cerr << "error: " << index.error().message << "\n";
    return 1;
  }
  auto users = (*index)->users();
  if (!users) {
    std::cerr << "error: " << users.error().message << "\n";
    return 1;
  }
  std::printf("%-32s %-13s %s\n", "NAME", "ROLE", "CREATED (UTC)");
  for (const auto& u : *users)
    std::printf("%-32s %-13s %s%s\n", u.name.c_str(), u.role.c_str(),
                format_time_iso(u.created, 0).c_str(), u.disabled ? " (disabled)" : "");
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<console::ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "the REST API and web console over HTTPS");
  cmd->add_option("--store,-s", o->store, "store directory")->required();
  cmd->add_option("--listen,-l", o->listen, "ADDR:PORT (default 127.0.0.1:8443)");
  cmd->add_option("--tls-cert", o->tls_cert,
                  "certificate (PEM); default: the console's own, made in STORE/console");
  cmd->add_option("--tls-key", o->tls_key, "its key (PEM)");
  cmd->add_flag("--plain-http", o->plain_http,
                "no TLS, for a loopback address behind a TLS-terminating proxy");
  cmd->add_option("--threads", o->threads, "request threads (default 8)");
  cmd->add_option("--max-connections", o->max_connections,
                  "connections open at once; beyond, the longest waiting is closed")
      ->capture_default_str();
  cmd->add_option("--max-connections-per-client", o->max_connections_per_client,
                  "connections from one address")
      ->capture_default_str();
  auto seconds = std::make_shared<std::array<double, 3>>(std::array<double, 3>{10, 30, 30});
  cmd->add_option("--head-timeout-s", (*seconds)[0], "a request's head must arrive within this")
      ->capture_default_str();
  cmd->add_option("--body-timeout-s", (*seconds)[1], "and its body within this after it")
      ->capture_default_str();
  cmd->add_option("--idle-timeout-s", (*seconds)[2], "a kept connection without a request")
      ->capture_default_str();
  auto as = std::make_shared<std::string>();
  cmd->add_option("--user", *as,
                  "run as this user once listening (default as root: kagami, when that user "
                  "exists; \"root\": stay root); the store is handed to it");
  cmd->callback([o, seconds, as, &exit_code] {
    o->head_timeout_ms = static_cast<std::int64_t>((*seconds)[0] * 1000);
    o->body_timeout_ms = static_cast<std::int64_t>((*seconds)[1] * 1000);
    o->idle_timeout_ms = static_cast<std::int64_t>((*seconds)[2] * 1000);
    exit_code = run_serve(*o, *as);
  });

  CLI::App* user = app.add_subcommand("user", "console users: set (add or change), remove, list");
  user->require_subcommand(1);
  {
    auto u = std::make_shared<UserOptions>();
    CLI::App* set = user->add_subcommand("set", "add a user or change one's role and password");
    set->add_option("--store,-s", u->store, "store directory")->required();
    set->add_option("name", u->name, "user name")->required();
    set->add_option("--role,-r", u->role, "viewer, investigator (default) or admin");
    set->add_option("--password-file", u->password_file,
                    "read the password from this file (default: standard input)");
    set->callback([u, &exit_code] { exit_code = run_user_set(*u); });
  }
  {
    auto u = std::make_shared<UserOptions>();
    CLI::App* rm = user->add_subcommand("remove", "remove a user");
    rm->add_option("--store,-s", u->store, "store directory")->required();
    rm->add_option("name", u->name, "user name")->required();
    rm->callback([u, &exit_code] { exit_code = run_user_remove(*u); });
  }
  {
    auto u = std::make_shared<UserOptions>();
    CLI::App* ls = user->add_subcommand("list", "list users");
    ls->add_option("--store,-s", u->store, "store directory")->required();
    ls->callback([u, &exit_code] { exit_code = run_user_list(*u); });
  }
}

}  // namespace kagami::app
