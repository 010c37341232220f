// kagami status: what the running parts of Kagami say of themselves (the proxy's counters and
// the destinations it relays undecrypted right now, the mirror's), from STORE/status/.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "kagami/base/printable.h"
#include "kagami/base/time.h"

#include "app/commands.h"
#include "app/status_file.h"

namespace kagami::app {
namespace {

// A status older than this comes from a component that stopped (or hangs).
constexpr double kStaleSeconds = 30;

void print_counters(const nlohmann::json& j, const char* indent) {
  std::string line;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_number()) continue;
    if (!line.empty()) line += ", ";
    line += k + " " + v.dump();
  }
  if (!line.empty()) std::cout << indent << line << "\n";
}

int run_status(const std::string& store, bool json) {
  const std::string dir = store + "/status";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::cerr << "kagami status: nothing in " << dir
              << " (no proxy or kagami up has recorded into this store yet)\n";
    return 1;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  const double now = time_to_epoch_seconds(wall_clock_ns());
  for (const auto& f : files) {
    std::ifstream in(f);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      std::cerr << "kagami status: " << f.string() << " is not a status file\n";
      continue;
    }
    const std::string name = f.stem().string();
    const double age = now - j.value("written", 0.0);
    j["component"] = name;
    j["age_s"] = static_cast<std::int64_t>(age);
    j["stale"] = age > kStaleSeconds;
    if (json) {
      std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      continue;
    }
    std::cout << name << " (pid " << j.value("pid", 0) << ", updated "
              << static_cast<std::int64_t>(age) << " s ago"
              << (age > kStaleSeconds ? "; not updated since: stopped?" : "") << ")\n";
    if (j.contains("proxy")) {
      std::cout << "  proxy\n";
      print_counters(j["proxy"], "    ");
    }
    if (j.contains("proxy_auth")) {
      std::cout << "  proxy logins\n";
      print_counters(j["proxy_auth"], "    ");
    }
    if (j.contains("mirror")) {
      std::cout << "  mirror\n";
      print_counters(j["mirror"], "    ");
    }
    const auto& bypass = j.contains("auto_bypass") ? j["auto_bypass"] : nlohmann::json::array();
    std::cout << "  relayed without decryption automatically: " << bypass.size() << "\n";
    for (const auto& b : bypass)
      std::cout << "    " << printable(b.value("client", "*")) << " -> "
                << printable(b.value("destination", "")) << "  " << printable(b.value("why", ""))
                << "  (" << b.value("remaining_s", 0) << " s left)\n";
  }
  return 0;
}

}  // namespace

void add_status_command(CLI::App& app, int& exit_code) {
  auto store = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "status",
      "what the running proxy and kagami up say of themselves: counters, automatic "
      "bypasses");
  cmd->add_option("--store,-s", *store, "store directory")->required();
  cmd->add_flag("--json", *json, "one JSON object per component");
  cmd->callback([store, json, &exit_code] { exit_code = run_status(*store, *json); });
}

}  // namespace kagami::app
