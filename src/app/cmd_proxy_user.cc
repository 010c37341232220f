// kagami proxy-user: the proxy's users file (Basic proxy authentication), with salted scrypt
// hashes. The proxy reads it again on SIGHUP.
#include <algorithm>
#include <iostream>

#include <CLI/CLI.hpp>

#include "kagami/base/password_hash.h"
#include "kagami/base/printable.h"
#include "kagami/proxy/proxy_auth.h"

#include "app/commands.h"
#include "app/password_input.h"

namespace kagami::app {
namespace {

struct ProxyUserOptions {
  std::string file, name, password_file;
};

// 1 to 64 characters, none of which could break a line of the file or the Basic credentials.
bool valid_proxy_user(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name)
    if (c == ':' || c == '#' || static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  return true;
}

int run_set(const ProxyUserOptions& o) {
  if (!valid_proxy_user(o.name)) {
    std::cerr << "error: a proxy user name is 1 to 64 characters without ':', '#', spaces or "
                 "control characters\n";
    return 2;
  }
  auto pw = read_password(o.password_file);
  if (!pw) {
    std::cerr << "error: " << pw.error().message << "\n";
    return 2;
  }
  auto hash = hash_password(*pw, ScryptCost{14, 8, 1});
  if (!hash) {
    std::cerr << "error: " << hash.error().message << "\n";
    return 1;
  }
  if (auto st = proxy::write_proxy_user(o.file, o.name, *hash); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    return 1;
  }
  std::cerr << "kagami: proxy user " << o.name << " set in " << o.file
            << " (send the proxy SIGHUP to use it)\n";
  return 0;
}

int run_remove(const ProxyUserOptions& o) {
  auto users = proxy::load_proxy_users(o.file);
  if (!users) {
    std::cerr << "error: " << users.error().message << "\n";
    return 1;
  }
  if (!users->count(o.name)) {
    std::cerr << "error: no proxy user " << printable(o.name) << " in " << o.file << "\n";
    return 1;
  }
  if (auto st = proxy::write_proxy_user(o.file, o.name, ""); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    return 1;
  }
  return 0;
}

int run_list(const ProxyUserOptions& o) {
  auto users = proxy::load_proxy_users(o.file);
  if (!users) {
    std::cerr << "error: " << users.error().message << "\n";
    return 1;
  }
  std::vector<std::pair<std::string, std::string>> sorted(users->begin(), users->end());
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [name, stored] : sorted)
    std::cout << printable(name) << "  "
              << (stored.rfind("scrypt$", 0) == 0 ? "scrypt"
                                                  : "unsalted SHA-256 (rewritten at next login)")
              << "\n";
  return 0;
}

}  // namespace

void add_proxy_user_command(CLI::App& app, int& exit_code) {
  CLI::App* cmd =
      app.add_subcommand("proxy-user", "the proxy's users file: set, remove, list (scrypt)");
  cmd->require_subcommand(1);
  auto add = [&](const char* name, const char* help, bool named, bool password,
                 int (*run)(const ProxyUserOptions&)) {
    auto o = std::make_shared<ProxyUserOptions>();
    CLI::App* sub = cmd->add_subcommand(name, help);
    sub->add_option("--file,-f", o->file, "the users file ([auth] users_file)")->required();
    if (named) sub->add_option("name", o->name, "user name")->required();
    if (password)
      sub->add_option("--password-file", o->password_file,
                      "read the password from this file (default: standard input)");
    sub->callback([o, run, &exit_code] { exit_code = run(*o); });
  };
  add("set", "add a user or change one's password", true, true, run_set);
  add("remove", "remove a user", true, false, run_remove);
  add("list", "list users and how their passwords are kept", false, false, run_list);
}

}  // namespace kagami::app
